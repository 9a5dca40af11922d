//go:build !js

package main

import (
	"context"
	"testing"
	"time"

	"github.com/steadyws/steadyws/js/bench/internal/coderclient"
	"github.com/steadyws/steadyws/js/bench/internal/sdkclient"
	"github.com/steadyws/steadyws/js/bench/internal/workload"
)

// benchNative runs one native client's workload against the bench server
// per iteration: `go test -bench . -cpuprofile` gives a profile of E or F
// without the browser half of make bench.
func benchNative(b *testing.B, wl string, n, pad int, run func(context.Context, workload.Params) workload.Result) {
	path := "/echo" // as make bench runs the request workloads
	if workload.IsEvents(wl) {
		path = "/ws"
	}
	benchNativeOn(b, path, wl, n, pad, run)
}

// benchUnderDeadline runs as benchNative does, under a context with a
// deadline, as make bench runs every client (-timeout): a Go service that
// works under a deadline of its own.
func benchUnderDeadline(b *testing.B, wl string, n, pad int, run func(context.Context, workload.Params) workload.Result) {
	benchNative(b, wl, n, pad, func(ctx context.Context, p workload.Params) workload.Result {
		ctx, cancel := context.WithTimeout(ctx, 8*time.Minute)
		defer cancel()
		return run(ctx, p)
	})
}

func BenchmarkPipeEUnderDeadline(b *testing.B) {
	benchUnderDeadline(b, "pipelined", 20000, 6, coderclient.Client{}.Run)
}
func BenchmarkPipeFUnderDeadline(b *testing.B) {
	benchUnderDeadline(b, "pipelined", 20000, 6, sdkclient.Run)
}
func BenchmarkRTTEUnderDeadline(b *testing.B) {
	benchUnderDeadline(b, "rtt", 2000, 6, coderclient.Client{}.Run)
}
func BenchmarkRTTFUnderDeadline(b *testing.B) { benchUnderDeadline(b, "rtt", 2000, 6, sdkclient.Run) }

func benchNativeOn(b *testing.B, path, wl string, n, pad int, run func(context.Context, workload.Params) workload.Result) {
	s := newServer(nil)
	if err := s.start(); err != nil {
		b.Fatal(err)
	}
	defer s.close()
	for b.Loop() {
		r := run(context.Background(), workload.Params{Workload: wl, URL: "ws://" + s.addr + path, N: n, Pad: pad, Warmup: 10, TimeoutMs: 60000, Reliable: path == "/reliable"})
		if r.Err != "" {
			b.Fatal(r.Err)
		}
	}
}

func BenchmarkPipeE(b *testing.B) { benchNative(b, "pipelined", 20000, 6, coderclient.Client{}.Run) }
func BenchmarkPipeF(b *testing.B) { benchNative(b, "pipelined", 20000, 6, sdkclient.Run) }
func BenchmarkRTTE(b *testing.B)  { benchNative(b, "rtt", 2000, 6, coderclient.Client{}.Run) }
func BenchmarkRTTF(b *testing.B)  { benchNative(b, "rtt", 2000, 6, sdkclient.Run) }
func BenchmarkBulkE(b *testing.B) { benchNative(b, "bulk", 200, 65470, coderclient.Client{}.Run) }
func BenchmarkBulkF(b *testing.B) { benchNative(b, "bulk", 200, 65470, sdkclient.Run) }

// The event workloads, and H: F in reliable mode.
func BenchmarkEventsE(b *testing.B) { benchNative(b, "events", 20000, 6, coderclient.Client{}.Run) }
func BenchmarkEventsF(b *testing.B) { benchNative(b, "events", 20000, 6, sdkclient.Run) }
func BenchmarkEventsH(b *testing.B) {
	benchNativeOn(b, "/reliable", "events", 20000, 6, sdkclient.Run)
}
