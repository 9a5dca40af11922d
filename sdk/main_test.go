package sdk_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/steadyws/steadyws/sdk"
	"go.uber.org/goleak"
)

// TestMain fails the run if a test leaves a goroutine behind: a closed
// client must leave nothing running.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, leakOptions...)
}

// eventually polls cond until it holds or d passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// recorder collects a client's events for assertions.
type recorder struct {
	mu     sync.Mutex
	states []sdk.State
	closes []sdk.CloseInfo
	errs   []error
	opens  int
}

func record(c *sdk.Client) *recorder {
	r := &recorder{}
	c.OnStateChange(func(s sdk.State) { r.mu.Lock(); r.states = append(r.states, s); r.mu.Unlock() })
	c.OnClose(func(i sdk.CloseInfo) { r.mu.Lock(); r.closes = append(r.closes, i); r.mu.Unlock() })
	c.OnError(func(err error) { r.mu.Lock(); r.errs = append(r.errs, err); r.mu.Unlock() })
	c.OnOpen(func(context.Context) { r.mu.Lock(); r.opens++; r.mu.Unlock() })
	return r
}

func (r *recorder) errors() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs...)
}

func (r *recorder) closeInfos() []sdk.CloseInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sdk.CloseInfo(nil), r.closes...)
}

func (r *recorder) openCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.opens
}

func (r *recorder) stateList() []sdk.State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sdk.State(nil), r.states...)
}

// fast are options that make the behaviour tests quick: short backoff
// without jitter, heartbeat off unless a test turns it on.
func fast() *sdk.Options {
	return &sdk.Options{
		Backoff:   sdk.Backoff{Initial: 20 * time.Millisecond, Max: 200 * time.Millisecond, Jitter: -1},
		Heartbeat: sdk.Heartbeat{Interval: -1},
	}
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func dial(t *testing.T, url string, o *sdk.Options) *sdk.Client {
	t.Helper()
	c, err := sdk.Dial(ctxFor(t, 5*time.Second), url, o)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
