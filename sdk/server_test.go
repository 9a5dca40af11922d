//go:build !js

package sdk_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/steadyws/steadyws/sdk/internal/testserver"
)

// newServer starts a fault-injecting test server for one test.
func newServer(t *testing.T) *testserver.Server {
	t.Helper()
	s, err := testserver.Start()
	if err != nil {
		t.Fatalf("start test server: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// handshakeStatusVisible: natively the client sees the HTTP status of a
// rejected handshake.
const handshakeStatusVisible = true

var leakOptions []goleak.Option

func startBenchServer() (*testserver.Server, error) { return testserver.Start() }
