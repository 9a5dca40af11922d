package sdk

import (
	"sync"
	"sync/atomic"

	"github.com/steadyws/steadyws/sdk/internal/wire"
)

// Requests: the pending table, begin (register and send), request
// (wait for the reply), start (Go's asynchronous requests), and how a
// reply or a failure settles them. route (route.go) correlates replies.

// pending is a request waiting for its reply.
type pending struct {
	id   int64
	t    string
	ch   chan reply // buffered: settle never blocks; nil when fin is set
	link *link      // the connection it was written to; nil while queued
	mark uint64     // the link's ledger number when it was written (guarded by the ledger's lock)
	// fin, when set, gets the reply or the failure instead of ch: for
	// requests started by Go, and for the JavaScript API's, whose replies
	// JavaScript resolves itself (route only correlates them), so that fin
	// hears of failures only.
	fin func(r reply)
	// g, when set, is the request Go started that p belongs to (start):
	// it gets the outcome instead of ch or fin.
	g *goReq
}

type reply struct {
	data []byte
	err  error
}

func (p *pending) settle(r reply) {
	if p.g != nil {
		p.g.finish(r)
		wakeups.Add(1) // a Call's waiter may be runnable now
		return
	}
	if p.fin != nil {
		p.fin(r)
		return
	}
	select {
	case p.ch <- r:
		wakeups.Add(1)
	default:
	}
}

// takePendingLocked removes and returns the requests written to l, or all
// of them when l is nil.
func (c *Client) takePendingLocked(l *link) []*pending {
	var out []*pending
	for id, p := range c.pending {
		if l == nil || p.link == l {
			out = append(out, p)
			delete(c.pending, id)
		}
	}
	return out
}

// request sends a request envelope and waits for its reply, its context, or
// RequestTimeout when the context has no deadline.
func (c *Client) request(ctx ctxt, t string, data []byte) ([]byte, error) {
	if ctx.Done() == nil && c.opts.RequestTimeout > 0 {
		// Only RequestTimeout bounds it: the due queue (see start) times
		// it out, and wakes its caller if it leads.
		ch := make(chan reply, 1)
		c.start(ctx, t, data, func(r reply) { ch <- r })
		if r, ok := c.lead(ctx, ch, nil); ok {
			return r.data, r.err
		}
		r := <-ch
		return r.data, r.err
	}
	ctx, cancel := c.requestContext(ctx)
	defer cancel()
	p := &pending{ch: make(chan reply, 1)}
	if err := c.begin(ctx, t, data, p); err != nil {
		return nil, err
	}
	if r, ok := c.lead(ctx, p.ch, nil); ok {
		return r.data, r.err
	}
	select {
	case r := <-p.ch:
		return r.data, r.err
	case <-ctx.Done():
		c.forget(p)
		return nil, requestCtxErr(ctx)
	}
}

// leader is a connection whose readers may be the goroutines waiting for
// replies (natively: lead_native.go).
type leader interface {
	lead(ctx ctxt, ch chan reply, done <-chan struct{}) (reply, bool)
	interruptLead()
}

// lead waits for a reply on ch, or for done to be closed, by reading the
// open connection itself where its transport allows; ok is false when it
// did not get the outcome that way.
func (c *Client) lead(ctx ctxt, ch chan reply, done <-chan struct{}) (reply, bool) {
	if ld := c.leader(); ld != nil {
		return ld.lead(ctx, ch, done)
	}
	return reply{}, false
}

func (c *Client) leader() leader {
	c.mu.Lock()
	l := c.link
	c.mu.Unlock()
	if l == nil {
		return nil
	}
	ld, _ := l.conn.(leader)
	return ld
}

// requestContext applies RequestTimeout to a context without a deadline.
func (c *Client) requestContext(ctx ctxt) (ctxt, func()) {
	return withDeadline(ctx, c.opts.RequestTimeout)
}

func requestCtxErr(ctx ctxt) error {
	if ctx.Err() == errDeadlineExceeded {
		return timeoutError{ctx.Err()}
	}
	return ctx.Err()
}

// begin registers p as request t and sends it.
func (c *Client) begin(ctx ctxt, t string, data []byte, p *pending) error {
	if wire.Reserved(t) {
		return &ReservedTypeError{Type: t}
	}
	p.t = t
	c.addPending(p)
	f := bytesFrame(MessageText, wire.Append(nil, t, "id", p.id, "data", data))
	if err := c.send(ctx, f, t, p); err != nil {
		c.forget(p)
		return err
	}
	return nil
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
	if !g.ended {
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
	// its watch (set under mu, nil for a plain request).
	cancel func()
	mu     sync.Mutex
	stop   func() bool
	ended  bool // guarded by mu
	over   atomic.Bool
	due    duration // c.now() when RequestTimeout ends a plain request (guarded by the due queue's lock once queued)
}

// finish settles g with r, once.
func (g *goReq) finish(r reply) {
	g.mu.Lock()
	if g.ended {
		g.mu.Unlock()
		return
	}
	g.ended = true
	s, done := g.stop, g.done
	g.done = nil // what it holds may be large; the due queue may hold g a while
	g.mu.Unlock()
	g.over.Store(true)
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
// Settled ones are skipped, and dropped from the front as they settle.
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

// forget drops a request the caller no longer waits for, taking it out of
// the queue too so that it is never sent late.
func (c *Client) forget(p *pending) {
	c.mu.Lock()
	if c.pending[p.id] == p {
		delete(c.pending, p.id)
		c.gaveUpLocked(p.id)
	}
	c.mu.Unlock()
	c.unqueue(p)
}

// gaveUpLocked remembers that the caller stopped waiting for request id
// (it timed out, or was cancelled or aborted), so that its reply, which
// may still come, is counted in Stats.LateReplies rather than reported:
// it is expected, not an error. The newest maxGaveUp are remembered.
func (c *Client) gaveUpLocked(id int64) {
	if c.gaveUp == nil {
		c.gaveUp = make(map[int64]struct{})
	}
	c.gaveUp[id] = struct{}{}
	c.gaveUpOrder = append(c.gaveUpOrder, id)
	if len(c.gaveUpOrder) > maxGaveUp {
		delete(c.gaveUp, c.gaveUpOrder[0])
		c.gaveUpOrder = c.gaveUpOrder[1:]
	}
}

const maxGaveUp = 1024

// lateReply reports whether a reply to request id, which is not pending,
// answers a request the caller gave up on; it counts it if so.
func (c *Client) lateReply(id int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.gaveUp[id]; !ok {
		return false
	}
	delete(c.gaveUp, id)
	c.lateReplies++
	return true
}

// replied settles p with the reply e: its data, or a *RemoteError.
func (p *pending) replied(e envelope) {
	if e.Error != nil {
		p.settle(reply{err: decodeRemoteError(p.t, e.Error)})
		return
	}
	p.settle(reply{data: e.Data})
}

// addPending registers request p under p.id, or under the next id when
// p.id is 0 (the JavaScript API numbers its requests itself); false if the
// id is taken.
func (c *Client) addPending(p *pending) bool {
	c.mu.Lock()
	if p.id == 0 {
		c.nextID++
		p.id = c.nextID
	}
	_, dup := c.pending[p.id]
	if !dup {
		c.pending[p.id] = p
	}
	c.mu.Unlock()
	return !dup
}

// takePending removes and returns request id, or nil if nobody waits for
// it any more.
func (c *Client) takePending(id int64) *pending {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.pending[id]
	delete(c.pending, id)
	return p
}
