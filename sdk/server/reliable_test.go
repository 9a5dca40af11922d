//go:build !js

package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/steadyws/steadyws/sdk/server"
)

// These tests speak reliable mode's frames by hand, over a raw
// coder/websocket connection, as DESIGN.md writes them down.

const sessionA = "c2Vzc2lvbi1BLTAxMjM0NQ" // 22 characters, as a client's 16 random bytes in base64url

// rframe is a frame the server sent, decoded with encoding/json.
type rframe struct {
	Type  string          `json:"type"`
	ID    int64           `json:"id,omitempty"`
	Re    int64           `json:"re,omitempty"`
	Seq   int64           `json:"seq,omitempty"`
	Data  json.RawMessage `json:"data,omitempty"`
	Error json.RawMessage `json:"error,omitempty"`
}

func readFrame(t *testing.T, ws *websocket.Conn) rframe {
	t.Helper()
	s := read(t, ws)
	var f rframe
	if err := json.Unmarshal([]byte(s), &f); err != nil {
		t.Fatalf("server sent %q, not JSON: %v", s, err)
	}
	return f
}

// hello sends the $hello request and returns the reply's ack and resumed.
func hello(t *testing.T, ws *websocket.Conn, session string, ack int64) (k int64, resumed bool) {
	t.Helper()
	write(t, ws, fmt.Sprintf(`{"type":"$hello","id":1,"data":{"session":%q,"ack":%d}}`, session, ack))
	f := readFrame(t, ws)
	if f.Type != "$hello" || f.Re != 1 || f.Error != nil {
		t.Fatalf("first frame after $hello: %+v, want its reply", f)
	}
	var w struct {
		Ack     *int64 `json:"ack"`
		Resumed *bool  `json:"resumed"`
	}
	if err := json.Unmarshal(f.Data, &w); err != nil || w.Ack == nil || w.Resumed == nil {
		t.Fatalf("$hello reply data %s: %v", f.Data, err)
	}
	return *w.Ack, *w.Resumed
}

// peer is the raw client's side of a session: what it handed to its
// "handlers" and what it numbered.
type peer struct {
	t       *testing.T
	in      []int64 // server event seqs, in the order received
	data    []int   // their data
	sent    int64   // the last client seq numbered
	lastAck int64   // the server's latest $ack
}

func (p *peer) lastIn() int64 {
	if len(p.in) == 0 {
		return 0
	}
	return p.in[len(p.in)-1]
}

// send numbers and writes client events with data n.
func (p *peer) send(ws *websocket.Conn, ns ...int) {
	p.t.Helper()
	for _, n := range ns {
		p.sent++
		write(p.t, ws, fmt.Sprintf(`{"type":"n","seq":%d,"data":%d}`, p.sent, n))
	}
}

// resend writes client events from seq `from` up to p.sent again (a
// client resends what the server's $hello reply did not acknowledge),
// each with data equal to its seq.
func (p *peer) resend(ws *websocket.Conn, from int64) {
	p.t.Helper()
	for s := from; s <= p.sent; s++ {
		write(p.t, ws, fmt.Sprintf(`{"type":"n","seq":%d,"data":%d}`, s, s))
	}
}

// frame takes one frame: an event must be the next number (no duplicate,
// no gap), an $ack is remembered. It returns the frame.
func (p *peer) frame(ws *websocket.Conn) rframe {
	p.t.Helper()
	f := readFrame(p.t, ws)
	switch {
	case f.Type == "$ack":
		if f.Seq < p.lastAck {
			p.t.Errorf("$ack went back from %d to %d", p.lastAck, f.Seq)
		}
		p.lastAck = f.Seq
	case f.Seq > 0:
		if f.Seq != p.lastIn()+1 {
			p.t.Fatalf("server event seq %d after %d: want %d (no duplicate, no gap)", f.Seq, p.lastIn(), p.lastIn()+1)
		}
		var n int
		_ = json.Unmarshal(f.Data, &n)
		p.in = append(p.in, f.Seq)
		p.data = append(p.data, n)
	}
	return f
}

// until reads frames until the server's events reach seq.
func (p *peer) until(ws *websocket.Conn, seq int64) {
	p.t.Helper()
	for p.lastIn() < seq {
		p.frame(ws)
	}
}

