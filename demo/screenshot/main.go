// Command screenshot runs the demo in-process, has a short conversation
// between the page (in headless Chromium) and a native sdk client, breaks
// the connection once, and saves a screenshot of the page:
//
//	go -C demo run ./screenshot -o screenshot.png
//
// It needs the built SDK (make wasm) and Debian's chromium package.
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
	"strings"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/steadyws/steadyws/demo/chat"
	"github.com/steadyws/steadyws/demo/internal/driver"
	"github.com/steadyws/steadyws/sdk"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "screenshot:", err)
		os.Exit(1)
	}
}

func run() error {
	out := flag.String("o", "screenshot.png", "where to write the PNG")
	distFlag := flag.String("dist", "", "the built SDK (default: $STEADYWS_DIST, else ../dist or dist)")
	width := flag.Int("w", 1280, "viewport width")
	height := flag.Int("h", 800, "viewport height")
	verbose := flag.Bool("v", false, "print the server's log and the page's console")
	flag.Parse()

	dist, err := chat.FindDist(*distFlag)
	if err != nil {
		return err
	}
	logger := slog.New(slog.DiscardHandler)
	logf := func(string, ...any) {}
	if *verbose {
		logger = slog.Default()
		logf = func(f string, a ...any) { fmt.Fprintf(os.Stderr, "page: "+f+"\n", a...) }
	}
	// The demo's own address if it is free, so that the page shows the
	// commands a user would type.
	ln, err := net.Listen("tcp", "127.0.0.1:8001")
	if err != nil {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		return err
	}
	cs := chat.New(&chat.Options{Dist: dist, Logger: logger})
	hs := &http.Server{Handler: cs}
	go hs.Serve(ln)
	defer func() { hs.Close(); cs.Close() }()
	base := "http://" + ln.Addr().String()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	grace, err := joinNative(ctx, "ws"+strings.TrimPrefix(base, "http")+"/ws", "grace")
	if err != nil {
		return err
	}
	defer grace.Close()

	browser, err := driver.Launch()
	if err != nil {
		return err
	}
	defer browser.Close()
	page, err := browser.Open(base+"/", *width, *height, logf)
	if err != nil {
		return err
	}
	defer page.Close()

	say := func(c *sdk.Client, text string) error {
		time.Sleep(400 * time.Millisecond)
		if c == nil {
			if err := page.Say(text); err != nil {
				return err
			}
			return page.WaitMessage(text, "delivered", 10*time.Second)
		}
		if err := sdk.Send(ctx, c, "chat", map[string]string{"text": text}); err != nil {
			return err
		}
		return page.WaitMessage(text, "", 5*time.Second)
	}
	steps := []func() error{
		func() error { return page.Join("ada") },
		func() error { return say(grace, "hi ada! I'm in a terminal: go run ./cli, on the native sdk package") },
		func() error { return say(nil, "hello grace, I'm the page: the same Go code, compiled to wasm") },
		func() error { return page.Click(`[data-fault="drop"]`) },
		func() error {
			return page.WaitFor(`document.getElementById("log").textContent.includes("joined again as ada")`, "the page to come back", 15*time.Second)
		},
		func() error { return page.Click(`[data-fault="restart"]`) },
		func() error {
			return page.WaitFor(`document.getElementById("badge").dataset.state === "reconnecting"`, "the outage", 5*time.Second)
		},
		func() error { time.Sleep(time.Second); return page.Say("typed while the server was down") },
		func() error { return page.WaitMessage("typed while the server was down", "delivered", 20*time.Second) },
		func() error { return say(grace, "got it, exactly once") },
		func() error { time.Sleep(6 * time.Second); return nil }, // a heartbeat round trip for the RTT
	}
	for i, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("step %d: %w", i+1, err)
		}
	}
	// Move the pointer off the buttons it pressed.
	if err := chromedp.Run(page.Tab(), chromedp.MouseEvent(input.MouseMoved, 2, float64(*height-2))); err != nil {
		return err
	}
	time.Sleep(300 * time.Millisecond)
	png, err := page.Screenshot()
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, png, 0o644); err != nil {
		return err
	}
	fmt.Println("wrote", *out)
	return nil
}

// joinNative connects an sdk client that joins the room as nick and
// answers whoami as a terminal, as the cli does.
func joinNative(ctx context.Context, url, nick string) (*sdk.Client, error) {
	ready := make(chan struct{})
	joined := make(chan error, 1)
	c := sdk.New(url, &sdk.Options{URL: func(ctx context.Context) (string, error) {
		select {
		case <-ready:
			return url, nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}})
	sdk.HandleRequest(c, "whoami", func(context.Context, struct{}) (map[string]string, error) {
		return map[string]string{"nick": nick, "agent": "terminal"}, nil
	})
	c.OnOpen(func(ctx context.Context) {
		_, err := sdk.Request[struct{}](ctx, c, "join", map[string]string{"nick": nick, "session": "screenshot-" + nick})
		select {
		case joined <- err:
		default:
		}
	})
	close(ready)
	select {
	case err := <-joined:
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("%s joining: %w", nick, err)
		}
		return c, nil
	case <-ctx.Done():
		c.Close()
		return nil, errors.New(nick + " could not join: " + ctx.Err().Error())
	}
}
