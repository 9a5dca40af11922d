package web_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/steadyws/steadyws/demo/chat"
)

// TestReadmeJSExample runs the README's JavaScript example (its
// "## JavaScript" section) as printed, in Chromium against the demo's
// server: only the URL is the test server's instead of port 8001, and an
// import map points "steadyws" at the demo's /dist/steadyws.mjs, as the
// README's Install section says a page without a bundler does.
func TestReadmeJSExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)\n## JavaScript\n\n```js\n(.*?)```\n").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no ```js block under ## JavaScript")
	}
	code := string(m[1])
	if !strings.Contains(code, `"ws://127.0.0.1:8001/ws"`) {
		t.Fatal("the README's JavaScript example does not connect to the demo's ws://127.0.0.1:8001/ws")
	}
	dist, err := chat.FindDist("")
	if err != nil {
		t.Fatalf("the test needs the built SDK (make wasm): %v", err)
	}
	cs := chat.New(&chat.Options{Dist: dist, Logger: slog.New(slog.DiscardHandler)})
	mux := http.NewServeMux()
	var page string
	mux.HandleFunc("/readme.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(page))
	})
	mux.Handle("/", cs)
	ts := httptest.NewServer(mux)
	t.Cleanup(func() {
		cs.Close()
		ts.Close()
	})
	code = strings.Replace(code, "ws://127.0.0.1:8001/ws", "ws"+strings.TrimPrefix(ts.URL, "http")+"/ws", 1)
	page = `<!DOCTYPE html><html><head>
<script type="importmap">{"imports": {"steadyws": "/dist/steadyws.mjs"}}</script>
<script>window.logged = []; const log = console.log; console.log = (...a) => { window.logged.push(a.join(" ")); log(...a); };</script>
<script type="module">
` + code + `</script></head><body></body></html>`
	p := openPageReady(t, ts.URL+"/readme.html", `window.logged.includes("1 + 2 = 3")`)
	if err := p.WaitFor(`window.logged.some((l) => /^guest-\S+ hi$/.test(l))`, "the echo of the example's line", 10*time.Second); err != nil {
		var logged []string
		_ = p.Eval(`window.logged`, &logged)
		t.Fatalf("%v; the page logged %q", err, logged)
	}
}
