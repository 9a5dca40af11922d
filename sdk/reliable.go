package sdk

import (
	"errors"
	"sync"
	"sync/atomic"

	"github.com/steadyws/steadyws/sdk/internal/reliable"
	"github.com/steadyws/steadyws/sdk/internal/wire"
)

// Reliable mode, the client's half (Options.Reliable; "Reliable mode" in
// the README): the $hello that starts every connection (hello, welcome),
// numbering events as they are written and keeping them until the server
// acknowledges them (number, takeAck), writing the kept ones again after
// the open handlers (resume), the window they count against (window), and
// inbound numbers: dedup, gaps, paced acknowledgements (accept, writeAck).
// The bookkeeping itself is sdk/internal/reliable, shared with sdk/server.

// session is a reliable client's session. It outlives connections and
// Reconnect.
type session struct {
	// id is a secret: whoever has it can resume the session. It is never
	// put in an error, a log or Stats.
	id string

	mu   sync.Mutex
	send reliable.Sender
	recv reliable.Receiver
	// link is the connection events are numbered on: set at its resume
	// (after the open handlers), cleared when it ends, so that a writer
	// still busy on an old connection never numbers an event after the
	// next connection has resent what was kept.
	link *link
	// had: a $hello was answered once, so resumed:false means the server
	// lost the session.
	had bool
	// kept, when set, holds the kept events' text (the JavaScript API's
	// strings stay in JavaScript); otherwise it is reliable.Event.Frame.
	kept keptText

	resent, restarts atomic.Int64
}

// keptText is where the JavaScript API keeps the text of the events its
// session keeps (jsapi_js.go).
type keptText interface {
	acked(seq int64)                            // the server acknowledged every event up to seq
	forget()                                    // the session is gone
	resend(l *link, evs []reliable.Event) error // write evs again on l, in order
}

func newSession() *session {
	var b [16]byte
	sessionRandom(b[:])
	return &session{id: base64URL(b[:])}
}

// base64URL is base64url without padding (RFC 4648, 5): encoding/base64
// would weigh on the browser build for 22 characters.
func base64URL(b []byte) string {
	const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	out := make([]byte, 0, (len(b)*8+5)/6)
	var acc uint32
	bits := 0
	for _, x := range b {
		acc = acc<<8 | uint32(x)
		bits += 8
		for bits >= 6 {
			bits -= 6
			out = append(out, abc[acc>>bits&63])
		}
	}
	if bits > 0 {
		out = append(out, abc[acc<<(6-bits)&63])
	}
	return string(out)
}

// errHelloEnded: the connection ended before the $hello reply.
var errHelloEnded = errors.New("steadyws: connection ended before the $hello reply")

