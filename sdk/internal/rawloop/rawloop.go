//go:build !js

// Package rawloop is the hand-written server that sdk/server's request
// throughput is measured against (serverbench, and sdk/server's
// BenchmarkRequest): read, scan, answer, with no queue and no handler.
package rawloop

import (
	"net/http"

	"github.com/coder/websocket"

	"github.com/steadyws/steadyws/sdk/internal/wire"
)

// Serve accepts a WebSocket and answers every request on it with its own
// data, on the goroutine that read it.
func Serve(w http.ResponseWriter, r *http.Request) {
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer ws.CloseNow()
	for {
		_, b, err := ws.Read(r.Context())
		if err != nil {
			return
		}
		e, err := wire.Scan(b)
		if err != nil || e.Kind() != wire.KindRequest {
			continue
		}
		if err := ws.Write(r.Context(), websocket.MessageText, wire.Append(nil, e.Type, "re", e.ID, "data", e.Data)); err != nil {
			return
		}
	}
}
