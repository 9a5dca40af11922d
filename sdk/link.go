package sdk

import (
	"sync"
	"sync/atomic"
)

// One connection (link): what its transport reports (frame, oversize,
// ended), its write lock, flow control (setCongested) and how the client
// ends it (endLink). The supervisor that serves it is in run.go.

// link is one connection: the sink its transport reports to, and the state
// the heartbeat reads.
type link struct {
	c      *Client
	lf     *life
	conn   conn
	ctx    ctxt // ends with the connection, or when the client stops
	cancel func()
	// wctx bounds writes: it ends with the connection only. Close must not
	// end it: coder/websocket tears the connection down when a write's
	// context ends, which would cut off the close handshake that confirms
	// what was written (see endLink).
	wctx    ctxt
	wcancel func()
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
	// ack wakes the supervisor to plan reliable mode's acknowledgement.
	ack chan struct{}

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

func (l *link) frame(typ MessageType, data []byte) { l.c.receive(l, typ, data, int64(l.c.now())) }

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

// newLink returns the link for one connection attempt of lf.
func newLink(c *Client, lf *life) *link {
	l := &link{c: c, lf: lf, done: make(chan struct{}), drained: make(chan struct{}, 1),
		wlock: make(chan struct{}, 1), confirm: make(chan struct{}, 1), ack: make(chan struct{}, 1)}
	l.led.noPing = c.opts.Raw
	l.ctx, l.cancel = withCancel(lf.ctx)
	l.wctx, l.wcancel = withCancel(background())
	l.lastRecv.Store(int64(c.now()))
	return l
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
	ctx, cancel, _ := withTimeout(background(), closeWait)
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

const closeWait = second

// lockWrite takes l's write lock: frames are written, numbered and marked
// in one order. It gives up when ctx ends, so that a write stuck on a
// stalled connection cannot hold up the heartbeat's ping forever, and
// fails once the client has started closing l: nothing may be written
// during the close handshake that confirms what came before (endLink).
// A write with a context that has ended could tear the connection down
// (coder/websocket closes it when a write's context ends), so that is
// checked here too.
func (l *link) lockWrite(ctx ctxt) error {
	if err := l.acquire(ctx); err != nil {
		return err
	}
	if l.closing {
		l.release()
		return errLinkClosing
	}
	if err := ctx.Err(); err != nil {
		l.release()
		return err
	}
	return nil
}

func (l *link) unlockWrite() { l.release() }

// acquire and release are the write lock itself.
func (l *link) acquire(ctx ctxt) error {
	select {
	case l.wlock <- struct{}{}:
		return nil
	default:
	}
	select {
	case l.wlock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *link) release() { <-l.wlock }

// setCongested records whether the browser's buffer for l is past its
// high-water mark; while it is, sends queue, and once it drains the
// supervisor flushes the queue before sends go direct again.
func (l *link) setCongested(on bool) {
	c := l.c
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
