package sdk

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

// Client is a WebSocket connection that survives drops: it reconnects with
// backoff, queues sends while disconnected and routes messages to handlers.
// Handlers belong to the Client, not to a connection, so they survive
// reconnects. All methods are safe for concurrent use.
type Client struct {
	url    string
	opts   Options
	dial   dialer
	random func() float64

	kick chan struct{} // Reconnect: drop the connection or skip the wait
	wake chan struct{} // check liveness now, or skip the backoff wait

	// goreqs times out the requests Go starts (start), and fails them when
	// their context ends.
	goreqs goRequests

	msgsIn, msgsOut   atomic.Int64
	bytesIn, bytesOut atomic.Int64
	dropped           atomic.Int64
	unconfirmed       atomic.Int64

	mu              sync.Mutex
	state           State
	life            *life // nil once stopped
	link            *link // the open connection, or nil
	flushing        bool  // link is open but the queue is not flushed yet
	queue           sendQueue
	pending         map[int64]*pending
	gaveUp          map[int64]struct{} // requests the caller stopped waiting for (see gaveUpLocked)
	gaveUpOrder     []int64
	lateReplies     int64
	nextID          int64
	err             error // why the client stopped
	failures        int
	lastFailure     error // the last failed attempt's error, for Dial
	reconnects      int
	everOpened      bool
	saidUnreachable bool  // an *UnreachableError was reported
	badOptions      error // an *OptionError: the client never starts
	rtt             duration
	connectedSince  int64 // Unix nanoseconds; 0 when not connected
	reg             registry
	rel             *session // Options.Reliable; nil otherwise
}

// life is one run of the client, from New or Reconnect until it stops.
type life struct {
	ctx    ctxt
	cancel func()
	done   chan struct{} // closed when the supervisor has exited
	opened chan struct{} // closed at the first open, for Dial
	events *serial
	// closeCode and closeReason (guarded by Client.mu) close the connection
	// when the life is cancelled.
	closeCode   int
	closeReason string
}

// New returns a Client that connects to url in the background and keeps
// reconnecting as Options describe. A nil opts means defaults.
func New(url string, opts *Options) *Client {
	return newClient(url, opts, nil)
}

// newClient is New with a hook that runs before the client starts.
func newClient(url string, opts *Options, setup func(*Client)) *Client {
	c := &Client{
		url:     url,
		opts:    opts.withDefaults(),
		dial:    platformDial,
		random:  rand.Float64,
		kick:    make(chan struct{}, 1),
		wake:    make(chan struct{}, 1),
		pending: make(map[int64]*pending),
	}
	if c.opts.Reliable {
		c.rel = newSession()
	}
	if setup != nil {
		setup(c)
	}
	c.mu.Lock()
	if err := opts.check(); err != nil {
		c.state, c.err, c.badOptions = Closed, err, err
	} else {
		c.startLocked()
	}
	c.mu.Unlock()
	return c
}

func (c *Client) startLocked() {
	if c.badOptions != nil {
		return // Reconnect cannot mend options; Err still says why
	}
	ctx, cancel := withCancel(background())
	lf := &life{ctx: ctx, cancel: cancel, done: make(chan struct{}), opened: make(chan struct{}), events: newSerial()}
	c.life, c.err, c.failures, c.state = lf, nil, 0, Connecting
	platformRunning(c, true)
	go c.run(lf)
}

// Close stops the client for good: it closes the connection with 1000 if one
// is open, stops any dial or backoff wait at once, fails pending requests
// with ErrClosed and reports queued messages it discards through OnError.
// It is idempotent and returns when the client has stopped.
func (c *Client) Close() error {
	if lf := c.stopAsync(1000, ""); lf != nil {
		<-lf.done
	}
	return nil
}

// stopAsync starts stopping the client, closing an open connection with
// code and reason, and returns the life to wait for (nil if stopped).
func (c *Client) stopAsync(code int, reason string) *life {
	c.mu.Lock()
	lf := c.life
	if lf != nil && lf.ctx.Err() == nil {
		lf.closeCode, lf.closeReason = code, reason
	}
	c.mu.Unlock()
	if lf != nil {
		lf.cancel()
	}
	return lf
}

// Done returns a channel closed when the current run of the client stops
// for good; Err then says why.
func (c *Client) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.life == nil {
		ch := make(chan struct{})
		close(ch)
		return ch
	}
	return c.life.done
}

// Err returns why the client stopped (ErrClosed after Close, a *CloseError,
// a *HandshakeError, an error wrapping ErrRetriesExhausted, ...), or nil
// while it runs.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// State returns the client's current state.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Reconnect starts a stopped client again. On an open connection it closes
// it with 1000 and reconnects at once; while waiting out a backoff delay it
// dials at once.
func (c *Client) Reconnect() {
	c.mu.Lock()
	if c.life == nil && c.badOptions == nil {
		c.startLocked() // state Closed → Connecting
		lf, hs := c.life, c.reg.state.list
		c.mu.Unlock()
		for _, h := range hs {
			c.emit(lf, "statechange", func() { h.fn(Connecting) })
		}
		return
	}
	lf := c.life
	c.mu.Unlock()
	if lf != nil {
		signal(c.kick)
	}
}

// checkLiveness makes the client ping at once when open, or dial at once
// when waiting to reconnect (browser online and visibilitychange events).
func (c *Client) checkLiveness() { signal(c.wake) }

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Stats returns a snapshot of the client's counters.
func (c *Client) Stats() Stats {
	var rs relStats
	if s := c.rel; s != nil {
		s.mu.Lock()
		rs = relStats{s.resent.Load(), s.recv.Duplicates, s.send.Len(), s.restarts.Load()}
		s.mu.Unlock()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{
		Resent:          rs.resent,
		Duplicates:      rs.duplicates,
		Unacked:         rs.unacked,
		SessionRestarts: rs.restarts,
		State:           c.state,
		Attempts:        c.failures,
		Reconnects:      c.reconnects,
		MessagesIn:      c.msgsIn.Load(),
		MessagesOut:     c.msgsOut.Load(),
		BytesIn:         c.bytesIn.Load(),
		BytesOut:        c.bytesOut.Load(),
		Queued:          c.queue.len(),
		Dropped:         c.dropped.Load(),
		Unconfirmed:     c.unconfirmed.Load(),
		LateReplies:     c.lateReplies,
		RTT:             c.rtt,
		ConnectedSince:  unixTime(c.connectedSince),
	}
}

type relStats struct {
	resent, duplicates int64
	unacked            int
	restarts           int64
}

// setState records s and tells OnStateChange handlers.
func (c *Client) setState(lf *life, s State) {
	c.mu.Lock()
	if c.state == s {
		c.mu.Unlock()
		return
	}
	c.state = s
	hs := c.reg.state.list
	c.mu.Unlock()
	for _, h := range hs {
		c.emit(lf, "statechange", func() { h.fn(s) })
	}
}
