//go:build !js

// Package server is the server end of the steadyws wire protocol, so that a
// Go service serves steadyws clients (browser or native) without writing the
// protocol by hand. A *Server is an http.Handler built on
// github.com/coder/websocket's Accept:
//
//	srv := server.New(nil)
//	server.HandleRequest(srv, "sum", func(ctx context.Context, c *server.Conn, a Args) (Sum, error) {
//		return Sum{a.A + a.B}, nil
//	})
//	http.Handle("/ws", srv)
//
// # What it does for you
//
// It answers {"type":"ping"} with {"type":"pong"}; closes a connection on
// which nothing arrived for Options.IdleTimeout (after probing it with a
// WebSocket ping); answers a request of a type nobody handles with the error
// reply unknown_type; settles its own server-to-client requests (Request)
// with the client's replies; discards a message larger than
// Options.ReadLimit (a request among them gets the error reply too_large);
// reports frames that are not envelopes through OnError and keeps the
// connection; and answers the client's close frame.
//
// # Handlers
//
// Handlers registered with Handle and HandleRequest belong to the server and
// are shared by every connection. On one connection they run one at a time,
// in arrival order; connections run theirs concurrently. A handler may
// block, and may call Request on its connection: the connection is read
// meanwhile (pings are answered, replies taken), and what arrives waits its
// turn. A quick handler runs on the goroutine that read its message, as in
// a hand-written loop; one that takes longer than a millisecond leaves
// reading to another. A handler's panic is recovered and reported through
// OnError; a request whose handler panicked gets the error reply internal.
//
// A request handler's error becomes an error reply. An error that is, or
// wraps, a *sdk.RemoteError sends its Code and Message. Any other error sends
// code "internal" with a fixed message, never the error's text (it may hold
// internals), and goes to OnError.
//
// # Sending
//
// Each connection has an outbound queue of Options.SendQueue frames, written
// by a goroutine of its own. Send and Broadcast only append to it, so a slow
// client never holds up the others: a client that lets its queue fill is
// closed with 1013 (try again later; steadyws clients reconnect), and Send
// returns ErrQueueFull. A reply is written by the goroutine of its handler
// when nothing is queued ahead of it, and otherwise queued too: frames go
// out in the order they were sent or queued. Broadcast goes through a PubSub, in-process by
// default, so that an adapter for a broker can fan out across a fleet later.
//
// # Handshake
//
// The handshake is RFC 6455's. A version other than 13 is answered 426 with
// Sec-WebSocket-Version: 13. Options.Authorize may refuse a handshake with an
// HTTP status (Refuse(401, "...")); the native steadyws client stops for
// good after 400, 401, 403 and 404, and retries after 429 and 5xx.
//
// # Reliable mode
//
// With Options.Reliable, a client that opens with a $hello gets a session:
// events sent to it with Send and Broadcast, and events it sends, are
// numbered, kept until acknowledged, resent at a resume and deduplicated,
// so each side's handlers get each one exactly once and in order across
// lost connections, while the server holds the session (Options.SessionTTL
// after its last connection, at most Options.SessionWindow unacknowledged
// events). Sessions are bound to the principal Authorize returned; a newer
// connection takes a session over from a half-open one; Shutdown drains
// before it closes with 1012; EventKey names the event a handler is
// handling. The session id is a secret the server does not keep: only a
// hash of it. See "Reliable mode on the server" in the README.
package server
