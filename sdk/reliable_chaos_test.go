//go:build !js

package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steadyws/steadyws/sdk"
	"github.com/steadyws/steadyws/sdk/internal/faultproxy"
	"github.com/steadyws/steadyws/sdk/server"
)

// TestChaosReliable runs reliable mode against sdk/server through the
// fault proxy (cuts, half-open stalls, delays, refusals) in both
// directions at once: the client sends numbered events while the server
// pushes its own, and each side's handlers must get 1..N exactly once and
// in order, with no loss reported. Longer runs:
//
//	go test ./sdk -run TestChaosReliable -chaos.duration=2m [-chaos.seed=N]
func TestChaosReliable(t *testing.T) {
	d, seed := chaosSetup(t, 4*time.Second)
	srv := server.New(&server.Options{Reliable: true})
	var (
		mu       sync.Mutex
		atServer []int
		conn     *server.Conn
	)
	srv.OnConnect(func(c *server.Conn) {
		mu.Lock()
		if conn == nil {
			conn = c
		}
		mu.Unlock()
	})
	server.Handle(srv, "c", func(_ context.Context, _ *server.Conn, m num) {
		mu.Lock()
		atServer = append(atServer, m.N)
		mu.Unlock()
	})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	t.Cleanup(func() { srv.Shutdown(ctxFor(t, 2*time.Second)) })
	proxy, err := faultproxy.Start(strings.TrimPrefix(hs.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)

	o := chaosOptions(0)
	o.Queue = sdk.Queue{}
	o.Reliable = true
	c := sdk.New("ws://"+proxy.Addr()+"/ws", o)
	defer c.Close()
	rec := record(c)
	atClient := handleNums(c, "s")

	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		proxy.Run(ctx, faultproxy.Chaos{Seed: seed, Gap: 250 * time.Millisecond, MaxDelay: 40 * time.Millisecond, MaxHold: 500 * time.Millisecond})
	}()
	var sent, pushed int
	go func() { // the client's events, with back-pressure
		defer wg.Done()
		for ctx.Err() == nil {
			err := sdk.Send(context.Background(), c, "c", num{sent + 1})
			switch {
			case err == nil:
				sent++
			case errors.Is(err, sdk.ErrQueueFull):
				time.Sleep(5 * time.Millisecond)
			default:
				t.Errorf("Send: %v", err)
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	go func() { // the server's events, kept under its window
		defer wg.Done()
		for ctx.Err() == nil {
			mu.Lock()
			cn := conn
			mu.Unlock()
			if cn == nil || srv.Stats().Unacked >= server.DefaultSessionWindow/2 {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			if err := server.Send(context.Background(), cn, "s", num{pushed + 1}); err != nil {
				t.Errorf("server.Send: %v", err)
				return
			}
			pushed++
			time.Sleep(time.Millisecond)
		}
	}()
	wg.Wait()

	eventually(t, 20*time.Second, "every event delivered both ways", func() bool {
		mu.Lock()
		n := len(atServer)
		mu.Unlock()
		return n >= sent && len(atClient.list()) >= pushed
	})
	mu.Lock()
	gotServer := append([]int(nil), atServer...)
	mu.Unlock()
	checkSequence(t, "server handlers", gotServer, sent)
	checkSequence(t, "client handlers", atClient.list(), pushed)
	for _, err := range rec.errors() {
		var sl *sdk.SessionLostError
		if errors.As(err, &sl) {
			t.Errorf("reported a lost session: %v", err)
		}
	}
	eventually(t, 5*time.Second, "nothing unacknowledged", func() bool { return c.Stats().Unacked == 0 && srv.Stats().Unacked == 0 })
	ps, cs, ss := proxy.Stats(), c.Stats(), srv.Stats()
	summary := fmt.Sprintf("TestChaosReliable seed=%d duration=%v: client→server %d, server→client %d events; cut=%d stall=%d delay=%d refuse=%d; reconnects=%d; client resent=%d duplicates=%d; server resent=%d duplicates=%d; lost 0",
		seed, d, sent, pushed, ps.Cuts, ps.Stalls, ps.Delays, ps.Refusals, cs.Reconnects, cs.Resent, cs.Duplicates, ss.Resent, ss.Duplicates)
	t.Log(summary)
	fmt.Println(summary)
	if cs.Reconnects == 0 {
		t.Errorf("no reconnect happened: the chaos proved nothing")
	}
}

// checkSequence checks that got is 1..n, each once, in order.
func checkSequence(t *testing.T, who string, got []int, n int) {
	t.Helper()
	if len(got) != n {
		t.Errorf("%s got %d events, want %d", who, len(got), n)
	}
	for i, v := range got {
		if v != i+1 {
			t.Errorf("%s: event %d is %d, want %d (%v...)", who, i, v, i+1, got[max(0, i-3):min(len(got), i+4)])
			return
		}
	}
}

var _ http.Handler = (*server.Server)(nil)

// swappable serves whichever sdk/server is current, so that a test can
// replace the server by one that holds no sessions (a restart without a
// shared SessionStore).
type swappable struct {
	mu  sync.Mutex
	srv *server.Server
}

func (s *swappable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	srv.ServeHTTP(w, r)
}

// TestReliableServerLostSession: sdk/server forgets the session (it is
// replaced) while two events the client wrote were never acknowledged
// (the connection was stalled): the client reports a SessionLostError
// counting those two, never resends them, and numbering restarts.
func TestReliableServerLostSession(t *testing.T) {
	var mu sync.Mutex
	var got []string
	newSrv := func(name string) *server.Server {
		srv := server.New(&server.Options{Reliable: true})
		server.Handle(srv, "c", func(_ context.Context, _ *server.Conn, m num) {
			mu.Lock()
			got = append(got, fmt.Sprint(name, m.N))
			mu.Unlock()
		})
		t.Cleanup(func() { srv.Shutdown(ctxFor(t, time.Second)) })
		return srv
	}
	sw := &swappable{srv: newSrv("a")}
	hs := httptest.NewServer(sw)
	t.Cleanup(hs.Close)
	proxy, err := faultproxy.Start(strings.TrimPrefix(hs.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	c := dial(t, "ws://"+proxy.Addr()+"/ws", reliableOpts())
	rec := record(c)
	ctx := ctxFor(t, 10*time.Second)
	send := func(n int) {
		if err := sdk.Send(ctx, c, "c", num{n}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 3; i++ {
		send(i)
	}
	eventually(t, 5*time.Second, "three events acknowledged", func() bool { st := c.Stats(); return st.Queued == 0 && st.Unacked == 0 })
	proxy.StallAll()
	send(4)
	send(5)
	eventually(t, time.Second, "two unacknowledged", func() bool { return c.Stats().Unacked == 2 })
	sw.mu.Lock()
	sw.srv = newSrv("b")
	sw.mu.Unlock()
	proxy.CutAll()
	proxy.Heal()
	eventually(t, 5*time.Second, "a SessionLostError", func() bool {
		for _, err := range rec.errors() {
			var sl *sdk.SessionLostError
			if errors.As(err, &sl) {
				if sl.Count != 2 || fmt.Sprint(sl.Types) != "[c]" {
					t.Errorf("SessionLostError %+v, want count 2 of [c]", sl)
				}
				return true
			}
		}
		return false
	})
	send(6)
	eventually(t, 5*time.Second, "event 6 at the new server", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == 4
	})
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(got) != "[a1 a2 a3 b6]" {
		t.Errorf("server handlers got %v, want [a1 a2 a3 b6]: nothing resent after the loss", got)
	}
	if st := c.Stats(); st.SessionRestarts != 1 || st.Unacked != 0 {
		t.Errorf("stats %+v, want 1 restart and nothing unacknowledged", st)
	}
}
