//go:build !js

package server

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"
	"github.com/steadyws/steadyws/sdk"
	"github.com/steadyws/steadyws/sdk/internal/serverhook"
)

var sdkErrRequestTimeout = sdk.ErrRequestTimeout

// BroadcastTopic is the PubSub topic Broadcast publishes to and every
// Server subscribes to.
const BroadcastTopic = "steadyws.broadcast"

// Server serves the steadyws protocol; it is an http.Handler. Its methods
// are safe for concurrent use.
type Server struct {
	opts   Options
	accept *websocket.AcceptOptions

	ctx    context.Context // parent of every connection's context; canceled when Shutdown gives up waiting
	cancel context.CancelFunc
	wg     sync.WaitGroup // connections, handler runners, closers

	handlers atomic.Pointer[handlerTable] // copy on write
	hmu      sync.Mutex                   // serializes writers of handlers and hooks

	hooks atomic.Pointer[hooks] // copy on write

	mu       sync.Mutex
	conns    map[*Conn]struct{}
	shutdown bool

	unsubscribe func()
	subErr      error

	internal serverhook.Hooks // set before serving, by the test server only
	rel      relServer        // reliable mode
	early    []error          // reported before any OnError was registered
}

type hooks struct {
	connect    []func(*Conn)
	disconnect []func(*Conn, error)
	errs       []func(error)
	raw        []func(*Conn, websocket.MessageType, []byte)
}

// New returns a Server configured by opts (nil means defaults). Serve it
// with an http.ServeMux, say mux.Handle("/ws", srv).
func New(opts *Options) *Server {
	s := &Server{opts: opts.withDefaults(), conns: make(map[*Conn]struct{})}
	s.accept = &websocket.AcceptOptions{
		Subprotocols:   s.opts.Subprotocols,
		OriginPatterns: s.opts.OriginPatterns,
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.handlers.Store(&handlerTable{})
	s.hooks.Store(&hooks{})
	s.unsubscribe, s.subErr = s.opts.PubSub.Subscribe(BroadcastTopic, s.deliver)
	if s.unsubscribe == nil {
		s.unsubscribe = func() {}
	}
	return s
}

func (s *Server) addHook(fn func(h *hooks)) {
	s.hmu.Lock()
	defer s.hmu.Unlock()
	h := *s.hooks.Load()
	fn(&h)
	s.hooks.Store(&h)
}

// OnConnect registers fn to run for every accepted connection, before any
// of its messages is handled. On a reliable server it runs after the
// connection's first frame: after the $hello is answered and the kept
// events are queued again, so what fn sends comes after them.
func (s *Server) OnConnect(fn func(c *Conn)) {
	s.addHook(func(h *hooks) { h.connect = append(h.connect[:len(h.connect):len(h.connect)], fn) })
}

// OnDisconnect registers fn to run once for every connection that ended,
// after its last handler returned. err says why: a *sdk.CloseError for a
// close frame from the client, ErrQueueFull, ErrIdleTimeout, ErrShutdown,
// or the error that broke the connection; nil after Conn.Close.
func (s *Server) OnDisconnect(fn func(c *Conn, err error)) {
	s.addHook(func(h *hooks) { h.disconnect = append(h.disconnect[:len(h.disconnect):len(h.disconnect)], fn) })
}

// OnError registers fn to receive what went wrong without ending a
// connection: malformed frames, oversized messages, unknown types, handler
// errors and panics (most wrapped in a *ConnError), and Authorize errors.
//
// Errors reported before the first OnError was registered (a handler
// refused at registration, say) are held and given to the first one.
func (s *Server) OnError(fn func(err error)) {
	s.addHook(func(h *hooks) { h.errs = append(h.errs[:len(h.errs):len(h.errs)], fn) })
	s.hmu.Lock()
	early := s.early
	s.early = nil
	s.hmu.Unlock()
	for _, err := range early {
		s.report(err)
	}
}

// OnRaw registers fn for frames that are not envelopes: binary frames, and
// text frames that are not a JSON object with a "type" (plain text from a
// client that knows nothing of the envelope). While none is registered,
// such frames are reported through OnError instead. fn runs like a handler:
// one at a time per connection, in arrival order. b is fn's to keep.
func (s *Server) OnRaw(fn func(c *Conn, typ websocket.MessageType, b []byte)) {
	s.addHook(func(h *hooks) { h.raw = append(h.raw[:len(h.raw):len(h.raw)], fn) })
}

func (s *Server) report(err error) {
	if len(s.hooks.Load().errs) == 0 {
		s.hmu.Lock()
		if len(s.hooks.Load().errs) == 0 {
			if len(s.early) < 16 {
				s.early = append(s.early, err)
			}
			s.hmu.Unlock()
			return
		}
		s.hmu.Unlock()
	}
	for _, fn := range s.hooks.Load().errs {
		func() {
			defer func() { _ = recover() }() // an error hook must not take the server down
			fn(err)
		}()
	}
}

// Conns returns the open connections, in no particular order.
func (s *Server) Conns() []*Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		if c.rel.ready.Load() {
			out = append(out, c)
		}
	}
	return out
}

// Len is the number of open connections.
func (s *Server) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

func (s *Server) register(c *Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdown {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) unregister(c *Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
}

// Shutdown stops accepting handshakes (they are answered 503). On a
// reliable server it first drains: it stops taking inbound events (those
// that arrive are neither handled nor acknowledged: their client keeps
// them), acknowledges every event handed to handlers, and waits, as long
// as ctx allows, until the clients have acknowledged every event sent to
// them (Send and Broadcast still work meanwhile). Then it closes every
// connection with 1012 (service restart: steadyws clients reconnect, with
// backoff and jitter, to another instance or this one once it is back),
// and waits until every connection has ended and every handler returned.
// When ctx ends first it drops what is left, waits for nothing more and
// returns ctx's error. Handlers' contexts are canceled when their
// connection ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	already := s.shutdown
	s.shutdown = true
	conns := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	if s.opts.Reliable {
		s.drain(ctx, conns)
	}
	if !already {
		s.unsubscribe()
	}
	for _, c := range conns {
		c.closeWith(websocket.StatusServiceRestart, "server restarting", ErrShutdown)
	}
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		s.cancel()
		return nil
	case <-ctx.Done():
		s.cancel()
		for _, c := range conns {
			c.cancel()
			_ = c.ws.CloseNow()
		}
		return ctx.Err()
	}
}
