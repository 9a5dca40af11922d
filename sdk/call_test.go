package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"testing"
	"time"
	"weak"

	"github.com/steadyws/steadyws/sdk"
)

// waitCall waits for call's outcome, failing the test if it never comes.
func waitCall[Out any](t *testing.T, call *sdk.Call[Out], d time.Duration) (Out, error) {
	t.Helper()
	select {
	case <-call.Done():
	case <-time.After(d):
		t.Fatalf("request still pending after %v", d)
	}
	return call.Result()
}

func TestGoManyInFlightFromOneGoroutine(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv.URL(), fast())
	ctx := ctxFor(t, 20*time.Second)
	const n = 500
	calls := make([]*sdk.Call[echoMsg], n)
	for i := range calls {
		calls[i] = sdk.Go[echoMsg](ctx, c, "echo", echoMsg{N: i, Text: "x"})
	}
	for i, call := range calls {
		got, err := waitCall(t, call, 10*time.Second)
		if err != nil || got.N != i || got.Text != "x" {
			t.Fatalf("call %d = %+v, %v", i, got, err)
		}
	}
	if s := c.Stats(); s.MessagesOut < n || s.MessagesIn < n {
		t.Fatalf("stats %+v after %d requests", s, n)
	}
	// An error reply and a reply that does not decode into Out.
	_, err := waitCall(t, sdk.Go[echoMsg](ctx, c, "fail", nil), 5*time.Second)
	var re *sdk.RemoteError
	if !errors.As(err, &re) || re.Code != "bad_args" {
		t.Fatalf("error reply = %v, want a *RemoteError with code bad_args", err)
	}
	if _, err := waitCall(t, sdk.Go[string](ctx, c, "echo", echoMsg{N: 1}), 5*time.Second); err == nil {
		t.Fatal("a reply that does not decode into string gave no error")
	}
	// Data that cannot be encoded fails at once, and nothing is sent.
	before := c.Stats().MessagesOut
	if _, err := waitCall(t, sdk.Go[echoMsg](ctx, c, "echo", func() {}), time.Second); err == nil {
		t.Fatal("unencodable data gave no error")
	}
	if after := c.Stats().MessagesOut; after != before {
		t.Fatalf("an unencodable request was sent (%d → %d messages out)", before, after)
	}
}

func TestGoFailures(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv.URL(), fast())

	// Its context's deadline, and RequestTimeout without one.
	_, err := waitCall(t, sdk.Go[json.RawMessage](ctxFor(t, 100*time.Millisecond), c, "slow", map[string]int{"ms": 3000}), 3*time.Second)
	if !errors.Is(err, sdk.ErrRequestTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("timeout = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	call := sdk.Go[json.RawMessage](ctx, c, "slow", map[string]int{"ms": 3000})
	cancel()
	if _, err := waitCall(t, call, 3*time.Second); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancel = %v", err)
	}
	o := fast()
	o.RequestTimeout = 100 * time.Millisecond
	c2 := dial(t, srv.URL(), o)
	if _, err := waitCall(t, sdk.Go[json.RawMessage](context.Background(), c2, "slow", map[string]int{"ms": 3000}), 3*time.Second); !errors.Is(err, sdk.ErrRequestTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("RequestTimeout = %v", err)
	}

	// In flight when the connection drops: ErrConnectionLost, never resent.
	srv.Reset()
	call = sdk.Go[json.RawMessage](context.Background(), c, "slow", map[string]int{"ms": 5000})
	if _, err := srv.WaitReceived(ctxFor(t, 3*time.Second), 1); err != nil {
		t.Fatal(err)
	}
	srv.DropAll()
	if _, err := waitCall(t, call, 4*time.Second); !errors.Is(err, sdk.ErrConnectionLost) {
		t.Fatalf("in flight at a drop = %v, want ErrConnectionLost", err)
	}

	// Timed out while queued: taken out of the queue, never sent.
	eventually(t, 3*time.Second, "reconnect", func() bool { return c.State() == sdk.Open })
	srv.Down()
	eventually(t, 3*time.Second, "outage", func() bool { return c.State() == sdk.Reconnecting })
	before := len(srv.Received())
	if _, err := waitCall(t, sdk.Go[json.RawMessage](ctxFor(t, 50*time.Millisecond), c, "echo", 1), 3*time.Second); !errors.Is(err, sdk.ErrRequestTimeout) {
		t.Fatalf("queued request timeout = %v", err)
	}
	if q := c.Stats().Queued; q != 0 {
		t.Fatalf("timed-out request still queued (%d)", q)
	}
	// Queued when the client closes: the Close error.
	call = sdk.Go[json.RawMessage](context.Background(), c, "echo", 2)
	if q := c.Stats().Queued; q != 1 {
		t.Fatalf("queued = %d, want 1", q)
	}
	c.Close()
	if _, err := waitCall(t, call, 3*time.Second); !errors.Is(err, sdk.ErrClosed) {
		t.Fatalf("queued at Close = %v, want ErrClosed", err)
	}
	// After Close it fails at once.
	if _, err := waitCall(t, sdk.Go[json.RawMessage](context.Background(), c, "echo", 3), time.Second); !errors.Is(err, sdk.ErrClosed) {
		t.Fatalf("after Close = %v, want ErrClosed", err)
	}
	srv.Up()
	if n := len(srv.Received()); n != before {
		t.Fatalf("a request that timed out or was discarded in the queue was sent (%d → %d)", before, n)
	}
}

