//go:build !js

// Package serverhook lets the project's fault-injecting test server
// (sdk/internal/testserver) see inside sdk/server without widening its
// public API: it records every frame a client sent, and answers the
// requests that misbehave on purpose (reply late, reply then send a frame,
// close) in arrival order with the server's own handlers.
package serverhook

import "github.com/coder/websocket"

// Hooks are called by a *server.Server; conn is its *server.Conn.
type Hooks struct {
	// Read sees every message a connection read within the read limit,
	// before the server routes it, on the goroutine reading the connection.
	Read func(conn any, typ websocket.MessageType, b []byte)

	// Request runs where the connection's handlers run (the read goroutine
	// or a handler runner), in arrival order with them, before a request
	// is answered. true means it took
	// the request (and answers it, or not); the server then does nothing
	// more with it.
	Request func(conn any, typ string, id int64, data []byte) (taken bool)
}

// Install sets the hooks of srv, a *server.Server, before it serves.
// Package server sets it when it is initialized.
var Install func(srv any, h Hooks)