// untilAck reads frames until the server acknowledged seq.
func (p *peer) untilAck(ws *websocket.Conn, seq int64) {
	p.t.Helper()
	for p.lastAck < seq {
		p.frame(ws)
	}
}

// ack acknowledges every server event received.
func (p *peer) ack(ws *websocket.Conn) {
	p.t.Helper()
	write(p.t, ws, fmt.Sprintf(`{"type":"$ack","seq":%d}`, p.lastIn()))
}

// quiet proves nothing else is on its way: a ping's pong is the next frame.
func (p *peer) quiet(ws *websocket.Conn) {
	p.t.Helper()
	write(p.t, ws, `{"type":"ping"}`)
	for {
		f := p.frame(ws)
		if f.Type == "pong" {
			return
		}
		if f.Type != "$ack" {
			p.t.Fatalf("unexpected frame %+v", f)
		}
	}
}

// recorder is the server's handler for "n" events: what it saw, in order.
type recorder struct {
	mu   sync.Mutex
	seen []int
	keys []string
}

func (r *recorder) add(n int, key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, n)
	r.keys = append(r.keys, key)
}

func (r *recorder) get() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.seen...)
}

// waitLen waits until the handlers saw n events.
func (r *recorder) waitLen(t *testing.T, n int) {
	t.Helper()
	eventually(t, fmt.Sprintf("handlers to see %d events", n), func() bool { return len(r.get()) >= n })
}

