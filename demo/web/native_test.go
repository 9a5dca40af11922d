package web_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/steadyws/steadyws/sdk"
)

// nativeMember is an sdk client in the room, as the CLI is: in reliable
// mode.
type nativeMember struct {
	*sdk.Client
	mu    sync.Mutex
	chats []chatMsg
}

type chatMsg struct {
	Nick string `json:"nick"`
	Text string `json:"text"`
}

// joinNative connects an sdk client that joins the room as nick on every
// open and answers whoami as a terminal.
func joinNative(t *testing.T, ctx context.Context, url, nick string) *nativeMember {
	t.Helper()
	// sdk.New starts connecting at once: hold the first dial until the
	// handlers are registered, or the first OnOpen could be missed.
	ready := make(chan struct{})
	joined := make(chan error, 10)
	m := &nativeMember{Client: sdk.New(url, &sdk.Options{
		Reliable: true,
		Backoff:  sdk.Backoff{Initial: 100 * time.Millisecond, Max: time.Second},
		// Short, so that the silent fault is noticed within a second or two.
		Heartbeat: sdk.Heartbeat{Interval: 300 * time.Millisecond, Timeout: time.Second},
		URL: func(ctx context.Context) (string, error) {
			select {
			case <-ready:
				return url, nil
			case <-ctx.Done():
				return "", ctx.Err()
			}
		},
	})}
	t.Cleanup(func() { m.Close() })
	sdk.Handle(m.Client, "chat", func(_ context.Context, c chatMsg) {
		m.mu.Lock()
		m.chats = append(m.chats, c)
		m.mu.Unlock()
	})
	sdk.HandleRequest(m.Client, "whoami", func(context.Context, struct{}) (map[string]string, error) {
		return map[string]string{"nick": nick, "agent": "terminal"}, nil
	})
	m.OnOpen(func(ctx context.Context) {
		_, err := sdk.Request[struct{}](ctx, m.Client, "join", map[string]string{"nick": nick, "session": "test-" + nick})
		joined <- err
	})
	close(ready)
	select {
	case err := <-joined:
		if err != nil {
			t.Fatalf("%s: join: %v", nick, err)
		}
	case <-ctx.Done():
		t.Fatalf("%s: no join: %v", nick, ctx.Err())
	}
	return m
}

// linesFrom returns the texts of the chat lines from nick, in the order
// they were handed to the handler.
func (m *nativeMember) linesFrom(nick string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, c := range m.chats {
		if c.Nick == nick {
			out = append(out, c.Text)
		}
	}
	return out
}

// count is how many chat messages with text from nick the client got.
func (m *nativeMember) count(nick, text string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, c := range m.chats {
		if c.Nick == nick && c.Text == text {
			n++
		}
	}
	return n
}

func (m *nativeMember) waitChat(t *testing.T, nick, text string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for m.count(nick, text) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the native client never got %q from %s", text, nick)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
