//go:build !js

package server

import (
	"context"
	"fmt"
	"time"

	"github.com/coder/websocket"
	"github.com/steadyws/steadyws/sdk/internal/wire"
)

// Send queues v, encoded as JSON, as an event of type t to c. It does not
// wait for the frame to be written. It returns ErrClosed on a connection
// that has ended and ErrQueueFull when c's queue is full (c is then closed
// with 1013).
//
// On a reliable-mode connection (Conn.Reliable) the event goes to c's
// session: it is numbered, kept until the client acknowledges it, and
// written to the connection the session is on, now or at its resume, so
// it still reaches the client after c was dropped or taken over. Send then
// returns ErrClosed only when the session was forgotten, and ErrWindowFull
// when this event forgets it; an ended ctx does not stop it, since a
// handler's context ends with the connection the handler's event came on,
// and that event is already acknowledged: the answer must still go.
func Send(ctx context.Context, c *Conn, t string, v any) error {
	sess := c.rel.sess.Load()
	if err := ctx.Err(); err != nil && sess == nil {
		return err
	}
	data, err := marshal(v)
	if err != nil {
		return err
	}
	if sess != nil {
		return c.s.sendSession(sess, t, data)
	}
	return c.enqueue(websocket.MessageText, wire.Append(nil, t, "", 0, "data", data))
}

// SendText queues a raw text frame, for clients that do not speak the
// envelope. Errors as Send's.
func (c *Conn) SendText(ctx context.Context, s string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return c.enqueue(websocket.MessageText, []byte(s))
}

// SendBinary queues a binary frame; b must not be modified afterwards.
// Errors as Send's.
func (c *Conn) SendBinary(ctx context.Context, b []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return c.enqueue(websocket.MessageBinary, b)
}

// enqueue appends a frame to the outbound queue and starts the writer if
// it is idle. b is shared, never modified: one broadcast frame sits in
// every queue.
func (c *Conn) enqueue(typ websocket.MessageType, b []byte) error {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return ErrClosed
	}
	limit := c.s.opts.SendQueue
	if c.rel.sess.Load() != nil {
		limit += c.s.opts.SessionWindow // kept events are queued again at a resume
	}
	if len(c.out)+c.inflight >= limit {
		c.mu.Unlock()
		c.closeWith(websocket.StatusTryAgainLater, "send queue full", ErrQueueFull)
		return ErrQueueFull
	}
	c.out = append(c.out, frame{typ, b})
	if !c.writing {
		c.writing = true
		c.wg.Add(1)
		go c.writeLoop()
	}
	c.mu.Unlock()
	return nil
}

// reply sends a reply to a request. When nothing is queued or being
// written it writes the reply itself, on the goroutine that ran the
// handler, as a hand-written loop would, instead of waking the writer;
// otherwise the reply goes behind the rest of the queue. Only replies are
// written so: that goroutine runs the connection's handlers, which wait
// for one another anyway, and a write that blocks on a client that stopped
// reading makes reading move on without it (see dispatch), while Send and
// Broadcast must never wait for a client.
func (c *Conn) reply(b []byte) {
	c.mu.Lock()
	if c.writing || c.closing {
		c.mu.Unlock()
		_ = c.enqueue(websocket.MessageText, b)
		return
	}
	c.writing, c.inflight = true, 1 // the queue is empty: writeLoop leaves it so
	c.mu.Unlock()
	if err := c.write(frame{websocket.MessageText, b}); err != nil {
		c.drop(err)
	}
	c.mu.Lock()
	c.inflight = 0
	if len(c.out) == 0 {
		c.writing = false
	} else {
		// Queued meanwhile (Send, Broadcast): the writer's, which may wait.
		c.wg.Add(1)
		go c.writeLoop()
	}
	c.mu.Unlock()
}

// writeLoop writes the queue in batches and exits when it is empty, so an
// idle connection has no writer goroutine.
func (c *Conn) writeLoop() {
	defer c.wg.Done()
	for {
		c.mu.Lock()
		if len(c.out) == 0 {
			c.writing, c.inflight = false, 0
			if cap(c.spare) > 64 {
				c.spare = nil
			}
			c.mu.Unlock()
			return
		}
		batch := c.out
		c.out, c.spare = c.spare[:0], nil
		c.inflight = len(batch)
		c.mu.Unlock()

		for i, f := range batch {
			if err := c.write(f); err != nil {
				c.drop(err)
			}
			batch[i] = frame{}
		}
		c.mu.Lock()
		c.spare = batch[:0]
		c.mu.Unlock()
	}
}