// exactly checks the handlers saw 1..n once each, in order.
func exactly(t *testing.T, what string, got []int, n int) {
	t.Helper()
	ok := len(got) == n
	for i := 0; ok && i < n; i++ {
		ok = got[i] == i+1
	}
	if !ok {
		t.Fatalf("%s saw %v, want 1..%d once each, in order", what, got, n)
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// startReliable is a reliable server with a recorder on "n".
func startReliable(t *testing.T, opts *server.Options) (*harness, *recorder) {
	t.Helper()
	if opts == nil {
		opts = &server.Options{}
	}
	opts.Reliable = true
	h := start(t, opts)
	rec := &recorder{}
	server.Handle(h.srv, "n", func(ctx context.Context, c *server.Conn, n int) {
		key, _ := server.EventKey(ctx)
		rec.add(n, key)
	})
	return h, rec
}

// conn returns the server's newest reliable connection.
func (h *harness) conn(t *testing.T) *server.Conn {
	t.Helper()
	var c *server.Conn
	eventually(t, "a connection", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		if len(h.conns) > 0 {
			c = h.conns[len(h.conns)-1]
		}
		return c != nil
	})
	return c
}

func (h *harness) connCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// sendN sends server events with data from..to to c.
func sendN(t *testing.T, c *server.Conn, from, to int) {
	t.Helper()
	for i := from; i <= to; i++ {
		if err := server.Send(context.Background(), c, "n", i); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
}

// closeCode reads until the connection ends and returns the close code.
func closeCode(t *testing.T, ws *websocket.Conn) websocket.StatusCode {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		if _, _, err := ws.Read(ctx); err != nil {
			return websocket.CloseStatus(err)
		}
	}
}

func TestReliableNumberingAndAcks(t *testing.T) {
	h, rec := startReliable(t, nil)
	ws := dial(t, h.url)
	if k, resumed := hello(t, ws, sessionA, 0); k != 0 || resumed {
		t.Fatalf("new session: ack %d resumed %v, want 0 false", k, resumed)
	}
	c := h.conn(t)
	if !c.Reliable() {
		t.Errorf("Conn.Reliable is false after a $hello")
	}
	p := &peer{t: t}

	// Server → client: numbered from 1, kept until acknowledged.
	sendN(t, c, 1, 5)
	p.until(ws, 5)
	if st := h.srv.Stats(); st.Unacked != 5 || st.Sessions != 1 {
		t.Errorf("Stats before the ack: %+v, want 5 unacked in 1 session", st)
	}
	p.ack(ws)
	eventually(t, "the server to release acked events", func() bool { return h.srv.Stats().Unacked == 0 })

	// Client → server: acknowledged within 100 ms of a lone event...
	began := time.Now()
	p.send(ws, 1, 2, 3)
	p.untilAck(ws, 3)
	if d := time.Since(began); d > time.Second {
		t.Errorf("$ack after %v, want about 100 ms", d)
	}
	// ... and at once after 64 events, then within 100 ms for the rest.
	ns := make([]int, 0, 67)
	for i := 4; i <= 70; i++ {
		ns = append(ns, i)
	}
	p.send(ws, ns...)
	p.untilAck(ws, 70)
	exactly(t, "server handlers", rec.get(), 70)
	if p.lastIn() != 5 {
		t.Errorf("the client got server events up to %d, want 5", p.lastIn())
	}
	// Events without seq, requests and pings are as ever on a reliable
	// connection: not numbered, not acknowledged.
	write(t, ws, `{"type":"n","data":71}`)
	p.quiet(ws)
	rec.waitLen(t, 71)
}

func TestReliableResumeResendsUnacked(t *testing.T) {
	h, rec := startReliable(t, nil)
	p := &peer{t: t}
	ws := dial(t, h.url)
	hello(t, ws, sessionA, 0)
	c := h.conn(t)
	sendN(t, c, 1, 6)
	p.until(ws, 6)
	write(t, ws, `{"type":"$ack","seq":2}`)
	p.send(ws, 1, 2, 3)
	p.untilAck(ws, 3)
	eventually(t, "ack 2 taken", func() bool { return h.srv.Stats().Unacked == 4 })
	_ = ws.CloseNow()

	// The client handed 1..4 to its handlers (acked only 2): 5 and 6 come
	// again, in order, with the same numbers, and nothing else.
	ws = dial(t, h.url)
	k, resumed := hello(t, ws, sessionA, 4)
	if k != 3 || !resumed {
		t.Fatalf("resume: ack %d resumed %v, want 3 true", k, resumed)
	}
	p.in = p.in[:4]
	p.until(ws, 6)
	if p.data[4] != 5 || p.data[5] != 6 {
		t.Errorf("resent data %v, want 5 6", p.data[4:])
	}
	p.quiet(ws)
	if st := h.srv.Stats(); st.Resent != 2 {
		t.Errorf("Stats.Resent = %d, want 2", st.Resent)
	}
	// Numbering goes on; the old Conn sends to the session too.
	sendN(t, h.conn(t), 7, 7)
	sendN(t, c, 8, 8)
	p.until(ws, 8)
	p.send(ws, 4)
	p.untilAck(ws, 4)
	exactly(t, "server handlers", rec.get(), 4)
}

func TestReliableDuplicatesAndGap(t *testing.T) {
	h, rec := startReliable(t, nil)
	ws := dial(t, h.url)
	hello(t, ws, sessionA, 0)
	for _, s := range []int{1, 2, 2, 1, 3} {
		write(t, ws, fmt.Sprintf(`{"type":"n","seq":%d,"data":%d}`, s, s))
	}
	p := &peer{t: t}
	p.untilAck(ws, 3)
	exactly(t, "server handlers", rec.get(), 3)
	if d := h.srv.Stats().Duplicates; d != 2 {
		t.Errorf("Stats.Duplicates = %d, want 2", d)
	}
	write(t, ws, `{"type":"n","seq":5,"data":5}`)
	if code := closeCode(t, ws); code != websocket.StatusProtocolError {
		t.Fatalf("a gap closed the connection with %d, want 1002", code)
	}
	eventually(t, "OnDisconnect", func() bool { return len(h.disconnects()) == 1 })
	if err := h.disconnects()[0]; !errors.Is(err, server.ErrProtocol) {
		t.Errorf("OnDisconnect got %v, want ErrProtocol", err)
	}
	exactly(t, "server handlers", rec.get(), 3)
}

func TestReliableResumeWithAckZero(t *testing.T) {
	h, rec := startReliable(t, nil)
	ws := dial(t, h.url)
	hello(t, ws, sessionA, 0)
	p := &peer{t: t}
	sendN(t, h.conn(t), 1, 3)
	p.until(ws, 3) // read, never acknowledged, never handed to handlers
	_ = ws.CloseNow()

	ws = dial(t, h.url)
	if k, resumed := hello(t, ws, sessionA, 0); k != 0 || !resumed {
		t.Fatalf("resume with ack 0: ack %d resumed %v, want 0 true", k, resumed)
	}
	p = &peer{t: t}
	p.until(ws, 3)
	p.quiet(ws)
	p.send(ws, 1)
	p.untilAck(ws, 1)
	exactly(t, "server handlers", rec.get(), 1)
}

func TestReliableTwoResumesWithoutTraffic(t *testing.T) {
	h, _ := startReliable(t, nil)
	ws := dial(t, h.url)
	hello(t, ws, sessionA, 0)
	p := &peer{t: t}
	sendN(t, h.conn(t), 1, 2)
	p.until(ws, 2)
	p.send(ws, 1)
	p.untilAck(ws, 1)
	_ = ws.CloseNow()
	for i := 0; i < 2; i++ {
		ws = dial(t, h.url)
		if k, resumed := hello(t, ws, sessionA, 2); k != 1 || !resumed {
			t.Fatalf("resume %d: ack %d resumed %v, want 1 true", i+1, k, resumed)
		}
		p.quiet(ws) // nothing resent: the client had both
		_ = ws.CloseNow()
	}
	ws = dial(t, h.url)
	hello(t, ws, sessionA, 2)
	sendN(t, h.conn(t), 3, 3)
	p.until(ws, 3)
	if st := h.srv.Stats(); st.Resent != 0 || st.Sessions != 1 {
		t.Errorf("Stats %+v: want nothing resent, 1 session", st)
	}
}

// The old connection stalls (half-open), the client resumes on a new one,
// the old one times out: 0 lost, 0 duplicated; then drop and resume twice
// more.
func TestReliableTakeover(t *testing.T) {
	h, rec := startReliable(t, &server.Options{WriteTimeout: 300 * time.Millisecond})
	p := &peer{t: t}
	a := dial(t, h.url)
	hello(t, a, sessionA, 0)
	connA := h.conn(t)
	p.send(a, 1, 2, 3, 4, 5)
	sendN(t, connA, 1, 5)
	p.until(a, 3) // then a stalls: 4 and 5 stay unread, a stays open
	rec.waitLen(t, 5)

	b := dial(t, h.url)
	k, resumed := hello(t, b, sessionA, p.lastIn())
	if !resumed || k != 5 {
		t.Fatalf("takeover: ack %d resumed %v, want 5 true", k, resumed)
	}
	p.resend(b, k+1) // nothing: the server had all five
	p.until(b, 5)
	// Sends on the old Conn reach the session on the new connection.
	sendN(t, connA, 6, 7)
	sendN(t, h.conn(t), 8, 8)
	p.send(b, 6, 7, 8)
	p.until(b, 8)
	p.ack(b)
	p.untilAck(b, 8)

	// The stalled connection ends on its own time; the session goes on.
	eventually(t, "the old connection to end with ErrTakenOver", func() bool {
		for _, err := range h.disconnects() {
			if errors.Is(err, server.ErrTakenOver) {
				return true
			}
		}
		return false
	})
	_ = a.CloseNow()
	sendN(t, connA, 9, 9)
	p.send(b, 9)
	p.until(b, 9)
	p.untilAck(b, 9)

	n := 9
	for i := 0; i < 2; i++ {
		_ = b.CloseNow()
		b = dial(t, h.url)
		k, resumed := hello(t, b, sessionA, p.lastIn())
		if !resumed || k != int64(n) {
			t.Fatalf("resume %d after the takeover: ack %d resumed %v, want %d true", i+1, k, resumed, n)
		}
		n++
		sendN(t, h.conn(t), n, n)
		p.send(b, n)
		p.until(b, int64(n))
		p.untilAck(b, int64(n))
	}
	exactly(t, "server handlers", rec.get(), n)
	exactly(t, "client handlers", p.data, n)
	if d := h.srv.Stats().Duplicates; d != 0 {
		t.Errorf("Stats.Duplicates = %d, want 0", d)
	}
}

func TestReliableAuthorizeEveryResume(t *testing.T) {
	var calls atomic.Int32
	h, _ := startReliable(t, &server.Options{Authorize: func(r *http.Request) (string, error) {
		calls.Add(1)
		return r.URL.Query().Get("user"), nil
	}})
	p := &peer{t: t}
	ws := dial(t, h.url+"?user=alice")
	hello(t, ws, sessionA, 0)
	sendN(t, h.conn(t), 1, 2)
	p.until(ws, 2)
	_ = ws.CloseNow()

	ws = dial(t, h.url+"?user=alice")
	if _, resumed := hello(t, ws, sessionA, 1); !resumed {
		t.Fatalf("alice's resume: resumed false")
	}
	p.in = p.in[:1]
	p.until(ws, 2)
	_ = ws.CloseNow()

	// Bob names alice's session: refused with 1008, and the session is
	// left as it was.
	bob := dial(t, h.url+"?user=bob")
	write(t, bob, fmt.Sprintf(`{"type":"$hello","id":1,"data":{"session":%q,"ack":0}}`, sessionA))
	if code := closeCode(t, bob); code != websocket.StatusPolicyViolation {
		t.Fatalf("bob's $hello for alice's session: closed with %d, want 1008", code)
	}
	if err := waitError[error](t, h); !errors.Is(err, server.ErrSessionPrincipal) {
		t.Errorf("OnError got %v, want ErrSessionPrincipal", err)
	}

	ws = dial(t, h.url+"?user=alice")
	if _, resumed := hello(t, ws, sessionA, 1); !resumed {
		t.Fatalf("alice's resume after bob's attempt: resumed false")
	}
	p.in = p.in[:1]
	p.until(ws, 2)
	if n := calls.Load(); n != 4 {
		t.Errorf("Authorize ran %d times, want 4 (every handshake)", n)
	}
	if h.connCount() != 3 {
		t.Errorf("OnConnect ran %d times, want 3 (not for bob)", h.connCount())
	}
}

func TestReliableSessionTTL(t *testing.T) {
	h, rec := startReliable(t, &server.Options{SessionTTL: 100 * time.Millisecond})
	p := &peer{t: t}
	ws := dial(t, h.url)
	hello(t, ws, sessionA, 0)
	sendN(t, h.conn(t), 1, 1)
	p.until(ws, 1)
	p.send(ws, 1)
	p.untilAck(ws, 1)
	_ = ws.CloseNow()
	eventually(t, "the session to be detached", func() bool { return len(h.disconnects()) == 1 })
	time.Sleep(300 * time.Millisecond)

	ws = dial(t, h.url)
	if k, resumed := hello(t, ws, sessionA, 1); k != 0 || resumed {
		t.Fatalf("resume past the TTL: ack %d resumed %v, want 0 false", k, resumed)
	}
	// Numbering restarts at 1 both ways. The new connection's OnConnect
	// runs after its $hello is answered: until then h.conn is the old one,
	// whose session is forgotten.
	eventually(t, "OnConnect of the new connection", func() bool { return h.connCount() == 2 })
	p = &peer{t: t}
	sendN(t, h.conn(t), 2, 2)
	p.until(ws, 1)
	p.send(ws, 2)
	p.untilAck(ws, 1)
	if got := rec.get(); len(got) != 2 || got[1] != 2 {
		t.Errorf("handlers saw %v, want [1 2]", got)
	}
	if st := h.srv.Stats(); st.Forgotten != 1 || st.Sessions != 1 {
		t.Errorf("Stats %+v, want 1 forgotten, 1 held", st)
	}
}

func TestReliableWindowOverflowForgets(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts server.Options
		size int
	}{
		{"count", server.Options{SessionWindow: 5}, 1},
		{"bytes", server.Options{SessionWindowBytes: 5 * 130}, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			h, _ := startReliable(t, &opts)
			ws := dial(t, h.url)
			hello(t, ws, sessionA, 0)
			c := h.conn(t)
			payload := strings.Repeat("x", tc.size)
			for i := 1; i <= 5; i++ {
				if err := server.Send(context.Background(), c, "s", payload); err != nil {
					t.Fatalf("Send %d: %v", i, err)
				}
			}
			if err := server.Send(context.Background(), c, "s", payload); !errors.Is(err, server.ErrWindowFull) {
				t.Fatalf("Send past the window: %v, want ErrWindowFull", err)
			}
			if code := closeCode(t, ws); code != websocket.StatusTryAgainLater {
				t.Errorf("closed with %d, want 1013", code)
			}
			ws = dial(t, h.url)
			if k, resumed := hello(t, ws, sessionA, 5); k != 0 || resumed {
				t.Fatalf("resume after the overflow: ack %d resumed %v, want 0 false", k, resumed)
			}
			if st := h.srv.Stats(); st.Forgotten != 1 {
				t.Errorf("Stats.Forgotten = %d, want 1", st.Forgotten)
			}
		})
	}
}

