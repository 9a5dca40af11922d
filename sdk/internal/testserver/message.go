package testserver

import (
	"encoding/json"
	"fmt"
)

// Message is one frame received from a client. Envelope fields are filled in
// for JSON text frames; Raw holds the frame itself for frames that are not an
// envelope: text frames that are not JSON (or lack a type) or start with
// "raw:", and binary frames, which are recorded base64-encoded (standard
// encoding, with padding).
type Message struct {
	Type  string          `json:"type"`
	ID    int64           `json:"id,omitempty"`
	Re    int64           `json:"re,omitempty"`
	Data  json.RawMessage `json:"data,omitempty"`
	Error json.RawMessage `json:"error,omitempty"`
	Raw   string          `json:"raw,omitempty"`
}

// envelope is the wire form, kept apart from Message so that a client sending
// a "raw" field cannot forge Message.Raw.
type envelope struct {
	Type  string          `json:"type"`
	ID    int64           `json:"id,omitempty"`
	Re    int64           `json:"re,omitempty"`
	Data  json.RawMessage `json:"data,omitempty"`
	Error json.RawMessage `json:"error,omitempty"`
}

// wireError is the error object of an error reply.
type wireError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Stats is the answer of /control/stats.
type Stats struct {
	Accepted int  `json:"accepted"`
	Conns    int  `json:"conns"`
	Attempts int  `json:"attempts"`
	Received int  `json:"received"`
	Up       bool `json:"up"`
}

// ReplyError is a client's error reply to a server-to-client request.
type ReplyError struct {
	Type    string          // the request's type
	Code    string          // error.code
	Message string          // error.message
	Raw     json.RawMessage // the error object as the client sent it
}

func (e *ReplyError) Error() string {
	return fmt.Sprintf("testserver: client answered the %s request with error %s: %s", e.Type, e.Code, e.Message)
}
