// Command server runs the steadyws demo: the chat page at /, the built SDK
// at /dist/ and the chat room on /ws.
//
//	go -C demo run ./server -dist ../dist     (what make demo runs)
//
// The address defaults to 127.0.0.1:8001, or $STEADYWS_DEMO_ADDR.
// Ctrl-C closes every connection and exits.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/steadyws/steadyws/demo/chat"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

func run() error {
	defAddr := os.Getenv("STEADYWS_DEMO_ADDR")
	if defAddr == "" {
		defAddr = "127.0.0.1:8001"
	}
	addr := flag.String("addr", defAddr, "address to listen on (also $STEADYWS_DEMO_ADDR)")
	distFlag := flag.String("dist", "", "directory holding steadyws.wasm, wasm_exec.js and steadyws.mjs (default: $STEADYWS_DIST, else ../dist or dist)")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{}))
	dist, err := chat.FindDist(*distFlag)
	if err != nil {
		// The page still loads and says what is missing.
		log.Warn("serving the page without the SDK", "err", err)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	cs := chat.New(&chat.Options{Dist: dist, Logger: log})
	hs := &http.Server{Handler: cs, ReadHeaderTimeout: 10 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	fmt.Printf("\n  steadyws demo: open http://%s/ in a browser\n", ln.Addr())
	cli := "go -C demo run ./cli -nick NAME"
	if a := ln.Addr().String(); a != "127.0.0.1:8001" {
		cli += " -url ws://" + a + "/ws"
	}
	fmt.Printf("  terminal client: %s\n", cli)
	if dist != "" {
		fmt.Printf("  serving the SDK from %s\n", dist)
	}
	fmt.Printf("  Ctrl-C to stop\n\n")

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	stop() // a second Ctrl-C kills at once
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = hs.Shutdown(sctx)
	cs.Close()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
