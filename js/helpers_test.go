package js_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The JS-level tests load dist/steadyws.mjs in headless Chromium and use
// only the public JavaScript API, against the native fault-injecting test
// server (one fresh server per test, from its factory).

func TestMain(m *testing.M) {
	code := m.Run()
	shutdown()
	os.Exit(code)
}

var (
	setupOnce   sync.Once
	setupErr    string
	factoryURL  string
	pageURL     string
	browserCtx  context.Context
	stopBrowser context.CancelFunc
	stopAll     []func()
)

func shutdown() {
	for i := len(stopAll) - 1; i >= 0; i-- {
		stopAll[i]()
	}
}

// setup builds nothing: it needs `make wasm` to have filled dist/, starts
// the test server factory and Chromium once for all tests.
func setup(t *testing.T) {
	t.Helper()
	setupOnce.Do(func() { setupErr = doSetup() })
	if setupErr != "" {
		t.Fatal(setupErr)
	}
}

func doSetup() string {
	dist, _ := filepath.Abs("../dist")
	for _, f := range []string{"steadyws.wasm", "wasm_exec.js", "steadyws.mjs"} {
		if _, err := os.Stat(filepath.Join(dist, f)); err != nil {
			return "dist/" + f + " is missing: run `make wasm` first (make test does)"
		}
	}
	chromium, err := findChromium()
	if err != nil {
		return err.Error()
	}
	if factoryURL = os.Getenv("STEADYWS_FACTORY"); factoryURL == "" {
		u, stop, err := startFactory()
		if err != nil {
			return "start the test server factory: " + err.Error()
		}
		factoryURL = u
		stopAll = append(stopAll, stop)
	}
	mux := http.NewServeMux()
	mux.Handle("/dist/", http.StripPrefix("/dist/", http.FileServer(http.Dir(dist))))
	mux.HandleFunc("/echo-ws", echoOnPageOrigin)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if dir, name, ok := servedFile(r.URL.Path); ok {
			http.ServeFile(w, r, filepath.Join(dir, name))
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(testPage))
	})
	srv := httptest.NewServer(mux)
	stopAll = append(stopAll, srv.Close)
	pageURL = srv.URL + "/"
	profile, err := os.MkdirTemp("", "steadyws-chromium-")
	if err != nil {
		return err.Error()
	}
	stopAll = append(stopAll, func() { os.RemoveAll(profile) })
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.UserDataDir(profile),
		chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browserCtx, stopBrowser = chromedp.NewContext(actx, chromedp.WithErrorf(quietErrorf))
	stopAll = append(stopAll, cancelAlloc, stopBrowser)
	if err := chromedp.Run(browserCtx); err != nil {
		return "start Chromium: " + err.Error()
	}
	return ""
}

func findChromium() (string, error) {
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
	}
	return "", errString("Chromium not found: install Debian's package `chromium` (apt-get install -y chromium); make test does this when run as root")
}

// quietErrorf drops the "unknown IPAddressSpace value" lines that this
// chromedp version prints for newer Chromium events; they are harmless.
func quietErrorf(format string, args ...any) {
	if msg := fmt.Sprintf(format, args...); !strings.Contains(msg, "IPAddressSpace") {
		log.Print(msg)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

// startFactory runs the test server command from the root module and reads
// its URLs; the server exits when its stdin closes.
func startFactory() (string, func(), error) {
	cmd := exec.Command("go", "run", "./sdk/internal/testserver/cmd/testserver")
	cmd.Dir = ".."
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() }
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		stop()
		return "", nil, err
	}
	var urls struct{ Factory string }
	if err := json.Unmarshal([]byte(line), &urls); err != nil || urls.Factory == "" {
		stop()
		return "", nil, errString("bad first line from testserver: " + line)
	}
	return urls.Factory, stop, nil
}

const testPage = `<!doctype html><meta charset="utf-8"><title>steadyws JS tests</title>
<script type="module">
import * as mod from "/dist/steadyws.mjs";
window.mod = mod;
window.ready = mod.load({ wasmURL: "/dist/steadyws.wasm" }).then((api) => { window.steadyws = api; return true; });
</script>`

// server is one fresh test server.
type server struct {
	WS      string `json:"ws"`
	Control string `json:"control"`
	ID      int    `json:"id"`
}

