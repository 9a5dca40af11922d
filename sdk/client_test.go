package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/steadyws/steadyws/sdk"
)

type echoMsg struct {
	N    int    `json:"n"`
	Text string `json:"text,omitempty"`
}

type sumArgs struct{ A, B float64 }

type sumReply struct {
	Sum float64 `json:"sum"`
}

func TestEventAndRequestRoundTrip(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv.URL(), fast())
	got := make(chan echoMsg, 1)
	sdk.Handle(c, "echo", func(_ context.Context, m echoMsg) { got <- m })
	if err := sdk.Send(ctxFor(t, time.Second), c, "echo", echoMsg{N: 7, Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m.N != 7 || m.Text != "hi" {
			t.Fatalf("echo = %+v", m)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no echo")
	}
	sum, err := sdk.Request[sumReply](ctxFor(t, 3*time.Second), c, "sum", map[string]float64{"a": 1, "b": 2})
	if err != nil || sum.Sum != 3 {
		t.Fatalf("sum = %+v, %v", sum, err)
	}
	_, err = sdk.Request[sumReply](ctxFor(t, 3*time.Second), c, "fail", nil)
	var re *sdk.RemoteError
	if !errors.As(err, &re) || re.Code != "bad_args" || re.Message == "" {
		t.Fatalf("error reply gave %v, want *RemoteError bad_args", err)
	}
	if st := c.Stats(); st.State != sdk.Open || st.MessagesOut < 3 || st.MessagesIn < 3 || st.BytesIn == 0 || st.ConnectedSince.IsZero() {
		t.Fatalf("stats after traffic: %+v", st)
	}
}

func TestOutageQueueDeliveredExactlyOnceInOrder(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv.URL(), fast())
	srv.Down()
	eventually(t, 3*time.Second, "client to notice the outage", func() bool { return c.State() == sdk.Reconnecting })
	ctx := ctxFor(t, 10*time.Second)
	for i := 0; i < 100; i++ {
		if err := sdk.Send(ctx, c, "note", echoMsg{N: i}); err != nil {
			t.Fatalf("send %d during outage: %v", i, err)
		}
	}
	if q := c.Stats().Queued; q != 100 {
		t.Fatalf("queued = %d, want 100", q)
	}
	if err := srv.Up(); err != nil {
		t.Fatal(err)
	}
	msgs, err := srv.WaitReceived(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	// Give a duplicate time to show up before counting.
	time.Sleep(200 * time.Millisecond)
	msgs = srv.Received()
	if len(msgs) != 100 {
		t.Fatalf("server received %d messages, want exactly 100", len(msgs))
	}
	for i, m := range msgs {
		var e echoMsg
		if err := json.Unmarshal(m.Data, &e); err != nil || m.Type != "note" || e.N != i {
			t.Fatalf("message %d = %s %s, want note n=%d", i, m.Type, m.Data, i)
		}
	}
	if st := c.Stats(); st.Queued != 0 || st.Reconnects != 1 {
		t.Fatalf("stats after flush: %+v", st)
	}
}

func TestOpenHandlersRunBeforeQueueFlush(t *testing.T) {
	srv := newServer(t)
	o := fast()
	c := sdk.New(srv.URL(), o)
	defer c.Close()
	var opens atomic.Int32
	c.OnOpen(func(ctx context.Context) {
		n := opens.Add(1)
		if err := sdk.Send(ctx, c, "auth", echoMsg{N: int(n)}); err != nil {
			t.Errorf("auth send: %v", err)
		}
	})
	if _, err := srv.WaitReceived(ctxFor(t, 3*time.Second), 1); err != nil {
		t.Fatal("first auth:", err)
	}
	srv.Down()
	eventually(t, 3*time.Second, "outage noticed", func() bool { return c.State() == sdk.Reconnecting })
	for i := 0; i < 3; i++ {
		if err := sdk.Send(context.Background(), c, "queued", echoMsg{N: i}); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.Up(); err != nil {
		t.Fatal(err)
	}
	msgs, err := srv.WaitReceived(ctxFor(t, 5*time.Second), 5)
	if err != nil {
		t.Fatalf("%v; received %+v; stats %+v", err, srv.Received(), c.Stats())
	}
	var order []string
	for _, m := range msgs {
		order = append(order, m.Type)
	}
	want := []string{"auth", "auth", "queued", "queued", "queued"}
	if len(order) != len(want) {
		t.Fatalf("order %v, want %v", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("order %v, want %v", order, want)
		}
	}
}

func TestCloseDuringLongBackoffReturnsAtOnceAndStopsDialling(t *testing.T) {
	srv := newServer(t)
	o := fast()
	o.Backoff = sdk.Backoff{Initial: 30 * time.Second, Jitter: -1}
	c := dial(t, srv.URL(), o)
	r := record(c)
	srv.Down()
	eventually(t, 3*time.Second, "a 30 s backoff to start", func() bool {
		cs := r.closeInfos()
		return len(cs) > 0 && cs[len(cs)-1].WillReconnect && cs[len(cs)-1].Delay == 30*time.Second
	})
	start := time.Now()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Close during backoff took %v", d)
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("Done not closed after Close")
	}
	if !errors.Is(c.Err(), sdk.ErrClosed) || c.State() != sdk.Closed {
		t.Fatalf("after Close: state %v, err %v", c.State(), c.Err())
	}
	if err := srv.Up(); err != nil {
		t.Fatal(err)
	}
	before := len(srv.Attempts())
	time.Sleep(300 * time.Millisecond)
	if after := len(srv.Attempts()); after != before {
		t.Fatalf("client dialled %d times after Close", after-before)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := sdk.Send(context.Background(), c, "x", nil); !errors.Is(err, sdk.ErrClosed) {
		t.Fatalf("Send after Close = %v, want ErrClosed", err)
	}
}

func TestCloseWhileDiallingReturnsPromptly(t *testing.T) {
	// A silent server accepts TCP but never answers the handshake.
	srv := newServer(t)
	srv.Silent(true)
	c := sdk.New(srv.URL(), fast())
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	c.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Close while dialling took %v", d)
	}
	if !errors.Is(c.Err(), sdk.ErrClosed) {
		t.Fatalf("Err = %v", c.Err())
	}
}

func TestConnectTimeoutRetries(t *testing.T) {
	srv := newServer(t)
	srv.Silent(true)
	o := fast()
	o.ConnectTimeout = 100 * time.Millisecond
	c := sdk.New(srv.URL(), o)
	defer c.Close()
	r := record(c)
	eventually(t, 5*time.Second, "two timed-out attempts", func() bool { return len(r.closeInfos()) >= 2 })
	ci := r.closeInfos()[0]
	if !ci.WillReconnect || ci.Err == nil || !errors.Is(ci.Err, context.DeadlineExceeded) {
		t.Fatalf("timed-out attempt reported %+v", ci)
	}
	if c.State() == sdk.Closed {
		t.Fatal("a connect timeout stopped the client")
	}
}

func TestHalfOpenConnectionReplaced(t *testing.T) {
	srv := newServer(t)
	o := fast()
	o.Heartbeat = sdk.Heartbeat{Interval: 150 * time.Millisecond, Timeout: 150 * time.Millisecond}
	// A dial made while the server is silent hangs until this timeout.
	o.ConnectTimeout = 300 * time.Millisecond
	c := dial(t, srv.URL(), o)
	r := record(c)
	eventually(t, 3*time.Second, "a heartbeat round trip", func() bool { return c.Stats().RTT > 0 })
	srv.Silent(true)
	start := time.Now()
	eventually(t, 3*time.Second, "heartbeat timeout", func() bool {
		for _, ci := range r.closeInfos() {
			if errors.Is(ci.Err, sdk.ErrHeartbeatTimeout) {
				return true
			}
		}
		return false
	})
	// Interval + Timeout is 300 ms; allow for a busy machine.
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Fatalf("half-open connection detected after %v", d)
	}
	srv.Silent(false)
	eventually(t, 3*time.Second, "replacement connection", func() bool { return c.State() == sdk.Open && srv.Accepted() >= 2 })
	got, err := sdk.Request[echoMsg](ctxFor(t, 3*time.Second), c, "echo", echoMsg{N: 5})
	if err != nil || got.N != 5 {
		t.Fatalf("request on the new connection: %+v %v", got, err)
	}
}

