package jsws

import (
	"os"
	"testing"
)

func TestShimSourceIsCurrent(t *testing.T) {
	c, err := os.ReadFile("constants.js")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("shim.js")
	if err != nil {
		t.Fatal(err)
	}
	if string(c)+string(src) != shimSource {
		t.Fatal("shim_source.go is older than constants.js or shim.js: run `go generate ./sdk/internal/jsws`")
	}
}
