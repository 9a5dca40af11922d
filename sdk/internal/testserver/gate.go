//go:build !js

package testserver

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// gateListener wraps the /ws listener so that every TCP connection can be
// silenced or slowed down: the faults live below the WebSocket code, so
// that sdk/server runs unchanged above them.
type gateListener struct {
	net.Listener
	silent func() bool          // whether new connections start silenced
	delay  func() time.Duration // the server's current SetDelay
	start  func(func()) bool    // runs a goroutine the server's Close waits for
}

func (l *gateListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	g := &gateConn{Conn: c, delay: l.delay, start: l.start, done: make(chan struct{})}
	if l.silent() {
		g.silenced.Store(true)
	}
	return g, nil
}

// gateConn is one TCP connection of the /ws listener.
//
// Silenced, it stays open, but nothing it receives reaches the HTTP or
// WebSocket code and nothing written to it reaches the wire. That is a
// half-open connection as the client sees it, including WebSocket control
// frames (a ping or a close frame gets no answer).
//
// Once the WebSocket handshake is over (upgraded), a goroutine reads the
// socket as bytes arrive and the server gets them SetDelay after their
// arrival, in order: every answer to a client's frame (replies, pongs,
// close frames) leaves that much later, while frames the server sends of
// its own accord (Broadcast, Request) are not held back.
type gateConn struct {
	net.Conn
	silenced atomic.Bool
	upgraded atomic.Bool
	delay    func() time.Duration
	start    func(func()) bool

	pumpOnce  sync.Once
	chunks    chan chunk
	done      chan struct{} // closed by Close
	closeOnce sync.Once
	cur       []byte // the rest of the chunk being read
}

type chunk struct {
	at  time.Time
	b   []byte
	err error
}

func (g *gateConn) Read(p []byte) (int, error) {
	if !g.upgraded.Load() {
		return g.readGated(p)
	}
	g.pumpOnce.Do(func() {
		g.chunks = make(chan chunk, 16)
		if !g.start(g.pump) {
			close(g.chunks)
		}
	})
	if len(g.cur) == 0 {
		var ch chunk
		var ok bool
		select {
		case ch, ok = <-g.chunks:
		case <-g.done:
		}
		if !ok {
			return 0, net.ErrClosed
		}
		if ch.err != nil {
			return 0, ch.err
		}
		if wait := time.Until(ch.at.Add(g.delay())); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-g.done:
				t.Stop()
				return 0, net.ErrClosed
			}
		}
		g.cur = ch.b
	}
	n := copy(p, g.cur)
	g.cur = g.cur[n:]
	return n, nil
}

// pump reads the socket until it fails, stamping each chunk with its
// arrival.
func (g *gateConn) pump() {
	defer close(g.chunks)
	for {
		b := make([]byte, 16<<10)
		n, err := g.readGated(b)
		if n > 0 && !g.send(chunk{at: time.Now(), b: b[:n]}) {
			return
		}
		if err != nil {
			g.send(chunk{err: err})
			return
		}
	}
}

func (g *gateConn) send(ch chunk) bool {
	select {
	case g.chunks <- ch:
		return true
	case <-g.done:
		return false
	}
}

// readGated discards everything that arrives while silenced, but keeps
// reading so that closing the connection still unblocks the reader.
func (g *gateConn) readGated(p []byte) (int, error) {
	for {
		n, err := g.Conn.Read(p)
		if !g.silenced.Load() {
			return n, err
		}
		if err != nil {
			return 0, err
		}
	}
}

func (g *gateConn) Write(p []byte) (int, error) {
	if g.silenced.Load() {
		return len(p), nil
	}
	return g.Conn.Write(p)
}

func (g *gateConn) Close() error {
	g.closeOnce.Do(func() { close(g.done) })
	return g.Conn.Close()
}
