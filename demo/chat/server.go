package chat

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/steadyws/steadyws/demo/web"
	"github.com/steadyws/steadyws/sdk/server"
)

// Limits the server enforces on what clients send.
const (
	// MaxMessage is the largest frame the server takes; a larger one is
	// answered with an error event and the connection stays up.
	MaxMessage = 16 << 10
	// MaxText is the longest chat message, in characters.
	MaxText = 2000
	// MaxNick is the longest nickname, in characters.
	MaxNick = 24
)

const (
	// idleTimeout drops a connection on which nothing arrived for this
	// long: the SDK's heartbeat pings every 25 s by default, so a live
	// client never gets near it.
	idleTimeout = 75 * time.Second
	// whoamiTimeout bounds the server's whoami request.
	whoamiTimeout = 5 * time.Second
	// closeGrace is how long Close waits for close handshakes.
	closeGrace = time.Second
)

// Options configures a Server. The zero value serves the embedded page and
// answers /dist/ with 404.
type Options struct {
	// Dist is the directory holding steadyws.wasm, wasm_exec.js and
	// steadyws.mjs, served under /dist/. Defaults to none: /dist/ answers
	// 404 with a hint to run make wasm.
	Dist string
	// Page holds index.html, app.js and style.css, served at /. Defaults
	// to the embedded demo page.
	Page fs.FS
	// Logger receives a line per connection, join, leave and fault.
	// Defaults to slog.Default().
	Logger *slog.Logger
}

// Server is the demo chat server; it is an http.Handler. Its methods are
// safe for concurrent use. The protocol is sdk/server's; this package adds
// the room, the fault endpoints and the page.
type Server struct {
	opts Options
	log  *slog.Logger
	mux  *http.ServeMux
	// ws serves /ws in reliable mode; plain serves WebSocket upgrades on /
	// (the seed tutorial's endpoint) without it. Two servers, so that a
	// chat line broadcast on ws, numbered for every session, never reaches
	// the seed page's plain connections as an envelope.
	ws, plain *server.Server

	wg sync.WaitGroup // whoami requests, evictions

	mu        sync.Mutex
	closed    bool
	nextID    uint64
	conns     map[*server.Conn]*conn
	members   map[string]*conn // joined connections by folded nickname
	downUntil time.Time        // /ws answers 503 until then (restart fault)
}

// New returns a Server; it does no I/O until it serves requests.
func New(opts *Options) *Server {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Page == nil {
		o.Page = web.Files
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := &Server{
		opts:    o,
		log:     o.Logger,
		conns:   make(map[*server.Conn]*conn),
		members: make(map[string]*conn),
	}
	wsOpts := server.Options{
		IdleTimeout: idleTimeout,
		ReadLimit:   MaxMessage,
		// The seed tutorial's page is opened from a file or another
		// origin. The room has no login, so a page of any origin may join
		// it.
		OriginPatterns: []string{"*"},
	}
	s.plain = server.New(&wsOpts)
	// Reliable mode on /ws: a client that opens with a $hello gets a
	// session, and the chat lines sent to it (Broadcast, numbered) and
	// from it reach the other side exactly once and in order across the
	// fault buttons' lost connections. Each session is bound to the
	// principal authorize returns.
	wsOpts.Reliable = true
	wsOpts.Authorize = authorize
	s.ws = server.New(&wsOpts)
	for _, srv := range []*server.Server{s.ws, s.plain} {
		srv.OnConnect(s.connected)
		srv.OnDisconnect(s.disconnected)
		srv.OnError(s.reportError)
		srv.OnRaw(s.raw)
		server.HandleRequest(srv, "join", s.join)
		server.HandleRequest(srv, "sum", sum)
		server.HandleRequest(srv, "time", now)
		server.Handle(srv, "chat", s.chat)
	}

	s.mux = http.NewServeMux()
	s.mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) { s.serveWS(w, r, s.ws) })
	s.mux.Handle("/dist/", getOnly(s.distHandler()))
	page := getOnly(s.pageHandler())
	// The seed tutorial's page connects to ws://127.0.0.1:8001/ and speaks
	// plain text: / is its WebSocket endpoint as well as the page.
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" && server.IsUpgrade(r) {
			s.serveWS(w, r, s.plain)
			return
		}
		page.ServeHTTP(w, r)
	})
	s.mux.HandleFunc("POST /fault/drop", s.faultDrop)
	s.mux.HandleFunc("POST /fault/drop-all", s.faultDropAll)
	s.mux.HandleFunc("POST /fault/restart", s.faultRestart)
	s.mux.HandleFunc("POST /fault/silent", s.faultSilent)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Close closes every WebSocket connection with 1012 (clients reconnect
// elsewhere or later), drops those that do not answer within a second, and
// returns when every connection's handlers have ended. New handshakes get
// 503. It does not stop an http.Server: call its Shutdown first.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), closeGrace)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.plain.Shutdown(ctx) }()
	err := s.ws.Shutdown(ctx)
	if perr := <-done; err == nil {
		err = perr
	}
	s.wg.Wait()
	if errors.Is(err, context.DeadlineExceeded) {
		err = nil // the stragglers were dropped
	}
	return err
}
