package sdk

import (
	"github.com/steadyws/steadyws/sdk/internal/wire"
)

// receive is the per-message path of clients whose handlers are Go
// functions: one synchronous decision per inbound frame (route), made on the
// transport's goroutine (native) or inside the JavaScript message event
// (browser). Handlers themselves run later, in order, on the handler
// goroutine. now is c.now() when it arrived.
func (c *Client) receive(l *link, typ MessageType, data []byte, now int64) {
	if !c.arrived(l, len(data), now) {
		return
	}
	var e envelope
	var err error
	if c.enveloped(typ) {
		if validText(data) {
			e, err = scanEnvelope(data)
		} else {
			err = malformedText(data, "text frame is not valid UTF-8")
		}
	}
	switch r := c.route(l, typ, e, err, len(data), now); r.act {
	case actRaw:
		c.dispatchRaw(l.lf, typ, data)
	case actReply:
		r.p.replied(e)
	case actPong:
		c.writeReply(l.wctx, l, bytesFrame(MessageText, wire.PongFrame))
	case actRequest:
		c.serveRequest(l, e, r.request)
	case actEvent:
		c.dispatchEvent(l, e, r.events)
	}
}

// arrived records an inbound message of size bytes that arrived at now
// (c.now()): it counts as life for the heartbeat and in the stats. A
// message over the read limit is reported and dropped (false).
func (c *Client) arrived(l *link, size int, now int64) bool {
	l.lastRecv.Store(now)
	c.msgsIn.Add(1)
	c.bytesIn.Add(int64(size))
	if lim := c.opts.ReadLimit; lim >= 0 && int64(size) > lim {
		c.dropped.Add(1)
		c.report(l.lf, &LimitError{Size: int64(size), Limit: lim})
		return false
	}
	return true
}

// unknownType reports a message whose type has no handler (suggesting the
// closest registered one, from known) and answers a request of that type
// with an "unknown_type" error reply on the connection it came on.
func (c *Client) unknownType(l *link, e envelope, known []string) {
	err := &UnknownTypeError{Type: e.Type, Suggestion: suggest(e.Type, known)}
	c.report(l.lf, err)
	if e.ID > 0 {
		c.writeReply(l.wctx, l, bytesFrame(MessageText, wire.ErrorReply(e.Type, e.ID, "unknown_type", err.Error())))
	}
}

func (c *Client) dispatchRaw(lf *life, typ MessageType, data []byte) {
	c.mu.Lock()
	hs := c.reg.raw.list
	c.mu.Unlock()
	if len(hs) == 0 {
		c.report(lf, &UnhandledFrameError{Frame: typ, Size: len(data)})
	}
	for _, h := range hs {
		c.emit(lf, "raw", func() { h.fn(typ, data) })
	}
}

// dispatchEvent queues event e for its handlers hs.
func (c *Client) dispatchEvent(l *link, e envelope, hs []listener[func(ctxt, []byte)]) {
	ctx, data := l.lf.ctx, e.Data
	c.emit(l.lf, e.Type, func() {
		for _, h := range hs {
			h.fn(ctx, data)
		}
	})
}

// serveRequest answers request e with h on the connection it came on.
func (c *Client) serveRequest(l *link, e envelope, h requestHandler) {
	c.emit(l.lf, e.Type, func() {
		out, err := callRequestHandler(l.ctx, h.fn, e.Data)
		var frame []byte
		if err != nil {
			code, msg := "handler_error", err.Error()
			if re, ok := err.(*RemoteError); ok {
				code, msg = re.Code, re.Message
			}
			frame = wire.ErrorReply(e.Type, e.ID, code, msg)
			c.report(l.lf, &HandlerError{Type: e.Type, Err: err})
		} else {
			frame = wire.Append(nil, e.Type, "re", e.ID, "data", out)
		}
		// The reply belongs to the connection that asked; if it is gone, so
		// is the peer's request.
		c.writeReply(l.wctx, l, bytesFrame(MessageText, frame))
	})
}

func callRequestHandler(ctx ctxt, fn func(ctxt, []byte) ([]byte, error), data []byte) (out []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicError(v)
		}
	}()
	return fn(ctx, data)
}
