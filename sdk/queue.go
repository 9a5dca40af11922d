package sdk

import "time"

// frame is one outgoing message: bytes held by Go, or, in the browser's
// JavaScript API, a handle on a string that JavaScript holds (so that the
// message never crosses into Go memory).
type frame struct {
	typ  MessageType
	data []byte
	ref  int32 // > 0: the JavaScript-held string
	size int   // bytes (UTF-16 units for JavaScript strings)
}

func bytesFrame(typ MessageType, data []byte) frame {
	return frame{typ: typ, data: data, size: len(data)}
}

// queued is a frame waiting for a connection.
type queued struct {
	frame
	t  string   // envelope type, for error reports
	p  *pending // set for requests
	at time.Duration
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
