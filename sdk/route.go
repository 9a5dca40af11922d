package sdk

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
		} else if e, err = scanHead(head); err != nil || e.ID == 0 && e.Re == 0 && !c.eventHandled(e.Type) {
			// A head with neither id nor re may belong to a request or a
			// reply whose id or re comes after data: only an event with a
			// handler is routed without the whole message.
			return actFull
		}
	}
	now, ok := c.arrived(l, size)
	if !ok {
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
		// Go only correlates: JavaScript holds the promise and resolves it.
		p := c.takePending(e.Re)
		if p == nil {
			c.report(l.lf, &UnexpectedReplyError{Type: e.Type, Re: e.Re})
			return actNone
		}
		c.confirmReply(l, p, now)
		return actReply
	case e.ID == 0 && e.Type == "ping":
		return actPong
	case e.ID == 0 && e.Type == "pong":
		c.pong(l, now)
		return actNone
	}
	c.mu.Lock()
	var handled bool
	if e.ID > 0 {
		_, handled = c.reg.requests[e.Type]
	} else if ls := c.reg.events[e.Type]; ls != nil {
		handled = len(ls.list) > 0
	}
	var known []string
	if !handled {
		known = c.knownTypesLocked()
	}
	c.mu.Unlock()
	switch {
	case handled && e.ID > 0:
		return actRequest
	case handled:
		return actEvent
	}
	c.unknownType(l, e, known)
	return actNone
}

// eventHandled reports whether events of type t have handlers.
func (c *Client) eventHandled(t string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	ls := c.reg.events[t]
	return ls != nil && len(ls.list) > 0
}

// scanHead reads type, id and re from the start of a message that goes on
// beyond head. It stops at the first "data" or "error" key once the type is
// known: senders put type, id and re first (as the SDK does), so the head of
// even a large message routes it. Anything else is an error, and the caller
// scans the whole message instead. What comes after data goes unseen: an id
// or re there (route then scans the whole message unless the type has event
// handlers; steadyws.mjs then finds it in the parsed message and settles or
// answers it instead of calling the handlers), or a routing key repeated (JSON.parse, which JavaScript runs
// on the whole message, keeps the last); FuzzScanHead and FuzzRoute check
// that nothing else can tell head and whole message apart.
func scanHead(b []byte) (envelope, error) {
	var e envelope
	s := scanner{b: b}
	s.space()
	if !s.eat('{') {
		return e, s.fail("not a JSON object")
	}
	for {
		s.space()
		key, ok := s.key()
		if !ok {
			return e, s.fail("head too short")
		}
		s.space()
		if !s.eat(':') {
			return e, s.fail("head too short")
		}
		s.space()
		switch string(key) {
		case "type":
			if e.Type, ok = s.stringValue(); !ok {
				return e, s.fail("head too short")
			}
		case "id", "re":
			n, ok := s.positiveInt()
			if !ok || s.i >= len(s.b) {
				return e, s.fail("head too short")
			}
			if string(key) == "id" {
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
