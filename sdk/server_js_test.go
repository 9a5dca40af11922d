package sdk_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/steadyws/steadyws/sdk/internal/testserver"
)

// newServer asks the test server factory (started by the Makefile, which
// passes its URL in STEADYWS_FACTORY) for a fresh server for one test. A
// page cannot listen for connections, so the server runs natively.
func newServer(t *testing.T) *testserver.Remote {
	t.Helper()
	factory := os.Getenv("STEADYWS_FACTORY")
	if factory == "" {
		t.Fatal("STEADYWS_FACTORY is not set: run the browser tests with `make test`, which starts the test server factory")
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
