package sdk

import (
	"sync"
	"sync/atomic"
)

// Handlers: registration (OnOpen, OnClose, ..., handleEvent,
// handleRequest) and the handler goroutine that runs them one at a time,
// in arrival order (serial, emit, report).

// listeners is a copy-on-write list: dispatch reads the slice under the
// client's lock without copying, registration builds a new one.
type listeners[F any] struct {
	next int
	list []listener[F]
}

type listener[F any] struct {
	key int
	fn  F
}

func (l *listeners[F]) add(fn F) int {
	l.next++
	l.list = append(l.list[:len(l.list):len(l.list)], listener[F]{l.next, fn})
	return l.next
}

func (l *listeners[F]) remove(key int) {
	out := make([]listener[F], 0, len(l.list))
	for _, e := range l.list {
		if e.key != key {
			out = append(out, e)
		}
	}
	l.list = out
}

// requestHandler answers one request type; data is the request's raw JSON
// data and the result is the reply's raw JSON data.
type requestHandler struct {
	key int
	fn  func(ctx ctxt, data []byte) ([]byte, error)
}

type registry struct {
	open     listeners[func(ctxt)]
	close    listeners[func(CloseInfo)]
	state    listeners[func(State)]
	errors   listeners[func(error)]
	raw      listeners[func(MessageType, []byte)]
	events   map[string]*listeners[func(ctxt, []byte)]
	requests map[string]requestHandler
	nextReq  int
}

// on registers fn in l and returns its idempotent remover.
func on[F any](c *Client, l *listeners[F], fn F) func() {
	c.mu.Lock()
	key := l.add(fn)
	c.mu.Unlock()
	return remover(c, l, key)
}

// remover returns the idempotent remover of the listener added as key.
func remover[F any](c *Client, l *listeners[F], key int) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			l.remove(key)
			c.mu.Unlock()
		})
	}
}

// onOpen is OnOpen (goapi.go), which the JavaScript API's build leaves out.
func (c *Client) onOpen(fn func(ctx ctxt)) (remove func()) {
	// fn joins the list and learns whether the open handlers have run in
	// one hold of the lock, under which the supervisor takes the list: fn
	// then runs with them or late, never both.
	c.mu.Lock()
	key := c.reg.open.add(fn)
	l := c.link
	late := l != nil && l.openRan
	if late {
		c.flushing = true // hold sends until fn has run, then flush
	}
	c.mu.Unlock()
	remove = remover(c, &c.reg.open, key)
	if late {
		ctx := withValue(l.ctx, openKey{}, l)
		c.emit(l.lf, "open", func() {
			defer signal(l.drained) // the supervisor flushes what was held
			fn(ctx)
		})
	}
	return remove
}

// OnClose registers fn to run each time a connection ends or an attempt
// fails, with what happened and what the client will do next.
func (c *Client) OnClose(fn func(CloseInfo)) (remove func()) {
	return on(c, &c.reg.close, fn)
}

// OnStateChange registers fn to run on every change of State.
func (c *Client) OnStateChange(fn func(State)) (remove func()) {
	return on(c, &c.reg.state, fn)
}

// OnError registers fn to receive errors that belong to no call: malformed
// or unknown inbound messages (*MalformedError, *UnknownTypeError,
// *LimitError), replies nobody waits for (*UnexpectedReplyError), frames
// for OnRaw handlers while there are none (*UnhandledFrameError), expired or
// discarded queued messages (*ExpiredError, *DiscardedError) and failing
// handlers (*HandlerError).
func (c *Client) OnError(fn func(error)) (remove func()) {
	return on(c, &c.reg.errors, fn)
}

// OnRaw registers fn to receive binary frames and, with Options.Raw, text
// frames, untouched. data is fn's to keep.
func (c *Client) OnRaw(fn func(typ MessageType, data []byte)) (remove func()) {
	return on(c, &c.reg.raw, fn)
}

