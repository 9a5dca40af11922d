package sdk

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/steadyws/steadyws/sdk/internal/wire"
)

// link is one connection: the sink its transport reports to, and the state
// the heartbeat reads.
type link struct {
	c      *Client
	lf     *life
	conn   conn
	ctx    context.Context // ends with the connection, or when the client stops
	cancel context.CancelFunc
	// wctx bounds writes: it ends with the connection only. Close must not
	// end it: coder/websocket tears the connection down when a write's
	// context ends, which would cut off the close handshake that confirms
	// what was written (see endLink).
	wctx    context.Context
	wcancel context.CancelFunc
	done    chan struct{} // closed by ended
	info    CloseInfo     // valid once done is closed
	endOnce sync.Once
	drained chan struct{} // the browser drained a congested socket
	// congested (guarded by c.mu) holds sends in the queue while the
	// browser's buffer for this socket is past its high-water mark.
	congested bool
	// openRan (guarded by c.mu) is set once the OnOpen handlers registered
	// so far have been scheduled for this link.
	openRan  bool
	lastRecv atomic.Int64 // c.now() of the last inbound frame

	// wlock is the write lock: one frame at a time is written, and noted
	// in led, so that the ledger's numbers follow the order on the wire.
	wlock chan struct{}
	// closing (guarded by wlock) fails writes once endLink has begun the
	// close handshake; broken (guarded by wlock) records a failed write,
	// which may have torn the connection down under the handshake.
	closing, broken bool
	led             ledger
	// confirm wakes the supervisor to plan a confirmation ping.
	confirm chan struct{}

	// The send path combines writes: the sender that finds no write in
	// progress becomes the writer and also writes the frames other senders
	// hand it meanwhile (handed), so that many goroutines sending at once
	// do not queue up on the connection's write lock one wake-up at a time.
	wmu     sync.Mutex
	writing bool
	handed  []outFrame
	spare   []outFrame
}

// outFrame is a frame handed to the connection's current writer.
type outFrame struct {
	f frame
	t string
	p *pending
}

func (l *link) frame(typ MessageType, data []byte) { l.c.receive(l, typ, data) }

func (l *link) oversize(size int64) {
	l.lastRecv.Store(int64(l.c.now()))
	l.c.dropped.Add(1)
	l.c.report(l.lf, &LimitError{Size: size, Limit: l.c.opts.ReadLimit})
}

func (l *link) ended(info CloseInfo) {
	l.endOnce.Do(func() {
		l.info = info
		l.cancel()
		l.wcancel()
		close(l.done)
	})
}

// run is the supervisor of one life: dial, serve, decide, wait, again.
func (c *Client) run(lf *life) {
	defer close(lf.done)
	for {
		var info CloseInfo
		manual, healthy := false, false
		l, err := c.connect(lf)
		if err == nil {
			info, manual, healthy = c.serve(lf, l)
		} else {
			info = CloseInfo{Code: 1006, Err: err}
		}
		if lf.ctx.Err() != nil {
			c.stop(lf, ErrClosed, &info)
			return
		}

		c.mu.Lock()
		if healthy || manual {
			c.failures = 0
		} else {
			c.failures++
		}
		if err != nil {
			c.lastFailure = err
		}
		failures := c.failures
		c.mu.Unlock()

		if stopErr := c.decide(info, failures); stopErr != nil {
			c.stop(lf, stopErr, &info)
			return
		}
		if !manual {
			info.Delay = c.opts.Backoff.delay(max(failures-1, 0), c.random())
		}
		info.WillReconnect = true
		c.emitClose(lf, info)
		c.setState(lf, Reconnecting)
		if !c.sleep(lf, info.Delay) {
			c.stop(lf, ErrClosed, nil)
			return
		}
	}
}

// decide applies the reconnect policy; a non-nil result stops the client.
func (c *Client) decide(info CloseInfo, failures int) error {
	if _, bad := info.Err.(*badURLError); bad {
		return info.Err
	}
	if n := c.opts.MaxRetries; n > 0 && failures >= n {
		return &retriesError{n: failures, last: info.Err}
	}
	var retry bool
	switch he, _ := info.Err.(*HandshakeError); {
	case c.opts.ShouldReconnect != nil:
		retry = c.opts.ShouldReconnect(info)
	case he != nil:
		retry = reconnectAfterStatus(he.Status)
	case retryCannotFix(info.Err):
		retry = false
	case info.WasClean:
		retry = reconnectAfterClose(info.Code)
	default:
		retry = true
	}
	if retry {
		return nil
	}
	if info.Err != nil {
		return info.Err
	}
	return &CloseError{Code: info.Code, Reason: info.Reason}
}

