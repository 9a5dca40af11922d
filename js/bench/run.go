//go:build !js

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/steadyws/steadyws/js/bench/internal/coderclient"
	"github.com/steadyws/steadyws/js/bench/internal/sdkclient"
	"github.com/steadyws/steadyws/js/bench/internal/workload"
)

// config is what the flags set.
type config struct {
	quick     bool
	rounds    int           // timed rounds of rtt, pipelined and bulk
	outages   int           // outages in the reconnect workload
	outage    time.Duration // how long each outage lasts
	backoff   time.Duration // the reconnecting clients' constant backoff
	dist      string        // the dist/ directory
	chromium  string
	clients   string    // the client IDs to run, e.g. "ABCDEF"; empty means all
	workloads []string  // the workloads to run; empty means all
	profile   string    // directory for DevTools CPU profiles; empty means none
	server    string    // what serves the request workloads: "raw" (the raw echo) or "sdk" (sdk/server)
	log       io.Writer // progress and page errors
}

// spec describes one workload as this run performs it.
type spec struct {
	Name   string `json:"name"`
	N      int    `json:"n"`
	Pad    int    `json:"pad,omitempty"`
	Warmup int    `json:"warmup,omitempty"`
	Rounds int    `json:"rounds"`
	// EnvelopeBytes is the size of one request envelope as sent.
	EnvelopeBytes int `json:"envelopeBytes,omitempty"`
	// OutageMs and BackoffMs describe the reconnect workload.
	OutageMs  int `json:"outageMs,omitempty"`
	BackoffMs int `json:"backoffMs,omitempty"`
}

// clientInfo describes one client.
type clientInfo struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Where  string `json:"where"` // "chromium" or "native"
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

var allClients = []clientInfo{
	{ID: "A", Name: "plain JS WebSocket + JSON.parse", Where: "chromium"},
	{ID: "P", Name: "plain JS, check of A (own page)", Where: "chromium"},
	{ID: "B", Name: "steadyws JS API", Where: "chromium"},
	{ID: "C", Name: "steadyws Go API, wasm", Where: "chromium"},
	{ID: "D", Name: "coder/websocket wasm + wsjson", Where: "chromium"},
	{ID: "E", Name: "coder/websocket + encoding/json", Where: "native"},
	{ID: "F", Name: "steadyws Go API, native", Where: "native"},
	{ID: "G", Name: "steadyws JS API, reliable: true", Where: "chromium"},
	{ID: "H", Name: "steadyws Go API, native, Reliable", Where: "native"},
}

// reliable reports whether a client is a steadyws client in reliable mode,
// served by the reliable endpoint.
func reliable(id string) bool { return id == "G" || id == "H" }

// unreliableTwin returns the client that is the same code without reliable
// mode: the reliable clients' ratios are also given against it.
func unreliableTwin(id string) string { return map[string]string{"G": "B", "H": "F"}[id] }

// reconnects reports whether a client reconnects by itself, and so takes
// part in the reconnect workload.
func reconnects(id string) bool { return id == "B" || id == "C" || id == "F" }

// runs reports whether client id runs workload wl, and if not, why.
func runs(id, wl string) (bool, string) {
	switch {
	case id == "P" && (wl == workload.Reconnect || workload.IsEvents(wl)):
		return false, "the check of A runs rtt, pipelined and bulk"
	case wl == workload.Reconnect && reliable(id):
		return false, "reliable mode's reconnects are not measured here"
	case wl == workload.Reconnect:
		return reconnects(id), "does not reconnect"
	case workload.IsEvents(wl):
		// The reliable comparison needs A, B, E and F; C and D would add
		// a minute to every run.
		return id != "C" && id != "D", "the event workloads compare reliable mode"
	}
	return !reliable(id), "requests are not numbered in reliable mode"
}

