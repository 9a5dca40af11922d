package sdk

import (
	"context"
	"time"
)

// pending is a request waiting for its reply.
type pending struct {
	id   int64
	t    string
	ch   chan reply // buffered: settle never blocks
	link *link      // the connection it was written to; nil while queued
}

type reply struct {
	data []byte
	err  error
}

func (p *pending) settle(r reply) {
	select {
	case p.ch <- r:
	default:
	}
}

// writeFrame writes one frame on l and counts it.
func (c *Client) writeFrame(ctx context.Context, l *link, typ MessageType, data []byte) error {
	if err := l.conn.write(ctx, typ, data); err != nil {
		return err
	}
	c.msgsOut.Add(1)
	c.bytesOut.Add(int64(len(data)))
	return nil
}

// send writes a frame now when a connection is open and flushed, and queues
// it otherwise. sent reports which. A frame whose write fails is queued for
// the next connection, except a request's, which fails with
// ErrConnectionLost: it may have reached the peer and is never sent twice.
func (c *Client) send(ctx context.Context, typ MessageType, data []byte, t string, p *pending) (sent bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	c.mu.Lock()
	if c.life == nil {
		err := c.stoppedErrLocked()
		c.mu.Unlock()
		return false, err
	}
	l := c.link
	if l == nil || c.flushing && ctx.Value(openKey{}) != l {
		err := c.enqueueLocked(queued{typ: typ, data: data, t: t, p: p, at: c.now()})
		expired := c.expireLocked()
		lf := c.life
		c.mu.Unlock()
		c.reportExpired(lf, expired)
		return false, err
	}
	if p != nil {
		p.link = l
	}
	c.mu.Unlock()
	if err := c.writeFrame(l.ctx, l, typ, data); err != nil {
		if p != nil {
			return false, ErrConnectionLost
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.life == nil {
			return false, c.stoppedErrLocked()
		}
		return false, c.enqueueLocked(queued{typ: typ, data: data, t: t, at: c.now()})
	}
	return true, nil
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
	case c.queue.len() >= q.Limit, q.Bytes >= 0 && c.queue.bytes+len(it.data) > q.Bytes:
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
	frame := appendEnvelope(nil, t, "id", p.id, "data", data)
	if _, err := c.send(ctx, MessageText, frame, t, p); err != nil {
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
	c.queue.remove(p)
	c.mu.Unlock()
}

// settle delivers a reply to the request it answers. A reply nobody waits
// for any more (the request timed out) is ignored.
func (c *Client) settle(e envelope) {
	c.mu.Lock()
	p := c.pending[e.Re]
	delete(c.pending, e.Re)
	c.mu.Unlock()
	if p == nil {
		return
	}
	if e.Error != nil {
		p.settle(reply{err: decodeRemoteError(p.t, e.Error)})
		return
	}
	p.settle(reply{data: e.Data})
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