// newLink returns the link for one connection attempt of lf.
func newLink(c *Client, lf *life) *link {
	l := &link{c: c, lf: lf, done: make(chan struct{}), drained: make(chan struct{}, 1),
		wlock: make(chan struct{}, 1), confirm: make(chan struct{}, 1)}
	l.led.noPing = c.opts.Raw
	l.ctx, l.cancel = context.WithCancel(lf.ctx)
	l.wctx, l.wcancel = context.WithCancel(context.Background())
	l.lastRecv.Store(int64(c.now()))
	return l
}

// connect makes one attempt, URL callback included, within ConnectTimeout.
func (c *Client) connect(lf *life) (*link, error) {
	ctx, cancel, timedOut := withTimeout(lf.ctx, c.opts.ConnectTimeout)
	defer cancel()
	// A Reconnect or wake-up asked for before this attempt is answered by it.
	select {
	case <-c.kick:
	default:
	}
	url := c.url
	if c.opts.URL != nil {
		u, err := c.opts.URL(ctx)
		if err != nil {
			return nil, err
		}
		url = u
	}
	l := newLink(c, lf)
	conn, err := c.dial(ctx, url, &c.opts, l)
	if err != nil {
		l.cancel()
		l.wcancel()
		if timedOut() {
			err = &timeoutDialError{c.opts.ConnectTimeout, err}
		}
		return nil, err
	}
	l.conn = conn
	return l, nil
}

// serve runs an open connection until it ends: open handlers, queue flush,
// then heartbeat. manual reports a Reconnect call; healthy that the
// connection stayed up for ResetAfter.
func (c *Client) serve(lf *life, l *link) (info CloseInfo, manual, healthy bool) {
	opened := c.now()
	c.mu.Lock()
	c.link, c.flushing, c.connectedSince = l, true, time.Now().UnixNano()
	if c.everOpened {
		c.reconnects++
	}
	c.everOpened = true
	c.mu.Unlock()
	c.setState(lf, Open)
	select {
	case <-lf.opened:
	default:
		close(lf.opened)
	}

	info, manual = c.openAndWatch(lf, l)

	c.mu.Lock()
	c.link, c.flushing, c.connectedSince = nil, false, 0
	lost := c.takePendingLocked(l)
	c.mu.Unlock()
	c.closeLedger(l, endCause(l, info))
	err := ErrConnectionLost
	if lf.ctx.Err() != nil {
		err = ErrClosed
	}
	for _, p := range lost {
		p.settle(reply{err: err})
	}
	return info, manual, c.now()-opened >= c.opts.Backoff.ResetAfter
}

func (c *Client) openAndWatch(lf *life, l *link) (CloseInfo, bool) {
	if !c.runOpenHandlers(lf, l) || !c.flush(lf, l) {
		return c.endLink(lf, l, false)
	}
	hb := c.opts.Heartbeat
	beat := hb.Interval > 0 && !c.opts.Raw
	age := c.opts.confirmAge()
	var pingAt int64
	timer := newAlarm(time.Hour)
	defer timer.stop()
	for {
		// A confirmation ping (see confirm.go) is also a heartbeat ping:
		// nothing arriving within Timeout after it means the connection
		// is dead.
		due, wait := l.led.plan(c.now(), age)
		if due {
			at := c.ping(l)
			if beat && pingAt == 0 {
				pingAt = at
			}
			wait = age // if the ping could not be written, try again then
		}
		if beat {
			now, last := int64(c.now()), l.lastRecv.Load()
			var hbWait time.Duration
			switch {
			case pingAt != 0 && last > pingAt:
				pingAt = 0
				continue
			case pingAt == 0 && now-last >= int64(hb.Interval):
				pingAt = c.ping(l)
				hbWait = hb.Timeout
			case pingAt == 0:
				hbWait = time.Duration(last + int64(hb.Interval) - now)
			case now-pingAt >= int64(hb.Timeout):
				l.conn.abort()
				c.waitEnded(l)
				return CloseInfo{Code: 1006, Err: ErrHeartbeatTimeout}, false
			default:
				hbWait = time.Duration(pingAt + int64(hb.Timeout) - now)
			}
			if wait == 0 || hbWait < wait {
				wait = hbWait
			}
		}
		if wait > 0 {
			timer.reset(wait)
		}
		select {
		case <-l.done:
			return l.info, false
		case <-lf.ctx.Done():
			return c.endLink(lf, l, false)
		case <-c.kick:
			return c.endLink(lf, l, true)
		case <-l.confirm:
		case <-c.wake:
			if beat && pingAt == 0 {
				pingAt = c.ping(l)
			}
		case <-l.drained:
			if !c.flush(lf, l) {
				return c.endLink(lf, l, false)
			}
		case <-timer.c:
		}
	}
}

