package js_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var loaderPages int

// loaderPage opens a page of its own (load() runs once per page) whose
// module script is body, with the dist/ loader imported as load and a
// fresh test server's ws URL as WS; files are served next to the page, and
// head goes into its <head>. It returns what body's async function
// returned, decoded into out.
func loaderPage(t *testing.T, head string, files map[string][]byte, body string, out any) {
	t.Helper()
	setup(t)
	s := newServer(t)
	wsJSON, _ := json.Marshal(s.WS)
	dir := t.TempDir()
	loaderPages++ // a path of its own for each page: no cached main.js
	prefix := "/" + strings.ReplaceAll(t.Name(), "/", "_") + "-" + strconv.Itoa(loaderPages) + "/"
	files["page.html"] = []byte(`<!doctype html><meta charset="utf-8">` + head + `<script type="module" src="main.js"></script>`)
	files["main.js"] = []byte(`import { load } from "/dist/steadyws.mjs";
const WS = ` + string(wsJSON) + `;
window.result = (async () => {` + body + `})().then((v) => JSON.stringify(v), (e) => JSON.stringify({ thrown: String(e && e.message || e) }));
`)
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	serveDir(t, prefix, dir)
	ctx, cancel := chromedp.NewContext(browserCtx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 30*time.Second)
	defer cancelT()
	var js string
	err := chromedp.Run(ctx, chromedp.Navigate(pageURL+strings.TrimPrefix(prefix, "/")+"page.html"),
		chromedp.Poll(`window.result !== undefined`, nil, chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.Evaluate(`window.result`, &js, await))
	if err != nil {
		t.Fatalf("loader page: %v", err)
	}
	if err := json.Unmarshal([]byte(js), out); err != nil {
		t.Fatalf("loader page returned %s: %v", js, err)
	}
}

// roundTrip is page code: connects to WS and returns the reply to sum 2+3.
const roundTrip = `
const c = steadyws.connect(WS, { heartbeat: { intervalMs: -1 } });
const r = await c.request("sum", { a: 2, b: 3 }, { timeoutMs: 10000 });
c.close();
`

func TestLoadLeavesPageGlobals(t *testing.T) {
	// A page with globals of its own (a bundler's process polyfill, another
	// Go program's Go): load() keeps them, and adds only what is missing.
	var own struct {
		Sum                           int
		SameProcess, SameGo, FS, Path bool
	}
	loaderPage(t, "", map[string][]byte{}, `
		const mine = { env: {} }, MyGo = class {};
		globalThis.process = mine;
		globalThis.Go = MyGo;
		const steadyws = await load({ wasmURL: "/dist/steadyws.wasm" });`+roundTrip+`
		return { Sum: r.sum, SameProcess: globalThis.process === mine, SameGo: globalThis.Go === MyGo,
			FS: typeof globalThis.fs?.writeSync === "function", Path: typeof globalThis.path === "object" };`, &own)
	if own.Sum != 5 || !own.SameProcess || !own.SameGo || !own.FS || !own.Path {
		t.Errorf("page with its own process and Go: %+v; want the sum 5, both kept, fs and path added", own)
	}

	var bare struct {
		Sum   int
		Added []string
	}
	loaderPage(t, "", map[string][]byte{}, `
		const before = new Set(Object.getOwnPropertyNames(globalThis));
		const steadyws = await load();`+roundTrip+`
		return { Sum: r.sum, Added: Object.getOwnPropertyNames(globalThis).filter((k) => !before.has(k) && k !== "result").sort() };`, &bare)
	if bare.Sum != 5 || strings.Join(bare.Added, ",") != "fs,path,process" {
		t.Errorf("load() with no options added globals %v (sum %d); want exactly fs, path, process (what the Go runtime reads; the README names them)", bare.Added, bare.Sum)
	}
}

func TestLoadWrongMIMEFallsBack(t *testing.T) {
	wasm, err := os.ReadFile("../dist/steadyws.wasm")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Sum      int
		Type     string
		Warnings []string
	}
	// .bin is served as application/octet-stream, which browsers refuse to
	// compile while streaming.
	loaderPage(t, "", map[string][]byte{"steadyws.bin": wasm}, `
		const warnings = [];
		const warn = console.warn;
		console.warn = (...a) => { warnings.push(a.join(" ")); warn(...a); };
		const url = new URL("steadyws.bin", location.href);
		const type = (await fetch(url)).headers.get("Content-Type");
		const steadyws = await load({ wasmURL: url });`+roundTrip+`
		return { Sum: r.sum, Type: type, Warnings: warnings };`, &got)
	if got.Type == "application/wasm" {
		t.Fatalf("the test server sent %q: the fallback was not exercised", got.Type)
	}
	if got.Sum != 5 {
		t.Errorf("sum over a wasm served as %q = %d, want 5", got.Type, got.Sum)
	}
	if len(got.Warnings) != 1 || !strings.Contains(got.Warnings[0], "application/wasm") || !strings.Contains(got.Warnings[0], got.Type) {
		t.Errorf("console warnings %q; want one that names %q and application/wasm", got.Warnings, got.Type)
	}
}

