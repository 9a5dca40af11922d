//go:build js

// Package jsws wraps the syscall/js calls of the browser transport: it
// installs the socket shim (shim.js) and turns JavaScript exceptions into Go
// errors.
package jsws

import (
	_ "embed"
	"errors"
	"sync"
	"syscall/js"
)

//go:embed shim.js
var shimSource string

var (
	once sync.Once
	shim js.Value
)

// Shim returns the socket shim, installing it on first use.
func Shim() js.Value {
	once.Do(func() {
		shim = js.Global().Get("Function").New(shimSource).Invoke()
	})
	return shim
}

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
