package sdk_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/steadyws/steadyws/sdk"
)

// Values out of range are refused at New, not silently clamped: the client
// never starts, Err and Dial say which field and what it allows.
func TestOptionsOutOfRangeRefused(t *testing.T) {
	cases := []struct {
		set  func(o *sdk.Options)
		want string
	}{
		{func(o *sdk.Options) { o.Backoff.Jitter = 2 }, "steadyws: option Backoff.Jitter must be at most 1 (negative: no jitter), got 2"},
		{func(o *sdk.Options) { o.Backoff.Factor = 0.5 }, "steadyws: option Backoff.Factor must be at least 1, got 0.5"},
		{func(o *sdk.Options) { o.Backoff.Initial = -time.Second }, "steadyws: option Backoff.Initial must be 0 or more, got -1s"},
		{func(o *sdk.Options) { o.Heartbeat.Timeout = -time.Millisecond }, "steadyws: option Heartbeat.Timeout must be 0 or more, got -1ms"},
		{func(o *sdk.Options) { o.Queue.MaxAge = -time.Minute }, "steadyws: option Queue.MaxAge must be 0 or more, got -1m0s"},
	}
	for _, tc := range cases {
		o := fast()
		tc.set(o)
		c := sdk.New("ws://127.0.0.1:1/ws", o)
		var oe *sdk.OptionError
		if err := c.Err(); !errors.As(err, &oe) || err.Error() != tc.want {
			t.Errorf("New: Err() = %v, want %q", err, tc.want)
		}
		if s := c.State(); s != sdk.Closed {
			t.Errorf("New with %s: state %v, want closed", tc.want, s)
		}
		c.Reconnect() // cannot mend options
		if s := c.State(); s != sdk.Closed || c.Err() == nil {
			t.Errorf("Reconnect with %s: state %v, Err %v", tc.want, s, c.Err())
		}
		if err := sdk.Send(context.Background(), c, "chat", "x"); err == nil || err.Error() != tc.want {
			t.Errorf("Send on a client with bad options: %v, want %q", err, tc.want)
		}
		c.Close()
		if _, err := sdk.Dial(ctxFor(t, time.Second), "ws://127.0.0.1:1/ws", o); err == nil || err.Error() != tc.want {
			t.Errorf("Dial: %v, want %q", err, tc.want)
		}
	}
	// Negative values that mean something are still accepted.
	o := &sdk.Options{ConnectTimeout: -1, Backoff: sdk.Backoff{Jitter: -1}, Heartbeat: sdk.Heartbeat{Interval: -1},
		Queue: sdk.Queue{Limit: -1, Bytes: -1}, ReadLimit: -1, RequestTimeout: -1, MaxRetries: -1}
	c := sdk.New("ws://127.0.0.1:1/ws", o)
	defer c.Close()
	if err := c.Err(); err != nil {
		t.Fatalf("meaningful negative values refused: %v", err)
	}
}

// Dial that runs out of time says what the last attempt ran into, and how
// often it tried, with the context's error still matchable.
func TestDialTimeoutSaysWhy(t *testing.T) {
	o := fast()
	o.Backoff.Max = 50 * time.Millisecond
	url := "ws://ada:hunter2@127.0.0.1:1/ws?token=s3cret"
	_, err := sdk.Dial(ctxFor(t, 700*time.Millisecond), url, o)
	var de *sdk.DialError
	if !errors.As(err, &de) {
		t.Fatalf("Dial error %T %v, want *sdk.DialError", err, err)
	}
	msg := err.Error()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%q does not wrap context.DeadlineExceeded", msg)
	}
	if strings.Contains(msg, "hunter2") || strings.Contains(msg, "s3cret") {
		t.Errorf("credentials in %q", msg)
	}
	if !strings.HasPrefix(msg, "steadyws: dial ws://") || !strings.Contains(msg, "127.0.0.1:1/ws") ||
		!strings.Contains(msg, " attempts: context deadline exceeded") || de.Attempts < 2 {
		t.Errorf("Dial error %q (%d attempts), want the URL, the attempts and the context's error", msg, de.Attempts)
	}
	// Browsers hide why a WebSocket failed; natively the cause is known.
	if runtime.GOOS != "js" && !strings.Contains(msg, ": connection refused, after ") {
		t.Errorf("Dial error %q does not say the port refused", msg)
	}
}
