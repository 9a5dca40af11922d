package sdk

import (
	"errors"
	"strconv"

	"github.com/steadyws/steadyws/sdk/internal/wire"
)

// Sentinel errors. Match them with errors.Is.
var (
	// ErrClosed is returned after Close, and is Err's value then.
	ErrClosed = errors.New("steadyws: client closed")
	// ErrQueueFull is returned by a send made while disconnected when the
	// queue is at Queue.Limit or Queue.Bytes. The message was not queued.
	ErrQueueFull = errors.New("steadyws: send queue full")
	// ErrNotConnected is returned by a send made while disconnected when
	// queueing is disabled (Queue.Limit < 0).
	ErrNotConnected = errors.New("steadyws: not connected")
	// ErrRetriesExhausted is wrapped by Err after Options.MaxRetries
	// consecutive failed attempts.
	ErrRetriesExhausted = errors.New("steadyws: reconnect attempts exhausted")
	// ErrConnectionLost fails a request whose connection dropped after it
	// was sent; the request is never sent again.
	ErrConnectionLost = errors.New("steadyws: connection lost while request was in flight")
	// ErrHeartbeatTimeout ends a connection on which nothing arrived within
	// Heartbeat.Timeout after a ping.
	ErrHeartbeatTimeout = errors.New("steadyws: heartbeat timeout")
	// ErrRequestTimeout fails a request that got no reply within its
	// context deadline or Options.RequestTimeout. It wraps
	// context.DeadlineExceeded.
	ErrRequestTimeout = errors.New("steadyws: request timed out")
	// ErrReliableUnsupported stops a client with Options.Reliable whose
	// server answered the $hello request with an "unknown_type" error
	// reply: it does not speak reliable mode, and the client does not
	// silently fall back to at-most-once delivery. It is Err's value then,
	// and OnError hears of it too.
	ErrReliableUnsupported = errors.New("steadyws: the server does not support reliable mode")
)

// SessionLostError reports, in reliable mode, a server that no longer held
// the client's session at a resume (it restarted without a shared
// SessionStore, or the session outlived its TTL or window). The events it
// counts were written and never acknowledged: they may or may not have
// arrived, and they are not sent again. Numbering restarts from 1 in both
// directions. Events the server had sent and the client never received
// are lost without the client knowing of them.
type SessionLostError struct {
	// Count is how many events were written and never acknowledged.
	Count int
	// Types are their distinct types, in the order first written.
	Types []string
}

func (e *SessionLostError) Error() string {
	s := "steadyws: reliable session lost by the server; " + strconv.Itoa(e.Count) + " sent events were never acknowledged and may not have arrived"
	if e.Count == 1 {
		s = "steadyws: reliable session lost by the server; 1 sent event was never acknowledged and may not have arrived"
	}
	return s + typeList(e.Types)
}

// ReservedTypeError refuses a message type that begins with '$': such
// types belong to the protocol (reliable mode's $hello and $ack). Send and
// Request return it; a handler registered for one is not registered, and
// OnError hears of it.
type ReservedTypeError struct {
	Type string
}

func (e *ReservedTypeError) Error() string {
	return "steadyws: message type " + wire.QuoteShort(e.Type) + " is reserved: types beginning with '$' belong to the protocol"
}

// CloseError is a close frame received from the server.
type CloseError struct {
	Code   int
	Reason string
}

func (e *CloseError) Error() string {
	s := "steadyws: server closed the connection with " + strconv.Itoa(e.Code)
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	return s
}

// CloseStatus returns the close code carried by err (a *CloseError anywhere
// in its chain), or -1.
func CloseStatus(err error) int {
	var ce *CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return -1
}

// HandshakeError is an HTTP status other than 101 answering the handshake.
// Only the native build can see it: browsers hide the status from pages.
type HandshakeError struct {
	Status int
}

func (e *HandshakeError) Error() string {
	return "steadyws: handshake rejected with HTTP " + strconv.Itoa(e.Status)
}

