// Package driver drives the demo page in Debian's headless Chromium, for
// the end-to-end test and the screenshot program.
package driver

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Path is where Debian's chromium package installs the browser.
const Path = "/usr/bin/chromium"

// launchTimeout bounds the browser's start; it usually takes 2–7 s here.
const launchTimeout = 60 * time.Second

// Browser is a running headless Chromium with a fresh profile.
type Browser struct {
	ctx     context.Context // the first tab; new tabs are made from it
	stop    func()
	profile string
}

// Launch starts headless Chromium with a fresh profile. Close ends it.
func Launch() (*Browser, error) {
	if _, err := os.Stat(Path); err != nil {
		return nil, fmt.Errorf("headless Chromium not found at %s: install Debian's chromium package (apt-get install chromium): %w", Path, err)
	}
	profile, err := os.MkdirTemp("", "steadyws-chromium-")
	if err != nil {
		return nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Path),
		chromedp.UserDataDir(profile),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-default-browser-check", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithErrorf(quiet))
	b := &Browser{ctx: ctx, profile: profile}
	b.stop = func() {
		cancelCtx()
		cancelAlloc()
		_ = os.RemoveAll(profile)
	}
	// The first Run starts the browser, which lives as long as ctx: it
	// cannot carry the timeout itself.
	t := time.AfterFunc(launchTimeout, cancelAlloc)
	err = chromedp.Run(ctx)
	if !t.Stop() {
		err = fmt.Errorf("did not start within %v", launchTimeout)
	}
	if err != nil {
		b.stop()
		return nil, fmt.Errorf("starting %s: %w", Path, err)
	}
	return b, nil
}

// Close ends the browser and removes its profile.
func (b *Browser) Close() { b.stop() }

// quiet drops chromedp's complaints about events it cannot decode: v0.10's
// protocol tables predate some of this Chromium's event fields, and those
// events are of no use here.
func quiet(format string, args ...any) {
	if msg := fmt.Sprintf(format, args...); !strings.Contains(msg, "could not unmarshal event") {
		fmt.Fprintf(os.Stderr, "chromedp: %s\n", msg)
	}
}

// listen sends a tab's console messages and uncaught exceptions to logf,
// exceptions prefixed with "EXCEPTION" so that a caller can fail on them.
func listen(tab context.Context, logf func(format string, args ...any)) {
	chromedp.ListenTarget(tab, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			var parts []string
			for _, a := range ev.Args {
				if a.Value != nil {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			logf("console.%s: %s", ev.Type, strings.Join(parts, " "))
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg = d.Exception.Description
			}
			logf("EXCEPTION %s (%s:%d)", msg, d.URL, d.LineNumber)
		}
	})
}
