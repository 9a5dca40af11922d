//go:build !js

package server

import (
	"context"
	"io"
	"unicode/utf8"

	"github.com/coder/websocket"
	"github.com/steadyws/steadyws/sdk"
	"github.com/steadyws/steadyws/sdk/internal/wire"
)

// CodeTooLarge is the error code of the reply to a request larger than
// Options.ReadLimit.
const CodeTooLarge = "too_large"

func (c *Conn) readLoop() error {
	limit := c.s.opts.ReadLimit
	for {
		// Not c.ctx: coder/websocket would tie a new child to it for every
		// message. The read ends when the connection is closed, which
		// everything that ends a connection does.
		typ, r, err := c.ws.Reader(context.Background())
		if err != nil {
			return err
		}
		c.touch()
		b, size, err := readMessage(r, limit)
		if err != nil {
			return err
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
		c.receive(typ, b)
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
// FuzzServerFrames.
func (c *Conn) receive(typ websocket.MessageType, b []byte) {
	if typ == websocket.MessageBinary {
		c.decide()
		c.dispatchRaw(typ, b)
		return
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
			c.dispatchRaw(typ, b)
			return
		}
		se, _ := err.(*wire.SyntaxError)
		c.report(&sdk.MalformedError{Reason: se.Reason, Prefix: redactHello(se.Prefix)})
		return
	}
	if c.s.opts.Reliable && c.reliableFrame(e) {
		return
	}
	switch e.Kind() {
	case wire.KindPing:
		_ = c.enqueue(websocket.MessageText, wire.PongFrame)
	case wire.KindPong:
		// Life, counted by touch.
	case wire.KindReply:
		c.settle(e)
	default:
		c.dispatch(inbound{env: e})
	}
}

func prefix(b []byte) string {
	if len(b) > 64 {
		b = b[:64]
	}
	return string(b)
}

func (c *Conn) dispatchRaw(typ websocket.MessageType, b []byte) {
	if len(c.s.hooks.Load().raw) == 0 {
		c.report(&sdk.UnhandledFrameError{Frame: sdk.MessageBinary, Size: len(b)})
		return
	}
	c.dispatch(inbound{typ: typ, raw: b})
}

// dispatch hands in to the connection's handler runner, starting it if it
// is idle, and waits while the inbox is full.
func (c *Conn) dispatch(in inbound) {
	c.mu.Lock()
	if c.draining {
		c.mu.Unlock()
		return
	}
	for len(c.inbox) >= maxInbox {
		room := make(chan struct{})
		c.room = room
		c.mu.Unlock()
		select {
		case <-room:
		case <-c.ctx.Done():
			return
		}
		c.mu.Lock()
	}
	c.inbox = append(c.inbox, in)
	if !c.running {
		c.running = true
		c.wg.Add(1)
		go c.run()
	}
	c.mu.Unlock()
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
