//go:build !js

package sdk

import (
	"bytes"
	"os"
	"regexp"
	"testing"
)

// TestAPIForJSAPIBuild keeps api_jsapi.go, the JavaScript API build's copy
// of api.go, in step with it: the same declarations, with the clock seam's
// names for time.Duration, time.Time and context.Context.
func TestAPIForJSAPIBuild(t *testing.T) {
	src, err := os.ReadFile("api.go")
	if err != nil {
		t.Fatal(err)
	}
	want := apiForJSAPIBuild(src)
	if *updateJS {
		if err := os.WriteFile("api_jsapi.go", want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("api_jsapi.go")
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("api_jsapi.go is out of date with api.go (%v): run go test ./sdk -run TestAPIForJSAPIBuild -update", err)
	}
}

func apiForJSAPIBuild(src []byte) []byte {
	s := string(src)
	s = regexp.MustCompile(`(?s)^//go:build [^\n]*\n`).ReplaceAllString(s, "// Code generated from sdk/api.go by `go test ./sdk -run TestAPIForJSAPIBuild -update`. DO NOT EDIT.\n\n//go:build js && steadyws_nojson\n")
	s = regexp.MustCompile(`(?s)\nimport \([^)]*\)\n`).ReplaceAllString(s, "")
	for _, r := range []struct{ from, to string }{
		{`time\.Duration`, "duration"}, {`time\.Time`, "wallTime"}, {`context\.Context`, "ctxt"},
		{`time\.Millisecond`, "millisecond"}, {`time\.Second`, "second"},
	} {
		s = regexp.MustCompile(`\b`+r.from+`\b`).ReplaceAllString(s, r.to)
	}
	return []byte(s)
}
