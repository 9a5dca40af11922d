package sdk

import (
	"context"
	"sync"
	"time"

	"github.com/steadyws/steadyws/sdk/internal/wire"
)

// pending is a request waiting for its reply.
type pending struct {
	id   int64
	t    string
	ch   chan reply // buffered: settle never blocks; nil for external requests
	link *link      // the connection it was written to; nil while queued
	mark uint64     // the link's ledger number when it was written (guarded by the ledger's lock)
	// ext is set for requests made by the JavaScript API: JavaScript holds
	// the promise, Go only correlates and fails it.
	ext func(err error)
	// fin is set for requests started by Go: it gets the reply or the
	// failure, exactly once.
	fin func(r reply)
}

type reply struct {
	data []byte
	err  error
}

func (p *pending) settle(r reply) {
	if p.fin != nil {
		p.fin(r)
		wakeups.Add(1)
		return
	}
	if p.ext != nil {
		if r.err != nil {
			p.ext(r.err)
		}
		return
	}
	select {
	case p.ch <- r:
		wakeups.Add(1)
	default:
	}
}

// writeFrame writes one frame on l, counts it, and notes it in l's ledger
// (see confirm.go): request p's position, for its reply to confirm what
// was written before it, or else the event or raw frame of type t, which
// stays unconfirmed until a pong or reply does.
func (c *Client) writeFrame(ctx context.Context, l *link, f frame, t string, p *pending) error {
	return c.write(ctx, l, f, t, p, true)
}

// writeReply writes a pong or a reply on l. The ledger ignores it: the
// peer hears of its loss through its own request.
func (c *Client) writeReply(ctx context.Context, l *link, f frame) error {
	return c.write(ctx, l, f, "", nil, false)
}

func (c *Client) write(ctx context.Context, l *link, f frame, t string, p *pending, noted bool) error {
	if err := l.lockWrite(ctx); err != nil {
		return err
	}
	if noted && p != nil {
		l.led.noteRequest(p) // before the write: the reply may beat its return
	}
	err := l.conn.write(ctx, f)
	var wake, late bool
	if err != nil {
		l.broken = true
	} else if noted && p == nil {
		wake, late = l.led.note(t, f.size)
	}
	l.unlockWrite()
	if err != nil {
		return err
	}
	c.noted(l, t, wake, late)
	c.msgsOut.Add(1)
	c.bytesOut.Add(int64(f.size))
	return nil
}

// admit decides where an outgoing frame goes: onto the returned link now,
// or into the queue (nil link) while there is no connection, while the
// queue is being flushed (unless the sender is an open handler of that very
// link, opener), or while the link is congested.
func (c *Client) admit(f frame, t string, p *pending, opener *link) (*link, error) {
	c.mu.Lock()
	if c.life == nil || c.life.ctx.Err() != nil {
		err := c.stoppedErrLocked()
		c.mu.Unlock()
		return nil, err
	}
	l := c.link
	if l == nil || c.flushing && opener != l {
		err := c.enqueueLocked(queued{frame: f, t: t, p: p, at: c.now()})
		expired := c.expireLocked()
		lf := c.life
		c.mu.Unlock()
		c.reportExpired(lf, expired)
		return nil, err
	}
	if p != nil {
		p.link = l
	}
	c.mu.Unlock()
	return l, nil
}

// send writes a frame now when a connection is open and flushed, and queues
// it otherwise. A frame whose write fails goes to the next connection
// (queued, or at once if that one is already open and flushed), except a
// request's, which fails with ErrConnectionLost: it may have reached the
// peer and is never sent twice.
//
// When another sender is writing on the same connection, the frame is
// handed to that writer and send returns at once; the writer deals with a
// failed write the same way, and reports what it cannot requeue.
func (c *Client) send(ctx context.Context, f frame, t string, p *pending) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	opener, _ := ctx.Value(openKey{}).(*link)
	l, err := c.admit(f, t, p, opener)
	if l == nil || err != nil {
		return err
	}
	l.wmu.Lock()
	if l.writing {
		l.handed = append(l.handed, outFrame{f: f, t: t, p: p})
		l.wmu.Unlock()
		return nil
	}
	l.writing = true
	l.wmu.Unlock()
	err = c.writeFrame(l.wctx, l, f, t, p)
	if err != nil {
		err = c.writeFailed(l, outFrame{f: f, t: t, p: p})
	}
	c.writeHanded(l)
	return err
}

// writeHanded writes the frames other senders handed over while this one
// was writing, until there are none, and then gives up the writer's role.
func (c *Client) writeHanded(l *link) {
	for {
		l.wmu.Lock()
		batch := l.handed
		if len(batch) == 0 {
			l.writing = false
			l.wmu.Unlock()
			return
		}
		l.handed, l.spare = l.spare[:0], nil
		l.wmu.Unlock()
		for i, it := range batch {
			if err := c.writeFrame(l.wctx, l, it.f, it.t, it.p); err != nil {
				// The sender has gone; tell OnError about an event that
				// could not be queued again (a request's caller hears
				// through its reply).
				if err := c.writeFailed(l, it); err != nil && it.p == nil {
					c.dropped.Add(1)
					c.report(l.lf, &DiscardedError{Count: 1, Err: err})
				}
			}
			batch[i] = outFrame{}
		}
		l.wmu.Lock()
		l.spare = batch[:0]
		l.wmu.Unlock()
	}
}

