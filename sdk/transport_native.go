//go:build !js

package sdk

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
)

// sessionRandom fills a reliable-mode session id (reliable.go) from
// crypto/rand, which the native build links in anyway (TLS).
func sessionRandom(b []byte) { rand.Read(b) }

// WithHTTPClient returns a copy of o (nil means defaults) whose native
// handshakes use hc: for TLS settings, proxies or a custom net.Dialer (for
// TLS settings alone, WithTLSConfig is shorter). It exists only in the
// native build; the browser chooses its own network stack.
func WithHTTPClient(o *Options, hc *http.Client) *Options {
	var c Options
	if o != nil {
		c = *o
	}
	c.nativeHTTPClient = hc
	return &c
}

// closeGrace bounds a close handshake: a peer that does not answer within it
// is dropped.
const closeGrace = time.Second

// dialHidesCause: natively a failed dial says why (see UnreachableError).
const dialHidesCause = false

var platformDial dialer = dialNative

// release has nothing to let go of natively: every frame is Go's bytes.
func (frame) release() {}

// platformRunning has nothing to do natively; in the browser it subscribes
// a running client to page lifecycle signals.
func platformRunning(*Client, bool) {}

// validText reports whether a text frame is valid UTF-8: coder/websocket
// passes on what the server sent unchecked. An invalid one is reported and
// dropped, like any malformed frame; the connection stays up.
func validText(b []byte) bool { return utf8.Valid(b) }

type nativeConn struct {
	ws        *websocket.Conn
	closeOnce sync.Once
	done      chan struct{} // closed when the read loop has ended
	closer    atomic.Pointer[closeHandshake]
	aborted   atomic.Bool // dropped without waiting for the peer's answer

	// Reading (see lead_native.go): whoever holds rtok reads, with the
	// read state below; ended is set once the end is reported.
	s     sink
	limit int64
	buf   []byte
	rtok  chan struct{}
	ended atomic.Bool
	// lc is the connection underneath when callers may lead; waiters
	// counts callers waiting for a reply, lastLead is when one last read.
	lc       *leadConn
	waiters  atomic.Int32
	lastLead atomic.Int64
	linkCtx  context.Context // the link's write context (see write)
	kick     chan struct{}   // wakes the read goroutine standing back
	longWait atomic.Bool     // it stands back for longer than leadGrace
}

// closeHandshake is a close the client started.
type closeHandshake struct {
	code   int
	reason string
	done   chan struct{} // closed when websocket.Conn.Close has returned
	err    error         // what it returned
}

func dialNative(ctx context.Context, rawURL string, o *Options, l *link) (conn, error) {
	// A URL that cannot work stops the client instead of retrying forever.
	// No error quotes rawURL as is: it may carry credentials (see redact.go).
	if u, err := url.Parse(rawURL); err != nil {
		return nil, badURL(rawURL, err)
	} else if u.Scheme != "ws" && u.Scheme != "wss" && u.Scheme != "http" && u.Scheme != "https" {
		return nil, &badURLError{errors.New(redactURL(rawURL) + ": scheme is not ws or wss")}
	}
	opts := &websocket.DialOptions{
		HTTPHeader:   http.Header(o.Header),
		Subprotocols: o.Protocols,
	}
	if hc, ok := o.nativeHTTPClient.(*http.Client); ok && hc != nil {
		opts.HTTPClient = hc
	}
	var slot *leadSlot
	if hc := leadHTTPClient(rawURL, o); hc != nil {
		opts.HTTPClient = hc
		slot = &leadSlot{}
		ctx = context.WithValue(ctx, leadKey{}, slot)
	}
	ws, resp, err := websocket.Dial(ctx, rawURL, opts)
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols && resp.StatusCode != 0 {
			return nil, &HandshakeError{Status: resp.StatusCode}
		}
		return nil, dialError(rawURL, o, err)
	}
	// The core enforces the read limit itself so that an oversized message
	// is discarded without killing the connection.
	ws.SetReadLimit(-1)
	c := &nativeConn{ws: ws, done: make(chan struct{}), s: l, limit: o.ReadLimit, rtok: make(chan struct{}, 1), kick: make(chan struct{}, 1)}
	if slot != nil && slot.lc != nil && slot.lc.arm() {
		c.lc = slot.lc
	}
	// A frame may come at once and be answered (a ping, a request): the
	// link must know its connection before anything is read.
	l.conn = c
	c.linkCtx = l.wctx
	go c.readLoop()
	return c, nil
}

// readLoop reads the connection whenever no caller leads (lead_native.go).
// While callers read their replies it stands back, looking again after
// leadGrace, and less often while they keep waiting; the last caller to
// stop waiting wakes it from a long wait.
func (c *nativeConn) readLoop() {
	var t *time.Timer
	wait := time.Duration(0)
	for {
		grace := time.Duration(leadGrace.Load())
		if c.lc != nil && (c.waiters.Load() > 0 || time.Now().UnixNano()-c.lastLead.Load() < int64(grace)) {
			switch {
			case wait < grace:
				wait = grace
			case c.waiters.Load() > 0:
				wait = min(2*wait, maxStandBack)
			}
			c.longWait.Store(wait > grace)
			if t == nil {
				t = time.NewTimer(wait)
			} else {
				t.Reset(wait)
			}
			select {
			case <-t.C:
			case <-c.kick:
				t.Stop()
				wait = 0
			case <-c.done:
				t.Stop()
				return
			}
			continue
		}
		wait = 0
		c.rtok <- struct{}{}
		ended := c.ended.Load()
		for !ended {
			ended = c.readOne(false)
			if c.lc != nil && c.waiters.Load() > 0 {
				break // a caller waits for a reply: it may read it itself
			}
		}
		<-c.rtok
		if ended {
			if t != nil {
				t.Stop()
			}
			return
		}
	}
}

