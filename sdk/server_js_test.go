package sdk_test

import (
	"context"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/steadyws/steadyws/sdk/internal/testserver"
)

// newServer asks the test server factory (started by js/browsertest.sh,
// which passes its URL in STEADYWS_FACTORY) for a fresh server for one test. A
// page cannot listen for connections, so the server runs natively.
func newServer(t *testing.T) *testserver.Remote {
	t.Helper()
	factory := os.Getenv("STEADYWS_FACTORY")
	if factory == "" {
		t.Fatal("STEADYWS_FACTORY is not set: run the browser tests with js/browsertest.sh (make test-browser), which starts the test server factory")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := testserver.NewRemote(ctx, factory, t.Fatalf)
	if err != nil {
		t.Fatalf("test server factory: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// handshakeStatusVisible: browsers hide the HTTP status of a rejected
// handshake from pages (it looks like any failed connection, close 1006).
const handshakeStatusVisible = false

// The Go runtime in a browser keeps a goroutine parked to deliver
// JavaScript events (js.Func calls); it is not the client's.
var leakOptions = []goleak.Option{goleak.IgnoreAnyFunction("runtime.handleEvent")}
