package sdk

import (
	"context"
	"time"
)

// pending is a request waiting for its reply.
type pending struct {
	id   int64
	t    string
	ch   chan reply // buffered: settle never blocks; nil for external requests
	link *link      // the connection it was written to; nil while queued
	// ext is set for requests made by the JavaScript API: JavaScript holds
	// the promise, Go only correlates and fails it.
	ext func(err error)
}

type reply struct {
	data []byte
	err  error
}

func (p *pending) settle(r reply) {
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

// writeFrame writes one frame on l and counts it.
func (c *Client) writeFrame(ctx context.Context, l *link, f frame) error {
	if err := l.conn.write(ctx, f); err != nil {
		return err
	}
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
// it otherwise. A frame whose write fails is queued for the next
// connection, except a request's, which fails with ErrConnectionLost: it
// may have reached the peer and is never sent twice.
func (c *Client) send(ctx context.Context, f frame, t string, p *pending) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	opener, _ := ctx.Value(openKey{}).(*link)
	l, err := c.admit(f, t, p, opener)
	if l == nil || err != nil {
		return err
	}
	if err := c.writeFrame(l.ctx, l, f); err != nil {
		if p != nil {
			return ErrConnectionLost
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.life == nil {
			return c.stoppedErrLocked()
		}
		return c.enqueueLocked(queued{frame: f, t: t, at: c.now()})
	}
	return nil
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
	if _, ok := ctx.Deadline(); !ok && c.opts.RequestTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.RequestTimeout)
		defer cancel()
	}
	p := &pending{t: t, ch: make(chan reply, 1)}
	c.mu.Lock()
	c.nextID++
	p.id = c.nextID
	c.pending[p.id] = p
	c.mu.Unlock()
	f := bytesFrame(MessageText, appendEnvelope(nil, t, "id", p.id, "data", data))
	if err := c.send(ctx, f, t, p); err != nil {
		c.forget(p)
		return nil, err
	}
	select {
	case r := <-p.ch:
		return r.data, r.err
	case <-ctx.Done():
		c.forget(p)
		if ctx.Err() == context.DeadlineExceeded {
			return nil, timeoutError{ctx.Err()}
		}
		return nil, ctx.Err()
	}
}

// forget drops a request the caller no longer waits for, taking it out of
// the queue too so that it is never sent late.
func (c *Client) forget(p *pending) {
	c.mu.Lock()
	delete(c.pending, p.id)
	it, queuedStill := c.queue.remove(p)
	c.mu.Unlock()
	if queuedStill {
		c.release(it.frame)
	}
}

// release lets go of a frame that will never be sent.
func (c *Client) release(f frame) {
	if f.ref > 0 && c.releaseRef != nil {
		c.releaseRef(f.ref)
	}
}

// settle delivers a reply to the request it answers. A reply nobody waits
// for any more (the request timed out) is ignored.
func (c *Client) settle(e envelope) {
	p := c.takePending(e.Re)
	if p == nil {
		return
	}
	if e.Error != nil {
		p.settle(reply{err: decodeRemoteError(p.t, e.Error)})
		return
	}
	p.settle(reply{data: e.Data})
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

// decodeRemoteError reads {"code":..,"message":..} with the envelope
// scanner's primitives, so that the core needs no encoding/json.
func decodeRemoteError(t string, raw []byte) *RemoteError {
	re := &RemoteError{Type: t, Code: "error"}
	s := scanner{b: raw}
	s.space()
	if !s.eat('{') {
		re.Message = string(raw)
		return re
	}
	for {
		s.space()
		key, ok := s.rawString()
		if !ok {
			return re
		}
		s.space()
		s.eat(':')
		s.space()
		if key == "code" || key == "message" {
			if v, ok := s.stringValue(); ok {
				if key == "code" {
					re.Code = v
				} else {
					re.Message = v
				}
			} else if !s.skipValue() {
				return re
			}
		} else if !s.skipValue() {
			return re
		}
		s.space()
		if !s.eat(',') {
			return re
		}
	}
}