// Shutdown on a reliable server: events handed to handlers are all
// acknowledged, events sent are all acknowledged, then 1012.
func TestReliableShutdownDrains(t *testing.T) {
	h := start(t, &server.Options{Reliable: true})
	rec := &recorder{}
	server.Handle(h.srv, "n", func(ctx context.Context, c *server.Conn, n int) {
		time.Sleep(2 * time.Millisecond)
		rec.add(n, "")
		if err := server.Send(ctx, c, "echo", n); err != nil {
			t.Errorf("Send echo %d: %v", n, err)
		}
	})
	ws := dial(t, h.url)
	hello(t, ws, sessionA, 0)
	p := &peer{t: t}
	ns := make([]int, 200)
	for i := range ns {
		ns[i] = i + 1
	}
	p.send(ws, ns...)
	rec.waitLen(t, 10)

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- h.srv.Shutdown(ctx)
	}()
	// The client reads and acknowledges every event until the close.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var code websocket.StatusCode
	for {
		_, b, err := ws.Read(ctx)
		if err != nil {
			code = websocket.CloseStatus(err)
			break
		}
		var f rframe
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatal(err)
		}
		switch {
		case f.Type == "$ack":
			p.lastAck = f.Seq
		case f.Seq > 0:
			if f.Seq != p.lastIn()+1 {
				t.Fatalf("echo seq %d after %d", f.Seq, p.lastIn())
			}
			var n int
			_ = json.Unmarshal(f.Data, &n)
			p.in, p.data = append(p.in, f.Seq), append(p.data, n)
			p.ack(ws)
		}
	}
	if code != websocket.StatusServiceRestart {
		t.Errorf("closed with %d, want 1012", code)
	}
	if err := <-done; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	got := rec.get()
	exactly(t, "server handlers", got, len(got))
	if p.lastAck != int64(len(got)) {
		t.Errorf("the last $ack was %d; handlers saw %d events: every handled event must be acknowledged", p.lastAck, len(got))
	}
	exactly(t, "client (echoes)", p.data, len(got))
	if st := h.srv.Stats(); st.Unacked != 0 {
		t.Errorf("Stats.Unacked = %d after the drain, want 0", st.Unacked)
	}
	t.Logf("handled and acknowledged %d of 200 before the drain stopped taking events", len(got))
}

