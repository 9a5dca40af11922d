//go:build !js

package testserver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/steadyws/steadyws/sdk/server"
)

const (
	// readLimit is far above any client's limit so that the server never
	// refuses what a test sends.
	readLimit = 16 << 20
	// sendQueue is sdk/server's outbound queue per connection: deep, so
	// that a test blasting frames is slowed down by TCP, not closed with
	// 1013.
	sendQueue = 4096
	// upRetry is how long Up keeps trying to listen on the old address.
	upRetry = 5 * time.Second
	// handshakeWait bounds waitHandshakes; a handshake takes well under a
	// millisecond once the server has decided to accept it.
	handshakeWait = time.Second
	// closeWait bounds CloseAll's wait for a close handshake, and Close's
	// for sdk/server's goroutines.
	closeWait = 6 * time.Second
)

// ErrClosed is returned by methods called after Close.
var ErrClosed = errors.New("testserver: server closed")

// Server is a running test server: a *server.Server (package sdk/server,
// the protocol as every steadyws server speaks it) with faults around it.
// Its methods are safe for concurrent use.
//
// On /ws it records every frame in Received (but ping and pong), answers
// ping with pong and requests of unknown types with unknown_type (both
// sdk/server's own duties), echoes "echo" events, text frames starting with
// "raw:" and binary frames, answers other frames that are not envelopes
// with the event {"type":"error","data":{"message":"malformed JSON"}} (or
// "missing type"), and answers these requests:
//
//	echo                       reply with the same data
//	sum   {"a":1,"b":2}        reply {"sum":3}; bad_args if a or b is not a number
//	fail                       error reply bad_args "fail was asked to fail"
//	slow  {"ms":N}             reply {"ok":true} after N ms, without holding back other replies
//	drop                       close the connection abruptly, no reply
//	close {"code":N,"reason":R} close the connection with code N (default 1000) and reason R
//	send  {"frame":F}          reply {"ok":true}, then send the text frame F as is
//	big   {"bytes":N}          reply {"ok":true}, then send {"type":"big","data":"xxx..."} with N x's
//	ask   {"type":T,"data":D}  send the request T with data D to this client, wait up to 5 s and
//	                           reply {"reply":<its reply data>}, or relay its error reply
//	anything else              error reply unknown_type
//
// Replies from the client settle the server's own requests (Request, ask).
type Server struct {
	addr     string // the /ws listener's address, kept across Down and Up
	ctrlAddr string
	tls      *tls.Config // non-nil: /ws is served over TLS (StartTLS)
	cert     *x509.Certificate
	srv      *server.Server // the protocol, for every listen generation

	ctx    context.Context // canceled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine the server starts or serves a request on

	mu         sync.Mutex
	closed     bool
	wsSrv      *http.Server // nil while down
	gen        uint64       // incremented by every listen on addr
	ctrlSrv    *http.Server
	conns      []*conn // open connections, oldest first
	reject     int
	silent     bool
	storm      int
	delay      time.Duration
	accepted   int
	attempts   []time.Time
	received   []Message
	recvSignal chan struct{} // closed and replaced whenever received grows
	// A client's Dial can return before sdk/server has registered the
	// connection; methods that look at connections first wait for such
	// handshakes (see waitHandshakes).
	handshaking    int
	handshakesIdle chan struct{} // closed and replaced when handshaking drops to 0
}

// Start starts a server on 127.0.0.1 with two ephemeral ports: one for /ws
// (and /control/ while it is up), one for the control surface only.
func Start() (*Server, error) {
	return StartAddr("127.0.0.1:0", "127.0.0.1:0")
}

// StartAddr is Start with chosen addresses: addr for /ws, controlAddr for the
// control surface. Both must be loopback; port 0 picks a free port.
func StartAddr(addr, controlAddr string) (*Server, error) {
	return startServer(addr, controlAddr, nil, nil)
}

// StartTLS is Start with the /ws listener behind TLS, so that URL is
// "wss://127.0.0.1:PORT/ws". The certificate is self-signed, made afresh
// for 127.0.0.1, ::1 and localhost: clients reject it unless they trust
// Certificate as a root CA. The control surface stays plain HTTP.
func StartTLS() (*Server, error) {
	cert, pair, err := selfSigned()
	if err != nil {
		return nil, err
	}
	return startServer("127.0.0.1:0", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}}, cert)
}

