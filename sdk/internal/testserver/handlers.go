//go:build !js

package testserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/steadyws/steadyws/sdk"
	"github.com/steadyws/steadyws/sdk/internal/wire"
	"github.com/steadyws/steadyws/sdk/server"
)

const (
	maxBig     = 64 << 20 // largest "big" event, to keep a typo from eating the test machine's memory
	askTimeout = 5 * time.Second
)

func badArgs(typ, usage string) error {
	return &sdk.RemoteError{Type: typ, Code: "bad_args", Message: typ + " wants data " + usage}
}

// handlers registers the well-behaved request types and the echo event:
// sdk/server answers them as it would for any service.
func (s *Server) handlers(srv *server.Server) {
	server.Handle(srv, "echo", func(ctx context.Context, c *server.Conn, m json.RawMessage) {
		_ = server.Send(ctx, c, "echo", m)
	})
	server.HandleRequest(srv, "echo", func(_ context.Context, _ *server.Conn, m json.RawMessage) (json.RawMessage, error) {
		return m, nil
	})
	server.HandleRequest(srv, "sum", func(_ context.Context, _ *server.Conn, a struct{ A, B *float64 }) (map[string]float64, error) {
		if a.A == nil || a.B == nil {
			return nil, badArgs("sum", `{"a":number,"b":number}`)
		}
		sum := *a.A + *a.B
		if math.IsInf(sum, 0) {
			return nil, &sdk.RemoteError{Type: "sum", Code: "bad_args", Message: "sum overflows"}
		}
		return map[string]float64{"sum": sum}, nil
	})
	server.HandleRequest(srv, "fail", func(context.Context, *server.Conn, json.RawMessage) (json.RawMessage, error) {
		return nil, &sdk.RemoteError{Type: "fail", Code: "bad_args", Message: "fail was asked to fail"}
	})
}

// raw answers frames that are not envelopes: "raw:" text and binary frames
// are echoed, anything else gets an error event.
func (s *Server) raw(c *server.Conn, typ websocket.MessageType, b []byte) {
	ctx := c.Context()
	switch {
	case typ == websocket.MessageBinary:
		_ = c.SendBinary(ctx, b)
	case strings.HasPrefix(string(b), "raw:"):
		_ = c.SendText(ctx, string(b))
	case json.Valid(b) && isObject(b):
		_ = c.SendText(ctx, errorEvent("missing type"))
	default:
		_ = c.SendText(ctx, errorEvent("malformed JSON"))
	}
}

func errorEvent(message string) string {
	return string(wire.Append(nil, "error", "", 0, "data", []byte(`{"message":`+wire.Quote(message)+`}`)))
}

// misbehave answers the requests that need more than a handler can do —
// reply late, reply and then send a frame, or not reply at all — and
// reports whether typ was one of them. It runs in arrival order with the
// handlers (see serverhook.Hooks.Request).
func (s *Server) misbehave(c *server.Conn, typ string, id int64, data []byte) bool {
	ctx := c.Context()
	reply := func(data string) { _ = c.SendText(ctx, string(wire.Append(nil, typ, "re", id, "data", []byte(data)))) }
	fail := func(usage string) {
		_ = c.SendText(ctx, string(wire.ErrorReply(typ, id, "bad_args", typ+" wants data "+usage)))
	}
	args := func(v any, valid func() bool, usage string) bool {
		if json.Unmarshal(orNull(data), v) != nil || !valid() {
			fail(usage)
			return false
		}
		return true
	}

	switch typ {
	case "slow":
		var a struct{ Ms *float64 }
		if !args(&a, func() bool { return a.Ms != nil && *a.Ms >= 0 }, `{"ms":number >= 0}`) {
			return true
		}
		// Not in line: a slow reply must not hold back the replies after it.
		wait := time.Duration(*a.Ms * float64(time.Millisecond))
		s.goTracked(func() {
			t := time.NewTimer(wait)
			defer t.Stop()
			select {
			case <-t.C:
				reply(`{"ok":true}`)
			case <-ctx.Done():
			}
		})

	case "drop":
		_ = c.CloseNow()

	case "close":
		var a struct {
			Code   int
			Reason string
		}
		if !args(&a, func() bool { return a.Code >= 0 && len(a.Reason) <= 123 }, `{"code":number,"reason":string of at most 123 bytes}`) {
			return true
		}
		if a.Code == 0 {
			a.Code = int(websocket.StatusNormalClosure)
		}
		_ = c.Close(a.Code, a.Reason)

	case "send":
		var a struct{ Frame *string }
		if !args(&a, func() bool { return a.Frame != nil }, `{"frame":string}`) {
			return true
		}
		reply(`{"ok":true}`)
		_ = c.SendText(ctx, *a.Frame)

	case "big":
		var a struct{ Bytes *int }
		if !args(&a, func() bool { return a.Bytes != nil && *a.Bytes >= 0 && *a.Bytes <= maxBig }, fmt.Sprintf(`{"bytes":number from 0 to %d}`, maxBig)) {
			return true
		}
		reply(`{"ok":true}`)
		_ = c.SendText(ctx, `{"type":"big","data":"`+strings.Repeat("x", *a.Bytes)+`"}`)

	case "ask":
		var a struct {
			Type string
			Data json.RawMessage
		}
		if !args(&a, func() bool { return a.Type != "" }, `{"type":string,"data":any}`) {
			return true
		}
		s.goTracked(func() { s.ask(c, typ, id, a.Type, a.Data) })

	default:
		return false
	}
	return true
}

// ask relays a request to the client and answers the original ask with the
// client's reply, or with the client's error.
func (s *Server) ask(c *server.Conn, typ string, id int64, askType string, data json.RawMessage) {
	ctx, cancel := context.WithTimeout(c.Context(), askTimeout)
	defer cancel()
	reply, err := request(ctx, c, askType, data)
	var frame []byte
	var re *ReplyError
	switch {
	case err == nil:
		if len(reply) == 0 {
			reply = json.RawMessage("null")
		}
		frame = wire.Append(nil, typ, "re", id, "data", append(append([]byte(`{"reply":`), reply...), '}'))
	case errors.As(err, &re):
		frame = wire.ErrorReply(typ, id, re.Code, re.Message)
	case errors.Is(err, context.DeadlineExceeded):
		frame = wire.ErrorReply(typ, id, "timeout", fmt.Sprintf("the client did not answer the %s request within %v", askType, askTimeout))
	default:
		return // the connection is gone
	}
	_ = c.SendText(c.Context(), string(frame))
}

func orNull(data []byte) []byte {
	if len(data) == 0 {
		return []byte("null")
	}
	return data
}
