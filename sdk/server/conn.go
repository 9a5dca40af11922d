//go:build !js

package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/steadyws/steadyws/sdk"
	"github.com/steadyws/steadyws/sdk/internal/wire"
)

// maxInbox is how many received messages may wait for a connection's
// handlers; past it the server stops reading from that connection (TCP
// then slows the client down) until its handlers catch up.
const maxInbox = 128

// handoffDelay is how long the read goroutine runs a handler itself
// before another goroutine takes reading over (see dispatch): long
// enough that a quick handler never costs a goroutine, short enough
// that pings and replies to the handler's own Request are not held up
// noticeably behind one that blocks.
const handoffDelay = time.Millisecond

// Conn is one client connection. Its methods are safe for concurrent use.
type Conn struct {
	s           *Server
	ws          *websocket.Conn
	id          string
	principal   string
	remoteAddr  string
	subprotocol string

	ctx    context.Context // ends when the connection does
	cancel context.CancelFunc
	wg     sync.WaitGroup // a handler runner, the writer, an idle probe, a closer

	lastRead atomic.Int64 // unix nanoseconds of the last message received
	idle     *time.Timer

	mu       sync.Mutex
	closing  bool  // no more frames are queued
	draining bool  // closeWith was called: received messages are dropped
	closeErr error // why the server ended the connection, first reason wins
	closed   bool  // closeErr is set (it may be nil: Conn.Close)

	writes        atomic.Uint32 // +1 as a frame's write starts, +1 as it ends: odd while writing
	writeWatching atomic.Bool   // writeWatch is armed
	writeWatch    *time.Timer   // watchWrite's; made at the first frame
	writeSeen     uint32        // writes at watchWrite's last look; guarded by mu
	writeStuck    int           // looks in a row that saw the same frame being written; guarded by mu

	out      []frame // outbound queue
	spare    []frame // the writer's previous batch, reused
	inflight int     // frames the writer took and is writing
	writing  bool

	inbox    []inbound
	running  bool          // a goroutine runs handlers: the read goroutine (inline) or a runner
	inline   bool          // the read goroutine runs a handler itself (see dispatch)
	handed   bool          // while inline: reading moved to another goroutine; this one runs the inbox next
	watching bool          // watch is armed
	inlines  uint32        // handlers the read goroutine started itself (wraps)
	watched  uint32        // inlines when watchInline last looked
	watch    *time.Timer   // watchInline's; made at the first inline handler
	room     chan struct{} // closed when the inbox has room again

	nextID  int64
	pending map[int64]chan wire.Envelope // Request calls waiting for a reply

	rel relConn // reliable mode

	started chan struct{} // closed once OnConnect ran or serve ended; serve's goroutine only
}

type frame struct {
	typ websocket.MessageType
	b   []byte
}

// inbound is a message for the handlers: an envelope, or a raw frame
// (env.Type empty).
type inbound struct {
	env wire.Envelope
	typ websocket.MessageType
	raw []byte
}