// writeFailed deals with a frame whose write failed: a request fails with
// ErrConnectionLost (through its reply channel too, for a handed one), an
// event goes back to the queue for the next connection. The error returned
// is the sender's, if it is still there to hear it.
func (c *Client) writeFailed(l *link, it outFrame) error {
	if it.p != nil {
		if p := c.takePending(it.p.id); p != nil {
			p.settle(reply{err: ErrConnectionLost})
		}
		return ErrConnectionLost
	}
	c.mu.Lock()
	if c.life == nil {
		defer c.mu.Unlock()
		return c.stoppedErrLocked()
	}
	if c.link != nil && c.link != l && !c.flushing {
		// A new connection replaced l and flushed the queue while this
		// write was failing: queued now, the frame would wait for the
		// next reconnect while later sends overtake it.
		c.mu.Unlock()
		return c.send(context.Background(), it.f, it.t, nil)
	}
	defer c.mu.Unlock()
	return c.enqueueLocked(queued{frame: it.f, t: it.t, at: c.now()})
}

func (c *Client) stoppedErrLocked() error {
	if c.err != nil {
		return c.err
	}
	return ErrClosed
}

func (c *Client) enqueueLocked(it queued) error {
	q := c.opts.Queue
	switch {
	case q.Limit < 0:
		return ErrNotConnected
	case c.queue.len() >= q.Limit, q.Bytes >= 0 && c.queue.bytes+it.size > q.Bytes:
		return ErrQueueFull
	}
	c.queue.push(it)
	return nil
}

// expireLocked removes queued messages older than Queue.MaxAge; expired
// requests fail at once.
func (c *Client) expireLocked() []queued {
	maxAge := c.opts.Queue.MaxAge
	if maxAge <= 0 {
		return nil
	}
	now := c.now()
	var out []queued
	for {
		it, ok := c.queue.peek()
		if !ok || now-it.at < maxAge {
			return out
		}
		c.queue.pop()
		if it.p != nil {
			delete(c.pending, it.p.id)
		}
		out = append(out, it)
	}
}

func (c *Client) reportExpired(lf *life, items []queued) {
	if len(items) == 0 {
		return
	}
	now := c.now()
	for _, it := range items {
		err := &ExpiredError{Type: it.t, Age: time.Duration(now - it.at)}
		c.release(it.frame)
		if it.p != nil {
			it.p.settle(reply{err: err})
			continue
		}
		c.dropped.Add(1)
		c.report(lf, err)
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
func (c *Client) request(ctx context.Context, t string, data []byte) ([]byte, error) {
	ctx, cancel := c.requestContext(ctx)
	defer cancel()
	p := &pending{ch: make(chan reply, 1)}
	if err := c.begin(ctx, t, data, p); err != nil {
		return nil, err
	}
	select {
	case r := <-p.ch:
		return r.data, r.err
	case <-ctx.Done():
		c.forget(p)
		return nil, requestCtxErr(ctx)
	}
}

// requestContext applies RequestTimeout to a context without a deadline.
func (c *Client) requestContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); !ok && c.opts.RequestTimeout > 0 {
		return context.WithTimeout(ctx, c.opts.RequestTimeout)
	}
	return ctx, func() {}
}

func requestCtxErr(ctx context.Context) error {
	if ctx.Err() == context.DeadlineExceeded {
		return timeoutError{ctx.Err()}
	}
	return ctx.Err()
}

// begin registers p as request t and sends it.
func (c *Client) begin(ctx context.Context, t string, data []byte, p *pending) error {
	p.t = t
	c.mu.Lock()
	c.nextID++
	p.id = c.nextID
	c.pending[p.id] = p
	c.mu.Unlock()
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
func (c *Client) start(ctx context.Context, t string, data []byte, done func(reply)) {
	ctx, cancel := c.requestContext(ctx)
	var (
		mu       sync.Mutex
		stop     func() bool
		finished bool
	)
	finish := func(r reply) {
		mu.Lock()
		if finished {
			mu.Unlock()
			return
		}
		finished = true
		s := stop
		mu.Unlock()
		if s != nil {
			s()
		}
		cancel()
		done(r)
	}
	p := &pending{fin: finish}
	if err := c.begin(ctx, t, data, p); err != nil {
		finish(reply{err: err})
		return
	}
	mu.Lock()
	defer mu.Unlock()
	if finished {
		return
	}
	stop = context.AfterFunc(ctx, func() {
		if c.takePending(p.id) == nil {
			return // settled meanwhile
		}
		c.unqueue(p)
		finish(reply{err: requestCtxErr(ctx)})
	})
}

// forget drops a request the caller no longer waits for, taking it out of
// the queue too so that it is never sent late.
func (c *Client) forget(p *pending) {
	c.mu.Lock()
	delete(c.pending, p.id)
	c.mu.Unlock()
	c.unqueue(p)
}

// unqueue takes request p out of the queue; false if it was not there.
func (c *Client) unqueue(p *pending) bool {
	c.mu.Lock()
	it, queuedStill := c.queue.remove(p)
	c.mu.Unlock()
	if queuedStill {
		c.release(it.frame)
	}
	return queuedStill
}

// release lets go of a frame that will never be sent.
func (c *Client) release(f frame) {
	if f.ref > 0 && c.releaseRef != nil {
		c.releaseRef(f.ref)
	}
}

// settle delivers a reply to the request it answers; it returns false for
// a reply nobody waits for (the request timed out, or a duplicate).
func (c *Client) settle(l *link, e envelope, now int64) bool {
	p := c.takePending(e.Re)
	if p == nil {
		return false
	}
	c.confirmReply(l, p, now)
	if e.Error != nil {
		p.settle(reply{err: decodeRemoteError(p.t, e.Error)})
		return true
	}
	p.settle(reply{data: e.Data})
	return true
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
