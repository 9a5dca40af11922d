package sdk_test

// What a misbehaving server can send, in both builds (natively, and in
// Chromium through js/browsertest.sh -run TestBadInput): each bad frame is
// reported through OnError with an error a program can match, nothing
// crashes, and the client keeps working.

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/steadyws/steadyws/sdk"
	"github.com/steadyws/steadyws/sdk/internal/testserver"
)

// waitErrors waits until r holds n errors and returns them.
func waitErrors(t *testing.T, r *recorder, n int) []error {
	t.Helper()
	eventually(t, 5*time.Second, strconv.Itoa(n)+" error reports", func() bool { return len(r.errors()) >= n })
	errs := r.errors()
	if len(errs) != n {
		t.Fatalf("%d error reports, want %d: %v", len(errs), n, errs)
	}
	return errs
}

// stillWorks checks that a request round-trips.
func stillWorks(t *testing.T, c *sdk.Client, after string) {
	t.Helper()
	got, err := sdk.Request[echoMsg](ctxFor(t, 5*time.Second), c, "echo", echoMsg{N: 42})
	if err != nil || got.N != 42 {
		t.Fatalf("after %s, a request gives %+v, %v", after, got, err)
	}
}

// sendFrame has the server send frame as a text frame (through its "send"
// request, which carries any size that fits the read limit).
func sendFrame(t *testing.T, c *sdk.Client, frame string) {
	t.Helper()
	if _, err := sdk.Request[json.RawMessage](ctxFor(t, 5*time.Second), c, "send", map[string]string{"frame": frame}); err != nil {
		t.Fatalf("send: %v", err)
	}
}

