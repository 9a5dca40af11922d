//go:build !js

package testserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/steadyws/steadyws/sdk"
	"github.com/steadyws/steadyws/sdk/internal/serverhook"
	"github.com/steadyws/steadyws/sdk/internal/wire"
	"github.com/steadyws/steadyws/sdk/server"
)

// conn is one accepted WebSocket connection.
type conn struct {
	c     *server.Conn
	gate  *gateConn
	storm bool // accepted only to be closed at once (AcceptThenClose)
}

// handshake travels in the handshake request's context to OnConnect, which
// finds it in server.Conn.Context.
type handshake struct {
	gate  *gateConn
	gen   uint64
	storm int
	ended sync.Once
}

type handshakeKey struct{}

// newProtocolServer builds the sdk/server under the faults: the test
// server's request types as handlers, raw frames echoed, and the hooks
// that record frames and answer the misbehaving requests.
func (s *Server) newProtocolServer() *server.Server {
	srv := server.New(&server.Options{
		IdleTimeout:    -1, // a half-open connection stays so until the test drops it
		ReadLimit:      readLimit,
		SendQueue:      sendQueue,
		OriginPatterns: []string{"*"}, // browser tests run on pages of other origins
	})
	srv.OnConnect(s.connected)
	srv.OnDisconnect(func(c *server.Conn, _ error) { s.unregister(c) })
	srv.OnRaw(s.raw)
	s.handlers(srv)
	serverhook.Install(srv, serverhook.Hooks{
		Read: func(_ any, typ websocket.MessageType, b []byte) { s.record(typ, b) },
		Request: func(c any, typ string, id int64, data []byte) bool {
			return s.misbehave(c.(*server.Conn), typ, id, data)
		},
	})
	return srv
}

func (s *Server) handleWS(w http.ResponseWriter, r *http.Request) {
	if !s.track() {
		http.Error(w, "testserver: closed", http.StatusServiceUnavailable)
		return
	}
	defer s.wg.Done()

	info, _ := r.Context().Value(connInfoKey{}).(connInfo)
	s.mu.Lock()
	s.attempts = append(s.attempts, time.Now())
	reject, storm := s.reject, s.storm
	s.mu.Unlock()

	if info.gate == nil {
		http.Error(w, "testserver: /ws is only served on its own listener", http.StatusInternalServerError)
		return
	}
	if reject != 0 {
		if reject < 200 || reject > 599 {
			reject = http.StatusInternalServerError
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(reject)
		fmt.Fprintf(w, "testserver: handshake rejected with status %d\n", reject)
		return
	}

	s.handshakeStarted()
	hs := &handshake{gate: info.gate, gen: info.gen, storm: storm}
	defer hs.ended.Do(s.handshakeEnded) // refused by sdk/server
	s.srv.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), handshakeKey{}, hs)))
}

// connected registers a connection sdk/server accepted.
func (s *Server) connected(sc *server.Conn) {
	hs := sc.Context().Value(handshakeKey{}).(*handshake)
	c := &conn{c: sc, gate: hs.gate, storm: hs.storm != 0}
	registered := s.register(c, hs.gen)
	hs.ended.Do(s.handshakeEnded)
	switch {
	case !registered:
		_ = sc.CloseNow()
	case c.storm:
		_ = sc.Close(hs.storm, "")
	default:
		c.gate.upgraded.Store(true)
	}
}

// request sends a server-to-client request on c and waits for the reply.
func request(ctx context.Context, c *server.Conn, typ string, data json.RawMessage) (json.RawMessage, error) {
	if len(data) > 0 && !json.Valid(data) {
		return nil, fmt.Errorf("testserver: data of the %s request is not valid JSON", typ)
	}
	var in any // nil: no "data" key
	if len(data) > 0 {
		in = data
	}
	reply, err := server.Request[json.RawMessage](ctx, c, typ, in)
	var re *sdk.RemoteError
	switch {
	case err == nil:
		if string(reply) == "null" {
			reply = nil
		}
		return reply, nil
	case errors.As(err, &re):
		return nil, &ReplyError{Type: typ, Code: re.Code, Message: re.Message, Raw: wire.AppendError(nil, re.Code, re.Message)}
	case errors.Is(err, sdk.ErrConnectionLost), errors.Is(err, server.ErrClosed):
		return nil, fmt.Errorf("testserver: %s request: %w: %w", typ, errConnClosed, err)
	default:
		return nil, fmt.Errorf("testserver: %s request got no reply: %w", typ, err)
	}
}

var errConnClosed = errors.New("connection closed before the reply")
