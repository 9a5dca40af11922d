//go:build js

// Package jsws wraps the syscall/js calls of the browser transport: it
// installs the socket shim (shim.js) and turns JavaScript exceptions into Go
// errors.
package jsws

import (
	"errors"
	"sync"
	"sync/atomic"
	"syscall/js"
)

var (
	once sync.Once
	shim js.Value
)

// Shim returns the socket shim, installing it on first use. A loader that
// ships shim.js as a module (steadyws.mjs imports dist/shim.mjs) leaves its
// factory in globalThis.__steadywsShim before go.run, so that pages whose
// Content-Security-Policy forbids eval work; otherwise shimSource is
// evaluated with new Function.
func Shim() js.Value {
	once.Do(func() {
		if f := js.Global().Get("__steadywsShim"); f.Type() == js.TypeFunction {
			shim = f.Invoke()
			return
		}
		shim = js.Global().Get("Function").New(shimSource).Invoke()
	})
	return shim
}

// liveFuncs counts the js.Func values made by FuncOf and not yet released:
// the soak test checks that reconnects leave none behind.
var liveFuncs atomic.Int32

// FuncOf is js.FuncOf, counted. Every js.Func of the sdk is made here (none
// is made per message).
func FuncOf(fn func(this js.Value, args []js.Value) any) js.Func {
	liveFuncs.Add(1)
	return js.FuncOf(fn)
}

// Release releases a js.Func made by FuncOf.
func Release(f js.Func) {
	f.Release()
	liveFuncs.Add(-1)
}

// LiveFuncs is the number of js.Func values made by FuncOf and not released.
func LiveFuncs() int { return int(liveFuncs.Load()) }

// Fast reports whether the shim reached the wasm exports (the per-message
// path then runs without js.Func calls).
func Fast() bool { return Shim().Get("fast").Bool() }

// Try runs f and returns a JavaScript exception it throws as an error.
func Try(f func()) (err error) {
	defer func() {
		if v := recover(); v != nil {
			if je, ok := v.(js.Error); ok {
				err = errors.New(je.Get("name").String() + ": " + je.Get("message").String())
				return
			}
			err = errors.New("jsws: unexpected panic in a JavaScript call")
		}
	}()
	f()
	return nil
}

// Call calls method on v, returning a thrown exception as an error.
func Call(v js.Value, method string, args ...any) (out js.Value, err error) {
	err = Try(func() { out = v.Call(method, args...) })
	return out, err
}
