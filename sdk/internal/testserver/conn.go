package testserver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// conn is one accepted WebSocket connection.
type conn struct {
	s     *Server
	ws    *websocket.Conn
	gate  *gateConn
	storm bool // accepted only to be closed at once (AcceptThenClose)

	ctx    context.Context // canceled when the connection ends or the server closes
	cancel context.CancelFunc
	out    chan outgoing // replies in order, sent by sendLoop when due

	mu      sync.Mutex
	pending map[int64]chan envelope // server-to-client requests awaiting a reply
}

type outgoing struct {
	due time.Time
	do  func()
}

func (s *Server) handleWS(w http.ResponseWriter, r *http.Request) {
	if !s.track() {
		http.Error(w, "testserver: closed", http.StatusServiceUnavailable)
		return
	}
	defer s.wg.Done()

	info, _ := r.Context().Value(connInfoKey{}).(connInfo)
	s.mu.Lock()
	s.attempts = append(s.attempts, time.Now())
	reject, storm := s.reject, s.storm
	s.mu.Unlock()

	if info.gate == nil {
		http.Error(w, "testserver: /ws is only served on its own listener", http.StatusInternalServerError)
		return
	}
	if reject != 0 {
		if reject < 200 || reject > 599 {
			reject = http.StatusInternalServerError
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(reject)
		fmt.Fprintf(w, "testserver: handshake rejected with status %d\n", reject)
		return
	}

	s.handshakeStarted()
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		s.handshakeEnded()
		return
	}
	ws.SetReadLimit(readLimit)
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	c := &conn{s: s, ws: ws, gate: info.gate, storm: storm != 0, ctx: ctx, cancel: cancel, out: make(chan outgoing, 256)}
	registered := s.register(c, info.gen)
	s.handshakeEnded()
	if !registered {
		_ = ws.CloseNow()
		return
	}
	defer s.unregister(c)
	if storm != 0 {
		_ = ws.Close(websocket.StatusCode(storm), "")
		return
	}
	if !s.goTracked(c.sendLoop) {
		_ = ws.CloseNow()
		return
	}
	c.readLoop()
	cancel()
	_ = ws.CloseNow()
}

func (c *conn) readLoop() {
	for {
		typ, b, err := c.ws.Read(c.ctx)
		if err != nil {
			return
		}
		at := time.Now()
		if typ == websocket.MessageBinary {
			c.s.record(Message{Raw: base64.StdEncoding.EncodeToString(b)})
			c.later(at, func() { _ = c.write(websocket.MessageBinary, b) })
			continue
		}
		c.handleText(at, b)
	}
}

// sendLoop performs queued replies in order, each when it is due.
func (c *conn) sendLoop() {
	for {
		select {
		case <-c.ctx.Done():
			return
		case o := <-c.out:
			if d := time.Until(o.due); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-t.C:
				case <-c.ctx.Done():
					t.Stop()
					return
				}
			}
			o.do()
		}
	}
}

// later queues fn to run after the server's delay, counted from at.
func (c *conn) later(at time.Time, fn func()) {
	select {
	case c.out <- outgoing{due: at.Add(c.s.currentDelay()), do: fn}:
	case <-c.ctx.Done():
	}
}

// reply queues a text frame like later.
func (c *conn) reply(at time.Time, frame []byte) {
	c.later(at, func() { _ = c.write(websocket.MessageText, frame) })
}

func (c *conn) write(typ websocket.MessageType, b []byte) error {
	ctx, cancel := context.WithTimeout(c.ctx, writeTimeout)
	defer cancel()
	return c.ws.Write(ctx, typ, b)
}

// request sends a server-to-client request on this connection and waits for
// the reply.
func (c *conn) request(ctx context.Context, typ string, data json.RawMessage) (json.RawMessage, error) {
	if len(data) > 0 && !json.Valid(data) {
		return nil, fmt.Errorf("testserver: data of the %s request is not valid JSON", typ)
	}
	id := c.s.nextID.Add(1)
	ch := make(chan envelope, 1)
	c.mu.Lock()
	if c.pending == nil {
		c.pending = make(map[int64]chan envelope)
	}
	c.pending[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
	}()

	if err := c.write(websocket.MessageText, encode(envelope{Type: typ, ID: id, Data: data})); err != nil {
		return nil, fmt.Errorf("testserver: sending the %s request: %w", typ, err)
	}
	select {
	case e := <-ch:
		if len(e.Error) > 0 {
			re := &ReplyError{Type: typ, Raw: e.Error}
			var we wireError
			if json.Unmarshal(e.Error, &we) == nil {
				re.Code, re.Message = we.Code, we.Message
			} else {
				re.Message = string(e.Error)
			}
			return nil, re
		}
		return e.Data, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("testserver: %s request %d got no reply: %w", typ, id, ctx.Err())
	case <-c.ctx.Done():
		return nil, fmt.Errorf("testserver: %s request %d: %w", typ, id, errConnClosed)
	}
}

var errConnClosed = errors.New("connection closed before the reply")

// settle hands a reply to the request waiting for it, if any.
func (c *conn) settle(e envelope) {
	c.mu.Lock()
	ch := c.pending[e.Re]
	delete(c.pending, e.Re)
	c.mu.Unlock()
	if ch != nil {
		ch <- e
	}
}
