package sdk_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/steadyws/steadyws/sdk"
)

// unconfirmed returns the *UnconfirmedErrors r recorded.
func (r *recorder) unconfirmed() []*sdk.UnconfirmedError {
	var out []*sdk.UnconfirmedError
	for _, err := range r.errors() {
		var ue *sdk.UnconfirmedError
		if errors.As(err, &ue) {
			out = append(out, ue)
		}
	}
	return out
}

// sendEvents sends n events whose types cycle through types.
func sendEvents(t *testing.T, c *sdk.Client, n int, types ...string) {
	t.Helper()
	for i := range n {
		if err := sdk.Send(ctxFor(t, time.Second), c, types[i%len(types)], echoMsg{N: i}); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
}

// written waits until c has written at least n frames and queues none:
// sends made while a new connection flushes the queue wait in it.
func written(t *testing.T, c *sdk.Client, n int64) {
	t.Helper()
	eventually(t, 5*time.Second, "the queue flushed", func() bool {
		st := c.Stats()
		return st.Queued == 0 && st.MessagesOut >= n
	})
}

// closedFor waits until r saw the client stop, after which every error
// reported before has reached r.
func closedFor(t *testing.T, r *recorder) {
	t.Helper()
	eventually(t, 5*time.Second, "state closed", func() bool {
		s := r.stateList()
		return len(s) > 0 && s[len(s)-1] == sdk.Closed
	})
}

// A half-open connection swallows what Send wrote to it; when the heartbeat
// replaces it, every one of those events is reported, and the client works
// again afterwards.
func TestUnconfirmedReportedWhenHeartbeatReplacesLink(t *testing.T) {
	srv := newServer(t)
	o := fast()
	o.Heartbeat = sdk.Heartbeat{Interval: 100 * time.Millisecond, Timeout: 200 * time.Millisecond}
	o.ConnectTimeout = 300 * time.Millisecond // a dial to the silent server hangs until then
	c := dial(t, srv.URL(), o)
	r := record(c)
	eventually(t, 3*time.Second, "a heartbeat round trip", func() bool { return c.Stats().RTT > 0 })

	srv.Silent(true)
	sendEvents(t, c, 100, "move", "chat", "move", "typing")
	eventually(t, 5*time.Second, "an UnconfirmedError", func() bool { return len(r.unconfirmed()) > 0 })
	ue := r.unconfirmed()[0]
	if ue.Count != 100 || !slices.Equal(ue.Types, []string{"move", "chat", "typing"}) || !errors.Is(ue, sdk.ErrHeartbeatTimeout) {
		t.Fatalf("reported %d unconfirmed of types %q (cause %v), want 100 of move, chat, typing after a heartbeat timeout", ue.Count, ue.Types, ue.Err)
	}
	const msg = `steadyws: 100 sent messages may not have arrived ("move", "chat", "typing"): steadyws: heartbeat timeout`
	if ue.Error() != msg {
		t.Errorf("message %q, want %q", ue.Error(), msg)
	}
	if st := c.Stats(); st.Unconfirmed != 100 || st.Dropped != 0 {
		t.Errorf("stats: Unconfirmed %d, Dropped %d; want 100, 0", st.Unconfirmed, st.Dropped)
	}

	srv.Silent(false)
	got, err := sdk.Request[echoMsg](ctxFor(t, 5*time.Second), c, "echo", echoMsg{N: 5})
	if err != nil || got.N != 5 {
		t.Fatalf("request on the new connection: %+v %v", got, err)
	}
	sendEvents(t, c, 3, "after")
	if _, err := srv.WaitReceived(ctxFor(t, 3*time.Second), 1+3); err != nil {
		t.Fatal(err)
	}
	c.Close()
	closedFor(t, r)
	if n := len(r.unconfirmed()); n != 1 {
		t.Fatalf("%d UnconfirmedErrors, want the one: %v", n, r.errors())
	}
}

// A reply proves that the server read everything written before the
// request: only what was written after it is reported.
func TestReplyConfirmsEventsBeforeRequest(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv.URL(), fast())
	r := record(c)
	sendEvents(t, c, 10, "before")
	if _, err := sdk.Request[echoMsg](ctxFor(t, 3*time.Second), c, "echo", echoMsg{N: 1}); err != nil {
		t.Fatal(err)
	}
	srv.Silent(true)
	sendEvents(t, c, 5, "after")
	written(t, c, 10+1+5)
	srv.DropAll()
	eventually(t, 5*time.Second, "an UnconfirmedError", func() bool { return len(r.unconfirmed()) > 0 })
	if ue := r.unconfirmed()[0]; ue.Count != 5 || !slices.Equal(ue.Types, []string{"after"}) {
		t.Fatalf("reported %d unconfirmed of types %q, want the 5 sent after the request", ue.Count, ue.Types)
	}
	srv.Silent(false)
	c.Close()
	closedFor(t, r)
	if n := len(r.unconfirmed()); n != 1 {
		t.Fatalf("%d UnconfirmedErrors, want 1: %v", n, r.errors())
	}
}

