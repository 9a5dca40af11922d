//go:build !js

package testserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// DropAll closes every connection abruptly, without a close frame, so clients
// see 1006. Silenced connections are dropped too.
func (s *Server) DropAll() {
	s.waitHandshakes()
	s.mu.Lock()
	conns := s.conns
	s.conns = nil
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.c.CloseNow()
	}
	if reliableHooks.drop != nil {
		reliableHooks.drop(s)
	}
}

// CloseAll sends a close frame with code and reason to every connection,
// after the frames already queued for it, and returns when every close
// handshake is over (at most about 5 s for a client that does not answer).
// Silenced connections are left alone: they send nothing, not even a close
// frame. A code sdk/server may not send (1004-1006, 1015-2999) closes
// nothing.
func (s *Server) CloseAll(code int, reason string) {
	var wg sync.WaitGroup
	for _, c := range s.snapshot(true) {
		if c.c.Close(code, reason) != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTimer(closeWait)
			defer t.Stop()
			select {
			case <-c.c.Context().Done():
			case <-t.C:
			}
			s.unregister(c.c)
		}()
	}
	wg.Wait()
}

// RejectHandshake answers every new /ws handshake with status and a short
// text body; 0 accepts handshakes again. A status outside 200-599 is sent
// as 500.
func (s *Server) RejectHandshake(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject = status
}

// Silent(true) makes the server half-open: every connection, open or new,
// stays open but nothing it receives is read (WebSocket pings and close
// frames included) and nothing is written to it. New TCP connections are
// silenced before the HTTP handshake, so a dial hangs until the client gives
// up and is not counted in Attempts. Silent(false) only affects connections
// opened afterwards; silenced ones stay dead until dropped.
func (s *Server) Silent(on bool) {
	s.mu.Lock()
	s.silent = on
	s.mu.Unlock()
	if on {
		for _, c := range s.snapshot(false) {
			c.gate.silenced.Store(true)
		}
	}
}

// AcceptThenClose completes every new handshake (counted by Accepted), then
// closes the connection at once with code and an empty reason. 0 turns it off.
func (s *Server) AcceptThenClose(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.storm = code
}

// SetDelay makes the server read what arrives on every WebSocket connection
// d after its arrival, in order, so that every answer to a client frame
// (replies, echoes, pongs, error events, drop and close, and the answer to
// a close frame) leaves d late. Frames the server sends of its own accord
// (Broadcast, Request) are not delayed. 0 means no delay.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Broadcast queues frame as a text frame to every open connection that is
// not silenced, after the frames already queued for it.
func (s *Server) Broadcast(frame string) {
	s.broadcast(websocket.MessageText, []byte(frame))
}

// BroadcastBinary sends b as a binary frame to every open connection that is
// not silenced.
func (s *Server) BroadcastBinary(b []byte) {
	s.broadcast(websocket.MessageBinary, b)
}

func (s *Server) broadcast(typ websocket.MessageType, b []byte) {
	for _, c := range s.snapshot(true) {
		if typ == websocket.MessageBinary {
			_ = c.c.SendBinary(s.ctx, b)
		} else {
			_ = c.c.SendText(s.ctx, string(b))
		}
	}
}

// Request sends the request {"type":typ,"id":N,"data":data} to the oldest
// open connection and returns the data of the client's reply. An error reply
// is returned as a *ReplyError. data may be nil; otherwise it must be valid
// JSON.
func (s *Server) Request(ctx context.Context, typ string, data json.RawMessage) (json.RawMessage, error) {
	for _, c := range s.snapshot(false) {
		if !c.storm {
			return request(ctx, c.c, typ, data)
		}
	}
	return nil, errors.New("testserver: no open connection to send the request to")
}

// Accepted is the number of successful handshakes since Start or Reset.
func (s *Server) Accepted() int {
	s.waitHandshakes()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

// Attempts is the time of every handshake attempt on /ws since Start or
// Reset, accepted or rejected, in order.
func (s *Server) Attempts() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.attempts...)
}

// Conns is the number of connections open now, silenced ones included.
func (s *Server) Conns() int {
	s.waitHandshakes()
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Received is every frame received from clients since Start or Reset, in
// arrival order, except ping and pong. A frame is recorded when the server
// reads it, after SetDelay.
func (s *Server) Received() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.received...)
}

// WaitReceived waits until at least n frames have been received, then returns
// them all. When ctx ends first it returns what arrived and an error.
func (s *Server) WaitReceived(ctx context.Context, n int) ([]Message, error) {
	for {
		s.mu.Lock()
		got, signal := len(s.received), s.recvSignal
		s.mu.Unlock()
		if got >= n {
			return s.Received(), nil
		}
		select {
		case <-signal:
		case <-ctx.Done():
			msgs := s.Received()
			return msgs, fmt.Errorf("testserver: waiting for %d messages, got %d: %w", n, len(msgs), ctx.Err())
		case <-s.ctx.Done():
			return s.Received(), ErrClosed
		}
	}
}

// Reset clears every fault (reject, silent, accept-then-close, delay), the
// Received log, Attempts and Accepted. It does not bring a downed server up
// nor revive silenced connections.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject, s.silent, s.storm, s.delay = 0, false, 0, 0
	s.received, s.attempts, s.accepted = nil, nil, 0
}
