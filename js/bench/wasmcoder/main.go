//go:build js && wasm

// Command wasmcoder is bench client D: coder/websocket's browser port with
// wsjson, the Go-in-the-browser alternative to steadyws. The harness builds
// it with GOOS=js GOARCH=wasm -trimpath -ldflags='-s -w'.
package main

import (
	"github.com/steadyws/steadyws/js/bench/internal/coderclient"
	"github.com/steadyws/steadyws/js/bench/internal/jsbridge"
)

func main() { jsbridge.Serve("D", coderclient.Client{WSJSON: true}.Run) }