func TestAcceptThenCloseDoesNotStorm(t *testing.T) {
	srv := newServer(t)
	srv.AcceptThenClose(1000)
	o := fast()
	o.Backoff = sdk.Backoff{Initial: 40 * time.Millisecond, Max: 5 * time.Second, Factor: 2, Jitter: -1, ResetAfter: 5 * time.Second}
	c := sdk.New(srv.URL(), o)
	time.Sleep(1500 * time.Millisecond)
	c.Close()
	at := srv.Attempts()
	// Delays 40, 80, 160, 320, 640 ms fit about six attempts in 1.5 s, not
	// hundreds; each gap is at least the backoff delay that was due.
	if len(at) < 3 || len(at) > 8 {
		t.Fatalf("%d attempts in 1.5 s, want 3–8 (gaps %v)", len(at), gaps(at))
	}
	due := 40 * time.Millisecond
	for i, g := range gaps(at) {
		if g < due*9/10 {
			t.Fatalf("gap %d is %v, shorter than the %v backoff due (gaps %v)", i, g, due, gaps(at))
		}
		due *= 2
	}
}

func gaps(at []time.Time) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(at); i++ {
		out = append(out, at[i].Sub(at[i-1]).Round(time.Millisecond))
	}
	return out
}

func TestPolicyCloseCodeStopsClient(t *testing.T) {
	for _, code := range []int{1008, 1002, 4401} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			srv := newServer(t)
			c := dial(t, srv.URL(), fast())
			r := record(c)
			srv.CloseAll(code, "go away")
			select {
			case <-c.Done():
			case <-time.After(3 * time.Second):
				t.Fatal("client did not stop")
			}
			if got := sdk.CloseStatus(c.Err()); got != code {
				t.Fatalf("Err = %v, want close %d", c.Err(), code)
			}
			var ce *sdk.CloseError
			if !errors.As(c.Err(), &ce) || ce.Reason != "go away" {
				t.Fatalf("Err = %#v", c.Err())
			}
			eventually(t, time.Second, "close event", func() bool { return len(r.closeInfos()) == 1 })
			if ci := r.closeInfos()[0]; ci.WillReconnect || ci.Code != code || !ci.WasClean {
				t.Fatalf("close event %+v", ci)
			}
			time.Sleep(100 * time.Millisecond)
			if n := len(srv.Attempts()); n != 1 {
				t.Fatalf("%d attempts, want 1", n)
			}
		})
	}
}

