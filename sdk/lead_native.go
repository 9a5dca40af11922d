//go:build !js

package sdk

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Leader/follower reading. A goroutine waiting for the reply to its
// Request reads the connection itself while nobody else does, so that the
// reply reaches it with no goroutine switch in between: natively, waking a
// parked caller from the read goroutine costs a third of a round trip's
// throughput on two cores. Every frame such a leader reads goes through the
// sink exactly as the read goroutine's would (pings, events, server
// requests and other callers' replies are handled at once); the leader
// hands reading back when its own reply has arrived, and the read goroutine
// takes over when no caller has led for leadGrace.
//
// A leader blocked in a read must still return when its context ends, and
// coder/websocket tears the connection down when a read's context ends. So
// the connection underneath is a leadConn, which knows where WebSocket
// frames begin: when the leader's context ends while it waits for a new
// message, the read is woken with a deadline and, at a frame boundary,
// fails with errYield, which leaves coder/websocket's state untouched (no
// byte was consumed), and the read goroutine carries on later. A leader in
// the middle of a frame finishes reading it first.
//
// Leading needs that connection, so the handshake goes through a copy of
// the transport it would have used that wraps what it dials
// (leadHTTPClient); with a client of the caller's or a proxy, the read
// goroutine reads everything, as it always did.

// leadGrace is how long the read goroutine leaves reading to the callers
// after one of them has read: while requests keep coming, each one's caller
// reads its reply. A frame arriving while nobody waits is read at most
// about this late.
var leadGrace atomic.Int64 // nanoseconds; tests may change it

func init() { leadGrace.Store(int64(time.Millisecond)) }

// maxStandBack bounds how long the read goroutine waits before it looks
// again while callers keep waiting for replies (and so keep reading).
const maxStandBack = 250 * time.Millisecond

// leadReads counts messages read by leaders, for tests.
var leadReads atomic.Uint64

// errYield is a leader's read given up at a frame boundary.
var errYield = errors.New("steadyws: read handed back")

// leadTransport is base (the transport the handshake would have used) made
// to hand each connection's leadConn to its dial through the context
// (leadSlot); nil if base dials in a way it cannot follow.
func leadTransport(base *http.Transport) *http.Transport {
	if base.DialTLSContext != nil || base.DialTLS != nil || base.Dial != nil { //nolint:staticcheck // Dial and DialTLS are deprecated, still honoured
		return nil
	}
	t := base.Clone()
	dial := t.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	// A handshake's connection is upgraded or closed, never pooled:
	// nothing idles in the background.
	t.DisableKeepAlives = true
	t.ForceAttemptHTTP2 = false
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return leadWrap(ctx, nc), nil
	}
	// The transport's own TLS settings apply, as it would apply them.
	cfg, timeout := t.TLSClientConfig, t.TLSHandshakeTimeout
	t.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		c := &tls.Config{}
		if cfg != nil {
			c = cfg.Clone()
		}
		if c.ServerName == "" {
			c.ServerName, _, _ = net.SplitHostPort(addr)
		}
		c.NextProtos = []string{"http/1.1"}
		hctx := ctx
		if timeout > 0 {
			var cancel context.CancelFunc
			hctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		tc := tls.Client(nc, c)
		if err := tc.HandshakeContext(hctx); err != nil {
			nc.Close()
			return nil, err
		}
		return leadWrap(ctx, tc), nil
	}
	return t
}

// leadSlot receives the leadConn of one dial.
type leadSlot struct{ lc *leadConn }

type leadKey struct{}

func leadWrap(ctx context.Context, nc net.Conn) net.Conn {
	lc := &leadConn{Conn: nc}
	if s, ok := ctx.Value(leadKey{}).(*leadSlot); ok {
		s.lc = lc
	}
	return lc
}