func TestBadInputOversizedFrames(t *testing.T) {
	srv := newServer(t)
	o := fast()
	o.ReadLimit = 1024
	c := dial(t, srv.URL(), o)
	r := record(c)
	bigs := make(chan int, 4)
	sdk.Handle(c, "big", func(_ context.Context, s string) { bigs <- len(s) })
	c.OnRaw(func(sdk.MessageType, []byte) { t.Error("oversized binary frame delivered") })

	// Exactly at the limit is delivered; one byte more is not.
	atLimit := 1024 - len(`{"type":"big","data":""}`)
	for _, n := range []int{atLimit, atLimit + 1} {
		if _, err := sdk.Request[json.RawMessage](ctxFor(t, 3*time.Second), c, "big", map[string]int{"bytes": n}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case n := <-bigs:
		if n != atLimit {
			t.Fatalf("delivered %d bytes of data, want %d", n, atLimit)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("a message exactly at the read limit was not delivered")
	}
	srv.BroadcastBinary(make([]byte, 2000))
	errs := waitErrors(t, r, 2)
	// The big event and the binary frame come from different server
	// goroutines: their reports may arrive in either order.
	var first *sdk.LimitError
	if errors.As(errs[0], &first) && first.Size == 2000 {
		errs[0], errs[1] = errs[1], errs[0]
	}
	for i, want := range []int64{1025, 2000} {
		var le *sdk.LimitError
		if !errors.As(errs[i], &le) || le.Size != want || le.Limit != 1024 ||
			!strings.Contains(le.Error(), strconv.FormatInt(want, 10)+" bytes exceeds the read limit of 1024") {
			t.Fatalf("report %d = %v, want a *LimitError of %d bytes", i, errs[i], want)
		}
	}
	stillWorks(t, c, "oversized frames")

	// The limit holds on the next connection too.
	srv.DropAll()
	eventually(t, 5*time.Second, "reconnect", func() bool { return r.openCount() == 2 && c.State() == sdk.Open })
	if _, err := sdk.Request[json.RawMessage](ctxFor(t, 3*time.Second), c, "big", map[string]int{"bytes": 50_000}); err != nil {
		t.Fatal(err)
	}
	errs = waitErrors(t, r, 3)
	if le := (*sdk.LimitError)(nil); !errors.As(errs[2], &le) || le.Size != 50_000+int64(len(`{"type":"big","data":""}`)) {
		t.Fatalf("after a reconnect: %v, want a *LimitError", errs[2])
	}
	stillWorks(t, c, "an oversized frame after a reconnect")
	if st := c.Stats(); st.Dropped != 3 || st.Reconnects != 1 {
		t.Fatalf("stats: dropped %d, reconnects %d; want 3 and 1", st.Dropped, st.Reconnects)
	}
	if len(bigs) != 0 {
		t.Fatal("an oversized message reached its handler")
	}
}

func TestBadInputInvalidUTF8(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv.URL(), fast())
	r := record(c)
	sdk.Handle(c, "chat", func(context.Context, json.RawMessage) { t.Error("invalid UTF-8 delivered") })
	srv.Broadcast("{\"type\":\"chat\",\"data\":\"caf\xe9\"}")
	if runtime.GOOS == "js" {
		// The browser fails the connection, as RFC 6455 asks; all the page
		// sees is a close with 1006, and the client reconnects.
		eventually(t, 5*time.Second, "reconnect", func() bool { return r.openCount() == 2 && c.State() == sdk.Open })
		if cs := r.closeInfos(); len(cs) != 1 || cs[0].Code != 1006 || !cs[0].WillReconnect {
			t.Fatalf("close after invalid UTF-8: %+v", cs)
		}
		stillWorks(t, c, "invalid UTF-8")
		return
	}
	errs := waitErrors(t, r, 1)
	var me *sdk.MalformedError
	if !errors.As(errs[0], &me) || !strings.Contains(me.Error(), "text frame is not valid UTF-8") || !strings.Contains(me.Prefix, `"chat"`) {
		t.Fatalf("report = %v, want a *MalformedError about UTF-8", errs[0])
	}
	stillWorks(t, c, "invalid UTF-8")
	if srv.Accepted() != 1 {
		t.Fatal("invalid UTF-8 cost the connection")
	}

	// With Options.Raw, frames pass through untouched, as they came.
	o := fast()
	o.Raw = true
	rc := dial(t, srv.URL(), o)
	got := make(chan []byte, 1)
	rc.OnRaw(func(_ sdk.MessageType, b []byte) { got <- b })
	srv.Broadcast("raw \xff")
	select {
	case b := <-got:
		if string(b) != "raw \xff" {
			t.Fatalf("raw client got %q", b)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("raw client got nothing")
	}
}

func TestBadInputBinaryFrameWithoutRawHandler(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv.URL(), fast())
	r := record(c)
	srv.BroadcastBinary([]byte{0xde, 0xad, 0xbe, 0xef})
	errs := waitErrors(t, r, 1)
	var ue *sdk.UnhandledFrameError
	if !errors.As(errs[0], &ue) || ue.Frame != sdk.MessageBinary || ue.Size != 4 ||
		ue.Error() != "steadyws: binary frame of 4 bytes discarded: no OnRaw handler is registered" {
		t.Fatalf("report = %v, want an *UnhandledFrameError", errs[0])
	}
	stillWorks(t, c, "a binary frame")

	// A raw handler takes them, and nothing is reported.
	got := make(chan []byte, 1)
	c.OnRaw(func(_ sdk.MessageType, b []byte) { got <- b })
	srv.BroadcastBinary([]byte{1})
	select {
	case <-got:
	case <-time.After(3 * time.Second):
		t.Fatal("binary frame not delivered to OnRaw")
	}
	stillWorks(t, c, "a binary frame")
	if n := len(r.errors()); n != 1 {
		t.Fatalf("%d reports, want 1: %v", n, r.errors())
	}
}

// requestID returns the id of the latest request of type typ the server
// received.
func requestID(t *testing.T, msgs []testserver.Message, typ string) int64 {
	t.Helper()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Type == typ && msgs[i].ID > 0 {
			return msgs[i].ID
		}
	}
	t.Fatalf("the server received no %s request", typ)
	return 0
}

