package chat_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/steadyws/steadyws/demo/chat"
)

func TestDistContentTypes(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"steadyws.wasm": "\x00asm\x01\x00\x00\x00",
		"wasm_exec.js":  "// go",
		"steadyws.mjs":  "export {}",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cs := chat.New(&chat.Options{Dist: dir, Logger: slog.New(slog.DiscardHandler)})
	ts := httptest.NewServer(cs)
	defer cs.Close()
	defer ts.Close()
	for name, want := range map[string]string{
		"steadyws.wasm": "application/wasm",
		"wasm_exec.js":  "text/javascript; charset=utf-8",
		"steadyws.mjs":  "text/javascript; charset=utf-8",
	} {
		resp, err := http.Get(ts.URL + "/dist/" + name)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != want {
			t.Errorf("%s: %d %q, want 200 %q", name, resp.StatusCode, resp.Header.Get("Content-Type"), want)
		}
	}
}

func TestFindDist(t *testing.T) {
	dir := t.TempDir()
	if _, err := chat.FindDist(dir); err == nil {
		t.Fatal("FindDist accepted a directory without steadyws.wasm")
	}
	if err := os.WriteFile(filepath.Join(dir, "steadyws.wasm"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("STEADYWS_DIST", dir)
	if got, err := chat.FindDist(""); err != nil || got != dir {
		t.Fatalf("FindDist(\"\") with STEADYWS_DIST = %q, %v; want %q", got, err, dir)
	}
}
