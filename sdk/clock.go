//go:build !js || !steadyws_nojson

package sdk

import (
	"context"
	"sync/atomic"
	"time"
)

// Time and cancellation, behind a seam: every build but the JavaScript
// API's uses package time and package context (the names below are
// aliases, so every method keeps its time.Duration, time.Time and
// context.Context types, and api.go declares Options, CloseInfo, Stats
// and ExpiredError with those names themselves). The JavaScript API's
// build (clock_jsapi_js.go) imports neither: package time alone links
// internal/godebug and time formatting, about 55 KB of steadyws.wasm.

// duration is time.Duration.
type duration = time.Duration

// ctxt is context.Context.
type ctxt = context.Context

// wallTime is time.Time: Stats.ConnectedSince.
type wallTime = time.Time

const (
	millisecond = time.Millisecond
	second      = time.Second
	hour        = time.Hour
)

// errDeadlineExceeded is the error of a context whose deadline passed.
var errDeadlineExceeded = context.DeadlineExceeded

func background() ctxt { return context.Background() }

func withCancel(parent ctxt) (ctxt, func()) { return context.WithCancel(parent) }

func withValue(parent ctxt, key, val any) ctxt { return context.WithValue(parent, key, val) }

// afterFunc is context.AfterFunc.
func afterFunc(ctx ctxt, f func()) (stop func() bool) { return context.AfterFunc(ctx, f) }

// afterDelay calls f in its own goroutine after d, unless stop is called
// first (stop reports whether it prevented f): time.AfterFunc.
func afterDelay(d duration, f func()) (stop func() bool) { return time.AfterFunc(d, f).Stop }

// withDeadline bounds ctx by d unless it has a deadline already: the
// request timeout.
func withDeadline(ctx ctxt, d duration) (ctxt, func()) {
	if _, ok := ctx.Deadline(); !ok && d > 0 {
		return context.WithTimeout(ctx, d)
	}
	return ctx, func() {}
}

// wallNow is the wall clock in Unix nanoseconds.
func wallNow() int64 { return time.Now().UnixNano() }

func unixTime(ns int64) wallTime {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// now is the time since the client was made, on the monotonic clock: the
// heartbeat judges elapsed time by it, never by counting timer ticks.
func (c *Client) now() duration { return time.Since(epoch) }

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

func newAlarm(d duration) *alarm {
	a := &alarm{c: make(chan struct{}, 1)}
	a.t = time.AfterFunc(d, func() { signal(a.c) })
	return a
}

func (a *alarm) reset(d duration) {
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
func withTimeout(parent ctxt, d duration) (ctx ctxt, cancel func(), timedOut func() bool) {
	ctx, stop := context.WithCancel(parent)
	if d <= 0 {
		return ctx, stop, func() bool { return false }
	}
	var fired atomic.Bool
	t := time.AfterFunc(d, func() { fired.Store(true); stop() })
	return ctx, func() { t.Stop(); stop() }, fired.Load
}