// Requests started without a deadline of their own share one timer for
// RequestTimeout: each still times out RequestTimeout after it was sent,
// not with an earlier one, and one answered meanwhile never does.
// TestRequestsUnderOneContextEndWithIt sends many requests under one
// context with a deadline, as a service does that works under a deadline
// of its own: when the context is cancelled, or its deadline passes, every
// request still waiting fails at once with the context's error, answered
// ones stay answered, and one sent after the end fails too.
func TestRequestsUnderOneContextEndWithIt(t *testing.T) {
	srv := newServer(t)
	o := fast()
	o.RequestTimeout = time.Minute // the context, not RequestTimeout, ends them
	c := dial(t, srv.URL(), o)
	slow := map[string]int{"ms": 30000}
	const n = 50

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var waiting []*sdk.Call[json.RawMessage]
	var answered []*sdk.Call[echoMsg]
	for i := range n {
		waiting = append(waiting, sdk.Go[json.RawMessage](ctx, c, "slow", slow))
		answered = append(answered, sdk.Go[echoMsg](ctx, c, "echo", echoMsg{N: i}))
	}
	for i, a := range answered {
		if got, err := waitCall(t, a, 5*time.Second); err != nil || got.N != i {
			t.Fatalf("answered request %d = %+v, %v", i, got, err)
		}
	}
	blocked := make(chan error, 1)
	go func() {
		_, err := sdk.Request[json.RawMessage](ctx, c, "slow", slow)
		blocked <- err
	}()
	time.Sleep(50 * time.Millisecond) // blocked waits, maybe reading for its reply
	cancelled := time.Now()
	cancel()
	for i, w := range waiting {
		if _, err := waitCall(t, w, 3*time.Second); !errors.Is(err, context.Canceled) {
			t.Fatalf("waiting request %d after cancel = %v, want context.Canceled", i, err)
		}
	}
	select {
	case err := <-blocked:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Request waiting when its context was cancelled = %v, want context.Canceled", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Request still waiting 3 s after its context was cancelled")
	}
	if d := time.Since(cancelled); d > 2*time.Second {
		t.Fatalf("requests ended %v after their context did", d)
	}
	if _, err := waitCall(t, sdk.Go[json.RawMessage](ctx, c, "slow", slow), 3*time.Second); !errors.Is(err, context.Canceled) {
		t.Fatalf("request sent after cancel = %v, want context.Canceled", err)
	}
	for i, a := range answered {
		if got, err := a.Result(); err != nil || got.N != i {
			t.Fatalf("answered request %d after the cancel = %+v, %v", i, got, err)
		}
	}

	// A deadline that passes ends them as a timeout.
	short, cancelShort := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancelShort()
	sent := time.Now()
	waiting = waiting[:0]
	for range n {
		waiting = append(waiting, sdk.Go[json.RawMessage](short, c, "slow", slow))
	}
	for i, w := range waiting {
		_, err := waitCall(t, w, 3*time.Second)
		if !errors.Is(err, sdk.ErrRequestTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("request %d past its context's deadline = %v, want ErrRequestTimeout wrapping context.DeadlineExceeded", i, err)
		}
	}
	if d := time.Since(sent); d < 300*time.Millisecond {
		t.Fatalf("requests timed out %v after they were sent, before their context's deadline", d)
	}
	// The connection is as it was: a request gets its answer.
	if got, err := sdk.Request[echoMsg](context.Background(), c, "echo", echoMsg{N: 9}); err != nil || got.N != 9 {
		t.Fatalf("request after the others ended = %+v, %v", got, err)
	}
}