func newConn(s *Server, ws *websocket.Conn, r *http.Request, principal string) *Conn {
	c := &Conn{
		s:           s,
		ws:          ws,
		id:          newID(),
		principal:   principal,
		remoteAddr:  r.RemoteAddr,
		subprotocol: ws.Subprotocol(),
	}
	// The handshake's values (what a middleware put in r's context) without
	// its cancellation, ended by the connection, or by Shutdown (which
	// cancels each connection's rather than tie every one to the server's,
	// which would cost each a child context and an entry in the server's).
	c.ctx, c.cancel = context.WithCancel(context.WithoutCancel(r.Context()))
	ws.SetReadLimit(-1) // readMessage enforces Options.ReadLimit without closing
	return c
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ID is a random identifier of the connection, unique in practice across a
// fleet; use it in logs.
func (c *Conn) ID() string { return c.id }

// Principal is what Options.Authorize returned for the handshake, or "".
func (c *Conn) Principal() string { return c.principal }

// RemoteAddr is the client's network address as the HTTP server saw it.
func (c *Conn) RemoteAddr() string { return c.remoteAddr }

// Subprotocol is the subprotocol chosen in the handshake, or "".
func (c *Conn) Subprotocol() string { return c.subprotocol }

// Context ends when the connection does. It carries the values of the
// handshake request's context (what a middleware put there, say), and
// handlers get it.
func (c *Conn) Context() context.Context { return c.ctx }

// Close sends a close frame with code and reason once the frames already
// queued are written, and ends the connection when the client answers (or
// after 5 s). code must be one a server may send: 1000-1003, 1007-1014 or
// 3000-4999; reason at most 123 bytes. Closing a closed connection does
// nothing.
func (c *Conn) Close(code int, reason string) error {
	if !validCloseCode(code) {
		return errors.New("steadyws/server: invalid close code")
	}
	if len(reason) > 123 {
		return errors.New("steadyws/server: close reason longer than 123 bytes")
	}
	c.closeWith(websocket.StatusCode(code), reason, nil)
	return nil
}

func validCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014, code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// closeWith ends the connection gracefully with code, in the background,
// and records err as the reason OnDisconnect gets. Messages received from
// then on are not handled; the handler running and the frames queued
// (its reply among them) finish first, within Options.WriteTimeout. After
// a queue overflow (ErrQueueFull) nothing waits: the client is not
// reading, and its queue is dropped.
func (c *Conn) closeWith(code websocket.StatusCode, reason string, err error) {
	c.mu.Lock()
	if c.closing || c.draining {
		c.mu.Unlock()
		return
	}
	c.closed, c.closeErr = true, err
	c.draining = true
	overflow := err == ErrQueueFull
	if overflow {
		c.closing = true
		c.out = nil
	}
	c.wg.Add(1)
	c.mu.Unlock()
	go func() {
		defer c.wg.Done()
		if !overflow {
			c.waitIdle()
		}
		c.mu.Lock()
		c.closing = true
		c.mu.Unlock()
		_ = c.ws.Close(code, reason)
	}()
}

// waitIdle waits, up to Options.WriteTimeout, until no handler runs and
// the outbound queue is empty. It polls: it runs once per closing
// connection, and a signal would cost every connection a channel.
func (c *Conn) waitIdle() {
	deadline := time.Now().Add(c.s.opts.WriteTimeout)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		idle := !c.running && !c.writing
		c.mu.Unlock()
		if idle || c.ctx.Err() != nil {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// CloseNow ends the connection at once, without a close frame: the client
// sees an abnormal closure (1006), as after a network failure, and a
// steadyws client reconnects. OnDisconnect gets a nil error.
func (c *Conn) CloseNow() error {
	c.drop(nil)
	return nil
}

// drop ends the connection at once, without a close frame.
func (c *Conn) drop(err error) {
	c.mu.Lock()
	c.closing = true
	if !c.closed {
		c.closed, c.closeErr = true, err
	}
	c.out = nil
	c.mu.Unlock()
	_ = c.ws.CloseNow()
}

func (c *Conn) touch() { c.lastRead.Store(time.Now().UnixNano()) }

// serve runs the connection until it ends.
func (c *Conn) serve() {
	s := c.s
	defer c.setUp()
	if !s.register(c) {
		c.cancel()
		_ = c.ws.Close(websocket.StatusServiceRestart, "server restarting")
		return
	}
	c.touch()
	if d := s.opts.IdleTimeout; d > 0 {
		c.idle = time.AfterFunc(d/2, c.idleCheck)
	}
	if !s.opts.Reliable {
		c.connected()
	}

	c.read()
}

// read reads messages until the connection ends, and then ends it, unless
// it handed reading to another goroutine meanwhile (see dispatch): that one
// ends it instead.
func (c *Conn) read() {
	handedOff, err := c.readLoop()
	if !handedOff {
		c.end(err)
	}
}

// stopWatches stops the timers that watch for a slow handler and a slow
// write; they are armed under c.mu.
func (c *Conn) stopWatches() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.watch != nil {
		c.watch.Stop()
	}
	if c.writeWatch != nil {
		c.writeWatch.Stop()
	}
}

// end tears the connection down once reading stopped with readErr: it
// waits for its handlers, writer and timers, then runs OnDisconnect.
func (c *Conn) end(readErr error) {
	s := c.s
	c.mu.Lock()
	c.closing = true
	closed, why := c.closed, c.closeErr
	c.mu.Unlock()
	c.cancel()
	if c.idle != nil {
		c.idle.Stop()
	}
	c.stopWatches()
	_ = c.ws.CloseNow()
	c.wg.Wait()
	c.stopWatches() // a write that ended meanwhile may have armed one again
	c.detach()
	s.unregister(c)

	if !closed {
		why = disconnectError(readErr)
	}
	if !c.rel.ready.Load() {
		return // OnConnect never ran: a reliable server's connection refused at its $hello, or gone before its first frame
	}
	for _, fn := range s.hooks.Load().disconnect {
		c.guard("disconnect", func() { fn(c, why) })
	}
}

// disconnectError turns the error that ended the read loop into what
// OnDisconnect reports.
func disconnectError(err error) error {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return &sdk.CloseError{Code: int(ce.Code), Reason: ce.Reason}
	}
	return err
}

// hold counts a timer's callback as work on c, which c's end waits for
// (c.wg.Done when it returns); false once c is closing.
func (c *Conn) hold() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return false
	}
	c.wg.Add(1)
	return true
}

// idleCheck runs when the connection may have been silent for half of
// IdleTimeout: it waits out the rest if something arrived meanwhile, and
// otherwise sends a WebSocket ping, which every client answers.
func (c *Conn) idleCheck() {
	if !c.hold() {
		return
	}
	defer c.wg.Done()

	half := c.s.opts.IdleTimeout / 2
	if since := time.Since(time.Unix(0, c.lastRead.Load())); since < half {
		c.idle.Reset(half - since)
		return
	}
	// Not c.ctx: its Done channel and a child would stay with the
	// connection. Ping also returns when the connection closes.
	ctx, cancel := context.WithTimeout(context.Background(), half)
	err := c.ws.Ping(ctx)
	cancel()
	if err == nil {
		c.touch()
		c.idle.Reset(half)
		return
	}
	if c.ctx.Err() == nil {
		c.drop(ErrIdleTimeout)
	}
}

// guard runs fn, turning a panic into a *sdk.HandlerError for OnError.
func (c *Conn) guard(what string, fn func()) (panicked bool) {
	defer func() {
		if v := recover(); v != nil {
			panicked = true
			c.report(&sdk.HandlerError{Type: what, Err: panicError(v)})
		}
	}()
	fn()
	return false
}

func (c *Conn) report(err error) { c.s.report(&ConnError{Conn: c, Err: err}) }
