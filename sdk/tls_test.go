//go:build !js

package sdk_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/steadyws/steadyws/sdk"
	"github.com/steadyws/steadyws/sdk/internal/testserver"
)

// newTLSServer starts a test server on wss:// with a self-signed
// certificate, and returns a pool that trusts it.
func newTLSServer(t *testing.T) (*testserver.Server, *x509.CertPool) {
	t.Helper()
	s, err := testserver.StartTLS()
	if err != nil {
		t.Fatalf("start TLS test server: %v", err)
	}
	t.Cleanup(s.Close)
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	return s, pool
}

// A certificate the client does not trust is a configuration error, like a
// handshake answered 401: the client stops after the one attempt instead of
// retrying it forever, and Dial says what is wrong at once.
func TestWSSUntrustedCertificateStops(t *testing.T) {
	srv, _ := newTLSServer(t)

	start := time.Now()
	_, err := sdk.Dial(ctxFor(t, 10*time.Second), srv.URL(), fast())
	if err == nil {
		t.Fatal("Dial trusted a self-signed certificate")
	}
	if time.Since(start) > 2*time.Second {
		t.Fatalf("Dial took %v: it retried a certificate error", time.Since(start))
	}
	var ce *sdk.CertificateError
	var ua x509.UnknownAuthorityError
	if !errors.As(err, &ce) || !errors.As(err, &ua) {
		t.Fatalf("Dial error %v (%T), want a *sdk.CertificateError wrapping x509.UnknownAuthorityError", err, err)
	}
	if !contains(err.Error(), "certificate") || !contains(err.Error(), srv.Addr()) {
		t.Fatalf("Dial error %q does not name the certificate problem and the server", err)
	}

	c := sdk.New(srv.URL(), fast())
	r := record(c)
	select {
	case <-c.Done():
	case <-time.After(3 * time.Second):
		t.Fatal("the client kept retrying a certificate it cannot trust")
	}
	if !errors.As(c.Err(), &ce) {
		t.Fatalf("Err = %v, want *sdk.CertificateError", c.Err())
	}
	eventually(t, time.Second, "the close event", func() bool { return len(r.closeInfos()) == 1 })
	info := r.closeInfos()[0]
	if info.WillReconnect || !errors.As(info.Err, &ce) || info.Code != 1006 {
		t.Fatalf("close %+v, want the certificate error and no reconnect", info)
	}
	if n := len(srv.Attempts()); n != 0 {
		t.Fatalf("the server saw %d handshake requests: headers went out over an untrusted connection", n)
	}
}

// ShouldReconnect overrides the stop (say, to ride out a certificate
// rotation); every attempt then reports the certificate error.
func TestWSSUntrustedCertificateShouldReconnect(t *testing.T) {
	srv, _ := newTLSServer(t)
	o := fast()
	o.MaxRetries = 3
	asked := 0
	o.ShouldReconnect = func(info sdk.CloseInfo) bool {
		var ce *sdk.CertificateError
		if !errors.As(info.Err, &ce) {
			t.Errorf("attempt %d: CloseInfo.Err = %v, want *sdk.CertificateError", asked, info.Err)
		}
		asked++
		return true
	}
	c := sdk.New(srv.URL(), o)
	r := record(c)
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("MaxRetries did not stop the client")
	}
	var ce *sdk.CertificateError
	if !errors.Is(c.Err(), sdk.ErrRetriesExhausted) || !errors.As(c.Err(), &ce) {
		t.Fatalf("Err = %v, want ErrRetriesExhausted wrapping the certificate error", c.Err())
	}
	eventually(t, time.Second, "three close events", func() bool { return len(r.closeInfos()) == 3 })
	for i, info := range r.closeInfos() {
		if !errors.As(info.Err, &ce) {
			t.Fatalf("close %d: %v, want the certificate error", i, info.Err)
		}
	}
	if asked != 2 {
		t.Fatalf("ShouldReconnect asked %d times, want 2 (the third failure hits MaxRetries)", asked)
	}
}

