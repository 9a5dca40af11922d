package chat

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// serveWS is the WebSocket endpoint. It checks the handshake itself before
// handing it to websocket.Accept, which would answer an unsupported
// Sec-WebSocket-Version with 400 where RFC 6455 §4.4 asks for 426 and the
// versions it speaks, and a plain GET with a terse message.
func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	if !headerHasToken(r.Header, "Connection", "upgrade") || !headerHasToken(r.Header, "Upgrade", "websocket") {
		w.Header().Set("Connection", "Upgrade")
		w.Header().Set("Upgrade", "websocket")
		w.Header().Set("Sec-WebSocket-Version", "13")
		plainError(w, http.StatusUpgradeRequired,
			"426 Upgrade Required: /ws is the steadyws demo's WebSocket endpoint. "+
				"Connect with a WebSocket client (ws://%s/ws), or open http://%s/ for the chat page.", r.Host, r.Host)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		plainError(w, http.StatusMethodNotAllowed, "405 Method Not Allowed: a WebSocket handshake is a GET request.")
		return
	}
	if v := r.Header.Get("Sec-WebSocket-Version"); v != "13" {
		w.Header().Set("Sec-WebSocket-Version", "13")
		plainError(w, http.StatusUpgradeRequired,
			"426 Upgrade Required: unsupported Sec-WebSocket-Version %q; this server speaks version 13 (RFC 6455).", v)
		return
	}

	s.mu.Lock()
	closed, down := s.closed, time.Until(s.downUntil)
	if !closed && down <= 0 {
		s.wg.Add(1)
	}
	s.mu.Unlock()
	switch {
	case closed:
		plainError(w, http.StatusServiceUnavailable, "503 Service Unavailable: the server is shutting down.")
		return
	case down > 0:
		secs := int(down.Round(time.Second) / time.Second)
		w.Header().Set("Retry-After", fmt.Sprint(max(secs, 1)))
		plainError(w, http.StatusServiceUnavailable,
			"503 Service Unavailable: the server is \"restarting\" (demo fault); back in %.1f s.", down.Seconds())
		return
	}
	defer s.wg.Done()

	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		s.log.Info("handshake refused", "remote", r.RemoteAddr, "err", err)
		return
	}
	ws.SetReadLimit(hardReadLimit)
	s.serveConn(ws, r.RemoteAddr)
}

func plainError(w http.ResponseWriter, status int, format string, args ...any) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintf(w, format+"\n", args...)
}

// headerHasToken reports whether the comma-separated header h holds token,
// case-insensitively ("Connection: keep-alive, Upgrade").
func headerHasToken(hdr http.Header, h, token string) bool {
	for _, v := range hdr.Values(h) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
