//go:build !js

package main

import (
	"embed"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
)

//go:embed page
var pageFiles embed.FS

// assets serves the bench page, the Go wasm clients built into wasmDir and
// the dist/ files. dist/wasm_exec.js falls back to the toolchain's copy
// (which `make wasm` copies anyway) so that C and D run before dist/ is
// built; everything else under /dist/ must come from dist.
func assets(dist, wasmDir, goroot string) http.Handler {
	page, _ := fs.Sub(pageFiles, "page")
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServerFS(page))
	mux.HandleFunc("/bench/c.wasm", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(wasmDir, "c.wasm"))
	})
	mux.HandleFunc("/bench/d.wasm", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(wasmDir, "d.wasm"))
	})
	distFiles := http.StripPrefix("/dist/", http.FileServer(http.Dir(dist)))
	mux.Handle("/dist/", distFiles)
	mux.HandleFunc("/dist/wasm_exec.js", func(w http.ResponseWriter, r *http.Request) {
		p := filepath.Join(dist, "wasm_exec.js")
		if _, err := os.Stat(p); err != nil {
			p = filepath.Join(goroot, "lib", "wasm", "wasm_exec.js")
		}
		http.ServeFile(w, r, p)
	})
	return isolated(mux)
}
