//go:build js

// Command wasm is steadyws.wasm: the Go runtime behind the JavaScript API.
// js/steadyws.mjs loads it, and it hands the page one object, under
// globalThis.__steadyws, through which the loader builds the API. One
// runtime serves any number of clients.
package main

import (
	"syscall/js"

	"github.com/steadyws/steadyws/sdk"
)

func main() {
	js.Global().Set("__steadyws", sdk.JSAPI())
	select {} // serve the page's clients for as long as it lives
}
