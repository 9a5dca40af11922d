//go:build !js

package sdk_test

import (
	"testing"

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
