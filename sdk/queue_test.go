package sdk_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/steadyws/steadyws/sdk"
)

// A message larger than Queue.Bytes could never be kept while
// disconnected: it is refused at the call with its size and the limit (not
// "queue full", with the queue empty), and still matches ErrQueueFull.
// Connected, it goes out.
func TestMessageLargerThanQueueBytesRefused(t *testing.T) {
	o := fast()
	o.Queue.Bytes = 100
	big := strings.Repeat("x", 200)
	check := func(when string, err error) {
		t.Helper()
		var tl *sdk.TooLargeError
		if !errors.As(err, &tl) || !errors.Is(err, sdk.ErrQueueFull) || tl.Limit != 100 || tl.Size < 200 ||
			!strings.HasPrefix(err.Error(), "steadyws: message of ") || !strings.HasSuffix(err.Error(), " bytes exceeds Queue.Bytes (100)") {
			t.Errorf("%s: %v, want a *TooLargeError naming the size and Queue.Bytes (100)", when, err)
		}
	}
	// Disconnected: the queue is empty, so "queue full" would be wrong.
	c := sdk.New("ws://127.0.0.1:1/ws", o)
	defer c.Close()
	check("disconnected", sdk.Send(context.Background(), c, "chat", big))
	if err := sdk.Send(context.Background(), c, "chat", "small"); err != nil {
		t.Errorf("a small message after the refused one: %v", err)
	}
	_, err := sdk.Request[echoMsg](ctxFor(t, 200*time.Millisecond), c, "echo", echoMsg{Text: big})
	check("request while disconnected", err)
	srv := newServer(t)
	c2 := dial(t, srv.URL(), o)
	got, err := sdk.Request[echoMsg](ctxFor(t, 5*time.Second), c2, "echo", echoMsg{Text: big})
	if err != nil || got.Text != big {
		t.Errorf("connected, a large request: %v", err)
	}
}

// In the browser, where a page cannot see why a handshake failed, the
// first attempts failing without ever opening are reported once, and
// the client keeps trying; natively the cause is in every close event.
func TestHandshakeThatKeepsFailingIsReportedOnce(t *testing.T) {
	c := sdk.New("ws://127.0.0.1:1/ws?token=s3cret", fast())
	defer c.Close()
	r := record(c)
	eventually(t, 5*time.Second, "6 failed attempts", func() bool { return len(r.closeInfos()) >= 6 })
	var reports []*sdk.UnreachableError
	for _, err := range r.errors() {
		var ue *sdk.UnreachableError
		if errors.As(err, &ue) {
			reports = append(reports, ue)
		}
	}
	if runtime.GOOS != "js" {
		if len(reports) != 0 {
			t.Fatalf("native client reported %v; its close events say why", reports)
		}
		return
	}
	if len(reports) != 1 || reports[0].Attempts != 3 || strings.Contains(reports[0].Error(), "s3cret") ||
		!strings.Contains(reports[0].Error(), "still retrying") {
		t.Fatalf("reports %v, want one UnreachableError after 3 attempts, redacted", reports)
	}
	if s := c.State(); s == sdk.Closed {
		t.Fatal("the client stopped; it should keep retrying")
	}
}
