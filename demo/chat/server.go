package chat

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/steadyws/steadyws/demo/web"
)

// Limits the server enforces on what clients send.
const (
	// MaxMessage is the largest frame the server takes; a larger one is
	// answered with an error event and the connection stays up.
	MaxMessage = 16 << 10
	// hardReadLimit is where the server stops reading a frame altogether
	// and closes the connection with 1009.
	hardReadLimit = 1 << 20
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
	// writeTimeout bounds every write, so a client that stopped reading
	// cannot wedge the server.
	writeTimeout = 5 * time.Second
	// outBuffer is how many frames may wait for a slow client before it
	// is dropped.
	outBuffer = 256
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
// safe for concurrent use.
type Server struct {
	opts Options
	log  *slog.Logger
	mux  *http.ServeMux

	ctx    context.Context // canceled by Close; parent of every connection's
	cancel context.CancelFunc
	wg     sync.WaitGroup // every /ws handler

	mu        sync.Mutex
	closed    bool
	nextID    uint64
	conns     map[*conn]struct{}
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
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		opts:    o,
		log:     o.Logger,
		ctx:     ctx,
		cancel:  cancel,
		conns:   make(map[*conn]struct{}),
		members: make(map[string]*conn),
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("/ws", s.serveWS)
	s.mux.Handle("/dist/", getOnly(s.distHandler()))
	s.mux.Handle("/", getOnly(s.pageHandler()))
	s.mux.HandleFunc("POST /fault/drop", s.faultDrop)
	s.mux.HandleFunc("POST /fault/drop-all", s.faultDropAll)
	s.mux.HandleFunc("POST /fault/restart", s.faultRestart)
	s.mux.HandleFunc("POST /fault/silent", s.faultSilent)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Close closes every WebSocket connection with 1001 (clients reconnect
// elsewhere or later), drops those that do not answer within a second, and
// returns when every connection's goroutines have ended. New handshakes get
// 503. It does not stop an http.Server: call its Shutdown first.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.wg.Wait()
		return nil
	}
	s.closed = true
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()

	var closing sync.WaitGroup
	for _, c := range conns {
		closing.Add(1)
		go func() {
			defer closing.Done()
			_ = c.ws.Close(websocket.StatusGoingAway, "server shutting down")
		}()
	}
	done := make(chan struct{})
	go func() { closing.Wait(); close(done) }()
	t := time.NewTimer(closeGrace)
	select {
	case <-done:
	case <-t.C:
	}
	t.Stop()
	s.cancel()
	for _, c := range conns {
		c.drop()
	}
	<-done
	s.wg.Wait()
	return nil
}
