//go:build !js

package sdk_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/coder/websocket"

	"github.com/steadyws/steadyws/sdk"
)

// BenchmarkRequestRTT is one sequential request/reply round trip over
// loopback against the test server (compare: make bench, clients E and F).
func BenchmarkRequestRTT(b *testing.B) {
	ctx := context.Background()
	c := benchClient(b, benchServerURL(b))
	in := echoMsg{N: 1, Text: "hello, world"}
	for b.Loop() {
		if _, err := sdk.Request[echoMsg](ctx, c, "echo", in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRequestPipelined is 1,000 requests in flight at once, one
// goroutine each, as the bench's pipelined workload does (client F).
func BenchmarkRequestPipelined(b *testing.B) {
	ctx := context.Background()
	c := benchClient(b, benchServerURL(b))
	const inFlight = 1000
	for b.Loop() {
		var wg sync.WaitGroup
		for i := range inFlight {
			wg.Go(func() {
				if _, err := sdk.Request[echoMsg](ctx, c, "echo", echoMsg{N: i, Text: "hello, world"}); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*inFlight), "ns/request")
}

// BenchmarkCoderPipelined is BenchmarkRequestPipelined's workload on raw
// coder/websocket and encoding/json, one writer and one reader (client E).
func BenchmarkCoderPipelined(b *testing.B) {
	ctx := context.Background()
	ws, _, err := websocket.Dial(ctx, benchServerURL(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ws.CloseNow()
	type env struct {
		Type string  `json:"type"`
		ID   int64   `json:"id,omitempty"`
		Re   int64   `json:"re,omitempty"`
		Data echoMsg `json:"data"`
	}
	const inFlight = 1000
	var id int64
	for b.Loop() {
		first := id + 1
		werr := make(chan error, 1)
		go func() {
			for i := range int64(inFlight) {
				out, err := json.Marshal(env{Type: "echo", ID: first + i, Data: echoMsg{N: int(i), Text: "hello, world"}})
				if err == nil {
					err = ws.Write(ctx, websocket.MessageText, out)
				}
				if err != nil {
					werr <- err
					return
				}
			}
			werr <- nil
		}()
		for range inFlight {
			id++
			_, in, err := ws.Read(ctx)
			if err != nil {
				b.Fatal(err)
			}
			var e env
			if err := json.Unmarshal(in, &e); err != nil || e.Re != id {
				b.Fatalf("reply %+v, want re %d: %v", e, id, err)
			}
		}
		if err := <-werr; err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*inFlight), "ns/request")
}

// benchServerURL starts a test server for one benchmark.
func benchServerURL(b *testing.B) string {
	b.Helper()
	srv, err := startBenchServer()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	return srv.URL()
}

// benchClient dials url for one benchmark.
func benchClient(b *testing.B, url string) *sdk.Client {
	b.Helper()
	c, err := sdk.Dial(context.Background(), url, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}
