//go:build !steadyws_nojson

package sdk

import "context"

// The Go API's functions that take a context.Context, which the JavaScript
// API's build does without (see clock.go); typed.go holds the rest.

// Dial is New followed by waiting for the first connection to open. It
// keeps retrying as Options describe until ctx ends; then, or when the
// client stops for good first, it closes the client and returns the error.
func Dial(ctx context.Context, url string, opts *Options) (*Client, error) {
	c := New(url, opts)
	c.mu.Lock()
	lf, err := c.life, c.err
	c.mu.Unlock()
	if lf == nil { // never started: options out of range
		return nil, err
	}
	select {
	case <-lf.opened:
		return c, nil
	case <-lf.done:
		return nil, c.Err()
	case <-ctx.Done():
		c.mu.Lock()
		n, last := c.failures, c.lastFailure
		c.mu.Unlock()
		c.Close()
		return nil, newDialError(url, n, last, ctx.Err())
	}
}

// OnOpen registers fn to run each time a connection opens, before the
// queued messages are flushed. Messages sent with the ctx it receives go
// out at once, ahead of the queue (an authentication message, say); other
// sends made meanwhile are queued behind it. Registered while a connection
// is already open, fn also runs at once for that connection, and sends
// made after OnOpen returns wait in the queue until it has run, so a
// handler added just after New still goes first. The returned func removes
// fn.
func (c *Client) OnOpen(fn func(ctx context.Context)) (remove func()) {
	return c.onOpen(fn)
}
