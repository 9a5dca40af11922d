package sdk

import (
	"syscall/js"
	"testing"
)

// TestArrivedAtIsTheClientClock: the shim reads performance.now() when a
// message arrives and hands it to Go, which turns it into c.now()'s scale
// (arrivedAt); the heartbeat and the round-trip time compare what it gives
// with c.now(), so the two must be one clock. A reading taken between two
// of c.now() converts to a time between them, give or take the float
// rounding of wasm_exec.js's clock (a quarter of a microsecond), also in
// a page that is not cross-origin isolated, whose clock moves in steps of
// 100 µs (as wasmbrowsertest's does).
func TestArrivedAtIsTheClientClock(t *testing.T) {
	shimValue()
	perf := js.Global().Get("performance")
	var c *Client // now reads no field
	for range 1000 {
		before := int64(c.now())
		at := arrivedAt(perf.Call("now").Float())
		after := int64(c.now())
		if at < before-2000 || at > after+2000 {
			t.Fatalf("performance.now() read between c.now() = %d and %d converts to %d", before, after, at)
		}
	}
}
