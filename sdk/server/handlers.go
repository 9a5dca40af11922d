//go:build !js

package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sort"

	"github.com/agnivade/levenshtein"
	"github.com/steadyws/steadyws/sdk"
	"github.com/steadyws/steadyws/sdk/internal/wire"
)

type eventFunc func(ctx context.Context, c *Conn, data []byte) error
type requestFunc func(ctx context.Context, c *Conn, data []byte) ([]byte, error)

type eventHandler struct{ fn eventFunc }
type requestHandler struct{ fn requestFunc }

// handlerTable is replaced, never changed, so that routing reads it
// without a lock.
type handlerTable struct {
	events   map[string][]*eventHandler
	requests map[string]*requestHandler
}

func (s *Server) editHandlers(fn func(t *handlerTable)) {
	s.hmu.Lock()
	defer s.hmu.Unlock()
	old := s.handlers.Load()
	t := &handlerTable{events: make(map[string][]*eventHandler, len(old.events)), requests: make(map[string]*requestHandler, len(old.requests))}
	for k, v := range old.events {
		t.events[k] = v
	}
	for k, v := range old.requests {
		t.requests[k] = v
	}
	fn(t)
	s.handlers.Store(t)
}

// Handle registers fn for events of type t from any connection, decoding
// their data into M. Data that does not decode is reported through
// OnError as a *sdk.HandlerError. Several handlers of one type run in the
// order registered. The returned func removes the handler.
//
// A type that begins with '$' is reserved for the protocol: the handler is
// not registered, ErrReservedType is reported through OnError (held for
// the first OnError registered, if none is yet), and remove does nothing.
//
// On a reliable-mode connection a numbered event is handed to handlers
// exactly once per session, in order; ctx then carries its EventKey.
func Handle[M any](s *Server, t string, fn func(ctx context.Context, c *Conn, m M)) (remove func()) {
	if refused(s, t) {
		return func() {}
	}
	h := &eventHandler{fn: func(ctx context.Context, c *Conn, data []byte) error {
		var m M
		if err := unmarshal(data, &m); err != nil {
			return err
		}
		fn(ctx, c, m)
		return nil
	}}
	s.editHandlers(func(tb *handlerTable) {
		hs := tb.events[t]
		tb.events[t] = append(hs[:len(hs):len(hs)], h)
	})
	return func() {
		s.editHandlers(func(tb *handlerTable) {
			var keep []*eventHandler
			for _, x := range tb.events[t] {
				if x != h {
					keep = append(keep, x)
				}
			}
			if len(keep) == 0 {
				delete(tb.events, t)
			} else {
				tb.events[t] = keep
			}
		})
	}
}

// HandleRequest makes fn the handler of requests of type t from any
// connection, replacing any earlier one. fn's result is the reply. Data
// that does not decode into In gets the error reply bad_args. An error that
// is or wraps a *sdk.RemoteError becomes an error reply with its Code and
// Message; any other error gets code "internal" and a fixed message, and
// goes to OnError. The returned func removes the handler, if it is still
// the one registered.
//
// A type that begins with '$' is refused as by Handle.
func HandleRequest[In, Out any](s *Server, t string, fn func(ctx context.Context, c *Conn, in In) (Out, error)) (remove func()) {
	if refused(s, t) {
		return func() {}
	}
	h := &requestHandler{fn: func(ctx context.Context, c *Conn, data []byte) ([]byte, error) {
		var in In
		if err := unmarshal(data, &in); err != nil {
			return nil, &sdk.RemoteError{Type: t, Code: "bad_args", Message: err.Error()}
		}
		out, err := fn(ctx, c, in)
		if err != nil {
			return nil, err
		}
		return json.Marshal(out)
	}}
	s.editHandlers(func(tb *handlerTable) { tb.requests[t] = h })
	return func() {
		s.editHandlers(func(tb *handlerTable) {
			if tb.requests[t] == h {
				delete(tb.requests, t)
			}
		})
	}
}

// refused reports a reserved type's registration.
func refused(s *Server, t string) bool {
	if !wire.Reserved(t) {
		return false
	}
	s.report(fmt.Errorf("%w: %s", ErrReservedType, wire.QuoteShort(t)))
	return true
}

func unmarshal(data []byte, v any) error {
	if len(data) == 0 {
		data = []byte("null")
	}
	return json.Unmarshal(data, v)
}

func marshal(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}

// handle runs the handlers for one message.
func (c *Conn) handle(in inbound) {
	if in.raw != nil {
		for _, fn := range c.s.hooks.Load().raw {
			c.guard("raw", func() { fn(c, in.typ, in.raw) })
		}
		return
	}
	e := in.env
	tb := c.s.handlers.Load()
	if e.Kind() == wire.KindRequest {
		if h := c.s.internal.Request; h != nil && h(c, e.Type, e.ID, e.Data) {
			return
		}
		c.answer(tb, e)
		return
	}
	ctx := c.ctx
	if e.Seq > 0 {
		if sess := c.rel.sess.Load(); sess != nil {
			var done func()
			var ok bool
			if ctx, done, ok = c.acceptEvent(sess, e); !ok {
				return
			}
			defer done()
		}
	}
	hs := tb.events[e.Type]
	if len(hs) == 0 {
		c.report(&sdk.UnknownTypeError{Type: e.Type, Suggestion: suggest(e.Type, tb)})
		return
	}
	for _, h := range hs {
		var err error
		c.guard(e.Type, func() { err = h.fn(ctx, c, e.Data) })
		if err != nil {
			c.report(&sdk.HandlerError{Type: e.Type, Err: err})
		}
	}
}

// answer runs a request's handler and sends its reply.
func (c *Conn) answer(tb *handlerTable, e wire.Envelope) {
	h := tb.requests[e.Type]
	if h == nil {
		err := &sdk.UnknownTypeError{Type: e.Type, Suggestion: suggest(e.Type, tb)}
		c.reply(wire.ErrorReply(e.Type, e.ID, "unknown_type", err.Error()))
		c.report(err)
		return
	}
	var data []byte
	var err error
	if c.guard(e.Type, func() { data, err = h.fn(c.ctx, c, e.Data) }) {
		c.reply(wire.ErrorReply(e.Type, e.ID, CodeInternal, internalMessage))
		return
	}
	if err == nil {
		c.reply(wire.Append(nil, e.Type, "re", e.ID, "data", data))
		return
	}
	var re *sdk.RemoteError
	if errors.As(err, &re) {
		c.reply(wire.ErrorReply(e.Type, e.ID, re.Code, re.Message))
		return
	}
	c.reply(wire.ErrorReply(e.Type, e.ID, CodeInternal, internalMessage))
	c.report(&sdk.HandlerError{Type: e.Type, Err: err})
}

func panicError(v any) error { return &PanicError{Value: v, Stack: debug.Stack()} }

// suggest returns the registered type closest to t by edit distance, or ""
// when none is close enough to be a likely misspelling (the client's rule).
func suggest(t string, tb *handlerTable) string {
	var names []string
	for k := range tb.events {
		names = append(names, k)
	}
	for k := range tb.requests {
		names = append(names, k)
	}
	sort.Strings(names)
	best, bestDist := "", max(3, len(t)/2+1)
	for _, n := range names {
		if d := levenshtein.ComputeDistance(t, n); d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}