// Certificate is the server's TLS certificate (StartTLS), or nil.
func (s *Server) Certificate() *x509.Certificate { return s.cert }

func startServer(addr, controlAddr string, tlsConfig *tls.Config, cert *x509.Certificate) (*Server, error) {
	ln, err := listenLoopback(addr)
	if err != nil {
		return nil, err
	}
	ctrlLn, err := listenLoopback(controlAddr)
	if err != nil {
		ln.Close()
		return nil, err
	}
	s := &Server{
		addr:           ln.Addr().String(),
		ctrlAddr:       ctrlLn.Addr().String(),
		tls:            tlsConfig,
		cert:           cert,
		recvSignal:     make(chan struct{}),
		handshakesIdle: make(chan struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.srv = s.newProtocolServer()

	ctrlMux := http.NewServeMux()
	ctrlMux.HandleFunc("/control/", s.serveControl)
	s.ctrlSrv = newHTTPServer(ctrlMux)
	s.serve(s.ctrlSrv, ctrlLn)

	s.mu.Lock()
	s.listenWS(ln)
	s.mu.Unlock()
	return s, nil
}

func listenLoopback(addr string) (net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("testserver: bad address %q: %w", addr, err)
	}
	if host == "localhost" || host == "" {
		host = "127.0.0.1"
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("testserver: %q is not a loopback address", addr)
	}
	return net.Listen("tcp", net.JoinHostPort(host, port))
}

func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)}
}

// serve runs srv on ln in a tracked goroutine.
func (s *Server) serve(srv *http.Server, ln net.Listener) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = srv.Serve(ln)
	}()
}

type connInfoKey struct{}

// connInfo tells the /ws handler which TCP connection and which listen
// generation a request came from.
type connInfo struct {
	gate *gateConn
	gen  uint64
}

// listenWS serves /ws (and /control/) on ln. s.mu must be held.
func (s *Server) listenWS(ln net.Listener) {
	s.gen++
	gen := s.gen
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", s.handleWS)
	if reliableHooks.mount != nil {
		reliableHooks.mount(s, mux)
	}
	mux.HandleFunc("/control/", s.serveControl)
	srv := newHTTPServer(mux)
	srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if tc, ok := c.(*tls.Conn); ok {
			c = tc.NetConn()
		}
		g, _ := c.(*gateConn)
		return context.WithValue(ctx, connInfoKey{}, connInfo{gate: g, gen: gen})
	}
	s.wsSrv = srv
	var gated net.Listener = &gateListener{Listener: ln, silent: s.isSilent, delay: s.currentDelay, start: s.goTracked}
	if s.tls != nil {
		gated = tls.NewListener(gated, s.tls)
	}
	s.serve(srv, gated)
}

func (s *Server) isSilent() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.silent
}

// track counts one more running goroutine, unless the server is closed.
// Callers that get true must call s.wg.Done.
func (s *Server) track() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	return true
}

// goTracked runs fn in a goroutine that Close waits for.
func (s *Server) goTracked(fn func()) bool {
	if !s.track() {
		return false
	}
	go func() {
		defer s.wg.Done()
		fn()
	}()
	return true
}

// URL is the WebSocket endpoint, "ws://127.0.0.1:PORT/ws" ("wss://" after
// StartTLS).
func (s *Server) URL() string {
	if s.tls != nil {
		return "wss://" + s.addr + "/ws"
	}
	return "ws://" + s.addr + "/ws"
}

// HTTPURL is the origin of the /ws listener, "http://127.0.0.1:PORT"
// ("https://" after StartTLS).
func (s *Server) HTTPURL() string {
	if s.tls != nil {
		return "https://" + s.addr
	}
	return "http://" + s.addr
}

// Addr is the /ws listener's address, "127.0.0.1:PORT". It does not change
// across Down and Up.
func (s *Server) Addr() string { return s.addr }

// ControlURL is the base of the control surface on its own listener,
// "http://127.0.0.1:CPORT/control". It stays up during Down and Outage.
func (s *Server) ControlURL() string { return "http://" + s.ctrlAddr + "/control" }

