//go:build !js

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/profiler"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumFlags are the switches every run uses, besides the user data dir.
// The last three stop Chromium from throttling the tabs that are not in
// front: each client has a tab of its own, and the reconnect workload runs
// in two tabs at once.
var chromiumFlags = []string{
	"headless", "no-sandbox", "disable-gpu", "disable-quic", "no-first-run",
	"disable-background-networking", "disable-component-update", "disable-sync",
	"disable-background-timer-throttling", "disable-renderer-backgrounding",
	"disable-backgrounding-occluded-windows",
}

// profiles records every Chromium profile dir this process has used, so a
// test can check that no process still uses one.
var profiles struct {
	sync.Mutex
	dirs []string
}

// browser is one headless Chromium, in a process group of its own so that
// close can make sure nothing of it survives.
type browser struct {
	ctx         context.Context // the first tab; its cancel closes Chromium
	cancel      context.CancelFunc
	allocCancel context.CancelFunc
	dataDir     string
	log         io.Writer

	mu  sync.Mutex
	cmd *exec.Cmd
}

func startBrowser(ctx context.Context, path string, log io.Writer) (*browser, error) {
	dataDir, err := os.MkdirTemp("", "steadyws-bench-chromium-")
	if err != nil {
		return nil, err
	}
	b := &browser{dataDir: dataDir, log: log}
	profiles.Lock()
	profiles.dirs = append(profiles.dirs, dataDir)
	profiles.Unlock()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dataDir),
		chromedp.ModifyCmdFunc(func(cmd *exec.Cmd) {
			// Its own process group, so close can kill renderers and
			// helpers too; SIGKILL if this process dies first.
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
			b.mu.Lock()
			b.cmd = cmd
			b.mu.Unlock()
		}),
	}
	for _, f := range chromiumFlags {
		opts = append(opts, chromedp.Flag(f, true))
	}
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithErrorf(b.errorf))
	b.ctx, b.cancel, b.allocCancel = bctx, bcancel, acancel
	// The first Run starts Chromium and ties it to the context it is given,
	// so it must get bctx itself; a timer bounds the start instead.
	timer := time.AfterFunc(30*time.Second, bcancel)
	err = chromedp.Run(bctx)
	timer.Stop()
	if err != nil {
		b.close()
		return nil, fmt.Errorf("starting %s: %w", path, err)
	}
	return b, nil
}

// errorf filters a message chromedp v0.10.0 prints for every event that
// carries an address space its protocol table does not know; harmless.
func (b *browser) errorf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if strings.Contains(msg, "IPAddressSpace") || strings.Contains(msg, "unknown ClientNavigationReason") {
		return
	}
	fmt.Fprintln(b.log, "chromedp:", msg)
}

// version returns Chromium's product string.
func (b *browser) version() string {
	var v string
	err := chromedp.Run(b.ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		_, v, _, _, _, err = cdpbrowser.GetVersion().Do(ctx)
		return err
	}))
	if err != nil {
		return "unknown"
	}
	return v
}

// close shuts Chromium down, kills whatever is left of its process group
// and removes its profile.
func (b *browser) close() {
	b.cancel()      // asks Chromium to close
	b.allocCancel() // kills it if it did not, and waits
	b.mu.Lock()
	cmd := b.cmd
	b.mu.Unlock()
	if cmd != nil && cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the group, by its id
	}
	os.RemoveAll(b.dataDir)
}

// page is one tab with the bench page loaded and one client ready in it.
type page struct {
	b      *browser
	ctx    context.Context
	cancel context.CancelFunc
	client string
}

// openPage opens a tab on url and loads client in it.
func (b *browser) openPage(ctx context.Context, url, client string) (*page, error) {
	pctx, cancel := chromedp.NewContext(b.ctx)
	p := &page{b: b, ctx: pctx, cancel: cancel, client: client}
	chromedp.ListenTarget(pctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			fmt.Fprintf(b.log, "page %s: uncaught: %s\n", client, ev.ExceptionDetails.Error())
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.APITypeError || ev.Type == runtime.APITypeWarning {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
				}
				fmt.Fprintf(b.log, "page %s: console.%s: %s\n", client, ev.Type, strings.Join(parts, " "))
			}
		}
	})
	// As with the browser, the first Run creates the tab and ties it to the
	// context it gets.
	timer := time.AfterFunc(30*time.Second, cancel)
	err := chromedp.Run(pctx)
	timer.Stop()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("opening a tab: %w", err)
	}
	// chromedp enables the Network domain on every tab, and then Chromium
	// reports each WebSocket frame, payload included, to the DevTools
	// client: that tripled the cost of WebSocket.send and made every
	// client look alike. A user's page has no DevTools attached.
	err = p.do(ctx, 30*time.Second,
		network.Disable(),
		chromedp.Navigate(url),
		chromedp.Poll(`typeof bench === "object"`, nil, chromedp.WithPollingTimeout(10*time.Second)),
	)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("opening the bench page: %w", err)
	}
	var res struct {
		Err string `json:"err"`
	}
	if err := p.eval(ctx, 60*time.Second, fmt.Sprintf("bench.load(%q)", client), &res); err != nil {
		cancel()
		return nil, err
	}
	if res.Err != "" {
		cancel()
		return nil, errors.New(res.Err)
	}
	return p, nil
}

// do runs actions in the tab, bounded by d and by ctx.
func (p *page) do(ctx context.Context, d time.Duration, actions ...chromedp.Action) error {
	tctx, cancel := context.WithTimeout(p.ctx, d)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	return chromedp.Run(tctx, actions...)
}

// eval evaluates expr, awaiting a promise, and decodes its value into out.
func (p *page) eval(ctx context.Context, d time.Duration, expr string, out any) error {
	var raw json.RawMessage
	err := p.do(ctx, d, chromedp.Evaluate(expr, &raw, func(e *runtime.EvaluateParams) *runtime.EvaluateParams {
		return e.WithAwaitPromise(true)
	}))
	if err != nil {
		return fmt.Errorf("%s: %w", expr, err)
	}
	return json.Unmarshal(raw, out)
}

// profile evaluates expr like eval while the DevTools sampling profiler
// runs, and writes the profile to path (open it in DevTools' Performance
// panel, or summarise it with any .cpuprofile reader).
func (p *page) profile(ctx context.Context, d time.Duration, expr string, out any, path string) error {
	err := p.do(ctx, 10*time.Second, profiler.Enable(), profiler.SetSamplingInterval(50), profiler.Start())
	if err != nil {
		return err
	}
	evalErr := p.eval(ctx, d, expr, out)
	var prof *profiler.Profile
	err = p.do(ctx, 30*time.Second, chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		prof, err = profiler.Stop().Do(ctx)
		return err
	}))
	if err != nil {
		return errors.Join(evalErr, err)
	}
	data, err := json.Marshal(prof)
	if err != nil {
		return errors.Join(evalErr, err)
	}
	return errors.Join(evalErr, os.WriteFile(path, data, 0o644))
}

func (p *page) close() { p.cancel() }