func (cfg config) specs() []spec {
	rtt := spec{Name: workload.RTT, N: 2000, Warmup: 100, Rounds: cfg.rounds}
	pip := spec{Name: workload.Pipelined, N: 20000, Warmup: 100, Rounds: cfg.rounds}
	bulk := spec{Name: workload.Bulk, N: 200, Warmup: 10, Rounds: cfg.rounds}
	ev := spec{Name: workload.Events, N: 20000, Warmup: 100, Rounds: cfg.rounds}
	evBulk := spec{Name: workload.EventsBulk, N: 200, Warmup: 10, Rounds: cfg.rounds}
	rec := spec{Name: workload.Reconnect, N: cfg.outages, Rounds: 1,
		OutageMs: int(cfg.outage / time.Millisecond), BackoffMs: int(cfg.backoff / time.Millisecond)}
	if cfg.quick {
		rtt.N, rtt.Warmup = 200, 10
		pip.N, pip.Warmup = 2000, 10
		bulk.N, bulk.Warmup = 20, 2
		ev.N, ev.Warmup = pip.N, pip.Warmup
		evBulk.N, evBulk.Warmup = bulk.N, bulk.Warmup
	}
	// About 60 bytes at a typical id; 64 KiB for bulk.
	rtt.Pad = padFor(60, rtt.N/2)
	pip.Pad = padFor(60, rtt.N/2)
	bulk.Pad = padFor(64<<10, bulk.N/2)
	// Events carry no id; the same padding keeps the data as large.
	ev.Pad, evBulk.Pad = pip.Pad, bulk.Pad
	for _, s := range []*spec{&rtt, &pip, &bulk, &ev, &evBulk} {
		s.EnvelopeBytes = envelopeSize(s.Pad, int64(s.Warmup+s.N/2), workload.IsEvents(s.Name))
	}
	return []spec{rtt, pip, bulk, ev, evBulk, rec}
}

func envelopeSize(pad int, id int64, event bool) int {
	env := workload.Envelope{Type: "echo", ID: id, Data: workload.Data{Seq: id, Pad: workload.PadString(pad)}}
	if event {
		env.ID = 0
	}
	b, _ := json.Marshal(env)
	return len(b)
}

func padFor(size, id int) int { return max(0, size-envelopeSize(0, int64(id), false)) }

// timed returns the specs of the workloads timed in rounds (all but
// reconnect).
func (b *bench) timed() []spec {
	return slices.DeleteFunc(slices.Clone(b.specs), func(s spec) bool { return s.Name == workload.Reconnect })
}

// reconnectSpec returns the reconnect workload's spec.
func (b *bench) reconnectSpec() *spec {
	for i := range b.specs {
		if b.specs[i].Name == workload.Reconnect {
			return &b.specs[i]
		}
	}
	panic("no reconnect spec")
}

// runner runs one workload for one client.
type runner func(ctx context.Context, p workload.Params) workload.Result

// bench is one run of the harness.
type bench struct {
	cfg     config
	specs   []spec
	clients []clientInfo
	run     map[string]runner
	main    *server // page, assets and the echo for rtt, pipelined and bulk
	outage  *server // the echo that goes down, for reconnect
	// results[client][workload] holds one Result per timed round.
	results map[string]map[string][]workload.Result
	// reconnect[client] holds per-outage delays, in ms, from the server
	// coming back to the client's queued mark arriving.
	reconnect map[string][]float64
	// reconnectWait[client] holds, per outage, the part of the delay until
	// the server accepted the client's new connection.
	reconnectWait map[string][]float64
	// reconnectDials[client] holds, per outage, how the browser clients'
	// page saw the connection that carried the mark (see splitDials).
	reconnectDials map[string][]dialSplit
	// reconnectDialsErr[client] says why reconnectDials is missing.
	reconnectDialsErr map[string]string
	// pages holds the browser clients' tabs, by client.
	pages map[string]*page
	// skip holds "client workload" pairs not to run again, after a run that
	// timed out.
	skip  map[string]string
	notes []string
	// timing is set during timed rounds.
	timing bool
	start  time.Time
}

