package sdk

import (
	"slices"
	"testing"
)

// The ledger drops exactly what a pong or reply confirms, however the
// confirmed frames split its runs of one type.
func TestLedgerConfirmsPrefixes(t *testing.T) {
	var g ledger
	for _, typ := range []string{"a", "a", "b", "c", "c", "c"} {
		g.note(typ, 10)
	}
	p := &pending{}
	g.noteRequest(p) // after frame 6
	g.note("a", 10)  // 7
	g.notePing(1)    // after frame 7
	g.note("d", 10)  // 8

	g.confirmLocked(4, 0) // a, a, b and one c
	if g.written-g.done != 4 || !slices.Equal(g.runs, []run{{"c", 2}, {"a", 1}, {"d", 1}}) {
		t.Fatalf("after confirming 4: %d left in %v", g.written-g.done, g.runs)
	}
	if at, _ := g.pong(2); at != 1 || g.written-g.done != 1 {
		t.Fatalf("a pong for the ping sent at 1 (returned %d) left %d", at, g.written-g.done)
	}
	g.reply(p, 3) // a late reply confirms nothing more
	if n, types := g.end(); n != 1 || !slices.Equal(types, []string{"d"}) {
		t.Fatalf("end: %d %q, want the one d written after the ping", n, types)
	}
	if _, late := g.note("e", 1); !late {
		t.Fatal("a note after the end was not reported late")
	}
}

// A server that leaves pings unanswered cannot have its later pongs
// confirm frames written after pings it never answered.
func TestLedgerStopsPairingUnansweredPings(t *testing.T) {
	var g ledger
	for i := range maxPings + 1 {
		g.note("x", 1)
		g.notePing(int64(i + 1))
	}
	if at, _ := g.pong(100); at != 0 || g.done != 0 {
		t.Fatalf("a pong after %d unanswered pings confirmed %d frames", maxPings+1, g.done)
	}
	if due, _ := g.plan(0, 1); due {
		t.Fatal("a confirmation ping planned although pongs confirm nothing")
	}
}
