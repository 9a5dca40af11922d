package chat_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steadyws/steadyws/demo/chat"
	"github.com/steadyws/steadyws/sdk"
	"go.uber.org/goleak"
)

// TestMain fails the run if a test leaves a goroutine behind: a closed
// server must leave nothing running.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// start runs a demo server on 127.0.0.1 for the test and returns its
// base URL (http://...).
func start(t *testing.T) string {
	t.Helper()
	_, url := startClosable(t)
	return url
}

// testLogger discards the server's log unless STEADYWS_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("STEADYWS_TEST_LOG") != "" {
		return slog.Default()
	}
	return slog.New(slog.DiscardHandler)
}

func wsURL(base string) string { return "ws" + strings.TrimPrefix(base, "http") + "/ws" }

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// Messages as a client sees them.
type (
	User struct {
		Nick  string `json:"nick"`
		Agent string `json:"agent"`
	}
	Join struct {
		Nick    string `json:"nick"`
		Session string `json:"session,omitempty"`
	}
	Joined struct {
		Nick  string `json:"nick"`
		Users []User `json:"users"`
	}
	ChatIn struct {
		Text string `json:"text"`
		CID  string `json:"cid,omitempty"`
	}
	ChatOut struct {
		Nick string `json:"nick"`
		Text string `json:"text"`
		TS   int64  `json:"ts"`
		CID  string `json:"cid"`
	}
	Presence struct {
		Users  []User `json:"users"`
		Joined string `json:"joined"`
		Left   string `json:"left"`
	}
	ErrorEvent struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Type    string `json:"type"`
		CID     string `json:"cid"`
	}
	Whoami struct {
		Nick  string `json:"nick"`
		Agent string `json:"agent"`
	}
)

// member is an sdk client in the room: it joins on every open, as the CLI
// and the page do, and collects what the server sends.
type member struct {
	*sdk.Client
	nick     string
	chats    chan ChatOut
	presence chan Presence
	errs     chan ErrorEvent
	joins    chan error

	mu    sync.Mutex
	infos []sdk.CloseInfo
}

func fastOptions() *sdk.Options {
	return &sdk.Options{
		Backoff:   sdk.Backoff{Initial: 20 * time.Millisecond, Max: 200 * time.Millisecond, Jitter: -1},
		Heartbeat: sdk.Heartbeat{Interval: -1},
	}
}

// newMember connects a client that joins as nick with session (may be "").
func newMember(t *testing.T, base, nick, session string, o *sdk.Options) *member {
	t.Helper()
	if o == nil {
		o = fastOptions()
	}
	// sdk.New starts connecting at once: hold the first dial until the
	// handlers are in place, or the first OnOpen could be missed.
	oo, ready := *o, make(chan struct{})
	oo.URL = func(ctx context.Context) (string, error) {
		select {
		case <-ready:
			return wsURL(base), nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	m := &member{
		Client:   sdk.New(wsURL(base), &oo),
		nick:     nick,
		chats:    make(chan ChatOut, 100),
		presence: make(chan Presence, 100),
		errs:     make(chan ErrorEvent, 100),
		joins:    make(chan error, 100),
	}
	t.Cleanup(func() { m.Close() })
	sdk.Handle(m.Client, "chat", func(_ context.Context, c ChatOut) { m.chats <- c })
	sdk.Handle(m.Client, "presence", func(_ context.Context, p Presence) { m.presence <- p })
	sdk.Handle(m.Client, "error", func(_ context.Context, e ErrorEvent) { m.errs <- e })
	sdk.HandleRequest(m.Client, "whoami", func(context.Context, struct{}) (Whoami, error) {
		return Whoami{Nick: nick, Agent: "test"}, nil
	})
	m.OnClose(func(i sdk.CloseInfo) { m.mu.Lock(); m.infos = append(m.infos, i); m.mu.Unlock() })
	m.OnOpen(func(ctx context.Context) {
		_, err := sdk.Request[Joined](ctx, m.Client, "join", Join{Nick: nick, Session: session})
		m.joins <- err
	})
	close(ready)
	return m
}

// joined connects and waits for the join to succeed.
func joined(t *testing.T, base, nick string) *member {
	t.Helper()
	m := newMember(t, base, nick, "session-"+nick, nil)
	m.waitJoin(t)
	return m
}

func (m *member) waitJoin(t *testing.T) {
	t.Helper()
	select {
	case err := <-m.joins:
		if err != nil {
			t.Fatalf("%s: join: %v", m.nick, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: no join within 5 s", m.nick)
	}
}

func (m *member) closes() []sdk.CloseInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]sdk.CloseInfo(nil), m.infos...)
}

// recv waits up to 5 s for the first value from ch that ok accepts.
func recv[T any](t *testing.T, ch <-chan T, what string, ok func(T) bool) T {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case v := <-ch:
			if ok == nil || ok(v) {
				return v
			}
		case <-timeout:
			t.Fatalf("timed out waiting for %s", what)
			var zero T
			return zero
		}
	}
}

func nicks(us []User) string {
	var s []string
	for _, u := range us {
		s = append(s, u.Nick+"/"+u.Agent)
	}
	return strings.Join(s, ",")
}

// startClosable is start that also returns the server, for tests of Close.
func startClosable(t *testing.T) (*chat.Server, string) {
	t.Helper()
	cs := chat.New(&chat.Options{Logger: testLogger()})
	ts := httptest.NewServer(cs)
	t.Cleanup(func() {
		ts.Close()
		cs.Close()
	})
	return cs, ts.URL
}
