//go:build !js

package server_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/steadyws/steadyws/sdk/server"
)

// FuzzServerFrames sends arbitrary text frames to a server with an event
// and a request handler, then a ping: whatever the frame, the connection
// must stay up and answer the ping, and every frame the server sends back
// must be a JSON envelope.
func FuzzServerFrames(f *testing.F) {
	for _, s := range []string{
		`{"type":"sum","id":1,"data":{"A":1,"B":2}}`,
		`{"type":"chat","data":"hi"}`,
		`{"type":"whoami","re":3,"data":{}}`,
		`{"type":"ping"}`, `{"type":"pong"}`, `{"type":"ping","id":2}`,
		`{"type":"sum","id":9007199254740992}`, `{"type":"sum","id":1,"re":1}`,
		`not json`, `{`, `[]`, `{"type":"\u0073um","id":4,"data":{"A":"x"}}`,
		`{"type":"boom","id":5}`, `{"type":"boom"}`, "{\"type\":\"a\xff\"}",
	} {
		f.Add([]byte(s))
	}
	srv := server.New(&server.Options{ReadLimit: 4096})
	server.HandleRequest(srv, "sum", func(ctx context.Context, c *server.Conn, a Args) (Sum, error) { return Sum{a.A + a.B}, nil })
	server.HandleRequest(srv, "boom", func(ctx context.Context, c *server.Conn, a any) (any, error) { panic("boom") })
	server.Handle(srv, "chat", func(ctx context.Context, c *server.Conn, m string) {})
	server.Handle(srv, "boom", func(ctx context.Context, c *server.Conn, m any) { panic("boom") })
	ts := httptest.NewServer(srv)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		ts.Close()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http"), nil)
	cancel()
	if err != nil {
		f.Fatal(err)
	}
	defer ws.CloseNow()

	f.Fuzz(func(t *testing.T, frame []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := ws.Write(ctx, websocket.MessageText, frame); err != nil {
			t.Fatalf("write: %v", err)
		}
		if err := ws.Write(ctx, websocket.MessageText, []byte(`{"type":"ping"}`)); err != nil {
			t.Fatalf("write ping: %v", err)
		}
		for {
			_, b, err := ws.Read(ctx)
			if err != nil {
				t.Fatalf("after %q the connection ended: %v", frame, err)
			}
			if string(b) == `{"type":"pong"}` {
				return
			}
			if _, err := scanJSON(b); err != nil {
				t.Fatalf("after %q the server sent %q: %v", frame, b, err)
			}
		}
	})
}

// FuzzReliableFrames sends arbitrary text frames on a reliable-mode
// connection, then a ping: the server may close the connection for a
// protocol violation (1002), but otherwise it answers the ping, and every
// frame it sends back is a JSON envelope. A closed connection is replaced
// by a new session.
func FuzzReliableFrames(f *testing.F) {
	for _, s := range []string{
		`{"type":"chat","seq":1,"data":"hi"}`, `{"type":"chat","seq":2,"data":"hi"}`,
		`{"type":"chat","seq":1}`, `{"type":"chat","seq":9007199254740991}`, `{"type":"chat","seq":"1"}`,
		`{"type":"$ack","seq":1}`, `{"type":"$ack","seq":0}`, `{"type":"$ack"}`, `{"type":"$ack","id":3}`,
		`{"type":"$hello","id":2,"data":{"session":"AAAAAAAAAAAAAAAAAAAAAA","ack":0}}`,
		`{"type":"$hello","re":1,"data":{"ack":0,"resumed":true}}`, `{"type":"$other","seq":1}`,
		`{"type":"sum","id":1,"seq":1,"data":{"A":1,"B":2}}`, `{"type":"boom","seq":1}`,
	} {
		f.Add([]byte(s))
	}
	srv := server.New(&server.Options{ReadLimit: 4096, Reliable: true})
	server.HandleRequest(srv, "sum", func(ctx context.Context, c *server.Conn, a Args) (Sum, error) { return Sum{a.A + a.B}, nil })
	server.Handle(srv, "chat", func(ctx context.Context, c *server.Conn, m string) {
		_ = server.Send(ctx, c, "chat", m)
	})
	server.Handle(srv, "boom", func(ctx context.Context, c *server.Conn, m any) { panic("boom") })
	ts := httptest.NewServer(srv)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		ts.Close()
	}()
	url := "ws" + strings.TrimPrefix(ts.URL, "http")
	var ws *websocket.Conn
	sessions := 0
	open := func(t testing.TB) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var err error
		if ws, _, err = websocket.Dial(ctx, url, nil); err != nil {
			t.Fatal(err)
		}
		sessions++
		hello := fmt.Sprintf(`{"type":"$hello","id":1,"data":{"session":"fuzz-session-%012d","ack":0}}`, sessions)
		if err := ws.Write(ctx, websocket.MessageText, []byte(hello)); err != nil {
			t.Fatal(err)
		}
		if _, b, err := ws.Read(ctx); err != nil || !strings.HasPrefix(string(b), `{"type":"$hello","re":1,`) {
			t.Fatalf("$hello answered %q, %v", b, err)
		}
	}
	open(f)
	defer func() { _ = ws.CloseNow() }()

	f.Fuzz(func(t *testing.T, frame []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := ws.Write(ctx, websocket.MessageText, frame); err == nil {
			err = ws.Write(ctx, websocket.MessageText, []byte(`{"type":"ping"}`))
		}
		for {
			_, b, err := ws.Read(ctx)
			if err != nil {
				switch websocket.CloseStatus(err) {
				case websocket.StatusProtocolError, websocket.StatusPolicyViolation, websocket.StatusTryAgainLater:
					_ = ws.CloseNow()
					open(t)
					return
				}
				t.Fatalf("after %q the connection ended: %v", frame, err)
			}
			if string(b) == `{"type":"pong"}` {
				return
			}
			if _, err := scanJSON(b); err != nil {
				t.Fatalf("after %q the server sent %q: %v", frame, b, err)
			}
		}
	})
}
