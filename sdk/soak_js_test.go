package sdk_test

import (
	"context"
	"sync"
	"syscall/js"
	"testing"
	"time"

	"github.com/steadyws/steadyws/sdk"
)

// In the browser the soak also proves that no js.Func, shim socket or
// shim timer is left behind.
func init() { browserResources = sdk.BrowserResources }

var jsAPI = sync.OnceValue(sdk.JSAPI)

// jsSoakCycles is the reconnects of TestSoakJSAPIURLPromise: each makes
// two js.Func values (the promise's callbacks), so a leak would show at
// once; the Go API's soak covers everything else.
const jsSoakCycles = 300

// TestSoakJSAPIURLPromise reconnects a client of the JavaScript API whose
// URL is an async function, and checks that the js.Func values made to
// await each attempt's promise are all released.
func TestSoakJSAPIURLPromise(t *testing.T) {
	srv := newServer(t)
	api := jsAPI()
	fn := js.Global().Get("Function")
	// Plain JavaScript: neither the URL function nor notify calls into Go.
	urlFn := fn.New("u", "return async () => u").Invoke(srv.URL())
	seen := fn.New(`const s = {open: 0, error: ""};
		s.notify = (kind, a) => { if (kind === "open") s.open++; else if (kind === "error") s.error = a; };
		return s;`).Invoke()
	opts := js.ValueOf(map[string]any{
		"backoff":   map[string]any{"initialMs": 1, "maxMs": 1, "factor": 1},
		"heartbeat": map[string]any{"intervalMs": -1},
	})
	// As in TestSoakReconnectCycles, a first client brings up what lives
	// as long as the page (its signal listeners).
	first, err := sdk.Dial(context.Background(), srv.URL(), fast())
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	first.Close()
	startG := settledGoroutines(t, -1)
	start := sdk.BrowserResources()

	r := api.Call("connect", urlFn, opts, seen.Get("notify"))
	if e := r.Get("error"); !e.IsUndefined() {
		t.Fatalf("connect: %s", e.String())
	}
	cid := r.Get("cid").Int()
	closed := false
	defer func() {
		if !closed {
			api.Call("close", cid, 1000, "")
		}
	}()
	waitOpens := func(n int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for seen.Get("open").Int() < n {
			if time.Now().After(deadline) {
				t.Fatalf("%d opens after 10 s, want %d (last error %q)", seen.Get("open").Int(), n, seen.Get("error").String())
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitOpens(1)
	began := time.Now()
	for i := 0; i < jsSoakCycles; i++ {
		srv.DropAll()
		waitOpens(i + 2)
	}
	elapsed := time.Since(began)
	open := sdk.BrowserResources()

	api.Call("close", cid, 1000, "")
	closed = true
	deadline := time.Now().Add(5 * time.Second)
	// A client that stopped for good is let go: stats then has no client.
	for !api.Call("stats", cid).IsNull() {
		if time.Now().After(deadline) {
			t.Fatal("client not closed and let go 5 s after close()")
		}
		time.Sleep(time.Millisecond)
	}
	endG := settledGoroutines(t, startG)
	end := settledResources(t, "after close()", start)
	t.Logf("%d reconnects, each through the URL promise, in %v; goroutines %d -> %d; resources before %v, after the cycles %v, closed %v",
		jsSoakCycles, elapsed.Round(time.Millisecond), startG, endG, start, open, end)
	if open["js.Func"] != start["js.Func"] {
		t.Errorf("js.Func values while open: %d, want %d", open["js.Func"], start["js.Func"])
	}
	if e := seen.Get("error").String(); e != "" {
		t.Errorf("error event: %s", e)
	}
}
