package web_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steadyws/steadyws/demo/chat"
	"github.com/steadyws/steadyws/demo/internal/driver"
	"github.com/steadyws/steadyws/sdk"
)

// TestPageEndToEnd runs the real page, on the real built SDK, in headless
// Chromium against the demo server, and does what a user would: join,
// chat with a native client, lose the connection, and send during a
// server restart.
func TestPageEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := startDemo(t)
	page := openPage(t, base+"/?restartMs=1500")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	// Join and talk to ourselves.
	must(page.Join("ada"))
	must(page.Say("hello from the page"))
	must(page.WaitMessage("hello from the page", "delivered", 5*time.Second))

	// A native client joins the same room; the page sees it, and they chat
	// both ways.
	bob := joinNative(t, ctx, "ws"+strings.TrimPrefix(base, "http")+"/ws", "bob")
	must(page.WaitFor(`[...document.querySelectorAll("#users .user")].some((li) => li.textContent.includes("bob") && li.textContent.includes("terminal"))`,
		"bob (terminal) in the user list", 5*time.Second))
	must(sdk.Send(ctx, bob.Client, "chat", map[string]string{"text": "hi ada, from Go"}))
	must(page.WaitMessage("hi ada, from Go", "", 5*time.Second))
	must(page.Say("hi bob, from the browser"))
	bob.waitChat(t, "ada", "hi bob, from the browser")

	// "Drop my connection": the badge goes reconnecting, then open, and
	// the page joins again.
	must(page.Eval(`(() => {
		window.__badge = [];
		const b = document.getElementById("badge");
		new MutationObserver(() => window.__badge.push(b.dataset.state)).observe(b, { attributes: true, attributeFilter: ["data-state"] });
		return true;
	})()`, nil))
	must(page.Click(`[data-fault="drop"]`))
	must(page.WaitFor(`window.__badge.includes("reconnecting") && window.__badge.lastIndexOf("open") > window.__badge.indexOf("reconnecting")`,
		"the badge to go reconnecting → open", 10*time.Second))
	must(page.WaitFor(`document.getElementById("log").textContent.includes("joined again as ada")`, "the page to join again", 5*time.Second))
	var states []string
	must(page.Eval(`window.__badge`, &states))
	t.Logf("badge after the drop: %v", states)

	// "Restart the server" (1.5 s here): a message typed during the outage
	// is shown queued, then delivered exactly once.
	must(page.Click(`[data-fault="restart"]`))
	must(page.WaitFor(`document.getElementById("badge").dataset.state === "reconnecting"`, "the outage", 5*time.Second))
	const during = "typed during the outage"
	must(page.Say(during))
	st, err := page.Messages(during)
	must(err)
	if len(st) != 1 || st[0] != "queued" {
		t.Errorf("right after sending during the outage the message shows %v, want [queued]", st)
	}
	if err := page.WaitFor(`document.getElementById("stat-queued").textContent !== "0"`, "the queued count to show the message", time.Second); err != nil {
		t.Error(err)
	}
	must(page.WaitMessage(during, "delivered", 20*time.Second))
	must(page.WaitFor(`document.getElementById("badge").dataset.state === "open"`, "the badge to say open", 5*time.Second))
	time.Sleep(500 * time.Millisecond) // room for a duplicate to show up
	st, err = page.Messages(during)
	must(err)
	if len(st) != 1 || st[0] != "delivered" {
		t.Errorf("after the outage the list holds %v for the message, want it once, delivered", st)
	}
	if n := bob.count("ada", during); n > 1 {
		t.Errorf("bob got the message %d times", n)
	}

	// After all that, the native client and the page still talk.
	must(sdk.Send(ctx, bob.Client, "chat", map[string]string{"text": "welcome back"}))
	must(page.WaitMessage("welcome back", "", 10*time.Second))
	must(page.Say("thanks bob"))
	bob.waitChat(t, "ada", "thanks bob")

}

// "Go silent" makes the server stop reading and writing without closing:
// only the page's heartbeat (shortened here) can notice, and the page
// reconnects and takes its nickname back from the dead connection.
func TestPageNoticesSilence(t *testing.T) {
	base := startDemo(t)
	page := openPage(t, base+"/?silentMs=10000&heartbeatMs=500&heartbeatTimeoutMs=700")
	if err := page.Join("ada"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := page.Click(`[data-fault="silent"]`); err != nil {
		t.Fatal(err)
	}
	if err := page.WaitFor(`document.getElementById("badge").dataset.state === "reconnecting"`, "the heartbeat to notice", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("silence noticed after %v", time.Since(start).Round(time.Millisecond))
	if err := page.WaitFor(`document.getElementById("log").textContent.includes("joined again as ada")`, "the page to join again", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := page.Say("anyone there?"); err != nil {
		t.Fatal(err)
	}
	if err := page.WaitMessage("anyone there?", "delivered", 5*time.Second); err != nil {
		t.Fatal(err)
	}
}

// startDemo runs the demo server on 127.0.0.1 with the built SDK and
// returns its base URL. Without the SDK it fails: this test is what proves
// the page works, so it never skips.
func startDemo(t *testing.T) string {
	t.Helper()
	dist, err := chat.FindDist("")
	if err != nil {
		t.Fatalf("the end-to-end test needs the built SDK (or STEADYWS_DIST pointing at it): %v", err)
	}
	logger := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cs := chat.New(&chat.Options{Dist: dist, Logger: logger})
	hs := &http.Server{Handler: cs}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close(); cs.Close() })
	return "http://" + ln.Addr().String()
}

// One browser serves every test of the package (it takes seconds to start).
var (
	browserOnce sync.Once
	browser     *driver.Browser
	browserErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if browser != nil {
		browser.Close()
	}
	os.Exit(code)
}

// openPage opens url in a tab of headless Chromium; the test fails if the
// page throws.
func openPage(t *testing.T, url string) *driver.Page {
	t.Helper()
	return openPageReady(t, url, "")
}

// openPageReady is openPage for any page: ready, a JavaScript expression,
// says when it is loaded ("" for the demo page's own test).
func openPageReady(t *testing.T, url, ready string) *driver.Page {
	t.Helper()
	browserOnce.Do(func() { browser, browserErr = driver.Launch() })
	if browserErr != nil {
		t.Fatal(browserErr)
	}
	var mu sync.Mutex
	var exceptions []string
	logf := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		t.Logf("page: %s", msg)
		if strings.HasPrefix(msg, "EXCEPTION") {
			mu.Lock()
			exceptions = append(exceptions, msg)
			mu.Unlock()
		}
	}
	var page *driver.Page
	var err error
	if ready == "" {
		page, err = browser.Open(url, 1280, 800, logf)
	} else {
		page, err = browser.OpenAny(url, ready, logf)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		page.Close()
		mu.Lock()
		defer mu.Unlock()
		if len(exceptions) > 0 {
			t.Errorf("the page threw: %v", exceptions)
		}
	})
	return page
}
