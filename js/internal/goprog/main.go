//go:build js && wasm

// Command goprog is a Go program that uses steadyws's Go API in the browser
// the way a shipped one does: loaded with its wasm exports handed to the
// socket shim, so that frames take the numeric-export path both ways.
// TestGoProgramInPage (../../goprog_test.go) loads it and checks what it
// reports: globalThis.goprog.run(wsURL) resolves to a JSON report.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"syscall/js"
	"time"

	"github.com/steadyws/steadyws/sdk"
)

// fastAtStart records whether the shim took the exports the page left for
// it while the sdk package initialised (it deletes them when it does).
var fastAtStart bool

func main() {
	key := js.Global().Get("Symbol").Call("for", "steadyws.exports")
	fastAtStart = js.Global().Get("Reflect").Call("get", js.Global(), key).IsUndefined()
	api := js.Global().Get("Object").New()
	api.Set("run", js.FuncOf(func(_ js.Value, args []js.Value) any {
		url := args[0].String()
		return js.Global().Get("Promise").New(js.FuncOf(func(_ js.Value, p []js.Value) any {
			resolve := p[0]
			go func() {
				rep := run(url)
				b, _ := json.Marshal(rep)
				resolve.Invoke(string(b))
			}()
			return nil
		}))
	}))
	js.Global().Set("goprog", api)
	select {}
}

type report struct {
	Fast    bool   `json:"fast"`
	Binary  int    `json:"binary"`  // binary echoes that came back right, in order
	Events  int    `json:"events"`  // event echoes that came back right, in order
	Replies int    `json:"replies"` // request replies that came back right
	Marks   int    `json:"marks"`   // marks sent just before Close
	Err     string `json:"err,omitempty"`
}

type msg struct {
	N int    `json:"n"`
	S string `json:"s"`
}

// text has characters of every UTF-8 length, so that a decoding slip shows.
const text = "héllo ☃ 😀 \u0000 \"quoted\""

// binary returns frame i's bytes: every length from empty to 70 KiB.
func binary(i int) []byte {
	n := []int{0, 1, 125, 126, 65535, 65536, 70000}[i%7]
	b := make([]byte, n)
	for j := range b {
		b[j] = byte(i + j)
	}
	return b
}

func run(url string) (rep report) {
	rep.Fast = fastAtStart
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fail := func(err error) report { rep.Err = err.Error(); return rep }

	c, err := sdk.Dial(ctx, url, nil)
	if err != nil {
		return fail(err)
	}
	defer c.Close()
	raws := make(chan []byte, 1000)
	c.OnRaw(func(typ sdk.MessageType, data []byte) {
		if typ == sdk.MessageBinary {
			raws <- data
		}
	})
	events := make(chan msg, 1000)
	sdk.Handle(c, "echo", func(_ context.Context, m msg) { events <- m })

	// Binary frames, events and requests, interleaved.
	const rounds = 70
	var calls []*sdk.Call[msg]
	for i := range rounds {
		if err := c.SendBinary(ctx, binary(i)); err != nil {
			return fail(err)
		}
		if err := sdk.Send(ctx, c, "echo", msg{i, text}); err != nil {
			return fail(err)
		}
		calls = append(calls, sdk.Go[msg](ctx, c, "echo", msg{-i, text}))
	}
	for i, call := range calls {
		got, err := call.Result()
		if err != nil {
			return fail(err)
		}
		if got != (msg{-i, text}) {
			return fail(fmt.Errorf("reply %d = %+v", i, got))
		}
		rep.Replies++
	}
	for i := range rounds {
		select {
		case b := <-raws:
			if !bytes.Equal(b, binary(i)) {
				return fail(fmt.Errorf("binary echo %d: %d bytes, want %d (or different bytes)", i, len(b), len(binary(i))))
			}
			rep.Binary++
		case <-ctx.Done():
			return fail(fmt.Errorf("binary echo %d: %v", i, ctx.Err()))
		}
		select {
		case m := <-events:
			if m != (msg{i, text}) {
				return fail(fmt.Errorf("event echo %d = %+v", i, m))
			}
			rep.Events++
		case <-ctx.Done():
			return fail(fmt.Errorf("event echo %d: %v", i, ctx.Err()))
		}
	}

	// Events sent just before Close still go out, ahead of the close frame.
	for i := range 50 {
		if err := sdk.Send(ctx, c, "mark", msg{N: i}); err != nil {
			return fail(err)
		}
		rep.Marks++
	}
	if err := c.Close(); err != nil {
		return fail(err)
	}
	return rep
}
