//go:build !js

package server

import (
	"context"
	"io"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
	"github.com/steadyws/steadyws/sdk"
	"github.com/steadyws/steadyws/sdk/internal/wire"
)

// CodeTooLarge is the error code of the reply to a request larger than
// Options.ReadLimit.
const CodeTooLarge = "too_large"

// readLoop reads and routes messages until reading fails, or until it
// handed reading to another goroutine (handedOff) while it ran a handler.
func (c *Conn) readLoop() (handedOff bool, err error) {
	limit := c.s.opts.ReadLimit
	for {
		// Not c.ctx: coder/websocket would tie a new child to it for every
		// message. The read ends when the connection is closed, which
		// everything that ends a connection does.
		typ, r, err := c.ws.Reader(context.Background())
		if err != nil {
			return false, err
		}
		c.touch()
		b, size, err := readMessage(r, limit)
		if err != nil {
			return false, err
		}
		if size > limit {
			c.decide()
			c.report(&sdk.LimitError{Size: size, Limit: limit})
			// The head still says whether a request is waiting for an answer.
			if e, err := wire.ScanHead(b); typ == websocket.MessageText && err == nil && e.Kind() == wire.KindRequest {
				_ = c.enqueue(websocket.MessageText, wire.ErrorReply(e.Type, e.ID, CodeTooLarge, "request larger than the server's read limit"))
			}
			continue
		}
		if h := c.s.internal.Read; h != nil {
			h(c, typ, b)
		}
		if c.receive(typ, b) {
			return true, nil
		}
	}
}

// readMessage reads a whole message; past limit it keeps the first limit
// bytes, discards the rest and returns the full size.
func readMessage(r io.Reader, limit int64) ([]byte, int64, error) {
	b := make([]byte, 0, 512)
	for {
		if len(b) == cap(b) {
			if int64(len(b)) > limit {
				n, err := io.Copy(io.Discard, r)
				return b, int64(len(b)) + n, err
			}
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, int64(len(b)), nil
		}
		if err != nil {
			return nil, 0, err
		}
	}
}

// receive routes one message: the protocol's own frames here, the rest to
// the handlers. It is the server's whole frame handling, fuzzed by
// FuzzServerFrames. handedOff is dispatch's.
func (c *Conn) receive(typ websocket.MessageType, b []byte) (handedOff bool) {
	if typ == websocket.MessageBinary {
		c.decide()
		return c.dispatchRaw(typ, b)
	}
	var e wire.Envelope
	var err error
	if !utf8.Valid(b) {
		err = &wire.SyntaxError{Reason: "invalid UTF-8", Prefix: prefix(b)}
	} else {
		e, err = wire.Scan(b)
	}
	if err != nil {
		c.decide()
		if len(c.s.hooks.Load().raw) > 0 {
			return c.dispatchRaw(typ, b)
		}
		se, _ := err.(*wire.SyntaxError)
		c.report(&sdk.MalformedError{Reason: se.Reason, Prefix: redactHello(se.Prefix)})
		return false
	}
	if c.s.opts.Reliable && c.reliableFrame(e) {
		return false
	}
	switch e.Kind() {
	case wire.KindPing:
		_ = c.enqueue(websocket.MessageText, wire.PongFrame)
	case wire.KindPong:
		// Life, counted by touch.
	case wire.KindReply:
		c.settle(e)
	default:
		return c.dispatch(inbound{env: e})
	}
	return false
}

func prefix(b []byte) string {
	if len(b) > 64 {
		b = b[:64]
	}
	return string(b)
}

func (c *Conn) dispatchRaw(typ websocket.MessageType, b []byte) (handedOff bool) {
	if len(c.s.hooks.Load().raw) == 0 {
		c.report(&sdk.UnhandledFrameError{Frame: sdk.MessageBinary, Size: len(b)})
		return false
	}
	return c.dispatch(inbound{typ: typ, raw: b})
}

// dispatch hands in to the connection's handlers, which run one at a time
// in arrival order. While none is running, the read goroutine runs them
// itself, as a hand-written loop would: no goroutine to wake, no inbox.
// Should a handler take longer than handoffDelay (or call Request, whose
// reply must be read), a new goroutine takes reading over, so that pings,
// replies and further messages are still read, and the one in the handler
// runs what arrived meanwhile once it returns and then exits: handedOff
// tells it to stop reading. Otherwise the message waits in the inbox,
// and dispatch waits while that is full.
func (c *Conn) dispatch(in inbound) (handedOff bool) {
	c.mu.Lock()
	if c.draining {
		c.mu.Unlock()
		return false
	}
	for len(c.inbox) >= maxInbox {
		room := make(chan struct{})
		c.room = room
		c.mu.Unlock()
		select {
		case <-room:
		case <-c.ctx.Done():
			return false
		}
		c.mu.Lock()
	}
	if c.running {
		c.inbox = append(c.inbox, in)
		c.mu.Unlock()
		return false
	}
	if c.ctx.Err() != nil {
		c.mu.Unlock()
		return false // ended: what is left is dropped, as run drops it
	}
	c.running, c.inline = true, true
	c.inlines++
	if !c.watching {
		c.watching, c.watched = true, c.inlines
		if c.watch == nil {
			c.watch = time.AfterFunc(handoffDelay, c.watchInline)
		} else {
			c.watch.Reset(handoffDelay)
		}
	}
	c.mu.Unlock()

	c.handle(in)
	c.mu.Lock()
	handedOff = c.handed
	c.inline, c.handed = false, false
	if !handedOff {
		c.running = false // nobody else read: the inbox is empty
	}
	c.mu.Unlock()
	if !handedOff {
		return false
	}
	c.run()
	return true
}

// watchInline looks, every handoffDelay while the read goroutine runs
// handlers itself, whether the one running is the one it saw running last
// time, and then hands reading over: a handler is handed off after one to
// two handoffDelay. The watch stops while the read goroutine runs none,
// and dispatch starts it again. A timer per handler, armed and stopped
// each time, would cost a quick request more than the handler itself.
func (c *Conn) watchInline() {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case !c.inline || c.handed:
		c.watching = false
	case c.inlines == c.watched:
		c.handOffLocked()
		c.watching = false
	default:
		c.watched = c.inlines
		c.watch.Reset(handoffDelay)
	}
}

// handOff moves reading to a new goroutine if the read goroutine is running
// a handler itself (see dispatch); the one in the handler becomes the
// handler runner. watchInline calls it, and Request, since its reply must
// be read.
func (c *Conn) handOff() {
	c.mu.Lock()
	c.handOffLocked()
	c.mu.Unlock()
}

// handOffLocked is handOff with c.mu held.
func (c *Conn) handOffLocked() {
	if !c.inline || c.handed {
		return
	}
	c.handed = true
	c.wg.Add(1)   // the goroutine in the handler, a runner from now on: run calls Done
	c.s.wg.Add(1) // the new reader, which ends the connection when reading fails
	go func() {
		defer c.s.wg.Done()
		c.read()
	}()
}

// run calls the handlers for the inbox, one message at a time, and exits
// when it is empty (an idle connection has no handler goroutine) or the
// connection ended (what is left is dropped).
func (c *Conn) run() {
	defer c.wg.Done()
	for {
		c.mu.Lock()
		if len(c.inbox) == 0 || c.ctx.Err() != nil {
			c.running = false
			c.inbox = nil
			c.mu.Unlock()
			return
		}
		in := c.inbox[0]
		c.inbox[0] = inbound{}
		c.inbox = c.inbox[1:]
		if c.room != nil {
			close(c.room)
			c.room = nil
		}
		c.mu.Unlock()
		c.handle(in)
	}
}
