//go:build !js

package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/steadyws/steadyws/sdk"
)

// Redacting a dial error keeps its cause within reach of errors.Is and
// errors.As, and the *url.Error in the chain names the redacted URL.
func TestRedactedDialErrorsKeepTheirCause(t *testing.T) {
	silent := newServer(t)
	silent.Silent(true)
	for _, tc := range []struct {
		name  string
		url   string
		check func(err error) bool
	}{
		{"refused", "ws://127.0.0.1:1/ws", func(err error) bool {
			var op *net.OpError
			return errors.As(err, &op) && errors.Is(err, syscall.ECONNREFUSED)
		}},
		{"dns", "ws://steadyws-test.invalid/ws", func(err error) bool {
			var dns *net.DNSError
			return errors.As(err, &dns) && dns.IsNotFound
		}},
		{"timeout", silent.URL(), func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := fast()
			o.MaxRetries = 1
			o.ConnectTimeout = 150 * time.Millisecond
			o.Header = secretHeader
			_, err := sdk.Dial(ctxFor(t, 5*time.Second), withSecrets(tc.url), o)
			if err == nil || !tc.check(err) {
				t.Fatalf("Dial error %v lost its cause", err)
			}
			var ue *url.Error
			if !errors.As(err, &ue) || !contains(ue.URL, "?REDACTED") || leaks(ue.URL) != "" {
				t.Fatalf("*url.Error in the chain: %+v", ue)
			}
		})
	}
}

// TestSessionIDNeverReported: a reliable session's id is a secret (whoever
// has it can resume the session). The scripted peer learns it from the
// $hello; it must appear in no error the client reports (a lost session, a
// bad $hello reply, a timed-out $hello, an unsupported server), in Err, in
// CloseInfo or in Stats.
func TestSessionIDNeverReported(t *testing.T) {
	pr := newPeer(t,
		func(pc *peerConn) { pc.welcome(0, false); pc.events(1) },
		func(pc *peerConn) {
			pc.hello()
			pc.write(`{"type":"$hello","re":` + itoa(pc.id) + `,"data":{"resumed":"maybe"}}`)
			pc.wait()
		},
		func(pc *peerConn) { pc.hello(); pc.wait() },
		func(pc *peerConn) { pc.welcome(0, false); pc.wait() },
		func(pc *peerConn) {
			pc.hello()
			pc.write(`{"type":"$hello","re":` + itoa(pc.id) + `,"error":{"code":"unknown_type","message":"no"}}`)
			pc.wait()
		},
	)
	o := reliableOpts()
	o.ConnectTimeout = 200 * time.Millisecond
	c := sdk.New(pr.url(), o)
	defer c.Close()
	rec := record(c)
	if err := sdk.Send(ctxFor(t, 5*time.Second), c, "chat", num{1}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "a SessionLostError", func() bool {
		for _, err := range rec.errors() {
			var sl *sdk.SessionLostError
			if errors.As(err, &sl) {
				return true
			}
		}
		return false
	})
	c.Reconnect() // the fourth connection: kept across Reconnect
	<-c.Done()
	hs := pr.helloList()
	if len(hs) != 5 {
		t.Fatalf("%d hellos, want 5", len(hs))
	}
	id := hs[0].Session
	for _, h := range hs {
		if h.Session != id {
			t.Errorf("the session changed")
		}
	}
	var texts []string
	for _, err := range append(rec.errors(), c.Err()) {
		texts = append(texts, errorTexts(err)...)
	}
	for _, ci := range rec.closeInfos() {
		texts = append(texts, fmt.Sprintf("%+v", ci))
		texts = append(texts, errorTexts(ci.Err)...)
	}
	texts = append(texts, fmt.Sprintf("%+v", c.Stats()), fmt.Sprintf("%#v", c.Stats()))
	if len(texts) < 5 {
		t.Fatalf("only %d texts to check: %q", len(texts), texts)
	}
	for _, s := range texts {
		if strings.Contains(s, id) {
			t.Errorf("the session id appears in %q", s)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
