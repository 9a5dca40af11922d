//go:build !js

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestQuickRun runs the whole harness in -quick mode, as `make bench` would
// run it in full, and checks that every client measured every workload it
// can run, that the report is complete, and that Chromium is gone after.
func TestQuickRun(t *testing.T) {
	root, err := findModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dist := filepath.Join(root, "..", "dist")
	for _, f := range []string{"steadyws.wasm", "steadyws.mjs", "wasm_exec.js"} {
		if _, err := os.Stat(filepath.Join(dist, f)); err != nil {
			t.Fatalf("%s is missing: run make wasm first", filepath.Join(dist, f))
		}
	}
	const chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("%s is missing: the browser clients need it (make test installs it)", chromium)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfg := config{quick: true, rounds: 1, outages: 2, outage: 500 * time.Millisecond, backoff: 50 * time.Millisecond,
		dist: dist, chromium: chromium, log: os.Stderr}
	path, err := benchMain(ctx, cfg, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("%s: %v", path, err)
	}

	if !rep.CrossOriginIsolated || rep.TimerStepUs <= 0 || rep.TimerStepUs > 20 {
		t.Errorf("page timer step %.1f µs, cross-origin isolated %v: want a fine timer in an isolated page", rep.TimerStepUs, rep.CrossOriginIsolated)
	}
	cells := map[string]cell{}
	for _, c := range rep.Results {
		cells[c.Client+" "+c.Workload] = c
	}
	for _, c := range allClients {
		for _, s := range rep.Workloads {
			got, ok := cells[c.ID+" "+s.Name]
			switch {
			case !ok:
				t.Errorf("client %s, %s: missing from the report", c.ID, s.Name)
			case !runsOK(c.ID, s.Name):
				if got.Status != "n/a" {
					t.Errorf("client %s, %s: status %q, want n/a", c.ID, s.Name, got.Status)
				}
			case got.Status != "ok":
				t.Errorf("client %s, %s: %s: %s", c.ID, s.Name, got.Status, got.Reason)
			case s.Name == "reconnect":
				if !(got.MeanMs > 0 && got.MaxMs >= got.MeanMs && got.DueMs > 0 && len(got.DelaysMs) == s.N) {
					t.Errorf("client %s, reconnect: mean %.1f ms, max %.1f ms, due %.0f ms over %d outages: want positive numbers for each of %d",
						c.ID, got.MeanMs, got.MaxMs, got.DueMs, len(got.DelaysMs), s.N)
				}
				// The browser clients' pages recorded their WebSockets, so
				// they are judged on the SDK's share; F on the whole delay.
				wantJudged := map[string]string{"B": "sdk share", "C": "sdk share", "F": "delay"}[c.ID]
				if got.Judged != wantJudged || (wantJudged == "sdk share") != (got.SDKMs != nil && got.BrowserMs != nil) {
					t.Errorf("client %s, reconnect: judged on %q (%s), want %q with the browser's share split off for browser clients",
						c.ID, got.Judged, got.Reason, wantJudged)
				}
			default:
				if !(got.MsgsPerSec > 0 && got.P50Us > 0 && got.P99Us >= got.P50Us && got.MBps > 0 && got.VsA != nil && got.VsE != nil) {
					t.Errorf("client %s, %s: %+v: want positive numbers and both ratios", c.ID, s.Name, got)
				}
				if reliable(c.ID) && got.VsUnreliable == nil {
					t.Errorf("client %s, %s: no ratio to %s", c.ID, s.Name, unreliableTwin(c.ID))
				}
			}
		}
	}
	for _, wl := range []string{"events", "events-bulk"} {
		if !runsOK("G", wl) || !runsOK("H", wl) {
			t.Errorf("the reliable clients do not run %s", wl)
		}
	}
	if len(rep.Sizes) != 3 {
		t.Errorf("%d wasm sizes, want 3 (steadyws.wasm, C, D)", len(rep.Sizes))
	}
	for _, s := range rep.Sizes {
		if s.Err != "" || s.Raw <= 0 || s.Gzip <= 0 || s.Gzip >= s.Raw {
			t.Errorf("size of %s: %+v", s.Name, s)
		}
	}

	// Nothing of Chromium may be left: no process still runs with the
	// profile this run used, and the profile is gone.
	profiles.Lock()
	dirs := profiles.dirs
	profiles.Unlock()
	if len(dirs) == 0 {
		t.Fatal("no Chromium profile recorded")
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, dir := range dirs {
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("Chromium profile %s was not removed", dir)
		}
		for _, p := range procs {
			cmd, err := os.ReadFile(p)
			if err == nil && bytes.Contains(cmd, []byte(dir)) {
				t.Errorf("process %s still runs with profile %s: %s", filepath.Dir(p), dir,
					strings.ReplaceAll(string(cmd), "\x00", " "))
			}
		}
	}
}

func runsOK(id, wl string) bool {
	ok, _ := runs(id, wl)
	return ok
}
