//go:build !js

package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/andybalholm/brotli"
)

// wasmSize is one wasm binary's size, raw and as a server would send it.
type wasmSize struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Raw    int64  `json:"raw"`
	Gzip   int64  `json:"gzip9"`
	Brotli int64  `json:"brotli11"` // 0: not measured (quick run, nothing cached)
	// By names the compressors: "cli" (gzip -9, brotli -q 11) or "go" (a
	// library at the same settings, when a command is missing).
	By  string `json:"by,omitempty"`
	Err string `json:"err,omitempty"`
}

// measureSize fills in the compressed sizes of the file at path. Results
// are cached by content in the user cache dir, since brotli at quality 11
// takes seconds per megabyte; with brotli false a cache miss leaves Brotli
// at 0.
func measureSize(ctx context.Context, name, path string, withBrotli bool) wasmSize {
	s := wasmSize{Name: name, Path: path}
	b, err := os.ReadFile(path)
	if err != nil {
		s.Err = err.Error()
		return s
	}
	s.Raw = int64(len(b))
	sum := sha256.Sum256(b)
	cache := ""
	if dir, err := os.UserCacheDir(); err == nil {
		cache = filepath.Join(dir, "steadyws-bench", hex.EncodeToString(sum[:])+".json")
		var c wasmSize
		if data, err := os.ReadFile(cache); err == nil && json.Unmarshal(data, &c) == nil && c.Raw == s.Raw {
			s.Gzip, s.Brotli, s.By = c.Gzip, c.Brotli, c.By
			return s
		}
	}
	gz, gzBy, err := gzipSize(ctx, path, b)
	if err != nil {
		s.Err = err.Error()
		return s
	}
	s.Gzip, s.By = gz, gzBy
	if !withBrotli {
		return s
	}
	br, brBy, err := brotliSize(ctx, path, b)
	if err != nil {
		s.Err = err.Error()
		return s
	}
	s.Brotli = br
	if brBy != gzBy {
		s.By = "gzip " + gzBy + ", brotli " + brBy
	}
	if cache != "" {
		if data, err := json.Marshal(s); err == nil && os.MkdirAll(filepath.Dir(cache), 0o755) == nil {
			os.WriteFile(cache, data, 0o644)
		}
	}
	return s
}

// countingWriter counts bytes written to it.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

func gzipSize(ctx context.Context, path string, b []byte) (int64, string, error) {
	if _, err := exec.LookPath("gzip"); err == nil {
		n, err := commandSize(ctx, "gzip", "-9", "-c", path)
		return n, "cli", err
	}
	var w countingWriter
	zw, _ := gzip.NewWriterLevel(&w, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return w.n, "go", nil
}

// brotliSize uses the brotli command when it is installed; otherwise
// github.com/andybalholm/brotli, a translation of the same encoder, with the
// command's default 16 MiB window, which gives byte-identical output
// (checked on the bench binaries) but runs about three times slower.
func brotliSize(ctx context.Context, path string, b []byte) (int64, string, error) {
	if _, err := exec.LookPath("brotli"); err == nil {
		n, err := commandSize(ctx, "brotli", "-q", "11", "-c", path)
		return n, "cli", err
	}
	var w countingWriter
	bw := brotli.NewWriterOptions(&w, brotli.WriterOptions{Quality: 11, LGWin: 24})
	if _, err := bw.Write(b); err != nil {
		return 0, "go", err
	}
	if err := bw.Close(); err != nil {
		return 0, "go", err
	}
	return w.n, "go", nil
}

func commandSize(ctx context.Context, name string, args ...string) (int64, error) {
	var w countingWriter
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &w, &stderr
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("%s: %v: %s", name, err, stderr.String())
	}
	return w.n, nil
}
