//go:build !js

package testserver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// controlError carries the HTTP status a control endpoint answers with.
type controlError struct {
	status int
	msg    string
}

func (e *controlError) Error() string { return e.msg }

func badParam(format string, args ...any) error {
	return &controlError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// serveControl is the HTTP control surface: /control/NAME, parameters in the
// query string or a form-encoded POST body. It is written for fetch() from a
// page on another origin, hence CORS on every answer.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cache-Control", "no-store")
	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		allow := r.Header.Get("Access-Control-Request-Headers")
		if allow == "" {
			allow = "Content-Type"
		}
		h.Set("Access-Control-Allow-Headers", allow)
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if !s.track() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ok": false, "error": ErrClosed.Error()})
		return
	}
	defer s.wg.Done()

	var v any
	err := error(&controlError{status: http.StatusMethodNotAllowed, msg: "use GET or POST"})
	if r.Method == http.MethodGet || r.Method == http.MethodPost {
		if err = r.ParseForm(); err != nil {
			err = badParam("parsing parameters: %v", err)
		} else {
			v, err = s.control(r.Context(), strings.TrimPrefix(r.URL.Path, "/control/"), r)
		}
	}
	if err != nil {
		status := http.StatusInternalServerError
		body := map[string]any{"ok": false, "error": err.Error()}
		var ce *controlError
		var re *ReplyError
		switch {
		case errors.As(err, &ce):
			status = ce.status
		case errors.As(err, &re):
			status = http.StatusBadGateway
			body["code"], body["message"] = re.Code, re.Message
		}
		writeJSON(w, status, body)
		return
	}
	if v == nil {
		v = map[string]bool{"ok": true}
	}
	writeJSON(w, http.StatusOK, v)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) stats() Stats {
	s.waitHandshakes()
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Accepted: s.accepted, Conns: len(s.conns), Attempts: len(s.attempts), Received: len(s.received), Up: s.wsSrv != nil}
}

// control runs one control endpoint. A nil result means {"ok":true}.
func (s *Server) control(ctx context.Context, name string, r *http.Request) (any, error) {
	p := params{r}
	switch name {
	case "drop":
		s.DropAll()
	case "close":
		code, err := p.int("code", 1000, 1000, 4999)
		if err != nil {
			return nil, err
		}
		reason := r.Form.Get("reason")
		if len(reason) > 123 {
			return nil, badParam("reason is longer than 123 bytes")
		}
		s.CloseAll(code, reason)
	case "outage":
		ms, err := p.int("ms", -1, 0, 600_000)
		if err != nil {
			return nil, err
		}
		s.Outage(time.Duration(ms) * time.Millisecond)
	case "down":
		s.Down()
	case "up":
		return nil, s.Up()
	case "reject":
		status, err := p.int("status", -1, 0, 599)
		if err != nil {
			return nil, err
		}
		if status != 0 && status < 200 {
			return nil, badParam("status must be 0 or 200-599")
		}
		s.RejectHandshake(status)
	case "silent":
		on, err := strconv.ParseBool(r.Form.Get("on"))
		if err != nil {
			return nil, badParam("on must be 1 or 0")
		}
		s.Silent(on)
	case "storm":
		code, err := p.int("code", -1, 0, 4999)
		if err != nil {
			return nil, err
		}
		if code != 0 && code < 1000 {
			return nil, badParam("code must be 0 or 1000-4999")
		}
		s.AcceptThenClose(code)
	case "delay":
		ms, err := p.int("ms", -1, 0, 600_000)
		if err != nil {
			return nil, err
		}
		s.SetDelay(time.Duration(ms) * time.Millisecond)
	case "broadcast":
		frame, ok := r.Form["frame"]
		if !ok {
			return nil, badParam("missing frame")
		}
		if r.Form.Get("binary") == "1" {
			b, err := base64.StdEncoding.DecodeString(frame[0])
			if err != nil {
				return nil, badParam("with binary=1, frame must be base64: %v", err)
			}
			s.BroadcastBinary(b)
		} else {
			s.Broadcast(frame[0])
		}
	case "reset":
		s.Reset()
	case "stats":
		return s.stats(), nil
	case "received":
		msgs := s.Received()
		if msgs == nil {
			msgs = []Message{}
		}
		return msgs, nil
	case "attempts":
		ms := []int64{}
		for _, t := range s.Attempts() {
			ms = append(ms, t.UnixMilli())
		}
		return ms, nil
	case "wait":
		n, err := p.int("n", -1, 0, 1<<30)
		if err != nil {
			return nil, err
		}
		timeout, err := p.int("timeoutMs", 5000, 0, 600_000)
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(ctx, time.Duration(timeout)*time.Millisecond)
		defer cancel()
		msgs, err := s.WaitReceived(ctx, n)
		if err != nil {
			return nil, &controlError{status: http.StatusGatewayTimeout, msg: err.Error()}
		}
		return msgs, nil
	case "request":
		typ := r.Form.Get("type")
		if typ == "" {
			return nil, badParam("missing type")
		}
		var data json.RawMessage
		if d := r.Form.Get("data"); d != "" {
			if !json.Valid([]byte(d)) {
				return nil, badParam("data is not valid JSON")
			}
			data = json.RawMessage(d)
		}
		timeout, err := p.int("timeoutMs", 5000, 0, 600_000)
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(ctx, time.Duration(timeout)*time.Millisecond)
		defer cancel()
		reply, err := s.Request(ctx, typ, data)
		if err != nil {
			var re *ReplyError
			if !errors.As(err, &re) {
				err = &controlError{status: http.StatusBadGateway, msg: err.Error()}
			}
			return nil, err
		}
		if len(reply) == 0 {
			reply = json.RawMessage("null")
		}
		return map[string]json.RawMessage{"reply": reply}, nil
	default:
		return nil, &controlError{status: http.StatusNotFound, msg: fmt.Sprintf("no control endpoint %q", name)}
	}
	return nil, nil
}

type params struct{ r *http.Request }

// int reads an integer parameter within [min, max]; def < 0 makes it required.
func (p params) int(name string, def, min, max int) (int, error) {
	v := p.r.Form.Get(name)
	if v == "" {
		if def < 0 {
			return 0, badParam("missing %s", name)
		}
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		return 0, badParam("%s must be an integer from %d to %d", name, min, max)
	}
	return n, nil
}
