//go:build !js

package sdk_test

import (
	"context"
	"testing"

	"github.com/steadyws/steadyws/sdk"
)

// BenchmarkRequestRTT is one sequential request/reply round trip over
// loopback against the test server (compare: make bench, clients E and F).
func BenchmarkRequestRTT(b *testing.B) {
	srv, err := startBenchServer()
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	c, err := sdk.Dial(ctx, srv.URL(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	in := echoMsg{N: 1, Text: "hello, world"}
	for b.Loop() {
		if _, err := sdk.Request[echoMsg](ctx, c, "echo", in); err != nil {
			b.Fatal(err)
		}
	}
}