func TestServerRestartCodesReconnect(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv.URL(), fast())
	for i, code := range []int{1000, 1001, 1011, 1012, 1013} {
		srv.CloseAll(code, "restart")
		eventually(t, 3*time.Second, "reconnect after "+strconv.Itoa(code), func() bool {
			return srv.Accepted() == i+2 && c.State() == sdk.Open
		})
	}
}

func TestHandshakeStatusPolicy(t *testing.T) {
	srv := newServer(t)
	srv.RejectHandshake(401)
	c := sdk.New(srv.URL(), fast())
	defer c.Close()
	if !handshakeStatusVisible {
		// A browser tells a page nothing about a rejected handshake but a
		// close with 1006, the same as a network failure: the client can
		// only keep retrying with backoff. Check that it does.
		eventually(t, 3*time.Second, "retries after a rejected handshake", func() bool { return len(srv.Attempts()) >= 3 })
		if c.State() == sdk.Closed {
			t.Fatalf("client stopped: %v", c.Err())
		}
	} else {
		select {
		case <-c.Done():
		case <-time.After(3 * time.Second):
			t.Fatal("401 did not stop the client")
		}
		var he *sdk.HandshakeError
		if !errors.As(c.Err(), &he) || he.Status != 401 {
			t.Fatalf("Err = %v, want *HandshakeError 401", c.Err())
		}
	}

	srv2 := newServer(t)
	srv2.RejectHandshake(503)
	c2 := sdk.New(srv2.URL(), fast())
	defer c2.Close()
	eventually(t, 3*time.Second, "retries after 503", func() bool { return len(srv2.Attempts()) >= 3 })
	srv2.RejectHandshake(0)
	eventually(t, 3*time.Second, "open after the server recovers", func() bool { return c2.State() == sdk.Open })
}

