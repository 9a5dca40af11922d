package chat

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/steadyws/steadyws/sdk/server"
)

// serveWS is the WebSocket endpoint: the demo's own answers for a plain
// GET, the restart fault and shutdown, then sdk/server's handshake (which
// answers an unsupported Sec-WebSocket-Version with 426) behind the gate
// the silent fault uses.
func (s *Server) serveWS(w http.ResponseWriter, r *http.Request, srv *server.Server) {
	if !server.IsUpgrade(r) {
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
	s.mu.Lock()
	closed, down := s.closed, time.Until(s.downUntil)
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
	g := newGate()
	ctx := context.WithValue(r.Context(), gateKey{}, g)
	ctx = context.WithValue(ctx, plainKey{}, srv == s.plain)
	srv.ServeHTTP(&gatedWriter{ResponseWriter: w, gate: g}, r.WithContext(ctx))
}

func plainError(w http.ResponseWriter, status int, format string, args ...any) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintf(w, format+"\n", args...)
}