// Close stops both listeners, closes every connection abruptly and waits for
// every goroutine the server started.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	wsSrv, ctrlSrv, conns := s.wsSrv, s.ctrlSrv, s.conns
	s.wsSrv, s.conns = nil, nil
	s.mu.Unlock()

	s.cancel()
	if wsSrv != nil {
		_ = wsSrv.Close()
	}
	_ = ctrlSrv.Close()
	for _, c := range conns {
		_ = c.c.CloseNow()
	}
	// Nothing is left for Shutdown to close; it waits for sdk/server's
	// goroutines.
	ctx, cancel := context.WithTimeout(context.Background(), closeWait)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
	if reliableHooks.close != nil {
		reliableHooks.close(s)
	}
	s.wg.Wait()
}

// reliableHooks serve /reliable (reliable.go) where sdk/server builds.
var reliableHooks struct {
	mount       func(s *Server, mux *http.ServeMux)
	drop, close func(s *Server)
}

// ReliableURL is the ws:// URL of /reliable, where sdk/server serves
// reliable mode (reliable.go).
func (s *Server) ReliableURL() string { return strings.TrimSuffix(s.URL(), "/ws") + "/reliable" }

// Down closes every connection abruptly and stops listening, so that dials
// are refused until Up.
func (s *Server) Down() {
	s.mu.Lock()
	srv := s.wsSrv
	s.wsSrv = nil
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
	s.DropAll()
}

// Up listens again on the same address. It retries for a few seconds if the
// port is still busy, and does nothing if the server is already up.
func (s *Server) Up() error {
	s.mu.Lock()
	closed, up := s.closed, s.wsSrv != nil
	s.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if up {
		return nil
	}
	deadline := time.Now().Add(upRetry)
	var ln net.Listener
	for {
		var err error
		ln, err = net.Listen("tcp", s.addr)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("testserver: listening again on %s: %w", s.addr, err)
		}
		select {
		case <-time.After(25 * time.Millisecond):
		case <-s.ctx.Done():
			return ErrClosed
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.wsSrv != nil {
		ln.Close()
		if s.closed {
			return ErrClosed
		}
		return nil
	}
	s.listenWS(ln)
	return nil
}

// Outage calls Down, then Up after d in the background. Close cancels the
// pending Up.
func (s *Server) Outage(d time.Duration) {
	s.Down()
	s.goTracked(func() {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			_ = s.Up()
		case <-s.ctx.Done():
		}
	})
}

// handshakeStarted and handshakeEnded bracket the part of a handshake between
// the decision to accept and the registration of the connection.
func (s *Server) handshakeStarted() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handshaking++
}

func (s *Server) handshakeEnded() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handshaking--
	if s.handshaking == 0 {
		close(s.handshakesIdle)
		s.handshakesIdle = make(chan struct{})
	}
}

// waitHandshakes waits (up to handshakeWait) for handshakes in progress to
// register their connections, so that a test that has just seen its Dial
// return also sees the connection in Conns, Accepted, Broadcast and the rest.
func (s *Server) waitHandshakes() {
	t := time.NewTimer(handshakeWait)
	defer t.Stop()
	for {
		s.mu.Lock()
		n, idle := s.handshaking, s.handshakesIdle
		s.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case <-idle:
		case <-t.C:
			return
		case <-s.ctx.Done():
			return
		}
	}
}

// register adds an accepted connection, unless the server closed or went
// down (or down and up again) since the handshake started.
func (s *Server) register(c *conn, gen uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accepted++
	if s.closed || s.wsSrv == nil || gen != s.gen {
		return false
	}
	if s.silent {
		c.gate.silenced.Store(true)
	}
	s.conns = append(s.conns, c)
	return true
}

func (s *Server) unregister(sc *server.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.conns {
		if x.c == sc {
			s.conns = append(s.conns[:i:i], s.conns[i+1:]...)
			return
		}
	}
}

// snapshot returns the open connections, oldest first; with live set, only
// those that can still talk (not silenced, not being closed by
// AcceptThenClose).
func (s *Server) snapshot(live bool) []*conn {
	s.waitHandshakes()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*conn, 0, len(s.conns))
	for _, c := range s.conns {
		if live && (c.storm || c.gate.silenced.Load()) {
			continue
		}
		out = append(out, c)
	}
	return out
}

func (s *Server) currentDelay() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delay
}
