package sdk

// Defaults used for zero-valued fields of Options (durations are
// time.Duration values).
const (
	DefaultConnectTimeout    = 10 * second
	DefaultBackoffInitial    = 500 * millisecond
	DefaultBackoffMax        = 30 * second
	DefaultBackoffFactor     = 2.0
	DefaultBackoffJitter     = 0.5
	DefaultBackoffResetAfter = 5 * second
	DefaultHeartbeatInterval = 25 * second
	DefaultHeartbeatTimeout  = 10 * second
	DefaultQueueLimit        = 1000
	DefaultQueueBytes        = 1 << 20
	DefaultReadLimit         = 1 << 20
	DefaultRequestTimeout    = 10 * second
)

// Options configures a Client. A nil *Options and the zero value both mean
// "all defaults". The Client copies the Options; later changes to the
// caller's value have no effect. Its durations are time.Duration values and
// URL's ctx a context.Context: duration and ctxt are aliases of them, which
// the JavaScript API's build, free of packages time and context, declares
// itself (clock.go).
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
	URL func(ctx ctxt) (string, error)

	// ConnectTimeout bounds one whole connection attempt, URL callback and
	// handshake included. Negative means no timeout. Defaults to 10 s.
	ConnectTimeout duration

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
	RequestTimeout duration

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
	Initial duration
	// Max caps the delay before jitter; not negative. Defaults to 30 s.
	Max duration
	// Factor multiplies the delay after each failed attempt; it must be at
	// least 1 (an *OptionError otherwise). Defaults to 2.
	Factor float64
	// Jitter is the fraction of the delay that is randomised, at most 1;
	// negative means no jitter. Defaults to 0.5.
	Jitter float64
	// ResetAfter is how long a connection must stay open before the attempt
	// counter goes back to zero, so that a server that accepts and closes at
	// once cannot cause a reconnect storm; not negative. Defaults to 5 s.
	ResetAfter duration
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
	Interval duration
	// Timeout after a ping before the connection is declared dead; not
	// negative. Defaults to 10 s.
	Timeout duration
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
	MaxAge duration
}

// withDefaults returns a copy of o with every zero field filled in.
func (o *Options) withDefaults() Options {
	var c Options
	if o != nil {
		c = *o
	}
	setDefault(&c.ConnectTimeout, DefaultConnectTimeout)
	setDefault(&c.Backoff.Initial, DefaultBackoffInitial)
	setDefault(&c.Backoff.Max, DefaultBackoffMax)
	setDefault(&c.Backoff.Factor, DefaultBackoffFactor)
	setDefault(&c.Backoff.Jitter, DefaultBackoffJitter)
	setDefault(&c.Backoff.ResetAfter, DefaultBackoffResetAfter)
	c.Backoff.Jitter = max(c.Backoff.Jitter, 0)
	setDefault(&c.Heartbeat.Interval, DefaultHeartbeatInterval)
	setDefault(&c.Heartbeat.Timeout, DefaultHeartbeatTimeout)
	setDefault(&c.Queue.Limit, DefaultQueueLimit)
	setDefault(&c.Queue.Bytes, DefaultQueueBytes)
	setDefault(&c.ReadLimit, DefaultReadLimit)
	setDefault(&c.RequestTimeout, DefaultRequestTimeout)
	c.Protocols = append([]string(nil), c.Protocols...)
	return c
}

func setDefault[T comparable](p *T, d T) {
	var zero T
	if *p == zero {
		*p = d
	}
}

// check returns an *OptionError for the first field set outside its range
// (zero values, which mean "default", are always in range). New and the
// JavaScript API's connect both call it, so the two builds refuse the same
// values.
func (o *Options) check() error {
	if o == nil {
		return nil
	}
	b := o.Backoff
	switch {
	case b.Initial < 0:
		return durationRange("Backoff.Initial", b.Initial)
	case b.Max < 0:
		return durationRange("Backoff.Max", b.Max)
	case b.ResetAfter < 0:
		return durationRange("Backoff.ResetAfter", b.ResetAfter)
	case b.Factor != 0 && !(b.Factor >= 1): // NaN too
		return &OptionError{Field: "Backoff.Factor", Value: b.Factor, Allowed: "at least 1"}
	case !(b.Jitter <= 1):
		return &OptionError{Field: "Backoff.Jitter", Value: b.Jitter, Allowed: "at most 1 (negative: no jitter)"}
	case o.Heartbeat.Timeout < 0:
		return durationRange("Heartbeat.Timeout", o.Heartbeat.Timeout)
	case o.Queue.MaxAge < 0:
		return durationRange("Queue.MaxAge", o.Queue.MaxAge)
	}
	return nil
}

func durationRange(field string, d duration) *OptionError {
	return &OptionError{Field: field, Value: float64(d), Allowed: "0 or more", Duration: true}
}
