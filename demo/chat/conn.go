package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// conn is one accepted WebSocket connection.
type conn struct {
	s   *Server
	ws  *websocket.Conn
	log *slog.Logger

	ctx    context.Context // ends with the connection
	cancel context.CancelFunc
	out    chan []byte    // frames for writeLoop, in order
	wg     sync.WaitGroup // writeLoop and whoami

	silentMu    sync.Mutex
	silentUntil time.Time

	reqMu   sync.Mutex
	nextReq int64
	pending map[int64]chan envelope // server-to-client requests awaiting replies

	// Guarded by s.mu.
	nick, session, agent string
}

// serveConn runs a connection until it ends.
func (s *Server) serveConn(ws *websocket.Conn, remote string) {
	ctx, cancel := context.WithCancel(s.ctx)
	c := &conn{
		s:       s,
		ws:      ws,
		ctx:     ctx,
		cancel:  cancel,
		out:     make(chan []byte, outBuffer),
		pending: make(map[int64]chan envelope),
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		cancel()
		_ = ws.CloseNow()
		return
	}
	s.nextID++
	c.log = s.log.With("conn", s.nextID)
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	c.log.Info("connected", "remote", remote)

	c.wg.Add(1)
	go c.writeLoop()
	err := c.readLoop()
	c.cancel()
	_ = ws.CloseNow()
	c.wg.Wait()
	nick := s.leave(c)
	why := describeEnd(err)
	s.mu.Lock()
	if s.closed {
		why = "server shut down"
	}
	s.mu.Unlock()
	c.log.Info("disconnected", "nick", nick, "why", why)
}

// readLoop reads and handles frames one at a time, in order, until the
// connection ends; it returns why.
func (c *conn) readLoop() error {
	for {
		if !c.waitWhileSilent() {
			return c.ctx.Err()
		}
		ctx, cancel := context.WithTimeout(c.ctx, idleTimeout)
		typ, r, err := c.ws.Reader(ctx)
		if err != nil {
			cancel()
			return err
		}
		data, err := io.ReadAll(io.LimitReader(r, MaxMessage+1))
		tooBig := len(data) > MaxMessage
		if err == nil && tooBig {
			// Read the rest so the connection stays usable; past
			// hardReadLimit the library closes it with 1009.
			_, err = io.Copy(io.Discard, r)
		}
		cancel()
		if err != nil {
			return err
		}
		// A frame that arrives while the connection is silenced waits, as
		// it would in a stalled server's socket buffer.
		if !c.waitWhileSilent() {
			return c.ctx.Err()
		}
		switch {
		case tooBig:
			c.sendError(errorEvent{Code: "too_big", Message: fmt.Sprintf("message larger than %d bytes", MaxMessage)})
		case typ != websocket.MessageText:
			c.sendError(errorEvent{Code: "bad_frame", Message: "binary frames are not part of this protocol"})
		default:
			c.handle(data)
		}
	}
}

// writeLoop writes queued frames one at a time.
func (c *conn) writeLoop() {
	defer c.wg.Done()
	for {
		select {
		case <-c.ctx.Done():
			return
		case b := <-c.out:
			if c.silent() {
				continue // a half-open connection loses what is written to it
			}
			ctx, cancel := context.WithTimeout(c.ctx, writeTimeout)
			err := c.ws.Write(ctx, websocket.MessageText, b)
			cancel()
			if err != nil {
				c.drop()
				return
			}
		}
	}
}

// send queues a frame for the client. A client too slow to take
// outBuffer frames is dropped rather than allowed to hold up the room.
func (c *conn) send(b []byte) {
	select {
	case c.out <- b:
	case <-c.ctx.Done():
	default:
		c.log.Warn("client too slow, dropping it")
		c.drop()
	}
}

func (c *conn) sendError(e errorEvent) { c.send(event("error", e)) }

// drop closes the connection abruptly, without a close frame: the client
// sees 1006, as after a network failure.
func (c *conn) drop() {
	c.cancel()
	_ = c.ws.CloseNow()
}

// silence makes the connection half-open for d: nothing is read (so the
// client's pings go unanswered) and what the server writes is lost, but the
// socket stays open.
func (c *conn) silence(d time.Duration) {
	c.silentMu.Lock()
	c.silentUntil = time.Now().Add(d)
	c.silentMu.Unlock()
}

func (c *conn) silent() bool {
	c.silentMu.Lock()
	defer c.silentMu.Unlock()
	return time.Now().Before(c.silentUntil)
}

// waitWhileSilent returns when the connection is not silenced, or false
// when it ended first.
func (c *conn) waitWhileSilent() bool {
	for {
		c.silentMu.Lock()
		wait := time.Until(c.silentUntil)
		c.silentMu.Unlock()
		if wait <= 0 {
			return c.ctx.Err() == nil
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
			return false
		}
	}
}

// request sends a server-to-client request and waits for its reply.
func (c *conn) request(ctx context.Context, t string, v any) (json.RawMessage, error) {
	ch := make(chan envelope, 1)
	c.reqMu.Lock()
	c.nextReq++
	id := c.nextReq
	c.pending[id] = ch
	c.reqMu.Unlock()
	defer func() {
		c.reqMu.Lock()
		delete(c.pending, id)
		c.reqMu.Unlock()
	}()
	c.send(frame(envelope{Type: t, ID: id, Data: mustJSON(v)}))
	select {
	case e := <-ch:
		if e.Error != nil {
			return nil, fmt.Errorf("%s: %s", e.Error.Code, e.Error.Message)
		}
		return e.Data, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// settle hands a reply to the request it answers; stray replies are ignored.
func (c *conn) settle(e envelope) {
	c.reqMu.Lock()
	ch := c.pending[e.Re]
	c.reqMu.Unlock()
	if ch != nil {
		select {
		case ch <- e:
		default:
		}
	}
}

func describeEnd(err error) string {
	switch {
	case err == nil:
		return "closed"
	case errors.Is(err, websocket.ErrMessageTooBig):
		return "message over the hard read limit"
	case errors.Is(err, context.DeadlineExceeded):
		return "idle timeout"
	case errors.Is(err, context.Canceled):
		return "dropped"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection lost without a close frame"
	}
	if code := websocket.CloseStatus(err); code != -1 {
		return fmt.Sprintf("closed by client with %d", int(code))
	}
	return err.Error()
}
