package jsws

import (
	"os"
	"testing"
)

func TestShimSourceIsCurrent(t *testing.T) {
	src, err := os.ReadFile("shim.js")
	if err != nil {
		t.Fatal(err)
	}
	if string(src) != shimSource {
		t.Fatal("shim_source.go is older than shim.js: run `go generate ./sdk/internal/jsws`")
	}
}
