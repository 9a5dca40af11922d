//go:build !js

package server

import (
	"context"
	"errors"

	"github.com/coder/websocket"
	"github.com/steadyws/steadyws/sdk"
	"github.com/steadyws/steadyws/sdk/internal/wire"
)

// Request sends in as a request of type t to the client on c and decodes
// the reply's data into Out. It returns a *sdk.RemoteError for an error
// reply, an error matching sdk.ErrRequestTimeout (and
// context.DeadlineExceeded) when ctx's deadline, or without one
// Options.RequestTimeout, passes, and sdk.ErrConnectionLost as soon as the
// connection ends while the request is in flight. A request is never sent
// twice.
func Request[Out any](ctx context.Context, c *Conn, t string, in any) (Out, error) {
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

func (c *Conn) request(ctx context.Context, t string, data []byte) ([]byte, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.s.opts.RequestTimeout)
		defer cancel()
	}
	ch := make(chan wire.Envelope, 1)
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	c.nextID++
	id := c.nextID
	if c.pending == nil {
		c.pending = make(map[int64]chan wire.Envelope)
	}
	c.pending[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
	}()

	if err := c.enqueue(websocket.MessageText, wire.Append(nil, t, "id", id, "data", data)); err != nil {
		return nil, err
	}
	c.handOff() // called from a handler the read goroutine runs, it must not wait for a reply only that goroutine would read
	select {
	case e := <-ch:
		if e.Error != nil {
			code, msg := wire.DecodeError(e.Error)
			return nil, &sdk.RemoteError{Type: t, Code: code, Message: msg}
		}
		return e.Data, nil
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, &timeoutError{cause: ctx.Err()}
		}
		return nil, ctx.Err()
	case <-c.ctx.Done():
		return nil, sdk.ErrConnectionLost
	}
}

// settle hands a reply to the Request waiting for it; a reply nobody waits
// for is reported.
func (c *Conn) settle(e wire.Envelope) {
	c.mu.Lock()
	ch := c.pending[e.Re]
	delete(c.pending, e.Re)
	c.mu.Unlock()
	if ch == nil {
		c.report(&sdk.UnexpectedReplyError{Type: e.Type, Re: e.Re})
		return
	}
	ch <- e
}
