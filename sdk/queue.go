package sdk

// The send queue: what waits for a connection, bounded by Queue.Limit and
// Queue.Bytes (enqueueLocked), expired by Queue.MaxAge (expireLocked), and
// flushed in order, exactly once, after the open handlers (flush).

// queued is a frame waiting for a connection.
type queued struct {
	frame
	t  string   // envelope type, for error reports
	p  *pending // set for requests
	at duration
}

// sendQueue is a FIFO of frames with a byte count.
type sendQueue struct {
	items []queued
	head  int
	bytes int
}

func (q *sendQueue) len() int { return len(q.items) - q.head }

func (q *sendQueue) push(it queued) {
	if q.head > 0 && q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	}
	q.items = append(q.items, it)
	q.bytes += it.size
}

func (q *sendQueue) pushFront(it queued) {
	if q.head > 0 {
		q.head--
		q.items[q.head] = it
	} else {
		q.items = append([]queued{it}, q.items...)
	}
	q.bytes += it.size
}

func (q *sendQueue) peek() (queued, bool) {
	if q.len() == 0 {
		return queued{}, false
	}
	return q.items[q.head], true
}

func (q *sendQueue) pop() (queued, bool) {
	it, ok := q.peek()
	if ok {
		q.items[q.head] = queued{}
		q.head++
		q.bytes -= it.size
	}
	return it, ok
}

// remove takes out the request p, if it is still waiting.
func (q *sendQueue) remove(p *pending) (queued, bool) {
	for i := q.head; i < len(q.items); i++ {
		if it := q.items[i]; it.p == p {
			q.bytes -= it.size
			q.items = append(q.items[:i], q.items[i+1:]...)
			return it, true
		}
	}
	return queued{}, false
}

// drain empties the queue and returns what it held.
func (q *sendQueue) drain() []queued {
	out := append([]queued(nil), q.items[q.head:]...)
	*q = sendQueue{}
	return out
}

func (c *Client) enqueueLocked(it queued) error {
	q := c.opts.Queue
	// With a connection open the queue is being flushed onto it (a send
	// made meanwhile joins its tail to keep its place): Queue.Bytes bounds
	// what waits for a connection, so it does not refuse one that is
	// about to go out. Dial returns, and OnOpen handlers run, before the
	// flush is done.
	bytes := q.Bytes
	if c.link != nil {
		bytes = -1
	}
	switch {
	case q.Limit < 0:
		return ErrNotConnected
	case bytes >= 0 && it.size > bytes:
		return &TooLargeError{Size: it.size, Limit: bytes} // not "full": it could never fit
	case c.queue.len() >= q.Limit, bytes >= 0 && c.queue.bytes+it.size > bytes:
		return ErrQueueFull
	}
	c.queue.push(it)
	return nil
}

// expireLocked removes queued messages older than Queue.MaxAge; expired
// requests fail at once.
func (c *Client) expireLocked() []queued {
	maxAge := c.opts.Queue.MaxAge
	if maxAge <= 0 {
		return nil
	}
	now := c.now()
	var out []queued
	for {
		it, ok := c.queue.peek()
		if !ok || now-it.at < maxAge {
			return out
		}
		c.queue.pop()
		if it.p != nil {
			delete(c.pending, it.p.id)
		}
		out = append(out, it)
	}
}

func (c *Client) reportExpired(lf *life, items []queued) {
	if len(items) == 0 {
		return
	}
	now := c.now()
	for _, it := range items {
		err := &ExpiredError{Type: it.t, Age: duration(now - it.at)}
		it.release()
		if it.p != nil {
			it.p.settle(reply{err: err})
			continue
		}
		c.dropped.Add(1)
		c.report(lf, err)
	}
}

// unqueue takes request p out of the queue; false if it was not there.
func (c *Client) unqueue(p *pending) bool {
	c.mu.Lock()
	it, queuedStill := c.queue.remove(p)
	c.mu.Unlock()
	if queuedStill {
		it.release()
	}
	return queuedStill
}

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
		if err := c.writeFrame(l.wctx, l, it.frame, it.t, it.p); isKept(err) {
			return false
		} else if err != nil {
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
