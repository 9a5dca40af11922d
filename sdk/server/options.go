//go:build !js

package server

import (
	"net/http"
	"time"
)

// Defaults used for zero-valued fields of Options.
const (
	DefaultIdleTimeout    = 60 * time.Second
	DefaultReadLimit      = 1 << 20
	DefaultSendQueue      = 256
	DefaultRequestTimeout = 10 * time.Second
	DefaultWriteTimeout   = 10 * time.Second

	DefaultSessionTTL         = 2 * time.Minute
	DefaultSessionWindow      = 1000
	DefaultSessionWindowBytes = 1 << 20
)

// Options configures a Server. A nil *Options and the zero value both mean
// "all defaults". New copies the Options; later changes to the caller's
// value have no effect.
type Options struct {
	// IdleTimeout closes a connection on which nothing has arrived for this
	// long. Halfway through the server sends a WebSocket ping, which every
	// client answers, so a client that only listens is not taken for dead.
	// steadyws clients also send a heartbeat every 25 s of silence.
	// Negative disables it. Defaults to 60 s.
	IdleTimeout time.Duration

	// ReadLimit is the largest message accepted from a client, in bytes. A
	// larger one is discarded and reported through OnError as a
	// *sdk.LimitError; the connection stays up. Defaults to 1 MiB.
	ReadLimit int64

	// SendQueue is how many outbound frames a connection may have waiting.
	// A connection whose queue is full is closed with 1013. Defaults to 256.
	SendQueue int

	// WriteTimeout bounds the writing of one frame; a client that takes
	// longer is dropped (within another quarter of WriteTimeout).
	// Defaults to 10 s.
	WriteTimeout time.Duration

	// RequestTimeout bounds Request when its context has no deadline.
	// Defaults to 10 s.
	RequestTimeout time.Duration

	// Authorize, when set, runs on every handshake before it is accepted.
	// The principal it returns is the connection's Principal. An error made
	// by Refuse answers the handshake with its status and message; any other
	// error is answered 500 with a fixed message and reported through
	// OnError. Defaults to nil (every handshake is accepted).
	Authorize func(r *http.Request) (principal string, err error)

	// OriginPatterns lists the host patterns (path.Match syntax, as in
	// coder/websocket's AcceptOptions) of other origins allowed to connect;
	// the page's own origin always may. "*" allows any. Defaults to none.
	OriginPatterns []string

	// Subprotocols are the subprotocols the server speaks, in order of
	// preference; the first one the client offers is chosen. Defaults to
	// none.
	Subprotocols []string

	// PubSub carries Broadcast's frames. Defaults to an in-process PubSub
	// of this server's own.
	PubSub PubSub

	// Reliable turns on reliable mode (see "Reliable mode" in the README):
	// a connection whose first frame is a $hello request belongs to a
	// session, and the events sent with Send and Broadcast to it, and
	// received from it, are numbered, kept until acknowledged and resent
	// at a resume, so each side's handlers get each one exactly once and
	// in order across lost connections. A connection whose first frame is
	// anything else is served as on a server without reliable mode.
	// A $hello whose session id is shorter than 16 or longer than 256
	// bytes is refused (1002): clients send 16 random bytes in base64url.
	// Without it, a $hello gets the error reply unknown_type. Defaults to
	// false.
	Reliable bool

	// SessionTTL is how long a session is kept after its last connection
	// ended, waiting for a resume; past it the session is forgotten and a
	// resume gets resumed:false. Defaults to 2 min.
	SessionTTL time.Duration

	// SessionWindow is how many events sent to a session may wait for its
	// acknowledgement. One more forgets the session: Send returns
	// ErrWindowFull and the session's connection, if any, is closed with
	// 1013. Defaults to 1,000.
	SessionWindow int

	// SessionWindowBytes bounds the same window in bytes (the frames as
	// written). Defaults to 1 MiB, the client's own Queue.Bytes.
	SessionWindowBytes int

	// Store is where a session is saved when its last connection ends
	// and deleted when it is forgotten, and where a $hello for a session
	// this server does not hold is looked up. Sessions this server holds
	// live in its memory either way. Defaults to a MemoryStore of this
	// server's own.
	Store SessionStore
}

func (o *Options) withDefaults() Options {
	var c Options
	if o != nil {
		c = *o
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.ReadLimit <= 0 {
		c.ReadLimit = DefaultReadLimit
	}
	if c.SendQueue <= 0 {
		c.SendQueue = DefaultSendQueue
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	if c.SessionWindow <= 0 {
		c.SessionWindow = DefaultSessionWindow
	}
	if c.SessionWindowBytes <= 0 {
		c.SessionWindowBytes = DefaultSessionWindowBytes
	}
	if c.Store == nil {
		c.Store = NewMemoryStore()
	}
	if c.PubSub == nil {
		c.PubSub = NewLocalPubSub()
	}
	c.OriginPatterns = append([]string(nil), c.OriginPatterns...)
	c.Subprotocols = append([]string(nil), c.Subprotocols...)
	return c
}
