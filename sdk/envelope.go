package sdk

import "github.com/steadyws/steadyws/sdk/internal/wire"

// envelope is the routing part of a message; sdk/internal/wire scans and
// encodes it for the client, the JavaScript API and the server alike.
type envelope = wire.Envelope

// scanEnvelope is wire.Scan with its error as a *MalformedError.
func scanEnvelope(b []byte) (envelope, error) {
	e, err := wire.Scan(b)
	return e, malformed(err)
}

// scanHead is wire.ScanHead with its error as a *MalformedError.
func scanHead(b []byte) (envelope, error) {
	e, err := wire.ScanHead(b)
	return e, malformed(err)
}

// malformed turns the scanner's syntax error into the error OnError gets.
func malformed(err error) error {
	if se, ok := err.(*wire.SyntaxError); ok {
		return &MalformedError{Reason: se.Reason, Prefix: se.Prefix}
	}
	return err
}

// malformedText reports a text frame refused before scanning.
func malformedText(b []byte, reason string) error {
	if len(b) > 64 {
		b = b[:64]
	}
	return &MalformedError{Reason: reason, Prefix: string(b)}
}

// decodeRemoteError is the *RemoteError an error reply to a request of
// type t carries.
func decodeRemoteError(t string, raw []byte) *RemoteError {
	code, msg := wire.DecodeError(raw)
	return &RemoteError{Type: t, Code: code, Message: msg}
}
