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
