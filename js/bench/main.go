//go:build !js

// Command bench measures steadyws side by side with the alternatives, in one
// run: plain browser WebSocket (A), the steadyws JavaScript API (B), the
// steadyws Go API compiled to wasm (C), coder/websocket's wasm port (D),
// all in headless Chromium, and natively raw coder/websocket (E) and
// steadyws (F), on loopback against an in-process echo server; and
// steadyws in reliable mode, the JavaScript API (G) and natively (H), on
// the workloads made of events. It prints one table and writes the same as
// JSON to dist/bench/<time>.json.
//
// Run it from the repository root with `go -C js run ./bench` after `make
// wasm` (without dist/, B is reported unavailable).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	var (
		cfg     config
		out     string
		timeout time.Duration
	)
	flag.BoolVar(&cfg.quick, "quick", false, "smoke run: fewer messages, 1 round, no warm-up round, 2 short outages, brotli sizes only if cached")
	flag.IntVar(&cfg.rounds, "rounds", 5, "timed rounds of rtt, pipelined and bulk (quick: 1)")
	flag.IntVar(&cfg.outages, "outages", 20, "outages in the reconnect workload (quick: 2)")
	flag.DurationVar(&cfg.outage, "outage", 2*time.Second, "length of each outage (quick: 500ms)")
	flag.DurationVar(&cfg.backoff, "backoff", 50*time.Millisecond, "constant reconnect backoff of B, C and F")
	flag.StringVar(&cfg.dist, "dist", "", "the dist/ directory with steadyws.wasm, steadyws.mjs, wasm_exec.js (default: the repository's dist/)")
	flag.StringVar(&out, "out", "", "directory for the JSON report (default: <dist>/bench)")
	flag.StringVar(&cfg.chromium, "chromium", "/usr/bin/chromium", "Chromium to run the browser clients in")
	flag.StringVar(&cfg.clients, "clients", "", "run only these clients, e.g. AB (default: all of ABCDEFGH)")
	workloads := flag.String("workloads", "", "run only these workloads, comma-separated (default: rtt,pipelined,bulk,events,events-bulk,reconnect)")
	flag.StringVar(&cfg.server, "server", "raw", "what serves rtt, pipelined and bulk: raw (a same-goroutine echo, the cheapest server) or sdk (sdk/server, as the event workloads always are)")
	flag.StringVar(&cfg.profile, "profile", "", "write a DevTools CPU profile of each browser client's first timed run of each workload to this directory")
	flag.DurationVar(&timeout, "timeout", 8*time.Minute, "give up after this long")
	flag.Parse()
	if *workloads != "" {
		cfg.workloads = strings.Split(*workloads, ",")
	}
	if cfg.server != "raw" && cfg.server != "sdk" {
		fmt.Fprintln(os.Stderr, "bench: -server is raw or sdk")
		os.Exit(2)
	}
	setQuickDefaults(&cfg)
	cfg.log = os.Stderr

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	path, err := benchMain(ctx, cfg, out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "bench: wrote", path)
}

// setQuickDefaults applies -quick to the flags left at their defaults.
func setQuickDefaults(cfg *config) {
	if !cfg.quick {
		return
	}
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["rounds"] {
		cfg.rounds = 1
	}
	if !set["outages"] {
		cfg.outages = 2
	}
	if !set["outage"] {
		cfg.outage = 500 * time.Millisecond
	}
}

// benchMain runs the bench, prints the table and writes the JSON report,
// returning its path.
func benchMain(ctx context.Context, cfg config, out string) (string, error) {
	rep, err := runBench(ctx, cfg)
	if err != nil {
		return "", err
	}
	rep.print(os.Stdout)
	if out == "" {
		dist := cfg.dist
		if dist == "" {
			root, err := findModuleRoot()
			if err != nil {
				return "", err
			}
			dist = filepath.Join(root, "..", "dist")
		}
		out = filepath.Join(dist, "bench")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(out, time.Now().UTC().Format("20060102-150405")+".json")
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return "", err
	}
	return filepath.Clean(path), nil
}