// runBench runs everything and returns the report; it cleans up after
// itself whatever happens, within ctx.
func runBench(ctx context.Context, cfg config) (*report, error) {
	start := time.Now()
	load0 := loadAverage()
	modRoot, err := findModuleRoot()
	if err != nil {
		return nil, err
	}
	if cfg.dist == "" {
		cfg.dist = filepath.Join(modRoot, "..", "dist")
	}
	cfg.dist, _ = filepath.Abs(cfg.dist)
	goroot, err := goEnv(ctx, "GOROOT")
	if err != nil {
		return nil, fmt.Errorf("go env GOROOT: %w", err)
	}

	b := &bench{
		cfg:       cfg,
		specs:     cfg.specs(),
		clients:   slices.Clone(allClients),
		run:       map[string]runner{},
		results:   map[string]map[string][]workload.Result{},
		reconnect: map[string][]float64{},
		skip:      map[string]string{},

		reconnectWait:     map[string][]float64{},
		reconnectDials:    map[string][]dialSplit{},
		reconnectDialsErr: map[string]string{},
		pages:             map[string]*page{},
		start:             start,
	}
	for i := range b.clients {
		b.clients[i].Status = "ok"
		if cfg.clients != "" && !strings.Contains(cfg.clients, b.clients[i].ID) {
			b.clients[i].Status, b.clients[i].Reason = "skipped", "not in -clients"
		}
	}

	tmp, err := os.MkdirTemp("", "steadyws-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	b.logf("building the Go wasm clients")
	builds := buildWasm(ctx, modRoot, tmp, cfg.profile != "")
	for _, bl := range builds {
		if bl.err != nil {
			b.unavailable(bl.client, bl.err.Error())
		}
	}

	b.main = newServer(assets(cfg.dist, tmp, goroot))
	b.main.errLog = cfg.log
	if err := b.main.start(); err != nil {
		return nil, err
	}
	defer b.main.close()
	b.outage = newServer(nil)
	b.outage.errLog = cfg.log
	if err := b.outage.start(); err != nil {
		return nil, err
	}
	defer b.outage.close()

	b.run["E"] = coderclient.Client{}.Run
	b.run["F"] = sdkclient.Run
	b.run["H"] = sdkclient.Run // with Params.Reliable

	rep := &report{}
	b.logf("starting %s", cfg.chromium)
	br, err := startBrowser(ctx, cfg.chromium, cfg.log)
	if err != nil {
		return nil, err
	}
	defer br.close()
	rep.Machine.Chromium = br.version()
	if _, err := os.Stat(filepath.Join(cfg.dist, "steadyws.mjs")); err != nil {
		b.unavailable("B", "no "+filepath.Join(cfg.dist, "steadyws.mjs")+": run make wasm first")
		b.unavailable("G", "no "+filepath.Join(cfg.dist, "steadyws.mjs")+": run make wasm first")
	}
	for _, c := range b.clients {
		if c.Where != "chromium" || c.Status != "ok" {
			continue
		}
		pageURL := b.main.URL("http") + "/bench.html"
		if c.ID == "P" {
			pageURL = b.main.URL("http") + "/plain.html"
		}
		p, err := br.openPage(ctx, pageURL, c.ID)
		if err != nil {
			b.unavailable(c.ID, "loading in the page: "+err.Error())
			continue
		}
		defer p.close()
		b.pages[c.ID] = p
		profiled := map[string]bool{}
		b.run[c.ID] = func(ctx context.Context, params workload.Params) workload.Result {
			var r workload.Result
			expr := fmt.Sprintf("bench.run(%q, %s)", c.ID, mustJSON(params))
			d := time.Duration(params.TimeoutMs)*time.Millisecond + 5*time.Second
			var err error
			if cfg.profile != "" && b.timing && !profiled[params.Workload] {
				profiled[params.Workload] = true
				path := filepath.Join(cfg.profile, c.ID+"-"+params.Workload+".cpuprofile")
				err = p.profile(ctx, d, expr, &r, path)
				b.logf("profile of %s %s: %s", c.ID, params.Workload, path)
			} else {
				err = p.eval(ctx, d, expr, &r)
			}
			if err != nil {
				return workload.Fail(workload.Result{GC: -1}, err)
			}
			return r
		}
		if rep.TimerStepUs == 0 {
			var ts struct {
				StepUs   float64 `json:"stepUs"`
				Isolated bool    `json:"isolated"`
			}
			if err := p.eval(ctx, 10*time.Second, "bench.timerStep()", &ts); err == nil {
				rep.TimerStepUs, rep.CrossOriginIsolated = ts.StepUs, ts.Isolated
			}
		}
	}

	specs := b.timed()
	if !cfg.quick {
		// A quarter of each workload is enough to get Chromium and the
		// JIT past their start-up.
		b.logf("warm-up round (untimed)")
		warm := slices.Clone(specs)
		for i := range warm {
			warm[i].N = max(1, warm[i].N/4)
		}
		b.round(ctx, warm, 0, false)
	}
	// Rounds after the first give way to the reconnect workload and the
	// sizes when the deadline draws near, so that a slow machine still
	// gets a complete report.
	deadline, _ := ctx.Deadline()
	// Each outage takes its length plus about half a second; brotli takes
	// seconds per binary unless cached.
	reserve := time.Duration(cfg.outages)*(cfg.outage+cfg.backoff+500*time.Millisecond) + 25*time.Second
	if cfg.profile != "" {
		if err := os.MkdirAll(cfg.profile, 0o755); err != nil {
			return nil, err
		}
		b.notes = append(b.notes, "profiled: the first timed round of each browser client ran under the DevTools profiler, which slows it; C and D were built with their name section, which makes them larger")
	}
	b.timing = true
	for r := 1; r <= cfg.rounds && ctx.Err() == nil; r++ {
		t0 := time.Now()
		b.logf("round %d of %d", r, cfg.rounds)
		b.round(ctx, specs, r, true)
		for i := range b.specs {
			if b.specs[i].Name != workload.Reconnect {
				b.specs[i].Rounds = r
			}
		}
		if r < cfg.rounds && !deadline.IsZero() && time.Until(deadline) < time.Since(t0)+reserve {
			b.notes = append(b.notes, fmt.Sprintf("stopped after %d of %d rounds to stay within the time limit", r, cfg.rounds))
			b.logf("%s", b.notes[len(b.notes)-1])
			break
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.runReconnect(ctx, *b.reconnectSpec())
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	b.logf("measuring wasm sizes")
	sizes := b.sizes(ctx, builds)

	rep.fill(b, sizes)
	rep.Machine.LoadStart, rep.Machine.LoadEnd = load0, loadAverage()
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.cfg.log, "bench: %5.1fs "+format+"\n", append([]any{time.Since(b.start).Seconds()}, args...)...)
}

// selected reports whether workload wl is to run.
func (b *bench) selected(wl string) bool {
	return len(b.cfg.workloads) == 0 || slices.Contains(b.cfg.workloads, wl)
}

func (b *bench) client(id string) *clientInfo {
	for i := range b.clients {
		if b.clients[i].ID == id {
			return &b.clients[i]
		}
	}
	panic("no client " + id)
}

func (b *bench) unavailable(id, reason string) {
	c := b.client(id)
	if c.Status == "ok" {
		c.Status, c.Reason = "unavailable", reason
		b.logf("client %s unavailable: %s", id, reason)
	}
}

func (b *bench) params(s spec, client, url string) workload.Params {
	// Ten times what the slowest client needs on a quiet machine: this
	// only bounds a hang.
	timeout := 30 * time.Second
	if b.cfg.quick {
		timeout = 15 * time.Second
	}
	return workload.Params{Workload: s.Name, URL: url, N: s.N, Pad: s.Pad, Warmup: s.Warmup,
		BackoffMs: s.BackoffMs, TimeoutMs: int(timeout / time.Millisecond), Reliable: reliable(client)}
}

// rotation returns the clients that run workload wl, in the order of round
// n: rotated by n among themselves, so that over the rounds each takes
// every place. (Rotated over all clients, those that skip a workload made
// A follow native F, and B follow A, in every round.)
func rotation(clients []clientInfo, wl string, n int) []string {
	var ids []string
	for _, c := range clients {
		if ok, _ := runs(c.ID, wl); ok && c.Status == "ok" {
			ids = append(ids, c.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	k := n % len(ids)
	return append(ids[k:], ids[:k]...)
}

// round runs every workload once for every available client, in an order
// that rotates from round to round so that no client always goes first.
// The first failure of a client in the warm-up round (or, in a quick run,
// in its only round) makes it unavailable: that is how a client whose
// library does not work yet shows up. A run that times out is not tried
// again in later rounds.
func (b *bench) round(ctx context.Context, specs []spec, n int, keep bool) {
	for _, s := range specs {
		if !b.selected(s.Name) {
			continue
		}
		for _, id := range rotation(b.clients, s.Name, n) {
			c := b.client(id)
			if c.Status != "ok" || ctx.Err() != nil || b.skip[c.ID+" "+s.Name] != "" {
				continue
			}
			path := "/ws"
			switch {
			case reliable(c.ID):
				path = "/reliable"
			case !workload.IsEvents(s.Name) && b.cfg.server != "sdk":
				path = "/echo"
			}
			url := b.main.URL("ws") + path + "?client=" + c.ID
			// The echo server and the native clients share this process:
			// collect what the previous run left, so that its GC does not
			// land in this one's time.
			runtime.GC()
			t0 := time.Now()
			r := b.run[c.ID](ctx, b.params(s, c.ID, url))
			if r.Err != "" {
				b.logf("%s %s (after %.1f s): %s", c.ID, s.Name, time.Since(t0).Seconds(), r.Err)
				if !keep || b.cfg.quick && len(b.results[c.ID]) == 0 {
					b.unavailable(c.ID, s.Name+": "+r.Err)
					continue
				}
				if strings.Contains(r.Err, "timed out") || strings.Contains(r.Err, "deadline exceeded") {
					b.skip[c.ID+" "+s.Name] = r.Err
				}
			}
			if keep {
				if b.results[c.ID] == nil {
					b.results[c.ID] = map[string][]workload.Result{}
				}
				b.results[c.ID][s.Name] = append(b.results[c.ID][s.Name], r)
			}
		}
	}
}

// runReconnect runs the reconnect workload for every reconnecting client
// at once, against the outage server: the clients see the same outages.
// For each outage the server goes down (dropping every connection without
// a close frame), stays down for s.OutageMs, comes back on the same port,
// and notes when each client's queued mark arrives.
func (b *bench) runReconnect(ctx context.Context, s spec) {
	var ids []string
	if !b.selected(s.Name) {
		return
	}
	for _, c := range b.clients {
		if reconnects(c.ID) && c.Status == "ok" {
			ids = append(ids, c.ID)
		}
	}
	if len(ids) == 0 {
		return
	}
	b.logf("reconnect: %d outages of %d ms", s.N, s.OutageMs)
	type key struct {
		client string
		k      int
	}
	var (
		mu        sync.Mutex
		connected = map[string][]time.Time{}
		arrived   = map[key]time.Time{}
		changed   = make(chan struct{}, 1)
	)
	notify := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	onConnect := func(client string) {
		mu.Lock()
		connected[client] = append(connected[client], time.Now())
		mu.Unlock()
		notify()
	}
	onMark := func(client string, m workload.Mark, at time.Time) {
		mu.Lock()
		if _, ok := arrived[key{client, m.K}]; !ok {
			arrived[key{client, m.K}] = at
		}
		mu.Unlock()
		notify()
	}
	b.outage.setHooks(hooks{connect: onConnect, mark: onMark})
	defer b.outage.setHooks(hooks{})
	// waitFor polls cond, under mu, until it holds or d passes.
	waitFor := func(d time.Duration, cond func() bool) bool {
		deadline := time.After(d)
		for {
			mu.Lock()
			ok := cond()
			mu.Unlock()
			if ok {
				return true
			}
			select {
			case <-changed:
			case <-deadline:
				return false
			case <-ctx.Done():
				return false
			}
		}
	}

	perOutage := time.Duration(s.OutageMs)*time.Millisecond + 500*time.Millisecond
	p := b.params(s, "", "")
	p.TimeoutMs = int((time.Duration(s.N)*perOutage + 30*time.Second) / time.Millisecond)
	results := make(map[string]workload.Result)
	var wg sync.WaitGroup
	runCtx, cancelRuns := context.WithCancel(ctx)
	defer cancelRuns()
	for _, id := range ids {
		cp := p
		cp.URL = b.outage.URL("ws") + "/ws?client=" + id
		wg.Go(func() {
			r := b.run[id](runCtx, cp)
			mu.Lock()
			results[id] = r
			mu.Unlock()
			notify()
		})
	}
	// A client that cannot connect returns at once with an error.
	waitFor(20*time.Second, func() bool {
		for _, id := range ids {
			if _, done := results[id]; len(connected[id]) == 0 && !done {
				return false
			}
		}
		return true
	})
	time.Sleep(200 * time.Millisecond)
	backAt := make([]time.Time, s.N+1)
	for k := 1; k <= s.N && ctx.Err() == nil; k++ {
		b.outage.down()
		// The clients start their backoff wait when the connection drops;
		// a random extra fraction of the backoff delay makes the server
		// come back at a random point of that wait instead of in step
		// with it.
		d := time.Duration(s.OutageMs)*time.Millisecond + rand.N(max(b.cfg.backoff, time.Millisecond))
		select {
		case <-time.After(d):
		case <-ctx.Done():
		}
		at, err := b.outage.up(ctx)
		if err != nil {
			b.logf("reconnect: the server could not come back: %v", err)
			break
		}
		backAt[k] = at
		waitFor(10*time.Second, func() bool {
			for _, id := range ids {
				_, ok := arrived[key{id, k}]
				_, ended := results[id]
				if !ok && !ended {
					return false
				}
			}
			return true
		})
		// Let the echoed marks reach the clients before the next drop.
		time.Sleep(300 * time.Millisecond)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		cancelRuns()
		<-done
	}
	// How each browser client's page saw its connections.
	for _, id := range ids {
		p := b.pages[id]
		if p == nil {
			continue
		}
		var ds []dial
		if err := p.eval(ctx, 10*time.Second, "bench.dials()", &ds); err != nil {
			b.reconnectDialsErr[id] = err.Error()
			continue
		}
		split, err := splitDials(ds, s.N)
		if err != nil {
			b.reconnectDialsErr[id] = err.Error()
			b.logf("%s reconnect: %v", id, err)
			continue
		}
		b.reconnectDials[id] = split
	}
	mu.Lock()
	defer mu.Unlock()
	for _, id := range ids {
		r := results[id]
		var delays, waits []float64
		var missing []string
		for k := 1; k <= s.N; k++ {
			at, ok := arrived[key{id, k}]
			if !ok || backAt[k].IsZero() {
				missing = append(missing, fmt.Sprint(k))
				continue
			}
			delays = append(delays, ms(at.Sub(backAt[k])))
			// The first connection accepted after the server came back.
			for _, c := range connected[id] {
				if !c.Before(backAt[k]) {
					waits = append(waits, ms(c.Sub(backAt[k])))
					break
				}
			}
		}
		if len(missing) > 0 && r.Err == "" {
			r.Err = "no mark arrived after outage " + strings.Join(missing, ", ")
		}
		if r.Err != "" {
			b.logf("%s reconnect: %s", id, r.Err)
		}
		if b.results[id] == nil {
			b.results[id] = map[string][]workload.Result{}
		}
		b.results[id][s.Name] = []workload.Result{r}
		b.reconnect[id] = delays
		if len(waits) == len(delays) {
			b.reconnectWait[id] = waits
		}
	}
}

func (b *bench) sizes(ctx context.Context, builds []*wasmBuild) []wasmSize {
	type item struct{ name, path string }
	items := []item{{"dist/steadyws.wasm (B)", filepath.Join(b.cfg.dist, "steadyws.wasm")}}
	for _, bl := range builds {
		if bl.err == nil {
			name := map[string]string{"C": "C: steadyws Go API program", "D": "D: coder/websocket + wsjson program"}[bl.client]
			items = append(items, item{name, bl.out})
		}
	}
	out := make([]wasmSize, len(items))
	var wg sync.WaitGroup
	for i, it := range items {
		wg.Go(func() { out[i] = measureSize(ctx, it.name, it.path, !b.cfg.quick) })
	}
	wg.Wait()
	for i := range out {
		if out[i].Path == items[0].path {
			out[i].Path = "dist/steadyws.wasm"
		} else {
			out[i].Path = "" // a temporary file
		}
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
