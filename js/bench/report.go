//go:build !js

package main

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/steadyws/steadyws/js/bench/internal/workload"
)

// report is the run's outcome, written as JSON to dist/bench/ and printed
// as a table.
type report struct {
	Time    string  `json:"time"`
	Quick   bool    `json:"quick"`
	Seconds float64 `json:"seconds"`
	Machine struct {
		OS        string `json:"os"`
		Arch      string `json:"arch"`
		CPUs      int    `json:"cpus"`
		Go        string `json:"go"`
		Chromium  string `json:"chromium"`
		LoadStart string `json:"loadAvgStart"`
		LoadEnd   string `json:"loadAvgEnd"`
	} `json:"machine"`
	// TimerStepUs is the smallest step of performance.now() in the page.
	TimerStepUs         float64      `json:"timerStepUs"`
	CrossOriginIsolated bool         `json:"crossOriginIsolated"`
	Workloads           []spec       `json:"workloads"`
	Clients             []clientInfo `json:"clients"`
	Results             []cell       `json:"results"`
	Sizes               []wasmSize   `json:"sizes"`
	Notes               []string     `json:"notes"`
}

// cell is one client on one workload.
type cell struct {
	Client   string `json:"client"`
	Workload string `json:"workload"`
	// Status is "ok", "n/a" (reconnect for a client that does not
	// reconnect), "unavailable" (the client could not run at all) or
	// "error" (no round succeeded).
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`

	// Medians over the rounds that succeeded.
	MsgsPerSec float64 `json:"msgsPerSec,omitempty"`
	// SpreadPct is (max − min) / median of msgs/s over the rounds.
	SpreadPct float64  `json:"spreadPct,omitempty"`
	P50Us     float64  `json:"p50Us,omitempty"`
	P99Us     float64  `json:"p99Us,omitempty"`
	MBps      float64  `json:"MBps,omitempty"` // envelope bytes sent per second, 1 MB = 10⁶ B
	VsA       *float64 `json:"vsA,omitempty"`  // msgs/s ratio to client A
	VsE       *float64 `json:"vsE,omitempty"`  // msgs/s ratio to client E
	// VsUnreliable is a reliable client's msgs/s ratio to the same client
	// without reliable mode (G to B, H to F).
	VsUnreliable *float64 `json:"vsUnreliable,omitempty"`
	// GC is the median number of Go GCs per timed run (wasm clients only).
	GC     *float64      `json:"gc,omitempty"`
	Rounds []roundResult `json:"rounds,omitempty"`

	// Reconnect only: delays from the server coming back to the queued
	// message arriving, and the backoff delay the client had announced.
	MeanMs   float64   `json:"meanMs,omitempty"`
	MaxMs    float64   `json:"maxMs,omitempty"`
	DueMs    float64   `json:"dueMs,omitempty"`
	DelaysMs []float64 `json:"delaysMs,omitempty"`
	// WaitMs is the mean part of the delay until the server accepted the
	// client's new connection (backoff left, the SDK's dial, and any time
	// the browser held the connection back); the rest is the handshake's
	// reply, open handlers and the queue flush.
	WaitMs float64 `json:"waitMs,omitempty"`
	// Browser clients only, from the page's record of its WebSockets:
	// BrowserMs is the mean browser's own delay, from `new WebSocket` to
	// its open event (in each outage at most the time until accepted);
	// SDKMs and SDKMaxMs are the SDK's share, the delay less the browser's
	// own; DialLagMs is the mean time from the end of the backoff due
	// (the previous socket's close event + due) to `new WebSocket`.
	BrowserMs *float64  `json:"browserMs,omitempty"`
	SDKMs     *float64  `json:"sdkMs,omitempty"`
	SDKMaxMs  *float64  `json:"sdkMaxMs,omitempty"`
	DialLagMs *float64  `json:"dialLagMs,omitempty"`
	SDKMsEach []float64 `json:"sdkMsEach,omitempty"`
	// Judged names what the target was judged on: "sdk share" for browser
	// clients whose page recorded its WebSockets, "delay" otherwise.
	Judged string `json:"judged,omitempty"`
	// Late counts outages whose judged time exceeded the backoff due in
	// them by more than 50 ms; TargetMet is Late == 0.
	Late      int   `json:"late,omitempty"`
	TargetMet *bool `json:"targetMet,omitempty"`
}

// lateBy is how far past the backoff due a reconnect may arrive.
const lateBy = 50.0

type roundResult struct {
	MsgsPerSec float64 `json:"msgsPerSec"`
	P50Us      float64 `json:"p50Us"`
	P99Us      float64 `json:"p99Us"`
	GC         int     `json:"gc"`
	Err        string  `json:"err,omitempty"`
}

func (rep *report) fill(b *bench, sizes []wasmSize) {
	rep.Time = time.Now().UTC().Format(time.RFC3339)
	rep.Quick = b.cfg.quick
	rep.Machine.OS, rep.Machine.Arch, rep.Machine.CPUs = runtime.GOOS, runtime.GOARCH, runtime.NumCPU()
	rep.Machine.Go = runtime.Version()
	rep.Workloads, rep.Clients, rep.Sizes = b.specs, b.clients, sizes
	rep.Notes = []string{
		"Every reply is JSON-decoded and its id (or seq) checked, in every client.",
		"rtt, pipelined and bulk: each run opens a fresh connection and makes untimed warm-up round trips first; medians over the rounds, spread = (max - min) / median of msgs/s.",
		"Clients run one at a time, each in its own tab (the others idle), in an order rotated round by round among the clients that run the workload; the harness collects its garbage before each run.",
		"pipelined: A writes all envelopes in a loop and matches replies by id, all its work in onmessage (no promise per message); B fires every client.request at once and awaits Promise.all; C and F start one goroutine per sdk.Request; D and E write from one goroutine while another reads.",
		"MB/s counts the envelope bytes sent; each is echoed back, so the wire carries twice that.",
		fmt.Sprintf("reconnect: the server drops every connection without a close frame, refuses connections for %d ms plus a random fraction of the backoff delay (so that it returns at a random point of the clients' wait) and comes back on the same port; the delay runs from its return to the arrival of the message the client queued when the connection dropped. B, C and F use a constant backoff (initial = max = %d ms, factor 1, no jitter) and run side by side through the same outages. Target: the SDK's share <= due backoff + 50 ms in every outage; for B and C (in Chromium) the SDK's share is the delay less the browser's own delay (from new WebSocket to open, as the page saw it: Chromium holds back a page's new WebSocket after failed ones), for F (native) the whole delay.", b.reconnectSpec().OutageMs, b.reconnectSpec().BackoffMs),
		"P, the check of A: a page of its own (plain.html) with the same requests written again from scratch, sharing no code with bench.mjs; P's ×A near 1 means A is as fast as plain JavaScript is here.",
		requestServerNote(b.cfg.server),
		"events and events-bulk: every client talks to the same sdk/server echo (json.RawMessage in, the same out); G and H to the same server in reliable mode.",
		"events and events-bulk are pipelined and bulk made of events: the client sends {\"type\":\"echo\",\"data\":D} and the server sends the same event back; in reliable mode (G, H) events are numbered, kept and acknowledged both ways, requests are not, so G and H run only these. G and H have queues and the server's session window as large as a run.",
		"Native clients E and F share this process with the echo server; GC counts are given for wasm clients only (B when steadyws exposes goStats).",
	}
	rep.Notes = append(rep.Notes, b.notes...)
	for _, s := range b.specs {
		for _, c := range b.clients {
			rep.Results = append(rep.Results, b.cell(c, s))
		}
	}
	// Ratios, per workload.
	for _, s := range b.timed() {
		a, e := rep.cell("A", s.Name), rep.cell("E", s.Name)
		for i := range rep.Results {
			c := &rep.Results[i]
			if c.Workload != s.Name || c.Status != "ok" {
				continue
			}
			if a.Status == "ok" {
				c.VsA = ptr(round3(c.MsgsPerSec / a.MsgsPerSec))
			}
			if e.Status == "ok" {
				c.VsE = ptr(round3(c.MsgsPerSec / e.MsgsPerSec))
			}
			if twin := unreliableTwin(c.Client); twin != "" {
				if t := rep.cell(twin, s.Name); t.Status == "ok" {
					c.VsUnreliable = ptr(round3(c.MsgsPerSec / t.MsgsPerSec))
				}
			}
		}
	}
}

func requestServerNote(server string) string {
	if server == "sdk" {
		return "rtt, pipelined and bulk ran against sdk/server (-server sdk), whose hand-offs to a handler and a writer goroutine add to every client's round trip."
	}
	return "rtt, pipelined and bulk: every client talks to the raw echo, which answers on the goroutine that read the request (-server sdk: against sdk/server instead)."
}

func (rep *report) cell(client, wl string) *cell {
	for i := range rep.Results {
		if rep.Results[i].Client == client && rep.Results[i].Workload == wl {
			return &rep.Results[i]
		}
	}
	return &cell{}
}

func ptr[T any](v T) *T { return &v }

func (b *bench) cell(c clientInfo, s spec) cell {
	out := cell{Client: c.ID, Workload: s.Name}
	if ok, why := runs(c.ID, s.Name); !ok {
		out.Status, out.Reason = "n/a", why
		return out
	}
	switch {
	case c.Status != "ok":
		out.Status, out.Reason = c.Status, c.Reason
		return out
	case !b.selected(s.Name):
		out.Status, out.Reason = "skipped", "not in -workloads"
		return out
	}
	runs := b.results[c.ID][s.Name]
	if s.Name == workload.Reconnect {
		return b.reconnectCell(out, runs, s)
	}
	var mps, p50, p99, gcs []float64
	var errs []string
	for _, r := range runs {
		rr := roundResult{GC: r.GC, Err: r.Err}
		if r.Err == "" && r.N > 0 && r.Seconds > 0 {
			lat := slices.Clone(r.LatUs)
			slices.Sort(lat)
			rr.MsgsPerSec = round1(float64(r.N) / r.Seconds)
			rr.P50Us, rr.P99Us = round1(percentile(lat, 50)), round1(percentile(lat, 99))
			mps, p50, p99 = append(mps, rr.MsgsPerSec), append(p50, rr.P50Us), append(p99, rr.P99Us)
			if r.GC >= 0 && c.Where == "chromium" {
				gcs = append(gcs, float64(r.GC))
			}
		} else if r.Err == "" {
			rr.Err = fmt.Sprintf("%d replies in %.3f s", r.N, r.Seconds)
		}
		if rr.Err != "" {
			errs = append(errs, rr.Err)
		}
		out.Rounds = append(out.Rounds, rr)
	}
	if len(mps) == 0 {
		out.Status = "error"
		out.Reason = "no round succeeded"
		if len(errs) > 0 {
			out.Reason = errs[0]
		}
		return out
	}
	out.Status = "ok"
	if len(errs) > 0 {
		out.Reason = fmt.Sprintf("%d of %d rounds failed: %s", len(errs), len(runs), errs[0])
	}
	out.MsgsPerSec, out.P50Us, out.P99Us = round1(median(mps)), round1(median(p50)), round1(median(p99))
	out.SpreadPct = round1(100 * (slices.Max(mps) - slices.Min(mps)) / out.MsgsPerSec)
	out.MBps = round3(out.MsgsPerSec * float64(s.EnvelopeBytes) / 1e6)
	if len(gcs) > 0 {
		out.GC = ptr(median(gcs))
	}
	return out
}

func (b *bench) reconnectCell(out cell, runs []workload.Result, s spec) cell {
	if len(runs) == 0 {
		out.Status, out.Reason = "error", "did not run"
		return out
	}
	r := runs[0]
	delays := b.reconnect[out.Client]
	if r.Err != "" || len(delays) == 0 {
		out.Status, out.Reason = "error", r.Err
		if out.Reason == "" {
			out.Reason = "no delay measured"
		}
		return out
	}
	out.Status = "ok"
	if r.NotQueued > 0 {
		out.Reason = fmt.Sprintf("%d marks were sent at once instead of queued", r.NotQueued)
	}
	for _, d := range delays {
		out.DelaysMs = append(out.DelaysMs, round3(d))
	}
	out.MeanMs, out.MaxMs = round3(mean(delays)), round3(slices.Max(delays))
	waits := b.reconnectWait[out.Client]
	if len(waits) > 0 {
		out.WaitMs = round3(mean(waits))
	}
	out.MsgsPerSec = 0
	if len(r.DueMs) > 0 {
		out.DueMs = mean(r.DueMs)
	} else {
		out.DueMs = float64(s.BackoffMs)
	}
	dueIn := func(i int) float64 {
		if len(r.DueMs) == len(delays) {
			return r.DueMs[i]
		}
		return out.DueMs
	}
	// A browser client is judged on its SDK's share: the delay less the
	// time the browser held its new WebSocket back. A native client, and a
	// browser client whose split is unknown, on the whole delay.
	judged := delays
	out.Judged = "delay"
	split := b.reconnectDials[out.Client]
	switch {
	case b.client(out.Client).Where != "chromium":
	case len(split) == len(delays):
		var browser, sdk, lag []float64
		for i, d := range delays {
			own := split[i].BrowserMs
			// The browser cannot have held back more than the time from
			// the server's return to its accept: a WebSocket made while
			// the server was still down, and held back past its return,
			// counts from the return.
			if len(waits) == len(delays) {
				own = min(own, waits[i])
			}
			browser = append(browser, own)
			sdk = append(sdk, d-own)
			lag = append(lag, split[i].SinceCloseMs-dueIn(i))
		}
		out.BrowserMs, out.SDKMs = ptr(round3(mean(browser))), ptr(round3(mean(sdk)))
		out.SDKMaxMs, out.DialLagMs = ptr(round3(slices.Max(sdk))), ptr(round3(mean(lag)))
		for _, x := range sdk {
			out.SDKMsEach = append(out.SDKMsEach, round3(x))
		}
		judged, out.Judged = sdk, "sdk share"
	default:
		why := b.reconnectDialsErr[out.Client]
		if why == "" {
			why = "no record of the page's WebSockets"
		}
		out.Reason = strings.TrimPrefix(out.Reason+"; ", "; ") + "judged on the whole delay: " + why
	}
	late := 0
	for i, d := range judged {
		if d > dueIn(i)+lateBy {
			late++
		}
	}
	out.Late = late
	out.TargetMet = ptr(late == 0)
	return out
}

// percentile returns the nearest-rank p-th percentile of sorted xs.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }
func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

func mean(xs []float64) float64 {
	var t float64
	for _, x := range xs {
		t += x
	}
	return t / float64(len(xs))
}

// print writes the report as a table.
func (rep *report) print(w io.Writer) {
	rounds := 0
	for _, s := range rep.Workloads {
		if s.Name != workload.Reconnect {
			rounds = max(rounds, s.Rounds)
		}
	}
	fmt.Fprintf(w, "steadyws bench · %s · %s/%s · %d CPUs · %s · %s\n",
		rep.Time, rep.Machine.OS, rep.Machine.Arch, rep.Machine.CPUs, rep.Machine.Go, rep.Machine.Chromium)
	timer := fmt.Sprintf("page timer step %.1f µs (cross-origin isolated)", rep.TimerStepUs)
	switch {
	case rep.TimerStepUs == 0:
		timer = "page timer step n/a (no page ran)"
	case !rep.CrossOriginIsolated:
		timer = fmt.Sprintf("page timer step %.1f µs (NOT cross-origin isolated)", rep.TimerStepUs)
	}
	warm := "after an untimed warm-up round"
	if rep.Quick {
		warm = "quick run, no warm-up round"
	}
	fmt.Fprintf(w, "%s · median of %d rounds %s · load average %s → %s\n\n",
		timer, rounds, warm, rep.Machine.LoadStart, rep.Machine.LoadEnd)

	names := map[string]string{}
	for _, c := range rep.Clients {
		names[c.ID] = c.ID + " " + c.Name
	}
	t := &table{left: 2}
	t.add("workload", "client", "msgs/s", "spread", "p50 µs", "p99 µs", "MB/s", "×A", "×E", "×B|F", "GCs")
	for _, s := range rep.Workloads {
		if s.Name == workload.Reconnect {
			continue
		}
		label := fmt.Sprintf("%s %s × %s", s.Name, groups(s.N), bytesLabel(s.EnvelopeBytes))
		for _, c := range rep.Results {
			if c.Workload != s.Name {
				continue
			}
			switch {
			case c.Status == "n/a":
				continue // said once, under the table
			case c.Status != "ok":
				t.add(label, names[c.Client], c.Status+": "+short(c.Reason))
			default:
				t.add(label, names[c.Client], groups(int(math.Round(c.MsgsPerSec))), fmt.Sprintf("%.0f%%", c.SpreadPct),
					groups(int(math.Round(c.P50Us))), groups(int(math.Round(c.P99Us))), fmt.Sprintf("%.2f", c.MBps),
					ratio(c.VsA), ratio(c.VsE), ratio(c.VsUnreliable), gcLabel(c.GC))
			}
			label = ""
		}
	}
	t.write(w)
	fmt.Fprintln(w, "×B|F: a reliable client against the same client without reliable mode (G ÷ B, H ÷ F).")
	fmt.Fprintln(w, "G and H run only the event workloads (requests are not numbered in reliable mode); C and D do not run them.")

	for _, s := range rep.Workloads {
		if s.Name != workload.Reconnect {
			continue
		}
		fmt.Fprintf(w, "\nreconnect · %d outages of %d ms · delay from the server's return to the arrival of the message queued at the drop\n", s.N, s.OutageMs)
		t := &table{left: 1}
		t.add("client", "mean ms", "max ms", "until accepted", "browser's", "SDK's share", "SDK's max", "dial lag", "backoff due ms", "target: judged ≤ due + 50 ms")
		for _, c := range rep.Results {
			if c.Workload != s.Name {
				continue
			}
			if c.Status != "ok" {
				t.add(names[c.Client], c.Status+": "+short(c.Reason))
				continue
			}
			t.add(names[c.Client], fmt.Sprintf("%.1f", c.MeanMs), fmt.Sprintf("%.1f", c.MaxMs), fmt.Sprintf("%.1f", c.WaitMs),
				msLabel(c.BrowserMs), msLabel(c.SDKMs), msLabel(c.SDKMaxMs), msLabel(c.DialLagMs), fmt.Sprintf("%.0f", c.DueMs), verdict(c))
		}
		t.write(w)
		fmt.Fprintln(w, "means over the outages. until accepted: from the server's return until it accepted the new connection (the backoff left, the")
		fmt.Fprintln(w, "SDK's dial and any time the browser held the connection back). browser's: in the page, from new WebSocket to its open event")
		fmt.Fprintln(w, "(at most until accepted): Chromium delays a page's new WebSocket after failed ones. SDK's share = delay - browser's.")
		fmt.Fprintln(w, "dial lag: from the end of the backoff due (the previous socket's close + due) to new WebSocket.")
		fmt.Fprintln(w, "judged: B and C (in Chromium) on the SDK's share, F (native) on the whole delay.")
	}

	fmt.Fprintln(w, "\nwasm sizes, bytes")
	t = &table{left: 1}
	t.add("binary", "raw", "gzip -9", "brotli -q 11")
	for _, s := range rep.Sizes {
		if s.Err != "" {
			t.add(s.Name, "unavailable: "+short(s.Err))
			continue
		}
		br := groups(int(s.Brotli))
		if s.Brotli == 0 {
			br = "-"
		}
		t.add(s.Name, groups(int(s.Raw)), groups(int(s.Gzip)), br)
	}
	t.write(w)
}

// verdict says whether a reconnect cell met its target, and on what it was
// judged.
func verdict(c cell) string {
	on := map[string]string{"sdk share": "SDK's share", "delay": "delay"}[c.Judged]
	if on == "" {
		on = "delay"
	}
	met := "met (" + on + ")"
	if c.TargetMet != nil && !*c.TargetMet {
		met = fmt.Sprintf("NOT met (%s: %d of %d late)", on, c.Late, len(c.DelaysMs))
	}
	if c.Reason != "" {
		met += " (" + short(c.Reason) + ")"
	}
	return met
}

func msLabel(x *float64) string {
	if x == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f", *x)
}

func short(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 90 {
		return s[:87] + "..."
	}
	return s
}

func ratio(r *float64) string {
	if r == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f", *r)
}

func gcLabel(g *float64) string {
	if g == nil {
		return "-"
	}
	return fmt.Sprintf("%g", *g)
}

func bytesLabel(n int) string {
	if n >= 1<<10 {
		return fmt.Sprintf("%.0f KiB", float64(n)/1024)
	}
	return fmt.Sprintf("%d B", n)
}

// groups formats n with thousands separators.
func groups(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}
