package chat

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// The fault endpoints break things on purpose, so that the page's buttons
// can show the SDK recovering. Each is a POST answered with JSON.

// faultDrop closes the connection of ?nick= abruptly, without a close frame.
func (s *Server) faultDrop(w http.ResponseWriter, r *http.Request) {
	nick := r.URL.Query().Get("nick")
	conns := s.connsOf(nick)
	if len(conns) == 0 {
		faultReply(w, http.StatusNotFound, map[string]any{"ok": false, "error": "nobody called " + strconv.Quote(nick) + " is in the room"})
		return
	}
	for _, c := range conns {
		c.drop()
	}
	s.log.Info("fault: dropped", "nick", nick)
	faultReply(w, http.StatusOK, map[string]any{"ok": true, "dropped": len(conns)})
}

// faultDropAll closes every connection abruptly.
func (s *Server) faultDropAll(w http.ResponseWriter, r *http.Request) {
	conns := s.allConns()
	for _, c := range conns {
		c.drop()
	}
	s.log.Info("fault: dropped everyone", "conns", len(conns))
	faultReply(w, http.StatusOK, map[string]any{"ok": true, "dropped": len(conns)})
}

// faultRestart drops every connection and answers /ws handshakes with 503
// for ?ms= (default 5000), as a restarting server would; the page itself
// stays up.
func (s *Server) faultRestart(w http.ResponseWriter, r *http.Request) {
	d, ok := durationParam(w, r, 5*time.Second)
	if !ok {
		return
	}
	s.mu.Lock()
	s.downUntil = time.Now().Add(d)
	s.mu.Unlock()
	conns := s.allConns()
	for _, c := range conns {
		c.drop()
	}
	s.log.Info("fault: restarting", "down", d, "dropped", len(conns))
	faultReply(w, http.StatusOK, map[string]any{"ok": true, "dropped": len(conns), "downMs": d.Milliseconds()})
}

// faultSilent makes the connection of ?nick= half-open for ?ms= (default
// 15000): it stays open, but the server neither reads from it nor writes
// to it, so only the client's heartbeat can tell it is dead.
func (s *Server) faultSilent(w http.ResponseWriter, r *http.Request) {
	d, ok := durationParam(w, r, 15*time.Second)
	if !ok {
		return
	}
	nick := r.URL.Query().Get("nick")
	conns := s.connsOf(nick)
	if len(conns) == 0 {
		faultReply(w, http.StatusNotFound, map[string]any{"ok": false, "error": "nobody called " + strconv.Quote(nick) + " is in the room"})
		return
	}
	for _, c := range conns {
		if c.gate != nil {
			c.gate.silence(d)
		}
	}
	s.log.Info("fault: silenced", "nick", nick, "for", d)
	faultReply(w, http.StatusOK, map[string]any{"ok": true, "silenced": len(conns), "silentMs": d.Milliseconds()})
}

// durationParam reads ?ms=, between 1 ms and a minute.
func durationParam(w http.ResponseWriter, r *http.Request, def time.Duration) (time.Duration, bool) {
	v := r.URL.Query().Get("ms")
	if v == "" {
		return def, true
	}
	ms, err := strconv.Atoi(v)
	if err != nil || ms < 1 || ms > 60000 {
		faultReply(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "ms must be a whole number of milliseconds from 1 to 60000"})
		return 0, false
	}
	return time.Duration(ms) * time.Millisecond, true
}

func faultReply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