// leadHTTPClient returns the HTTP client for dialing rawURL when the
// connection may be led, or nil. It dials as the handshake would have
// without it: through http.DefaultClient's transport, or WithTLSConfig's;
// with a client of the caller's (WithHTTPClient), a changed
// http.DefaultClient, or a proxy for the URL, the handshake is left as it
// was and the connection is not led.
func leadHTTPClient(rawURL string, o *Options) *http.Client {
	var base *http.Transport
	if o.nativeHTTPClient != nil {
		hc, _ := o.nativeHTTPClient.(*http.Client)
		if hc == nil {
			return nil
		}
		t, ok := hc.Transport.(*tlsTransport)
		if !ok {
			return nil
		}
		base = t.Transport
	} else {
		dc := http.DefaultClient
		t, ok := http.DefaultTransport.(*http.Transport)
		if !ok || dc.Transport != nil || dc.Jar != nil || dc.CheckRedirect != nil || dc.Timeout != 0 {
			return nil
		}
		base = t
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil
	}
	hu := *u
	switch u.Scheme {
	case "ws":
		hu.Scheme = "http"
	case "wss":
		hu.Scheme = "https"
	}
	if base.Proxy != nil {
		if p, err := base.Proxy(&http.Request{URL: &hu}); p != nil || err != nil {
			return nil
		}
	}
	t := leadTransport(base)
	if t == nil {
		return nil
	}
	return &http.Client{Transport: t}
}

// leadConn is the network connection under a websocket.Conn that may be
// led. It follows the frames read through it (framePos) so that a leader's
// read can be given up where that consumes nothing.
type leadConn struct {
	net.Conn
	mu sync.Mutex
	// Until armed, the bytes read are the handshake's response (and maybe
	// the first frames after it): they are kept in rec.
	armed, broken bool
	rec           []byte
	pos           framePos
	leading       bool // a caller leads (interrupt applies)
	yieldOK       bool // the leader waits in Reader for a new message
	intr          bool // the leader's context ended: give up the read
}

// maxHandshakeRecord bounds rec: a response larger than that is not looked
// into, and the connection is never led.
const maxHandshakeRecord = 64 << 10

func (c *leadConn) Read(p []byte) (int, error) {
	for {
		c.mu.Lock()
		if c.yielding() {
			c.mu.Unlock()
			return 0, errYield
		}
		c.mu.Unlock()
		n, err := c.Conn.Read(p)
		c.mu.Lock()
		if n > 0 {
			c.took(p[:n])
		}
		if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
			c.mu.Unlock()
			return n, err
		}
		// The deadline is interrupt's: it is nobody else's to set.
		c.Conn.SetReadDeadline(time.Time{})
		yield := n == 0 && c.yielding()
		c.mu.Unlock()
		switch {
		case n > 0:
			return n, nil
		case yield:
			return 0, errYield
		}
	}
}

// yielding reports whether the leader's read is given up now (and takes
// the interrupt): only between frames, while it waits for a new message.
func (c *leadConn) yielding() bool {
	if !c.intr || !c.yieldOK || !c.armed || c.broken || !c.pos.boundary() {
		return false
	}
	c.intr = false
	return true
}

// took notes bytes handed to coder/websocket.
func (c *leadConn) took(b []byte) {
	switch {
	case c.broken:
	case c.armed:
		c.pos.feed(b)
	case len(c.rec)+len(b) > maxHandshakeRecord:
		c.broken, c.rec = true, nil
	default:
		c.rec = append(c.rec, b...)
	}
}

// arm starts following frames once the handshake is done: they begin
// right after the 101 response's header. It reports whether the connection
// can be led.
func (c *leadConn) arm() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := bytes.Index(c.rec, []byte("\r\n\r\n"))
	if i < 0 || c.broken {
		c.broken = true
		return false
	}
	c.armed = true
	c.pos.feed(c.rec[i+4:])
	c.rec = nil
	return true
}

// setLeading marks whether a caller leads; ending a lead drops an
// interrupt meant for it.
func (c *leadConn) setLeading(on bool) {
	c.mu.Lock()
	c.leading = on
	if !on && c.intr {
		c.intr = false
		c.Conn.SetReadDeadline(time.Time{})
	}
	c.mu.Unlock()
}

