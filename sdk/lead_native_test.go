//go:build !js

package sdk_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/steadyws/steadyws/sdk"
	"github.com/steadyws/steadyws/sdk/internal/testserver"
)

type leadMsg struct {
	N    int    `json:"n"`
	From string `json:"from"`
}

// ledRequest sends echo requests until one of them was read by its caller
// (the native client's callers read their own replies while nobody else
// reads: lead_native.go), or fails the test.
func ledRequest(t *testing.T, c *sdk.Client) {
	t.Helper()
	before := sdk.LeadReads()
	for i := range 50 {
		got, err := sdk.Request[leadMsg](ctxFor(t, 5*time.Second), c, "echo", leadMsg{N: i})
		if err != nil || got.N != i {
			t.Fatalf("echo %d: got %+v, %v", i, got, err)
		}
		if sdk.LeadReads() > before {
			return
		}
	}
	t.Fatal("no caller of Request read its own reply in 50 round trips")
}

// TestRequestTimesOutWhileItsCallerReads: a caller reading the connection
// itself for its reply still returns when its context ends, even on a
// connection where nothing arrives (half-open, heartbeat off), and the
// connection is left intact: the next request and event arrive whole.
func TestRequestTimesOutWhileItsCallerReads(t *testing.T) {
	t.Run("ws", func(t *testing.T) {
		s := newServer(t)
		timesOutWhileReading(t, s, dial(t, s.URL(), fast()))
	})
	t.Run("wss", func(t *testing.T) {
		s, pool := newTLSServer(t)
		timesOutWhileReading(t, s, dial(t, s.URL(), sdk.WithTLSConfig(fast(), &tls.Config{RootCAs: pool})))
	})
}

func timesOutWhileReading(t *testing.T, s *testserver.Server, c *sdk.Client) {
	// The read goroutine stands back, so that the callers below read.
	grace := sdk.SetLeadGrace(time.Minute)
	defer sdk.SetLeadGrace(grace)
	events := make(chan leadMsg, 1)
	sdk.Handle(c, "note", func(_ context.Context, m leadMsg) { events <- m })
	ledRequest(t, c)

	s.SetDelay(400 * time.Millisecond) // the reply comes after the timeout
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := sdk.Request[leadMsg](ctx, c, "echo", leadMsg{N: -1})
	if !errors.Is(err, sdk.ErrRequestTimeout) {
		t.Fatalf("Request on a slow server: %v, want ErrRequestTimeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Request returned %v after its 100 ms timeout", d)
	}
	s.SetDelay(0)
	eventually(t, 3*time.Second, "the late reply to be counted", func() bool {
		ledRequest(t, c)
		return c.Stats().LateReplies == 1
	})

	s.Silent(true) // half-open: nothing arrives any more
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	start = time.Now()
	_, err = sdk.Request[leadMsg](ctx2, c, "echo", leadMsg{N: -2})
	if !errors.Is(err, sdk.ErrRequestTimeout) {
		t.Fatalf("Request on a silent connection: %v, want ErrRequestTimeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Request on a silent connection returned %v after its 100 ms timeout", d)
	}
	if got := s.Accepted(); got != 1 {
		t.Fatalf("%d handshakes: a timed-out request cost the connection", got)
	}
	s.Silent(false)
	sdk.SetLeadGrace(grace)
	s.DropAll()
	c.Reconnect() // the read goroutine stands back: it must be told to look

	eventually(t, 5*time.Second, "a new connection", func() bool { return s.Accepted() == 2 && c.State() == sdk.Open })
	ledRequest(t, c)
	s.Broadcast(`{"type":"note","data":{"n":7,"from":"server"}}`)
	select {
	case m := <-events:
		if m.N != 7 || m.From != "server" {
			t.Fatalf("event arrived as %+v", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the event never arrived")
	}
}

// TestLeadersMixWithEverything: many goroutines' requests (whose callers
// read the connection in turn), server events, server requests and
// pings from both ends, while the server drops every connection every 100 ms.
// Every reply reaches the caller that asked, intact; every event and
// server request that arrives is whole; nothing but disconnects and
// timeouts is reported. Run with -race.
func TestLeadersMixWithEverything(t *testing.T) {
	s := newServer(t)
	o := fast()
	o.Heartbeat = sdk.Heartbeat{Interval: 15 * time.Millisecond, Timeout: time.Second}
	c := dial(t, s.URL(), o)
	var bad sync.Map
	c.OnError(func(err error) {
		var ue *sdk.UnexpectedReplyError
		switch {
		case errors.As(err, &ue), strings.Contains(err.Error(), "malformed"), strings.Contains(err.Error(), "unknown"):
			bad.Store(err.Error(), true)
		}
	})
	var events, asks, replies atomic.Int64
	sdk.Handle(c, "note", func(_ context.Context, m leadMsg) {
		if m.From != "server" {
			bad.Store(fmt.Sprintf("event %+v", m), true)
		}
		events.Add(1)
	})
	sdk.HandleRequest(c, "ask", func(_ context.Context, m leadMsg) (leadMsg, error) {
		asks.Add(1)
		return leadMsg{N: m.N + 1, From: "client"}, nil
	})
	before := sdk.LeadReads()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				in := leadMsg{N: g*1_000_000 + i, From: fmt.Sprint("caller ", g)}
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				got, err := sdk.Request[leadMsg](ctx, c, "echo", in)
				cancel()
				switch {
				case err == nil && got != in:
					bad.Store(fmt.Sprintf("caller %d sent %+v, got %+v", g, in, got), true)
				case err == nil:
					replies.Add(1)
				}
			}
		})
	}
	wg.Go(func() { // events and server requests
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			s.Broadcast(`{"type":"note","data":{"n":` + fmt.Sprint(i) + `,"from":"server"}}`)
			s.Broadcast(`{"type":"ping"}`) // answered with a pong by whoever reads it
			if i%5 == 0 {
				ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
				out, err := s.Request(ctx, "ask", json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)))
				cancel()
				var m leadMsg
				if err == nil && (json.Unmarshal(out, &m) != nil || m.N != i+1 || m.From != "client") {
					bad.Store("server request answered "+string(out), true)
				}
			}
		}
	})
	wg.Go(func() { // drops
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				s.DropAll()
			}
		}
	})
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	wg.Wait()

	bad.Range(func(k, _ any) bool {
		t.Errorf("%v", k)
		return true
	})
	t.Logf("replies %d, events %d, server requests %d, handshakes %d, led reads %d",
		replies.Load(), events.Load(), asks.Load(), s.Accepted(), sdk.LeadReads()-before)
	if replies.Load() == 0 || events.Load() == 0 || asks.Load() == 0 {
		t.Errorf("some traffic never went through: replies %d, events %d, server requests %d",
			replies.Load(), events.Load(), asks.Load())
	}
	if s.Accepted() < 3 {
		t.Errorf("only %d handshakes: the drops did not happen", s.Accepted())
	}
	if sdk.LeadReads() == before {
		t.Error("no caller read its own reply: the test did not exercise leading")
	}
	// After the storm the connection is whole again.
	eventually(t, 5*time.Second, "an open connection", func() bool { return c.State() == sdk.Open })
	ledRequest(t, c)
}

