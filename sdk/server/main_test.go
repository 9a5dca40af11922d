//go:build !js

package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/steadyws/steadyws/sdk/server"
	"go.uber.org/goleak"
)

// TestMain fails the run if a test leaves a goroutine behind: a server
// that was shut down must leave nothing running.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// harness is a Server on 127.0.0.1 with everything OnError and
// OnDisconnect reported kept for assertions.
type harness struct {
	srv *server.Server
	ts  *httptest.Server
	url string

	mu    sync.Mutex
	errs  []error
	gone  []error
	conns []*server.Conn
}

func start(t *testing.T, opts *server.Options) *harness {
	t.Helper()
	h := &harness{srv: server.New(opts)}
	h.srv.OnError(func(err error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.errs = append(h.errs, err)
	})
	h.srv.OnConnect(func(c *server.Conn) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.conns = append(h.conns, c)
	})
	h.srv.OnDisconnect(func(c *server.Conn, err error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.gone = append(h.gone, err)
	})
	h.ts = httptest.NewUnstartedServer(h.srv)
	h.ts.Listener = smallBufferListener{h.ts.Listener}
	h.ts.Start()
	h.url = "ws" + strings.TrimPrefix(h.ts.URL, "http")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		h.ts.Close()
	})
	return h
}

// errors returns what OnError got so far.
func (h *harness) errors() []error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]error(nil), h.errs...)
}

func (h *harness) disconnects() []error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]error(nil), h.gone...)
}

// waitError waits until OnError got an error that errors.As finds a
// target's type in, and returns it.
func waitError[T error](t *testing.T, h *harness) T {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, err := range h.errors() {
			var target T
			if errors.As(err, &target) {
				return target
			}
		}
		if time.Now().After(deadline) {
			var zero T
			t.Fatalf("OnError never got a %T; it got %v", zero, h.errors())
			return zero
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// dial opens a raw coder/websocket connection: no steadyws client code.
func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { _ = ws.CloseNow() })
	return ws
}

func write(t *testing.T, ws *websocket.Conn, frame string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ws.Write(ctx, websocket.MessageText, []byte(frame)); err != nil {
		t.Fatalf("write %s: %v", frame, err)
	}
}

func read(t *testing.T, ws *websocket.Conn) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, b, err := ws.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(b)
}

// envelope is the wire form, decoded with encoding/json to check the
// server's output independently of the shared scanner.
type envelope struct {
	Type  string          `json:"type"`
	ID    int64           `json:"id,omitempty"`
	Re    int64           `json:"re,omitempty"`
	Data  json.RawMessage `json:"data,omitempty"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

func readEnv(t *testing.T, ws *websocket.Conn) envelope {
	t.Helper()
	s := read(t, ws)
	var e envelope
	if err := json.Unmarshal([]byte(s), &e); err != nil {
		t.Fatalf("server sent %q, not JSON: %v", s, err)
	}
	return e
}

// pingPong proves the connection is up and every earlier frame was
// handled: the pong comes after their replies.
func pingPong(t *testing.T, ws *websocket.Conn) {
	t.Helper()
	write(t, ws, `{"type":"ping"}`)
	for {
		if e := readEnv(t, ws); e.Type == "pong" {
			return
		}
	}
}

// smallBuffers makes the kernel keep little for a connection, so that a
// client that stops reading fills the server's queue after a few frames.
func smallBuffers(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4 << 10)
		_ = tc.SetWriteBuffer(4 << 10)
	}
}

// smallBufferListener gives every server-side connection small kernel
// buffers: a reading client drains them anyway, a silent one fills them
// after a few frames.
type smallBufferListener struct{ net.Listener }

func (l smallBufferListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		smallBuffers(c)
	}
	return c, err
}

func dialSmall(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			smallBuffers(c)
		}
		return c, err
	}}
	t.Cleanup(tr.CloseIdleConnections)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = ws.CloseNow() })
	return ws
}

// scanJSON decodes an envelope the server sent, with encoding/json.
func scanJSON(b []byte) (envelope, error) {
	var e envelope
	err := json.Unmarshal(b, &e)
	if err == nil && e.Type == "" {
		err = errors.New("no type")
	}
	return e, err
}
