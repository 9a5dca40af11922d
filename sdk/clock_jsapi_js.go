//go:build steadyws_nojson

package sdk

import (
	"errors"
	"sync"
	"sync/atomic"
	"syscall/js"
	_ "unsafe" // go:linkname

	"github.com/steadyws/steadyws/sdk/internal/jsws"
)

// Time and cancellation for the JavaScript API's build, without package
// time or package context (see clock.go): the monotonic clock is the Go
// runtime's own, timers are the browser's setTimeout, and ctxt is a small
// cancellation tree with what the client uses of context.Context.

// duration is nanoseconds, as time.Duration.
type duration int64

const (
	millisecond duration = 1e6
	second               = 1000 * millisecond
	hour                 = 3600 * second
)

func (d duration) String() string { return formatDuration(int64(d)) }

// Milliseconds is time.Duration's.
func (d duration) Milliseconds() int64 { return int64(d / millisecond) }

// wallTime is a Unix time in nanoseconds: Stats.ConnectedSince.
type wallTime struct{ ns int64 }

func (t wallTime) IsZero() bool     { return t.ns == 0 }
func (t wallTime) UnixMilli() int64 { return t.ns / 1e6 }

func unixTime(ns int64) wallTime { return wallTime{ns} }

// wallNow is the wall clock in Unix nanoseconds (once per connection).
func wallNow() int64 { return int64(js.Global().Get("Date").Call("now").Float() * 1e6) }

// nanotime is the clock package time reads for time.Since (performance.now
// through wasm_exec.js), and cheap enough for every inbound frame.
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64

var epoch = nanotime()

// now is the time since the package started, on the monotonic clock: the
// heartbeat judges elapsed time by it, never by counting timer ticks.
func (c *Client) now() duration { return duration(nanotime() - epoch) }

// timer is a browser timeout that calls fire once, on the page's event loop
// (fire must not block). It holds one js.Func from start until it fires or
// is stopped.
type timer struct {
	mu   sync.Mutex
	fn   js.Func
	id   js.Value
	due  int64 // nanotime
	live bool
	fire func()
}

var setTimeout, clearTimeout = js.Global().Get("setTimeout"), js.Global().Get("clearTimeout")

// maxTimeout is the longest delay setTimeout keeps (2^31−1 ms); a longer
// one is waited out in steps.
const maxTimeout = 1<<31 - 1

func (t *timer) start(d duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopLocked()
	t.due = nanotime() + int64(max(d, 0))
	t.fn = jsws.FuncOf(func(js.Value, []js.Value) any {
		t.mu.Lock()
		if !t.live {
			t.mu.Unlock()
			return nil
		}
		if left := t.due - nanotime(); left > 0 {
			t.armLocked(left) // fired early, or a step of a long wait
			t.mu.Unlock()
			return nil
		}
		t.live = false
		jsws.Release(t.fn)
		t.mu.Unlock()
		t.fire()
		return nil
	})
	t.live = true
	t.armLocked(int64(max(d, 0)))
}

// armLocked sets the browser's timeout for ns nanoseconds, rounded up to
// whole milliseconds: waking before the deadline would only re-arm.
func (t *timer) armLocked(ns int64) {
	t.id = setTimeout.Invoke(t.fn, min((ns+999_999)/1e6, maxTimeout))
}

// stop cancels the timer; fire will not run after it returns.
func (t *timer) stop() {
	t.mu.Lock()
	t.stopLocked()
	t.mu.Unlock()
}

func (t *timer) stopLocked() {
	if t.live {
		clearTimeout.Invoke(t.id)
		jsws.Release(t.fn)
		t.live = false
	}
}

// afterDelay calls f after d (on the page's event loop), unless stop is
// called first; stop reports whether it prevented f.
func afterDelay(d duration, f func()) (stop func() bool) {
	t := &timer{fire: f}
	t.start(d)
	return func() bool {
		t.mu.Lock()
		defer t.mu.Unlock()
		live := t.live
		t.stopLocked()
		return live
	}
}

// alarm is a timer whose firing is a wake-up on c. A reset may let one
// stale wake-up through; every waiter re-reads the clock, so that is
// harmless.
type alarm struct {
	t timer
	c chan struct{}
}

func newAlarm(d duration) *alarm {
	a := &alarm{c: make(chan struct{}, 1)}
	a.t.fire = func() { signal(a.c) }
	a.t.start(d)
	return a
}