// Even with its CA trusted, a certificate for another host name, or one
// that has expired, is refused the same way.
func TestWSSCertificateForOtherHostOrExpired(t *testing.T) {
	srv, pool := newTLSServer(t)
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	for _, tc := range []struct {
		name  string
		cfg   *tls.Config
		cause any
	}{
		{"other host", &tls.Config{RootCAs: pool, ServerName: "other.example"}, &hn},
		{"expired", &tls.Config{RootCAs: pool, Time: func() time.Time { return time.Now().Add(72 * time.Hour) }}, &ci},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sdk.Dial(ctxFor(t, 5*time.Second), srv.URL(), sdk.WithTLSConfig(fast(), tc.cfg))
			var ce *sdk.CertificateError
			if !errors.As(err, &ce) || !errors.As(err, tc.cause) {
				t.Fatalf("Dial error %v, want *sdk.CertificateError wrapping %T", err, tc.cause)
			}
		})
	}
}

// With the server's CA among the root CAs, wss works end to end: events,
// requests, and a reconnect after the server drops the connection.
func TestWSSCustomRootCAs(t *testing.T) {
	srv, pool := newTLSServer(t)
	viaTransport := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	for _, tc := range []struct {
		name string
		opts *sdk.Options
	}{
		{"WithTLSConfig", sdk.WithTLSConfig(fast(), &tls.Config{RootCAs: pool})},
		{"WithHTTPClient", sdk.WithHTTPClient(fast(), &http.Client{Transport: viaTransport})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.Reset()
			c := dial(t, srv.URL(), tc.opts)
			wssRoundTrip(t, srv, c, 1)

			srv.DropAll()
			eventually(t, 5*time.Second, "reconnect over wss", func() bool {
				return c.Stats().Reconnects == 1 && c.State() == sdk.Open
			})
			wssRoundTrip(t, srv, c, 2)
		})
	}
	viaTransport.CloseIdleConnections()
}

// wssRoundTrip sends the event n and a request, and checks both arrived.
func wssRoundTrip(t *testing.T, srv *testserver.Server, c *sdk.Client, n int) {
	t.Helper()
	ctx := ctxFor(t, 5*time.Second)
	if err := sdk.Send(ctx, c, "note", echoMsg{N: n}); err != nil {
		t.Fatalf("send over wss: %v", err)
	}
	sum, err := sdk.Request[sumReply](ctx, c, "sum", map[string]float64{"a": 1, "b": float64(n)})
	if err != nil || sum.Sum != float64(1+n) {
		t.Fatalf("request over wss: %+v, %v", sum, err)
	}
	msgs, err := srv.WaitReceived(ctx, 2*n)
	if err != nil {
		t.Fatal(err)
	}
	if m := msgs[2*n-2]; m.Type != "note" {
		t.Fatalf("server got %+v, want the note event", m)
	}
}

// WithTLSConfig leaves the caller's Options and tls.Config alone, and a
// nil Options means defaults.
func TestWithTLSConfigCopies(t *testing.T) {
	srv, pool := newTLSServer(t)
	o := fast()
	cfg := &tls.Config{RootCAs: pool}
	withTLS := sdk.WithTLSConfig(o, cfg)
	if withTLS == o {
		t.Fatal("WithTLSConfig changed the caller's Options")
	}
	cfg.RootCAs = x509.NewCertPool() // too late to matter
	dial(t, srv.URL(), withTLS)

	c, err := sdk.Dial(ctxFor(t, 5*time.Second), srv.URL(), sdk.WithTLSConfig(nil, &tls.Config{RootCAs: pool}))
	if err != nil {
		t.Fatalf("WithTLSConfig(nil, ...): %v", err)
	}
	c.Close()
	// The original Options still have no TLS settings.
	if _, err := sdk.Dial(ctxFor(t, 5*time.Second), srv.URL(), o); err == nil {
		t.Fatal("the caller's Options picked up the TLS settings")
	}
}

// Connect timeouts over wss (a server that never answers the TLS
// handshake) still match context.DeadlineExceeded.
func TestWSSHandshakeTimeout(t *testing.T) {
	srv, pool := newTLSServer(t)
	srv.Silent(true)
	o := sdk.WithTLSConfig(fast(), &tls.Config{RootCAs: pool})
	o.ConnectTimeout = 200 * time.Millisecond
	o.MaxRetries = 1
	_, err := sdk.Dial(ctxFor(t, 5*time.Second), srv.URL(), o)
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, sdk.ErrRetriesExhausted) {
		t.Fatalf("Dial error %v, want a connect timeout", err)
	}
}