// The session id is a secret: it shows in no error, no OnDisconnect
// reason, no Conn method, no Stats, no EventKey.
func TestReliableSessionIDNeverShown(t *testing.T) {
	const secret = "SECRETsessionIDvalue0123"
	h, rec := startReliable(t, &server.Options{Authorize: func(r *http.Request) (string, error) {
		return r.URL.Query().Get("user"), nil
	}})
	for _, tc := range []struct {
		frames []string
		closed bool // the server closes the connection (1002)
	}{
		{[]string{`{"type":"$hello","id":1,"data":{"session":"` + secret + `","ack":0}`}, false},     // malformed JSON: served as plain
		{[]string{`{"type":"$hello","data":{"session":"` + secret + `","ack":0}}`}, false},           // an event, not a request: plain, unknown type
		{[]string{`{"type":"$hello","id":1,"data":{"session":"` + secret + `","ack":-1}}`}, true},    // bad ack
		{[]string{`{"type":"$hello","id":1,"data":{"session":"` + secret[:8] + `","ack":0}}`}, true}, // too short
		{[]string{`{"type":"$hello","id":1,"data":{"session":"` + secret + `","ack":0}}`, `{"type":"n","seq":1,"data":1}`, `{"type":"$hello","id":2,"data":{"session":"` + secret + `","ack":0}}`}, true},
		{[]string{`{"type":"$hello","id":1,"data":{"session":"` + secret + `","ack":99}}`, `{"type":"$ack","seq":7}`}, true},
	} {
		ws := dial(t, h.url+"?user=alice")
		for _, f := range tc.frames {
			write(t, ws, f)
		}
		if tc.closed {
			if code := closeCode(t, ws); code != websocket.StatusProtocolError {
				t.Errorf("%s: closed with %d, want 1002", tc.frames, code)
			}
		} else {
			pingPong(t, ws)
			_ = ws.CloseNow()
		}
	}
	bob := dial(t, h.url+"?user=bob")
	write(t, bob, `{"type":"$hello","id":1,"data":{"session":"`+secret+`","ack":0}}`)
	closeCode(t, bob)

	// Without reliable mode, the $hello's unknown_type is reported too.
	plain := start(t, nil)
	ws := dial(t, plain.url)
	write(t, ws, `{"type":"$hello","id":1,"data":{"session":"`+secret+`","ack":0}}`)
	if e := readEnv(t, ws); e.Error == nil || e.Error.Code != "unknown_type" || strings.Contains(e.Error.Message, secret) {
		t.Errorf("a server without reliable mode answered %+v", e)
	}

	eventually(t, "every connection to end", func() bool { return h.srv.Len() == 0 })
	var texts []string
	for _, hh := range []*harness{h, plain} {
		for _, err := range append(hh.errors(), hh.disconnects()...) {
			if err != nil {
				texts = append(texts, err.Error(), fmt.Sprintf("%+v", err))
			}
		}
		hh.mu.Lock()
		for _, c := range hh.conns {
			texts = append(texts, c.ID(), c.Principal(), c.RemoteAddr(), c.Subprotocol(), fmt.Sprint(c.Reliable()))
		}
		hh.mu.Unlock()
	}
	texts = append(texts, fmt.Sprintf("%+v", h.srv.Stats()))
	rec.mu.Lock()
	texts = append(texts, rec.keys...)
	rec.mu.Unlock()
	if len(h.errors()) < 4 {
		t.Errorf("OnError got only %v", h.errors())
	}
	for _, s := range texts {
		if strings.Contains(s, secret) || strings.Contains(s, secret[:12]) {
			t.Errorf("the session id shows in %q", s)
		}
	}
}

