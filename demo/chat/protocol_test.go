package chat_test

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/steadyws/steadyws/sdk"
)

func TestChatBetweenTwoClients(t *testing.T) {
	base := start(t)
	ada := joined(t, base, "ada")
	bob := joined(t, base, "bob")
	ctx := ctxFor(t, 5*time.Second)

	// Both see both, and whoami's answer shows as the agent.
	for _, m := range []*member{ada, bob} {
		recv(t, m.presence, m.nick+" sees ada and bob with agents", func(p Presence) bool {
			return nicks(p.Users) == "ada/test,bob/test"
		})
	}

	before := time.Now().UnixMilli()
	if err := sdk.Send(ctx, ada.Client, "chat", ChatIn{Text: "  hello bob  ", CID: "c1"}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []*member{ada, bob} {
		got := recv(t, m.chats, m.nick+" gets the chat", nil)
		if got.Nick != "ada" || got.Text != "hello bob" || got.CID != "c1" {
			t.Errorf("%s got %+v", m.nick, got)
		}
		if got.TS < before || got.TS > time.Now().UnixMilli() {
			t.Errorf("%s: ts %d is not the server's time of sending", m.nick, got.TS)
		}
	}

	if err := bob.Close(); err != nil {
		t.Fatal(err)
	}
	p := recv(t, ada.presence, "bob's leaving", func(p Presence) bool { return p.Left != "" })
	if p.Left != "bob" || nicks(p.Users) != "ada/test" {
		t.Errorf("presence after bob left: %+v", p)
	}
}

func TestRequests(t *testing.T) {
	base := start(t)
	c, err := sdk.Dial(ctxFor(t, 5*time.Second), wsURL(base), fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := ctxFor(t, 5*time.Second)

	type Sum struct{ Sum float64 }
	sum, err := sdk.Request[Sum](ctx, c, "sum", map[string]float64{"a": 1.5, "b": 2})
	if err != nil || sum.Sum != 3.5 {
		t.Errorf("sum 1.5+2 = %v, %v", sum.Sum, err)
	}
	_, err = sdk.Request[Sum](ctx, c, "sum", map[string]any{"a": 1})
	if code := remoteCode(err); code != "bad_args" {
		t.Errorf("sum without b: %v, want bad_args", err)
	}

	type Time struct {
		Now    string `json:"now"`
		UnixMs int64  `json:"unixMs"`
	}
	tm, err := sdk.Request[Time](ctx, c, "time", nil)
	if err != nil {
		t.Fatal(err)
	}
	now, perr := time.Parse(time.RFC3339, tm.Now)
	if perr != nil || time.Since(now).Abs() > 2*time.Second || time.Since(time.UnixMilli(tm.UnixMs)).Abs() > 2*time.Second {
		t.Errorf("time = %+v (%v), not now", tm, perr)
	}

	_, err = sdk.Request[Sum](ctx, c, "smu", nil)
	var re *sdk.RemoteError
	if !errors.As(err, &re) || re.Code != "unknown_type" || !strings.Contains(re.Message, `did you mean "sum"`) {
		t.Errorf("unknown request: %v, want unknown_type suggesting sum", err)
	}
}

func remoteCode(err error) string {
	var re *sdk.RemoteError
	if errors.As(err, &re) {
		return re.Code
	}
	return ""
}

func TestNicknames(t *testing.T) {
	base := start(t)
	joined(t, base, "ada")
	c, err := sdk.Dial(ctxFor(t, 5*time.Second), wsURL(base), fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := ctxFor(t, 5*time.Second)
	for nick, code := range map[string]string{
		"":                      "bad_nick",
		"   ":                   "bad_nick",
		strings.Repeat("x", 25): "bad_nick",
		"a\x07b":                "bad_nick",
		"ADA":                   "nick_taken",
		" ada ":                 "nick_taken",
		strings.Repeat("é", 24): "",
		"grace":                 "",
	} {
		j, err := sdk.Request[Joined](ctx, c, "join", Join{Nick: nick, Session: "other"})
		if got := remoteCode(err); got != code || (code == "" && err != nil) {
			t.Errorf("join %q: %v, want code %q", nick, err, code)
		}
		if code == "" && j.Nick != strings.TrimSpace(nick) {
			t.Errorf("join %q: reply nick %q", nick, j.Nick)
		}
	}
}

// A client that reconnects before the server noticed its old connection
// died (half-open) takes its nickname back, with the same session.
func TestSameSessionTakesOverNick(t *testing.T) {
	base := start(t)
	first := newMember(t, base, "ada", "s1", nil)
	first.waitJoin(t)
	first.Close()
	// The server may still hold the first connection; the same session
	// gets the nickname at once, another does not.
	again := newMember(t, base, "ada", "s1", nil)
	again.waitJoin(t)
	other := newMember(t, base, "ada", "s2", nil)
	select {
	case err := <-other.joins:
		if remoteCode(err) != "nick_taken" {
			t.Errorf("join from another session: %v, want nick_taken", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no answer to the second session's join")
	}
}

func TestChatValidation(t *testing.T) {
	base := start(t)
	m := newMember(t, base, "", "", nil) // never joins: its join fails
	ctx := ctxFor(t, 5*time.Second)
	if err := <-m.joins; remoteCode(err) != "bad_nick" {
		t.Fatalf("empty nick: %v", err)
	}
	a := joined(t, base, "ada")
	// Chat without a join is a guest's line: everyone, its sender too,
	// sees it.
	sdk.Send(ctx, m.Client, "chat", ChatIn{Text: "hi", CID: "x1"})
	for _, who := range []*member{a, m} {
		if c := recv(t, who.chats, "a guest's chat", func(c ChatOut) bool { return c.CID == "x1" }); !strings.HasPrefix(c.Nick, "guest-") || c.Text != "hi" {
			t.Errorf("chat before join: %+v, want it from a guest", c)
		}
	}

	sdk.Send(ctx, a.Client, "chat", ChatIn{Text: strings.Repeat("ü", 2001), CID: "x2"})
	if e := recv(t, a.errs, "too_long", nil); e.Code != "too_long" || e.CID != "x2" {
		t.Errorf("2001 characters: %+v", e)
	}
	sdk.Send(ctx, a.Client, "chat", ChatIn{Text: " \n "})
	if e := recv(t, a.errs, "empty", nil); e.Code != "empty" {
		t.Errorf("blank message: %+v", e)
	}
	sdk.Send(ctx, a.Client, "chta", ChatIn{Text: "x"})
	if e := recv(t, a.errs, "unknown event", nil); e.Code != "unknown_type" || !strings.Contains(e.Message, `did you mean "chat"`) {
		t.Errorf("unknown event: %+v", e)
	}
	// 2000 characters are fine.
	sdk.Send(ctx, a.Client, "chat", ChatIn{Text: strings.Repeat("ü", 2000)})
	recv(t, a.chats, "a 2000-character message", nil)
}

// Frames that are not the protocol get an error event and the connection
// stays up; the server keeps serving everyone.
func TestBadFramesDoNotHurt(t *testing.T) {
	base := start(t)
	// The client refuses at the call a message larger than Queue.Bytes
	// (sdk.TooLargeError); this one may send the 2 MiB frame below.
	o := fastOptions()
	o.Queue.Bytes = 4 << 20
	m := newMember(t, base, "ada", "session-ada", o)
	m.waitJoin(t)
	ctx := ctxFor(t, 10*time.Second)

	for frame, code := range map[string]string{
		`{"type":"chat","data":`:     "bad_json",
		`[1,2,3]`:                    "bad_json",
		`"just a string"`:            "bad_json",
		`{"data":{}}`:                "bad_envelope",
		`{"type":"chat","id":-1}`:    "bad_envelope",
		`{"type":"chat","data":"x"}`: "bad_args",
		strings.Repeat("x", 20<<10):  "too_big",
		`{"type":"chat","data":{"text":"` + strings.Repeat("y", 17<<10) + `"}}`: "too_big",
	} {
		if err := m.SendText(ctx, frame); err != nil {
			t.Fatal(err)
		}
		e := recv(t, m.errs, "an error event for "+frame[:min(len(frame), 30)], nil)
		if e.Code != code {
			t.Errorf("%.40q: error %+v, want code %s", frame, e, code)
		}
	}
	if err := m.SendBinary(ctx, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if e := recv(t, m.errs, "binary frame error", nil); e.Code != "bad_frame" {
		t.Errorf("binary frame: %+v", e)
	}

	// Still connected, still in the room.
	if err := sdk.Send(ctx, m.Client, "chat", ChatIn{Text: "still here"}); err != nil {
		t.Fatal(err)
	}
	recv(t, m.chats, "a chat after the bad frames", nil)
	if n := len(m.closes()); n != 0 {
		t.Errorf("connection closed %d times: %+v", n, m.closes())
	}

	// Even a frame far past the limit is discarded, not fatal: sdk/server
	// reads past it and the connection stays up.
	if err := m.SendText(ctx, strings.Repeat("z", 2<<20)); err != nil {
		t.Fatal(err)
	}
	if e := recv(t, m.errs, "an error event for a 2 MiB frame", nil); e.Code != "too_big" {
		t.Errorf("2 MiB frame: %+v, want too_big", e)
	}
	if n := len(m.closes()); n != 0 {
		t.Errorf("after a 2 MiB frame: closes %+v, want none", m.closes())
	}
}

// The heartbeat reserved types, spoken by a bare WebSocket client.
func TestPingPong(t *testing.T) {
	base := start(t)
	ctx := ctxFor(t, 5*time.Second)
	ws, _, err := websocket.Dial(ctx, wsURL(base), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	if err := ws.Write(ctx, websocket.MessageText, []byte(`{"type":"ping"}`)); err != nil {
		t.Fatal(err)
	}
	_, b, err := ws.Read(ctx)
	if err != nil || string(b) != `{"type":"pong"}` {
		t.Fatalf("answer to ping: %q, %v", b, err)
	}
	ws.Close(websocket.StatusNormalClosure, "")
}

func post(t *testing.T, url string) int {
	t.Helper()
	resp, err := (&http.Client{Timeout: 3 * time.Second}).Post(url, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestFaultDrop(t *testing.T) {
	base := start(t)
	ada := joined(t, base, "ada")
	bob := joined(t, base, "bob")
	if code := post(t, base+"/fault/drop?nick=ada"); code != 200 {
		t.Fatalf("drop: %d", code)
	}
	ada.waitJoin(t) // reconnected and joined again
	if cl := ada.closes(); len(cl) != 1 || cl[0].Code != 1006 || !cl[0].WillReconnect {
		t.Errorf("ada's closes %+v, want one 1006 with a reconnect", cl)
	}
	if n := len(bob.closes()); n != 0 {
		t.Errorf("bob was dropped too")
	}
	if code := post(t, base+"/fault/drop?nick=nobody"); code != 404 {
		t.Errorf("dropping nobody: %d, want 404", code)
	}
	if code := post(t, base+"/fault/drop-all"); code != 200 {
		t.Fatalf("drop-all: %d", code)
	}
	ada.waitJoin(t)
	bob.waitJoin(t)
}

func TestFaultRestart(t *testing.T) {
	base := start(t)
	ada := joined(t, base, "ada")
	if code := post(t, base+"/fault/restart?ms=400"); code != 200 {
		t.Fatalf("restart: %d", code)
	}
	// Handshakes fail with 503 while "down" (the page keeps loading)...
	resp, err := http.Get(base + "/")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("page while down: %v %v", resp, err)
	}
	resp.Body.Close()
	_, hresp, err := websocket.Dial(ctxFor(t, 2*time.Second), wsURL(base), nil)
	if err == nil || hresp == nil || hresp.StatusCode != 503 {
		t.Errorf("handshake while down: %v %v, want 503", hresp, err)
	}
	// ...and the client gets in again afterwards, having sent what it
	// queued exactly once. It sends once it has seen the drop: before, the
	// message would go out on the dropped connection and be reported
	// unconfirmed, not queued (under load the drop can take a while).
	var (
		rmu      sync.Mutex
		reported []error
	)
	ada.OnError(func(err error) { rmu.Lock(); reported = append(reported, err); rmu.Unlock() })
	t.Cleanup(func() {
		if t.Failed() {
			rmu.Lock()
			defer rmu.Unlock()
			t.Logf("reported to OnError: %v; stats %+v; closes %+v", reported, ada.Stats(), ada.closes())
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for ada.Client.State() == sdk.Open {
		if time.Now().After(deadline) {
			t.Fatal("the client did not notice the restart within 5 s")
		}
		time.Sleep(time.Millisecond)
	}
	ctx := ctxFor(t, 5*time.Second)
	if err := sdk.Send(ctx, ada.Client, "chat", ChatIn{Text: "during the outage"}); err != nil {
		t.Fatal(err)
	}
	ada.waitJoin(t)
	recv(t, ada.chats, "the queued message", func(c ChatOut) bool { return c.Text == "during the outage" })
	var handshakeErr *sdk.HandshakeError
	sawStatus := false
	for _, cl := range ada.closes() {
		if errors.As(cl.Err, &handshakeErr) && handshakeErr.Status == 503 {
			sawStatus = true
		}
	}
	if !sawStatus {
		t.Errorf("no attempt was answered 503: %+v", ada.closes())
	}
	select {
	case c := <-ada.chats:
		t.Errorf("delivered twice: %+v", c)
	case <-time.After(200 * time.Millisecond):
	}
}

func TestFaultSilent(t *testing.T) {
	base := start(t)
	o := fastOptions()
	o.Heartbeat = sdk.Heartbeat{Interval: 100 * time.Millisecond, Timeout: 150 * time.Millisecond}
	ada := newMember(t, base, "ada", "s1", o)
	ada.waitJoin(t)
	if code := post(t, base+"/fault/silent?nick=ada&ms=3000"); code != 200 {
		t.Fatalf("silent: %d", code)
	}
	// Only the heartbeat can notice; the new connection takes the nickname
	// over from the silenced one.
	ada.waitJoin(t)
	cl := ada.closes()
	if len(cl) == 0 || !errors.Is(cl[0].Err, sdk.ErrHeartbeatTimeout) {
		t.Errorf("closes %+v, want a heartbeat timeout", cl)
	}
	if code := post(t, base+"/fault/silent?nick=ada&ms=abc"); code != 400 {
		t.Errorf("bad ms: %d, want 400", code)
	}
}

func TestCloseSays1012(t *testing.T) {
	cs, base := startClosable(t)
	ada := joined(t, base, "ada")
	done := make(chan struct{})
	go func() { cs.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	deadline := time.Now().Add(3 * time.Second)
	for len(ada.closes()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if cl := ada.closes(); len(cl) == 0 || cl[0].Code != 1012 || !cl[0].WillReconnect {
		t.Errorf("closes %+v, want 1012 (service restart) and a reconnect", cl)
	}
	ada.Close()
}
