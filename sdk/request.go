package sdk

import "github.com/steadyws/steadyws/sdk/internal/wire"

// Requests: the pending table, begin (register and send), and how a reply
// or a failure settles them; the Go API's request and start wait for them
// (gorequest.go). route (route.go) correlates replies.

// pending is a request waiting for its reply.
type pending struct {
	id   int64
	t    string
	link *link  // the connection it was written to; nil while queued
	mark uint64 // the link's ledger number when it was written (guarded by the ledger's lock)
	// Who gets the outcome: g, the request Go started that p belongs to
	// (start, gorequest.go), or else fin: the JavaScript API's requests,
	// whose replies JavaScript resolves itself (route only correlates
	// them), so that fin hears of failures only, and reliable mode's
	// $hello.
	g   *goReq
	fin func(r reply)
}

type reply struct {
	data []byte
	err  error
}

func (p *pending) settle(r reply) {
	if p.settleStarted(r) {
		return
	}
	if p.fin != nil {
		p.fin(r)
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