func TestMaxRetries(t *testing.T) {
	srv := newServer(t)
	srv.RejectHandshake(503)
	o := fast()
	o.MaxRetries = 3
	c := sdk.New(srv.URL(), o)
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("client did not give up")
	}
	if !errors.Is(c.Err(), sdk.ErrRetriesExhausted) {
		t.Fatalf("Err = %v", c.Err())
	}
	// Natively the last failure's status is kept; a browser never sees it.
	var he *sdk.HandshakeError
	if handshakeStatusVisible && (!errors.As(c.Err(), &he) || he.Status != 503) {
		t.Fatalf("Err = %v, want it to wrap *HandshakeError 503", c.Err())
	}
	if n := len(srv.Attempts()); n != 3 {
		t.Fatalf("%d attempts, want 3", n)
	}
	// A stopped client starts again with Reconnect, and says so.
	r := record(c)
	srv.RejectHandshake(0)
	c.Reconnect()
	defer c.Close()
	eventually(t, 3*time.Second, "open after Reconnect", func() bool { return c.State() == sdk.Open })
	eventually(t, time.Second, "state events", func() bool { return len(r.stateList()) == 2 })
	if s := r.stateList(); s[0] != sdk.Connecting || s[1] != sdk.Open {
		t.Fatalf("states after Reconnect: %v", s)
	}
	if c.Err() != nil {
		t.Fatalf("Err after restart = %v", c.Err())
	}
}

func TestShouldReconnectOverridesPolicy(t *testing.T) {
	srv := newServer(t)
	o := fast()
	var asked atomic.Int32
	o.ShouldReconnect = func(ci sdk.CloseInfo) bool { asked.Add(1); return ci.Code == 1008 }
	c := dial(t, srv.URL(), o)
	srv.CloseAll(1008, "policy")
	eventually(t, 3*time.Second, "reconnect despite 1008", func() bool { return srv.Accepted() == 2 && c.State() == sdk.Open })
	srv.CloseAll(1000, "bye")
	select {
	case <-c.Done():
	case <-time.After(3 * time.Second):
		t.Fatal("ShouldReconnect=false did not stop the client after 1000")
	}
	if asked.Load() != 2 {
		t.Fatalf("ShouldReconnect asked %d times", asked.Load())
	}
}

func TestRequestInFlightFailsFastOnDropAndIsNotResent(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv.URL(), fast())
	errc := make(chan error, 1)
	go func() {
		_, err := sdk.Request[json.RawMessage](context.Background(), c, "slow", map[string]int{"ms": 5000})
		errc <- err
	}()
	if _, err := srv.WaitReceived(ctxFor(t, 3*time.Second), 1); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	srv.DropAll()
	select {
	case err := <-errc:
		if !errors.Is(err, sdk.ErrConnectionLost) {
			t.Fatalf("request error = %v, want ErrConnectionLost", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("request failed %v after the drop", d)
		}
	case <-time.After(4 * time.Second):
		t.Fatal("request still hanging after the connection dropped")
	}
	eventually(t, 3*time.Second, "reconnect", func() bool { return srv.Accepted() == 2 && c.State() == sdk.Open })
	time.Sleep(100 * time.Millisecond)
	if n := len(srv.Received()); n != 1 {
		t.Fatalf("server received the request %d times", n)
	}
}