func (a *alarm) reset(d duration) {
	a.t.stop()
	select {
	case <-a.c:
	default:
	}
	a.t.start(d)
}

func (a *alarm) stop() { a.t.stop() }

// ctxt is what the client uses of a context.Context.
type ctxt interface {
	Done() <-chan struct{}
	Err() error
	Value(key any) any
}

var (
	errCanceled         = errors.New("context canceled")
	errDeadlineExceeded = errors.New("context deadline exceeded")
)

type emptyCtx struct{}

func (emptyCtx) Done() <-chan struct{} { return nil }
func (emptyCtx) Err() error            { return nil }
func (emptyCtx) Value(any) any         { return nil }

func background() ctxt { return emptyCtx{} }

type valueCtx struct {
	ctxt
	key, val any
}

func (v *valueCtx) Value(key any) any {
	if key == v.key {
		return v.val
	}
	return v.ctxt.Value(key)
}

func withValue(parent ctxt, key, val any) ctxt { return &valueCtx{parent, key, val} }

// cancelCtx ends when cancelled or when its parent ends, whichever is first.
type cancelCtx struct {
	parent   ctxt
	deadline bool // it or an ancestor has a deadline
	done     chan struct{}
	unlink   func() bool // stops the parent's hook
	timer    timer

	mu    sync.Mutex
	err   error
	hooks map[*func()]struct{}
}

func (c *cancelCtx) Done() <-chan struct{} { return c.done }
func (c *cancelCtx) Value(key any) any     { return c.parent.Value(key) }

func (c *cancelCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// cancelOf is the cancelCtx that ends ctx, or nil if it never ends.
func cancelOf(ctx ctxt) *cancelCtx {
	for {
		switch v := ctx.(type) {
		case *cancelCtx:
			return v
		case *valueCtx:
			ctx = v.ctxt
		default:
			return nil
		}
	}
}

func newCancelCtx(parent ctxt) *cancelCtx {
	c := &cancelCtx{parent: parent, done: make(chan struct{})}
	if p := cancelOf(parent); p != nil {
		c.deadline = p.deadline
		c.unlink = p.onEnd(func() { c.cancel(p.Err()) })
	}
	return c
}

func (c *cancelCtx) cancel(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	hooks := c.hooks
	c.hooks = nil
	close(c.done)
	c.mu.Unlock()
	c.timer.stop()
	if c.unlink != nil {
		c.unlink()
	}
	for f := range hooks {
		(*f)()
	}
}

// onEnd runs f, synchronously, when c ends (at once if it has); stop
// reports whether it kept f from running.
func (c *cancelCtx) onEnd(f func()) (stop func() bool) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		f()
		return func() bool { return false }
	}
	if c.hooks == nil {
		c.hooks = make(map[*func()]struct{})
	}
	k := &f
	c.hooks[k] = struct{}{}
	c.mu.Unlock()
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		_, ok := c.hooks[k]
		delete(c.hooks, k)
		return ok
	}
}

func withCancel(parent ctxt) (ctxt, func()) {
	c := newCancelCtx(parent)
	return c, func() { c.cancel(errCanceled) }
}

// afterFunc is context.AfterFunc: f runs in a goroutine of its own once
// ctx ends.
func afterFunc(ctx ctxt, f func()) (stop func() bool) {
	c := cancelOf(ctx)
	if c == nil {
		return func() bool { return false }
	}
	return c.onEnd(func() { go f() })
}

// withTimeout is a context cancelled after d; timedOut reports whether the
// timeout (rather than the parent) ended it. d <= 0 means no timeout.
func withTimeout(parent ctxt, d duration) (ctx ctxt, cancel func(), timedOut func() bool) {
	c := newCancelCtx(parent)
	var fired atomic.Bool
	if d > 0 {
		c.timer.fire = func() { fired.Store(true); c.cancel(errCanceled) }
		c.timer.start(d)
	}
	return c, func() { c.cancel(errCanceled) }, fired.Load
}

// withDeadline bounds ctx by d unless it has a deadline already: the
// request timeout.
func withDeadline(ctx ctxt, d duration) (ctxt, func()) {
	if c := cancelOf(ctx); (c != nil && c.deadline) || d <= 0 {
		return ctx, func() {}
	}
	c := newCancelCtx(ctx)
	c.deadline = true
	c.timer.fire = func() { c.cancel(errDeadlineExceeded) }
	c.timer.start(d)
	return c, func() { c.cancel(errCanceled) }
}
