//go:build !js

package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/steadyws/steadyws/sdk"
)

// peer is a scripted reliable-mode server: each connection runs the next
// script, which reads and writes frames by hand, so that a test decides
// exactly what is acknowledged, resumed or forgotten. It speaks the frames
// of "Reliable mode" in the README and nothing else.
type peer struct {
	t       *testing.T
	srv     *httptest.Server
	scripts chan func(p *peerConn)
	mu      sync.Mutex
	hellos  []hello // every $hello, in order
}

type hello struct {
	Session string `json:"session"`
	Ack     int64  `json:"ack"`
}

type peerConn struct {
	t    *testing.T
	ws   *websocket.Conn
	ctx  context.Context
	p    *peer
	id   int64 // the $hello request's id
	seen hello
}

type frameIn struct {
	Type string          `json:"type"`
	ID   int64           `json:"id"`
	Re   int64           `json:"re"`
	Seq  int64           `json:"seq"`
	Data json.RawMessage `json:"data"`
}

func newPeer(t *testing.T, scripts ...func(p *peerConn)) *peer {
	pr := &peer{t: t, scripts: make(chan func(p *peerConn), len(scripts)+1)}
	for _, s := range scripts {
		pr.scripts <- s
	}
	var wg sync.WaitGroup
	pr.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var script func(p *peerConn)
		select {
		case script = <-pr.scripts:
		default:
			http.Error(w, "no more scripts", http.StatusServiceUnavailable)
			return
		}
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		wg.Add(1)
		defer wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		pc := &peerConn{t: t, ws: ws, ctx: ctx, p: pr}
		script(pc)
		ws.CloseNow()
	}))
	t.Cleanup(func() { pr.srv.CloseClientConnections(); pr.srv.Close(); wg.Wait() })
	return pr
}

// add queues more scripts.
func (pr *peer) add(scripts ...func(p *peerConn)) {
	for _, s := range scripts {
		pr.scripts <- s
	}
}

func (pr *peer) url() string { return "ws" + strings.TrimPrefix(pr.srv.URL, "http") }

func (pr *peer) helloList() []hello {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return append([]hello(nil), pr.hellos...)
}

func (pc *peerConn) next() frameIn {
	pc.t.Helper()
	_, b, err := pc.ws.Read(pc.ctx)
	if err != nil {
		pc.t.Errorf("peer read: %v", err)
		return frameIn{}
	}
	var f frameIn
	if err := json.Unmarshal(b, &f); err != nil {
		pc.t.Errorf("peer: %q: %v", b, err)
	}
	return f
}

// hello reads the $hello, which must be the connection's first frame.
func (pc *peerConn) hello() hello {
	pc.t.Helper()
	f := pc.next()
	if f.Type != "$hello" || f.ID <= 0 {
		pc.t.Errorf("first frame %+v, want a $hello request", f)
	}
	var h hello
	if err := json.Unmarshal(f.Data, &h); err != nil {
		pc.t.Errorf("$hello data %s: %v", f.Data, err)
	}
	pc.id, pc.seen = f.ID, h
	pc.p.mu.Lock()
	pc.p.hellos = append(pc.p.hellos, h)
	pc.p.mu.Unlock()
	return h
}

// wait reads (and drops) frames until the connection ends.
func (pc *peerConn) wait() {
	for {
		if _, _, err := pc.ws.Read(pc.ctx); err != nil {
			return
		}
	}
}

func (pc *peerConn) write(s string) {
	if err := pc.ws.Write(pc.ctx, websocket.MessageText, []byte(s)); err != nil {
		pc.t.Errorf("peer write: %v", err)
	}
}

// welcome reads the $hello and answers it.
func (pc *peerConn) welcome(ack int64, resumed bool) hello {
	pc.t.Helper()
	h := pc.hello()
	pc.write(fmt.Sprintf(`{"type":"$hello","re":%d,"data":{"ack":%d,"resumed":%v}}`, pc.id, ack, resumed))
	return h
}

