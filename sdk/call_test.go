package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

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
