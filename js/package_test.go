package js_test

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The npm package's template (npm/package.json) names every file that
// ships; make npm copies them and fills in the version from VERSION.

func TestNPMTemplateShipsWhatTheLoaderImports(t *testing.T) {
	var tmpl struct {
		Version *string
		Files   []string
		Exports map[string]json.RawMessage
	}
	b, err := os.ReadFile("npm/package.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &tmpl); err != nil {
		t.Fatal(err)
	}
	if tmpl.Version != nil {
		t.Error("npm/package.json has a version: it comes from VERSION alone")
	}
	src, err := os.ReadFile("steadyws.mjs")
	if err != nil {
		t.Fatal(err)
	}
	// Static imports (import … from "./x.mjs", import "./x.mjs") and the
	// files found with new URL("./x", import.meta.url).
	re := regexp.MustCompile(`(?m)(?:^\s*import\s[^;]*?from\s*"\./([^"]+)"|^\s*import\s*"\./([^"]+)"|new URL\("\./([^"]+)", import\.meta\.url\))`)
	found := re.FindAllSubmatch(src, -1)
	names := []string{"steadyws.mjs", "steadyws.d.ts"}
	for _, m := range found {
		names = append(names, string(m[1])+string(m[2])+string(m[3]))
	}
	for _, want := range []string{"steadyws.wasm", "wasm_exec.js"} {
		if !slices.Contains(names, want) {
			t.Errorf("steadyws.mjs does not find %s with a literal new URL(\"./%s\", import.meta.url)", want, want)
		}
	}
	for _, n := range names {
		if !slices.Contains(tmpl.Files, n) {
			t.Errorf("steadyws.mjs needs %s, which npm/package.json's files list does not ship", n)
		}
	}
}

func TestVersion(t *testing.T) {
	b, err := os.ReadFile("../VERSION")
	if err != nil {
		t.Fatal(err)
	}
	v := string(b)
	if !regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?\n?$`).MatchString(v) {
		t.Errorf("VERSION holds %q, not a semantic version", strings.TrimSpace(v))
	}
}
