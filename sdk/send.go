package sdk

// Sending: admit decides between the open connection and the queue, send
// writes (combining concurrent senders), and sent accounts for every frame
// that leaves, whichever path wrote it.

// writeFrame writes one frame on l, counts it, and notes it in l's ledger
// (see confirm.go): request p's position, for its reply to confirm what
// was written before it, or else the event or raw frame of type t, which
// stays unconfirmed until a pong or reply does.
func (c *Client) writeFrame(ctx ctxt, l *link, f frame, t string, p *pending) error {
	return c.write(ctx, l, f, t, p, true)
}

// writeReply writes a pong or a reply on l. The ledger ignores it: the
// peer hears of its loss through its own request.
func (c *Client) writeReply(ctx ctxt, l *link, f frame) error {
	return c.write(ctx, l, f, "", nil, false)
}

func (c *Client) write(ctx ctxt, l *link, f frame, t string, p *pending, noted bool) error {
	if err := l.lockWrite(ctx); err != nil {
		return err
	}
	if f.numbered {
		if !c.number(l, &f, t) {
			l.unlockWrite()
			return errLinkClosing
		}
		noted = false // kept until acknowledged instead (reliable.go)
	}
	if noted && p != nil {
		l.led.noteRequest(p) // before the write: the reply may beat its return
	}
	err := l.conn.write(ctx, f)
	if err != nil {
		l.broken = true
	} else {
		c.sent(l, t, f.size, noted && p == nil)
	}
	l.unlockWrite()
	if err != nil && f.seq > 0 {
		return keptError{err}
	}
	return err
}

// keptError is a failed write of a numbered event: it is kept, and written
// again at the next resume, so it must not be queued again.
type keptError struct{ error }

// sent accounts for a frame of size bytes that left on l: Stats count it,
// and an event or raw frame of type t (note) waits in l's ledger until a
// pong, a reply or an answered close confirms it (see confirm.go). The
// native writers call it holding l's write lock, so that the ledger follows
// the order on the wire; the JavaScript API as it hands JavaScript a frame
// to send at once, which JavaScript does in the order of those calls.
func (c *Client) sent(l *link, t string, size int, note bool) {
	c.msgsOut.Add(1)
	c.bytesOut.Add(int64(size))
	if !note {
		return
	}
	wake, late := l.led.note(t, size)
	if wake {
		l.askConfirm()
	}
	if late {
		c.unconfirmed.Add(1)
		c.report(l.lf, &UnconfirmedError{Count: 1, Types: []string{t}, Err: errLinkEnded})
	}
}

// admit decides where an outgoing frame goes: onto the returned link now,
// or into the queue (nil link) while there is no connection, while the
// queue is being flushed (unless the sender is an open handler of that very
// link, opener), or while the link is congested.
func (c *Client) admit(f frame, t string, p *pending, opener *link) (*link, error) {
	c.mu.Lock()
	if c.life == nil || c.life.ctx.Err() != nil {
		err := c.stoppedErrLocked()
		c.mu.Unlock()
		return nil, err
	}
	if f.numbered {
		if err := c.window(c.queue.len(), c.queue.bytes, f.size); err != nil {
			c.mu.Unlock()
			return nil, err
		}
	}
	l := c.link
	if l == nil || c.flushing && opener != l {
		err := c.enqueueLocked(queued{frame: f, t: t, p: p, at: c.now()})
		expired := c.expireLocked()
		lf := c.life
		c.mu.Unlock()
		c.reportExpired(lf, expired)
		return nil, err
	}
	if p != nil {
		p.link = l
	}
	c.mu.Unlock()
	return l, nil
}

// send writes a frame now when a connection is open and flushed, and queues
// it otherwise. A frame whose write fails goes to the next connection
// (queued, or at once if that one is already open and flushed), except a
// request's, which fails with ErrConnectionLost: it may have reached the
// peer and is never sent twice.
//
// When another sender is writing on the same connection, the frame is
// handed to that writer and send returns at once; the writer deals with a
// failed write the same way, and reports what it cannot requeue.
func (c *Client) send(ctx ctxt, f frame, t string, p *pending) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	opener, _ := ctx.Value(openKey{}).(*link)
	l, err := c.admit(f, t, p, opener)
	if l == nil || err != nil {
		return err
	}
	l.wmu.Lock()
	if l.writing {
		l.handed = append(l.handed, outFrame{f: f, t: t, p: p})
		l.wmu.Unlock()
		return nil
	}
	l.writing = true
	l.wmu.Unlock()
	err = c.writeFrame(l.wctx, l, f, t, p)
	if _, kept := err.(keptError); kept {
		err = nil
	} else if err != nil {
		err = c.writeFailed(l, outFrame{f: f, t: t, p: p})
	}
	c.writeHanded(l)
	return err
}

// writeHanded writes the frames other senders handed over while this one
// was writing, until there are none, and then gives up the writer's role.
func (c *Client) writeHanded(l *link) {
	for {
		l.wmu.Lock()
		batch := l.handed
		if len(batch) == 0 {
			l.writing = false
			l.wmu.Unlock()
			return
		}
		l.handed, l.spare = l.spare[:0], nil
		l.wmu.Unlock()
		for i, it := range batch {
			if err := c.writeFrame(l.wctx, l, it.f, it.t, it.p); err != nil && !isKept(err) {
				// The sender has gone; tell OnError about an event that
				// could not be queued again (a request's caller hears
				// through its reply).
				if err := c.writeFailed(l, it); err != nil && it.p == nil {
					c.dropped.Add(1)
					c.report(l.lf, &DiscardedError{Count: 1, Err: err})
				}
			}
			batch[i] = outFrame{}
		}
		l.wmu.Lock()
		l.spare = batch[:0]
		l.wmu.Unlock()
	}
}

// writeFailed deals with a frame whose write failed: a request fails with
// ErrConnectionLost (through its reply channel too, for a handed one), an
// event goes back to the queue for the next connection. The error returned
// is the sender's, if it is still there to hear it.
func (c *Client) writeFailed(l *link, it outFrame) error {
	if it.p != nil {
		if p := c.takePending(it.p.id); p != nil {
			p.settle(reply{err: ErrConnectionLost})
		}
		return ErrConnectionLost
	}
	c.mu.Lock()
	if c.life == nil {
		defer c.mu.Unlock()
		return c.stoppedErrLocked()
	}
	if c.link != nil && c.link != l && !c.flushing {
		// A new connection replaced l and flushed the queue while this
		// write was failing: queued now, the frame would wait for the
		// next reconnect while later sends overtake it.
		c.mu.Unlock()
		return c.send(background(), it.f, it.t, nil)
	}
	defer c.mu.Unlock()
	return c.enqueueLocked(queued{frame: it.f, t: it.t, at: c.now()})
}

func isKept(err error) bool {
	_, ok := err.(keptError)
	return ok
}

func (c *Client) stoppedErrLocked() error {
	if c.err != nil {
		return c.err
	}
	return ErrClosed
}
