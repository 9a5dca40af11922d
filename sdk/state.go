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

// CloseInfo describes the end of a connection or of a failed attempt.
type CloseInfo struct {
	// Code is the close code the server sent, or 1006 when the connection
	// ended without a close frame (network error, failed dial, heartbeat
	// timeout), or 1000 after Close.
	Code int
	// Reason is the close reason the server sent.
	Reason string
	// WasClean reports whether a close frame was received.
	WasClean bool
	// Err is the underlying error, if any (a *HandshakeError for a rejected
	// handshake, ErrHeartbeatTimeout, a network error, ...).
	Err error
	// WillReconnect reports whether the client will try again.
	WillReconnect bool
	// Delay is how long the client waits before the next attempt (a
	// time.Duration; see Options).
	Delay duration
}

// Stats is a snapshot of a Client's counters.
type Stats struct {
	State State
	// Attempts counts consecutive failed attempts since the last healthy
	// connection.
	Attempts int
	// Reconnects counts connections opened after the first one.
	Reconnects int
	// MessagesIn, MessagesOut, BytesIn and BytesOut count data frames.
	MessagesIn, MessagesOut int64
	BytesIn, BytesOut       int64
	// Queued is the number of messages waiting for a connection.
	Queued int
	// Dropped counts messages that were discarded (expired by Queue.MaxAge,
	// discarded when the client stopped, or larger than ReadLimit).
	Dropped int64
	// Unconfirmed counts sent messages that may not have arrived: written
	// to a connection that ended before the server confirmed reading them,
	// and reported as *UnconfirmedError.
	Unconfirmed int64
	// LateReplies counts replies that came after their request timed out
	// or was cancelled: expected, so not reported as errors. A reply to a
	// request that was never made, or answered already, is reported as an
	// *UnexpectedReplyError.
	LateReplies int64
	// Resent counts events written again after a reconnect (reliable
	// mode), because the server had not acknowledged them.
	Resent int64
	// Duplicates counts inbound events dropped as already handled
	// (reliable mode).
	Duplicates int64
	// Unacked is the number of events written and waiting for the
	// server's acknowledgement (reliable mode).
	Unacked int
	// SessionRestarts counts resumes that found the session gone on the
	// server, after which numbering restarted from 1 (reliable mode): with
	// nothing unacknowledged in either direction silently, otherwise
	// reported as a *SessionLostError.
	SessionRestarts int64
	// RTT is the last heartbeat round-trip time, zero before the first (a
	// time.Duration; see Options).
	RTT duration
	// ConnectedSince is when the current connection opened; zero when not
	// connected. It is a time.Time (wallTime is an alias of it; see
	// Options).
	ConnectedSince wallTime
}
