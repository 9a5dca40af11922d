package testserver

import (
	"net"
	"sync/atomic"
)

// gateListener wraps the /ws listener so that every TCP connection can be
// silenced: a silenced connection stays open, but nothing it receives reaches
// the HTTP or WebSocket code and nothing written to it reaches the wire. That
// is a half-open connection as the client sees it, including WebSocket
// control frames (a ping or a close frame gets no answer).
type gateListener struct {
	net.Listener
	silent func() bool // whether new connections start silenced
}

func (l *gateListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	g := &gateConn{Conn: c}
	if l.silent() {
		g.silenced.Store(true)
	}
	return g, nil
}

type gateConn struct {
	net.Conn
	silenced atomic.Bool
}

// Read discards everything that arrives while silenced, but keeps reading so
// that closing the connection still unblocks the reader.
func (g *gateConn) Read(p []byte) (int, error) {
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