func TestRequestTimeoutAndCancel(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv.URL(), fast())
	_, err := sdk.Request[json.RawMessage](ctxFor(t, 100*time.Millisecond), c, "slow", map[string]int{"ms": 2000})
	if !errors.Is(err, sdk.ErrRequestTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("timeout = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err = sdk.Request[json.RawMessage](ctx, c, "slow", map[string]int{"ms": 2000}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancel = %v", err)
	}
	o := fast()
	o.RequestTimeout = 100 * time.Millisecond
	c2 := dial(t, srv.URL(), o)
	if _, err = sdk.Request[json.RawMessage](context.Background(), c2, "slow", map[string]int{"ms": 2000}); !errors.Is(err, sdk.ErrRequestTimeout) {
		t.Fatalf("RequestTimeout = %v", err)
	}
	// A request cancelled while queued is never sent.
	srv.Down()
	eventually(t, 3*time.Second, "outage", func() bool { return c.State() == sdk.Reconnecting })
	before := len(srv.Received())
	if _, err = sdk.Request[json.RawMessage](ctxFor(t, 50*time.Millisecond), c, "echo", 1); !errors.Is(err, sdk.ErrRequestTimeout) {
		t.Fatalf("queued request timeout = %v", err)
	}
	if q := c.Stats().Queued; q != 0 {
		t.Fatalf("timed-out request still queued (%d)", q)
	}
	srv.Up()
	eventually(t, 3*time.Second, "reconnect", func() bool { return c.State() == sdk.Open })
	time.Sleep(100 * time.Millisecond)
	if n := len(srv.Received()); n != before {
		t.Fatalf("a request that timed out in the queue was sent later")
	}
}

func TestQueueLimits(t *testing.T) {
	srv := newServer(t)
	o := fast()
	o.Queue = sdk.Queue{Limit: 3, Bytes: 200}
	c := dial(t, srv.URL(), o)
	srv.Down()
	eventually(t, 3*time.Second, "outage", func() bool { return c.State() != sdk.Open })
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if err := c.SendText(ctx, "m"); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.SendText(ctx, "m"); !errors.Is(err, sdk.ErrQueueFull) {
		t.Fatalf("4th send = %v, want ErrQueueFull", err)
	}
	c.Close()

	o.Queue = sdk.Queue{Bytes: 100}
	c2 := sdk.New(srv.URL(), o)
	defer c2.Close()
	if err := c2.SendText(ctx, string(make([]byte, 80))); err != nil {
		t.Fatal(err)
	}
	if err := c2.SendText(ctx, string(make([]byte, 30))); !errors.Is(err, sdk.ErrQueueFull) {
		t.Fatalf("send past Bytes = %v, want ErrQueueFull", err)
	}

	o.Queue = sdk.Queue{Limit: -1}
	c3 := sdk.New(srv.URL(), o)
	defer c3.Close()
	if err := c3.SendText(ctx, "m"); !errors.Is(err, sdk.ErrNotConnected) {
		t.Fatalf("send without queue = %v, want ErrNotConnected", err)
	}
}

func TestQueueMaxAgeExpiresAndReports(t *testing.T) {
	srv := newServer(t)
	o := fast()
	o.Queue = sdk.Queue{MaxAge: 100 * time.Millisecond}
	c := dial(t, srv.URL(), o)
	r := record(c)
	srv.Down()
	eventually(t, 3*time.Second, "outage", func() bool { return c.State() != sdk.Open })
	if err := sdk.Send(context.Background(), c, "stale", nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(250 * time.Millisecond)
	srv.Up()
	eventually(t, 3*time.Second, "expiry report", func() bool {
		for _, err := range r.errors() {
			var ee *sdk.ExpiredError
			if errors.As(err, &ee) && ee.Type == "stale" {
				return true
			}
		}
		return false
	})
	eventually(t, 3*time.Second, "reconnect", func() bool { return c.State() == sdk.Open })
	time.Sleep(100 * time.Millisecond)
	if n := len(srv.Received()); n != 0 {
		t.Fatalf("expired message delivered")
	}
	if d := c.Stats().Dropped; d != 1 {
		t.Fatalf("Dropped = %d, want 1", d)
	}
}

func TestCloseReportsDiscardedQueue(t *testing.T) {
	srv := newServer(t)
	srv.Down()
	c := sdk.New(srv.URL(), fast())
	r := record(c)
	for i := 0; i < 2; i++ {
		if err := c.SendText(context.Background(), "x"); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	eventually(t, time.Second, "discard report", func() bool {
		for _, err := range r.errors() {
			var de *sdk.DiscardedError
			if errors.As(err, &de) && de.Count == 2 && errors.Is(err, sdk.ErrClosed) {
				return true
			}
		}
		return false
	})
	if d := c.Stats().Dropped; d != 2 {
		t.Fatalf("Dropped = %d", d)
	}
}

func TestHandlersSurviveReconnectsAndRunInOrder(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv.URL(), fast())
	var mu sync.Mutex
	var got []int
	var running, overlap atomic.Int32
	sdk.Handle(c, "tick", func(_ context.Context, m echoMsg) {
		if running.Add(1) > 1 {
			overlap.Add(1)
		}
		time.Sleep(time.Millisecond)
		mu.Lock()
		got = append(got, m.N)
		mu.Unlock()
		running.Add(-1)
	})
	n := 0
	for round := 0; round < 3; round++ {
		for i := 0; i < 100; i++ {
			srv.Broadcast(`{"type":"tick","data":{"n":` + strconv.Itoa(n) + `}}`)
			n++
		}
		eventually(t, 3*time.Second, "ticks handled", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == n })
		srv.DropAll()
		eventually(t, 3*time.Second, "reconnect", func() bool { return srv.Accepted() == round+2 && c.State() == sdk.Open })
	}
	mu.Lock()
	defer mu.Unlock()
	for i, v := range got {
		if v != i {
			t.Fatalf("handler order %v", got)
		}
	}
	if overlap.Load() != 0 {
		t.Fatal("handlers ran concurrently")
	}
}