// Events are confirmed by pings the client sends on its own: a drop long
// after them reports nothing.
func TestPingsConfirmEvents(t *testing.T) {
	srv := newServer(t)
	o := fast()
	o.Heartbeat = sdk.Heartbeat{Interval: 80 * time.Millisecond, Timeout: time.Second}
	c := dial(t, srv.URL(), o)
	r := record(c)
	sendEvents(t, c, 200, "a", "b")
	if _, err := srv.WaitReceived(ctxFor(t, 3*time.Second), 200); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	srv.DropAll()
	eventually(t, 5*time.Second, "a reconnect", func() bool { return c.Stats().Reconnects == 1 && c.State() == sdk.Open })
	c.Close()
	closedFor(t, r)
	if ues := r.unconfirmed(); len(ues) != 0 {
		t.Fatalf("confirmed events reported: %v", ues[0])
	}
	if st := c.Stats(); st.Unconfirmed != 0 {
		t.Fatalf("Stats.Unconfirmed = %d", st.Unconfirmed)
	}
}

// A close handshake the server answers confirms everything before it:
// neither Close nor Reconnect right after sends reports anything.
func TestCleanCloseConfirmsEvents(t *testing.T) {
	srv := newServer(t)
	o := fast()
	o.Heartbeat = sdk.Heartbeat{Interval: time.Hour} // no ping in the way
	c := dial(t, srv.URL(), o)
	r := record(c)
	sendEvents(t, c, 100, "x")
	written(t, c, 100)
	c.Reconnect()
	eventually(t, 5*time.Second, "a reconnect", func() bool { return c.Stats().Reconnects == 1 && c.State() == sdk.Open })
	sendEvents(t, c, 100, "y")
	written(t, c, 200)
	c.Close()
	closedFor(t, r)
	if errs := r.errors(); len(errs) != 0 {
		t.Fatalf("events before a clean close reported: %v", errs[0])
	}
	if _, err := srv.WaitReceived(ctxFor(t, 3*time.Second), 200); err != nil {
		t.Fatal(err)
	}
}

// With Options.Raw nothing confirms what was written (no envelope, no
// pings) until the client closes cleanly.
func TestRawFramesUnconfirmedUntilCleanClose(t *testing.T) {
	srv := newServer(t)
	o := fast()
	o.Raw = true
	c := dial(t, srv.URL(), o)
	c.OnRaw(func(sdk.MessageType, []byte) {})
	r := record(c)
	for range 3 {
		if err := c.SendText(ctxFor(t, time.Second), "raw:x"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.WaitReceived(ctxFor(t, 3*time.Second), 3); err != nil {
		t.Fatal(err)
	}
	srv.DropAll()
	eventually(t, 5*time.Second, "an UnconfirmedError", func() bool { return len(r.unconfirmed()) > 0 })
	if ue := r.unconfirmed()[0]; ue.Count != 3 || !slices.Equal(ue.Types, []string{""}) {
		t.Fatalf("reported %d unconfirmed of types %q, want 3 raw frames", ue.Count, ue.Types)
	}
	eventually(t, 5*time.Second, "a reconnect", func() bool { return c.State() == sdk.Open })
	if err := c.SendText(context.Background(), "raw:y"); err != nil {
		t.Fatal(err)
	}
	c.Close()
	closedFor(t, r)
	if n := len(r.unconfirmed()); n != 1 {
		t.Fatalf("%d UnconfirmedErrors, want 1: %v", n, r.errors())
	}
}
