//go:build !js

// Command conformance checks that a server speaks the steadyws wire
// protocol, whatever it is written in, and prints PASS or FAIL per rule
// (see package servertest). It exits 1 when a rule fails.
//
//	go run github.com/steadyws/steadyws/sdk/server/servertest/cmd/conformance \
//		-url ws://127.0.0.1:8001/ws -request sum -data '{"a":1,"b":2}'
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/steadyws/steadyws/sdk/server/servertest"
)

func main() {
	var cfg servertest.Config
	flag.StringVar(&cfg.URL, "url", "", "the server's WebSocket endpoint, ws:// or wss:// (required)")
	flag.Func("request", "a request type the server answers (repeatable); its data is the -data that follows it", func(s string) error {
		cfg.Requests = append(cfg.Requests, servertest.Request{Type: s})
		return nil
	})
	flag.Func("data", "JSON data for the -request before it", func(s string) error {
		if len(cfg.Requests) == 0 {
			return fmt.Errorf("-data must follow a -request")
		}
		if !json.Valid([]byte(s)) {
			return fmt.Errorf("not valid JSON: %s", s)
		}
		cfg.Requests[len(cfg.Requests)-1].Data = json.RawMessage(s)
		return nil
	})
	flag.Func("header", `a handshake header "Name: value" (repeatable), a token, say`, func(s string) error {
		k, v, ok := strings.Cut(s, ":")
		if !ok {
			return fmt.Errorf("want Name: value, got %q", s)
		}
		if cfg.Header == nil {
			cfg.Header = http.Header{}
		}
		cfg.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
		return nil
	})
	flag.BoolVar(&cfg.CheckOrigin, "origin", false, "also check that a handshake from a foreign Origin is refused")
	flag.DurationVar(&cfg.Timeout, "timeout", servertest.DefaultTimeout, "bound of each rule's check")
	flag.Parse()
	if cfg.URL == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if servertest.Print(os.Stdout, servertest.Run(ctx, cfg)) > 0 {
		cancel()
		os.Exit(1)
	}
}