func TestHandlerRemoval(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv.URL(), fast())
	var calls atomic.Int32
	remove := sdk.Handle(c, "echo", func(context.Context, echoMsg) { calls.Add(1) })
	r := record(c)
	sdk.Send(context.Background(), c, "echo", echoMsg{N: 1})
	eventually(t, 2*time.Second, "first echo", func() bool { return calls.Load() == 1 })
	remove()
	remove()
	sdk.Send(context.Background(), c, "echo", echoMsg{N: 2})
	eventually(t, 2*time.Second, "unknown-type report", func() bool { return len(r.errors()) == 1 })
	if calls.Load() != 1 {
		t.Fatal("removed handler still called")
	}
}

func TestUnknownTypeAndMalformedJSONReported(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv.URL(), fast())
	sdk.Handle(c, "chat", func(context.Context, echoMsg) {})
	r := record(c)
	srv.Broadcast(`{"type":"caht","data":{}}`)
	srv.Broadcast(`{"type":"chat","data":{"n":`)
	srv.Broadcast(`{"type":"chat","data":{"n":"not a number"}}`)
	eventually(t, 3*time.Second, "three error reports", func() bool { return len(r.errors()) == 3 })
	errs := r.errors()
	var ut *sdk.UnknownTypeError
	if !errors.As(errs[0], &ut) || ut.Type != "caht" || ut.Suggestion != "chat" {
		t.Fatalf("unknown type report: %v", errs[0])
	}
	var me *sdk.MalformedError
	if !errors.As(errs[1], &me) {
		t.Fatalf("malformed report: %v", errs[1])
	}
	var he *sdk.HandlerError
	if !errors.As(errs[2], &he) || he.Type != "chat" {
		t.Fatalf("decode failure report: %v", errs[2])
	}
	if got, err := sdk.Request[echoMsg](ctxFor(t, 3*time.Second), c, "echo", echoMsg{N: 9}); err != nil || got.N != 9 {
		t.Fatalf("connection unusable after bad frames: %v", err)
	}
	if srv.Accepted() != 1 {
		t.Fatal("bad frames cost the connection")
	}
}

func TestReadLimitKeepsConnection(t *testing.T) {
	srv := newServer(t)
	o := fast()
	o.ReadLimit = 1024
	c := dial(t, srv.URL(), o)
	r := record(c)
	sdk.Handle(c, "big", func(context.Context, string) { t.Error("oversized message delivered") })
	if _, err := sdk.Request[json.RawMessage](ctxFor(t, 3*time.Second), c, "big", map[string]int{"bytes": 5000}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 3*time.Second, "limit report", func() bool { return len(r.errors()) == 1 })
	var le *sdk.LimitError
	if !errors.As(r.errors()[0], &le) || le.Limit != 1024 || le.Size < 5000 {
		t.Fatalf("report = %v", r.errors()[0])
	}
	if got, err := sdk.Request[echoMsg](ctxFor(t, 3*time.Second), c, "echo", echoMsg{N: 1}); err != nil || got.N != 1 {
		t.Fatalf("after oversize: %v", err)
	}
	if srv.Accepted() != 1 || c.Stats().Dropped != 1 {
		t.Fatalf("accepted %d, dropped %d", srv.Accepted(), c.Stats().Dropped)
	}
}

