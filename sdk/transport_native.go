//go:build !js

package sdk

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// WithHTTPClient returns a copy of o (nil means defaults) whose native
// handshakes use hc: for TLS settings, proxies or a custom net.Dialer. It
// exists only in the native build; the browser chooses its own network
// stack.
func WithHTTPClient(o *Options, hc *http.Client) *Options {
	var c Options
	if o != nil {
		c = *o
	}
	c.nativeHTTPClient = hc
	return &c
}

// closeGrace bounds a close handshake: a peer that does not answer within it
// is dropped.
const closeGrace = time.Second

var platformDial dialer = dialNative

// platformRunning has nothing to do natively; in the browser it subscribes
// a running client to page lifecycle signals.
func platformRunning(*Client, bool) {}

type nativeConn struct {
	ws        *websocket.Conn
	closeOnce sync.Once
	done      chan struct{} // closed when the read loop has ended
}

func dialNative(ctx context.Context, rawURL string, o *Options, s sink) (conn, error) {
	// A URL that cannot work stops the client instead of retrying forever.
	if u, err := url.Parse(rawURL); err != nil {
		return nil, &badURLError{err}
	} else if u.Scheme != "ws" && u.Scheme != "wss" && u.Scheme != "http" && u.Scheme != "https" {
		return nil, &badURLError{errors.New("scheme " + strconv.Quote(u.Scheme) + " is not ws or wss")}
	}
	opts := &websocket.DialOptions{
		HTTPHeader:   http.Header(o.Header),
		Subprotocols: o.Protocols,
	}
	if hc, ok := o.nativeHTTPClient.(*http.Client); ok && hc != nil {
		opts.HTTPClient = hc
	}
	ws, resp, err := websocket.Dial(ctx, rawURL, opts)
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols && resp.StatusCode != 0 {
			return nil, &HandshakeError{Status: resp.StatusCode}
		}
		return nil, err
	}
	// The core enforces the read limit itself so that an oversized message
	// is discarded without killing the connection.
	ws.SetReadLimit(-1)
	c := &nativeConn{ws: ws, done: make(chan struct{})}
	go c.readLoop(s, o.ReadLimit)
	return c, nil
}

func (c *nativeConn) readLoop(s sink, limit int64) {
	defer close(c.done)
	ctx := context.Background()
	var buf []byte
	for {
		typ, r, err := c.ws.Reader(ctx)
		if err != nil {
			s.ended(closeInfoFromErr(err))
			return
		}
		buf, err = readLimited(r, limit, buf[:0])
		var le *LimitError
		switch {
		case errors.As(err, &le):
			s.oversize(le.Size)
			continue
		case err != nil:
			s.ended(closeInfoFromErr(err))
			return
		}
		data := make([]byte, len(buf))
		copy(data, buf)
		s.frame(MessageType(typ), data)
	}
}

// readLimited reads a whole message into buf; past limit it discards the
// rest and returns a *LimitError with the full size.
func readLimited(r io.Reader, limit int64, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if limit >= 0 && int64(len(buf)) > limit {
			rest, err := io.Copy(io.Discard, r)
			if err != nil {
				return buf, err
			}
			return buf, &LimitError{Size: int64(len(buf)) + rest, Limit: limit}
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

func closeInfoFromErr(err error) CloseInfo {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return CloseInfo{Code: int(ce.Code), Reason: ce.Reason, WasClean: true,
			Err: &CloseError{Code: int(ce.Code), Reason: ce.Reason}}
	}
	return CloseInfo{Code: 1006, Err: err}
}

func (c *nativeConn) write(ctx context.Context, f frame) error {
	return c.ws.Write(ctx, websocket.MessageType(f.typ), f.data)
}

func (c *nativeConn) close(code int, reason string) {
	c.closeOnce.Do(func() {
		go func() {
			// Close waits for the peer's close frame, which the read loop
			// consumes; a silent peer is cut off after closeGrace.
			go c.ws.Close(websocket.StatusCode(code), reason)
			select {
			case <-c.done:
			case <-time.After(closeGrace):
				c.ws.CloseNow()
			}
		}()
	})
}

func (c *nativeConn) abort() {
	c.closeOnce.Do(func() {})
	c.ws.CloseNow()
}
