package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/steadyws/steadyws/sdk"
)

// seedPage is the seed tutorial's client, as the tutorial wrote it: it
// connects to ws://127.0.0.1:8001/, sends the input box's text as a plain
// text frame and appends every frame it receives to a box.
const seedPage = `<!DOCTYPE html>
<html>
<head><title>WebSocket client</title></head>
<body>
<input id="msg" type="text" placeholder="Type a message">
<button id="send">Send</button>
<div id="messages"></div>
<script>
const ws = new WebSocket("ws://127.0.0.1:8001/");
ws.onmessage = (event) => {
  const p = document.createElement("p");
  p.textContent = event.data;
  document.getElementById("messages").appendChild(p);
};
document.getElementById("send").onclick = () => {
  const input = document.getElementById("msg");
  ws.send(input.value);
  input.value = "";
};
</script>
</body>
</html>
`

// TestSeedPageChats runs the seed tutorial's page, served from another
// origin as the tutorial's file was, in Chromium against the demo: its
// plain text reaches the room as a chat line, and the room's lines reach
// its box as text.
func TestSeedPageChats(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	base := startDemo(t)
	addr := strings.TrimPrefix(base, "http://")
	html := strings.Replace(seedPage, "127.0.0.1:8001", addr, 1) // the demo's test port instead of 8001
	seed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(html))
	}))
	defer seed.Close()

	grace := joinNative(t, ctx, "ws://"+addr+"/ws", "grace")
	page := openPageReady(t, seed.URL, `ws.readyState === WebSocket.OPEN`)
	var ok bool
	if err := page.Eval(`document.getElementById("msg").value = "hello from the seed"; document.getElementById("send").click(); true`, &ok); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !grace.saw("seed-", "hello from the seed") {
		if time.Now().After(deadline) {
			t.Fatalf("the room never got the seed page's line; grace saw %+v", grace.chats)
		}
		time.Sleep(20 * time.Millisecond)
	}

	if err := sdk.Send(ctx, grace.Client, "chat", map[string]string{"text": "hi, seed page"}); err != nil {
		t.Fatal(err)
	}
	if err := page.WaitFor(`[...document.querySelectorAll("#messages p")].some(p => p.textContent === "grace: hi, seed page")`,
		"the room's line in the seed page's box", 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

// saw reports whether the client got text from a nick starting with prefix.
func (m *nativeMember) saw(prefix, text string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range m.chats {
		if strings.HasPrefix(c.Nick, prefix) && c.Text == text {
			return true
		}
	}
	return false
}
