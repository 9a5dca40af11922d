package sdk_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/steadyws/steadyws/sdk"
)

// Reliable mode in both builds, against sdk/server on the test server's
// /reliable (which echoes "echo" events to the same session) and against
// the test server's /ws, which does not speak it. reliable_native_test.go
// drives the finer cases with a scripted peer.

type num struct{ N int }

// handled collects what a client's handler was handed.
type handled struct {
	mu sync.Mutex
	ns []int
}

func (h *handled) list() []int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]int(nil), h.ns...)
}

func handleNums(c *sdk.Client, t string) *handled {
	h := &handled{}
	sdk.Handle(c, t, func(_ context.Context, m num) { h.mu.Lock(); h.ns = append(h.ns, m.N); h.mu.Unlock() })
	return h
}

func reliableOpts() *sdk.Options {
	o := fast()
	o.Reliable = true
	return o
}

// TestReliableEchoAcrossDrops: events sent across two dropped connections
// come back from sdk/server exactly once and in order.
func TestReliableEchoAcrossDrops(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv.ReliableURL(), reliableOpts())
	got := handleNums(c, "echo")
	ctx := ctxFor(t, 20*time.Second)
	const n = 60
	for i := 1; i <= n; i++ {
		if err := sdk.Send(ctx, c, "echo", num{i}); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if i == n/3 || i == 2*n/3 {
			srv.DropAll()
		}
	}
	eventually(t, 15*time.Second, "every echo", func() bool { return len(got.list()) >= n })
	time.Sleep(150 * time.Millisecond)
	list := got.list()
	if len(list) != n {
		t.Fatalf("got %d echoes, want %d", len(list), n)
	}
	for i, v := range list {
		if v != i+1 {
			t.Fatalf("echo %d is %d: %v", i, v, list)
		}
	}
	eventually(t, 5*time.Second, "everything acknowledged", func() bool { return c.Stats().Unacked == 0 })
	if st := c.Stats(); st.Reconnects < 1 {
		t.Errorf("stats %+v, want a reconnect", st)
	}
}

// TestReliableUnsupported: a server that answers the $hello with
// unknown_type stops the client with ErrReliableUnsupported, reported
// through OnError too.
func TestReliableUnsupported(t *testing.T) {
	srv := newServer(t) // the test server knows no $hello
	_, err := sdk.Dial(ctxFor(t, 5*time.Second), srv.URL(), reliableOpts())
	if !errors.Is(err, sdk.ErrReliableUnsupported) {
		t.Fatalf("Dial: %v, want ErrReliableUnsupported", err)
	}
	c := sdk.New(srv.URL(), reliableOpts())
	rec := record(c)
	<-c.Done()
	if !errors.Is(c.Err(), sdk.ErrReliableUnsupported) || c.State() != sdk.Closed {
		t.Fatalf("Err %v in state %v, want ErrReliableUnsupported, closed", c.Err(), c.State())
	}
	eventually(t, time.Second, "the error report", func() bool {
		errs := rec.errors()
		return len(errs) == 1 && errors.Is(errs[0], sdk.ErrReliableUnsupported)
	})
	if a := srv.Accepted(); a != 2 {
		t.Errorf("server accepted %d connections, want 2 (one per client, no retry)", a)
	}
}

// TestReservedTypes: types beginning with '$' are refused at registration
// (reported, not registered) and at Send and Request, reliable or not.
func TestReservedTypes(t *testing.T) {
	srv := newServer(t)
	for _, reliableMode := range []bool{false, true} {
		o := fast()
		o.Reliable = reliableMode
		url := srv.URL()
		if reliableMode {
			url = srv.ReliableURL()
		}
		c := sdk.New(url, o)
		rec := record(c)
		sdk.Handle(c, "$ack", func(context.Context, any) {})()
		sdk.HandleRequest(c, "$hello", func(context.Context, any) (any, error) { return nil, nil })()
		eventually(t, time.Second, "two reports", func() bool { return len(rec.errors()) == 2 })
		for _, err := range rec.errors() {
			var rt *sdk.ReservedTypeError
			if !errors.As(err, &rt) {
				t.Errorf("reported %v, want a *ReservedTypeError", err)
			}
		}
		var rt *sdk.ReservedTypeError
		if err := sdk.Send(context.Background(), c, "$x", nil); !errors.As(err, &rt) {
			t.Errorf("Send: %v, want a *ReservedTypeError", err)
		}
		if _, err := sdk.Request[any](context.Background(), c, "$x", nil); !errors.As(err, &rt) {
			t.Errorf("Request: %v, want a *ReservedTypeError", err)
		}
		c.Close()
	}
}