func TestBadInputStrayReplies(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv.URL(), fast())
	r := record(c)

	// A reply to an id the client never used, with data or an error.
	srv.Broadcast(`{"type":"sum","re":999,"data":{"sum":1}}`)
	srv.Broadcast(`{"type":"sum","re":998,"error":{"code":"bad_args","message":"no"}}`)
	// A second reply to a request already answered.
	stillWorks(t, c, "replies to unknown ids")
	echoID := requestID(t, srv.Received(), "echo")
	srv.Broadcast(`{"type":"echo","re":` + strconv.FormatInt(echoID, 10) + `,"data":{"n":1}}`)
	// A late reply to a request that timed out is expected: counted in
	// Stats.LateReplies, not reported.
	_, err := sdk.Request[json.RawMessage](ctxFor(t, 50*time.Millisecond), c, "slow", map[string]int{"ms": 300})
	if !errors.Is(err, sdk.ErrRequestTimeout) {
		t.Fatalf("slow request: %v, want ErrRequestTimeout", err)
	}
	eventually(t, 3*time.Second, "the late reply to be counted", func() bool { return c.Stats().LateReplies == 1 })
	// And a second reply to that request is a duplicate again.
	srv.Broadcast(`{"type":"slow","re":` + strconv.FormatInt(echoID+1, 10) + `,"data":{}}`)
	errs := waitErrors(t, r, 4)
	want := []struct {
		typ string
		re  int64
	}{{"sum", 999}, {"sum", 998}, {"echo", echoID}, {"slow", echoID + 1}}
	for i, w := range want {
		var ue *sdk.UnexpectedReplyError
		if !errors.As(errs[i], &ue) || ue.Type != w.typ || ue.Re != w.re ||
			!strings.Contains(ue.Error(), "to request "+strconv.FormatInt(w.re, 10)+", which is not pending") {
			t.Fatalf("report %d = %v, want an *UnexpectedReplyError for %s %d", i, errs[i], w.typ, w.re)
		}
	}
	stillWorks(t, c, "stray replies")
	if srv.Accepted() != 1 {
		t.Fatal("stray replies cost the connection")
	}
}

func TestBadInputMalformedEnvelopes(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv.URL(), fast())
	r := record(c)
	sdk.HandleRequest(c, "whoami", func(context.Context, echoMsg) (echoMsg, error) {
		t.Error("a request with a bad id reached its handler")
		return echoMsg{}, nil
	})
	// A request is waiting while replies with a bad "re" arrive: none of
	// them may settle it, and its real reply still does.
	slow := make(chan error, 1)
	go func() {
		_, err := sdk.Request[json.RawMessage](ctxFor(t, 5*time.Second), c, "slow", map[string]int{"ms": 400})
		slow <- err
	}()
	eventually(t, 3*time.Second, "the slow request to reach the server", func() bool {
		for _, m := range srv.Received() {
			if m.Type == "slow" {
				return true
			}
		}
		return false
	})
	frames := []struct{ frame, reason string }{
		{`{"type":"slow","re":"1","data":{}}`, `"re" must be a positive integer`},
		{`{"type":"slow","re":1.0,"data":{}}`, `expected ',' or '}'`},
		{`{"type":"slow","re":1e0,"data":{}}`, `expected ',' or '}'`},
		{`{"type":"slow","re":-1,"data":{}}`, `"re" must be a positive integer`},
		{`{"type":"slow","re":0}`, `"re" must be a positive integer`},
		{`{"type":"slow","re":9007199254740992}`, `"re" must be a positive integer`},
		{`{"type":"slow","re":123456789012345678901234567890}`, `"re" must be a positive integer`},
		{`{"type":"slow","re":null}`, `"re" must be a positive integer`},
		{`{"type":"slow","re":[1]}`, `"re" must be a positive integer`},
		{`{"type":"whoami","id":"5","data":{}}`, `"id" must be a positive integer`},
		{`{"type":"whoami","id":2.5,"data":{}}`, `expected ',' or '}'`},
		{`{"type":"whoami","id":-7,"data":{}}`, `"id" must be a positive integer`},
		{`{"type":"whoami","id":1e400,"data":{}}`, `expected ',' or '}'`},
		{`{"type":"whoami","id":true}`, `"id" must be a positive integer`},
		{`{"type":"whoami","id":3,"re":1}`, `both "id" and "re" set`},
		{`{"type":7}`, `"type" must be a string`},
		{`{"type":""}`, `missing "type"`},
		{`{"data":{}}`, `missing "type"`},
		{`["chat",{}]`, `not a JSON object`},
		{`"chat"`, `not a JSON object`},
		{``, `not a JSON object`},
		{`{"type":"chat"} {}`, `trailing data after the object`},
		{`{"type":"chat","data":{"a":1}`, `expected ',' or '}'`},
		{`{"type":"chat","data":[1,2`, `bad value for "data"`},
		{`{"type":"chat",}`, `expected a string key`},
	}
	for _, f := range frames {
		srv.Broadcast(f.frame)
	}
	errs := waitErrors(t, r, len(frames))
	for i, f := range frames {
		var me *sdk.MalformedError
		if !errors.As(errs[i], &me) || me.Reason != f.reason || !strings.HasPrefix(f.frame, me.Prefix) ||
			!strings.HasPrefix(me.Error(), "steadyws: malformed message: "+f.reason) {
			t.Errorf("%s: report %v, want a *MalformedError %q", f.frame, errs[i], f.reason)
		}
	}
	if err := <-slow; err != nil {
		t.Fatalf("the pending request: %v, want its real reply", err)
	}
	stillWorks(t, c, "malformed envelopes")
	if srv.Accepted() != 1 {
		t.Fatal("malformed envelopes cost the connection")
	}
}

