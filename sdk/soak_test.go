package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/steadyws/steadyws/sdk"
	"github.com/steadyws/steadyws/sdk/internal/testserver"
)

// soakCycles is how many reconnect cycles TestSoakReconnectCycles runs, in
// both builds: about 3 s natively (7 s with -race) and 20-40 s in Chromium,
// where every round trip crosses into the browser.
const soakCycles = 2000

// browserResources, set by the browser build, counts what the browser
// transport holds: js.Func values, the shim's sockets, timers and held
// strings, and the like. Natively it is nil.
var browserResources func() map[string]int

// soakWarmup cycles run before the starting level is taken, so that pools,
// caches and lazily grown buffers have reached their working size.
const soakWarmup = 100

// TestSoakReconnectCycles takes one client through thousands of lost
// connections — the server dropping an idle connection, dropping one or
// closing it (1012) while a request is in flight, and Reconnect calls, in
// turn — with a request and an echoed event on every connection, and
// checks that goroutines, heap, open files (natively) and, in the browser,
// js.Func values, sockets and timers come back to where they started.
func TestSoakReconnectCycles(t *testing.T) {
	srv := newServer(t)
	// A first client, closed at once, brings up what lives as long as the
	// process (the browser's page-signal listeners, say), so that the
	// levels before and after the soak client compare like with like.
	first, err := sdk.Dial(context.Background(), srv.URL(), fast())
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	first.Close()
	idleGoroutines := settledGoroutines(t, -1)
	idleResources := resources()

	o := &sdk.Options{
		// Reconnect at once (0.5-1 ms, jittered): every connection here
		// dies young, so the attempt counter never resets and Factor 1
		// keeps the delay from growing.
		Backoff: sdk.Backoff{Initial: time.Millisecond, Max: time.Millisecond, Factor: 1},
		// Heartbeats flow between cycles, so the heartbeat timer is armed,
		// reset and stopped on every connection.
		Heartbeat: sdk.Heartbeat{Interval: 20 * time.Millisecond, Timeout: 5 * time.Second},
	}
	// Handlers go on before the first connection, so that each open is
	// counted once.
	c := sdk.New(srv.URL(), o)
	closed := false
	defer func() {
		if !closed {
			c.Close()
		}
	}()

	var opens, extraEchoes, errCount atomic.Int64
	var lastErr atomic.Value
	opened := make(chan struct{}, 1)
	c.OnOpen(func(context.Context) {
		opens.Add(1)
		select {
		case opened <- struct{}{}:
		default:
		}
	})
	c.OnError(func(err error) {
		errCount.Add(1)
		lastErr.Store(err.Error())
	})
	echoed := make(chan int, 1)
	stopEcho := sdk.Handle(c, "echo", func(_ context.Context, m echoMsg) {
		select {
		case echoed <- m.N:
		default:
			extraEchoes.Add(1)
		}
	})

	select {
	case <-opened:
	case <-time.After(10 * time.Second):
		t.Fatalf("no connection within 10 s: %v", lastErr.Load())
	}

	cycle := func(i int) {
		n := opens.Load()
		switch i % 4 {
		case 0:
			srv.DropAll()
		case 1, 2:
			// The server drops the connection (abruptly, or with a
			// clean 1012) while this request waits for its reply.
			lose := context.Background()
			var err error
			if i%4 == 1 {
				_, err = sdk.Request[struct{}](lose, c, "drop", nil)
			} else {
				_, err = sdk.Request[struct{}](lose, c, "close", map[string]any{"code": 1012, "reason": "service restart"})
			}
			if !errors.Is(err, sdk.ErrConnectionLost) {
				t.Fatalf("cycle %d: request that made the server drop the connection: %v, want ErrConnectionLost", i, err)
			}
		case 3:
			c.Reconnect()
		}
		wait := time.NewTimer(10 * time.Second)
		defer wait.Stop()
		for opens.Load() <= n {
			select {
			case <-opened:
			case <-wait.C:
				t.Fatalf("cycle %d: no reconnect within 10 s (state %v, last error %v)", i, c.State(), lastErr.Load())
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := sdk.Send(ctx, c, "echo", echoMsg{N: i}); err != nil {
			t.Fatalf("cycle %d: send: %v", i, err)
		}
		select {
		case got := <-echoed:
			if got != i {
				t.Fatalf("cycle %d: echo of %d", i, got)
			}
		case <-ctx.Done():
			t.Fatalf("cycle %d: no echo within 10 s; the server received the event: %v (%d opens, %d server connections, last error %v, stats %+v)",
				i, serverGotEcho(srv.Received(), i), opens.Load(), srv.Conns(), lastErr.Load(), c.Stats())
		}
		// The reply also confirms the echo event (see Delivery in the
		// package doc): the next cycle's drop has nothing to report.
		sum, err := sdk.Request[sumReply](ctx, c, "sum", map[string]int{"a": i, "b": 1})
		if err != nil || sum.Sum != float64(i+1) {
			t.Fatalf("cycle %d: sum = %+v, %v", i, sum, err)
		}
		// The test server records every message; let it forget them.
		if i%100 == 99 {
			srv.Reset()
		}
	}

	for i := 0; i < soakWarmup; i++ {
		cycle(i)
	}
	srv.Reset()
	l := soakMeasure(t, cycle, srv.Reset)

	st := c.Stats()
	t.Logf("%d reconnect cycles in %v (%v each); reconnects %d, messages in/out %d/%d",
		soakCycles, l.elapsed.Round(time.Millisecond), (l.elapsed / time.Duration(soakCycles)).Round(time.Microsecond),
		st.Reconnects, st.MessagesIn, st.MessagesOut)
	l.checkHeap(t)
	if st.Reconnects < soakWarmup+soakCycles {
		t.Errorf("stats count %d reconnects, want at least %d", st.Reconnects, soakWarmup+soakCycles)
	}
	if n := extraEchoes.Load(); n != 0 {
		t.Errorf("%d echoes arrived that no send asked for (duplicates)", n)
	}
	if n := errCount.Load(); n != 0 {
		t.Errorf("%d error events, the last: %v", n, lastErr.Load())
	}

	stopEcho()
	c.Close()
	closed = true
	l.checkClosed(t, idleGoroutines, idleResources)
}

// serverGotEcho reports whether the server received the echo event for n:
// whether an echo that never came back was lost on its way out or back.
func serverGotEcho(got []testserver.Message, n int) bool {
	for _, m := range got {
		var e echoMsg
		if m.Type == "echo" && json.Unmarshal(m.Data, &e) == nil && e.N == n {
			return true
		}
	}
	return false
}

// soakLevels are what a soak measured around its cycles.
type soakLevels struct {
	startG, endG       int
	startHeap, endHeap runtime.MemStats
	startRes, endRes   map[string]int
	elapsed            time.Duration
}

// soakMeasure runs the soakCycles measured cycles (numbered on from the
// warm-up's) and takes goroutines, heap and resources before them and,
// once after has run, after them.
func soakMeasure(t *testing.T, cycle func(int), after func()) soakLevels {
	t.Helper()
	var l soakLevels
	l.startG = settledGoroutines(t, -1)
	l.startHeap = heapNow()
	l.startRes = resources()
	began := time.Now()
	for i := soakWarmup; i < soakWarmup+soakCycles; i++ {
		cycle(i)
	}
	l.elapsed = time.Since(began)
	after()
	l.endG = settledGoroutines(t, l.startG)
	l.endHeap = heapNow()
	l.endRes = settledResources(t, "after the cycles", l.startRes)
	return l
}

// checkHeap logs the levels with the client open and fails if the heap
// grew over the cycles.
func (l soakLevels) checkHeap(t *testing.T) {
	t.Helper()
	t.Logf("client open: goroutines %d -> %d; heap objects %d -> %d (%+d); heap alloc %d -> %d bytes (%+d)",
		l.startG, l.endG, l.startHeap.HeapObjects, l.endHeap.HeapObjects, int64(l.endHeap.HeapObjects)-int64(l.startHeap.HeapObjects),
		l.startHeap.HeapAlloc, l.endHeap.HeapAlloc, int64(l.endHeap.HeapAlloc)-int64(l.startHeap.HeapAlloc))
	// A leak of one object per cycle would add soakCycles objects; the
	// tolerances leave room for a noisy collector, not for that.
	const objSlack, byteSlack = 500, 256 << 10
	if d := int64(l.endHeap.HeapObjects) - int64(l.startHeap.HeapObjects); d > objSlack {
		t.Errorf("heap objects grew by %d over %d cycles (allowed %d)", d, soakCycles, objSlack)
	}
	if d := int64(l.endHeap.HeapAlloc) - int64(l.startHeap.HeapAlloc); d > byteSlack {
		t.Errorf("heap grew by %d bytes over %d cycles (allowed %d)", d, soakCycles, byteSlack)
	}
}

// checkClosed waits, once the client is closed, for goroutines and
// resources to come back to their levels before it (failing if they do
// not) and logs them.
func (l soakLevels) checkClosed(t *testing.T, idleGoroutines int, idleResources map[string]int) {
	t.Helper()
	afterG := settledGoroutines(t, idleGoroutines)
	afterRes := settledResources(t, "after Close", idleResources)
	t.Logf("closed: goroutines %d (before the client: %d)", afterG, idleGoroutines)
	t.Logf("resources before the client %v, warm %v, after the cycles %v, closed %v", idleResources, l.startRes, l.endRes, afterRes)
}

// settledGoroutines returns runtime.NumGoroutine once it stops changing,
// or once it equals want (if want >= 0). Goroutines that are ending need a
// moment; if the count never comes down to want, the test fails with every
// goroutine's stack.
func settledGoroutines(t *testing.T, want int) int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	last, stable := runtime.NumGoroutine(), 0
	for {
		time.Sleep(10 * time.Millisecond)
		n := runtime.NumGoroutine()
		if want >= 0 && n == want {
			return n
		}
		if n == last {
			stable++
		} else {
			last, stable = n, 0
		}
		if want < 0 && stable >= 10 {
			return n
		}
		if time.Now().After(deadline) {
			if want < 0 {
				return n
			}
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("goroutines: %d, want %d (the starting level)\n%s", n, want, buf)
		}
	}
}

func heapNow() runtime.MemStats {
	// Two cycles: the first may leave objects for finalizers, which the
	// second collects.
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m
}

// resources counts what a client may hold besides goroutines and heap:
// open files natively (where /proc tells), and in the browser what
// browserResources counts.
func resources() map[string]int {
	if browserResources != nil {
		return browserResources()
	}
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		return map[string]int{"open files": len(fds)}
	}
	return map[string]int{}
}

// settledResources polls resources until they equal want (sockets close a
// moment after the events that report them), and fails the test with the
// difference if they do not within 5 s.
func settledResources(t *testing.T, when string, want map[string]int) map[string]int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := resources()
		if maps.Equal(got, want) {
			return got
		}
		if time.Now().After(deadline) {
			t.Errorf("%s: %v, want the starting level %v", when, got, want)
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}