// CertificateError is a server certificate the native client did not
// trust: signed by an unknown authority (self-signed, or a private CA not
// given with WithTLSConfig), issued for another host name, or expired.
// Trying again cannot fix it, so the client stops, as after a handshake
// answered 401; Options.ShouldReconnect can decide otherwise. Browsers hide
// certificate problems from pages (a failed connection is all they see),
// so only the native build reports it.
type CertificateError struct {
	// URL is the URL dialled, its userinfo, query and fragment redacted.
	URL string
	// Err is the crypto/tls error; errors.As finds the crypto/x509 error
	// it wraps (x509.UnknownAuthorityError, x509.HostnameError,
	// x509.CertificateInvalidError).
	Err error
}

func (e *CertificateError) Error() string {
	return "steadyws: dial " + e.URL + ": untrusted server certificate: " + e.Err.Error()
}

func (e *CertificateError) Unwrap() error { return e.Err }

// retryCannotFix marks the dial errors that stop the client under the
// built-in policy. A method rather than a type switch in the policy keeps
// such types, which only the native build produces, out of the browser
// build.
func (e *CertificateError) retryCannotFix() {}

// RemoteError is an error reply from the peer.
type RemoteError struct {
	Type    string // the request's type
	Code    string
	Message string
}

func (e *RemoteError) Error() string {
	s := "steadyws: " + e.Type + ": " + e.Code
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// UnknownTypeError reports a message whose type has no handler.
type UnknownTypeError struct {
	Type string
	// Suggestion is the closest registered type, or "".
	Suggestion string
}

func (e *UnknownTypeError) Error() string {
	s := "steadyws: no handler for message type " + wire.QuoteShort(e.Type)
	if e.Suggestion != "" {
		s += " (did you mean " + wire.Quote(e.Suggestion) + "?)"
	}
	return s
}

// MalformedError reports an inbound text frame that is not a valid envelope.
// The frame is discarded and the connection stays up.
type MalformedError struct {
	Reason string
	// Prefix is the start of the frame, at most 64 bytes.
	Prefix string
}

func (e *MalformedError) Error() string {
	return "steadyws: malformed message: " + e.Reason + ": " + wire.Quote(e.Prefix)
}

// LimitError reports an inbound message larger than Options.ReadLimit. The
// message is discarded and the connection stays up.
type LimitError struct {
	Size, Limit int64
}

func (e *LimitError) Error() string {
	return "steadyws: message of " + strconv.FormatInt(e.Size, 10) + " bytes exceeds the read limit of " + strconv.FormatInt(e.Limit, 10)
}

func (e *ExpiredError) Error() string {
	return "steadyws: queued message " + wire.Quote(e.Type) + " expired after " + e.Age.String()
}

// DiscardedError reports queued messages thrown away because the client
// stopped (Err is why).
type DiscardedError struct {
	Count int
	Err   error
}

func (e *DiscardedError) Error() string {
	return "steadyws: discarded " + strconv.Itoa(e.Count) + " queued messages: " + e.Err.Error()
}

func (e *DiscardedError) Unwrap() error { return e.Err }

// UnconfirmedError reports events and raw frames that were written to a
// connection which then ended before the server confirmed reading them
// (see Delivery in the package documentation). They may or may not have
// arrived, and they are not sent again, since that could deliver them
// twice. Each lost connection reports its own, once; Stats.Unconfirmed
// counts them.
type UnconfirmedError struct {
	// Count is how many messages may not have arrived.
	Count int
	// Types are their distinct types, in the order first sent; "" stands
	// for raw frames. It may miss some types when over 16384 runs of
	// messages of one type were unconfirmed.
	Types []string
	// Err is why the connection ended.
	Err error
}

func (e *UnconfirmedError) Error() string {
	s := "steadyws: " + strconv.Itoa(e.Count) + " sent messages may not have arrived"
	if e.Count == 1 {
		s = "steadyws: 1 sent message may not have arrived"
	}
	s += typeList(e.Types)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *UnconfirmedError) Unwrap() error { return e.Err }

// typeList is " (t1, t2, ...)" for an error's list of message types, at
// most ten of them named.
func typeList(types []string) string {
	if len(types) == 0 {
		return ""
	}
	s := " ("
	for i, t := range types {
		if i == 10 {
			s += ", and " + strconv.Itoa(len(types)-i) + " more types"
			break
		}
		if i > 0 {
			s += ", "
		}
		s += wire.QuoteShort(t)
	}
	return s + ")"
}

// HandlerError reports a handler that failed: a typed handler whose message
// did not decode into its type, or a handler that panicked.
type HandlerError struct {
	Type string
	Err  error
}

func (e *HandlerError) Error() string {
	return "steadyws: handler for " + wire.Quote(e.Type) + ": " + e.Err.Error()
}

func (e *HandlerError) Unwrap() error { return e.Err }

// UnexpectedReplyError reports a reply that no request is waiting for: it
// answers a request that was answered already (a duplicate), or the peer
// made the id up. The reply is discarded. (A reply to a request that timed
// out or was cancelled is expected, and only counted in
// Stats.LateReplies.)
type UnexpectedReplyError struct {
	Type string // the reply's type
	Re   int64  // the request id it answers
}

func (e *UnexpectedReplyError) Error() string {
	return "steadyws: reply " + wire.QuoteShort(e.Type) + " to request " + strconv.FormatInt(e.Re, 10) +
		", which is not pending (it was already answered, or never asked)"
}

// UnhandledFrameError reports a frame for the OnRaw handlers (a binary
// frame, or any frame with Options.Raw) that arrived while none was
// registered. The frame is discarded.
type UnhandledFrameError struct {
	Frame MessageType
	Size  int
}

func (e *UnhandledFrameError) Error() string {
	kind := "binary"
	if e.Frame == MessageText {
		kind = "text"
	}
	return "steadyws: " + kind + " frame of " + strconv.Itoa(e.Size) + " bytes discarded: no OnRaw handler is registered"
}

// UnreachableError is reported once, through OnError, when the first
// attempts of a client in the browser have all failed before opening:
// browsers hide a handshake's HTTP status and the network error, so this
// says what the page cannot see. The client keeps retrying.
type UnreachableError struct {
	// URL is the URL dialled, its credentials redacted ("" when
	// Options.URL chooses it per attempt).
	URL string
	// Attempts is how many attempts failed.
	Attempts int
}

// unreachableAfter is how many failed attempts, with none ever opened,
// make an *UnreachableError.
const unreachableAfter = 3

func (e *UnreachableError) Error() string {
	u := e.URL
	if u == "" {
		u = "the server"
	}
	return "steadyws: " + strconv.Itoa(e.Attempts) + " attempts to connect to " + u + " failed before the connection opened; " +
		"still retrying. The browser hides why: usually the server is down or unreachable, the path is wrong, " +
		"or the server refuses this page's origin (check the server's log and the browser's network panel)"
}

// TooLargeError is a message larger than Queue.Bytes sent while it would
// have to be queued: it could never fit, however empty the queue.
// errors.Is(err, ErrQueueFull) holds.
type TooLargeError struct {
	Size, Limit int
}

func (e *TooLargeError) Error() string {
	return "steadyws: message of " + strconv.Itoa(e.Size) + " bytes exceeds Queue.Bytes (" + strconv.Itoa(e.Limit) + ")"
}

func (e *TooLargeError) Is(target error) bool { return target == ErrQueueFull }

// OptionError is an Options field set outside the range it allows. New
// returns a client that never starts (State is Closed and Err returns the
// *OptionError), and Dial returns it; the JavaScript API's connect throws
// a RangeError with the same text, naming the option's JavaScript key.
type OptionError struct {
	Field   string  // the field, as in Go: "Backoff.Jitter"
	Value   float64 // the value given; nanoseconds for a duration
	Allowed string  // what the field accepts
	// Duration is set for time.Duration fields.
	Duration bool
}

func (e *OptionError) Error() string {
	v := strconv.FormatFloat(e.Value, 'g', -1, 64)
	if e.Duration {
		v = duration(e.Value).String()
	}
	return "steadyws: option " + e.Field + " must be " + e.Allowed + ", got " + v
}

// DialError is Dial's error when its context ends before a connection
// opens. errors.Is finds the context's error (context.DeadlineExceeded or
// context.Canceled) and the last attempt's (errors.As finds a
// *HandshakeError or *CertificateError in it, say).
type DialError struct {
	// URL is the URL dialled, its credentials redacted.
	URL string
	// Attempts is how many attempts failed before the context ended.
	Attempts int
	// Last is the last failed attempt's error, or nil if none had failed.
	Last error
	// Err is the context's error.
	Err error
	// cause is the last error's innermost text, credentials scrubbed.
	cause string
}

func (e *DialError) Error() string {
	s := "steadyws: dial " + e.URL + ": "
	if e.Last == nil {
		return s + e.Err.Error() + " before the first attempt finished"
	}
	s += e.cause + ", after " + strconv.Itoa(e.Attempts) + " attempt"
	if e.Attempts != 1 {
		s += "s"
	}
	return s + ": " + e.Err.Error()
}

func (e *DialError) Unwrap() []error {
	if e.Last == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Last}
}

