package chat_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawHandshake sends request as is on a fresh TCP connection and returns
// the response, within 3 s.
func rawHandshake(t *testing.T, base, request string) (*http.Response, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.WriteString(conn, strings.ReplaceAll(request, "\n", "\r\n")); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	var body string
	if resp.StatusCode != http.StatusSwitchingProtocols {
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("reading the body: %v", err)
		}
		body = string(b)
	}
	return resp, body
}

// The seed tutorial's example request. Its printed response pairs this
// key with a wrong accept value; base64(SHA-1(key + GUID)) is the one
// below.
const seedRequest = `GET /ws HTTP/1.1
Host: 127.0.0.1:8001
Upgrade: websocket
Connection: Upgrade
Sec-WebSocket-Key: sN9cRrP/n9NdMgdcy2VJFQ==
Sec-WebSocket-Version: %s

`

func TestHandshakeSeedKey(t *testing.T) {
	base := start(t)
	resp, _ := rawHandshake(t, base, strings.Replace(seedRequest, "%s", "13", 1))
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d, want 101", resp.StatusCode)
	}
	if got, want := resp.Header.Get("Sec-WebSocket-Accept"), "fFBooB7FAkLlXgRSz0BT3v4hq5s="; got != want {
		t.Errorf("Sec-WebSocket-Accept %q, want %q", got, want)
	}
	if !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") {
		t.Errorf("Upgrade %q, want websocket", resp.Header.Get("Upgrade"))
	}
}

func TestHandshakeOldVersionGets426(t *testing.T) {
	base := start(t)
	resp, body := rawHandshake(t, base, strings.Replace(seedRequest, "%s", "8", 1))
	if resp.StatusCode != http.StatusUpgradeRequired {
		t.Fatalf("status %d, want 426; body %q", resp.StatusCode, body)
	}
	if got := resp.Header.Get("Sec-WebSocket-Version"); got != "13" {
		t.Errorf("Sec-WebSocket-Version %q, want 13", got)
	}
}

func TestPlainGETGetsClear4xx(t *testing.T) {
	base := start(t)
	start := time.Now()
	client := &http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get(base + "/ws")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusUpgradeRequired {
		t.Fatalf("status %d, want 426", resp.StatusCode)
	}
	if !strings.Contains(string(body), "WebSocket") {
		t.Errorf("body %q does not say what /ws is", body)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("answer took %v", d)
	}
}

func TestStaticContentTypes(t *testing.T) {
	base := start(t)
	for path, want := range map[string]string{
		"/":          "text/html; charset=utf-8",
		"/app.js":    "text/javascript; charset=utf-8",
		"/style.css": "text/css; charset=utf-8",
	} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != want {
			t.Errorf("%s: %d %q, want 200 %q", path, resp.StatusCode, resp.Header.Get("Content-Type"), want)
		}
	}
	// Without a dist directory the SDK's files are a 404 that says what to do.
	resp, err := http.Get(base + "/dist/steadyws.wasm")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.Contains(string(body), "make wasm") {
		t.Errorf("/dist/ without dist: %d %q", resp.StatusCode, body)
	}
}
