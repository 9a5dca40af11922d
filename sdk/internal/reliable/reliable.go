// Package reliable keeps one side of a reliable-mode session (see "Reliable
// mode" in the README): the numbers of the events it sends, the events it
// keeps until the peer acknowledges them, the number of the last event it
// handed to its handlers, and when to acknowledge. It is bookkeeping only —
// no I/O, no clock of its own, no locks — so that the client (both builds)
// and sdk/server share one copy of the rules.
package reliable

import "errors"

// Acknowledgement pacing: acknowledge at most AckDelay after receiving an
// unacknowledged event, sooner once AckEvents events or AckBytes bytes are
// unacknowledged.
const (
	AckDelay  = 100_000_000 // nanoseconds
	AckEvents = 64
	AckBytes  = 64 << 10
)

// MaxSeq is the largest sequence number: JavaScript numbers hold integers
// exactly up to it.
const MaxSeq = 1<<53 - 1

// Errors of the peer's numbers; each is a protocol violation.
var (
	ErrAckAhead = errors.New("acknowledges an event never sent")
	ErrSeqSpent = errors.New("sequence numbers exhausted")
)

// Event is one event written and kept until acknowledged. Frame is what
// was written (sent again as is at a resume); the browser's JavaScript API,
// which keeps the string in JavaScript, uses Ref instead.
type Event struct {
	Seq   int64
	Type  string
	Frame []byte
	Ref   int32
	Size  int
}

// Sender numbers one direction's events and keeps every event written
// until the peer acknowledges it.
type Sender struct {
	last  int64   // the last number given
	kept  []Event // written and not acknowledged, in ascending Seq
	head  int     // kept[:head] are acknowledged and cleared
	bytes int
}

// Next returns the number of the next event.
func (s *Sender) Next() (int64, error) {
	if s.last >= MaxSeq {
		return 0, ErrSeqSpent
	}
	s.last++
	return s.last, nil
}

// Keep keeps e, which was numbered by Next and written, until the peer
// acknowledges it. Events must be kept in the order of their numbers.
func (s *Sender) Keep(e Event) {
	s.kept = append(s.kept, e)
	s.bytes += e.Size
}

// Ack takes the peer's cumulative acknowledgement of every event up to
// seq, calling release (when not nil) for each event it lets go of, so the
// caller can free what it holds for it. An ack of a number never given is
// an error; an old one does nothing.
func (s *Sender) Ack(seq int64, release func(Event)) error {
	if seq > s.last {
		return ErrAckAhead
	}
	for s.head < len(s.kept) && s.kept[s.head].Seq <= seq {
		s.bytes -= s.kept[s.head].Size
		if release != nil {
			release(s.kept[s.head])
		}
		s.kept[s.head] = Event{}
		s.head++
	}
	switch {
	case s.head == len(s.kept):
		s.kept, s.head = s.kept[:0], 0
	case s.head > 64 && s.head > len(s.kept)/2:
		n := copy(s.kept, s.kept[s.head:])
		clear(s.kept[n:])
		s.kept, s.head = s.kept[:n], 0
	}
	return nil
}

// Unacked returns the kept events, in order: at a resume, after Ack with
// the peer's ack from the $hello, these are written again as they were.
func (s *Sender) Unacked() []Event { return s.kept[s.head:] }

// Len and Bytes count the kept events.
func (s *Sender) Len() int   { return len(s.kept) - s.head }
func (s *Sender) Bytes() int { return s.bytes }

// Last is the number of the last event numbered.
func (s *Sender) Last() int64 { return s.last }

// Reset forgets the session: it returns the kept events (written, never
// acknowledged: they may or may not have arrived) and numbering restarts
// at 1.
func (s *Sender) Reset() []Event {
	out := append([]Event(nil), s.kept[s.head:]...)
	*s = Sender{}
	return out
}

// Restore sets a Sender to a state saved elsewhere (a server's session
// store): last is the last number given, kept the events not acknowledged,
// in ascending Seq, all at most last.
func (s *Sender) Restore(last int64, kept []Event) {
	*s = Sender{last: last, kept: append([]Event(nil), kept...)}
	for _, e := range kept {
		s.bytes += e.Size
	}
}

// Verdict is what to do with an inbound numbered event.
type Verdict uint8

const (
	Deliver   Verdict = iota // the next event: hand it to the handlers
	Duplicate                // seen before: drop it, and count it
	Gap                      // one or more events are missing: the connection is broken
)

// Receiver checks one direction's inbound numbers and paces the
// acknowledgements.
type Receiver struct {
	last  int64 // the last number handed to the handlers
	acked int64 // the last number acknowledged to the peer
	count int   // events delivered since the last acknowledgement
	bytes int   // and their bytes
	since int64 // when the oldest of them arrived (caller's clock, ns)
	// Duplicates counts events dropped as already delivered.
	Duplicates int64
}

// Accept judges event seq of size bytes that arrived at now, and returns
// whether an acknowledgement is due at once (AckEvents or AckBytes
// reached); otherwise AckDue says when.
func (r *Receiver) Accept(seq int64, size int, now int64) (v Verdict, ackNow bool) {
	switch {
	case seq <= r.last:
		r.Duplicates++
		return Duplicate, false
	case seq != r.last+1:
		return Gap, false
	}
	r.last = seq
	if r.count == 0 {
		r.since = now
	}
	r.count++
	r.bytes += size
	return Deliver, r.count >= AckEvents || r.bytes >= AckBytes
}

// AckDue returns the number to acknowledge and whether it is due at now;
// when it is not due but will be, wait says in how many nanoseconds.
func (r *Receiver) AckDue(now int64) (seq int64, due bool, wait int64) {
	if r.last == r.acked {
		return 0, false, 0
	}
	if r.count >= AckEvents || r.bytes >= AckBytes || now-r.since >= AckDelay {
		return r.last, true, 0
	}
	return r.last, false, r.since + AckDelay - now
}

// Acked records that an acknowledgement of seq was written.
func (r *Receiver) Acked(seq int64) {
	if seq > r.acked {
		r.acked = seq
	}
	if r.acked >= r.last {
		r.count, r.bytes, r.since = 0, 0, 0
	}
}

// Waiting returns how many events were delivered since the last
// acknowledgement: 1 means one just became due within AckDelay.
func (r *Receiver) Waiting() int { return r.count }

// Settled reports whether every event handed to the handlers has been
// acknowledged to the peer.
func (r *Receiver) Settled() bool { return r.acked >= r.last }

// Last is the number of the last event handed to the handlers: the ack a
// client sends in its $hello, and the ack a server answers it with.
func (r *Receiver) Last() int64 { return r.last }

// Resumed records that the peer, at a resume, knows everything up to
// Last as acknowledged: the $hello (or its reply) carried it.
func (r *Receiver) Resumed() { r.Acked(r.last) }

// Restore sets a Receiver to a state saved elsewhere: last is the number
// of the last event handed to the handlers, known to the peer as
// acknowledged once the session resumes.
func (r *Receiver) Restore(last int64) {
	*r = Receiver{last: last, acked: last, Duplicates: r.Duplicates}
}

// Reset forgets the session: numbering restarts at 1. Duplicates keeps
// counting.
func (r *Receiver) Reset() { *r = Receiver{Duplicates: r.Duplicates} }
