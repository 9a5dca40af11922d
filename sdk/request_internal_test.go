//go:build !steadyws_nojson

package sdk

import (
	"context"
	"errors"
	"testing"
	"time"
)

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

// A shared context watch lets go of settled requests as the due queue
// does, and of itself when its context ends, failing what still waits.
func TestContextWatchDropsSettledAndEnds(t *testing.T) {
	c := &Client{pending: make(map[int64]*pending)}
	ctx, cancel := context.WithTimeout(context.Background(), hour)
	defer cancel()
	add := func() *goReq {
		g := &goReq{c: c, done: func(reply) {}}
		g.p.g = g
		c.addPending(&g.p)
		c.goreqs.watches.add(ctx, g)
		return g
	}
	// The first request under a context is left to a watch of its own.
	g := &goReq{c: c}
	if c.goreqs.watches.add(ctx, g) {
		t.Fatal("the first request under a context joined a shared watch")
	}
	waiting := add()
	for range 10000 {
		add().over.Store(true)
	}
	c.goreqs.watches.mu.Lock()
	l := c.goreqs.watches.m[ctx.Done()].reqList
	n, first := len(l.reqs)-l.head, l.reqs[l.head]
	c.goreqs.watches.mu.Unlock()
	if n > 200 {
		t.Fatalf("%d requests held behind one waiting request, all but it settled", n)
	}
	if first != waiting {
		t.Fatal("the waiting request was dropped")
	}
	got := make(chan reply, 1)
	waiting.done = func(r reply) { got <- r }
	cancel()
	select {
	case r := <-got:
		if !errors.Is(r.err, context.Canceled) {
			t.Fatalf("waiting request when its context ended: %v, want context.Canceled", r.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waiting request not ended 5 s after its context")
	}
	c.goreqs.watches.mu.Lock()
	left := len(c.goreqs.watches.m)
	c.goreqs.watches.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d context watches held after their context ended", left)
	}
}
