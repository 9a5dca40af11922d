// Package sdk is the steadyws WebSocket client: one Client that reconnects
// with capped, jittered backoff, detects half-open connections with an
// application-level heartbeat, queues sends while disconnected (bounded, and
// never dropping a message without telling the caller), correlates requests
// and replies, and routes typed JSON messages to handlers.
//
// The same code runs in Go services (over github.com/coder/websocket) and in
// web pages (compiled with GOOS=js GOARCH=wasm over the browser's WebSocket);
// only the transport differs.
//
// # Wire protocol
//
// Text frames carry one JSON object each:
//
//	{"type":"chat","data":{...}}                                      event
//	{"type":"sum","id":7,"data":{...}}                                request (id > 0, unique per client)
//	{"type":"sum","re":7,"data":{...}}                                reply to request 7
//	{"type":"sum","re":7,"error":{"code":"bad_args","message":"..."}} error reply
//	{"type":"ping"} / {"type":"pong"}                                 heartbeat (reserved types)
//
// Binary frames, and every text frame when Options.Raw is set, go untouched
// to the handlers registered with OnRaw.
//
// # Reconnecting
//
// The client reconnects after any unexpected loss: a network error, an
// abnormal closure (1006), a server close with 1000, 1001, 1011, 1012, 1013
// or any other code not listed below, a heartbeat timeout, a failed dial, or
// a handshake answered 408, 429 or 5xx. It stops for good, and Err says why,
// after Close, a server close with 1002, 1003, 1008 or 4400–4499, a handshake
// answered with any other 4xx status (400, 401, 403, 404, ...), a server
// certificate the native client does not trust (a *CertificateError), or
// Options.MaxRetries consecutive failed attempts. Options.ShouldReconnect
// overrides that policy. A stopped client starts again with Reconnect.
//
// # Delivery
//
// A message is never sent twice: an event or raw frame that Send,
// SendText or SendBinary accepted is delivered at most once, and when the
// client cannot vouch for it, it says so. Refused at once, the send returns
// the error (ErrQueueFull, ErrNotConnected, or Err's value). Dropped from
// the queue, it is reported through OnError: an *ExpiredError after
// Queue.MaxAge, a *DiscardedError when the client stops. Written to a
// connection that then ended before the server confirmed reading it, it
// is reported through OnError as an *UnconfirmedError (once per lost
// connection, with the count and the types) and counted in
// Stats.Unconfirmed: it may or may not have arrived. Requests fail with
// ErrConnectionLost instead.
//
// The server reads a connection in order, so its pong proves it read
// everything written before the ping, its reply (or error reply) everything
// written before the request, and its answer to the client's close frame
// (after Close or Reconnect) everything written before that. Besides the
// heartbeat's, the client sends a ping of its own, when none is
// outstanding, once 64 messages or 64 KiB were written since the last one,
// or the oldest unconfirmed message is a second old (a quarter of
// Heartbeat.Interval when that is shorter); with the heartbeat on, nothing
// arriving within Heartbeat.Timeout after such a ping also means the
// connection is dead. With Options.Raw there are no pings: everything
// written on a connection stays unconfirmed until the client closes it
// cleanly.
//
// # Credentials
//
// URLs and handshake headers often carry credentials. No error the client
// reports quotes them: a URL shows as "wss://***@host/path?REDACTED",
// without its userinfo, query string or fragment, and the values of
// Options.Header never appear. The errors still unwrap to their cause
// (context.DeadlineExceeded, *net.OpError, x509 errors, ...).
package sdk
