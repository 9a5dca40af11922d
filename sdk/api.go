//go:build !js || !steadyws_nojson

package sdk

// The exported types that hold durations, times and contexts. The
// JavaScript API's build, which imports neither package time nor package
// context (see clock.go), compiles api_jsapi.go instead: the same
// declarations with the seam's names, generated from this file by
// `go test ./sdk -run TestAPIForJSAPIBuild -update`.

import (
	"context"
	"time"
)

// Defaults used for zero-valued fields of Options.
const (
	DefaultConnectTimeout    = 10 * time.Second
	DefaultBackoffInitial    = 500 * time.Millisecond
	DefaultBackoffMax        = 30 * time.Second
	DefaultBackoffFactor     = 2.0
	DefaultBackoffJitter     = 0.5
	DefaultBackoffResetAfter = 5 * time.Second
	DefaultHeartbeatInterval = 25 * time.Second
	DefaultHeartbeatTimeout  = 10 * time.Second
	DefaultQueueLimit        = 1000
	DefaultQueueBytes        = 1 << 20
	DefaultReadLimit         = 1 << 20
	DefaultRequestTimeout    = 10 * time.Second
)

// Options configures a Client. A nil *Options and the zero value both mean
// "all defaults". The Client copies the Options; later changes to the
// caller's value have no effect.
type Options struct {
	// Protocols are the WebSocket subprotocols offered in the handshake.
	// Defaults to none.
	Protocols []string

	// Header holds extra HTTP headers for the handshake. It is used by the
	// native build only and ignored in the browser, which does not let pages
	// set handshake headers. Defaults to none.
	Header map[string][]string

	// URL, when set, is called before every connection attempt and its
	// result is dialled instead of the URL given to New (for tokens that
	// expire). An error counts as a failed attempt. Defaults to nil.
	URL func(ctx context.Context) (string, error)

	// ConnectTimeout bounds one whole connection attempt, URL callback and
	// handshake included. Negative means no timeout. Defaults to 10 s.
	ConnectTimeout time.Duration

	// Backoff spaces reconnection attempts. Defaults to Initial 500 ms,
	// Max 30 s, Factor 2, Jitter 0.5, ResetAfter 5 s.
	Backoff Backoff

	// MaxRetries stops the client, with ErrRetriesExhausted, after this many
	// consecutive failed attempts (failed dials, and connections that closed
	// before Backoff.ResetAfter). Zero or negative retries forever.
	// Defaults to 0.
	MaxRetries int

	// Heartbeat detects half-open connections. Defaults to Interval 25 s,
	// Timeout 10 s.
	Heartbeat Heartbeat

	// Queue bounds the messages kept while disconnected. Defaults to Limit
	// 1000, Bytes 1 MiB, no MaxAge.
	Queue Queue

	// ReadLimit is the largest message accepted, in bytes. A larger one is
	// discarded and reported through OnError as a *LimitError; the
	// connection stays up. Negative means no limit. Defaults to 1 MiB.
	ReadLimit int64

	// RequestTimeout bounds a Request whose context has no deadline.
	// Negative means no timeout. Defaults to 10 s.
	RequestTimeout time.Duration

	// ShouldReconnect, when set, decides after every lost connection or
	// failed attempt whether to try again, overriding the built-in policy
	// (see the package documentation). It is not consulted after Close or
	// when MaxRetries is reached. Defaults to nil.
	ShouldReconnect func(CloseInfo) bool

	// Raw turns the envelope off: every text frame goes untouched to the
	// OnRaw handlers, and no heartbeat pings are sent (the server may not
	// know them). Nothing then confirms what was sent before a connection
	// is lost: all of it is reported as an *UnconfirmedError unless the
	// client closed the connection cleanly (see Delivery in the package
	// documentation). Defaults to false.
	Raw bool

	// Reliable turns on reliable mode (see "Reliable mode" in the README):
	// events sent with Send reach the server's handlers exactly once and in
	// order across lost connections, and the server's events reach this
	// client's handlers the same way, as long as the server holds the
	// session. Each connection starts with a $hello request; the state
	// becomes Open only after its reply. Written events are kept until the
	// server acknowledges them and count, with the queued ones, against
	// Queue.Limit and Queue.Bytes: a full window fails Send with
	// ErrQueueFull (with Queue.Limit < 0 the window is bounded by
	// Queue.Bytes alone). What OnOpen handlers send is not numbered and
	// never sent again; requests, replies and raw frames are unchanged. A
	// server without reliable mode stops the client with
	// ErrReliableUnsupported; one that lost the session is reported as a
	// *SessionLostError. Defaults to false.
	Reliable bool

	// nativeHTTPClient is set by WithHTTPClient (native build only); it is
	// kept as an untyped field so that net/http never reaches the browser
	// build.
	nativeHTTPClient any
}