// TestClosedClientNotKeptByAContext: a client that made requests under a
// context with a long deadline, and was closed, can be collected while that
// context lives on (its shared watch is let go of when the client stops).
func TestClosedClientNotKeptByAContext(t *testing.T) {
	srv := newServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	wp := func() weak.Pointer[sdk.Client] {
		c, err := sdk.Dial(ctxFor(t, 5*time.Second), srv.URL(), fast())
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		if _, err := sdk.Request[echoMsg](ctx, c, "echo", echoMsg{N: 1}); err != nil {
			t.Fatalf("request: %v", err)
		}
		slow := sdk.Go[json.RawMessage](ctx, c, "slow", map[string]int{"ms": 30000})
		c.Close()
		if _, err := waitCall(t, slow, 3*time.Second); !errors.Is(err, sdk.ErrClosed) {
			t.Fatalf("request waiting when the client closed = %v, want ErrClosed", err)
		}
		return weak.Make(c)
	}()
	eventually(t, 5*time.Second, "closed client collected", func() bool {
		runtime.GC()
		return wp.Value() == nil
	})
}

func TestGoRequestTimeoutCountsFromEachStart(t *testing.T) {
	srv := newServer(t)
	o := fast()
	o.RequestTimeout = 300 * time.Millisecond
	c := dial(t, srv.URL(), o)
	slow := map[string]int{"ms": 5000}
	t0 := time.Now()
	first := sdk.Go[json.RawMessage](context.Background(), c, "slow", slow)
	answered := sdk.Go[echoMsg](context.Background(), c, "echo", echoMsg{N: 7})
	time.Sleep(200 * time.Millisecond)
	t1 := time.Now()
	second := sdk.Go[json.RawMessage](context.Background(), c, "slow", slow)
	if got, err := waitCall(t, answered, 3*time.Second); err != nil || got.N != 7 {
		t.Fatalf("answered request = %+v, %v", got, err)
	}
	for _, r := range []struct {
		name string
		call *sdk.Call[json.RawMessage]
		sent time.Time
	}{{"first", first, t0}, {"second", second, t1}} {
		_, err := waitCall(t, r.call, 3*time.Second)
		if !errors.Is(err, sdk.ErrRequestTimeout) {
			t.Fatalf("%s slow request = %v, want ErrRequestTimeout", r.name, err)
		}
		if d := time.Since(r.sent); d < o.RequestTimeout {
			t.Fatalf("%s slow request timed out %v after it was sent, before RequestTimeout (%v)", r.name, d, o.RequestTimeout)
		}
	}
	// The answered request stayed answered: nothing came for it later.
	if got, err := answered.Result(); err != nil || got.N != 7 {
		t.Fatalf("answered request after the timeouts = %+v, %v", got, err)
	}
	if s := c.Stats(); s.LateReplies != 0 {
		t.Fatalf("late replies = %d before the slow ones could answer", s.LateReplies)
	}
}
