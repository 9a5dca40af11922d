//go:build !js

package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/coder/websocket"
)

// ServeHTTP accepts a WebSocket handshake and serves the connection until
// it ends.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	down := s.shutdown
	if !down {
		s.wg.Add(1)
	}
	s.mu.Unlock()
	if down {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
		return
	}
	defer s.wg.Done()

	// RFC 6455 4.4: an unsupported version is answered 426 with the versions
	// the server speaks. coder/websocket answers 400, which the native client
	// would take as "stop for good".
	if isUpgrade(r) && r.Header.Get("Sec-WebSocket-Version") != "13" {
		w.Header().Set("Sec-WebSocket-Version", "13")
		http.Error(w, "unsupported WebSocket version: only 13 is supported", http.StatusUpgradeRequired)
		return
	}

	var principal string
	if s.opts.Authorize != nil && isUpgrade(r) {
		p, err := s.opts.Authorize(r)
		if err != nil {
			var re *RefuseError
			if errors.As(err, &re) {
				http.Error(w, re.Message, re.Status)
				return
			}
			s.report(err)
			http.Error(w, "internal server error", http.StatusInternalServerError)
			return
		}
		principal = p
	}

	ws, err := websocket.Accept(w, r, s.accept)
	if err != nil {
		return // Accept answered with the reason
	}
	c := newConn(s, ws, r, principal)
	c.serve()
}

// IsUpgrade reports whether r asks for a WebSocket upgrade, so that one
// path can serve both a page and its WebSocket.
func IsUpgrade(r *http.Request) bool { return isUpgrade(r) }

func isUpgrade(r *http.Request) bool {
	return headerHasToken(r.Header, "Connection", "upgrade") && headerHasToken(r.Header, "Upgrade", "websocket")
}

func headerHasToken(h http.Header, key, token string) bool {
	for _, v := range h.Values(key) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
