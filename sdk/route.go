package sdk

import (
	"github.com/steadyws/steadyws/sdk/internal/wire"
)

// route is the one decision made for every inbound message, whoever holds
// its handlers: Go functions (receive, natively and in the browser) or the
// JavaScript API (routeHead). It classifies the message once
// ((*wire.Envelope).Kind), correlates a reply with its request, takes a
// pong, finds the handlers, and reports what nobody handles. What the
// decision's act means to each is in jsabi.go.

// routed is route's decision on one inbound message.
type routed struct {
	act     int32                          // what to do with it: actNone, actEvent, ... (jsabi.go)
	p       *pending                       // actReply: the request it answers, no longer pending
	events  []listener[func(ctxt, []byte)] // actEvent: the handlers of its type
	request requestHandler                 // actRequest: the handler of its type
}

// enveloped reports whether frames of type typ carry an envelope: text
// frames, unless Options.Raw.
func (c *Client) enveloped(typ MessageType) bool { return typ == MessageText && !c.opts.Raw }

// route decides what becomes of an inbound message that arrived on l at
// now (see arrived), size bytes long: its envelope e, or err when it has
// none that scans.
func (c *Client) route(l *link, typ MessageType, e envelope, err error, size int, now int64) routed {
	if !c.enveloped(typ) {
		return routed{act: actRaw}
	}
	if err != nil {
		c.report(l.lf, err)
		return routed{}
	}
	kind := e.Kind()
	if c.rel != nil && kind == wire.KindEvent {
		// Reliable mode's numbers (reliable.go): an $ack is taken here; a
		// numbered event is delivered once, in order.
		if e.Type == wire.TypeAck {
			c.takeAck(l, e.Seq)
			return routed{}
		}
		if e.Seq > 0 && !c.accept(l, e.Seq, size, now) {
			return routed{}
		}
	}
	switch kind {
	case wire.KindReply:
		p := c.takePending(e.Re)
		if p == nil {
			if !c.lateReply(e.Re) {
				c.report(l.lf, &UnexpectedReplyError{Type: e.Type, Re: e.Re})
			}
			return routed{}
		}
		c.confirmReply(l, p, now)
		if p.t == wire.TypeHello {
			// Reliable mode's $hello is the core's own request, whoever
			// holds the handlers: its reply is taken here (welcome).
			p.replied(e)
			return routed{}
		}
		return routed{act: actReply, p: p}
	case wire.KindPing:
		return routed{act: actPong}
	case wire.KindPong:
		c.pong(l, now)
		return routed{}
	}
	var r routed
	c.mu.Lock()
	if kind == wire.KindRequest {
		if h, ok := c.reg.requests[e.Type]; ok {
			r = routed{act: actRequest, request: h}
		}
	} else if ls := c.reg.events[e.Type]; ls != nil && len(ls.list) > 0 {
		r = routed{act: actEvent, events: ls.list}
	}
	var known []string
	if r.act == actNone {
		known = c.knownTypesLocked()
	}
	c.mu.Unlock()
	if r.act == actNone {
		c.unknownType(l, e, known)
	}
	return r
}

// routeHead is route for the JavaScript API, whose messages stay in
// JavaScript: it reads type, id and re from the head of the message (the
// whole message unless how is routeHeadOnly) and returns what JavaScript
// should do with the string it holds. size is the whole message's size.
// routeReexamine routes a message again, whole, that a head routed as an
// event although JavaScript found id or re after data; it was counted then.
// now is c.now() when the message arrived.
func (l *link) routeHead(typ MessageType, head []byte, size int, how int32, now int64) int32 {
	c := l.c
	var e envelope
	var err error
	if c.enveloped(typ) {
		if how != routeHeadOnly {
			e, err = scanEnvelope(head)
		} else if e, err = scanHead(head); err != nil || e.ID == 0 && e.Re == 0 && !c.eventHandled(e.Type) || wire.Reserved(e.Type) {
			// A head with neither id nor re may belong to a request or a
			// reply whose id or re comes after data: only an event with a
			// handler is routed without the whole message. The protocol's
			// own frames ($hello's reply) are read whole.
			return actFull
		}
	}
	if how == routeReexamine {
		return c.route(l, typ, e, err, size, now).act
	}
	if !c.arrived(l, size, now) {
		return actNone
	}
	return c.route(l, typ, e, err, size, now).act
}

// eventHandled reports whether events of type t have handlers.
func (c *Client) eventHandled(t string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	ls := c.reg.events[t]
	return ls != nil && len(ls.list) > 0
}