// hello starts reliable mode on the new connection l: it sends the $hello
// request and waits, within ctx (the attempt's ConnectTimeout), for its
// reply, which welcome takes on the transport's goroutine before any later
// frame is routed.
func (c *Client) hello(ctx ctxt, l *link) error {
	s := c.rel
	done := make(chan error, 1)
	p := &pending{t: wire.TypeHello, link: l, fin: func(r reply) {
		done <- c.welcome(l, r)
		wakeups.Add(1) // in the browser, an export then lets this goroutine run
	}}
	c.addPending(p)
	s.mu.Lock()
	ack := s.recv.Last()
	s.mu.Unlock()
	f := wire.Append(nil, wire.TypeHello, "id", p.id, "data", wire.AppendHello(nil, s.id, ack))
	err := c.writeReply(ctx, l, bytesFrame(MessageText, f))
	if err == nil {
		select {
		case err = <-done:
			if err == nil {
				return nil
			}
		case <-l.done:
			err = errHelloEnded
			if l.info.Err != nil {
				err = l.info.Err
			}
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	c.takePending(p.id)
	if err == ErrReliableUnsupported {
		l.conn.close(1000, "")
	} else {
		l.conn.abort()
	}
	c.waitEnded(l)
	return err
}

// welcome takes the reply to the $hello: a resumed session drops what the
// server acknowledged; a session the server no longer holds restarts from
// 1 in both directions, reported as a *SessionLostError unless nothing
// was unacknowledged either way.
func (c *Client) welcome(l *link, r reply) error {
	if r.err != nil {
		if re, ok := r.err.(*RemoteError); ok && re.Code == "unknown_type" {
			return ErrReliableUnsupported
		}
		return r.err
	}
	ack, resumed, err := wire.ScanWelcome(r.data)
	if err != nil {
		return malformedText(r.data, err.Error())
	}
	s := c.rel
	var lost *SessionLostError
	s.mu.Lock()
	switch {
	case resumed:
		if s.send.Ack(ack, nil) != nil {
			s.mu.Unlock()
			return malformedText(r.data, "the $hello reply acknowledges an event never sent")
		}
		if s.kept != nil {
			s.kept.acked(ack)
		}
		s.recv.Resumed()
	case s.had:
		settled := s.send.Len() == 0 && s.recv.Settled()
		evs := s.send.Reset()
		s.recv.Reset()
		if s.kept != nil {
			s.kept.forget()
		}
		s.restarts.Add(1)
		if !settled {
			lost = &SessionLostError{Count: len(evs), Types: eventTypes(evs)}
		}
	}
	s.had = true
	s.mu.Unlock()
	if lost != nil {
		c.report(l.lf, lost)
	}
	return nil
}

func eventTypes(evs []reliable.Event) []string {
	var ts []string
	for _, e := range evs {
		if !contains(ts, e.Type) {
			ts = append(ts, e.Type)
		}
	}
	return ts
}

// resume makes l the connection events are numbered on and writes again,
// in order and with their numbers, the events the server has not
// acknowledged. It runs after the open handlers and before the queue is
// flushed; sends meanwhile wait in the queue.
func (c *Client) resume(l *link) bool {
	s := c.rel
	if s == nil {
		return true
	}
	s.mu.Lock()
	s.link = l
	evs := append([]reliable.Event(nil), s.send.Unacked()...)
	s.mu.Unlock()
	if len(evs) == 0 {
		return true
	}
	if l.lockWrite(l.wctx) != nil {
		return false
	}
	defer l.unlockWrite()
	if s.kept != nil {
		if err := s.kept.resend(l, evs); err != nil {
			l.broken = true
			return false
		}
		for _, ev := range evs {
			c.sent(l, ev.Type, ev.Size, false)
		}
		s.resent.Add(int64(len(evs)))
		return true
	}
	for _, ev := range evs {
		if err := l.conn.write(l.wctx, bytesFrame(MessageText, ev.Frame)); err != nil {
			l.broken = true
			return false
		}
		s.resent.Add(1)
		c.sent(l, ev.Type, ev.Size, false)
	}
	return true
}

// detach ends numbering on l, which has ended.
func (c *Client) detach(l *link) {
	if s := c.rel; s != nil {
		s.mu.Lock()
		if s.link == l {
			s.link = nil
		}
		s.mu.Unlock()
	}
}

// number gives f, a reliable-mode event of type t about to be written on
// l (under its write lock), the next number, and keeps it until the server
// acknowledges it. It reports false when events are not numbered on l (it
// ended): the frame then goes back to the queue, unnumbered.
func (c *Client) number(l *link, f *frame, t string) bool {
	s := c.rel
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.link != l {
		return false
	}
	seq, err := s.send.Next()
	if err != nil {
		return false
	}
	f.seq = seq
	ev := reliable.Event{Seq: seq, Type: t, Size: f.size}
	if f.ref == 0 {
		f.data = wire.AppendEvent(nil, t, seq, f.data)
		f.size = len(f.data)
		ev.Frame, ev.Size = f.data, f.size
	}
	s.send.Keep(ev)
	return true
}

// eventOverhead is what the envelope adds to an event's data, for the
// queue's byte count before the event is numbered.
const eventOverhead = len(`{"type":"","seq":,"data":}`) + 4

// window refuses a numbered event of size bytes when the kept and queued
// events (qlen, qbytes) already fill Queue.Limit or Queue.Bytes.
func (c *Client) window(qlen, qbytes, size int) error {
	s := c.rel
	s.mu.Lock()
	n, b := s.send.Len(), s.send.Bytes()
	s.mu.Unlock()
	q := c.opts.Queue
	if q.Limit >= 0 && qlen+n >= q.Limit || q.Bytes >= 0 && qbytes+b+size > q.Bytes {
		return ErrQueueFull
	}
	return nil
}

// takeAck releases the events the server acknowledged, up to seq. An
// acknowledgement of an event never sent breaks the connection.
func (c *Client) takeAck(l *link, seq int64) {
	s := c.rel
	s.mu.Lock()
	err := s.send.Ack(seq, nil)
	if err == nil && s.kept != nil {
		s.kept.acked(seq)
	}
	s.mu.Unlock()
	if err != nil {
		c.report(l.lf, &MalformedError{Reason: "$ack of an event never sent", Prefix: string(wire.AppendAck(nil, seq))})
		l.conn.abort()
	}
}

// accept judges inbound event number seq: the next one is delivered (and
// its acknowledgement planned), one seen before is dropped, and a gap
// breaks the connection, which the resume mends.
func (c *Client) accept(l *link, seq int64, size int, now int64) bool {
	s := c.rel
	s.mu.Lock()
	v, ackNow := s.recv.Accept(seq, size, now)
	first := s.recv.Waiting() == 1
	s.mu.Unlock()
	switch v {
	case reliable.Deliver:
		if ackNow || first {
			wakeups.Add(1) // the browser's exports then let the supervisor run
			signal(l.ack)
		}
		return true
	case reliable.Gap:
		l.conn.abort()
	}
	return false
}

// writeAck writes the acknowledgement when it is due and returns how long
// until one will be (0: none is).
func (c *Client) writeAck(l *link) duration {
	s := c.rel
	if s == nil {
		return 0
	}
	for {
		s.mu.Lock()
		seq, due, wait := s.recv.AckDue(int64(c.now()))
		s.mu.Unlock()
		if !due {
			return duration(wait)
		}
		if c.writeReply(l.wctx, l, bytesFrame(MessageText, wire.AppendAck(nil, seq))) != nil {
			return 0
		}
		s.mu.Lock()
		s.recv.Acked(seq)
		s.mu.Unlock()
	}
}

// reserved refuses a handler for a type reserved for the protocol.
func (c *Client) reserved(t string) bool {
	if !wire.Reserved(t) {
		return false
	}
	c.reportCurrent(&ReservedTypeError{Type: t})
	return true
}

// sendEvent sends an event of type t with JSON data: numbered in reliable
// mode, except from an open handler (what it sends belongs to its
// connection).
func (c *Client) sendEvent(ctx ctxt, t string, data []byte) error {
	if wire.Reserved(t) {
		return &ReservedTypeError{Type: t}
	}
	if c.rel != nil && ctx.Value(openKey{}) == nil {
		return c.send(ctx, frame{typ: MessageText, data: data, size: len(t) + len(data) + eventOverhead, numbered: true}, t, nil)
	}
	return c.send(ctx, bytesFrame(MessageText, wire.Append(nil, t, "", 0, "data", data)), t, nil)
}

// reportCurrent reports err through OnError on the running life, if any.
func (c *Client) reportCurrent(err error) {
	c.mu.Lock()
	lf := c.life
	c.mu.Unlock()
	if lf != nil {
		c.report(lf, err)
	}
}
