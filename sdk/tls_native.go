//go:build !js

package sdk

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/url"
)

// WithTLSConfig returns a copy of o (nil means defaults) whose native
// handshakes to wss:// URLs use cfg: RootCAs to trust a private CA,
// Certificates for a client certificate, ServerName, MinVersion. The client
// keeps its own copy of cfg. Handshakes go through an HTTP transport like
// http.DefaultTransport (proxy from the environment included) with cfg as
// its TLS configuration; this replaces a client set with WithHTTPClient, so
// to combine TLS settings with a proxy or dialer of your own, set
// TLSClientConfig on the *http.Transport of the client you pass to
// WithHTTPClient instead. It exists only in the native build: in the
// browser, the browser decides which certificates to trust.
func WithTLSConfig(o *Options, cfg *tls.Config) *Options {
	t, ok := http.DefaultTransport.(*http.Transport)
	if ok {
		t = t.Clone()
	} else {
		t = &http.Transport{Proxy: http.ProxyFromEnvironment}
	}
	t.TLSClientConfig = cfg.Clone()
	return WithHTTPClient(o, &http.Client{Transport: &tlsTransport{t}})
}

// tlsTransport is WithTLSConfig's transport: the dial knows it for its own
// (see leadHTTPClient) and keeps its TLS settings.
type tlsTransport struct{ *http.Transport }

// dialError shapes an error of websocket.Dial for the core. Its text names
// the URL with its secrets redacted, never the URL coder/websocket and
// net/http put in theirs (a *url.Error quotes the whole URL, query string
// included). It unwraps to a copy of that *url.Error with the URL
// redacted, so that errors.Is and errors.As still find the cause:
// context.DeadlineExceeded, *net.OpError, *net.DNSError, x509 errors. A
// certificate the client refused comes back as a *CertificateError.
func dialError(rawURL string, o *Options, err error) error {
	shown := redactURL(rawURL)
	var header []string
	for _, vs := range o.Header {
		header = append(header, vs...)
	}
	var ue *url.Error
	if !errors.As(err, &ue) {
		return redactErr(&redactedError{msg: "steadyws: dial " + shown + ": " + err.Error(), err: err}, rawURL, header)
	}
	cause := ue.Err
	if redactErr(cause, rawURL, header) != cause {
		// The cause quotes a secret (none known does): keep its text
		// scrubbed and give up the chain below it.
		cause = redactErr(cause, rawURL, header)
	}
	if certificateRejected(cause) {
		return &CertificateError{URL: shown, Err: cause}
	}
	return &redactedError{
		msg: "steadyws: dial " + shown + ": " + cause.Error(),
		err: &url.Error{Op: ue.Op, URL: redactURL(ue.URL), Err: cause},
	}
}

// certificateRejected reports a server certificate that crypto/tls did not
// verify (or that a user's VerifyConnection refused with an x509 error).
func certificateRejected(err error) bool {
	var (
		cv *tls.CertificateVerificationError
		ua x509.UnknownAuthorityError
		hn x509.HostnameError
		ci x509.CertificateInvalidError
	)
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci)
}

// badURL is a URL that url.Parse refused, with its secrets redacted.
func badURL(rawURL string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = &url.Error{Op: ue.Op, URL: redactURL(rawURL), Err: ue.Err}
	}
	return &badURLError{redactErr(err, rawURL, nil)}
}
