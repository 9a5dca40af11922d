//go:build !js

package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/steadyws/steadyws/js/bench/internal/workload"
)

// TestSplitDials checks that the connection that ended each outage is
// found in a page's record: the first socket is the initial connection,
// failed attempts never open, and each outage ends with one that does.
func TestSplitDials(t *testing.T) {
	ds := []dial{
		{NewAt: 0, OpenAt: 3, CloseAt: 1000},       // initial, dropped by outage 1
		{NewAt: 1052, OpenAt: -1, CloseAt: 1053},   // refused
		{NewAt: 1104, OpenAt: -1, CloseAt: 1105},   // refused
		{NewAt: 1157, OpenAt: 1540, CloseAt: 3000}, // held back 380 ms by the browser, then open
		{NewAt: 3051, OpenAt: 3053, CloseAt: 4000}, // outage 2 ended on the first try
	}
	got, err := splitDials(ds, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []dialSplit{{BrowserMs: 383, SinceCloseMs: 52}, {BrowserMs: 2, SinceCloseMs: 51}}
	if !slices.Equal(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	// One open too many (or too few) and the outages cannot be told apart.
	if _, err := splitDials(ds, 3); err == nil {
		t.Error("3 outages with 3 opened sockets: want an error")
	}
}

// TestReconnectJudged checks the judging of the reconnect target on a
// recorded sample: a browser client whose delay is mostly the browser
// holding its WebSocket back meets the target on the SDK's share, one
// whose SDK dials late does not, and a native client is judged on the
// whole delay, as before.
func TestReconnectJudged(t *testing.T) {
	b := &bench{
		cfg:     config{outages: 2, outage: 2000e6, backoff: 50e6},
		clients: slices.Clone(allClients),
		results: map[string]map[string][]workload.Result{},
		// Delays from the server's return to the mark's arrival, and the
		// part until the server accepted the connection.
		reconnect:     map[string][]float64{"B": {420, 40}, "C": {130, 160}, "F": {30, 120}},
		reconnectWait: map[string][]float64{"B": {410, 35}, "C": {120, 155}, "F": {28, 118}},
		reconnectDials: map[string][]dialSplit{
			// B: the browser held outage 1's WebSocket back for 383 ms.
			"B": {{BrowserMs: 383, SinceCloseMs: 52}, {BrowserMs: 2, SinceCloseMs: 51}},
			// C: a WebSocket made while the server was down and held back
			// past its return counts only from the return (120 ms); the
			// second outage's dial came 80 ms after its due time.
			"C": {{BrowserMs: 300, SinceCloseMs: 50}, {BrowserMs: 2, SinceCloseMs: 130}},
		},
		reconnectDialsErr: map[string]string{},
	}
	b.specs = b.cfg.specs()
	for i := range b.clients {
		b.clients[i].Status = "ok"
	}
	for _, id := range []string{"B", "C", "F"} {
		b.results[id] = map[string][]workload.Result{workload.Reconnect: {{N: 2, DueMs: []float64{50, 50}}}}
	}
	s := *b.reconnectSpec()

	cB := b.cell(*b.client("B"), s)
	if cB.Judged != "sdk share" || cB.TargetMet == nil || !*cB.TargetMet {
		t.Errorf("B: judged on %q, met %v: want met on the SDK's share (420 ms less 383 ms held by the browser)", cB.Judged, cB.TargetMet)
	}
	if *cB.SDKMaxMs != 38 || *cB.BrowserMs != (383+2)/2.0 || *cB.DialLagMs != 1.5 {
		t.Errorf("B: SDK's max %v, browser's %v, dial lag %v: want 38, 192.5, 1.5", *cB.SDKMaxMs, *cB.BrowserMs, *cB.DialLagMs)
	}

	cC := b.cell(*b.client("C"), s)
	if cC.Judged != "sdk share" || cC.TargetMet == nil || *cC.TargetMet || cC.Late != 1 {
		t.Errorf("C: judged on %q, met %v, late %d: want 1 of 2 late on the SDK's share (130 - 120 = 10 ms, 160 - 2 = 158 ms)", cC.Judged, cC.TargetMet, cC.Late)
	}
	if !slices.Equal(cC.SDKMsEach, []float64{10, 158}) {
		t.Errorf("C: SDK's share per outage %v, want [10 158]", cC.SDKMsEach)
	}

	cF := b.cell(*b.client("F"), s)
	if cF.Judged != "delay" || cF.TargetMet == nil || *cF.TargetMet || cF.Late != 1 || cF.SDKMs != nil {
		t.Errorf("F: judged on %q, met %v, late %d: want 1 of 2 late on the whole delay, no SDK's share", cF.Judged, cF.TargetMet, cF.Late)
	}

	// Without the page's record a browser client falls back to the whole
	// delay, and says so.
	delete(b.reconnectDials, "B")
	b.reconnectDialsErr["B"] = "the page opened 4 WebSockets over 2 outages"
	cB = b.cell(*b.client("B"), s)
	if cB.Judged != "delay" || *cB.TargetMet || !strings.Contains(cB.Reason, "judged on the whole delay: the page opened 4") {
		t.Errorf("B without its record: judged on %q, met %v, reason %q", cB.Judged, *cB.TargetMet, cB.Reason)
	}

	// The table says what was judged.
	rep := &report{Workloads: b.specs, Clients: b.clients, Results: []cell{cB, cC, cF}}
	var out bytes.Buffer
	rep.print(&out)
	for _, want := range []string{
		"NOT met (SDK's share: 1 of 2 late)",
		"NOT met (delay: 1 of 2 late)",
		"judged: B and C (in Chromium) on the SDK's share, F (native) on the whole delay.",
		"SDK's share = delay - browser's.",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, out.String())
		}
	}
}

// TestRotation checks that over as many rounds as there are clients
// running a workload, each client runs in every place once, whatever the
// clients that skip the workload.
func TestRotation(t *testing.T) {
	clients := slices.Clone(allClients)
	for i := range clients {
		clients[i].Status = "ok"
	}
	ids := rotation(clients, workload.Pipelined, 0)
	if want := []string{"A", "P", "B", "C", "D", "E", "F"}; !slices.Equal(ids, want) {
		t.Fatalf("round 0 runs %v, want %v", ids, want)
	}
	places := map[string]map[int]bool{}
	for n := range len(ids) {
		for i, id := range rotation(clients, workload.Pipelined, n) {
			if places[id] == nil {
				places[id] = map[int]bool{}
			}
			places[id][i] = true
		}
	}
	for _, id := range ids {
		if len(places[id]) != len(ids) {
			t.Errorf("client %s ran in places %v over %d rounds, want each place once", id, places[id], len(ids))
		}
	}
}
