//go:build !js

// Command testserver runs the steadyws fault-injecting test server for tests
// that are not written in Go (browser tests, JS tests). It prints one line of
// JSON with its URLs, then serves until SIGINT, SIGTERM or, unless -stdin=false,
// until its standard input is closed, so that it dies with the test process
// that started it.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/steadyws/steadyws/sdk/internal/testserver"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "loopback address of the /ws listener")
	controlAddr := flag.String("control-addr", "127.0.0.1:0", "loopback address of the control listener")
	factoryAddr := flag.String("factory-addr", "127.0.0.1:0", "loopback address of the server factory")
	watchStdin := flag.Bool("stdin", true, "exit when standard input is closed")
	flag.Parse()

	// Catch signals before printing the URLs: a parent may signal as soon as
	// it has read them.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	s, err := testserver.StartAddr(*addr, *controlAddr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		stop()
		os.Exit(1)
	}
	defer s.Close()

	// The factory hands out one fresh server per test to tests running in a
	// browser (see testserver.Remote).
	factory := testserver.NewFactory()
	factoryURL, stopFactory, err := testserver.ServeFactory(factory, *factoryAddr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	defer stopFactory()

	urls := struct {
		WS      string `json:"ws"`
		HTTP    string `json:"http"`
		Control string `json:"control"`
		Factory string `json:"factory"`
	}{s.URL(), s.HTTPURL(), s.ControlURL(), factoryURL}
	if err := json.NewEncoder(os.Stdout).Encode(urls); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}

	if *watchStdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop()
		}()
	}
	<-ctx.Done()
}
