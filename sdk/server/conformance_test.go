//go:build !js

package server_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/steadyws/steadyws/sdk"
	"github.com/steadyws/steadyws/sdk/server"
)

type Args struct{ A, B int }
type Sum struct{ Sum int }

func TestPingGetsPong(t *testing.T) {
	h := start(t, nil)
	ws := dial(t, h.url)
	write(t, ws, `{"type":"ping"}`)
	if got := read(t, ws); got != `{"type":"pong"}` {
		t.Fatalf("ping answered with %s, want {\"type\":\"pong\"}", got)
	}
}

func TestRequestAndReply(t *testing.T) {
	h := start(t, nil)
	server.HandleRequest(h.srv, "sum", func(ctx context.Context, c *server.Conn, a Args) (Sum, error) {
		return Sum{a.A + a.B}, nil
	})
	ws := dial(t, h.url)
	write(t, ws, `{"type":"sum","id":7,"data":{"A":2,"B":3}}`)
	e := readEnv(t, ws)
	if e.Type != "sum" || e.Re != 7 || string(e.Data) != `{"Sum":5}` || e.Error != nil {
		t.Fatalf("reply %+v, want sum re 7 data {\"Sum\":5}", e)
	}
}

func TestUnknownTypeGetsErrorReply(t *testing.T) {
	h := start(t, nil)
	server.HandleRequest(h.srv, "sum", func(ctx context.Context, c *server.Conn, a Args) (Sum, error) { return Sum{}, nil })
	ws := dial(t, h.url)
	write(t, ws, `{"type":"sun","id":1,"data":{}}`)
	e := readEnv(t, ws)
	if e.Re != 1 || e.Type != "sun" || e.Error == nil || e.Error.Code != "unknown_type" {
		t.Fatalf("reply %+v, want an unknown_type error reply to request 1", e)
	}
	if !strings.Contains(e.Error.Message, `did you mean "sum"`) {
		t.Errorf("message %q does not suggest sum", e.Error.Message)
	}
	// An event nobody handles gets no reply (it has no id) but is reported.
	write(t, ws, `{"type":"chat","data":"hi"}`)
	if ut := waitError[*sdk.UnknownTypeError](t, h); ut.Type == "" {
		t.Fatalf("UnknownTypeError without a type")
	}
	pingPong(t, ws)
}

func TestErrorReplyCodes(t *testing.T) {
	h := start(t, nil)
	bad := &sdk.RemoteError{Code: "bad_args", Message: "a must be positive"}
	server.HandleRequest(h.srv, "remote", func(ctx context.Context, c *server.Conn, a Args) (Sum, error) { return Sum{}, bad })
	server.HandleRequest(h.srv, "wrapped", func(ctx context.Context, c *server.Conn, a Args) (Sum, error) {
		return Sum{}, fmt.Errorf("checking args: %w", bad)
	})
	server.HandleRequest(h.srv, "secret", func(ctx context.Context, c *server.Conn, a Args) (Sum, error) {
		return Sum{}, errors.New("dial postgres://admin:hunter2@db: refused")
	})
	server.HandleRequest(h.srv, "panics", func(ctx context.Context, c *server.Conn, a Args) (Sum, error) {
		panic("nil map, password hunter2")
	})
	server.HandleRequest(h.srv, "typed", func(ctx context.Context, c *server.Conn, a Args) (Sum, error) { return Sum{}, nil })
	ws := dial(t, h.url)

	for i, tc := range []struct{ typ, data, code, message string }{
		{"remote", `{}`, "bad_args", "a must be positive"},
		{"wrapped", `{}`, "bad_args", "a must be positive"},
		{"secret", `{}`, "internal", "internal server error"},
		{"panics", `{}`, "internal", "internal server error"},
		{"typed", `{"A":"not a number"}`, "bad_args", ""},
	} {
		id := i + 1
		write(t, ws, fmt.Sprintf(`{"type":%q,"id":%d,"data":%s}`, tc.typ, id, tc.data))
		e := readEnv(t, ws)
		if e.Re != int64(id) || e.Error == nil || e.Error.Code != tc.code {
			t.Fatalf("%s: reply %+v, want error code %s", tc.typ, e, tc.code)
		}
		if tc.message != "" && e.Error.Message != tc.message {
			t.Errorf("%s: message %q, want %q", tc.typ, e.Error.Message, tc.message)
		}
		if strings.Contains(e.Error.Message, "hunter2") {
			t.Errorf("%s: the error reply leaks the error's text: %q", tc.typ, e.Error.Message)
		}
	}
	// The hidden error and the panic went to OnError, and the connection
	// survived both.
	pingPong(t, ws)
	var sawSecret, sawPanic bool
	for _, err := range h.errors() {
		var he *sdk.HandlerError
		var pe *server.PanicError
		switch {
		case errors.As(err, &pe):
			sawPanic = he == nil && strings.Contains(pe.Error(), "hunter2")
		case errors.As(err, &he) && he.Type == "secret":
			sawSecret = strings.Contains(err.Error(), "hunter2")
		}
	}
	if !sawSecret || !sawPanic {
		t.Errorf("OnError got %v; want the secret error and the panic, in full", h.errors())
	}
}

