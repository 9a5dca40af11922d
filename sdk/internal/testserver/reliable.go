//go:build !js

package testserver

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"

	"github.com/steadyws/steadyws/sdk/server"
)

// Reliable mode is served on /reliable by sdk/server (Options.Reliable), so
// that clients in either build test their half against the real server
// half: every "echo" event it receives is sent back, as an "echo" event, to
// the same session. DropAll drops these connections too. (sdk/server is
// native only, hence the hooks: this package also builds in the browser,
// for Remote.)
var reliableServers sync.Map // *Server -> *server.Server

func init() {
	reliableHooks.mount = func(s *Server, mux *http.ServeMux) {
		v, _ := reliableServers.LoadOrStore(s, newReliable())
		mux.Handle("/reliable", v.(*server.Server))
	}
	reliableHooks.drop = func(s *Server) {
		if v, ok := reliableServers.Load(s); ok {
			for _, c := range v.(*server.Server).Conns() {
				_ = c.CloseNow()
			}
		}
	}
	reliableHooks.close = func(s *Server) {
		if v, ok := reliableServers.LoadAndDelete(s); ok {
			ctx, cancel := context.WithTimeout(context.Background(), handshakeWait)
			defer cancel()
			_ = v.(*server.Server).Shutdown(ctx)
		}
	}
}

func newReliable() *server.Server {
	// Pages of any origin: the browser tests' page is served elsewhere.
	srv := server.New(&server.Options{Reliable: true, OriginPatterns: []string{"*"}})
	server.Handle(srv, "echo", func(ctx context.Context, c *server.Conn, m json.RawMessage) {
		// Not ctx: it ends with the connection, and an event handed to
		// this handler must be echoed even if its connection has just
		// been lost (Send then keeps it for the session's resume).
		_ = server.Send(context.WithoutCancel(ctx), c, "echo", m)
	})
	return srv
}
