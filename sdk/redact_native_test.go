//go:build !js

package sdk_test

import (
	"context"
	"errors"
	"net"
	"net/url"
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
