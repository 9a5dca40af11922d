//go:build !steadyws_nojson

package sdk

import "testing"

// The due queue lets go of settled requests, so that a client making many
// requests while one waits long does not hold every settled one until it
// falls due: those at the front at once, those behind a waiting one in
// sweeps whose cost is spread over the adds.
func TestDueQueueDropsSettled(t *testing.T) {
	var q dueQueue
	c := &Client{}
	add := func() *goReq {
		g := &goReq{c: c, due: c.now() + hour}
		q.add(c, g)
		return g
	}
	waiting := add()
	for range 10000 {
		g := add()
		g.over.Store(true)
	}
	if n := len(q.reqs) - q.head; n > 200 {
		t.Fatalf("%d requests held behind one waiting request, all but it settled", n)
	}
	if q.reqs[q.head] != waiting {
		t.Fatal("the waiting request was dropped")
	}
	for i := 1; i < len(q.reqs)-q.head; i++ {
		if q.reqs[q.head+i-1].due > q.reqs[q.head+i].due {
			t.Fatal("queue out of order of due")
		}
	}
	waiting.over.Store(true)
	add().over.Store(true)
	if n := len(q.reqs) - q.head; n != 1 {
		t.Fatalf("%d requests held once all settled, want the newest only", n)
	}
}
