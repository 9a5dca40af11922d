//go:build !js

package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/steadyws/steadyws/sdk/internal/rawloop"
	"github.com/steadyws/steadyws/sdk/server"
)

// BenchmarkRequest is serverbench's request throughput as a benchmark, for
// -cpuprofile: one client, one request at a time, against sdk/server with
// serverbench's handler (data decoded into a map and encoded again), with
// one that takes the data as it is (json.RawMessage: the server's own
// cost), and against a hand-written coder/websocket loop (Raw).
func BenchmarkRequest(b *testing.B) {
	b.Run("Server", func(b *testing.B) {
		srv := server.New(nil)
		server.HandleRequest(srv, "echo", func(ctx context.Context, c *server.Conn, in map[string]any) (map[string]any, error) { return in, nil })
		benchRequests(b, srv)
		_ = srv.Shutdown(context.Background())
	})
	b.Run("ServerRawMessage", func(b *testing.B) {
		srv := server.New(nil)
		server.HandleRequest(srv, "echo", func(ctx context.Context, c *server.Conn, in json.RawMessage) (json.RawMessage, error) { return in, nil })
		benchRequests(b, srv)
		_ = srv.Shutdown(context.Background())
	})
	b.Run("Raw", func(b *testing.B) { benchRequests(b, http.HandlerFunc(rawloop.Serve)) })
}

func benchRequests(b *testing.B, h http.Handler) {
	ts := httptest.NewServer(h)
	defer ts.Close()
	ctx := context.Background()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ws.CloseNow()
	b.ReportAllocs()
	var req []byte
	for i := 0; b.Loop(); i++ {
		req = append(req[:0], `{"type":"echo","id":`...)
		req = strconv.AppendInt(req, int64(i+1), 10)
		req = append(req, `,"data":{"n":1}}`...)
		if err := ws.Write(ctx, websocket.MessageText, req); err != nil {
			b.Fatal(err)
		}
		if _, _, err := ws.Read(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
