package sdk_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/steadyws/steadyws/sdk"
)

// Credentials that a URL or a handshake header carries: none may show in
// any error the client reports.
var secrets = []string{
	"usr-5ecret-u", "pw-5ecret-p", // userinfo
	"tok-5ecret-q", "frag-5ecret-f", // query and fragment
	"bearer-5ecret-h", "cookie-5ecret-c", "apikey-5ecret-k", // headers (native only)
}

var secretHeader = map[string][]string{
	"Authorization": {"Bearer bearer-5ecret-h"},
	"Cookie":        {"session=cookie-5ecret-c"},
	"X-Api-Key":     {"apikey-5ecret-k"},
}

// withSecrets puts credentials into the userinfo and query of base
// ("scheme://host[:port]/path", which need not parse).
func withSecrets(base string) string {
	i := index(base, "://") + 3
	return base[:i] + "usr-5ecret-u:pw-5ecret-p@" + base[i:] + "?token=tok-5ecret-q&v=1"
}

func index(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	panic("no " + sub + " in " + s)
}

// TestSecretsNeverInErrors dials URLs and headers holding credentials in
// every failing way there is and checks the text of everything reported:
// Dial's error, Err, CloseInfo, OnError (the discarded queue), and a
// request that was waiting, every error of each chain included.
func TestSecretsNeverInErrors(t *testing.T) {
	srv := newServer(t)
	host := srvHost(t, srv.URL())
	// A server of its own: a kept-alive connection from a rejected
	// handshake on srv would not be silenced.
	silent := newServer(t)
	silent.Silent(true)
	for _, tc := range []struct {
		name  string
		url   string
		setup func(o *sdk.Options)
	}{
		{name: "refused", url: "ws://127.0.0.1:1/ws"},
		// Some browsers refuse a fragment, quoting it.
		{name: "fragment", url: withSecrets("ws://127.0.0.1:1/ws") + "#frag-5ecret-f"},
		{name: "bad scheme", url: "ftp://127.0.0.1:1/ws"},
		{name: "no scheme", url: "usr-5ecret-u:pw-5ecret-p@127.0.0.1:1/ws?token=tok-5ecret-q"},
		{name: "unparseable", url: "ws://usr-5ecret-u:pw-5ecret-p@[::1/ws?token=tok-5ecret-q"},
		{name: "dns", url: "ws://steadyws-test.invalid/ws"},
		{name: "tls to a plain server", url: "wss://" + host + "/ws"},
		{name: "handshake 401", url: srv.URL(), setup: func(*sdk.Options) { srv.RejectHandshake(401) }},
		{name: "handshake 503", url: srv.URL(), setup: func(*sdk.Options) { srv.RejectHandshake(503) }},
		{name: "timeout", url: silent.URL(), setup: func(o *sdk.Options) { o.ConnectTimeout = 150 * time.Millisecond }},
		{name: "URL callback, bad URL", url: "ws://unused/", setup: func(o *sdk.Options) {
			o.URL = func(context.Context) (string, error) { return withSecrets("ws://[::1/ws"), nil }
		}},
		{name: "URL callback, refused", url: "ws://unused/", setup: func(o *sdk.Options) {
			o.URL = func(context.Context) (string, error) { return withSecrets("ws://127.0.0.1:1/ws"), nil }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.Reset()
			u := tc.url
			if !contains(u, "5ecret") {
				u = withSecrets(u)
			}
			o := fast()
			// One failure is enough: browsers space out attempts to a host
			// that keeps failing, which would slow the test down.
			o.MaxRetries = 1
			o.Header = secretHeader
			if tc.setup != nil {
				tc.setup(o)
			}
			var reported []error

			_, err := sdk.Dial(ctxFor(t, 10*time.Second), u, o)
			if err == nil {
				t.Fatal("Dial succeeded")
			}
			reported = append(reported, err)

			// The client starts at New: hold its first attempt until its
			// handlers are registered, or a client that fails at once
			// could stop before record hears its final close event.
			ready := make(chan struct{})
			gated := *o
			gated.URL = func(ctx context.Context) (string, error) {
				select {
				case <-ready:
				case <-ctx.Done():
					return "", ctx.Err()
				}
				if o.URL != nil {
					return o.URL(ctx)
				}
				return u, nil
			}
			c := sdk.New(u, &gated)
			r := record(c)
			close(ready)
			ctx := ctxFor(t, 10*time.Second)
			if err := sdk.Send(ctx, c, "note", echoMsg{N: 1}); err != nil {
				reported = append(reported, err)
			}
			reqErr := make(chan error, 1)
			go func() {
				_, err := sdk.Request[sumReply](ctx, c, "sum", map[string]float64{"a": 1, "b": 2})
				reqErr <- err
			}()
			select {
			case <-c.Done():
			case <-time.After(10 * time.Second):
				t.Fatal("the client did not stop")
			}
			reported = append(reported, c.Err(), <-reqErr)
			eventually(t, time.Second, "the final close event", func() bool {
				cs := r.closeInfos()
				return len(cs) > 0 && !cs[len(cs)-1].WillReconnect
			})
			for _, info := range r.closeInfos() {
				reported = append(reported, info.Err)
				if leaks(info.Reason) != "" {
					t.Errorf("CloseInfo.Reason %q shows a secret", info.Reason)
				}
			}
			reported = append(reported, r.errors()...)

			for _, err := range reported {
				for _, text := range errorTexts(err) {
					if s := leaks(text); s != "" {
						t.Errorf("%q shows the secret %q", text, s)
					}
				}
			}
			t.Logf("Err: %v", c.Err())
		})
	}
}

// leaks returns the first secret text holds, or "".
func leaks(text string) string {
	for _, s := range secrets {
		if contains(text, s) {
			return s
		}
	}
	return ""
}

// errorTexts is the text of err and of every error it wraps.
func errorTexts(err error) []string {
	if err == nil {
		return nil
	}
	out := []string{err.Error()}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		out = append(out, errorTexts(u.Unwrap())...)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			out = append(out, errorTexts(e)...)
		}
	}
	return out
}

func srvHost(t *testing.T, wsURL string) string {
	u, err := url.Parse(wsURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}
