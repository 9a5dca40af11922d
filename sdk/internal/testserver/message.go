package testserver

import "encoding/json"

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

func encode(e envelope) []byte {
	b, err := json.Marshal(e)
	if err != nil {
		// Only invalid json.RawMessage can get here; the server never builds one.
		panic("testserver: encoding envelope: " + err.Error())
	}
	return b
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic("testserver: encoding " + err.Error())
	}
	return b
}

func errorReply(typ string, re int64, code, message string) []byte {
	return encode(envelope{Type: typ, Re: re, Error: mustJSON(wireError{Code: code, Message: message})})
}