func TestReliableEventKey(t *testing.T) {
	h, rec := startReliable(t, nil)
	var plainOK atomic.Bool
	plainOK.Store(true)
	server.Handle(h.srv, "plain", func(ctx context.Context, c *server.Conn, _ any) {
		_, ok := server.EventKey(ctx)
		plainOK.Store(ok)
	})
	keysOf := func(session string) []string {
		ws := dial(t, h.url)
		hello(t, ws, session, 0)
		p := &peer{t: t}
		before := len(rec.get())
		p.send(ws, 1, 2)
		p.untilAck(ws, 2)
		write(t, ws, `{"type":"plain","data":1}`)
		p.quiet(ws)
		_ = ws.CloseNow()
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return append([]string(nil), rec.keys[before:]...)
	}
	a := keysOf(sessionA)
	b := keysOf("c2Vzc2lvbi1CLTAxMjM0NQ")
	seen := map[string]bool{}
	for _, k := range append(a, b...) {
		if k == "" || seen[k] {
			t.Errorf("keys %v and %v: want 4 distinct, non-empty", a, b)
		}
		seen[k] = true
	}
	if plainOK.Load() {
		t.Errorf("EventKey is ok for an event without seq")
	}
	// The same session and seq give the same key on another server (a
	// fleet sharing a store).
	h2, rec2 := startReliable(t, nil)
	ws := dial(t, h2.url)
	hello(t, ws, sessionA, 0)
	p := &peer{t: t}
	p.send(ws, 1)
	p.untilAck(ws, 1)
	rec2.mu.Lock()
	defer rec2.mu.Unlock()
	if rec2.keys[0] != a[0] {
		t.Errorf("EventKey differs across servers: %q, %q", rec2.keys[0], a[0])
	}
}

