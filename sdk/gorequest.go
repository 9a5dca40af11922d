//go:build !steadyws_nojson

package sdk

import (
	"sync"
	"sync/atomic"
)

// The Go API's requests: Request (request) and Go (start), and the due
// queue that times out those without a deadline of their own. The
// JavaScript API's build, whose requests JavaScript waits for, has none of
// it (gorequest_jsapi.go).

// request sends a request envelope and waits for its reply, its context, or
// RequestTimeout when the context has no deadline: start's outcome, which
// always comes. Its caller leads as a Call's does, without a watch of its
// own on ctx: start's, or the due queue, fails the request when ctx ends or
// the timeout passes, and interrupts the leader.
func (c *Client) request(ctx ctxt, t string, data []byte) ([]byte, error) {
	ch := make(chan reply, 1)
	c.start(ctx, t, data, func(r reply) { ch <- r })
	if r, ok := c.lead(background(), ch, nil); ok {
		return r.data, r.err
	}
	r := <-ch
	return r.data, r.err
}

// start sends request t without waiting: done gets its reply or failure
// exactly once, from whichever goroutine learns it (possibly before start
// returns). ctx, or RequestTimeout without a deadline, bounds the request.
func (c *Client) start(ctx ctxt, t string, data []byte, done func(reply)) {
	g := &goReq{c: c, done: done}
	g.p.g = g
	// A context that can never end leaves only RequestTimeout to watch:
	// the client's due queue does, with one timer for all such requests,
	// instead of a context with a deadline and a watch on it each, which
	// cost a pipelined Go service a tenth of its time. A context with a
	// deadline is watched once for all the requests under it (ctxWatches).
	timeout := c.opts.RequestTimeout
	_, deadline := ctx.Deadline()
	ends := ctx.Done() != nil
	plain := !ends && timeout > 0
	shared := ends && deadline
	switch {
	case plain:
		g.due = c.now() + timeout
	case !shared:
		ctx, g.cancel = c.requestContext(ctx)
	}
	if err := c.begin(ctx, t, data, &g.p); err != nil {
		g.finish(reply{err: err})
		return
	}
	switch {
	case plain:
		c.goreqs.due.add(c, g)
		return
	case shared:
		if c.goreqs.watches.add(ctx, g) {
			return
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.over.Load() {
		g.stop = afterFunc(ctx, func() { g.expire(requestCtxErr(ctx)) })
	}
}

// goReq is a request started by Go (start), with its pending entry: one
// allocation per request.
type goReq struct {
	p    pending
	c    *Client
	done func(reply)
	// cancel releases the request's context (nil without one); stop ends
	// its own watch (set under mu once over was false; nil for a plain
	// request and for one under a shared watch).
	cancel func()
	mu     sync.Mutex
	stop   func() bool
	over   atomic.Bool // settled
	due    duration    // c.now() when RequestTimeout ends a plain request (guarded by the due queue's lock once queued)
}

// finish settles g with r, once.
func (g *goReq) finish(r reply) {
	if !g.over.CompareAndSwap(false, true) {
		return
	}
	g.mu.Lock()
	s := g.stop // a watch armed after this finds over set and is not armed
	g.mu.Unlock()
	done := g.done
	g.done = nil // what it holds may be large; the due queue may hold g a while
	if s != nil {
		s()
	}
	if g.cancel != nil {
		g.cancel()
	}
	done(r)
}

// expire ends g with err if it is still pending (its context ended or
// RequestTimeout passed).
func (g *goReq) expire(err error) {
	c := g.c
	if c.takePending(g.p.id) == nil {
		return // settled meanwhile
	}
	c.mu.Lock()
	c.gaveUpLocked(g.p.id)
	c.mu.Unlock()
	c.unqueue(&g.p)
	g.finish(reply{err: err})
	if ld := c.leader(); ld != nil {
		ld.interruptLead() // its waiter may be reading for the reply
	}
}

// goRequests watches the requests Go started that have not settled.
type goRequests struct {
	// due times out those whose context cannot end.
	due dueQueue
	// watches fails those under a context with a deadline when it ends.
	watches ctxWatches
}

// stopped lets go of what the client no longer needs once it has stopped
// and settled every request (see ctxWatches.release).
func (r *goRequests) stopped() { r.watches.release() }

// reqList holds requests Go started, in the order they were added, and
// lets go of settled ones (drop) whenever one is added.
type reqList struct {
	reqs []*goReq // from head on
	head int
	keep int // survivors of the last sweep for settled requests
}

// drop lets go of settled requests: those at the front, and, whenever the
// list has doubled since, those behind a request still waiting.
func (l *reqList) drop() {
	for l.head < len(l.reqs) && l.reqs[l.head].over.Load() {
		l.reqs[l.head] = nil
		l.head++
	}
	n := len(l.reqs) - l.head
	if n == 0 {
		l.reqs, l.head = l.reqs[:0], 0
		return
	}
	if n < 64 || n < 2*l.keep {
		return
	}
	live := l.reqs[:0]
	for _, g := range l.reqs[l.head:] {
		if !g.over.Load() {
			live = append(live, g)
		}
	}
	clear(l.reqs[len(live):])
	l.reqs, l.head, l.keep = live, 0, len(live)
}

// dueQueue times out the requests Go started with a context that cannot
// end: each ends RequestTimeout after it was sent, so they fall due in the
// order they were added, and one timer, armed for the first, serves all.
// Settled ones are skipped, and let go of whenever a request is added or
// the timer fires.
type dueQueue struct {
	mu sync.Mutex
	reqList
	armed bool
}

// add queues g, due at g.due, or with the last one queued if that is later
// (begin may have taken long): the queue stays in order of due.
func (q *dueQueue) add(c *Client, g *goReq) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if g.over.Load() {
		return
	}
	q.drop()
	if n := len(q.reqs); n > q.head && q.reqs[n-1].due > g.due {
		g.due = q.reqs[n-1].due
	}
	q.reqs = append(q.reqs, g)
	if !q.armed {
		q.armed = true
		afterDelay(q.reqs[q.head].due-c.now(), func() { q.fire(c) })
	}
}

// fire ends the requests now due and arms the timer for the next one.
func (q *dueQueue) fire(c *Client) {
	now := c.now()
	var late []*goReq
	q.mu.Lock()
	for q.head < len(q.reqs) && q.reqs[q.head].due <= now {
		if g := q.reqs[q.head]; !g.over.Load() {
			late = append(late, g)
		}
		q.reqs[q.head] = nil
		q.head++
	}
	q.drop()
	q.armed = q.head < len(q.reqs)
	if q.armed {
		afterDelay(q.reqs[q.head].due-now, func() { q.fire(c) })
	}
	q.mu.Unlock()
	for _, g := range late {
		g.expire(timeoutError{errDeadlineExceeded})
	}
}

// ctxWatches fails the requests Go started under a context with a
// deadline when that context ends: one watch per context, shared by all
// its requests, so that a service sending many under one context pays for
// one context.AfterFunc rather than one each. Such a context ends by
// itself, so its watch holds it (and the requests it last saw) no longer
// than the runtime would: until it is cancelled or its deadline passes, or
// the client stops (release). Contexts that can end but have no deadline,
// and the first request under a context (see add), get a watch of their
// own per request (start), which lets go of them when the request settles.
type ctxWatches struct {
	mu   sync.Mutex
	m    map[<-chan struct{}]*ctxWatch // by ctx.Done(), which stands for the context
	last <-chan struct{}               // the context of the last request add saw
}

type ctxWatch struct {
	reqList
	stop func() bool
}

// add watches g's context for g, and reports whether it did. A context
// seen for the first time (not under the last request's either) leaves g
// to a watch of its own: a context that carries one request (an HTTP
// handler's, say) then costs what it did before, not a watch it would
// have to end. From the second request in a row under it, its requests
// share one.
func (w *ctxWatches) add(ctx ctxt, g *goReq) bool {
	done := ctx.Done()
	w.mu.Lock()
	defer w.mu.Unlock()
	if g.over.Load() {
		return true
	}
	x := w.m[done]
	if x == nil {
		if w.last != done {
			w.last = done
			return false
		}
		if w.m == nil {
			w.m = make(map[<-chan struct{}]*ctxWatch)
		}
		x = &ctxWatch{}
		w.m[done] = x
		x.stop = afterFunc(ctx, func() { w.ended(ctx, x) })
	}
	x.drop()
	x.reqs = append(x.reqs, g)
	return true
}

// ended fails the requests still waiting under ctx, which has ended.
func (w *ctxWatches) ended(ctx ctxt, x *ctxWatch) {
	w.mu.Lock()
	if w.m[ctx.Done()] == x {
		delete(w.m, ctx.Done())
	}
	reqs := x.reqs[x.head:]
	x.reqs, x.head = nil, 0
	w.mu.Unlock()
	err := requestCtxErr(ctx)
	for _, g := range reqs {
		if !g.over.Load() {
			g.expire(err)
		}
	}
}

// release lets go of the watches no request waits under any more; the
// client calls it when it stops, having settled every request, so that a
// closed client is not kept by contexts that outlive it. (Requests of a
// life a Reconnect started meanwhile keep theirs.)
func (w *ctxWatches) release() {
	var stops []func() bool
	w.mu.Lock()
	w.last = nil
	for done, x := range w.m {
		if x.drop(); x.head == len(x.reqs) {
			delete(w.m, done)
			stops = append(stops, x.stop)
		}
	}
	w.mu.Unlock()
	for _, stop := range stops {
		stop()
	}
}

// settleStarted hands r to the request Go started that p belongs to, if
// any.
func (p *pending) settleStarted(r reply) bool {
	if p.g == nil {
		return false
	}
	p.g.finish(r)
	wakeups.Add(1) // a Call's waiter may be runnable now
	return true
}
