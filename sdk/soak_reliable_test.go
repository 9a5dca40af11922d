package sdk_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/steadyws/steadyws/sdk"
)

// soakReliablePerCycle is how many events go out on each connection of
// TestSoakReliableReconnectCycles before it is lost (written, most of them
// not yet acknowledged, some not yet echoed), plus one after the resume.
const soakReliablePerCycle = 2

// TestSoakReliableReconnectCycles is TestSoakReconnectCycles in reliable
// mode, against sdk/server on the test server's /reliable (which echoes
// every "echo" event to the same session): thousands of lost connections —
// the server dropping every connection and Reconnect calls, in turn — each
// with events written and not yet acknowledged when it goes, in both
// directions. Every event must come back exactly once and in order (no
// loss, no duplicate, across every resume), the kept events must be
// acknowledged in the end (Stats().Unacked back to 0), and goroutines,
// heap, open files and, in the browser, js.Func values, sockets and timers
// must come back to where they started. About 6 s natively (16 s with
// -race) and 50 s in Chromium on a 2-core machine.
func TestSoakReliableReconnectCycles(t *testing.T) {
	srv := newServer(t)
	first, err := sdk.Dial(context.Background(), srv.ReliableURL(), reliableOpts())
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	first.Close()
	idleGoroutines := settledGoroutines(t, -1)
	idleResources := resources()

	o := &sdk.Options{
		Backoff:   sdk.Backoff{Initial: time.Millisecond, Max: time.Millisecond, Factor: 1},
		Heartbeat: sdk.Heartbeat{Interval: 20 * time.Millisecond, Timeout: 5 * time.Second},
		Reliable:  true,
	}
	c := sdk.New(srv.ReliableURL(), o)
	closed := false
	defer func() {
		if !closed {
			c.Close()
		}
	}()

	var opens, errCount atomic.Int64
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

	// The echoes must arrive as 1, 2, 3, ...: anything else is a loss
	// (a gap), a duplicate or a reordering, and the first is kept.
	var (
		mu       sync.Mutex
		last     int
		disorder string
		arrived  = make(chan struct{}, 1)
	)
	stopEcho := sdk.Handle(c, "echo", func(_ context.Context, m echoMsg) {
		mu.Lock()
		if m.N != last+1 && disorder == "" {
			disorder = fmt.Sprintf("echo %d after %d", m.N, last)
		}
		if m.N > last {
			last = m.N
		}
		mu.Unlock()
		select {
		case arrived <- struct{}{}:
		default:
		}
	})
	lastEcho := func() (int, string) {
		mu.Lock()
		defer mu.Unlock()
		return last, disorder
	}

	select {
	case <-opened:
	case <-time.After(10 * time.Second):
		t.Fatalf("no connection within 10 s: %v", lastErr.Load())
	}

	sent := 0
	send := func(i int) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		sent++
		if err := sdk.Send(ctx, c, "echo", echoMsg{N: sent}); err != nil {
			t.Fatalf("cycle %d: send %d: %v", i, sent, err)
		}
	}
	// echoes waits until every event sent has come back.
	echoes := func(i int, timeout <-chan time.Time) {
		for {
			got, bad := lastEcho()
			if bad != "" {
				t.Fatalf("cycle %d: %s", i, bad)
			}
			if got == sent {
				return
			}
			select {
			case <-arrived:
			case <-timeout:
				t.Fatalf("cycle %d: echoes up to %d of %d within 10 s (state %v, stats %+v)", i, got, sent, c.State(), c.Stats())
			}
		}
	}
	cycle := func(i int) {
		n := opens.Load()
		for range soakReliablePerCycle {
			send(i)
		}
		if i%2 == 0 {
			srv.DropAll()
		} else {
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
		send(i)
		echoes(i, wait.C)
	}
	// Everything written so far acknowledged: the kept events are gone.
	acked := func(when string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for c.Stats().Unacked != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d events still unacknowledged after 5 s", when, c.Stats().Unacked)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	// A first round trip: the server has surely taken the connection in
	// before the first cycle drops it.
	send(-1)
	echoes(-1, time.After(10*time.Second))
	for i := 0; i < soakWarmup; i++ {
		cycle(i)
	}
	acked("after the warm-up")
	warm := c.Stats()
	l := soakMeasure(t, cycle, func() { acked("after the cycles") })

	st := c.Stats()
	t.Logf("%d reliable reconnect cycles in %v (%v each); reconnects %d, events echoed %d, resent %d (%d while measured), duplicates dropped %d, unacked %d",
		soakCycles, l.elapsed.Round(time.Millisecond), (l.elapsed / time.Duration(soakCycles)).Round(time.Microsecond),
		st.Reconnects, sent, st.Resent, st.Resent-warm.Resent, st.Duplicates, st.Unacked)
	l.checkHeap(t)
	if got, bad := lastEcho(); bad != "" || got != sent {
		t.Errorf("echoes: last %d of %d sent (%s)", got, sent, bad)
	}
	if st.Reconnects < soakWarmup+soakCycles {
		t.Errorf("stats count %d reconnects, want at least %d", st.Reconnects, soakWarmup+soakCycles)
	}
	if n := errCount.Load(); n != 0 {
		t.Errorf("%d error events, the last: %v", n, lastErr.Load())
	}
	stopEcho()
	c.Close()
	closed = true
	l.checkClosed(t, idleGoroutines, idleResources)
}