// ping sends a heartbeat ping and returns when it was sent. A write that
// cannot finish within the heartbeat timeout closes the connection.
func (c *Client) ping(l *link) int64 {
	at := int64(c.now())
	if at == 0 {
		at = 1
	}
	ctx, cancel, _ := withTimeout(l.wctx, c.opts.Heartbeat.Timeout)
	defer cancel()
	if l.lockWrite(ctx) == nil {
		// Noted first: the pong may arrive before the write returns.
		l.led.notePing(at)
		if l.conn.write(ctx, bytesFrame(MessageText, wire.PingFrame)) == nil {
			c.msgsOut.Add(1)
			c.bytesOut.Add(int64(len(wire.PingFrame)))
		} else {
			l.broken = true
		}
		l.unlockWrite()
	}
	return at
}

// endLink ends l on the client's initiative: with 1000 after Close, or
// "reconnect" after Reconnect; a connection that already ended reports its
// own info.
func (c *Client) endLink(lf *life, l *link, manual bool) (CloseInfo, bool) {
	select {
	case <-l.done:
		return l.info, manual
	default:
	}
	code, reason := 1000, "reconnect"
	if !manual {
		c.mu.Lock()
		code, reason = lf.closeCode, lf.closeReason
		c.mu.Unlock()
	}
	// Sends from now on wait in the queue for the next connection (after
	// Reconnect) instead of failing on this one.
	c.mu.Lock()
	if c.link == l {
		c.flushing = true
	}
	c.mu.Unlock()
	// The peer answers the close frame only after reading everything
	// written before it: if it does, that is confirmed (see confirm.go).
	// lf.ctx may have ended: the wait for a write in progress has a
	// context of its own.
	ctx, cancel, _ := withTimeout(context.Background(), closeWait)
	trust := l.acquire(ctx) == nil
	cancel()
	var mark uint64
	if trust {
		mark = l.led.mark()
		trust = !l.broken
		l.closing = true
		l.release()
	}
	l.conn.close(code, reason)
	c.waitEnded(l)
	if trust && answeredClose(l, code, reason) {
		l.led.confirm(mark)
	}
	return CloseInfo{Code: code, Reason: reason, WasClean: true}, manual
}

// answeredClose reports whether l ended with the peer's answer to the close
// frame the client sent with code and reason. Peers echo the code and
// reason (RFC 6455, 5.5.1); a close frame with anything else is the peer's
// own, sent before it read the client's, which proves nothing.
func answeredClose(l *link, code int, reason string) bool {
	select {
	case <-l.done:
		return l.info.WasClean && l.info.Code == code && l.info.Reason == reason
	default:
		return false // dropped after closeWait
	}
}

// endCause is why l ended, for an *UnconfirmedError.
func endCause(l *link, info CloseInfo) error {
	if info.Err != nil {
		return info.Err
	}
	select {
	case <-l.done:
		return l.info.Err
	default:
		return nil
	}
}

// waitEnded waits for the transport to report the end, at most closeWait:
// a peer that ignores the close handshake must not hold up Close.
func (c *Client) waitEnded(l *link) {
	t := newAlarm(closeWait)
	defer t.stop()
	select {
	case <-l.done:
	case <-t.c:
		l.conn.abort()
	}
}

const closeWait = time.Second

// runOpenHandlers runs the OnOpen handlers on the handler goroutine and
// waits for them, so that what they send goes out before the queue.
func (c *Client) runOpenHandlers(lf *life, l *link) bool {
	c.mu.Lock()
	hs := c.reg.open.list
	l.openRan = true
	c.mu.Unlock()
	if len(hs) == 0 {
		return true
	}
	ctx := context.WithValue(l.ctx, openKey{}, l)
	done := make(chan struct{})
	lf.events.push(func() {
		defer close(done)
		for _, h := range hs {
			func() {
				defer func() {
					if v := recover(); v != nil {
						c.report(lf, &HandlerError{Type: "open", Err: panicError(v)})
					}
				}()
				h.fn(ctx)
			}()
		}
	})
	select {
	case <-done:
		return true
	case <-l.done:
	case <-lf.ctx.Done():
	}
	return false
}

type openKey struct{}