func TestBadInputDeeplyNestedData(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv.URL(), fast())
	r := record(c)
	sdk.Handle(c, "chat", func(context.Context, json.RawMessage) { t.Error("100,000 levels of nesting delivered") })
	sdk.HandleRequest(c, "whoami", func(context.Context, any) (any, error) {
		t.Error("100,000 levels of nesting delivered to a request handler")
		return nil, nil
	})
	const depth = 100_000
	deep := strings.Repeat("[", depth) + strings.Repeat("]", depth)
	sendFrame(t, c, `{"type":"chat","data":`+deep+`}`)
	sendFrame(t, c, `{"type":"whoami","id":77,"data":`+deep+`}`)
	sendFrame(t, c, `{"type":"chat","data":`+strings.Repeat("[", depth)+`}`)
	sendFrame(t, c, `{"type":"chat","data":`+strings.Repeat(`{"a":`, depth)+`}`)
	// Handlers report decoding errors from the handler goroutine, so the
	// reports may come in any order.
	handlerErrs, malformed := map[string]bool{}, 0
	for _, err := range waitErrors(t, r, 4) {
		var he *sdk.HandlerError
		var me *sdk.MalformedError
		switch {
		case errors.As(err, &he) && strings.Contains(he.Error(), "exceeded max depth"):
			handlerErrs[he.Type] = true
		case errors.As(err, &me) && me.Reason == `bad value for "data"`:
			malformed++
		default:
			t.Errorf("unexpected report %v", err)
		}
	}
	if !handlerErrs["chat"] || !handlerErrs["whoami"] || malformed != 2 {
		t.Errorf("reports: decoding errors for %v, %d malformed; want chat and whoami, 2", handlerErrs, malformed)
	}
	stillWorks(t, c, "deeply nested data")
	if srv.Accepted() != 1 {
		t.Fatal("deep nesting cost the connection")
	}
}

func TestBadInputUnknownTypes(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv.URL(), fast())
	r := record(c)
	sdk.Handle(c, "chat", func(context.Context, json.RawMessage) {})
	sdk.HandleRequest(c, "whoami", func(context.Context, any) (string, error) { return "me", nil })

	// A request of an unknown type is answered with unknown_type, with
	// the suggestion the client reports too.
	_, err := srv.Request(ctxFor(t, 3*time.Second), "whoamii", nil)
	if err == nil || !strings.Contains(err.Error(), "unknown_type") || !strings.Contains(err.Error(), `did you mean \"whoami\"`) && !strings.Contains(err.Error(), `did you mean "whoami"`) {
		t.Fatalf("server's request of an unknown type: %v", err)
	}
	srv.Broadcast(`{"type":"cht","data":{}}`)
	srv.Broadcast(`{"type":"ping","id":5}`)                       // the reserved types are events, not requests
	srv.Broadcast(`{"type":"\u0000\n\"\u2028","data":null}`)      // unprintable
	srv.Broadcast(`{"type":"` + strings.Repeat("z", 5000) + `"}`) // long
	errs := waitErrors(t, r, 5)
	for i, w := range []struct{ typ, suggestion string }{
		{"whoamii", "whoami"}, {"cht", "chat"}, {"ping", ""}, {"\x00\n\"\u2028", ""}, {strings.Repeat("z", 5000), ""},
	} {
		var ut *sdk.UnknownTypeError
		if !errors.As(errs[i], &ut) || ut.Type != w.typ || ut.Suggestion != w.suggestion {
			t.Errorf("report %d = %v, want an *UnknownTypeError for %q suggesting %q", i, errs[i], w.typ, w.suggestion)
		}
	}
	if msg := errs[4].Error(); len(msg) > 200 {
		t.Errorf("a 5000-byte type makes a %d-byte message", len(msg))
	}
	if msg := errs[3].Error(); strings.ContainsAny(msg, "\x00\n") || !strings.Contains(msg, `"\u0000\u000a\"`) {
		t.Errorf("unprintable type written as %q", msg)
	}
	stillWorks(t, c, "unknown types")
}
