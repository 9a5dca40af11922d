package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/agnivade/levenshtein"
)

// requests and events are the message types a client may send; the rest
// are answered with unknown_type.
var (
	requests = map[string]func(c *conn, e envelope){
		"join": (*conn).join,
		"sum":  (*conn).sum,
		"time": (*conn).time,
	}
	events = map[string]func(c *conn, e envelope){
		"chat": (*conn).chat,
	}
)

// handle takes one text frame from the client.
func (c *conn) handle(data []byte) {
	var e envelope
	if err := json.Unmarshal(data, &e); err != nil {
		c.sendError(errorEvent{Code: "bad_json", Message: "not a JSON envelope: " + err.Error()})
		return
	}
	switch {
	case e.Type == "":
		c.sendError(errorEvent{Code: "bad_envelope", Message: `missing "type"`})
	case e.ID < 0 || e.Re < 0:
		c.sendError(errorEvent{Code: "bad_envelope", Message: `"id" and "re" must be positive`, Type: e.Type})
	case e.Re > 0:
		c.settle(e)
	case e.ID == 0 && e.Type == "ping":
		c.send(pongFrame)
	case e.ID == 0 && e.Type == "pong":
		// The server sends no pings of its own; nothing to settle.
	case e.ID > 0:
		if h := requests[e.Type]; h != nil {
			h(c, e)
			return
		}
		c.send(errorReply(e.Type, e.ID, errorf("unknown_type", "unknown request type %q%s", e.Type, didYouMean(e.Type, requests))))
	default:
		if h := events[e.Type]; h != nil {
			h(c, e)
			return
		}
		c.sendError(errorEvent{Code: "unknown_type", Message: fmt.Sprintf("unknown event type %q%s", e.Type, didYouMean(e.Type, events)), Type: e.Type})
	}
}

// didYouMean suggests the closest known type, if it is close.
func didYouMean[V any](t string, known map[string]V) string {
	names := make([]string, 0, len(known))
	for k := range known {
		names = append(names, k)
	}
	sort.Strings(names)
	best, dist := "", 3
	for _, k := range names {
		if d := levenshtein.ComputeDistance(t, k); d < dist {
			best, dist = k, d
		}
	}
	if best == "" {
		return " (this server knows " + strings.Join(names, ", ") + ")"
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// decode reads a message's data into v; a bad one is answered and false
// returned.
func (c *conn) decode(e envelope, v any) bool {
	data := e.Data
	if len(data) == 0 {
		data = json.RawMessage("null")
	}
	if err := json.Unmarshal(data, v); err != nil {
		if e.ID > 0 {
			c.send(errorReply(e.Type, e.ID, errorf("bad_args", "%v", err)))
		} else {
			c.sendError(errorEvent{Code: "bad_args", Message: err.Error(), Type: e.Type})
		}
		return false
	}
	return true
}

func (c *conn) sum(e envelope) {
	var a sumArgs
	if !c.decode(e, &a) {
		return
	}
	if a.A == nil || a.B == nil {
		c.send(errorReply(e.Type, e.ID, errorf("bad_args", `sum needs two numbers, {"a":1,"b":2}`)))
		return
	}
	c.send(reply(e.Type, e.ID, sumReply{Sum: *a.A + *a.B}))
}

func (c *conn) time(e envelope) {
	now := time.Now()
	c.send(reply(e.Type, e.ID, timeReply{Now: now.Format(time.RFC3339), UnixMs: now.UnixMilli()}))
}

func (c *conn) join(e envelope) {
	var a joinArgs
	if !c.decode(e, &a) {
		return
	}
	nick, err := c.s.join(c, a)
	if err != nil {
		c.send(errorReply(e.Type, e.ID, err))
		return
	}
	c.send(reply(e.Type, e.ID, joinReply{Nick: nick, Users: c.s.users()}))
	c.s.broadcastPresence(nick)
	c.wg.Add(1)
	go c.whoami()
}

// whoami asks the new member who it is: a server-to-client request,
// answered by a handler on the client. The answer goes to the room as a
// presence update.
func (c *conn) whoami() {
	defer c.wg.Done()
	ctx, cancel := context.WithTimeout(c.ctx, whoamiTimeout)
	defer cancel()
	var w whoamiReply
	data, err := c.request(ctx, "whoami", struct{}{})
	if err == nil {
		err = json.Unmarshal(data, &w)
	}
	agent := clip(strings.TrimSpace(w.Agent), 16)
	if err != nil || agent == "" {
		c.log.Info("whoami unanswered", "err", err, "data", string(data))
		return
	}
	c.log.Info("whoami answered", "nick", w.Nick, "agent", agent)
	if c.s.setAgent(c, agent) {
		c.s.broadcastPresence("")
	}
}

func (c *conn) chat(e envelope) {
	var m chatIn
	if !c.decode(e, &m) {
		return
	}
	if utf8.RuneCountInString(m.CID) > 64 {
		m.CID = ""
	}
	nick := c.s.nickOf(c)
	text := strings.TrimSpace(m.Text)
	var code, msg string
	switch n := utf8.RuneCountInString(text); {
	case nick == "":
		code, msg = "not_joined", "join the room before chatting"
	case n == 0:
		code, msg = "empty", "empty message"
	case n > MaxText:
		code, msg = "too_long", fmt.Sprintf("message of %d characters; the limit is %d", n, MaxText)
	}
	if code != "" {
		c.sendError(errorEvent{Code: code, Message: msg, Type: e.Type, CID: m.CID})
		return
	}
	c.s.broadcast(event("chat", chatOut{Nick: nick, Text: text, TS: time.Now().UnixMilli(), CID: m.CID}))
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