// flush sends the queue in order, exactly once. Sends made meanwhile join
// the queue's tail; flushing ends when it is empty.
func (c *Client) flush(lf *life, l *link) bool {
	for {
		if lf.ctx.Err() != nil {
			return false // Close: what is left is discarded and reported
		}
		c.mu.Lock()
		if l.congested {
			c.mu.Unlock()
			return true // flushing resumes when the socket drains
		}
		expired := c.expireLocked()
		it, ok := c.queue.pop()
		if !ok {
			c.flushing = false
		} else if it.p != nil {
			it.p.link = l
		}
		c.mu.Unlock()
		c.reportExpired(lf, expired)
		if !ok {
			return true
		}
		if err := c.writeFrame(l.wctx, l, it.frame, it.t, it.p); err != nil {
			c.mu.Lock()
			if it.p != nil {
				it.p.link = nil
			}
			c.queue.pushFront(it)
			c.mu.Unlock()
			return false
		}
	}
}

// setCongested records whether the browser's buffer for l is past its
// high-water mark; while it is, sends queue, and once it drains the
// supervisor flushes the queue before sends go direct again.
func (c *Client) setCongested(l *link, on bool) {
	c.mu.Lock()
	l.congested = on
	if on && c.link == l {
		c.flushing = true
	}
	c.mu.Unlock()
	if !on {
		signal(l.drained)
	}
}

// sleep waits out a backoff delay; false means the client was closed.
func (c *Client) sleep(lf *life, d time.Duration) bool {
	t := newAlarm(d)
	defer t.stop()
	select {
	case <-t.c:
	case <-c.kick:
	case <-c.wake:
	case <-lf.ctx.Done():
		return false
	}
	c.mu.Lock()
	expired := c.expireLocked()
	c.mu.Unlock()
	c.reportExpired(lf, expired)
	return lf.ctx.Err() == nil
}

// stop ends a life: state Closed, pending requests failed, queued messages
// discarded and reported, then the handler goroutine is let go.
func (c *Client) stop(lf *life, err error, last *CloseInfo) {
	c.mu.Lock()
	c.err, c.life, c.link, c.flushing = err, nil, nil, false
	lost := c.takePendingLocked(nil)
	items := c.queue.drain()
	c.mu.Unlock()
	platformRunning(c, false)
	lf.cancel()
	for _, p := range lost {
		p.settle(reply{err: err})
	}
	discarded := 0
	for _, it := range items {
		c.release(it.frame)
		if it.p == nil {
			discarded++
		}
	}
	c.dropped.Add(int64(discarded))
	if last != nil {
		last.WillReconnect, last.Delay = false, 0
		c.emitClose(lf, *last)
	}
	c.setState(lf, Closed)
	if discarded > 0 {
		c.report(lf, &DiscardedError{Count: discarded, Err: err})
	}
	lf.events.finish()
}

func (c *Client) emitClose(lf *life, info CloseInfo) {
	c.mu.Lock()
	hs := c.reg.close.list
	c.mu.Unlock()
	for _, h := range hs {
		c.emit(lf, "close", func() { h.fn(info) })
	}
}

// alarm is a timer built on time.AfterFunc. time.NewTimer's channel of
// time.Time would keep time formatting in the browser build (about 15 KB).
// A reset may let one stale wake-up through; every waiter re-reads the
// clock, so that is harmless.
type alarm struct {
	t *time.Timer
	c chan struct{}
}

func newAlarm(d time.Duration) *alarm {
	a := &alarm{c: make(chan struct{}, 1)}
	a.t = time.AfterFunc(d, func() { signal(a.c) })
	return a
}

func (a *alarm) reset(d time.Duration) {
	a.t.Stop()
	select {
	case <-a.c:
	default:
	}
	a.t.Reset(d)
}

func (a *alarm) stop() { a.t.Stop() }

// withTimeout is context.WithTimeout without its deadline machinery, whose
// String method drags time formatting into the browser build. timedOut
// reports whether the timeout (rather than the parent) ended ctx. d <= 0
// means no timeout.
func withTimeout(parent context.Context, d time.Duration) (ctx context.Context, cancel func(), timedOut func() bool) {
	ctx, stop := context.WithCancel(parent)
	if d <= 0 {
		return ctx, stop, func() bool { return false }
	}
	var fired atomic.Bool
	t := time.AfterFunc(d, func() { fired.Store(true); stop() })
	return ctx, func() { t.Stop(); stop() }, fired.Load
}

// timeoutDialError is a connection attempt cut off by ConnectTimeout.
type timeoutDialError struct {
	d   time.Duration
	err error
}

func (e *timeoutDialError) Error() string {
	return "steadyws: connect timeout after " + e.d.String() + ": " + e.err.Error()
}
func (e *timeoutDialError) Unwrap() error { return e.err }

// Is makes a connect timeout match context.DeadlineExceeded.
func (e *timeoutDialError) Is(target error) bool { return target == context.DeadlineExceeded }
