//go:build !js

package sdk_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/steadyws/steadyws/sdk/internal/faultproxy"
)

// TestChaosProxy runs the chaos (see chaos_shared_test.go) through a TCP
// proxy that cuts connections, stalls them half-open, delays bytes and
// refuses new connections at random. Longer runs:
//
//	go test ./sdk -run TestChaos -chaos.duration=2m [-chaos.seed=N]
func TestChaosProxy(t *testing.T) {
	d, seed := chaosSetup(t, 4*time.Second)
	srv := newServer(t)
	proxy, err := faultproxy.Start(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	inject := func(ctx context.Context) {
		proxy.Run(ctx, faultproxy.Chaos{Seed: seed, Gap: 250 * time.Millisecond, MaxDelay: 40 * time.Millisecond, MaxHold: 500 * time.Millisecond})
	}
	tally := runChaos(t, 4, "ws://"+proxy.Addr()+"/ws", srv.Received, seed, d, inject)
	st := proxy.Stats()
	faults := fmt.Sprintf("cut=%d stall=%d delay=%d refuse=%d conns_cut=%d conns_stalled=%d conns_refused=%d",
		st.Cuts, st.Stalls, st.Delays, st.Refusals, st.ConnsCut, st.ConnsStalled, st.ConnsRefused)
	summary := tally.summary("TestChaosProxy", seed, d, faults)
	t.Log(summary)
	fmt.Println(summary)
	tally.check(t)
}
