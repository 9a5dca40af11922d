//go:build !js

package sdk_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The browser build must stay small (README.md, Performance, "Size"):
// native-only settings such as WithTLSConfig and WithHTTPClient must not
// drag their packages into the wasm that pages load, and the JavaScript
// API's build does without package time (which alone links internal/godebug
// and time formatting, about 45 KB brotli) and package context, which
// imports it (see clock.go).
func TestBrowserBuildLeavesOutNativePackages(t *testing.T) {
	// go test puts the go command that runs it first in PATH.
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command to list the browser build's packages: %v", err)
	}
	cmd := exec.Command(gobin, "list", "-deps", "-tags", "steadyws_nojson", "./wasm")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		deps[p] = true
	}
	if !deps["github.com/steadyws/steadyws/sdk"] {
		t.Fatalf("go list did not list the sdk:\n%s", out)
	}
	for _, heavy := range []string{"net/http", "crypto/tls", "crypto/x509", "net/url", "net", "time", "context", "internal/godebug"} {
		if deps[heavy] {
			t.Errorf("the browser build imports %s", heavy)
		}
	}
}
