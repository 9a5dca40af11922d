package js_test

import (
	"reflect"
	"testing"
)

// TestReliableRoundTrip: with reliable: true, events sent across two
// dropped connections come back from sdk/server (the test server's
// /reliable echoes them) exactly once, in order, numbered; stats() counts
// what was resent; $ types are refused; a full window throws queue_full
// while the server acknowledges nothing; the shim lets go of every kept
// string once acknowledged.
func TestReliableRoundTrip(t *testing.T) {
	ctx := page(t)
	s := newServer(t)
	var got struct {
		Echoes  []int
		Seqs    []int
		Stats   map[string]any
		Refused []string
		Full    string
		Kept    int
		After   int
	}
	run(t, ctx, s, `
		const RWS = WS.replace(/\/ws$/, "/reliable");
		const c = steadyws.connect(RWS, { ...fast, reliable: true, queue: { limit: 8 } });
		const echoes = [], seqs = [];
		c.on("echo", (d, m) => { echoes.push(d.n); seqs.push(m.seq); });
		await opened(c);
		for (let i = 1; i <= 40; i++) {
			for (;;) {
				try { c.send("echo", { n: i }); break; } catch (e) { if (e.code !== "queue_full") throw e; await sleep(5); }
			}
			if (i === 15 || i === 30) await ctl(CTL + "/drop");
		}
		try { await until("every echo", () => echoes.length >= 40, 10000); }
		catch (e) { throw new Error(e.message + ": got " + JSON.stringify(echoes) + ", stats " + JSON.stringify(c.stats())); }
		await until("everything acknowledged", () => c.stats().unacked === 0, 3000);
		await sleep(150);
		const stats = c.stats();
		const refused = [];
		for (const f of [() => c.send("$ack", 1), () => c.on("$x", () => {}), () => c.handle("$y", () => 1), () => c.request("$z")]) {
			try { const p = f(); if (p instanceof Promise) await p; refused.push("accepted"); } catch (e) { refused.push(e.name); }
		}
		// The window: kept and queued events count against queue.limit.
		await ctl(CTL + "/silent?on=true");
		let full = "none";
		try { for (let i = 0; i < 9; i++) c.send("echo", { n: 100 + i }); } catch (e) { full = e.code; }
		const kept = c.stats().unacked;
		await ctl(CTL + "/silent?on=false");
		await ctl(CTL + "/drop");
		await until("the kept events echoed", () => echoes.length >= 48, 10000);
		await until("acknowledged again", () => c.stats().unacked === 0, 3000);
		c.close();
		return { Echoes: echoes, Seqs: seqs, Stats: stats, Refused: refused, Full: full, Kept: kept, After: echoes.length };`, &got)
	want := make([]int, 40)
	for i := range want {
		want[i] = i + 1
	}
	if !reflect.DeepEqual(got.Echoes[:40], want) || !reflect.DeepEqual(got.Seqs[:40], want) {
		t.Errorf("echoes %v seqs %v, want 1..40 both", got.Echoes, got.Seqs)
	}
	if got.Stats["reconnects"].(float64) < 1 || got.Stats["resent"].(float64) < 0 || got.Stats["unacked"] != 0.0 || got.Stats["duplicates"] == nil || got.Stats["sessionRestarts"] != 0.0 {
		t.Errorf("stats %v", got.Stats)
	}
	if !reflect.DeepEqual(got.Refused, []string{"TypeError", "TypeError", "TypeError", "TypeError"}) {
		t.Errorf("$ types: %v, want four TypeErrors", got.Refused)
	}
	if got.Full != "queue_full" || got.Kept != 8 || got.After != 48 {
		t.Errorf("window: %q with %d kept, %d echoes after; want queue_full, 8, 48", got.Full, got.Kept, got.After)
	}
}

