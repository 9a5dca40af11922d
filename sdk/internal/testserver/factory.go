//go:build !js

package testserver

import (
	"net"
	"net/http"
	"strconv"
	"sync"
)

// Factory hands out fresh servers over HTTP, so that tests running in a
// browser get one server per test just as native tests do:
//
//	POST /new        -> {"id":N,"ws":"ws://...","http":"http://...","control":"http://.../control"}
//	POST /free?id=N  -> closes server N
//
// Every answer carries Access-Control-Allow-Origin: *.
type Factory struct {
	mu      sync.Mutex
	next    int
	servers map[int]*Server
}

// NewFactory returns an empty Factory; Close closes every server it made.
func NewFactory() *Factory { return &Factory{servers: make(map[int]*Server)} }

func (f *Factory) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	w.Header().Set("Access-Control-Allow-Headers", "*")
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	switch r.URL.Path {
	case "/new":
		s, err := Start()
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		f.mu.Lock()
		f.next++
		id := f.next
		f.servers[id] = s
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"id": id, "ws": s.URL(), "http": s.HTTPURL(), "control": s.ControlURL()})
	case "/free":
		id, err := strconv.Atoi(r.URL.Query().Get("id"))
		f.mu.Lock()
		s := f.servers[id]
		delete(f.servers, id)
		f.mu.Unlock()
		if err != nil || s == nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no server " + r.URL.Query().Get("id")})
			return
		}
		s.Close()
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "try /new or /free?id=N"})
	}
}

// Close closes every server still out.
func (f *Factory) Close() {
	f.mu.Lock()
	ss := f.servers
	f.servers = map[int]*Server{}
	f.mu.Unlock()
	for _, s := range ss {
		s.Close()
	}
}

// ServeFactory serves f on a new loopback listener and returns its URL and a
// function that stops it.
func ServeFactory(f *Factory, addr string) (url string, stop func(), err error) {
	ln, err := listenLoopback(addr)
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: f}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().(*net.TCPAddr).String(), func() { srv.Close(); <-done; f.Close() }, nil
}
