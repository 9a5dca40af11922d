//go:build !js

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"
	sdkserver "github.com/steadyws/steadyws/sdk/server"

	"github.com/steadyws/steadyws/js/bench/internal/workload"
)

// server is the in-process bench server: sdk/server on /ws and, in
// reliable mode, on /reliable, echoing what the clients send; the raw echo
// on /echo (rawecho.go); and optionally the bench page and the dist/
// files. It can take itself off the network for a while (an outage) and
// come back on the same address.
type server struct {
	handler    http.Handler
	plain, rel *sdkserver.Server
	// errLog, when set before start, gets what the protocol servers report
	// through OnError (a malformed frame, an unknown type).
	errLog io.Writer

	mu    sync.Mutex
	hooks hooks
	addr  string
	ln    net.Listener
	hs    *http.Server
	conns map[*sdkserver.Conn]bool
	// rawConns are the raw echo's connections.
	rawConns map[*websocket.Conn]bool
	wg       sync.WaitGroup // Serve loops, the raw echo's handlers
}

// hooks let the reconnect workload watch the server.
type hooks struct {
	// connect, when set, is told of every accepted WebSocket, with the
	// client's name (the "client" query parameter).
	connect func(client string)
	// mark, when set, sees every mark event before it is echoed, with the
	// time its handler got it.
	mark func(client string, m workload.Mark, at time.Time)
}

// setHooks installs h.
func (s *server) setHooks(h hooks) {
	s.mu.Lock()
	s.hooks = h
	s.mu.Unlock()
}

// clientKey carries the "client" query parameter from the handshake to the
// connection's context.
type clientKey struct{}

// newServer returns a server; assets, when non-nil, serves everything but
// /ws, /reliable and /echo.
func newServer(assets http.Handler) *server {
	s := &server{conns: make(map[*sdkserver.Conn]bool), rawConns: make(map[*websocket.Conn]bool)}
	s.plain, s.rel = s.protocol(false), s.protocol(true)
	mux := http.NewServeMux()
	mux.Handle("/ws", withClient(s.plain))
	mux.Handle("/reliable", withClient(s.rel))
	mux.HandleFunc("/echo", s.serveRaw)
	if assets != nil {
		mux.Handle("/", assets)
	}
	s.handler = mux
	return s
}

func withClient(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), clientKey{}, r.URL.Query().Get("client"))
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// protocol returns the echo: requests of type echo are answered with their
// data, events of type echo and mark are sent back as they came. Data is
// copied as json.RawMessage, never decoded into Go values.
func (s *server) protocol(reliable bool) *sdkserver.Server {
	p := sdkserver.New(&sdkserver.Options{
		IdleTimeout: -1, // the bench's clients are never idle for long; no probes in a measurement
		ReadLimit:   4 << 20,
		// Pipelined clients send every message before they read a reply:
		// queues and windows as large as a run, so that the bench measures
		// speed, not back-pressure.
		SendQueue:          1 << 16,
		SessionWindow:      1 << 16,
		SessionWindowBytes: 1 << 30,
		Reliable:           reliable,
		// The bench page and the outage server live on different ports.
		OriginPatterns: []string{"127.0.0.1:*"},
	})
	sdkserver.HandleRequest(p, "echo", func(_ context.Context, _ *sdkserver.Conn, d json.RawMessage) (json.RawMessage, error) {
		return d, nil
	})
	sdkserver.Handle(p, "echo", func(ctx context.Context, c *sdkserver.Conn, d json.RawMessage) {
		_ = sdkserver.Send(ctx, c, "echo", d)
	})
	sdkserver.Handle(p, "mark", func(ctx context.Context, c *sdkserver.Conn, m workload.Mark) {
		at := time.Now()
		s.mu.Lock()
		h := s.hooks
		s.mu.Unlock()
		if h.mark != nil {
			h.mark(clientOf(c), m, at)
		}
		_ = sdkserver.Send(ctx, c, "mark", m)
	})
	p.OnConnect(s.connected)
	p.OnDisconnect(func(c *sdkserver.Conn, _ error) {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	})
	p.OnError(func(err error) {
		if s.errLog != nil {
			fmt.Fprintln(s.errLog, "bench server:", err)
		}
	})
	return p
}

func clientOf(c *sdkserver.Conn) string {
	name, _ := c.Context().Value(clientKey{}).(string)
	return name
}

func (s *server) connected(c *sdkserver.Conn) {
	s.mu.Lock()
	if s.hs == nil { // went down during the handshake
		s.mu.Unlock()
		_ = c.CloseNow()
		return
	}
	s.conns[c] = true
	h := s.hooks
	s.mu.Unlock()
	if h.connect != nil {
		h.connect(clientOf(c))
	}
}

// start listens on a fresh loopback port.
func (s *server) start() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addr = ln.Addr().String()
	s.serveLocked(ln)
	return nil
}

func (s *server) serveLocked(ln net.Listener) {
	hs := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	s.ln, s.hs = ln, hs
	s.wg.Go(func() { hs.Serve(ln) })
}

// URL returns the server's base URL with scheme (http or ws).
func (s *server) URL(scheme string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return scheme + "://" + s.addr
}

// down stops accepting connections and drops every open WebSocket without
// a close frame, as a crashed server or a dead network would.
func (s *server) down() {
	s.mu.Lock()
	hs := s.hs
	s.hs, s.ln = nil, nil
	conns := make([]*sdkserver.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	raws := make([]*websocket.Conn, 0, len(s.rawConns))
	for c := range s.rawConns {
		raws = append(raws, c)
	}
	s.mu.Unlock()
	if hs != nil {
		hs.Close() // closes the listener and idle HTTP connections
	}
	for _, c := range conns {
		_ = c.CloseNow()
	}
	for _, c := range raws {
		c.CloseNow()
	}
}

// up listens again on the address the server had and returns the time the
// port began to accept connections (the kernel queues them from then on,
// before Serve takes them).
func (s *server) up(ctx context.Context) (time.Time, error) {
	s.mu.Lock()
	addr := s.addr
	s.mu.Unlock()
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			at := time.Now()
			s.mu.Lock()
			s.serveLocked(ln)
			s.mu.Unlock()
			return at, nil
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			return time.Time{}, err
		}
		select {
		case <-ctx.Done():
			return time.Time{}, err
		case <-time.After(time.Millisecond):
		}
	}
}

// close stops the server and waits for its handlers.
func (s *server) close() {
	s.down()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.plain.Shutdown(ctx)
	_ = s.rel.Shutdown(ctx)
	s.wg.Wait()
}

// isolated adds the headers that give the page cross-origin isolation,
// without which Chromium rounds performance.now() (and Go's clock in wasm)
// to 100 µs instead of 5 µs.
func isolated(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
		w.Header().Set("Cross-Origin-Embedder-Policy", "require-corp")
		w.Header().Set("Cross-Origin-Resource-Policy", "same-origin")
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}
