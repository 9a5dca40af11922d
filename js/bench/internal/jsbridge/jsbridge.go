//go:build js && wasm

// Package jsbridge exposes a Go bench client to the bench page: it sets
// globalThis.benchGo to {run(paramsJSON) → Promise<resultJSON>} and then
// blocks forever, as a wasm program that serves a page must.
package jsbridge

import (
	"context"
	"syscall/js"

	"github.com/steadyws/steadyws/js/bench/internal/workload"
)

// Serve registers run and never returns.
func Serve(name string, run func(context.Context, workload.Params) workload.Result) {
	api := js.Global().Get("Object").New()
	api.Set("client", name)
	api.Set("run", js.FuncOf(func(_ js.Value, args []js.Value) any {
		params := args[0].String()
		executor := js.FuncOf(func(_ js.Value, pargs []js.Value) any {
			resolve := pargs[0]
			go func() { resolve.Invoke(workload.RunJSON(params, run)) }()
			return nil
		})
		defer executor.Release()
		return js.Global().Get("Promise").New(executor)
	}))
	js.Global().Set("benchGo", api)
	select {}
}
