package sdk

import (
	"strconv"
)

// State is where a Client is in its life.
type State int32

const (
	// Connecting: the first connection attempt is under way.
	Connecting State = iota
	// Open: connected; sends go out at once.
	Open
	// Reconnecting: the connection was lost and the client is waiting out a
	// backoff delay or dialling again; sends are queued.
	Reconnecting
	// Closed: stopped for good (see Client.Err); Reconnect starts it again.
	Closed
)

// String returns the state's name as the JavaScript API spells it.
func (s State) String() string {
	switch s {
	case Connecting:
		return "connecting"
	case Open:
		return "open"
	case Reconnecting:
		return "reconnecting"
	case Closed:
		return "closed"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// MessageType is the kind of a WebSocket data frame.
type MessageType int

const (
	// MessageText is a UTF-8 text frame.
	MessageText MessageType = 1
	// MessageBinary is a binary frame.
	MessageBinary MessageType = 2
)
