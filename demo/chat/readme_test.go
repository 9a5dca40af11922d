package chat_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steadyws/steadyws/sdk"
)

// readmeGo is the README's Go example (its "## Go" section), word for word
// but for the demo's URL, which is demoURL here: TestReadmeGoExample
// checks that the two are the same text, then runs it against the demo's
// server, so the example a reader copies works.
func readmeGo(ctx context.Context, demoURL string) error {
	type Chat struct{ Nick, Text string }
	type Args struct{ A, B int }
	type Sum struct{ Sum int }

	c, err := sdk.Dial(ctx, demoURL, nil) // reconnects by itself from now on
	if err != nil {
		return err
	}
	defer c.Close()
	sdk.Handle(c, "chat", func(ctx context.Context, m Chat) { fmt.Println(m.Nick, m.Text) })
	if err := sdk.Send(ctx, c, "chat", Chat{Text: "hi"}); err != nil { // queued while disconnected
		return err
	}
	sum, err := sdk.Request[Sum](ctx, c, "sum", Args{A: 1, B: 2}) // fails fast if the connection drops
	if err != nil {
		return err
	}
	fmt.Println("1 + 2 =", sum.Sum)
	return nil
}

func TestReadmeGoExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)\n## Go\n\n```go\n(.*?)```\n").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no ```go block under ## Go")
	}
	want := strings.ReplaceAll(string(m[1]), `"ws://127.0.0.1:8001/ws"`, "demoURL")
	src, err := os.ReadFile("readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	body := regexp.MustCompile(`(?s)func readmeGo\(ctx context.Context, demoURL string\) error \{\n(.*?)\treturn nil\n\}`).FindSubmatch(src)
	if body == nil {
		t.Fatal("readmeGo not found")
	}
	got := regexp.MustCompile(`(?m)^\t`).ReplaceAllString(string(body[1]), "")
	if got != want {
		t.Fatalf("the README's Go example and readmeGo differ:\nREADME:\n%s\nreadmeGo:\n%s", want, got)
	}

	base := start(t)
	echo := regexp.MustCompile(`(?m)^guest-\S+ hi$`)
	// The echo's handler may still be running when Close returns:
	// handlers run on a goroutine of their own, to the end.
	out := captureStdout(t, func() {
		if err := readmeGo(ctxFor(t, 10*time.Second), wsURL(base)); err != nil {
			t.Errorf("the README's example: %v", err)
		}
	}, func(out string) bool { return echo.MatchString(out) })
	if !echo.MatchString(out) || !strings.Contains(out, "1 + 2 = 3\n") {
		t.Errorf("the README's example printed %q, want the echo of its line (guest-… hi) and 1 + 2 = 3", out)
	}
}

// captureStdout returns what f prints, and what goroutines it started
// print until done says it is all there (for at most 5 s).
func captureStdout(t *testing.T, f func(), done func(string) bool) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	var mu sync.Mutex
	var b bytes.Buffer
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		buf := make([]byte, 512)
		for {
			n, err := r.Read(buf)
			mu.Lock()
			b.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	f()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		ok := done(b.String())
		mu.Unlock()
		if ok {
			break
		}
	}
	os.Stdout = old
	w.Close()
	<-copied
	return b.String()
}
