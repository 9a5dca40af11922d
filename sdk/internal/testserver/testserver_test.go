//go:build !js

// The server listens on TCP sockets, which a browser cannot do; browser tests
// run it as a separate process (cmd/testserver) instead.

package testserver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func start(t *testing.T) *Server {
	t.Helper()
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func timeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func dial(t *testing.T, s *Server) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.Dial(timeout(t, 5*time.Second), s.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

func send(t *testing.T, c *websocket.Conn, frame string) {
	t.Helper()
	if err := c.Write(timeout(t, 5*time.Second), websocket.MessageText, []byte(frame)); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, c *websocket.Conn) envelope {
	t.Helper()
	typ, b, err := c.Read(timeout(t, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if typ != websocket.MessageText {
		t.Fatalf("got a %v frame, want text", typ)
	}
	var e envelope
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("reading %q: %v", b, err)
	}
	return e
}

func equal[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

// eventually polls cond until it holds or 5 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestEchoEvent(t *testing.T) {
	s := start(t)
	c := dial(t, s)
	send(t, c, `{"type":"echo","data":{"text":"hi"}}`)
	e := read(t, c)
	equal(t, "type", e.Type, "echo")
	equal(t, "data", string(e.Data), `{"text":"hi"}`)

	msgs, err := s.WaitReceived(timeout(t, 5*time.Second), 1)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "received type", msgs[0].Type, "echo")
	equal(t, "accepted", s.Accepted(), 1)
	equal(t, "conns", s.Conns(), 1)
}

func TestRequests(t *testing.T) {
	s := start(t)
	c := dial(t, s)
	for _, tc := range []struct{ req, data, err string }{
		{`{"type":"sum","id":7,"data":{"a":1,"b":2}}`, `{"sum":3}`, ``},
		{`{"type":"sum","id":8,"data":{"a":"1"}}`, ``, `bad_args`},
		{`{"type":"echo","id":9,"data":[1,2]}`, `[1,2]`, ``},
		{`{"type":"fail","id":10}`, ``, `bad_args`},
		{`{"type":"nope","id":11}`, ``, `unknown_type`},
	} {
		send(t, c, tc.req)
		e := read(t, c)
		var req envelope
		_ = json.Unmarshal([]byte(tc.req), &req)
		equal(t, tc.req+" re", e.Re, req.ID)
		equal(t, tc.req+" data", string(e.Data), tc.data)
		var we wireError
		_ = json.Unmarshal(e.Error, &we)
		equal(t, tc.req+" error code", we.Code, tc.err)
	}
}

func TestSlowDoesNotHoldBackOtherReplies(t *testing.T) {
	s := start(t)
	c := dial(t, s)
	send(t, c, `{"type":"slow","id":1,"data":{"ms":300}}`)
	send(t, c, `{"type":"echo","id":2}`)
	equal(t, "first reply", read(t, c).Re, 2)
	equal(t, "second reply", read(t, c).Re, 1)
}

func TestMalformedRawAndBinary(t *testing.T) {
	s := start(t)
	c := dial(t, s)
	send(t, c, `{"type":`)
	e := read(t, c)
	equal(t, "type", e.Type, "error")
	equal(t, "data", string(e.Data), `{"message":"malformed JSON"}`)

	send(t, c, "raw:hello")
	_, b, err := c.Read(timeout(t, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "raw echo", string(b), "raw:hello")

	if err := c.Write(timeout(t, 5*time.Second), websocket.MessageBinary, []byte{0, 1, 2}); err != nil {
		t.Fatal(err)
	}
	typ, b, err := c.Read(timeout(t, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "binary echo", typ, websocket.MessageBinary)
	equal(t, "binary echo", string(b), "\x00\x01\x02")

	msgs := s.Received()
	equal(t, "received", len(msgs), 3)
	equal(t, "malformed raw", msgs[0].Raw, `{"type":`)
	equal(t, "raw", msgs[1].Raw, "raw:hello")
	equal(t, "binary raw", msgs[2].Raw, base64.StdEncoding.EncodeToString([]byte{0, 1, 2}))
}

func TestCloseRequest(t *testing.T) {
	s := start(t)
	c := dial(t, s)
	send(t, c, `{"type":"close","id":1,"data":{"code":4001,"reason":"go away"}}`)
	_, _, err := c.Read(timeout(t, 5*time.Second))
	equal(t, "close code", websocket.CloseStatus(err), 4001)
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		equal(t, "reason", ce.Reason, "go away")
	}
	eventually(t, "conns to drop to 0", func() bool { return s.Conns() == 0 })
}

func TestServerRequestAndAsk(t *testing.T) {
	s := start(t)
	c := dial(t, s)

	// The client answers every request: whoami with data, anything else with an error.
	answer := func() {
		e := read(t, c)
		if e.Type == "whoami" {
			send(t, c, `{"type":"whoami","re":`+itoa(e.ID)+`,"data":{"name":"c1"}}`)
		} else {
			send(t, c, `{"type":"`+e.Type+`","re":`+itoa(e.ID)+`,"error":{"code":"nope","message":"no such handler"}}`)
		}
	}

	type result struct {
		data json.RawMessage
		err  error
	}
	done := make(chan result, 1)
	go func() {
		data, err := s.Request(timeout(t, 5*time.Second), "whoami", json.RawMessage(`{}`))
		done <- result{data, err}
	}()
	answer()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	equal(t, "reply", string(r.data), `{"name":"c1"}`)

	go func() {
		data, err := s.Request(timeout(t, 5*time.Second), "other", nil)
		done <- result{data, err}
	}()
	answer()
	r = <-done
	var re *ReplyError
	if !errors.As(r.err, &re) || re.Code != "nope" || !strings.Contains(r.err.Error(), "no such handler") {
		t.Fatalf("err = %v, want a ReplyError with code nope", r.err)
	}

	send(t, c, `{"type":"ask","id":50,"data":{"type":"whoami","data":1}}`)
	answer()
	e := read(t, c)
	equal(t, "ask re", e.Re, 50)
	equal(t, "ask reply", string(e.Data), `{"reply":{"name":"c1"}}`)
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestDownUpSameAddress(t *testing.T) {
	s := start(t)
	c := dial(t, s)
	addr := s.Addr()

	s.Down()
	_, _, err := c.Read(timeout(t, 5*time.Second))
	equal(t, "close status after Down", websocket.CloseStatus(err), -1)
	_, _, err = websocket.Dial(timeout(t, 5*time.Second), s.URL(), nil)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial while down: %v, want connection refused", err)
	}
	equal(t, "conns while down", s.Conns(), 0)

	if err := s.Up(); err != nil {
		t.Fatal(err)
	}
	equal(t, "address", s.Addr(), addr)
	c = dial(t, s)
	send(t, c, `{"type":"echo","id":1}`)
	equal(t, "reply after Up", read(t, c).Re, 1)
}

func TestRejectHandshake(t *testing.T) {
	s := start(t)
	s.RejectHandshake(http.StatusUnauthorized)
	_, resp, err := websocket.Dial(timeout(t, 5*time.Second), s.URL(), nil)
	if err == nil {
		t.Fatal("dial succeeded, want 401")
	}
	if resp == nil {
		t.Fatalf("no response: %v", err)
	}
	equal(t, "status", resp.StatusCode, http.StatusUnauthorized)
	equal(t, "attempts", len(s.Attempts()), 1)
	equal(t, "accepted", s.Accepted(), 0)

	s.RejectHandshake(0)
	dial(t, s)
	equal(t, "attempts", len(s.Attempts()), 2)
}

func TestAcceptThenClose(t *testing.T) {
	s := start(t)
	s.AcceptThenClose(1000)
	for range 3 {
		c := dial(t, s)
		_, _, err := c.Read(timeout(t, 5*time.Second))
		equal(t, "close status", websocket.CloseStatus(err), websocket.StatusNormalClosure)
	}
	equal(t, "accepted", s.Accepted(), 3)
}

func TestSilent(t *testing.T) {
	s := start(t)
	c := dial(t, s)
	s.Silent(true)

	send(t, c, `{"type":"echo","data":1}`)
	// A read that times out closes the client's socket, so read in the
	// background and look at the server while the socket is still open.
	got := make(chan error, 1)
	go func() {
		_, _, err := c.Read(context.Background())
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("read on a silenced connection returned %v, want nothing", err)
	case <-time.After(300 * time.Millisecond):
	}
	equal(t, "conns", s.Conns(), 1)
	equal(t, "received", len(s.Received()), 0)
	_ = c.CloseNow()
	<-got

	// New connections are silenced before the handshake.
	_, _, err := websocket.Dial(timeout(t, 300*time.Millisecond), s.URL(), nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("dial while silent: %v, want a timeout", err)
	}

	s.Silent(false)
	c = dial(t, s)
	send(t, c, `{"type":"ping"}`)
	equal(t, "after Silent(false)", read(t, c).Type, "pong")
}

func TestDelay(t *testing.T) {
	s := start(t)
	c := dial(t, s)
	s.SetDelay(200 * time.Millisecond)
	begin := time.Now()
	send(t, c, `{"type":"ping"}`)
	equal(t, "reply", read(t, c).Type, "pong")
	if d := time.Since(begin); d < 200*time.Millisecond {
		t.Fatalf("pong after %v, want at least 200ms", d)
	}
}

func TestBroadcast(t *testing.T) {
	s := start(t)
	c1, c2 := dial(t, s), dial(t, s)
	eventually(t, "two conns", func() bool { return s.Conns() == 2 })
	s.Broadcast(`{"type":"chat","data":"hi"}`)
	equal(t, "c1", read(t, c1).Type, "chat")
	equal(t, "c2", read(t, c2).Type, "chat")
}

// get calls a control endpoint and decodes its JSON answer into v.
func get(t *testing.T, hc *http.Client, url string, v any) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(timeout(t, 5*time.Second), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, url+" content type", resp.Header.Get("Content-Type"), "application/json")
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %q: %v", url, b, err)
		}
	}
	return resp
}