func TestServerToClientRequests(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv.URL(), fast())
	sdk.HandleRequest(c, "whoami", func(_ context.Context, in echoMsg) (echoMsg, error) {
		return echoMsg{N: in.N + 1, Text: "me"}, nil
	})
	sdk.HandleRequest(c, "refuse", func(context.Context, echoMsg) (echoMsg, error) {
		return echoMsg{}, &sdk.RemoteError{Code: "nope", Message: "not today"}
	})
	out, err := srv.Request(ctxFor(t, 3*time.Second), "whoami", json.RawMessage(`{"n":1}`))
	if err != nil || string(out) != `{"n":2,"text":"me"}` {
		t.Fatalf("whoami = %s, %v", out, err)
	}
	if _, err = srv.Request(ctxFor(t, 3*time.Second), "refuse", nil); err == nil || !contains(err.Error(), "nope") {
		t.Fatalf("refuse = %v", err)
	}
	if _, err = srv.Request(ctxFor(t, 3*time.Second), "whoamii", nil); err == nil || !contains(err.Error(), "unknown_type") {
		t.Fatalf("unknown request type = %v", err)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestRawFrames(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv.URL(), fast())
	got := make(chan []byte, 1)
	c.OnRaw(func(typ sdk.MessageType, b []byte) {
		if typ == sdk.MessageBinary {
			got <- b
		}
	})
	if err := c.SendBinary(context.Background(), []byte{0, 1, 2, 255}); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-got:
		if string(b) != "\x00\x01\x02\xff" {
			t.Fatalf("binary echo %v", b)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no binary echo")
	}

	o := fast()
	o.Raw = true
	rc := dial(t, srv.URL(), o)
	text := make(chan string, 1)
	rc.OnRaw(func(typ sdk.MessageType, b []byte) { text <- string(b) })
	rc.SendText(context.Background(), "raw:hello")
	select {
	case s := <-text:
		if s != "raw:hello" {
			t.Fatalf("raw text echo %q", s)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no raw text echo")
	}
}

func TestEventsOrderAcrossDrop(t *testing.T) {
	srv := newServer(t)
	c := sdk.New(srv.URL(), fast())
	defer c.Close()
	r := record(c)
	eventually(t, 3*time.Second, "open", func() bool { return r.openCount() == 1 })
	srv.DropAll()
	eventually(t, 3*time.Second, "second open", func() bool { return r.openCount() == 2 })
	c.Close()
	want := []sdk.State{sdk.Open, sdk.Reconnecting, sdk.Open, sdk.Closed}
	eventually(t, time.Second, "closed state", func() bool { return len(r.stateList()) == len(want) })
	for i, s := range r.stateList() {
		if s != want[i] {
			t.Fatalf("states %v, want %v", r.stateList(), want)
		}
	}
	cs := r.closeInfos()
	if len(cs) != 2 || cs[0].Code != 1006 || !cs[0].WillReconnect || cs[1].Code != 1000 || cs[1].WillReconnect {
		t.Fatalf("close events %+v", cs)
	}
}

func TestReconnectWhileOpen(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv.URL(), fast())
	c.Reconnect()
	eventually(t, 3*time.Second, "second connection", func() bool { return srv.Accepted() == 2 && c.State() == sdk.Open })
	if st := c.Stats(); st.Reconnects != 1 || st.Attempts != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestURLCalledBeforeEveryAttempt(t *testing.T) {
	srv := newServer(t)
	o := fast()
	var calls atomic.Int32
	o.URL = func(context.Context) (string, error) {
		if calls.Add(1) == 1 {
			return "", errors.New("token service down")
		}
		return srv.URL(), nil
	}
	c := dial(t, "ws://unused.invalid/", o)
	srv.DropAll()
	eventually(t, 3*time.Second, "reconnect", func() bool { return srv.Accepted() == 2 && c.State() == sdk.Open })
	if n := calls.Load(); n != 3 {
		t.Fatalf("URL called %d times, want 3", n)
	}
}

func TestHandlerPanicReported(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv.URL(), fast())
	r := record(c)
	sdk.Handle(c, "echo", func(context.Context, echoMsg) { panic("boom") })
	sdk.Send(context.Background(), c, "echo", echoMsg{})
	eventually(t, 3*time.Second, "panic report", func() bool { return len(r.errors()) == 1 })
	if !contains(r.errors()[0].Error(), "boom") {
		t.Fatalf("report %v", r.errors()[0])
	}
	if c.State() != sdk.Open {
		t.Fatal("a panicking handler broke the client")
	}
}

