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
// answered with any other 4xx status (400, 401, 403, 404, ...), or
// Options.MaxRetries consecutive failed attempts. Options.ShouldReconnect
// overrides that policy. A stopped client starts again with Reconnect.
package sdk