func TestControl(t *testing.T) {
	s := start(t)
	hc := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	t.Cleanup(hc.CloseIdleConnections)
	c := dial(t, s)
	send(t, c, `{"type":"chat","data":1}`)
	if _, err := s.WaitReceived(timeout(t, 5*time.Second), 1); err != nil {
		t.Fatal(err)
	}

	var st Stats
	resp := get(t, hc, s.ControlURL()+"/stats", &st)
	equal(t, "CORS header", resp.Header.Get("Access-Control-Allow-Origin"), "*")
	equal(t, "stats", st, Stats{Accepted: 1, Conns: 1, Attempts: 1, Received: 1, Up: true})

	var msgs []Message
	get(t, hc, s.HTTPURL()+"/control/received", &msgs)
	equal(t, "received over the main listener", len(msgs), 1)

	req, _ := http.NewRequestWithContext(timeout(t, 5*time.Second), http.MethodOptions, s.ControlURL()+"/drop", nil)
	req.Header.Set("Origin", "http://example.test")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	equal(t, "preflight status", resp.StatusCode, http.StatusNoContent)
	equal(t, "preflight CORS header", resp.Header.Get("Access-Control-Allow-Origin"), "*")

	var ok struct{ OK bool }
	get(t, hc, s.ControlURL()+"/drop", &ok)
	equal(t, "drop ok", ok.OK, true)
	_, _, err = c.Read(timeout(t, 5*time.Second))
	equal(t, "close status after drop", websocket.CloseStatus(err), -1)

	resp = get(t, hc, s.ControlURL()+"/delay?ms=soon", nil)
	equal(t, "bad parameter status", resp.StatusCode, http.StatusBadRequest)
	resp = get(t, hc, s.ControlURL()+"/nope", nil)
	equal(t, "unknown endpoint status", resp.StatusCode, http.StatusNotFound)

	// The control listener keeps working during an outage.
	get(t, hc, s.ControlURL()+"/outage?ms=300", nil)
	get(t, hc, s.ControlURL()+"/stats", &st)
	equal(t, "up during outage", st.Up, false)
	eventually(t, "the outage to end", func() bool {
		c, _, err := websocket.Dial(timeout(t, 5*time.Second), s.URL(), nil)
		if err == nil {
			_ = c.CloseNow()
		}
		return err == nil
	})

	get(t, hc, s.ControlURL()+"/reset", nil)
	get(t, hc, s.ControlURL()+"/stats", &st)
	equal(t, "stats after reset", st.Received, 0)
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := websocket.Dial(timeout(t, 5*time.Second), s.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	// Leave work in flight: a slow reply, an ask waiting for the client, a
	// delayed echo, then a pending outage.
	send(t, c, `{"type":"slow","id":1,"data":{"ms":60000}}`)
	send(t, c, `{"type":"ask","id":2,"data":{"type":"whoami"}}`)
	read(t, c)
	if _, err := s.WaitReceived(timeout(t, 5*time.Second), 2); err != nil {
		t.Fatal(err)
	}
	// The server reads what arrives SetDelay late: the echo waits, read
	// off the socket but not yet handed to sdk/server, when Close comes.
	s.SetDelay(time.Minute)
	send(t, c, `{"type":"echo","id":3}`)
	time.Sleep(50 * time.Millisecond)

	s.Outage(time.Minute)

	begin := time.Now()
	s.Close()
	s.Close() // idempotent
	if d := time.Since(begin); d > 2*time.Second {
		t.Fatalf("Close took %v", d)
	}
	_, _, err = c.Read(timeout(t, 5*time.Second))
	equal(t, "close status after Close", websocket.CloseStatus(err), -1)
	if err := s.Up(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Up after Close: %v, want ErrClosed", err)
	}
	goleak.VerifyNone(t)
}

func TestSendBigAndDrop(t *testing.T) {
	s := start(t)
	c := dial(t, s)
	send(t, c, `{"type":"send","id":1,"data":{"frame":"{\"type\":\"chat\""}}`)
	equal(t, "send reply", string(read(t, c).Data), `{"ok":true}`)
	_, b, err := c.Read(timeout(t, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "sent frame", string(b), `{"type":"chat"`)

	send(t, c, `{"type":"big","id":2,"data":{"bytes":100000}}`)
	equal(t, "big reply", read(t, c).Re, 2)
	c.SetReadLimit(1 << 20)
	var big struct{ Type, Data string }
	_, b, err = c.Read(timeout(t, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &big); err != nil {
		t.Fatal(err)
	}
	equal(t, "big type", big.Type, "big")
	equal(t, "big size", len(big.Data), 100000)

	send(t, c, `{"type":"drop","id":3}`)
	_, _, err = c.Read(timeout(t, 5*time.Second))
	equal(t, "close status after drop", websocket.CloseStatus(err), -1)
}

func TestCloseAll(t *testing.T) {
	s := start(t)
	c := dial(t, s)
	errc := make(chan error, 1)
	go func() {
		_, _, err := c.Read(timeout(t, 5*time.Second))
		errc <- err
	}()
	s.CloseAll(4403, "forbidden")
	var ce websocket.CloseError
	if err := <-errc; !errors.As(err, &ce) || ce.Code != 4403 || ce.Reason != "forbidden" {
		t.Fatalf("read after CloseAll: %v, want close 4403 forbidden", err)
	}
	equal(t, "conns", s.Conns(), 0)
}

func TestControlRequest(t *testing.T) {
	s := start(t)
	hc := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	t.Cleanup(hc.CloseIdleConnections)
	c := dial(t, s)

	type answer struct {
		Reply json.RawMessage
		Code  string
	}
	done := make(chan answer, 1)
	go func() {
		var a answer
		resp, err := hc.Get(s.ControlURL() + "/request?type=whoami&data=%7B%7D&timeoutMs=3000")
		if err == nil {
			_ = json.NewDecoder(resp.Body).Decode(&a)
			resp.Body.Close()
		}
		done <- a
	}()
	e := read(t, c)
	equal(t, "request type", e.Type, "whoami")
	send(t, c, `{"type":"whoami","re":`+itoa(e.ID)+`,"data":"me"}`)
	equal(t, "reply over HTTP", string((<-done).Reply), `"me"`)
}
