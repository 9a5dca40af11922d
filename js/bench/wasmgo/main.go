//go:build js && wasm

// Command wasmgo is bench client C: steadyws's typed Go API (sdk.Request,
// sdk.Send, sdk.Handle) compiled to wasm and run in the bench page. The
// harness builds it with GOOS=js GOARCH=wasm -trimpath -ldflags='-s -w'.
package main

import (
	"github.com/steadyws/steadyws/js/bench/internal/jsbridge"
	"github.com/steadyws/steadyws/js/bench/internal/sdkclient"
)

func main() { jsbridge.Serve("C", sdkclient.Run) }