// handleEvent registers fn for events of type t; any number may be.
func (c *Client) handleEvent(t string, fn func(ctx ctxt, data []byte)) func() {
	if c.reserved(t) {
		return func() {}
	}
	c.mu.Lock()
	if c.reg.events == nil {
		c.reg.events = make(map[string]*listeners[func(ctxt, []byte)])
	}
	l := c.reg.events[t]
	if l == nil {
		l = &listeners[func(ctxt, []byte)]{}
		c.reg.events[t] = l
	}
	c.mu.Unlock()
	return on(c, l, fn)
}

// handleRequest makes fn the handler of requests of type t, replacing any
// earlier one (whose remover then does nothing).
func (c *Client) handleRequest(t string, fn func(ctx ctxt, data []byte) ([]byte, error)) func() {
	if c.reserved(t) {
		return func() {}
	}
	c.mu.Lock()
	if c.reg.requests == nil {
		c.reg.requests = make(map[string]requestHandler)
	}
	c.reg.nextReq++
	key := c.reg.nextReq
	c.reg.requests[t] = requestHandler{key, fn}
	c.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			if h, ok := c.reg.requests[t]; ok && h.key == key {
				delete(c.reg.requests, t)
			}
			c.mu.Unlock()
		})
	}
}

// knownTypesLocked lists the registered message types, for suggestions.
func (c *Client) knownTypesLocked() []string {
	var ts []string
	for t, l := range c.reg.events {
		if len(l.list) > 0 {
			ts = append(ts, t)
		}
	}
	for t := range c.reg.requests {
		ts = append(ts, t)
	}
	// Insertion sort: the list is short, and package sort would weigh on
	// the browser build.
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j] < ts[j-1]; j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
	return ts
}

// report tells OnError handlers about err.
func (c *Client) report(lf *life, err error) {
	c.mu.Lock()
	hs := c.reg.errors.list
	c.mu.Unlock()
	for _, h := range hs {
		c.emit(lf, "error", func() { h.fn(err) })
	}
}

// emit runs f on the life's handler goroutine, turning a panic into an
// error report.
func (c *Client) emit(lf *life, what string, f func()) {
	lf.events.push(func() {
		defer func() {
			if v := recover(); v != nil && what != "error" {
				c.report(lf, &HandlerError{Type: what, Err: panicError(v)})
			}
		}()
		f()
	})
}

func (c *Client) emitClose(lf *life, info CloseInfo) {
	c.mu.Lock()
	hs := c.reg.close.list
	c.mu.Unlock()
	for _, h := range hs {
		c.emit(lf, "close", func() { h.fn(info) })
	}
}

// wakeups counts goroutines made runnable from the per-message path
// (handlers queued, requests settled). In the browser an export that changed
// it asks the shim to let Go run: an export call alone schedules nothing.
var wakeups atomic.Uint32

// serial runs callbacks one at a time, in the order they were pushed, on a
// goroutine of its own, so that a handler may block (even on a Request)
// without stalling the reads that will unblock it.
type serial struct {
	mu   sync.Mutex
	q    []func()
	quit bool
	wake chan struct{}
	done chan struct{}
}

func newSerial() *serial {
	s := &serial{wake: make(chan struct{}, 1), done: make(chan struct{})}
	go s.run()
	return s
}

func (s *serial) push(f func()) {
	s.mu.Lock()
	s.q = append(s.q, f)
	s.mu.Unlock()
	wakeups.Add(1)
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// finish lets the goroutine exit once everything pushed so far has run.
func (s *serial) finish() {
	s.mu.Lock()
	s.quit = true
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *serial) run() {
	defer close(s.done)
	for {
		s.mu.Lock()
		q, quit := s.q, s.quit
		s.q = nil
		s.mu.Unlock()
		for _, f := range q {
			f()
		}
		if len(q) == 0 {
			if quit {
				return
			}
			<-s.wake
		}
	}
}
