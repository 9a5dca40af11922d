package testserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/coder/websocket"
)

const (
	maxBig     = 64 << 20 // largest "big" event, to keep a typo from eating the test machine's memory
	askTimeout = 5 * time.Second
)

func (c *conn) handleText(at time.Time, b []byte) {
	text := string(b)
	if strings.HasPrefix(text, "raw:") {
		c.s.record(Message{Raw: text})
		c.reply(at, b)
		return
	}
	var e envelope
	if err := json.Unmarshal(b, &e); err != nil || !bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
		c.s.record(Message{Raw: text})
		c.reply(at, errorEvent("malformed JSON"))
		return
	}
	switch e.Type {
	case "":
		c.s.record(Message{ID: e.ID, Re: e.Re, Data: e.Data, Error: e.Error, Raw: text})
		c.reply(at, errorEvent("missing type"))
		return
	case "ping":
		c.reply(at, encode(envelope{Type: "pong"}))
		return
	case "pong":
		return
	}
	c.s.record(Message{Type: e.Type, ID: e.ID, Re: e.Re, Data: e.Data, Error: e.Error})
	switch {
	case e.Re > 0:
		c.settle(e)
	case e.ID > 0:
		c.handleRequest(at, e)
	case e.Type == "echo":
		c.reply(at, encode(envelope{Type: "echo", Data: e.Data}))
	}
}

func errorEvent(message string) []byte {
	return encode(envelope{Type: "error", Data: mustJSON(map[string]string{"message": message})})
}

// handleRequest answers a client's request; see the list on Server.
func (c *conn) handleRequest(at time.Time, e envelope) {
	ok := func(data any) {
		c.reply(at, encode(envelope{Type: e.Type, Re: e.ID, Data: mustJSON(data)}))
	}
	fail := func(code, message string) {
		c.reply(at, errorReply(e.Type, e.ID, code, message))
	}
	// args decodes the request's data into v; on failure it sends a bad_args
	// error reply with usage and returns false.
	args := func(v any, valid func() bool, usage string) bool {
		if json.Unmarshal(e.Data, v) != nil || !valid() {
			fail("bad_args", e.Type+" wants data "+usage)
			return false
		}
		return true
	}

	switch e.Type {
	case "echo":
		c.reply(at, encode(envelope{Type: e.Type, Re: e.ID, Data: e.Data}))

	case "sum":
		var a struct{ A, B *float64 }
		if !args(&a, func() bool { return a.A != nil && a.B != nil }, `{"a":number,"b":number}`) {
			return
		}
		sum := *a.A + *a.B
		if math.IsInf(sum, 0) {
			fail("bad_args", "sum overflows")
			return
		}
		ok(map[string]float64{"sum": sum})

	case "fail":
		fail("bad_args", "fail was asked to fail")

	case "slow":
		var a struct{ Ms *float64 }
		if !args(&a, func() bool { return a.Ms != nil && *a.Ms >= 0 }, `{"ms":number >= 0}`) {
			return
		}
		// Not queued: a slow reply must not hold back the replies after it.
		wait := time.Duration(*a.Ms*float64(time.Millisecond)) + c.s.currentDelay()
		frame := encode(envelope{Type: e.Type, Re: e.ID, Data: json.RawMessage(`{"ok":true}`)})
		c.s.goTracked(func() {
			t := time.NewTimer(time.Until(at.Add(wait)))
			defer t.Stop()
			select {
			case <-t.C:
				_ = c.write(websocket.MessageText, frame)
			case <-c.ctx.Done():
			}
		})

	case "drop":
		c.later(at, func() { _ = c.ws.CloseNow() })

	case "close":
		var a struct {
			Code   int
			Reason string
		}
		if !args(&a, func() bool { return a.Code >= 0 && len(a.Reason) <= 123 }, `{"code":number,"reason":string of at most 123 bytes}`) {
			return
		}
		if a.Code == 0 {
			a.Code = int(websocket.StatusNormalClosure)
		}
		c.later(at, func() { _ = c.ws.Close(websocket.StatusCode(a.Code), a.Reason) })

	case "send":
		var a struct{ Frame *string }
		if !args(&a, func() bool { return a.Frame != nil }, `{"frame":string}`) {
			return
		}
		ok(map[string]bool{"ok": true})
		c.reply(at, []byte(*a.Frame))

	case "big":
		var a struct{ Bytes *int }
		if !args(&a, func() bool { return a.Bytes != nil && *a.Bytes >= 0 && *a.Bytes <= maxBig }, fmt.Sprintf(`{"bytes":number from 0 to %d}`, maxBig)) {
			return
		}
		ok(map[string]bool{"ok": true})
		n := *a.Bytes
		c.later(at, func() {
			frame := make([]byte, 0, n+32)
			frame = append(frame, `{"type":"big","data":"`...)
			frame = append(frame, strings.Repeat("x", n)...)
			frame = append(frame, `"}`...)
			_ = c.write(websocket.MessageText, frame)
		})

	case "ask":
		var a struct {
			Type string
			Data json.RawMessage
		}
		if !args(&a, func() bool { return a.Type != "" }, `{"type":string,"data":any}`) {
			return
		}
		c.s.goTracked(func() { c.ask(e, a.Type, a.Data) })

	default:
		fail("unknown_type", fmt.Sprintf("unknown request type %q", e.Type))
	}
}

// ask relays a request to the client and answers the original ask with the
// client's reply, or with the client's error as is.
func (c *conn) ask(e envelope, typ string, data json.RawMessage) {
	ctx, cancel := context.WithTimeout(c.ctx, askTimeout)
	defer cancel()
	reply, err := c.request(ctx, typ, data)
	var frame []byte
	var re *ReplyError
	switch {
	case err == nil:
		if len(reply) == 0 {
			reply = json.RawMessage("null")
		}
		frame = encode(envelope{Type: e.Type, Re: e.ID, Data: mustJSON(map[string]json.RawMessage{"reply": reply})})
	case errors.As(err, &re) && json.Valid(re.Raw) && bytes.HasPrefix(bytes.TrimSpace(re.Raw), []byte("{")):
		frame = encode(envelope{Type: e.Type, Re: e.ID, Error: re.Raw})
	case errors.As(err, &re):
		frame = errorReply(e.Type, e.ID, re.Code, re.Message)
	case errors.Is(err, context.DeadlineExceeded):
		frame = errorReply(e.Type, e.ID, "timeout", fmt.Sprintf("the client did not answer the %s request within %v", typ, askTimeout))
	default:
		return // the connection is gone
	}
	_ = c.write(websocket.MessageText, frame)
}