// TestReliableUnsupportedServer: a server without reliable mode (the test
// server's /ws) makes the client stop, with ReliableUnsupportedError.
func TestReliableUnsupportedServer(t *testing.T) {
	ctx := page(t)
	s := newServer(t)
	var got struct {
		Errors []string
		State  string
	}
	run(t, ctx, s, `
		const c = steadyws.connect(WS, { ...fast, reliable: true });
		const errors = [];
		c.onerror = (e) => errors.push(e.error.name);
		await until("closed", () => c.state === "closed", 5000);
		await sleep(50);
		return { Errors: errors, State: c.state };`, &got)
	if got.State != "closed" || !reflect.DeepEqual(got.Errors, []string{"ReliableUnsupportedError"}) {
		t.Errorf("state %s, errors %v; want closed after one ReliableUnsupportedError", got.State, got.Errors)
	}
}

// TestReliableSessionSurvivesCloseAndReconnect: close() and then
// reconnect() go on with the same session, as Close and Reconnect do
// natively. Events written while the server was silent, and so never
// acknowledged, arrive once after the reconnect, with no SessionLostError;
// the session waits in Go meanwhile (goStats().retiredSessions). A new
// session would have lost them: its client forgets what the old one kept,
// and the server's echoes belong to the old session.
func TestReliableSessionSurvivesCloseAndReconnect(t *testing.T) {
	ctx := page(t)
	s := newServer(t)
	var got struct {
		Echoes          []int
		Errors          []string
		UnackedAtClose  int
		RetiredSessions int
		Stats           map[string]any
		After           int
	}
	run(t, ctx, s, `
		const RWS = WS.replace(/\/ws$/, "/reliable");
		const base = steadyws.goStats().retiredSessions;
		const c = steadyws.connect(RWS, { ...fast, reliable: true });
		const echoes = [], errors = [];
		c.on("echo", (d) => echoes.push(d.n));
		c.onerror = (e) => errors.push(e.error.name);
		await opened(c);
		c.send("echo", { n: 1 });
		await until("the first echo", () => echoes.length === 1, 5000);
		await until("the first acknowledged", () => c.stats().unacked === 0, 3000);
		await ctl(CTL + "/silent?on=true");
		for (let i = 2; i <= 5; i++) c.send("echo", { n: i });
		await until("four kept", () => c.stats().unacked === 4, 3000);
		c.close();
		await until("closed", () => c.state === "closed", 3000);
		const unackedAtClose = c.stats().unacked;
		await until("the session retired", () => steadyws.goStats().retiredSessions - base === 1, 3000);
		const retired = steadyws.goStats().retiredSessions - base;
		await ctl(CTL + "/silent?on=false");
		c.reconnect();
		try { await until("every echo", () => echoes.length >= 5, 10000); }
		catch (e) { throw new Error(e.message + ": got " + JSON.stringify(echoes) + ", stats " + JSON.stringify(c.stats())); }
		await until("everything acknowledged", () => c.stats().unacked === 0, 3000);
		await sleep(200);
		const stats = c.stats();
		c.close();
		await until("closed again", () => c.state === "closed", 3000);
		await until("retired again", () => steadyws.goStats().retiredSessions - base === 1, 3000);
		return { Echoes: echoes, Errors: errors, UnackedAtClose: unackedAtClose, RetiredSessions: retired,
			Stats: stats, After: steadyws.goStats().retiredSessions - base };`, &got)
	if !reflect.DeepEqual(got.Echoes, []int{1, 2, 3, 4, 5}) {
		t.Errorf("echoes %v, want 1..5 once each", got.Echoes)
	}
	if len(got.Errors) != 0 {
		t.Errorf("error events %v, want none (the session was kept)", got.Errors)
	}
	if got.UnackedAtClose != 4 || got.RetiredSessions != 1 {
		t.Errorf("after close(): %d unacknowledged, %d retired sessions; want 4 and 1", got.UnackedAtClose, got.RetiredSessions)
	}
	if got.Stats["sessionRestarts"] != 0.0 || got.Stats["duplicates"] != 0.0 || got.Stats["unacked"] != 0.0 {
		t.Errorf("stats %v, want no session restart, no duplicate, nothing unacknowledged", got.Stats)
	}
	if got.After != 1 {
		t.Errorf("%d retired sessions after the second close(), want 1 (the page still holds the client)", got.After)
	}
}