// Backoff spaces reconnection attempts. The delay before attempt n (counting
// from 0 after a healthy connection) is min(Max, Initial·Factor^n), then
// jittered uniformly in [delay·(1−Jitter), delay].
type Backoff struct {
	// Initial is the first delay; not negative. Defaults to 500 ms.
	Initial time.Duration
	// Max caps the delay before jitter; not negative. Defaults to 30 s.
	Max time.Duration
	// Factor multiplies the delay after each failed attempt; it must be at
	// least 1 (an *OptionError otherwise). Defaults to 2.
	Factor float64
	// Jitter is the fraction of the delay that is randomised, at most 1;
	// negative means no jitter. Defaults to 0.5.
	Jitter float64
	// ResetAfter is how long a connection must stay open before the attempt
	// counter goes back to zero, so that a server that accepts and closes at
	// once cannot cause a reconnect storm; not negative. Defaults to 5 s.
	ResetAfter time.Duration
}

// Heartbeat configures liveness checks. When nothing has arrived for
// Interval the client sends {"type":"ping"}; if nothing at all arrives within
// Timeout after that, the connection is declared dead and replaced. Any
// inbound frame counts as life. Time is judged by the clock, not by counting
// timer ticks, so throttled timers in background tabs cannot fake liveness.
// The client also pings to confirm what it sent (see Delivery in the
// package documentation), with the heartbeat off too.
type Heartbeat struct {
	// Interval of silence before a ping. Negative disables the heartbeat.
	// Defaults to 25 s.
	Interval time.Duration
	// Timeout after a ping before the connection is declared dead; not
	// negative. Defaults to 10 s.
	Timeout time.Duration
}

// Queue bounds the messages sent while disconnected. A send that would
// exceed Limit or Bytes fails with ErrQueueFull; nothing already queued is
// dropped to make room.
type Queue struct {
	// Limit is the most messages kept. Negative disables queueing: sends
	// while disconnected fail with ErrNotConnected. Defaults to 1000.
	Limit int
	// Bytes is the most payload bytes kept. Negative means no byte limit.
	// Defaults to 1 MiB.
	Bytes int
	// MaxAge, when positive, expires queued messages older than this
	// (negative is an *OptionError); each
	// expired message is reported through OnError as an *ExpiredError and
	// counted in Stats.Dropped. Defaults to 0 (no expiry).
	MaxAge time.Duration
}

// withDefaults returns a copy of o with every zero field filled in.

// CloseInfo describes the end of a connection or of a failed attempt.
type CloseInfo struct {
	// Code is the close code the server sent, or 1006 when the connection
	// ended without a close frame (network error, failed dial, heartbeat
	// timeout), or 1000 after Close.
	Code int
	// Reason is the close reason the server sent.
	Reason string
	// WasClean reports whether a close frame was received.
	WasClean bool
	// Err is the underlying error, if any (a *HandshakeError for a rejected
	// handshake, ErrHeartbeatTimeout, a network error, ...).
	Err error
	// WillReconnect reports whether the client will try again.
	WillReconnect bool
	// Delay is how long the client waits before the next attempt.
	Delay time.Duration
}

// Stats is a snapshot of a Client's counters.
type Stats struct {
	State State
	// Attempts counts consecutive failed attempts since the last healthy
	// connection.
	Attempts int
	// Reconnects counts connections opened after the first one.
	Reconnects int
	// MessagesIn, MessagesOut, BytesIn and BytesOut count data frames.
	MessagesIn, MessagesOut int64
	BytesIn, BytesOut       int64
	// Queued is the number of messages waiting for a connection.
	Queued int
	// Dropped counts messages that were discarded (expired by Queue.MaxAge,
	// discarded when the client stopped, or larger than ReadLimit).
	Dropped int64
	// Unconfirmed counts sent messages that may not have arrived: written
	// to a connection that ended before the server confirmed reading them,
	// and reported as *UnconfirmedError.
	Unconfirmed int64
	// LateReplies counts replies that came after their request timed out
	// or was cancelled: expected, so not reported as errors. A reply to a
	// request that was never made, or answered already, is reported as an
	// *UnexpectedReplyError.
	LateReplies int64
	// Resent counts events written again after a reconnect (reliable
	// mode), because the server had not acknowledged them.
	Resent int64
	// Duplicates counts inbound events dropped as already handled
	// (reliable mode).
	Duplicates int64
	// Unacked is the number of events written and waiting for the
	// server's acknowledgement (reliable mode).
	Unacked int
	// SessionRestarts counts resumes that found the session gone on the
	// server, after which numbering restarted from 1 (reliable mode): with
	// nothing unacknowledged in either direction silently, otherwise
	// reported as a *SessionLostError.
	SessionRestarts int64
	// RTT is the last heartbeat round-trip time, zero before the first.
	RTT time.Duration
	// ConnectedSince is when the current connection opened; zero when not
	// connected.
	ConnectedSince time.Time
}

// ExpiredError reports a queued message discarded because it waited longer
// than Queue.MaxAge.
type ExpiredError struct {
	Type string // envelope type, or "" for raw frames
	Age  time.Duration
}
