//go:build !js

package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

// server is the in-process bench server: a WebSocket echo on /ws and,
// optionally, the bench page and the dist/ files. It can take itself off
// the network for a while (an outage) and come back on the same address.
type server struct {
	handler http.Handler

	mu    sync.Mutex
	hooks hooks
	addr  string
	ln    net.Listener
	hs    *http.Server
	conns map[*websocket.Conn]bool
	wg    sync.WaitGroup // handlers and Serve loops
}

// hooks let the reconnect workload watch the server.
type hooks struct {
	// connect, when set, is told of every accepted WebSocket, with the
	// client's name (the "client" query parameter).
	connect func(client string)
	// message, when set, sees every message before it is echoed, with the
	// time it was read.
	message func(client string, msg []byte, at time.Time)
}

// setHooks installs h for connections accepted from now on.
func (s *server) setHooks(h hooks) {
	s.mu.Lock()
	s.hooks = h
	s.mu.Unlock()
}

// newServer returns a server; assets, when non-nil, serves everything but
// /ws.
func newServer(assets http.Handler) *server {
	s := &server{conns: make(map[*websocket.Conn]bool)}
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", s.serveWS)
	if assets != nil {
		mux.Handle("/", assets)
	}
	s.handler = mux
	return s
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
	conns := make([]*websocket.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	if hs != nil {
		hs.Close() // closes the listener and idle HTTP connections
	}
	for _, c := range conns {
		c.CloseNow()
	}
}

// up listens again on the address the server had and returns when the port
// accepts connections.
func (s *server) up(ctx context.Context) error {
	s.mu.Lock()
	addr := s.addr
	s.mu.Unlock()
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			s.mu.Lock()
			s.serveLocked(ln)
			s.mu.Unlock()
			return nil
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Millisecond):
		}
	}
}

// close stops the server and waits for its handlers.
func (s *server) close() {
	s.down()
	s.wg.Wait()
}

func (s *server) serveWS(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		// The bench page and the outage server live on different ports.
		OriginPatterns:  []string{"127.0.0.1:*"},
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		return
	}
	client := r.URL.Query().Get("client")
	s.mu.Lock()
	if s.hs == nil { // went down during the handshake
		s.mu.Unlock()
		c.CloseNow()
		return
	}
	s.conns[c] = true
	s.wg.Add(1)
	h := s.hooks
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.CloseNow()
		s.wg.Done()
	}()
	if h.connect != nil {
		h.connect(client)
	}
	c.SetReadLimit(4 << 20)
	ctx := context.Background() // the connection ends by CloseNow, not by ctx
	var buf bytes.Buffer
	for {
		typ, rd, err := c.Reader(ctx)
		if err != nil {
			return
		}
		buf.Reset()
		if _, err := buf.ReadFrom(rd); err != nil {
			return
		}
		msg := buf.Bytes()
		if h.message != nil {
			h.message(client, msg, time.Now())
		}
		if typ == websocket.MessageText {
			toReply(msg)
		}
		if err := c.Write(ctx, typ, msg); err != nil {
			return
		}
	}
}

// toReply turns an envelope into the server's answer in place: a request
// {"type":T,"id":N,"data":D} becomes the reply {"type":T,"re":N,"data":D},
// a ping becomes a pong, and an event stays as it is. Both rewrites keep
// the length, so the echo costs no allocation and no JSON decoding beyond
// a scan of the top-level keys. Anything that is not a JSON object is left
// alone.
func toReply(b []byte) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return
	}
	i++
	for {
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != '"' {
			return
		}
		keyStart := i + 1
		i = skipString(b, i)
		if i < 0 {
			return
		}
		key := b[keyStart : i-1]
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != ':' {
			return
		}
		i = skipSpace(b, i+1)
		valStart := i
		i = skipValue(b, i)
		if i < 0 {
			return
		}
		switch string(key) {
		case "id":
			copy(key, "re")
		case "type":
			if string(b[valStart:i]) == `"ping"` {
				copy(b[valStart+1:], "pong")
			}
		}
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != ',' {
			return
		}
		i++
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"',
// or -1.
func skipString(b []byte, i int) int {
	i++
	for {
		j := bytes.IndexAny(b[i:], `"\`)
		if j < 0 {
			return -1
		}
		i += j
		if b[i] == '"' {
			return i + 1
		}
		i += 2 // an escape: skip the backslash and the byte after it
		if i > len(b) {
			return -1
		}
	}
}

// skipValue returns the index after the JSON value at b[i], or -1.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				if i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	default: // number, true, false, null
		for i < len(b) && !strings.ContainsRune(",}] \t\r\n", rune(b[i])) {
			i++
		}
		return i
	}
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
