package sdk

// The supervisor: one goroutine per life of a client that dials, serves
// the connection (open handlers, queue flush, then the watch loop), applies
// the reconnect policy, waits out the backoff, and again.

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
		// Browsers hide why a handshake failed: a refused origin, a wrong
		// path and a server that is down all look like close 1006. Say
		// once that it keeps failing, while retrying goes on.
		unreachable := dialHidesCause && err != nil && !c.everOpened && !c.saidUnreachable && failures == unreachableAfter
		if unreachable {
			c.saidUnreachable = true
		}
		c.mu.Unlock()
		if unreachable {
			c.report(lf, &UnreachableError{URL: redactURL(c.url), Attempts: failures})
		}

		if stopErr := c.decide(info, failures); stopErr != nil {
			if stopErr == ErrReliableUnsupported {
				c.report(lf, stopErr)
			}
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
	if _, bad := info.Err.(*badURLError); bad || info.Err == ErrReliableUnsupported {
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
	if l.conn == nil { // the native dialer sets it before it reads
		l.conn = conn
	}
	if c.rel != nil {
		if err := c.hello(ctx, l); err != nil {
			if timedOut() {
				err = &timeoutDialError{c.opts.ConnectTimeout, err}
			}
			return nil, err
		}
	}
	return l, nil
}

// serve runs an open connection until it ends: open handlers, queue flush,
// then the watch (heartbeat, confirmation pings, Reconnect, Close). manual reports a Reconnect call; healthy that the
// connection stayed up for ResetAfter.
func (c *Client) serve(lf *life, l *link) (info CloseInfo, manual, healthy bool) {
	opened := c.now()
	c.mu.Lock()
	c.link, c.flushing, c.connectedSince = l, true, wallNow()
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
	c.detach(l)

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
	if !c.runOpenHandlers(lf, l) || !c.resume(l) || !c.flush(lf, l) {
		return c.endLink(lf, l, false)
	}
	hb := newHeartbeat(&c.opts)
	age := c.opts.confirmAge()
	timer := newAlarm(hour)
	defer timer.stop()
	for {
		// A confirmation ping (see confirm.go) is also a heartbeat ping:
		// nothing arriving within Timeout after it means the connection
		// is dead.
		due, wait := l.led.plan(c.now(), age)
		if due {
			hb.pinged(c.ping(l))
			wait = age // if the ping could not be written, try again then
		}
		if w := c.writeAck(l); w > 0 && (wait == 0 || w < wait) {
			wait = w
		}
		wait, v := hb.check(c, l, wait)
		switch v {
		case beatAgain:
			continue
		case beatDead:
			l.conn.abort()
			c.waitEnded(l)
			return CloseInfo{Code: 1006, Err: ErrHeartbeatTimeout}, false
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
		case <-l.ack:
		case <-c.wake:
			hb.pingNow(c, l)
		case <-l.drained:
			if !c.flush(lf, l) {
				return c.endLink(lf, l, false)
			}
		case <-timer.c:
		}
	}
}

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
	ctx := withValue(l.ctx, openKey{}, l)
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

// sleep waits out a backoff delay; false means the client was closed.
func (c *Client) sleep(lf *life, d duration) bool {
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
	c.goreqs.stopped()
	discarded := 0
	for _, it := range items {
		it.release()
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
