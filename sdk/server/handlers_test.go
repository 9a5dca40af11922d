//go:build !js

package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/steadyws/steadyws/sdk"
	"github.com/steadyws/steadyws/sdk/server"
)

// TestBlockedHandlerKeepsTheConnectionRead: while a request handler
// blocks, its connection is still read: a ping is answered, a reply to
// the server's own Request is taken, and a request behind the blocked one
// waits its turn and is answered after it.
func TestBlockedHandlerKeepsTheConnectionRead(t *testing.T) {
	h := start(t, nil)
	release := make(chan struct{})
	server.HandleRequest(h.srv, "block", func(ctx context.Context, c *server.Conn, _ any) (string, error) {
		<-release
		return "released", nil
	})
	server.HandleRequest(h.srv, "sum", func(ctx context.Context, c *server.Conn, a Args) (Sum, error) {
		return Sum{a.A + a.B}, nil
	})
	ws := dial(t, h.url)
	pingPong(t, ws) // OnConnect has run
	write(t, ws, `{"type":"block","id":1}`)
	write(t, ws, `{"type":"sum","id":2,"data":{"A":1,"B":2}}`)
	write(t, ws, `{"type":"ping"}`)
	if got := read(t, ws); got != `{"type":"pong"}` {
		t.Fatalf("while a handler blocks the server sent %q, want the pong", got)
	}

	h.mu.Lock()
	c := h.conns[0]
	h.mu.Unlock()
	done := make(chan error, 1)
	go func() {
		name, err := server.Request[string](context.Background(), c, "name", nil)
		if err == nil && name != "ada" {
			err = fmt.Errorf("reply %q, want ada", name)
		}
		done <- err
	}()
	e := readEnv(t, ws)
	if e.Type != "name" || e.ID <= 0 {
		t.Fatalf("server sent %+v, want its request", e)
	}
	write(t, ws, fmt.Sprintf(`{"type":"name","re":%d,"data":"ada"}`, e.ID))
	if err := <-done; err != nil {
		t.Fatalf("Request while a handler blocks: %v", err)
	}

	close(release)
	if e := readEnv(t, ws); e.Re != 1 || string(e.Data) != `"released"` {
		t.Fatalf("first reply %+v, want the blocked request's", e)
	}
	if e := readEnv(t, ws); e.Re != 2 || string(e.Data) != `{"Sum":3}` {
		t.Fatalf("second reply %+v, want the sum's", e)
	}
}

// TestHandlerAsksItsOwnClient: a request handler may call Request on its
// connection and answer with what the client replied.
func TestHandlerAsksItsOwnClient(t *testing.T) {
	h := start(t, nil)
	server.HandleRequest(h.srv, "greet", func(ctx context.Context, c *server.Conn, _ any) (string, error) {
		name, err := server.Request[string](ctx, c, "name", nil)
		return "hello " + name, err
	})
	ws := dial(t, h.url)
	for i := 1; i <= 3; i++ {
		write(t, ws, fmt.Sprintf(`{"type":"greet","id":%d}`, i))
		e := readEnv(t, ws)
		if e.Type != "name" || e.ID <= 0 {
			t.Fatalf("server sent %+v, want its request", e)
		}
		write(t, ws, fmt.Sprintf(`{"type":"name","re":%d,"data":"ada %d"}`, e.ID, i))
		if e := readEnv(t, ws); e.Re != int64(i) || string(e.Data) != fmt.Sprintf(`"hello ada %d"`, i) {
			t.Fatalf("reply %+v, want hello ada %d to request %d", e, i, i)
		}
	}
}

// TestRepliesInOrderWithSend: the events a request handler sends come out
// before its reply, and replies in the order of their requests, whether
// a reply is written at once or waits behind queued frames.
func TestRepliesInOrderWithSend(t *testing.T) {
	h := start(t, &server.Options{SendQueue: 1024}) // every frame fits: this client reads slower than they come
	server.HandleRequest(h.srv, "count", func(ctx context.Context, c *server.Conn, n int) (int, error) {
		for i := range n {
			if err := server.Send(ctx, c, "tick", i); err != nil {
				return 0, err
			}
		}
		return n, nil
	})
	ws := dial(t, h.url)
	const requests = 200
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	wrote := make(chan error, 1)
	go func() {
		// All at once, so that some arrive while earlier frames are queued.
		for i := 1; i <= requests; i++ {
			if err := ws.Write(ctx, websocket.MessageText, fmt.Appendf(nil, `{"type":"count","id":%d,"data":%d}`, i, i%4)); err != nil {
				wrote <- err
				return
			}
		}
		wrote <- nil
	}()
	for i := 1; i <= requests; i++ {
		for k := range i % 4 {
			if e := readEnv(t, ws); e.Type != "tick" || string(e.Data) != fmt.Sprint(k) {
				t.Fatalf("request %d: got %+v, want tick %d", i, e, k)
			}
		}
		e := readEnv(t, ws)
		var n int
		if e.Re != int64(i) || json.Unmarshal(e.Data, &n) != nil || n != i%4 {
			t.Fatalf("got %+v, want the reply to request %d", e, i)
		}
	}
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
}

// TestReplyToSilentClientKeepsTheConnectionRead: a reply that cannot be
// written because its client stopped reading holds up that connection's
// handlers only: the server goes on reading the connection.
func TestReplyToSilentClientKeepsTheConnectionRead(t *testing.T) {
	h := start(t, nil)
	big := strings.Repeat("x", 1<<20) // far more than the small kernel buffers hold
	server.HandleRequest(h.srv, "big", func(ctx context.Context, c *server.Conn, _ any) (string, error) { return big, nil })
	ws := dialSmall(t, h.url) // never read; closed at the end, which ends the blocked write
	write(t, ws, `{"type":"big","id":1}`)
	write(t, ws, `not json`)
	if me := waitError[*sdk.MalformedError](t, h); !strings.HasPrefix(me.Prefix, "not json") {
		t.Fatalf("MalformedError for %q, want the frame after the request", me.Prefix)
	}
}