func TestEventHandlerPanicIsSurvived(t *testing.T) {
	h := start(t, nil)
	got := make(chan string, 1)
	server.Handle(h.srv, "boom", func(ctx context.Context, c *server.Conn, m string) { panic(m) })
	server.Handle(h.srv, "chat", func(ctx context.Context, c *server.Conn, m string) { got <- m })
	ws := dial(t, h.url)
	write(t, ws, `{"type":"boom","data":"kaboom"}`)
	write(t, ws, `{"type":"chat","data":"still here"}`)
	select {
	case m := <-got:
		if m != "still here" {
			t.Fatalf("chat handler got %q", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the handler after a panicking one never ran")
	}
	waitError[*server.PanicError](t, h)
}

// TestSeedHandshake checks the handshake byte for byte against the
// tutorial's example key (RFC 6455 section 1.3's).
func TestSeedHandshake(t *testing.T) {
	h := start(t, nil)
	conn, err := net.Dial("tcp", h.ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: sN9cRrP/n9NdMgdcy2VJFQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", h.ts.Listener.Addr())
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d, want 101", resp.StatusCode)
	}
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != "fFBooB7FAkLlXgRSz0BT3v4hq5s=" {
		t.Fatalf("Sec-WebSocket-Accept %q, want fFBooB7FAkLlXgRSz0BT3v4hq5s=", got)
	}
	if !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") || !strings.EqualFold(resp.Header.Get("Connection"), "upgrade") {
		t.Fatalf("Upgrade %q, Connection %q", resp.Header.Get("Upgrade"), resp.Header.Get("Connection"))
	}
}

func TestVersion8Gets426(t *testing.T) {
	h := start(t, nil)
	req, _ := http.NewRequest("GET", h.ts.URL, nil)
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Sec-WebSocket-Key", "sN9cRrP/n9NdMgdcy2VJFQ==")
	req.Header.Set("Sec-WebSocket-Version", "8")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUpgradeRequired || resp.Header.Get("Sec-WebSocket-Version") != "13" {
		t.Fatalf("status %d with Sec-WebSocket-Version %q, want 426 with 13", resp.StatusCode, resp.Header.Get("Sec-WebSocket-Version"))
	}
}

func TestMalformedFramesAreReportedAndSurvived(t *testing.T) {
	h := start(t, nil)
	ws := dial(t, h.url)
	for _, f := range []string{`not json`, `{"type":1}`, `{"id":3}`, "{\"type\":\"a\xff\"}", `{"type":"x","id":1,"re":2}`} {
		write(t, ws, f)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ws.Write(ctx, websocket.MessageBinary, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	pingPong(t, ws)
	n, unhandled := 0, 0
	for _, err := range h.errors() {
		var me *sdk.MalformedError
		var ue *sdk.UnhandledFrameError
		if errors.As(err, &me) {
			n++
		}
		if errors.As(err, &ue) {
			unhandled++
		}
	}
	if n != 5 || unhandled != 1 {
		t.Fatalf("OnError got %d malformed and %d unhandled binary frames, want 5 and 1: %v", n, unhandled, h.errors())
	}
	if len(h.disconnects()) != 0 {
		t.Fatalf("a malformed frame ended the connection: %v", h.disconnects())
	}
}

func TestReadLimit(t *testing.T) {
	h := start(t, &server.Options{ReadLimit: 1024})
	ws := dial(t, h.url)
	write(t, ws, `{"type":"upload","id":9,"data":"`+strings.Repeat("x", 4000)+`"}`)
	e := readEnv(t, ws)
	if e.Re != 9 || e.Error == nil || e.Error.Code != server.CodeTooLarge {
		t.Fatalf("reply %+v, want a too_large error reply to request 9", e)
	}
	le := waitError[*sdk.LimitError](t, h)
	if le.Limit != 1024 || le.Size < 4000 {
		t.Fatalf("LimitError %+v", le)
	}
	pingPong(t, ws)
}

func TestServerToClientRequest(t *testing.T) {
	h := start(t, &server.Options{RequestTimeout: 200 * time.Millisecond})
	ws := dial(t, h.url)
	pingPong(t, ws) // OnConnect has run
	c := h.conns[0]

	type Who struct{ Name string }
	done := make(chan error, 1)
	var who Who
	go func() {
		var err error
		who, err = server.Request[Who](context.Background(), c, "whoami", map[string]int{"n": 1})
		done <- err
	}()
	e := readEnv(t, ws)
	if e.Type != "whoami" || e.ID <= 0 || string(e.Data) != `{"n":1}` {
		t.Fatalf("request %+v", e)
	}
	write(t, ws, fmt.Sprintf(`{"type":"whoami","re":%d,"data":{"Name":"ada"}}`, e.ID))
	if err := <-done; err != nil || who.Name != "ada" {
		t.Fatalf("Request = %+v, %v; want ada", who, err)
	}

	// An error reply.
	go func() { _, err := server.Request[Who](context.Background(), c, "whoami", nil); done <- err }()
	e = readEnv(t, ws)
	write(t, ws, fmt.Sprintf(`{"type":"whoami","re":%d,"error":{"code":"nope","message":"not telling"}}`, e.ID))
	var re *sdk.RemoteError
	if err := <-done; !errors.As(err, &re) || re.Code != "nope" || re.Message != "not telling" {
		t.Fatalf("Request error %v, want RemoteError nope", err)
	}

	// No reply: Options.RequestTimeout.
	if _, err := server.Request[Who](context.Background(), c, "whoami", nil); !errors.Is(err, sdk.ErrRequestTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("unanswered Request: %v, want ErrRequestTimeout", err)
	}
	readEnv(t, ws) // the unanswered request

	// The connection drops while a request is in flight: it fails at once.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() { _, err := server.Request[Who](ctx, c, "whoami", nil); done <- err }()
	readEnv(t, ws)
	began := time.Now()
	_ = ws.CloseNow()
	if err := <-done; !errors.Is(err, sdk.ErrConnectionLost) {
		t.Fatalf("Request on a dropped connection: %v, want ErrConnectionLost", err)
	}
	if d := time.Since(began); d > 10*time.Second {
		t.Fatalf("Request took %v to notice the drop", d)
	}
}

func TestCloseHandshake(t *testing.T) {
	h := start(t, nil)
	ws := dial(t, h.url)
	pingPong(t, ws)
	if err := ws.Close(websocket.StatusNormalClosure, "bye"); err != nil {
		t.Fatalf("client Close: %v (the server did not answer the close frame)", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(h.disconnects()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	var ce *sdk.CloseError
	if d := h.disconnects(); len(d) != 1 || !errors.As(d[0], &ce) || ce.Code != 1000 || ce.Reason != "bye" {
		t.Fatalf("OnDisconnect got %v, want a CloseError 1000 bye", d)
	}

	// And the other way: Conn.Close sends the code the client reads.
	ws = dial(t, h.url)
	pingPong(t, ws)
	h.mu.Lock()
	c := h.conns[len(h.conns)-1]
	h.mu.Unlock()
	if err := c.Close(4000, "go away"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _, err := ws.Read(ctx)
	if websocket.CloseStatus(err) != 4000 {
		t.Fatalf("client read %v, want close 4000", err)
	}
}

func TestIdleTimeout(t *testing.T) {
	h := start(t, &server.Options{IdleTimeout: 300 * time.Millisecond})
	// A client that reads answers the server's WebSocket pings (coder's
	// reader does) and stays; one that never reads does not, and goes.
	alive := dial(t, h.url)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _, _, _ = alive.Read(ctx) }()
	dial(t, h.url)
	deadline := time.Now().Add(5 * time.Second)
	for len(h.disconnects()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(600 * time.Millisecond) // two more idle periods for the reader
	d := h.disconnects()
	if len(d) != 1 || !errors.Is(d[0], server.ErrIdleTimeout) {
		t.Fatalf("disconnects %v, want exactly one ErrIdleTimeout", d)
	}
	if h.srv.Len() != 1 {
		t.Fatalf("%d connections open, want the reading one", h.srv.Len())
	}
}

// TestSlowClientClosed1013 has 100 clients reading broadcasts and one that
// never reads: the silent one is closed with 1013 once its queue fills, and
// every broadcast still reaches the other 100.
func TestSlowClientClosed1013(t *testing.T) {
	h := start(t, &server.Options{SendQueue: 32})
	const readers, broadcasts = 100, 100
	var got [readers]atomic.Int32
	var wg sync.WaitGroup
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := range readers {
		ws := dial(t, h.url)
		ws.SetReadLimit(1 << 20)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for got[i].Load() < broadcasts {
				if _, _, err := ws.Read(ctx); err != nil {
					return
				}
				got[i].Add(1)
			}
		}()
	}
	slow := dialSmall(t, h.url)
	slow.SetReadLimit(1 << 20)
	deadline := time.Now().Add(5 * time.Second)
	for h.srv.Len() < readers+1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}

	// Once Broadcast stops counting the silent client, its queue overflowed
	// and the server is closing it: it then reads what was written, then the
	// close frame. It must start before coder/websocket gives up writing
	// the close frame (5 s), however long the remaining broadcasts take on
	// a loaded machine.
	slowEnd := make(chan error, 1)
	startSlow := sync.OnceFunc(func() {
		go func() {
			for {
				if _, _, err := slow.Read(ctx); err != nil {
					slowEnd <- err
					return
				}
			}
		}()
	})
	payload := strings.Repeat("x", 1<<10)
	counts := make([]int, broadcasts)
	for i := range broadcasts {
		counts[i] = server.Broadcast(ctx, h.srv, "news", payload)
		if counts[i] == readers {
			startSlow()
		}
		// Let every reader take this one before the next: only the silent
		// client may fall behind, however slow the machine.
		for r := 0; r < readers && ctx.Err() == nil; r++ {
			for got[r].Load() < int32(i+1) && ctx.Err() == nil {
				time.Sleep(time.Millisecond)
			}
		}
	}
	wg.Wait()
	for i := range readers {
		if n := got[i].Load(); n != broadcasts {
			t.Fatalf("reader %d got %d of %d broadcasts; disconnects: %v", i, n, broadcasts, h.disconnects())
		}
	}
	if counts[0] != readers+1 || counts[broadcasts-1] != readers {
		t.Fatalf("Broadcast counts %v: want %d at first and %d once the silent client is gone", counts, readers+1, readers)
	}
	startSlow()
	if err := <-slowEnd; websocket.CloseStatus(err) != websocket.StatusTryAgainLater {
		t.Fatalf("silent client ended with %v, want close 1013", err)
	}
	var full bool
	for deadline := time.Now().Add(5 * time.Second); !full && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		for _, err := range h.disconnects() {
			full = full || errors.Is(err, server.ErrQueueFull)
		}
	}
	if !full {
		t.Fatalf("OnDisconnect got %v, want ErrQueueFull", h.disconnects())
	}
}

// TestWriteTimeoutDropsSilentClient: a frame that a client does not take
// within Options.WriteTimeout (it stopped reading, its buffers are full)
// drops the connection, and OnDisconnect says it timed out.
func TestWriteTimeoutDropsSilentClient(t *testing.T) {
	h := start(t, &server.Options{WriteTimeout: 200 * time.Millisecond})
	big := strings.Repeat("x", 1<<20) // far more than the small kernel buffers hold
	server.HandleRequest(h.srv, "big", func(ctx context.Context, c *server.Conn, _ any) (string, error) { return big, nil })
	ws := dialSmall(t, h.url) // never read
	write(t, ws, `{"type":"big","id":1}`)
	deadline := time.Now().Add(10 * time.Second)
	for len(h.disconnects()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if d := h.disconnects(); len(d) != 1 || !errors.Is(d[0], context.DeadlineExceeded) {
		t.Fatalf("OnDisconnect got %v, want one error matching context.DeadlineExceeded", d)
	}
}

func TestShutdownCloses1012AndWaitsForHandlers(t *testing.T) {
	h := start(t, nil)
	started, finished := make(chan struct{}), atomic.Bool{}
	server.HandleRequest(h.srv, "slow", func(ctx context.Context, c *server.Conn, _ any) (string, error) {
		close(started)
		time.Sleep(200 * time.Millisecond)
		finished.Store(true)
		return "done", nil
	})
	a, b := dial(t, h.url), dial(t, h.url)
	write(t, a, `{"type":"slow","id":1}`)
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- h.srv.Shutdown(ctx) }()
	// The reply of the handler that was running goes out before the close frame.
	if e := readEnv(t, a); e.Re != 1 || string(e.Data) != `"done"` {
		t.Fatalf("in-flight reply %+v", e)
	}
	for _, ws := range []*websocket.Conn{a, b} {
		_, _, err := ws.Read(ctx)
		if websocket.CloseStatus(err) != websocket.StatusServiceRestart {
			t.Fatalf("client read %v, want close 1012", err)
		}
	}
	if err := <-errc; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if !finished.Load() {
		t.Fatal("Shutdown returned before the handler did")
	}
	// After Shutdown, handshakes get 503 (a steadyws client retries).
	_, resp, err := websocket.Dial(ctx, h.url, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("dial after Shutdown: %v, want 503", err)
	}
}

func TestAuthorize(t *testing.T) {
	h := start(t, &server.Options{Authorize: func(r *http.Request) (string, error) {
		if tok := r.URL.Query().Get("token"); tok != "" {
			return "user:" + tok, nil
		}
		return "", server.Refuse(http.StatusUnauthorized, "no token")
	}})
	server.HandleRequest(h.srv, "whoami", func(ctx context.Context, c *server.Conn, _ any) (string, error) {
		return c.Principal(), nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	_, resp, err := websocket.Dial(ctx, h.url, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("dial without a token: %v, want 401", err)
	}

	// The native client stops for good on 401 instead of retrying.
	c := sdk.New(h.url, &sdk.Options{Backoff: sdk.Backoff{Initial: 10 * time.Millisecond, Max: 20 * time.Millisecond}})
	defer c.Close()
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("the client kept retrying after 401")
	}
	var he *sdk.HandshakeError
	if !errors.As(c.Err(), &he) || he.Status != http.StatusUnauthorized {
		t.Fatalf("client Err %v, want HandshakeError 401", c.Err())
	}

	// With a token, the principal reaches the handlers.
	cl, err := sdk.Dial(ctx, h.url+"?token=ada", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	who, err := sdk.Request[string](ctx, cl, "whoami", nil)
	if err != nil || who != "user:ada" {
		t.Fatalf("whoami = %q, %v", who, err)
	}
}

func TestBroadcastAcrossServersSharingPubSub(t *testing.T) {
	bus := server.NewLocalPubSub()
	h1, h2 := start(t, &server.Options{PubSub: bus}), start(t, &server.Options{PubSub: bus})
	a, b := dial(t, h1.url), dial(t, h2.url)
	pingPong(t, a)
	pingPong(t, b)
	if n := server.Broadcast(context.Background(), h1.srv, "news", "hello"); n != 2 {
		t.Fatalf("Broadcast reached %d connections, want 2", n)
	}
	for _, ws := range []*websocket.Conn{a, b} {
		if got := read(t, ws); got != `{"type":"news","data":"hello"}` {
			t.Fatalf("got %s", got)
		}
	}
}
