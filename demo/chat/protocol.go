package chat

import (
	"encoding/json"
	"fmt"

	"github.com/steadyws/steadyws/sdk"
)

// envelope is one frame of the steadyws wire protocol. Field order matters
// on the way out: type, then id or re, then data or error, so that the
// browser build can route a frame from its first bytes.
type envelope struct {
	Type  string          `json:"type"`
	ID    int64           `json:"id,omitempty"`
	Re    int64           `json:"re,omitempty"`
	Data  json.RawMessage `json:"data,omitempty"`
	Error *wireError      `json:"error,omitempty"`
}

type wireError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// errorf is the error a request handler returns to send an error reply.
func errorf(code, format string, args ...any) error {
	return &sdk.RemoteError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// User is one member of the room as presence and join replies list it.
type User struct {
	Nick  string `json:"nick"`
	Agent string `json:"agent,omitempty"` // from the client's whoami answer
}

type joinArgs struct {
	Nick    string `json:"nick"`
	Session string `json:"session,omitempty"`
}

type joinReply struct {
	Nick  string `json:"nick"`
	Users []User `json:"users"`
}

type sumArgs struct {
	A *float64 `json:"a"`
	B *float64 `json:"b"`
}

type sumReply struct {
	Sum float64 `json:"sum"`
}

type timeReply struct {
	Now    string `json:"now"`
	UnixMs int64  `json:"unixMs"`
}

type chatIn struct {
	Text string `json:"text"`
	CID  string `json:"cid,omitempty"`
}

type chatOut struct {
	Nick string `json:"nick"`
	Text string `json:"text"`
	TS   int64  `json:"ts"`
	CID  string `json:"cid,omitempty"`
}

type presence struct {
	Users  []User `json:"users"`
	Joined string `json:"joined,omitempty"`
	Left   string `json:"left,omitempty"`
}

type whoamiReply struct {
	Nick  string `json:"nick"`
	Agent string `json:"agent"`
}

// errorEvent is the data of the server's "error" event: the answer to an
// event or frame it could not take.
type errorEvent struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Type    string `json:"type,omitempty"` // the offending event's type
	CID     string `json:"cid,omitempty"`  // the offending chat message's cid
}

// frame encodes an envelope. Every value passed here marshals.
func frame(e envelope) []byte {
	b, err := json.Marshal(e)
	if err != nil {
		panic("chat: unmarshalable envelope: " + err.Error())
	}
	return b
}

func event(t string, v any) []byte {
	return frame(envelope{Type: t, Data: mustJSON(v)})
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic("chat: unmarshalable value: " + err.Error())
	}
	return b
}