// newDialError is Dial's error for url after attempts failed attempts, the
// last with last, when its context ended with err.
func newDialError(url string, attempts int, last, err error) *DialError {
	e := &DialError{URL: redactURL(url), Attempts: attempts, Last: last, Err: err}
	if last != nil {
		e.cause = scrub(rootCause(last).Error(), url, nil)
	}
	return e
}

// rootCause follows err's chain to its innermost error, whose text says
// what went wrong ("connection refused") without the layers above it.
func rootCause(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// retriesError is Err's value after MaxRetries failed attempts.
type retriesError struct {
	n    int
	last error
}

func (e *retriesError) Error() string {
	s := "steadyws: reconnect attempts exhausted after " + strconv.Itoa(e.n) + " attempts"
	if e.last != nil {
		s += ": " + e.last.Error()
	}
	return s
}

func (e *retriesError) Is(target error) bool { return target == ErrRetriesExhausted }
func (e *retriesError) Unwrap() error        { return e.last }

// timeoutError is ErrRequestTimeout wrapping the context error.
type timeoutError struct{ cause error }

func (e timeoutError) Error() string        { return ErrRequestTimeout.Error() }
func (e timeoutError) Is(target error) bool { return target == ErrRequestTimeout }
func (e timeoutError) Unwrap() error        { return e.cause }

// badURLError is a URL the platform refuses to dial; trying again cannot
// help, so the client stops.
type badURLError struct{ err error }

func (e *badURLError) Error() string { return "steadyws: bad URL: " + e.err.Error() }
func (e *badURLError) Unwrap() error { return e.err }

// retryCannotFix reports a dial error marked as one that trying again
// cannot fix (see CertificateError).
func retryCannotFix(err error) bool {
	_, ok := err.(interface{ retryCannotFix() })
	return ok
}

// timeoutDialError is a connection attempt cut off by ConnectTimeout.
type timeoutDialError struct {
	d   duration
	err error
}

func (e *timeoutDialError) Error() string {
	return "steadyws: connect timeout after " + e.d.String() + ": " + e.err.Error()
}

func (e *timeoutDialError) Unwrap() error { return e.err }

// Is makes a connect timeout match context.DeadlineExceeded.
func (e *timeoutDialError) Is(target error) bool { return target == errDeadlineExceeded }

type panicValue struct{ v any }

func (p panicValue) Error() string {
	if e, ok := p.v.(error); ok {
		return errPanic.Error() + ": " + e.Error()
	}
	if s, ok := p.v.(string); ok {
		return errPanic.Error() + ": " + s
	}
	return errPanic.Error()
}

func (p panicValue) Unwrap() error { return errPanic }

func panicError(v any) error { return panicValue{v} }

// errPanic wraps a value recovered from a handler.
var errPanic = errors.New("handler panicked")

// errSocketGone fails a browser write to a socket the shim no longer has.
var errSocketGone = errors.New("steadyws: socket closed")

// errLinkClosing fails a write attempted while the client closes the
// connection.
var errLinkClosing = errors.New("steadyws: connection closing")

// errLinkEnded is the cause of an *UnconfirmedError when nothing more
// precise is known: the close handshake did not complete.
var errLinkEnded = errors.New("steadyws: connection ended without a complete close handshake")
