package js_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGoProgramInPage runs a Go program built on the typed Go API in a page
// that hands it its wasm exports, as shipped Go programs are loaded (the sdk
// suite under wasmbrowsertest runs without them): text frames with
// multi-byte UTF-8, binary frames from empty to 70 KiB and requests,
// interleaved, must all come back intact and in order, and events sent
// just before Close must reach the server ahead of the close frame.
func TestGoProgramInPage(t *testing.T) {
	ctx := page(t)
	s := newServer(t)
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "goprog.wasm"), "./internal/goprog")
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the Go program: %v\n%s", err, out)
	}
	serveDir(t, "/goprog/", dir)
	var rep struct {
		Fast                           bool
		Binary, Events, Replies, Marks int
		Err                            string
	}
	// The page loads Go's wasm_exec.js itself, as such pages do (steadyws.mjs
	// does not leave its Go class on the page).
	run(t, ctx, s, `
await import("/dist/wasm_exec.js?goprog");   // a URL of its own: the loader imported the plain one
const go = new Go();
const { instance } = await WebAssembly.instantiateStreaming(fetch("/goprog/goprog.wasm"), go.importObject);
globalThis[Symbol.for("steadyws.exports")] = instance.exports;
go.run(instance);
return JSON.parse(await globalThis.goprog.run(WS));
`, &rep)
	if rep.Err != "" {
		t.Fatalf("the Go program failed: %s (report %+v)", rep.Err, rep)
	}
	if !rep.Fast {
		t.Fatal("the shim did not take the program's wasm exports: the test ran the slow path")
	}
	if rep.Binary != 70 || rep.Events != 70 || rep.Replies != 70 || rep.Marks != 50 {
		t.Fatalf("report %+v, want 70 of each echo and 50 marks sent", rep)
	}
	var got []struct{ Type string }
	s.ctl(t, "received", nil, &got)
	marks := 0
	for _, m := range got {
		if m.Type == "mark" {
			marks++
		}
	}
	if marks != 50 {
		t.Fatalf("the server received %d of the 50 marks sent just before Close", marks)
	}
}
