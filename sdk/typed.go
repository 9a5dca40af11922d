//go:build !steadyws_nojson

package sdk

import (
	"context"
	"encoding/json"
)

// Send sends v, encoded as JSON, as an event of type t. While disconnected
// it is queued (see Options.Queue); a full queue returns ErrQueueFull and a
// stopped client returns Err's value. In reliable mode the event is
// numbered and kept until the server acknowledges it (see
// Options.Reliable). A type beginning with '$' is refused with a
// *ReservedTypeError.
func Send(ctx context.Context, c *Client, t string, v any) error {
	data, err := marshal(v)
	if err != nil {
		return err
	}
	return c.sendEvent(ctx, t, data)
}

// Handle registers fn for events of type t, decoding their data into M.
// Handlers run one at a time, in arrival order, and survive reconnects. Data
// that does not decode into M is reported through OnError as a
// *HandlerError. The returned func removes the handler. A type beginning
// with '$' is reserved for the protocol: fn is not registered, OnError
// gets a *ReservedTypeError, and the returned func does nothing.
func Handle[M any](c *Client, t string, fn func(ctx context.Context, m M)) (remove func()) {
	return c.handleEvent(t, func(ctx context.Context, data []byte) {
		var m M
		if err := unmarshal(data, &m); err != nil {
			c.reportCurrent(&HandlerError{Type: t, Err: err})
			return
		}
		fn(ctx, m)
	})
}

// Request sends in as a request of type t and decodes the reply's data into
// Out. It returns a *RemoteError for an error reply, ErrRequestTimeout when
// ctx's deadline (or, without one, Options.RequestTimeout) passes,
// ErrConnectionLost when the connection drops after the request was sent
// (it is never sent twice), and ErrQueueFull or Err's value as Send does.
// A request made while disconnected waits in the queue.
func Request[Out any](ctx context.Context, c *Client, t string, in any) (Out, error) {
	var out Out
	data, err := marshal(in)
	if err != nil {
		return out, err
	}
	raw, err := c.request(ctx, t, data)
	if err != nil {
		return out, err
	}
	return out, unmarshal(raw, &out)
}

// Go starts a request like Request but returns at once, so that one
// goroutine can have many requests in flight without a goroutine for each.
// ctx, or Options.RequestTimeout when it has no deadline, bounds the
// request as it does Request's; the outcome is the same as Request's.
func Go[Out any](ctx context.Context, c *Client, t string, in any) *Call[Out] {
	call := &Call[Out]{done: make(chan struct{}), c: c}
	data, err := marshal(in)
	if err != nil {
		call.err = err
		close(call.done)
		return call
	}
	c.start(ctx, t, data, func(r reply) {
		call.raw, call.err = r.data, r.err
		close(call.done)
	})
	return call
}

// Call is a request started by Go.
type Call[Out any] struct {
	c    *Client
	done chan struct{}
	raw  []byte
	err  error
}

// Done is closed once the request's outcome is known.
func (call *Call[Out]) Done() <-chan struct{} { return call.done }

// Result waits until Done is closed and returns what Request would have:
// the reply's data decoded into Out, or the error.
func (call *Call[Out]) Result() (Out, error) {
	select {
	case <-call.done:
	default:
		call.c.lead(background(), nil, call.done)
		<-call.done
	}
	var out Out
	if call.err != nil {
		return out, call.err
	}
	return out, unmarshal(call.raw, &out)
}

// HandleRequest makes fn the handler of requests of type t from the peer,
// replacing any earlier one. fn's result is the reply; an error becomes an
// error reply, with its Code and Message when it is a *RemoteError and
// code "handler_error" otherwise. A type beginning with '$' is refused as
// Handle refuses it.
func HandleRequest[In, Out any](c *Client, t string, fn func(ctx context.Context, in In) (Out, error)) (remove func()) {
	return c.handleRequest(t, func(ctx context.Context, data []byte) ([]byte, error) {
		var in In
		if err := unmarshal(data, &in); err != nil {
			return nil, &RemoteError{Type: t, Code: "bad_args", Message: err.Error()}
		}
		out, err := fn(ctx, in)
		if err != nil {
			return nil, err
		}
		return marshal(out)
	})
}

// SendText sends a raw text frame, queued like Send while disconnected.
func (c *Client) SendText(ctx context.Context, s string) error {
	return c.send(ctx, bytesFrame(MessageText, []byte(s)), "", nil)
}

// SendBinary sends a raw binary frame, queued like Send while disconnected.
// b must not be modified afterwards.
func (c *Client) SendBinary(ctx context.Context, b []byte) error {
	return c.send(ctx, bytesFrame(MessageBinary, b), "", nil)
}

func marshal(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}

func unmarshal(data []byte, v any) error {
	if len(data) == 0 {
		data = []byte("null")
	}
	return json.Unmarshal(data, v)
}
