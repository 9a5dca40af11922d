//go:build !js

package server

import (
	"context"

	"github.com/coder/websocket"
	"github.com/steadyws/steadyws/sdk/internal/wire"
)

// Send queues v, encoded as JSON, as an event of type t to c. It does not
// wait for the frame to be written. It returns ErrClosed on a connection
// that has ended and ErrQueueFull when c's queue is full (c is then closed
// with 1013).
func Send(ctx context.Context, c *Conn, t string, v any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := marshal(v)
	if err != nil {
		return err
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
	if len(c.out)+c.inflight >= c.s.opts.SendQueue {
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

func (c *Conn) write(f frame) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.s.opts.WriteTimeout)
	defer cancel()
	return c.ws.Write(ctx, f.typ, f.b)
}

// Broadcast sends v, encoded as JSON, as an event of type t to every open
// connection, through Options.PubSub, and returns how many connections took
// it (in this process; a connection whose queue was full is closed with
// 1013 instead and not counted). It never waits for a slow client. An
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

// deliver queues a published frame to every open connection.
func (s *Server) deliver(frame []byte) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for c := range s.conns {
		if c.enqueue(websocket.MessageText, frame) == nil {
			n++
		}
	}
	return n
}
