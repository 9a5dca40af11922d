package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
	"github.com/steadyws/steadyws/sdk"
	"github.com/steadyws/steadyws/sdk/server"
)

func badArgs(format string, args ...any) error {
	return &sdk.RemoteError{Code: "bad_args", Message: fmt.Sprintf(format, args...)}
}

func sum(ctx context.Context, _ *server.Conn, a sumArgs) (sumReply, error) {
	if a.A == nil || a.B == nil {
		return sumReply{}, badArgs(`sum needs two numbers, {"a":1,"b":2}`)
	}
	return sumReply{Sum: *a.A + *a.B}, nil
}

func now(ctx context.Context, _ *server.Conn, _ any) (timeReply, error) {
	t := time.Now()
	return timeReply{Now: t.Format(time.RFC3339), UnixMs: t.UnixMilli()}, nil
}

func (s *Server) join(ctx context.Context, sc *server.Conn, a joinArgs) (joinReply, error) {
	c := s.lookup(sc)
	if c == nil {
		return joinReply{}, errors.New("chat: join from an unknown connection")
	}
	nick, err := s.joinRoom(c, a)
	if err != nil {
		return joinReply{}, err
	}
	s.broadcastPresence(nick)
	s.wg.Add(1)
	go s.whoami(c) // after the join reply, which goes out when this returns
	return joinReply{Nick: nick, Users: s.users()}, nil
}

// whoami asks the new member who it is: a server-to-client request,
// answered by a handler on the client. The answer goes to the room as a
// presence update.
func (s *Server) whoami(c *conn) {
	defer s.wg.Done()
	ctx, cancel := context.WithTimeout(c.sc.Context(), whoamiTimeout)
	defer cancel()
	w, err := server.Request[whoamiReply](ctx, c.sc, "whoami", struct{}{})
	agent := clip(strings.TrimSpace(w.Agent), 16)
	if err != nil || agent == "" {
		c.log.Info("whoami unanswered", "err", err)
		return
	}
	c.log.Info("whoami answered", "nick", w.Nick, "agent", agent)
	if s.setAgent(c, agent) {
		s.broadcastPresence("")
	}
}

func (s *Server) chat(ctx context.Context, sc *server.Conn, m chatIn) {
	c := s.lookup(sc)
	if c == nil {
		return
	}
	if utf8.RuneCountInString(m.CID) > 64 {
		m.CID = ""
	}
	nick := s.nickOf(c)
	if nick == "" {
		// Not joined: a client that only wants to say something (the
		// README's examples) speaks as a guest, as the seed page does.
		nick = "guest-" + sc.ID()[:4]
	}
	text := strings.TrimSpace(m.Text)
	var code, msg string
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		code, msg = "empty", "empty message"
	case n > MaxText:
		code, msg = "too_long", fmt.Sprintf("message of %d characters; the limit is %d", n, MaxText)
	}
	if code != "" {
		c.sendError(errorEvent{Code: code, Message: msg, Type: "chat", CID: m.CID})
		return
	}
	s.say(chatOut{Nick: nick, Text: text, TS: time.Now().UnixMilli(), CID: m.CID})
}

// raw takes frames that are not envelopes: from the seed tutorial's page
// (connected on /) a line of chat; from a steadyws client a mistake,
// answered with an error event.
func (s *Server) raw(sc *server.Conn, typ websocket.MessageType, b []byte) {
	c := s.lookup(sc)
	if c == nil {
		return
	}
	if c.plain {
		text := strings.TrimSpace(string(b))
		if typ != websocket.MessageText || text == "" || !utf8.ValidString(text) {
			return
		}
		s.say(chatOut{Nick: "seed-" + sc.ID()[:4], Text: clip(text, MaxText), TS: time.Now().UnixMilli()})
		return
	}
	if typ != websocket.MessageText {
		c.sendError(errorEvent{Code: "bad_frame", Message: "binary frames are not part of this protocol"})
		return
	}
	if t := bytes.TrimSpace(b); json.Valid(t) && len(t) > 0 && t[0] == '{' {
		c.sendError(errorEvent{Code: "bad_envelope", Message: `not a steadyws envelope: it needs a string "type" and positive "id" or "re"`})
		return
	}
	c.sendError(errorEvent{Code: "bad_json", Message: "not a JSON envelope"})
}

// reportError answers what sdk/server reports about a connection with an
// error event, so the page shows it.
func (s *Server) reportError(err error) {
	var ce *server.ConnError
	if !errors.As(err, &ce) {
		s.log.Warn("server error", "err", err)
		return
	}
	c := s.lookup(ce.Conn)
	if c == nil {
		return
	}
	var le *sdk.LimitError
	var ut *sdk.UnknownTypeError
	var he *sdk.HandlerError
	switch {
	case errors.As(err, &le):
		c.sendError(errorEvent{Code: "too_big", Message: fmt.Sprintf("message larger than %d bytes", MaxMessage)})
	case errors.As(err, &ut):
		msg := fmt.Sprintf("unknown event type %q", ut.Type)
		if ut.Suggestion != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", ut.Suggestion)
		}
		c.sendError(errorEvent{Code: "unknown_type", Message: msg, Type: ut.Type})
	case errors.As(err, &he):
		var pe *server.PanicError
		if errors.As(err, &pe) {
			c.log.Error("handler panicked", "type", he.Type, "err", pe)
			return
		}
		c.sendError(errorEvent{Code: "bad_args", Message: he.Err.Error(), Type: he.Type})
	default:
		c.log.Info("protocol error", "err", err)
	}
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