func TestReservedTypesRefused(t *testing.T) {
	for _, reliable := range []bool{false, true} {
		srv := server.New(&server.Options{Reliable: reliable})
		removeEvent := server.Handle(srv, "$ack", func(ctx context.Context, c *server.Conn, m any) {})
		removeReq := server.HandleRequest(srv, "$hello", func(ctx context.Context, c *server.Conn, m any) (any, error) { return nil, nil })
		removeEvent()
		removeReq()
		// Registered after the refusals: it still hears of them.
		var mu sync.Mutex
		var errs []error
		srv.OnError(func(err error) {
			mu.Lock()
			defer mu.Unlock()
			errs = append(errs, err)
		})
		mu.Lock()
		if len(errs) != 2 || !errors.Is(errs[0], server.ErrReservedType) || !errors.Is(errs[1], server.ErrReservedType) {
			t.Errorf("reliable %v: OnError got %v, want ErrReservedType twice", reliable, errs)
		}
		mu.Unlock()
		_ = srv.Shutdown(context.Background())
	}
	// A server without reliable mode still answers $hello unknown_type.
	h := start(t, nil)
	server.HandleRequest(h.srv, "$hello", func(ctx context.Context, c *server.Conn, m any) (any, error) { return nil, nil })
	ws := dial(t, h.url)
	write(t, ws, `{"type":"$hello","id":1,"data":{"session":"`+sessionA+`","ack":0}}`)
	if e := readEnv(t, ws); e.Re != 1 || e.Error == nil || e.Error.Code != "unknown_type" {
		t.Fatalf("$hello on a server without reliable mode: %+v, want unknown_type", e)
	}
}

