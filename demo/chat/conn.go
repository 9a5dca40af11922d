package chat

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/steadyws/steadyws/sdk/server"
)

// conn is the room's view of one connection.
type conn struct {
	sc    *server.Conn
	log   *slog.Logger
	gate  *gate
	plain bool // the seed tutorial's client: plain text frames, no envelope

	// Guarded by Server.mu.
	nick, session, agent string
}

type gateKey struct{}
type plainKey struct{}

// send queues a frame for the client. A client too slow to take
// sdk/server's queue is closed with 1013 rather than allowed to hold up
// the room.
func (c *conn) send(b []byte) {
	if c.plain {
		return // plain clients only get chat lines, as text
	}
	_ = c.sc.SendText(context.Background(), string(b))
}

// sendError answers something the client sent. On a reliable-mode
// connection it is numbered, like a chat line, so that it reaches the
// client even if this connection is lost before it is written.
func (c *conn) sendError(e errorEvent) {
	if c.plain {
		return
	}
	_ = server.Send(context.Background(), c.sc, "error", e)
}

// drop closes the connection abruptly, without a close frame: the client
// sees 1006, as after a network failure.
func (c *conn) drop() { _ = c.sc.CloseNow() }

func (s *Server) connected(sc *server.Conn) {
	ctx := sc.Context()
	g, _ := ctx.Value(gateKey{}).(*gate)
	plain, _ := ctx.Value(plainKey{}).(bool)
	s.mu.Lock()
	s.nextID++
	c := &conn{sc: sc, gate: g, plain: plain, log: s.log.With("conn", s.nextID)}
	s.conns[sc] = c
	s.mu.Unlock()
	c.log.Info("connected", "remote", sc.RemoteAddr(), "plain", plain)
}

func (s *Server) disconnected(sc *server.Conn, err error) {
	c := s.lookup(sc)
	if c == nil {
		return
	}
	nick := s.leave(c)
	why := "closed"
	if err != nil {
		why = err.Error()
	}
	c.log.Info("disconnected", "nick", nick, "why", why)
}

func (s *Server) lookup(sc *server.Conn) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns[sc]
}

// gate sits between a connection's socket and sdk/server, so that the
// silent fault can make it half-open: nothing is read (the client's pings
// go unanswered) and what the server writes is lost, but the socket stays
// open.
type gate struct {
	net.Conn
	mu     sync.Mutex
	until  time.Time
	closed chan struct{} // closed by Close, to end a silenced Read at once
	once   sync.Once
}

func newGate() *gate { return &gate{closed: make(chan struct{})} }

func (g *gate) Close() error {
	g.once.Do(func() { close(g.closed) })
	return g.Conn.Close()
}

func (g *gate) silence(d time.Duration) {
	g.mu.Lock()
	g.until = time.Now().Add(d)
	g.mu.Unlock()
}

func (g *gate) silentFor() time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	return time.Until(g.until)
}

// Read holds back what arrives while silenced, as a stalled server's
// socket buffer would.
func (g *gate) Read(p []byte) (int, error) {
	n, err := g.Conn.Read(p)
	for d := g.silentFor(); d > 0; d = g.silentFor() {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-g.closed:
			t.Stop()
			return 0, net.ErrClosed
		}
	}
	return n, err
}

func (g *gate) Write(p []byte) (int, error) {
	if g.silentFor() > 0 {
		return len(p), nil // a half-open connection loses what is written to it
	}
	return g.Conn.Write(p)
}

// gatedWriter makes the hijacked connection a gate.
type gatedWriter struct {
	http.ResponseWriter
	gate *gate
}

func (w *gatedWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("chat: connection cannot be hijacked")
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.gate.Conn = nc
	return w.gate, bufio.NewReadWriter(brw.Reader, bufio.NewWriter(w.gate)), nil
}
