//go:build !js

package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// Sentinel errors. Match them with errors.Is.
var (
	// ErrClosed is returned by Send, Request and the like on a connection
	// that has ended.
	ErrClosed = errors.New("steadyws/server: connection closed")
	// ErrQueueFull is returned by a send that found the connection's
	// outbound queue full (Options.SendQueue). The connection is then closed
	// with 1013 (try again later), and OnDisconnect gets this error.
	ErrQueueFull = errors.New("steadyws/server: send queue full; connection closed with 1013")
	// ErrIdleTimeout ends a connection on which nothing arrived within
	// Options.IdleTimeout, a WebSocket ping included.
	ErrIdleTimeout = errors.New("steadyws/server: idle timeout")
	// ErrShutdown ends the connections closed by Shutdown; handshakes that
	// arrive during Shutdown are answered 503.
	ErrShutdown = errors.New("steadyws/server: server shut down")

	// ErrReservedType is reported through OnError when Handle or
	// HandleRequest is given a type that begins with '$' (reserved for the
	// protocol); the handler is not registered.
	ErrReservedType = errors.New("steadyws/server: types that begin with '$' are reserved for the protocol")
	// ErrProtocol ends a reliable-mode connection that broke the protocol
	// (a gap in its event numbers, an ack of an event never sent, a
	// malformed or late $hello): it is closed with 1002. OnDisconnect gets
	// an error that wraps it and says what happened.
	ErrProtocol = errors.New("steadyws/server: reliable-mode protocol violation; connection closed with 1002")
	// ErrTakenOver ends a connection whose session was resumed on another
	// connection (a takeover): it is closed with 1000 and OnDisconnect
	// gets this error. The session goes on, on the new connection.
	ErrTakenOver = errors.New("steadyws/server: session resumed on a newer connection")
	// ErrWindowFull is returned by Send, and ends a session's connection
	// (closed with 1013), when one more event would exceed
	// Options.SessionWindow or SessionWindowBytes: the session is
	// forgotten, and its client, at its next $hello, learns so
	// (resumed:false) and reports the events it never had acknowledged.
	ErrWindowFull = errors.New("steadyws/server: session window full; session forgotten")
	// ErrSessionPrincipal ends a connection whose $hello names a session
	// bound to another principal than the one Options.Authorize returned
	// for it: the connection is closed with 1008 (the client stops for
	// good) and the session is left as it was. It is also reported
	// through OnError, inside a *ConnError.
	ErrSessionPrincipal = errors.New("steadyws/server: session belongs to another principal; connection closed with 1008")
)

// CodeInternal is the error code of the reply to a request whose handler
// failed with an error that is not a *sdk.RemoteError, or panicked.
const CodeInternal = "internal"

// internalMessage is the message of every internal error reply: the
// handler's error text may hold internals.
const internalMessage = "internal server error"

// RefuseError refuses a handshake: return one, made by Refuse, from
// Options.Authorize.
type RefuseError struct {
	Status  int    // the HTTP status, 400-599
	Message string // the response body, sent as text/plain
}

// Refuse returns an error that, returned by Options.Authorize, answers the
// handshake with status and msg. A status outside 400-599 is sent as 403.
// The native steadyws client stops for good after 400, 401, 403 and 404
// and retries after 429 and 5xx.
func Refuse(status int, msg string) error {
	if status < 400 || status > 599 {
		status = http.StatusForbidden
	}
	return &RefuseError{Status: status, Message: msg}
}

func (e *RefuseError) Error() string {
	return "steadyws/server: handshake refused with " + strconv.Itoa(e.Status) + ": " + e.Message
}

// ConnError is an error reported through OnError that concerns one
// connection. It wraps the sdk error types: errors.As finds a
// *sdk.MalformedError, *sdk.LimitError, *sdk.UnknownTypeError,
// *sdk.HandlerError or *sdk.UnexpectedReplyError in it.
type ConnError struct {
	Conn *Conn
	Err  error
}

func (e *ConnError) Error() string {
	return "steadyws/server: conn " + e.Conn.ID() + ": " + e.Err.Error()
}
func (e *ConnError) Unwrap() error { return e.Err }

// PanicError is a handler's recovered panic, inside the *sdk.HandlerError
// reported through OnError.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// timeoutError is sdk.ErrRequestTimeout wrapping the context's error.
type timeoutError struct{ cause error }

func (e *timeoutError) Error() string { return "steadyws/server: request timed out" }
func (e *timeoutError) Unwrap() []error {
	return []error{sdkErrRequestTimeout, e.cause}
}
