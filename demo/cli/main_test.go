package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steadyws/steadyws/demo/chat"
	"github.com/steadyws/steadyws/sdk"
)

// syncBuffer is the terminal the CLI prints to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startChat starts a demo chat server until the test ends; url is its
// WebSocket endpoint.
func startChat(t *testing.T) (ts *httptest.Server, url string) {
	cs := chat.New(&chat.Options{Logger: slog.New(slog.DiscardHandler)})
	ts = httptest.NewServer(cs)
	t.Cleanup(func() {
		cs.Close()
		ts.Close()
	})
	return ts, "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws"
}

func waitFor(t *testing.T, out *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the terminal never showed %q; it shows:\n%s", want, out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The terminal client joins, chats both ways with another client, shows a
// reconnect, and leaves at end of input.
func TestTerminalChats(t *testing.T) {
	ts, url := startChat(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// The other side: a plain sdk client.
	type chatMsg struct{ Nick, Text string }
	type presence struct {
		Users []struct{ Nick, Agent string }
	}
	got := make(chan chatMsg, 10)
	terminal := make(chan struct{})
	var once sync.Once
	ada, err := sdk.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ada.Close()
	sdk.Handle(ada, "chat", func(_ context.Context, m chatMsg) { got <- m })
	sdk.Handle(ada, "presence", func(_ context.Context, p presence) {
		for _, u := range p.Users {
			if u.Nick == "term" && u.Agent == "terminal" {
				once.Do(func() { close(terminal) })
			}
		}
	})
	if _, err := sdk.Request[struct{}](ctx, ada, "join", map[string]string{"nick": "ada"}); err != nil {
		t.Fatal(err)
	}

	stdin, typing := io.Pipe()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-nick", "term", "-url", url}, stdin, out) }()

	waitFor(t, out, "* joined as term · online: ada, term")
	select {
	case <-terminal: // the CLI answered whoami
	case <-time.After(5 * time.Second):
		t.Fatal("ada never saw term's whoami answer in presence")
	}
	io.WriteString(typing, "hello from the terminal\n")
	select {
	case m := <-got:
		if m.Nick != "term" || m.Text != "hello from the terminal" {
			t.Errorf("ada got %+v", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ada never got the terminal's message")
	}
	if err := sdk.Send(ctx, ada, "chat", map[string]string{"text": "hi term"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, out, "<ada> hi term")

	io.WriteString(typing, "/sum 2 40\n")
	waitFor(t, out, "2 + 40 = 42")

	// A dropped connection is shown, and the client joins again.
	resp, err := ts.Client().Post(ts.URL+"/fault/drop?nick=term", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	waitFor(t, out, "* connection lost (code 1006")
	waitFor(t, out, "* reconnected (reconnect #1)")
	waitFor(t, out, "* reconnected (reconnect #1)")
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(out.String(), "* joined as term") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the client did not join again after reconnecting:\n%s", out)
		}
		time.Sleep(10 * time.Millisecond)
	}

	typing.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the client did not exit at end of input")
	}
}

func TestTakenNickIsFatal(t *testing.T) {
	_, url := startChat(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ada, err := sdk.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ada.Close()
	if _, err := sdk.Request[struct{}](ctx, ada, "join", map[string]string{"nick": "ada"}); err != nil {
		t.Fatal(err)
	}
	stdin, typing := io.Pipe()
	defer typing.Close()
	err = run(ctx, []string{"-nick", "ada", "-url", url}, stdin, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "already in the room") {
		t.Errorf("run with a taken nick: %v", err)
	}
}

// A line the server echoed back has arrived: a drop right after it (before
// the SDK could confirm it with a ping) must not make the terminal call it
// lost, as the SDK's own UnconfirmedError would.
func TestEchoedLineIsNotCalledLost(t *testing.T) {
	ts, url := startChat(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	stdin, typing := io.Pipe()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-nick", "term", "-url", url}, stdin, out) }()
	waitFor(t, out, "* joined as term")
	for i := range 3 {
		line := "line " + strconv.Itoa(i)
		io.WriteString(typing, line+"\n")
		waitFor(t, out, "<term> "+line)
	}
	resp, err := ts.Client().Post(ts.URL+"/fault/drop?nick=term", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	waitFor(t, out, "* reconnected (reconnect #1)")
	io.WriteString(typing, "after\n")
	waitFor(t, out, "<term> after")
	typing.Close()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
	if s := out.String(); strings.Contains(s, "may not have arrived") {
		t.Errorf("an echoed line was called lost:\n%s", s)
	}
}

// Only lines never echoed are reported, the queued tail excepted.
func TestSentLinesLost(t *testing.T) {
	s := &sentLines{text: map[string]string{}}
	a, b, c, d := s.add("a"), s.add("b"), s.add("c"), s.add("d")
	s.echoed(a)
	s.echoed(c)
	_ = b
	_ = d
	// b and d unechoed; d is still queued: only b may be lost.
	if got := s.lost(5, 1); len(got) != 1 || got[0] != "b" {
		t.Errorf("lost = %q, want [b]", got)
	}
	if got := s.lost(5, 0); len(got) != 1 || got[0] != "d" {
		t.Errorf("then lost = %q, want [d]", got)
	}
	if len(s.order) != 0 || len(s.text) != 0 {
		t.Errorf("left %v %v", s.order, s.text)
	}
}