func TestLoadWasmModule(t *testing.T) {
	// Strict-CSP pages compile the module themselves and hand it over.
	var got struct {
		Sum     int
		Fetches int
	}
	loaderPage(t, "", map[string][]byte{}, `
		const module = await WebAssembly.compileStreaming(fetch("/dist/steadyws.wasm"));
		const steadyws = await load({ wasmModule: module, wasmURL: "/nothing-here.wasm" });`+roundTrip+`
		const fetches = performance.getEntriesByType("resource").filter((e) => e.name.endsWith(".wasm")).length;
		return { Sum: r.sum, Fetches: fetches };`, &got)
	if got.Sum != 5 || got.Fetches != 1 {
		t.Errorf("load({ wasmModule }): sum %d, %d wasm fetches; want 5 and only the page's own fetch", got.Sum, got.Fetches)
	}
	var bad struct{ Thrown string }
	loaderPage(t, "", map[string][]byte{}, `await load({ wasmModule: new ArrayBuffer(8) });`, &bad)
	if !strings.Contains(bad.Thrown, "wasmModule must be a WebAssembly.Module") {
		t.Errorf("load({ wasmModule: ArrayBuffer }) threw %q", bad.Thrown)
	}
}

func TestLoadNotWasmSaysWhy(t *testing.T) {
	// What a dev server's fallback page looks like where the wasm should be.
	var got struct{ Thrown string }
	loaderPage(t, "", map[string][]byte{"index.html": []byte("<!doctype html><p>app")}, `
		await load({ wasmURL: new URL("index.html", location.href) });`, &got)
	if !strings.Contains(got.Thrown, "is not a WebAssembly module") || !strings.Contains(got.Thrown, "optimizeDeps") {
		t.Errorf("load() of an HTML page threw %q; want it to say it is not wasm and name Vite's optimizeDeps", got.Thrown)
	}
}

func TestLoadUnderStrictCSP(t *testing.T) {
	// The README's policy: scripts from the page's origin, wasm compiled,
	// nothing evaluated from strings.
	const csp = `<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' ws://127.0.0.1:*">`
	var got struct {
		Sum        int
		Violations []string
		Thrown     string
	}
	loaderPage(t, csp, map[string][]byte{}, `
		const violations = [];
		document.addEventListener("securitypolicyviolation", (e) => violations.push(e.violatedDirective + " " + e.blockedURI));
		const wasmModule = await WebAssembly.compileStreaming(fetch("/dist/steadyws.wasm"));
		const steadyws = await load({ wasmModule });`+roundTrip+`
		return { Sum: r.sum, Violations: violations };`, &got)
	if got.Sum != 5 || len(got.Violations) > 0 || got.Thrown != "" {
		t.Errorf("under script-src 'self' 'wasm-unsafe-eval': sum %d, violations %q, thrown %q; want 5 and none", got.Sum, got.Violations, got.Thrown)
	}
}
