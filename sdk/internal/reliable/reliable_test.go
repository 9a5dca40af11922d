package reliable

import (
	"errors"
	"testing"
)

func TestSenderKeepsUntilAcked(t *testing.T) {
	var s Sender
	for i := 1; i <= 5; i++ {
		n, err := s.Next()
		if err != nil || n != int64(i) {
			t.Fatalf("Next = %d, %v; want %d", n, err, i)
		}
		s.Keep(Event{Seq: n, Type: "chat", Size: 10})
	}
	var released []int64
	if err := s.Ack(3, func(e Event) { released = append(released, e.Seq) }); err != nil {
		t.Fatal(err)
	}
	if len(released) != 3 || released[0] != 1 || released[2] != 3 {
		t.Errorf("released %v, want [1 2 3]", released)
	}
	if s.Len() != 2 || s.Bytes() != 20 {
		t.Errorf("kept %d events, %d bytes; want 2, 20", s.Len(), s.Bytes())
	}
	// An old ack, or the same one twice, releases nothing.
	if err := s.Ack(2, func(e Event) { t.Errorf("released %d again", e.Seq) }); err != nil {
		t.Fatal(err)
	}
	if u := s.Unacked(); len(u) != 2 || u[0].Seq != 4 || u[1].Seq != 5 {
		t.Errorf("Unacked = %+v, want 4 and 5", u)
	}
	if err := s.Ack(6, nil); !errors.Is(err, ErrAckAhead) {
		t.Errorf("ack of an event never sent: %v", err)
	}
	if err := s.Ack(5, nil); err != nil || s.Len() != 0 || s.Bytes() != 0 {
		t.Errorf("after acking all: %v, %d kept, %d bytes", err, s.Len(), s.Bytes())
	}
	// Numbering goes on after the window empties.
	if n, _ := s.Next(); n != 6 {
		t.Errorf("Next after acks = %d, want 6", n)
	}
}

// A long run with acks trailing behind keeps the buffer bounded by what is
// unacknowledged, not by what was ever sent.
func TestSenderCompacts(t *testing.T) {
	var s Sender
	for i := 0; i < 100_000; i++ {
		n, _ := s.Next()
		s.Keep(Event{Seq: n, Size: 1})
		if n > 10 {
			if err := s.Ack(n-10, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	if s.Len() != 10 || cap(s.kept) > 1024 {
		t.Errorf("%d kept in a buffer of %d", s.Len(), cap(s.kept))
	}
}

func TestSenderReset(t *testing.T) {
	var s Sender
	for range 3 {
		n, _ := s.Next()
		s.Keep(Event{Seq: n, Type: "t"})
	}
	s.Ack(1, nil)
	lost := s.Reset()
	if len(lost) != 2 || lost[0].Seq != 2 {
		t.Errorf("Reset returned %+v, want events 2 and 3", lost)
	}
	if n, _ := s.Next(); n != 1 || s.Len() != 0 {
		t.Errorf("after Reset: Next %d, %d kept", n, s.Len())
	}
}

func TestSenderStopsAtMaxSeq(t *testing.T) {
	s := Sender{last: MaxSeq - 1}
	if n, err := s.Next(); err != nil || n != MaxSeq {
		t.Fatalf("Next = %d, %v", n, err)
	}
	if _, err := s.Next(); !errors.Is(err, ErrSeqSpent) {
		t.Errorf("past MaxSeq: %v", err)
	}
}

func TestReceiverOrderDuplicatesGaps(t *testing.T) {
	var r Receiver
	steps := []struct {
		seq  int64
		want Verdict
	}{{1, Deliver}, {2, Deliver}, {2, Duplicate}, {1, Duplicate}, {4, Gap}, {3, Deliver}, {4, Deliver}}
	for _, s := range steps {
		if v, _ := r.Accept(s.seq, 1, 0); v != s.want {
			t.Errorf("Accept(%d) = %v, want %v", s.seq, v, s.want)
		}
	}
	if r.Last() != 4 || r.Duplicates != 2 {
		t.Errorf("Last %d, Duplicates %d; want 4, 2", r.Last(), r.Duplicates)
	}
	r.Reset()
	if v, _ := r.Accept(1, 1, 0); v != Deliver || r.Duplicates != 2 {
		t.Errorf("after Reset: %v, duplicates %d", v, r.Duplicates)
	}
}

func TestReceiverAckPacing(t *testing.T) {
	const ms = 1_000_000
	var r Receiver
	if _, due, _ := r.AckDue(0); due {
		t.Fatal("ack due with nothing received")
	}
	r.Accept(1, 10, 5*ms)
	r.Accept(2, 10, 30*ms)
	if seq, due, wait := r.AckDue(50 * ms); due || seq != 2 || wait != 55*ms {
		t.Errorf("at 50 ms: seq %d due %v wait %d; want 2, not yet, 55 ms", seq, due, wait)
	}
	if seq, due, _ := r.AckDue(105 * ms); !due || seq != 2 {
		t.Errorf("at 105 ms (100 ms after the first unacked): seq %d due %v", seq, due)
	}
	r.Acked(2)
	if _, due, _ := r.AckDue(500 * ms); due {
		t.Error("ack due again after acking everything")
	}
	// 64 events make it due at once.
	var now bool
	for i := int64(3); i < 3+AckEvents; i++ {
		_, now = r.Accept(i, 1, 600*ms)
	}
	if !now {
		t.Errorf("no immediate ack after %d events", AckEvents)
	}
	r.Acked(r.Last())
	// So does 64 KiB.
	if _, now := r.Accept(r.Last()+1, AckBytes, 700*ms); !now {
		t.Error("no immediate ack after 64 KiB")
	}
}

// At a resume the $hello carries Last: nothing is left to acknowledge.
func TestReceiverResumed(t *testing.T) {
	var r Receiver
	r.Accept(1, 1, 0)
	r.Resumed()
	if _, due, _ := r.AckDue(1 << 40); due {
		t.Error("ack still due after the $hello carried it")
	}
}

func TestRestore(t *testing.T) {
	var s Sender
	s.Restore(7, []Event{{Seq: 6, Size: 3}, {Seq: 7, Size: 4}})
	if s.Len() != 2 || s.Bytes() != 7 || s.Last() != 7 {
		t.Fatalf("restored sender: %d kept, %d bytes, last %d", s.Len(), s.Bytes(), s.Last())
	}
	if n, _ := s.Next(); n != 8 {
		t.Errorf("Next after Restore = %d, want 8", n)
	}
	if err := s.Ack(6, nil); err != nil || s.Len() != 1 {
		t.Errorf("Ack(6): %v, %d kept", err, s.Len())
	}
	var r Receiver
	r.Restore(5)
	if v, _ := r.Accept(5, 1, 0); v != Duplicate {
		t.Errorf("5 after Restore(5): %v, want Duplicate", v)
	}
	if v, _ := r.Accept(6, 1, 0); v != Deliver {
		t.Errorf("6 after Restore(5): %v, want Deliver", v)
	}
	if seq, _, _ := r.AckDue(0); seq != 6 {
		t.Errorf("AckDue after 6 = %d, want 6", seq)
	}
}