// events reads n numbered events, skipping $acks (returned apart).
func (pc *peerConn) events(n int) (evs []frameIn, acks []int64) {
	pc.t.Helper()
	for len(evs) < n {
		f := pc.next()
		switch {
		case f.Type == "":
			return evs, acks
		case f.Type == "$ack":
			acks = append(acks, f.Seq)
		default:
			evs = append(evs, f)
		}
	}
	return evs, acks
}

// awaitAck reads until an $ack of at least seq arrives.
func (pc *peerConn) awaitAck(seq int64) time.Duration {
	pc.t.Helper()
	start := time.Now()
	for {
		f := pc.next()
		if f.Type == "" {
			return 0
		}
		if f.Type == "$ack" && f.Seq >= seq {
			return time.Since(start)
		}
	}
}

func (pc *peerConn) event(t string, seq int64, n int) {
	pc.write(fmt.Sprintf(`{"type":%q,"seq":%d,"data":{"n":%d}}`, t, seq, n))
}

func seqs(evs []frameIn) []int64 {
	var out []int64
	for _, e := range evs {
		out = append(out, e.Seq)
	}
	return out
}

// TestReliableResumeLossAndRestart walks one session through a first
// connection, a resume (ack 1 of 3: two resent; a duplicate inbound
// dropped), and a server that lost the session (SessionLostError with the
// two unacknowledged events, never resent; numbering restarts from 1 both
// ways).
func TestReliableResumeLossAndRestart(t *testing.T) {
	step := make(chan struct{})
	pr := newPeer(t,
		func(pc *peerConn) {
			h := pc.welcome(0, false)
			if h.Ack != 0 || len(h.Session) != 22 {
				t.Errorf("first $hello %+v, want ack 0 and a 22-character session", h)
			}
			evs, _ := pc.events(3)
			if got := seqs(evs); fmt.Sprint(got) != "[1 2 3]" {
				t.Errorf("first connection: seqs %v, want [1 2 3]", got)
			}
			pc.event("s", 1, 1)
			pc.event("s", 2, 2)
			if d := pc.awaitAck(2); d > time.Second {
				t.Errorf("ack after %v, want at most about 100 ms", d)
			}
		},
		func(pc *peerConn) {
			h := pc.welcome(1, true) // only event 1 arrived
			if h.Ack != 2 {
				t.Errorf("resume $hello ack %d, want 2", h.Ack)
			}
			evs, _ := pc.events(2)
			if got := seqs(evs); fmt.Sprint(got) != "[2 3]" {
				t.Errorf("resent %v, want [2 3]", got)
			}
			pc.event("s", 2, 2) // a duplicate: dropped
			pc.event("s", 3, 3)
			pc.awaitAck(3)
			<-step
		},
		func(pc *peerConn) {
			h := pc.welcome(0, false) // the session is gone
			if h.Ack != 3 {
				t.Errorf("third $hello ack %d, want 3", h.Ack)
			}
			evs, _ := pc.events(1)
			if got := seqs(evs); fmt.Sprint(got) != "[1]" || string(evs[0].Data) != `{"N":4}` {
				t.Errorf("after the loss: %v %s, want seq 1 carrying N 4 (nothing resent)", got, evs[0].Data)
			}
			pc.write(`{"type":"$ack","seq":1}`)
			pc.event("s", 1, 10)
			pc.wait()
		},
	)
	c := sdk.New(pr.url(), reliableOpts())
	defer c.Close()
	rec := record(c)
	got := handleNums(c, "s")
	ctx := ctxFor(t, 10*time.Second)
	for i := 1; i <= 3; i++ {
		if err := sdk.Send(ctx, c, "chat", num{i}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 5*time.Second, "the resume", func() bool { return c.Stats().Resent == 2 && c.Stats().Duplicates == 1 })
	eventually(t, 5*time.Second, "events 1..3", func() bool { return len(got.list()) == 3 })
	close(step)
	eventually(t, 5*time.Second, "the third connection", func() bool { return len(pr.helloList()) == 3 })
	eventually(t, 5*time.Second, "a SessionLostError", func() bool {
		for _, err := range rec.errors() {
			var sl *sdk.SessionLostError
			if errors.As(err, &sl) {
				if sl.Count != 2 || fmt.Sprint(sl.Types) != "[chat]" {
					t.Errorf("SessionLostError %+v, want count 2 of [chat]", sl)
				}
				return true
			}
		}
		return false
	})
	if err := sdk.Send(ctx, c, "chat", num{4}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "event 10 after the restart", func() bool { return len(got.list()) == 4 })
	if fmt.Sprint(got.list()) != "[1 2 3 10]" {
		t.Errorf("handlers got %v, want [1 2 3 10]", got.list())
	}
	hs := pr.helloList()
	if hs[0].Session != hs[1].Session || hs[1].Session != hs[2].Session {
		t.Errorf("session changed between connections")
	}
	st := c.Stats()
	if st.SessionRestarts != 1 || st.Resent != 2 || st.Duplicates != 1 {
		t.Errorf("stats %+v, want 1 restart, 2 resent, 1 duplicate", st)
	}
	eventually(t, 5*time.Second, "unacked 0", func() bool { return c.Stats().Unacked == 0 })
}

// TestReliableResumeAckZeroTwice: a resume whose reply acknowledges
// nothing resends everything; a second resume straight after, with no
// traffic between, resends the same again and reports nothing.
func TestReliableResumeAckZeroTwice(t *testing.T) {
	pr := newPeer(t,
		func(pc *peerConn) {
			pc.welcome(0, false)
			pc.events(2)
		},
		func(pc *peerConn) {
			if h := pc.welcome(0, true); h.Ack != 0 {
				t.Errorf("ack %d, want 0", h.Ack)
			}
			evs, _ := pc.events(2)
			if fmt.Sprint(seqs(evs)) != "[1 2]" {
				t.Errorf("first resume resent %v, want [1 2]", seqs(evs))
			}
		},
		func(pc *peerConn) {
			pc.welcome(0, true)
			evs, _ := pc.events(2)
			if fmt.Sprint(seqs(evs)) != "[1 2]" {
				t.Errorf("second resume resent %v, want [1 2]", seqs(evs))
			}
			pc.write(`{"type":"$ack","seq":2}`)
			pc.wait()
		},
	)
	c := sdk.New(pr.url(), reliableOpts())
	defer c.Close()
	rec := record(c)
	ctx := ctxFor(t, 10*time.Second)
	for i := 1; i <= 2; i++ {
		if err := sdk.Send(ctx, c, "chat", num{i}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 5*time.Second, "two resumes and the ack", func() bool { return c.Stats().Resent == 4 && c.Stats().Unacked == 0 })
	for _, err := range rec.errors() {
		t.Errorf("unexpected error: %v", err)
	}
}

// TestReliableSilentRestart: a server that lost a session in which nothing
// was unacknowledged either way (a drained rolling restart) restarts
// numbering without a SessionLostError.
func TestReliableSilentRestart(t *testing.T) {
	pr := newPeer(t,
		func(pc *peerConn) {
			pc.welcome(0, false)
			pc.events(1)
			pc.write(`{"type":"$ack","seq":1}`)
			pc.event("s", 1, 1)
			pc.awaitAck(1)
			pc.ws.Close(websocket.StatusServiceRestart, "restart")
		},
		func(pc *peerConn) {
			pc.welcome(0, false)
			evs, _ := pc.events(1)
			if fmt.Sprint(seqs(evs)) != "[1]" {
				t.Errorf("after the restart: %v, want [1]", seqs(evs))
			}
			pc.wait()
		},
	)
	c := sdk.New(pr.url(), reliableOpts())
	defer c.Close()
	rec := record(c)
	got := handleNums(c, "s")
	ctx := ctxFor(t, 10*time.Second)
	if err := sdk.Send(ctx, c, "chat", num{1}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the restart", func() bool { return c.Stats().SessionRestarts == 1 })
	if err := sdk.Send(ctx, c, "chat", num{2}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the event", func() bool { return len(got.list()) == 1 })
	time.Sleep(50 * time.Millisecond)
	for _, err := range rec.errors() {
		t.Errorf("unexpected error: %v", err)
	}
}

// TestReliableWindowFull: with the server acknowledging nothing, kept and
// queued events together fill Queue.Limit, and Send then fails with
// ErrQueueFull; nothing is dropped.
func TestReliableWindowFull(t *testing.T) {
	release := make(chan struct{})
	pr := newPeer(t, func(pc *peerConn) {
		pc.welcome(0, false)
		pc.events(3)
		<-release
		pc.write(`{"type":"$ack","seq":3}`)
		pc.events(1)
	})
	o := reliableOpts()
	o.Queue.Limit = 3
	c := dial(t, pr.url(), o)
	ctx := ctxFor(t, 10*time.Second)
	for i := 1; i <= 3; i++ {
		if err := sdk.Send(ctx, c, "chat", num{i}); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if err := sdk.Send(ctx, c, "chat", num{4}); !errors.Is(err, sdk.ErrQueueFull) {
		t.Fatalf("fourth send: %v, want ErrQueueFull", err)
	}
	if st := c.Stats(); st.Unacked != 3 || st.Dropped != 0 {
		t.Errorf("stats %+v, want 3 unacked, none dropped", st)
	}
	close(release)
	eventually(t, 5*time.Second, "the ack", func() bool { return c.Stats().Unacked == 0 })
	if err := sdk.Send(ctx, c, "chat", num{4}); err != nil {
		t.Fatalf("send after the ack: %v", err)
	}
}

// TestReliableHelloTimeout: a server that never answers the $hello is a
// failed attempt (backoff, retry), not a stop.
func TestReliableHelloTimeout(t *testing.T) {
	pr := newPeer(t,
		func(pc *peerConn) { pc.hello(); pc.wait() },
		func(pc *peerConn) { pc.welcome(0, false); pc.wait() },
	)
	o := reliableOpts()
	o.ConnectTimeout = 200 * time.Millisecond
	c := dial(t, pr.url(), o)
	if c.State() != sdk.Open || len(pr.helloList()) != 2 {
		t.Fatalf("state %v after %d hellos, want open after 2", c.State(), len(pr.helloList()))
	}
}

// TestReliableOpenHandlerNotNumbered: the state becomes open only after the
// $hello reply; what an OnOpen handler sends goes first, unnumbered, then
// the kept events, then the queue.
func TestReliableOpenOrder(t *testing.T) {
	pr := newPeer(t,
		func(pc *peerConn) {
			pc.welcome(0, false)
			if f := pc.next(); f.Type != "auth" || f.Seq != 0 {
				t.Errorf("first frame after the reply %+v, want the unnumbered auth", f)
			}
			pc.events(1) // seq 1, never acknowledged
		},
		func(pc *peerConn) {
			pc.welcome(0, true)
			var got []string
			for len(got) < 3 {
				f := pc.next()
				got = append(got, fmt.Sprintf("%s/%d", f.Type, f.Seq))
			}
			if fmt.Sprint(got) != "[auth/0 chat/1 chat/2]" {
				t.Errorf("second connection: %v, want [auth/0 chat/1 chat/2]", got)
			}
			pc.wait()
		},
	)
	c := sdk.New(pr.url(), reliableOpts())
	defer c.Close()
	var states []sdk.State
	var mu sync.Mutex
	c.OnStateChange(func(s sdk.State) { mu.Lock(); states = append(states, s); mu.Unlock() })
	c.OnOpen(func(ctx context.Context) {
		if err := sdk.Send(ctx, c, "auth", nil); err != nil {
			t.Error(err)
		}
	})
	ctx := ctxFor(t, 10*time.Second)
	if err := sdk.Send(ctx, c, "chat", num{1}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the second connection", func() bool { return len(pr.helloList()) == 2 && c.State() == sdk.Open })
	if err := sdk.Send(ctx, c, "chat", num{2}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "resent", func() bool { return c.Stats().Resent == 1 })
}