func newServer(t *testing.T) *server {
	t.Helper()
	var s server
	post(t, factoryURL+"/new", &s)
	t.Cleanup(func() { post(t, factoryURL+"/free?id="+itoa(s.ID), nil) })
	return &s
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// ctl calls a control endpoint of s.
func (s *server) ctl(t *testing.T, name string, q url.Values, out any) {
	t.Helper()
	u := s.Control + "/" + name
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	post(t, u, out)
}

func post(t *testing.T, u string, out any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %s", u, resp.Status)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("POST %s: %v", u, err)
		}
	}
}

var served struct {
	sync.Mutex
	dirs  map[string]string // URL prefix -> directory
	trees map[string]string // URL prefix -> directory, subdirectories included
}

// serveDir serves dir's files under prefix (like "/x/") on the page's
// origin until the test ends.
func serveDir(t *testing.T, prefix, dir string) {
	served.Lock()
	defer served.Unlock()
	if served.dirs == nil {
		served.dirs = map[string]string{}
	}
	served.dirs[prefix] = dir
	t.Cleanup(func() {
		served.Lock()
		delete(served.dirs, prefix)
		served.Unlock()
	})
}

// serveTree serves dir and its subdirectories under prefix (like "/x/")
// on the page's origin until the test ends; a path ending in / serves its
// index.html.
func serveTree(t *testing.T, prefix, dir string) {
	served.Lock()
	defer served.Unlock()
	if served.trees == nil {
		served.trees = map[string]string{}
	}
	served.trees[prefix] = dir
	t.Cleanup(func() {
		served.Lock()
		delete(served.trees, prefix)
		served.Unlock()
	})
}

func servedFile(path string) (dir, name string, ok bool) {
	served.Lock()
	defer served.Unlock()
	for prefix, dir := range served.dirs {
		if name, ok := strings.CutPrefix(path, prefix); ok && name != "" && !strings.Contains(name, "/") {
			return dir, name, true
		}
	}
	for prefix, dir := range served.trees {
		if name, ok := strings.CutPrefix(path, prefix); ok && !slices.Contains(strings.Split(name, "/"), "..") {
			if name == "" || strings.HasSuffix(name, "/") {
				name += "index.html"
			}
			return dir, filepath.FromSlash(name), true
		}
	}
	return "", "", false
}

// page opens the test page in a new tab and waits for the API to load.
func page(t *testing.T) context.Context {
	t.Helper()
	setup(t)
	ctx, cancel := chromedp.NewContext(browserCtx)
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancelT)
	var ok bool
	if err := chromedp.Run(ctx, chromedp.Navigate(pageURL), chromedp.Evaluate(`window.ready`, &ok, await)); err != nil || !ok {
		t.Fatalf("load steadyws in the page: %v", err)
	}
	return ctx
}

func await(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }

// run evaluates an async JavaScript function body in the page (with the
// API as steadyws and the server's ws URL as WS) and decodes its result.
func run(t *testing.T, ctx context.Context, s *server, body string, out any) {
	t.Helper()
	ws, ctl := "", ""
	if s != nil {
		ws, ctl = s.WS, s.Control
	}
	wsJSON, _ := json.Marshal(ws)
	ctlJSON, _ := json.Marshal(ctl)
	src := "(async () => { const WS = " + string(wsJSON) + ", CTL = " + string(ctlJSON) + "; const steadyws = window.steadyws;\n" + helpersJS + "\n" + body + "\n})()"
	if err := chromedp.Run(ctx, chromedp.Evaluate(src, out, await)); err != nil {
		t.Fatalf("page script failed: %v\n%s", err, strings.TrimSpace(body))
	}
}

// helpersJS is available to every page script.
const helpersJS = `
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const until = async (what, cond, ms = 5000) => {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error("timed out waiting for " + what);
    await sleep(5);
  }
};
const ctl = async (url) => { const r = await fetch(url, { method: "POST" }); if (!r.ok) throw new Error(url + ": " + r.status); return r.json(); };
const fast = { backoff: { initialMs: 20, maxMs: 200, jitter: -1 }, heartbeat: { intervalMs: -1 } };
const opened = (c) => new Promise((resolve) => { if (c.state === "open") resolve(); else c.addEventListener("open", resolve); });
`
