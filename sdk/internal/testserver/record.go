//go:build !js

package testserver

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/coder/websocket"
)

func isObject(b []byte) bool { return bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) }

// record adds a frame a client sent to Received; ping and pong are left out.
func (s *Server) record(typ websocket.MessageType, b []byte) {
	if typ == websocket.MessageBinary {
		s.add(Message{Raw: base64.StdEncoding.EncodeToString(b)})
		return
	}
	text := string(b)
	var e envelope
	switch {
	case strings.HasPrefix(text, "raw:"), json.Unmarshal(b, &e) != nil, !isObject(b):
		s.add(Message{Raw: text})
	case e.Type == "":
		s.add(Message{ID: e.ID, Re: e.Re, Data: e.Data, Error: e.Error, Raw: text})
	case e.Type == "ping", e.Type == "pong":
	default:
		s.add(Message{Type: e.Type, ID: e.ID, Re: e.Re, Data: e.Data, Error: e.Error})
	}
}

func (s *Server) add(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.received = append(s.received, m)
	close(s.recvSignal)
	s.recvSignal = make(chan struct{})
}
