//go:build !js

package servertest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/steadyws/steadyws/sdk/server"
	"github.com/steadyws/steadyws/sdk/server/servertest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func wsURL(ts *httptest.Server) string { return "ws" + strings.TrimPrefix(ts.URL, "http") }

func results(t *testing.T, cfg servertest.Config) map[string]servertest.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var b strings.Builder
	rs := servertest.Run(ctx, cfg)
	servertest.Print(&b, rs)
	t.Logf("conformance of %s:\n%s", cfg.URL, b.String())
	out := make(map[string]servertest.Result, len(rs))
	for _, r := range rs {
		out[r.Rule] = r
	}
	return out
}

// sdk/server passes every rule, the optional origin rule included.
func TestSDKServerConforms(t *testing.T) {
	srv := server.New(nil)
	type args struct{ A, B float64 }
	server.HandleRequest(srv, "sum", func(_ context.Context, _ *server.Conn, a args) (map[string]float64, error) {
		return map[string]float64{"sum": a.A + a.B}, nil
	})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Shutdown(context.Background())

	got := results(t, servertest.Config{
		URL:         wsURL(ts),
		Requests:    []servertest.Request{{Type: "sum", Data: json.RawMessage(`{"a":1,"b":2}`)}},
		CheckOrigin: true,
	})
	want := []string{"handshake-rfc6455", "version-426", "ping-pong", "unknown-type", "id-echoed-exactly",
		"reply:sum", "key-order", "malformed-survived", "close-answered", "origin-checked"}
	if len(got) != len(want) {
		t.Errorf("%d rules checked, want %d", len(got), len(want))
	}
	for _, rule := range want {
		if r, ok := got[rule]; !ok || !r.Pass {
			t.Errorf("rule %s: %+v, want a pass", rule, r)
		}
	}
}

// A server that gets the protocol wrong fails the rules it breaks, and
// only those: it answers ping, but every request twice, with "re" before
// "type" and a made-up error code, and refuses version 8 with 400.
func TestSloppyServerFails(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		for {
			_, b, err := ws.Read(r.Context())
			if err != nil {
				return
			}
			var e struct {
				Type string
				ID   int64
			}
			if json.Unmarshal(b, &e) != nil {
				continue
			}
			switch {
			case e.Type == "ping":
				_ = ws.Write(r.Context(), websocket.MessageText, []byte(`{"type":"pong"}`))
			case e.ID > 0:
				reply := `{"re":` + strconv.FormatInt(e.ID, 10) + `,"type":"` + e.Type + `","error":{"code":"nope","message":"no"}}`
				for range 2 {
					_ = ws.Write(r.Context(), websocket.MessageText, []byte(reply))
				}
			}
		}
	}))
	defer ts.Close()

	got := results(t, servertest.Config{
		URL:      wsURL(ts),
		Requests: []servertest.Request{{Type: "sum"}},
		Timeout:  2 * time.Second,
	})
	for rule, pass := range map[string]bool{
		"handshake-rfc6455":  true,
		"version-426":        false,
		"ping-pong":          true,
		"unknown-type":       false, // code nope
		"id-echoed-exactly":  false, // two replies
		"reply:sum":          false, // two replies
		"key-order":          false, // "re" first
		"malformed-survived": true,
		"close-answered":     true,
	} {
		if got[rule].Pass != pass {
			t.Errorf("rule %s: %+v, want pass = %v", rule, got[rule], pass)
		}
	}
}

// A server that never answers fails fast, each rule within its timeout.
func TestSilentServerFailsWithinTimeouts(t *testing.T) {
	stop := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		<-stop
	}))
	defer ts.Close()
	defer close(stop)

	begin := time.Now()
	got := results(t, servertest.Config{URL: wsURL(ts), Timeout: 300 * time.Millisecond})
	if d := time.Since(begin); d > 10*time.Second {
		t.Errorf("the run took %v", d)
	}
	for _, rule := range []string{"ping-pong", "unknown-type", "malformed-survived", "close-answered"} {
		if got[rule].Pass {
			t.Errorf("rule %s passed against a server that reads nothing", rule)
		}
	}
}
