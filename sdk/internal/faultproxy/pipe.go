//go:build !js

package faultproxy

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// pipe is one proxied connection: a client side, a server side, and in each
// direction a reader that stamps chunks with the time they are due and a
// writer that forwards them in order when due.
type pipe struct {
	id             int
	client, server net.Conn
	delay          func() time.Duration
	onClose        func()

	stalled  atomic.Bool
	finished atomic.Int32 // directions that ended cleanly (EOF forwarded)
	done     chan struct{}
	once     sync.Once
}

type chunk struct {
	b   []byte
	due time.Time
}

func newPipe(id int, client, server net.Conn, delay func() time.Duration, onClose func()) *pipe {
	return &pipe{id: id, client: client, server: server, delay: delay, onClose: onClose, done: make(chan struct{})}
}

// run starts the four goroutines, counted in wg.
func (pp *pipe) run(wg *sync.WaitGroup) {
	up := make(chan chunk, 16)   // client to server
	down := make(chan chunk, 16) // server to client
	wg.Add(4)
	go func() { defer wg.Done(); pp.read(pp.client, up, true) }()
	go func() { defer wg.Done(); pp.write(pp.server, up) }()
	go func() { defer wg.Done(); pp.read(pp.server, down, false) }()
	go func() { defer wg.Done(); pp.write(pp.client, down) }()
}

func (pp *pipe) stall()          { pp.stalled.Store(true) }
func (pp *pipe) isStalled() bool { return pp.stalled.Load() }
func (pp *pipe) isClosed() bool  { return isDone(pp.done) }
func isDone(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// read moves bytes from src into out. A stalled pipe reads and discards, so
// that it notices when the client gives up. fromClient tells which side src
// is: when the client goes away the whole pipe goes; when the server does
// while stalled, the client side stays half-open.
func (pp *pipe) read(src net.Conn, out chan<- chunk, fromClient bool) {
	for {
		b := make([]byte, chunkSize)
		n, err := src.Read(b)
		if n > 0 && !pp.isStalled() {
			select {
			case out <- chunk{b: b[:n], due: time.Now().Add(pp.delay())}:
			case <-pp.done:
				return
			}
		}
		if err == nil {
			continue
		}
		switch {
		case pp.isStalled() && !fromClient:
			return
		case errors.Is(err, io.EOF) && !pp.isStalled():
			close(out) // the writer forwards the EOF after the bytes before it
		default:
			pp.close(false)
		}
		return
	}
}

// write forwards chunks to dst when they are due, dropping them while the
// pipe is stalled. After the last chunk of a direction it forwards the EOF;
// when both directions are over the pipe closes.
func (pp *pipe) write(dst net.Conn, in <-chan chunk) {
	var t *time.Timer
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	for {
		var c chunk
		var ok bool
		select {
		case c, ok = <-in:
		case <-pp.done:
			return
		}
		if !ok {
			if tc, isTCP := dst.(*net.TCPConn); isTCP {
				_ = tc.CloseWrite()
			}
			if pp.finished.Add(1) == 2 {
				pp.close(false)
			}
			return
		}
		if d := time.Until(c.due); d > 0 {
			if t == nil {
				t = time.NewTimer(d)
			} else {
				t.Reset(d)
			}
			select {
			case <-t.C:
			case <-pp.done:
				return
			}
		}
		if pp.isStalled() {
			continue
		}
		if _, err := dst.Write(c.b); err != nil {
			pp.close(false)
			return
		}
	}
}

// close ends the pipe; abrupt closes both sides with a reset. Whatever was
// not forwarded yet is lost.
func (pp *pipe) close(abrupt bool) {
	pp.once.Do(func() {
		close(pp.done)
		if abrupt {
			reset(pp.client)
			reset(pp.server)
		} else {
			_ = pp.client.Close()
			_ = pp.server.Close()
		}
		pp.onClose()
	})
}