// A client that does not speak reliable mode is served as ever by a
// reliable server.
func TestReliableServerPlainClient(t *testing.T) {
	h, rec := startReliable(t, nil)
	ws := dial(t, h.url)
	write(t, ws, `{"type":"n","data":1}`)
	rec.waitLen(t, 1)
	c := h.conn(t)
	if c.Reliable() {
		t.Errorf("a connection without $hello is Reliable")
	}
	sendN(t, c, 2, 2)
	if f := readFrame(t, ws); f.Type != "n" || f.Seq != 0 || string(f.Data) != "2" {
		t.Errorf("event to a plain connection: %+v, want no seq", f)
	}
	if n := server.Broadcast(context.Background(), h.srv, "n", 3); n != 1 {
		t.Errorf("Broadcast reached %d", n)
	}
	if f := readFrame(t, ws); f.Seq != 0 || string(f.Data) != "3" {
		t.Errorf("broadcast to a plain connection: %+v", f)
	}
}

// Broadcast reaches a session waiting for its resume.
func TestReliableBroadcastToDetachedSession(t *testing.T) {
	h, _ := startReliable(t, nil)
	ws := dial(t, h.url)
	hello(t, ws, sessionA, 0)
	p := &peer{t: t}
	if n := server.Broadcast(context.Background(), h.srv, "n", 1); n != 1 {
		t.Errorf("Broadcast reached %d, want 1", n)
	}
	p.until(ws, 1)
	_ = ws.CloseNow()
	eventually(t, "the connection to end", func() bool { return len(h.disconnects()) == 1 })
	if n := server.Broadcast(context.Background(), h.srv, "n", 2); n != 1 {
		t.Errorf("Broadcast to the detached session reached %d, want 1", n)
	}
	ws = dial(t, h.url)
	if _, resumed := hello(t, ws, sessionA, 1); !resumed {
		t.Fatal("not resumed")
	}
	p.until(ws, 2)
	exactly(t, "client handlers", p.data, 2)
}

// TestReliableSendFromHandlerAfterDrop: a handler that answers an event
// with Send on its own context, after the connection it came on was lost
// (which ended that context), still reaches the client at its resume. The
// event it answers was acknowledged when it was handed over, so failing
// that Send would lose the answer for good.
func TestReliableSendFromHandlerAfterDrop(t *testing.T) {
	h := start(t, &server.Options{Reliable: true})
	entered := make(chan struct{})
	sent := make(chan error, 1)
	server.Handle(h.srv, "n", func(ctx context.Context, c *server.Conn, n int) {
		close(entered)
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
			sent <- errors.New("the handler's context outlived its connection")
			return
		}
		sent <- server.Send(ctx, c, "n", n*10)
	})
	ws := dial(t, h.url)
	hello(t, ws, sessionA, 0)
	p := &peer{t: t}
	p.send(ws, 7)
	<-entered
	_ = ws.CloseNow()
	if err := <-sent; err != nil {
		t.Fatalf("Send from the handler after the drop: %v", err)
	}
	ws = dial(t, h.url)
	if k, resumed := hello(t, ws, sessionA, 0); !resumed || k != 1 {
		t.Fatalf("resume: ack %d, resumed %v; want 1, true", k, resumed)
	}
	p.until(ws, 1)
	if !reflect.DeepEqual(p.data, []int{70}) {
		t.Errorf("client handlers saw %v, want [70]", p.data)
	}
}