func TestOnOpenRegisteredLateStillRuns(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv.URL(), fast()) // already open
	ran := make(chan struct{}, 1)
	c.OnOpen(func(ctx context.Context) {
		if err := sdk.Send(ctx, c, "join", echoMsg{N: 1}); err != nil {
			t.Error(err)
		}
		ran <- struct{}{}
	})
	select {
	case <-ran:
	case <-time.After(3 * time.Second):
		t.Fatal("OnOpen registered on an open client never ran")
	}
	if _, err := srv.WaitReceived(ctxFor(t, 3*time.Second), 1); err != nil {
		t.Fatal(err)
	}
}

// TestOnOpenRegisteredWhileOpeningRunsOnce registers OnOpen handlers one
// after another while the first connection opens: each must run exactly
// once for it, whether it was registered before the open handlers ran or
// just after (then it runs late, at once). A handler that ran twice would
// count one connection as two (it did: an OnOpen registered in the moment
// the supervisor took the handlers ran with them and again as late).
func TestOnOpenRegisteredWhileOpeningRunsOnce(t *testing.T) {
	srv := newServer(t)
	for round := range 20 {
		c := sdk.New(srv.URL(), fast())
		var mu sync.Mutex
		var runs []int
		var ran atomic.Bool
		// Until one has run (the supervisor has taken the handlers), and a
		// few after that, which run late.
		for after := 0; after < 5; {
			mu.Lock()
			i := len(runs)
			runs = append(runs, 0)
			mu.Unlock()
			if i > 100000 {
				t.Fatalf("round %d: no connection while registering %d handlers", round, i)
			}
			if i%64 == 63 {
				// Let the connection go on where nothing preempts this
				// loop (in the browser, only a blocked Go lets the page
				// run).
				time.Sleep(time.Microsecond)
			}
			if ran.Load() {
				after++
			}
			c.OnOpen(func(context.Context) {
				ran.Store(true)
				mu.Lock()
				runs[i]++
				mu.Unlock()
			})
		}
		// A request's reply comes after the open handlers and the queue
		// flush: every handler registered so far has had its turn.
		if _, err := sdk.Request[echoMsg](ctxFor(t, 5*time.Second), c, "echo", echoMsg{N: 1}); err != nil {
			t.Fatalf("round %d: request: %v", round, err)
		}
		eventually(t, 3*time.Second, "every handler ran", func() bool {
			mu.Lock()
			defer mu.Unlock()
			for _, n := range runs {
				if n == 0 {
					return false
				}
			}
			return true
		})
		mu.Lock()
		for i, n := range runs {
			if n != 1 {
				mu.Unlock()
				t.Fatalf("round %d: OnOpen handler %d of %d ran %d times for one connection", round, i, len(runs), n)
			}
		}
		mu.Unlock()
		c.Close()
	}
}

func TestBadURLStopsClient(t *testing.T) {
	c := sdk.New("ftp://127.0.0.1:1/ws", fast())
	select {
	case <-c.Done():
	case <-time.After(3 * time.Second):
		t.Fatal("a URL that cannot work kept the client retrying")
	}
	if c.Err() == nil || !contains(c.Err().Error(), "bad URL") {
		t.Fatalf("Err = %v", c.Err())
	}
}

func TestDialBadURLReturnsItsError(t *testing.T) {
	// The client can stop before Dial first looks at it (seen with -race).
	for i := 0; i < 100; i++ {
		_, err := sdk.Dial(ctxFor(t, 3*time.Second), "ftp://127.0.0.1:1/ws", fast())
		if err == nil || !contains(err.Error(), "bad URL") {
			t.Fatalf("Dial error %v, want the bad URL", err)
		}
	}
}
