package sdk

import "time"

// Actions route returns to the browser's JavaScript API for one inbound
// message. They are numbers shared with shim.js and steadyws.mjs.
const (
	actNone    = 0 // handled in Go, or dropped and reported
	actEvent   = 1 // JavaScript handlers of the message's type
	actReply   = 2 // settles the request it answers: JavaScript resolves it
	actRequest = 3 // a JavaScript handler answers the request
	actRaw     = 4 // raw handlers
	actPong    = 5 // answer with {"type":"pong"}
	actFull    = 6 // the head was not enough: call again with the whole message
)

// route is the per-message decision for clients whose handlers live in
// JavaScript: it reads type, id and re from the head of the message (the
// whole message when complete) and returns what JavaScript should do with
// the string it holds. size is the whole message's size.
func (c *Client) route(l *link, typ MessageType, head []byte, size int, complete bool) int32 {
	var e envelope
	var err error
	if typ == MessageText && !c.opts.Raw {
		if complete {
			e, err = scanEnvelope(head)
		} else if e, err = scanHead(head); err != nil {
			return actFull
		}
	}
	now := int64(c.now())
	l.lastRecv.Store(now)
	c.msgsIn.Add(1)
	c.bytesIn.Add(int64(size))
	if lim := c.opts.ReadLimit; lim >= 0 && int64(size) > lim {
		c.dropped.Add(1)
		c.report(l.lf, &LimitError{Size: int64(size), Limit: lim})
		return actNone
	}
	if typ != MessageText || c.opts.Raw {
		return actRaw
	}
	if err != nil {
		c.report(l.lf, err)
		return actNone
	}
	switch {
	case e.Re > 0:
		c.mu.Lock()
		p := c.pending[e.Re]
		delete(c.pending, e.Re)
		c.mu.Unlock()
		if p == nil {
			return actNone
		}
		return actReply
	case e.ID == 0 && e.Type == "ping":
		return actPong
	case e.ID == 0 && e.Type == "pong":
		if at := l.pingAt.Swap(0); at != 0 {
			c.mu.Lock()
			c.rtt = time.Duration(now - at)
			c.mu.Unlock()
		}
		return actNone
	}
	c.mu.Lock()
	var ok bool
	if e.ID > 0 {
		_, ok = c.reg.requests[e.Type]
	} else if ls := c.reg.events[e.Type]; ls != nil {
		ok = len(ls.list) > 0
	}
	var known []string
	if !ok {
		known = c.knownTypesLocked()
	}
	c.mu.Unlock()
	switch {
	case ok && e.ID > 0:
		return actRequest
	case ok:
		return actEvent
	}
	uerr := &UnknownTypeError{Type: e.Type, Suggestion: suggest(e.Type, known)}
	c.report(l.lf, uerr)
	if e.ID > 0 {
		c.writeFrame(l.ctx, l, bytesFrame(MessageText, errorReply(e.Type, e.ID, "unknown_type", uerr.Error())))
	}
	return actNone
}

// scanHead reads type, id and re from the start of a message that goes on
// beyond head. It stops at the first "data" or "error" key once the type is
// known: senders put type, id and re first (as the SDK does), so the head of
// even a large message routes it. Anything else is an error, and the caller
// scans the whole message instead.
func scanHead(b []byte) (envelope, error) {
	var e envelope
	s := scanner{b: b}
	s.space()
	if !s.eat('{') {
		return e, s.fail("not a JSON object")
	}
	for {
		s.space()
		key, ok := s.rawString()
		if !ok {
			return e, s.fail("head too short")
		}
		s.space()
		if !s.eat(':') {
			return e, s.fail("head too short")
		}
		s.space()
		switch key {
		case "type":
			if e.Type, ok = s.stringValue(); !ok {
				return e, s.fail("head too short")
			}
		case "id", "re":
			n, ok := s.positiveInt()
			if !ok || s.i >= len(s.b) {
				return e, s.fail("head too short")
			}
			if key == "id" {
				e.ID = n
			} else {
				e.Re = n
			}
		case "data", "error":
			if e.Type == "" || e.ID > 0 && e.Re > 0 {
				return e, s.fail("head too short")
			}
			return e, nil
		default:
			if !s.skipValue() {
				return e, s.fail("head too short")
			}
		}
		s.space()
		if !s.eat(',') {
			return e, s.fail("head too short")
		}
	}
}