// readOne reads and delivers one message, holding the read token, and
// reports whether the connection has ended. A leader's wait for a new
// message may be given up (errYield): nothing was read then.
func (c *nativeConn) readOne(leader bool) (ended bool) {
	if leader {
		c.lc.setYieldOK(true)
	}
	typ, r, err := c.ws.Reader(context.Background())
	if leader {
		c.lc.setYieldOK(false)
	}
	if err != nil {
		if leader && errors.Is(err, errYield) {
			return false
		}
		c.finish(err)
		return true
	}
	c.buf, err = readLimited(r, c.limit, c.buf[:0])
	var le *LimitError
	switch {
	case errors.As(err, &le):
		c.s.oversize(le.Size)
		return false
	case err != nil:
		c.finish(err)
		return true
	}
	data := make([]byte, len(c.buf))
	copy(data, c.buf)
	if leader {
		leadReads.Add(1)
	}
	c.s.frame(MessageType(typ), data)
	return false
}

// finish reports the end once; whoever reads sees it first.
func (c *nativeConn) finish(err error) {
	c.ended.Store(true)
	c.end(c.s, err)
	close(c.done)
}

// end reports the connection gone. A read error (the peer vanished) leaves
// the websocket.Conn open, holding its socket and buffers until a finalizer
// runs, so it is closed first.
//
// After a close the client started, the read loop often does not see the
// peer's answer: websocket.Conn.Close reads it itself and then closes the
// connection under the loop. Close returns nil when the answer carried the
// client's code, and the core relies on that (the peer has read everything
// written before the close frame), so end waits for it. Close also returns
// nil when something closed the connection under it: the core writes
// nothing during the handshake, and abort and the grace timer mark their
// drops.
func (c *nativeConn) end(s sink, err error) {
	info := closeInfoFromErr(err)
	if h := c.closer.Load(); h != nil && !info.WasClean {
		t := time.NewTimer(2 * closeGrace)
		select {
		case <-h.done:
			if h.err == nil && !c.aborted.Load() {
				info = CloseInfo{Code: h.code, Reason: h.reason, WasClean: true,
					Err: &CloseError{Code: h.code, Reason: h.reason}}
			}
		case <-t.C:
		}
		t.Stop()
	}
	c.ws.CloseNow()
	s.ended(info)
}

// readLimited reads a whole message into buf; past limit it discards the
// rest and returns a *LimitError with the full size.
func readLimited(r io.Reader, limit int64, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if limit >= 0 && int64(len(buf)) > limit {
			rest, err := io.Copy(io.Discard, r)
			if err != nil {
				return buf, err
			}
			return buf, &LimitError{Size: int64(len(buf)) + rest, Limit: limit}
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

func closeInfoFromErr(err error) CloseInfo {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return CloseInfo{Code: int(ce.Code), Reason: ce.Reason, WasClean: true,
			Err: &CloseError{Code: int(ce.Code), Reason: ce.Reason}}
	}
	return CloseInfo{Code: 1006, Err: err}
}

func (c *nativeConn) write(ctx context.Context, f frame) error {
	if ctx == c.linkCtx {
		// The link's write context ends only once the connection has
		// ended, and whatever ended it (the end of the read, abort, the
		// close grace) closed it, which fails a write still waiting: no
		// need for coder/websocket to watch that context on every write.
		ctx = context.Background()
	}
	return c.ws.Write(ctx, websocket.MessageType(f.typ), f.data)
}

// wake makes the read goroutine look at once whether it should read.
func (c *nativeConn) wake() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *nativeConn) close(code int, reason string) {
	c.lastLead.Store(0) // the read goroutine reads the end at once
	defer c.wake()
	c.closeOnce.Do(func() {
		h := &closeHandshake{code: code, reason: reason, done: make(chan struct{})}
		c.closer.Store(h)
		go func() {
			// Close waits for the peer's close frame (see end); a silent
			// peer is cut off after closeGrace.
			go func() {
				h.err = c.ws.Close(websocket.StatusCode(code), reason)
				close(h.done)
			}()
			select {
			case <-c.done:
			case <-time.After(closeGrace):
				c.aborted.Store(true)
				c.cutOff()
			}
		}()
	})
}

func (c *nativeConn) abort() {
	c.lastLead.Store(0)
	defer c.wake()
	c.closeOnce.Do(func() {})
	c.aborted.Store(true)
	c.cutOff()
}

// cutOff drops the connection. Once Close has begun, websocket.Conn's
// CloseNow only waits for it, and Close waits 5 s for a silent peer's
// answer: where the SDK dialled the network connection (lc), closing that
// first ends both at once.
func (c *nativeConn) cutOff() {
	if c.lc != nil {
		c.lc.Conn.Close()
	}
	c.ws.CloseNow()
}
