//go:build !js

package server

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/coder/websocket"
)

// ServeHTTP accepts a WebSocket handshake and returns once the connection
// is set up: after OnConnect ran (on a reliable server, after the client's
// $hello was answered), or after the connection ended or was refused. The
// connection is then served on a goroutine of its own until it ends, so
// that net/http's request, response, buffers and the goroutine that served
// them are not kept for the connection's whole life (together more than
// half of what an idle connection cost). Conn.Context still carries the
// values of the request's context: a middleware must not release what it
// put there for handlers when ServeHTTP returns.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	down := s.shutdown
	if !down {
		s.wg.Add(1)
	}
	s.mu.Unlock()
	if down {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
		return
	}
	defer s.wg.Done()

	// RFC 6455 4.4: an unsupported version is answered 426 with the versions
	// the server speaks. coder/websocket answers 400, which the native client
	// would take as "stop for good".
	if isUpgrade(r) && r.Header.Get("Sec-WebSocket-Version") != "13" {
		w.Header().Set("Sec-WebSocket-Version", "13")
		http.Error(w, "unsupported WebSocket version: only 13 is supported", http.StatusUpgradeRequired)
		return
	}

	var principal string
	if s.opts.Authorize != nil && isUpgrade(r) {
		p, err := s.opts.Authorize(r)
		if err != nil {
			var re *RefuseError
			if errors.As(err, &re) {
				http.Error(w, re.Message, re.Status)
				return
			}
			s.report(err)
			http.Error(w, "internal server error", http.StatusInternalServerError)
			return
		}
		principal = p
	}

	ws, err := websocket.Accept(smallBuffers(w), r, s.accept)
	if err != nil {
		return // Accept answered with the reason
	}
	c := newConn(s, ws, r, principal)
	started := make(chan struct{})
	c.started = started
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		c.serve()
	}()
	<-started
}

// Buffer sizes of an accepted connection. net/http hands a hijacked
// connection over with its own 4 KiB reader and 4 KiB writer, which
// coder/websocket keeps for the connection's life: more than a third of
// what an idle connection cost. A small message still takes one read and one write
// call with these; a burst of them is read 1 KiB at a time instead of 4, and
// a frame larger than the writer goes out in two writes (payloads larger
// than either buffer bypass it, as before).
const (
	readBufferSize  = 1024
	writeBufferSize = 1024
)

// smallBuffers wraps w so that its Hijack returns buffers of
// readBufferSize and writeBufferSize over the hijacked connection. A
// writer that cannot be hijacked is returned as it is, so that Accept
// answers it as it would have.
func smallBuffers(w http.ResponseWriter) http.ResponseWriter {
	for rw := w; ; {
		switch t := rw.(type) {
		case http.Hijacker:
			return &hijacker{ResponseWriter: w, hj: t}
		case interface{ Unwrap() http.ResponseWriter }:
			rw = t.Unwrap()
		default:
			return w
		}
	}
}

type hijacker struct {
	http.ResponseWriter
	hj http.Hijacker
}

func (h *hijacker) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// WriteHeaderNow forwards to w's, which coder/websocket calls when it is
// there: gin's writer sends the status line only then.
func (h *hijacker) WriteHeaderNow() {
	if n, ok := h.ResponseWriter.(interface{ WriteHeaderNow() }); ok {
		n.WriteHeaderNow()
	}
}

// Hijack reads and writes through the net.Conn the wrapped Hijack returns,
// as coder/websocket does with its reader. Bytes already buffered (a client
// that sent frames right behind its handshake, or a writer still holding
// some) keep their buffer.
func (h *hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := h.hj.Hijack()
	if err != nil {
		return nc, brw, err
	}
	br, bw := brw.Reader, brw.Writer
	if br.Buffered() == 0 {
		br = bufio.NewReaderSize(nc, readBufferSize)
	}
	if bw.Buffered() == 0 {
		bw = bufio.NewWriterSize(nc, writeBufferSize)
	}
	return nc, bufio.NewReadWriter(br, bw), nil
}

// IsUpgrade reports whether r asks for a WebSocket upgrade, so that one
// path can serve both a page and its WebSocket.
func IsUpgrade(r *http.Request) bool { return isUpgrade(r) }

func isUpgrade(r *http.Request) bool {
	return headerHasToken(r.Header, "Connection", "upgrade") && headerHasToken(r.Header, "Upgrade", "websocket")
}

func headerHasToken(h http.Header, key, token string) bool {
	for _, v := range h.Values(key) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