// write writes one frame within Options.WriteTimeout, which watchWrite
// enforces: a context with a timeout, or the socket's write deadline,
// would cost every frame a timer set and stopped (and the context, its
// registration with coder/websocket).
func (c *Conn) write(f frame) error {
	c.writes.Add(1) // odd: writing
	if !c.writeWatching.Load() && c.writeWatching.CompareAndSwap(false, true) {
		c.armWriteWatch()
	}
	err := c.ws.Write(context.Background(), f.typ, f.b)
	c.writes.Add(1)
	return err
}

// writeLooks is how many times watchWrite looks per Options.WriteTimeout:
// a frame is dropped after writing for between 1 and 1+1/writeLooks
// WriteTimeouts.
const writeLooks = 4

func (c *Conn) armWriteWatch() {
	d := max(c.s.opts.WriteTimeout/writeLooks, time.Millisecond)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.writeWatch == nil {
		c.writeWatch = time.AfterFunc(d, c.watchWrite)
	} else {
		c.writeWatch.Reset(d)
	}
}

// watchWrite looks every WriteTimeout/writeLooks while the connection
// writes: when it has seen the same frame being written writeLooks looks
// in a row, the client took longer than WriteTimeout and is dropped. It
// stops after a look at which nothing was written since the last one, and
// write starts it again.
func (c *Conn) watchWrite() {
	n := c.writes.Load()
	c.mu.Lock()
	stuck := n%2 == 1 && n == c.writeSeen
	quiet := n%2 == 0 && n == c.writeSeen
	if stuck {
		c.writeStuck++
	} else {
		c.writeStuck = 0
	}
	timedOut := c.writeStuck >= writeLooks
	c.writeSeen = n
	c.mu.Unlock()
	switch {
	case timedOut:
		c.writeWatching.Store(false)
		c.drop(fmt.Errorf("steadyws/server: writing a frame took longer than Options.WriteTimeout (%v): %w", c.s.opts.WriteTimeout, context.DeadlineExceeded))
		return
	case quiet:
		c.writeWatching.Store(false)
		// A write that began since the Load saw the watch still on.
		if c.writes.Load() == n || !c.writeWatching.CompareAndSwap(false, true) {
			return
		}
	}
	c.armWriteWatch()
}

// Broadcast sends v, encoded as JSON, as an event of type t to every open
// connection, through Options.PubSub, and returns how many connections took
// it (in this process; a connection whose queue was full is closed with
// 1013 instead and not counted). On a reliable server it goes, numbered,
// to every session the server holds, attached or waiting for a resume
// (each counted once), as Send would, and to the connections without a
// session. It never waits for a slow client. An
// encoding or publishing error is reported through OnError.
func Broadcast(ctx context.Context, s *Server, t string, v any) int {
	data, err := marshal(v)
	if err != nil {
		s.report(err)
		return 0
	}
	if s.subErr != nil {
		s.report(s.subErr) // this server never got its own broadcasts
	}
	n, err := s.opts.PubSub.Publish(ctx, BroadcastTopic, wire.Append(nil, t, "", 0, "data", data))
	if err != nil {
		s.report(err)
	}
	return n
}

// deliver queues a published frame to every open connection, and on a
// reliable server to every session it holds.
func (s *Server) deliver(frame []byte) int {
	n := 0
	s.mu.Lock()
	for c := range s.conns {
		if c.rel.ready.Load() && c.rel.sess.Load() == nil && c.enqueue(websocket.MessageText, frame) == nil {
			n++
		}
	}
	s.mu.Unlock()
	if !s.opts.Reliable {
		return n
	}
	sessions := s.heldSessions()
	if len(sessions) == 0 {
		return n
	}
	e, err := wire.Scan(frame)
	if err != nil || e.Kind() != wire.KindEvent {
		return n
	}
	for _, sess := range sessions {
		if s.sendSession(sess, e.Type, e.Data) == nil {
			n++
		}
	}
	return n
}
