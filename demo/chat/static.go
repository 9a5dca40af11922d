package chat

import (
	"errors"
	"net/http"
	"os"
	"path"
	"path/filepath"
)

// contentTypes are set explicitly rather than left to the mime package,
// whose answers depend on the system's mime.types: browsers refuse to
// stream-compile wasm served as anything but application/wasm, and to run
// a module script served as anything but JavaScript.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".mjs":  "text/javascript; charset=utf-8",
	".wasm": "application/wasm",
	".ts":   "text/plain; charset=utf-8",
	".map":  "application/json",
	".png":  "image/png",
	".svg":  "image/svg+xml",
}

// typed sets Content-Type from the extension and turns caching off (the
// files change with every make wasm), then serves with h.
func typed(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ext := path.Ext(r.URL.Path)
		if r.URL.Path == "" || r.URL.Path[len(r.URL.Path)-1] == '/' {
			ext = ".html"
		}
		if ct, ok := contentTypes[ext]; ok {
			w.Header().Set("Content-Type", ct)
		}
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

// getOnly refuses methods other than GET and HEAD. (A "GET /" pattern
// would conflict with the method-less /ws, which must see every method to
// answer a bad handshake itself.)
func getOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			plainError(w, http.StatusMethodNotAllowed, "405 Method Not Allowed")
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) pageHandler() http.Handler {
	return withVisitor(typed(http.FileServerFS(s.opts.Page)))
}

// distHandler serves the built SDK, or explains how to build it.
func (s *Server) distHandler() http.Handler {
	dir := s.opts.Dist
	if dir == "" {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			plainError(w, http.StatusNotFound, "404: this server was started without a dist/ directory; run `make wasm` first, or pass -dist")
		})
	}
	files := http.StripPrefix("/dist/", typed(http.FileServerFS(os.DirFS(dir))))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := os.Stat(filepath.Join(dir, "steadyws.wasm")); errors.Is(err, os.ErrNotExist) {
			plainError(w, http.StatusNotFound, "404: %s holds no steadyws.wasm; run `make wasm` first", dir)
			return
		}
		files.ServeHTTP(w, r)
	})
}
