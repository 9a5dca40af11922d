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
	// cost a pipelined Go service a tenth of its time.
	timeout := c.opts.RequestTimeout
	plain := ctx.Done() == nil && timeout > 0
	if plain {
		g.due = c.now() + timeout
	} else {
		ctx, g.cancel = c.requestContext(ctx)
	}
	if err := c.begin(ctx, t, data, &g.p); err != nil {
		g.finish(reply{err: err})
		return
	}
	if plain {
		c.due.add(c, g)
		return
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
	// its watch (set under mu once over was false, nil for a plain
	// request).
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

// dueQueue times out the requests Go started with a context that cannot
// end: each ends RequestTimeout after it was sent, so they fall due in the
// order they were added, and one timer, armed for the first, serves all.
// Settled ones are skipped, and let go of whenever a request is added or
// the timer fires (see drop).
type dueQueue struct {
	mu    sync.Mutex
	reqs  []*goReq // from head on, in order of due
	head  int
	armed bool
	keep  int // survivors of the last sweep for settled requests
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

// drop lets go of settled requests: those at the front, and, whenever the
// queue has doubled since, those behind a request still waiting.
func (q *dueQueue) drop() {
	for q.head < len(q.reqs) && q.reqs[q.head].over.Load() {
		q.reqs[q.head] = nil
		q.head++
	}
	n := len(q.reqs) - q.head
	if n == 0 {
		q.reqs, q.head = q.reqs[:0], 0
		return
	}
	if n < 64 || n < 2*q.keep {
		return
	}
	live := q.reqs[:0]
	for _, g := range q.reqs[q.head:] {
		if !g.over.Load() {
			live = append(live, g)
		}
	}
	clear(q.reqs[len(live):])
	q.reqs, q.head, q.keep = live, 0, len(live)
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