func (c *leadConn) setYieldOK(on bool) {
	c.mu.Lock()
	c.yieldOK = on
	c.mu.Unlock()
}

// interrupt wakes the leader's read: its context has ended.
func (c *leadConn) interrupt() {
	c.mu.Lock()
	if c.leading {
		c.intr = true
		c.Conn.SetReadDeadline(time.Unix(1, 0))
	}
	c.mu.Unlock()
}

// framePos follows a stream of WebSocket frames from the server: where the
// current frame's header or payload stands.
type framePos struct {
	hdr  [14]byte
	hn   int   // header bytes seen
	left int64 // payload bytes still to come
}

func (f *framePos) boundary() bool { return f.hn == 0 && f.left == 0 }

func (f *framePos) feed(b []byte) {
	for len(b) > 0 {
		if f.left > 0 {
			k := int64(len(b))
			if k > f.left {
				k = f.left
			}
			f.left -= k
			b = b[k:]
			continue
		}
		f.hdr[f.hn] = b[0]
		f.hn++
		b = b[1:]
		if f.hn < 2 {
			continue
		}
		need, l7 := 2, f.hdr[1]&0x7f
		switch l7 {
		case 126:
			need += 2
		case 127:
			need += 8
		}
		if f.hdr[1]&0x80 != 0 {
			need += 4 // masked (a server must not, but it is framed so)
		}
		if f.hn < need {
			continue
		}
		n := int64(l7)
		switch l7 {
		case 126:
			n = int64(f.hdr[2])<<8 | int64(f.hdr[3])
		case 127:
			n = 0
			for _, x := range f.hdr[2:10] {
				n = n<<8 | int64(x)
			}
		}
		f.hn, f.left = 0, n
	}
}

// lead waits for a reply on ch (Request), or for done to be closed (a
// Call's Result), reading the connection itself whenever nobody else reads
// it. ok is false when it stopped waiting without the outcome (ctx ended,
// the connection ended, or it cannot be led): the caller then waits as
// usual. A Call's timeout interrupts its leader through interruptLead.
func (c *nativeConn) lead(ctx context.Context, ch chan reply, done <-chan struct{}) (r reply, ok bool) {
	if c.lc == nil {
		return reply{}, false
	}
	c.waiters.Add(1)
	defer func() {
		if c.waiters.Add(-1) == 0 && c.longWait.Load() {
			c.wake() // nobody reads now: the read goroutine takes over
		}
	}()
	// Nobody reads: lead at once (leadRead looks at ch, done, ctx and the
	// end before it reads).
	select {
	case c.rtok <- struct{}{}:
		return c.leadRead(ctx, ch, done)
	default:
	}
	select {
	case r := <-ch:
		return r, true
	case <-done:
		return reply{}, true
	case <-ctx.Done():
		return reply{}, false
	case <-c.done:
		return reply{}, false
	case c.rtok <- struct{}{}:
	}
	return c.leadRead(ctx, ch, done)
}

// leadRead reads, holding the read token, until the outcome is in, ctx
// ends or the connection ends; then it gives the token back.
func (c *nativeConn) leadRead(ctx context.Context, ch chan reply, done <-chan struct{}) (reply, bool) {
	c.lc.setLeading(true)
	stop := func() bool { return false }
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, c.lc.interrupt)
	}
	defer func() {
		stop()
		c.lc.setLeading(false)
		c.lastLead.Store(time.Now().UnixNano())
		<-c.rtok
	}()
	for {
		select {
		case r := <-ch:
			return r, true
		case <-done:
			return reply{}, true
		default:
		}
		if c.ended.Load() || ctx.Err() != nil || c.readOne(true) {
			return reply{}, false
		}
	}
}

// interruptLead gives up the current leader's wait for a new message: what
// it waits for may have been settled without a frame (a Call timed out).
// It reads on at once if not.
func (c *nativeConn) interruptLead() {
	if c.lc != nil {
		c.lc.interrupt()
	}
}