// TestCloseOnASilentConnectionReturnsPromptly: a peer that never answers
// the close handshake is cut off after the close grace (1 s), not after
// coder/websocket's own 5 s wait (which its CloseNow used to sit out).
func TestCloseOnASilentConnectionReturnsPromptly(t *testing.T) {
	s := newServer(t)
	c := dial(t, s.URL(), fast())
	s.Silent(true)
	s.Silent(false) // the open connection stays silent; new ones are not
	start := time.Now()
	c.Reconnect()
	eventually(t, 10*time.Second, "a new connection", func() bool { return s.Accepted() == 2 })
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Reconnect on a silent connection took %v to connect again", d)
	}
	s.Silent(true)
	start = time.Now()
	c.Close()
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Close on a silent connection took %v", d)
	}
}

// TestLeadingOverTLS: callers read their own replies on wss:// too, with
// WithTLSConfig's settings; a client of the caller's (WithHTTPClient) is
// read by the read goroutine alone, as before, and works the same.
func TestLeadingOverTLS(t *testing.T) {
	srv, pool := newTLSServer(t)
	c := dial(t, srv.URL(), sdk.WithTLSConfig(fast(), &tls.Config{RootCAs: pool}))
	ledRequest(t, c)

	own := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	c2 := dial(t, srv.URL(), sdk.WithHTTPClient(fast(), own))
	c.Close()
	before := sdk.LeadReads()
	for i := range 20 {
		got, err := sdk.Request[leadMsg](ctxFor(t, 5*time.Second), c2, "echo", leadMsg{N: i})
		if err != nil || got.N != i {
			t.Fatalf("echo %d over WithHTTPClient: %+v, %v", i, got, err)
		}
	}
	if n := sdk.LeadReads() - before; n != 0 {
		t.Fatalf("%d replies read by their callers on a connection dialled by the caller's own HTTP client", n)
	}
}
