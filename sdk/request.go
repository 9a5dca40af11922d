package sdk

import (
	"context"
	"sync"

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
