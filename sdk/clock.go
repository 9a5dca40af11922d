package sdk

import (
	"context"
	"sync/atomic"
	"time"
)

// Time, read the way the browser build can afford: the monotonic clock
// since start (now), and timers without time formatting (alarm,
// withTimeout).

// now is the time since the client was made, on the monotonic clock: the
// heartbeat judges elapsed time by it, never by counting timer ticks.
func (c *Client) now() time.Duration { return time.Since(epoch) }

// epoch is a package variable rather than a Client field: a time.Time
// reachable from Client would keep time formatting in the browser build.
var epoch = time.Now()

// alarm is a timer built on time.AfterFunc. time.NewTimer's channel of
// time.Time would keep time formatting in the browser build (about 15 KB).
// A reset may let one stale wake-up through; every waiter re-reads the
// clock, so that is harmless.
type alarm struct {
	t *time.Timer
	c chan struct{}
}

func newAlarm(d time.Duration) *alarm {
	a := &alarm{c: make(chan struct{}, 1)}
	a.t = time.AfterFunc(d, func() { signal(a.c) })
	return a
}

func (a *alarm) reset(d time.Duration) {
	a.t.Stop()
	select {
	case <-a.c:
	default:
	}
	a.t.Reset(d)
}

func (a *alarm) stop() { a.t.Stop() }

// withTimeout is context.WithTimeout without its deadline machinery, whose
// String method drags time formatting into the browser build. timedOut
// reports whether the timeout (rather than the parent) ended ctx. d <= 0
// means no timeout.
func withTimeout(parent context.Context, d time.Duration) (ctx context.Context, cancel func(), timedOut func() bool) {
	ctx, stop := context.WithCancel(parent)
	if d <= 0 {
		return ctx, stop, func() bool { return false }
	}
	var fired atomic.Bool
	t := time.AfterFunc(d, func() { fired.Store(true); stop() })
	return ctx, func() { t.Stop(); stop() }, fired.Load
}
