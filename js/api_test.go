package js_test

import (
	"encoding/json"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func TestLoadAndDefaults(t *testing.T) {
	ctx := page(t)
	var got struct {
		Same, Fast bool
		Defaults   map[string]any
		Core       map[string]any
	}
	run(t, ctx, nil, `
		const again = await window.mod.load({ wasmURL: "/dist/steadyws.wasm" });
		return { Same: again === steadyws, Fast: steadyws.fast, Defaults: steadyws.DEFAULTS, Core: steadyws.coreDefaults() };`, &got)
	if !got.Same {
		t.Error("load() twice gave two instances")
	}
	if !got.Fast {
		t.Error("the loader did not hand the wasm exports to the socket shim: messages take the slow path")
	}
	if !reflect.DeepEqual(got.Defaults, got.Core) {
		t.Errorf("DEFAULTS in steadyws.mjs differ from the Go core's:\n js: %v\n go: %v", got.Defaults, got.Core)
	}
	// The README's options table is written from DEFAULTS.
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile("(?m)^\\| `([a-zA-Z.]+)` \\| `([^`]*)` \\|").FindAllStringSubmatch(string(readme), -1)
	seen := map[string]bool{}
	for _, r := range rows {
		want, ok := lookup(got.Defaults, r[1])
		if !ok {
			continue // a Go-only row
		}
		seen[r[1]] = true
		if b, _ := json.Marshal(want); string(b) != r[2] {
			t.Errorf("README says %s defaults to %s, DEFAULTS says %s", r[1], r[2], b)
		}
	}
	for _, k := range flatKeys("", got.Defaults) {
		if !seen[k] {
			t.Errorf("README's JavaScript options table has no row for %s", k)
		}
	}
}

func lookup(m map[string]any, path string) (any, bool) {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = mm[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

func flatKeys(prefix string, m map[string]any) []string {
	var out []string
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			out = append(out, flatKeys(prefix+k+".", sub)...)
		} else {
			out = append(out, prefix+k)
		}
	}
	return out
}

func TestConnectOnSendRequest(t *testing.T) {
	ctx := page(t)
	s := newServer(t)
	var got struct {
		Echo        []int
		QueuedFirst bool
		SentNow     bool
		Sum         float64
		AfterOff    int
		Stats       map[string]any
		State       string
	}
	run(t, ctx, s, `
		const c = steadyws.connect(WS, fast);
		const queuedFirst = c.send("echo", { n: 0 }) === false;   // before open: queued
		const echo = [];
		const off = c.on("echo", (d) => echo.push(d.n));
		await opened(c);
		const sentNow = c.send("echo", { n: 1 }) === true;
		await until("two echoes", () => echo.length === 2);
		const sum = await c.request("sum", { a: 2, b: 3 });
		off();
		const before = echo.length;
		c.send("echo", { n: 2 });
		await c.request("echo", 1);   // the echo event came back before this reply
		const r = { Echo: echo, QueuedFirst: queuedFirst, SentNow: sentNow, Sum: sum.sum, AfterOff: echo.length - before, Stats: c.stats(), State: c.state };
		c.close();
		return r;`, &got)
	if !reflect.DeepEqual(got.Echo, []int{0, 1}) || !got.QueuedFirst || !got.SentNow {
		t.Errorf("echo %v, queued before open %v, sent now when open %v", got.Echo, got.QueuedFirst, got.SentNow)
	}
	if got.Sum != 5 {
		t.Errorf("sum = %v", got.Sum)
	}
	if got.AfterOff != 0 {
		t.Errorf("handler called %d times after off()", got.AfterOff)
	}
	if got.State != "open" || got.Stats["messagesOut"].(float64) < 4 || got.Stats["messagesIn"].(float64) < 4 {
		t.Errorf("state %s, stats %v", got.State, got.Stats)
	}
}

func TestRequestFailures(t *testing.T) {
	ctx := page(t)
	s := newServer(t)
	var got map[string]string
	run(t, ctx, s, `
		const c = steadyws.connect(WS, fast);
		await opened(c);
		const code = (p) => p.then(() => "resolved", (e) => e.code + ": " + e.message);
		const r = {};
		r.errorReply = await code(c.request("fail", {}));
		r.timeout = await code(c.request("slow", { ms: 2000 }, { timeoutMs: 50 }));
		const ac = new AbortController();
		const p = c.request("slow", { ms: 2000 }, { signal: ac.signal });
		setTimeout(() => ac.abort("changed my mind"), 20);
		r.abort = await code(p);
		const inflight = c.request("slow", { ms: 5000 });
		await sleep(50);
		await ctl(CTL + "/drop");
		r.lost = await code(inflight);
		c.close();
		r.closed = await code(c.request("echo", 1));
		return r;`, &got)
	for k, prefix := range map[string]string{
		"errorReply": "bad_args: ", "timeout": "timeout: ", "abort": "aborted: ", "lost": "connection_lost: ", "closed": "closed: ",
	} {
		if !strings.HasPrefix(got[k], prefix) {
			t.Errorf("%s: got %q, want %s...", k, got[k], prefix)
		}
	}
}

func TestHandleAnswersServerRequest(t *testing.T) {
	ctx := page(t)
	s := newServer(t)
	run(t, ctx, s, `
		const c = steadyws.connect(WS, fast);
		c.handle("whoami", async (d) => ({ name: "page", n: d.n + 1 }));
		c.handle("refuse", () => { const e = new Error("not today"); e.code = "nope"; throw e; });
		await opened(c);
		return true;`, new(bool))
	var reply struct {
		Reply struct {
			Name string
			N    int
		}
	}
	s.ctl(t, "request", url.Values{"type": {"whoami"}, "data": {`{"n":41}`}}, &reply)
	if reply.Reply.Name != "page" || reply.Reply.N != 42 {
		t.Fatalf("whoami reply = %+v", reply)
	}
}

func TestEventsAcrossServerDrop(t *testing.T) {
	ctx := page(t)
	s := newServer(t)
	var events []string
	run(t, ctx, s, `
		const log = [];
		const c = steadyws.connect(WS, fast);
		for (const name of ["open", "close", "reconnecting", "statechange"]) {
			c.addEventListener(name, (e) => log.push(name + (e.state ? ":" + e.state : "") + (e.code ? ":" + e.code + ":" + e.willReconnect : "")));
		}
		await opened(c);
		await ctl(CTL + "/drop");
		await until("reopen", () => log.filter((l) => l === "open").length === 2);
		c.close();
		return log;`, &events)
	want := []string{"statechange:open", "open", "close:1006:true", "reconnecting", "statechange:reconnecting", "statechange:open", "open", "statechange:closed"}
	if !reflect.DeepEqual(events, want) {
		t.Fatalf("events %v\nwant   %v", events, want)
	}
}

func TestMisspeltOptionThrows(t *testing.T) {
	ctx := page(t)
	var got map[string]string
	run(t, ctx, nil, `
		const msg = (f) => { try { f(); return "no throw"; } catch (e) { return e.name + ": " + e.message; } };
		return {
			top: msg(() => steadyws.connect("ws://127.0.0.1:9/ws", { backof: {} })),
			nested: msg(() => steadyws.connect("ws://127.0.0.1:9/ws", { heartbeat: { intervalMS: 5 } })),
			type: msg(() => steadyws.connect("ws://127.0.0.1:9/ws", { queue: { limit: "10" } })),
			url: msg(() => steadyws.connect(42)),
		};`, &got)
	checks := map[string][]string{
		"top":    {"Error: ", `unknown option "backof"`, `did you mean "backoff"`},
		"nested": {`unknown option "heartbeat.intervalMS"`, `did you mean "intervalMs"`},
		"type":   {"TypeError: ", "queue.limit must be a number"},
		"url":    {"TypeError: "},
	}
	for k, wants := range checks {
		for _, w := range wants {
			if !strings.Contains(got[k], w) {
				t.Errorf("%s: %q does not contain %q", k, got[k], w)
			}
		}
	}
}

func TestCloseDuringBackoffStopsForGood(t *testing.T) {
	ctx := page(t)
	s := newServer(t)
	var got struct {
		State    string
		Attempts int
		Delay    float64
		Restart  string
	}
	run(t, ctx, s, `
		// jitter: 0 means none: the delay is exactly initialMs.
		const c = steadyws.connect(WS, { backoff: { initialMs: 30000, jitter: 0 }, heartbeat: { intervalMs: -1 } });
		await opened(c);
		let delay = 0;
		c.addEventListener("reconnecting", (e) => { delay = e.delayMs; });
		await ctl(CTL + "/down");
		await until("backoff", () => delay > 0);
		c.close();
		await ctl(CTL + "/up");
		const before = (await ctl(CTL + "/stats")).attempts;
		await sleep(300);
		const after = (await ctl(CTL + "/stats")).attempts;
		let threw = false;
		try { c.send("x", 1); } catch (e) { threw = e.code === "closed"; }
		const state = c.state;
		const states = [];
		c.addEventListener("statechange", (e) => states.push(e.state));
		c.reconnect();                                     // a closed client starts again
		await until("reopen", () => c.state === "open");
		c.close();
		return { State: state + (threw ? "" : " (send did not throw)"), Attempts: after - before, Delay: delay, Restart: states.join(",") };`, &got)
	if got.State != "closed" || got.Attempts != 0 || got.Delay != 30000 || got.Restart != "connecting,open,closed" {
		t.Fatalf("after close during a 30 s backoff: %+v", got)
	}
}

func TestQueueFullThrowsAndOutageQueueDelivered(t *testing.T) {
	ctx := page(t)
	s := newServer(t)
	var got struct {
		Full     string
		Received int
	}
	run(t, ctx, s, `
		const c = steadyws.connect(WS, { ...fast, queue: { limit: 3 } });
		await opened(c);
		await ctl(CTL + "/down");
		await until("reconnecting", () => c.state === "reconnecting");
		for (let i = 0; i < 3; i++) if (c.send("note", { i }) !== false) throw new Error("not queued");
		let full = "no throw";
		try { c.send("note", { i: 3 }); } catch (e) { full = e.code; }
		await ctl(CTL + "/up");
		const got = await ctl(CTL + "/wait?n=3&timeoutMs=5000");
		await sleep(100);
		const all = await ctl(CTL + "/received");
		c.close();
		if (JSON.stringify(all.map((m) => m.data.i)) !== "[0,1,2]") throw new Error("received " + JSON.stringify(all));
		return { Full: full, Received: all.length };`, &got)
	if got.Full != "queue_full" || got.Received != 3 {
		t.Fatalf("%+v", got)
	}
}

func TestUnknownTypeAndListenerErrors(t *testing.T) {
	ctx := page(t)
	s := newServer(t)
	var got []string
	run(t, ctx, s, `
		const errors = [];
		const c = steadyws.connect(WS, fast);
		c.onerror = (e) => errors.push(e.error.name + ": " + e.message);
		c.on("chat", () => { throw new Error("boom"); });
		await opened(c);
		await ctl(CTL + "/broadcast?frame=" + encodeURIComponent('{"type":"caht","data":{}}'));
		await ctl(CTL + "/broadcast?frame=" + encodeURIComponent('{"type":"chat","data":{}}'));
		await ctl(CTL + "/broadcast?frame=" + encodeURIComponent('{"type":"chat","data":{'));
		await until("three errors", () => errors.length === 3);
		const alive = await c.request("echo", 7);
		c.close();
		return [...errors, "alive:" + alive];`, &got)
	want := []string{"UnknownTypeError", "HandlerError", "MalformedError", "alive:7"}
	if len(got) != 4 {
		t.Fatalf("errors %v", got)
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], w) {
			t.Errorf("error %d = %q, want %s...", i, got[i], w)
		}
	}
	if !strings.Contains(got[0], `did you mean "chat"`) {
		t.Errorf("no suggestion in %q", got[0])
	}
}

func TestURLFunctionRawAndReconnect(t *testing.T) {
	ctx := page(t)
	s := newServer(t)
	var got struct {
		Calls     int
		Raw       string
		Binary    int
		Accepted  int
		FirstFail bool
	}
	run(t, ctx, s, `
		let calls = 0;
		const c = steadyws.connect(async () => {
			calls++;
			await sleep(5);
			if (calls === 1) throw new Error("token service down");   // counts as a failed attempt
			return WS;
		}, fast);
		let firstFail = false;
		c.addEventListener("close", (e) => { if (calls === 1 && e.willReconnect) firstFail = true; });
		await opened(c);
		c.reconnect();                                   // drops the connection and dials again at once
		await until("second connection", () => calls === 3 && c.state === "open");
		const r = steadyws.connect(WS, { ...fast, raw: true });
		const texts = [], bins = [];
		r.addEventListener("raw", (e) => (typeof e.data === "string" ? texts : bins).push(e.data));
		await opened(r);
		r.sendRaw("raw:hello");
		r.sendRaw(new Uint8Array([1, 2, 3]).buffer);
		await until("raw echoes", () => texts.length === 1 && bins.length === 1);
		const stats = await ctl(CTL + "/stats");
		c.close(); r.close();
		return { Calls: calls, Raw: texts[0], Binary: bins[0].byteLength, Accepted: stats.accepted, FirstFail: firstFail };`, &got)
	if got.Calls != 3 || !got.FirstFail || got.Raw != "raw:hello" || got.Binary != 3 || got.Accepted != 3 {
		t.Fatalf("%+v", got)
	}
}

func TestPageSignals(t *testing.T) {
	ctx := page(t)
	s := newServer(t)
	var got struct {
		OnlineRedialMs float64
		AfterHide      string
		AfterShow      string
	}
	run(t, ctx, s, `
		const c = steadyws.connect(WS, { backoff: { initialMs: 30000, jitter: -1 }, heartbeat: { intervalMs: -1 } });
		await opened(c);
		let waiting = false;
		c.addEventListener("reconnecting", () => { waiting = true; });
		await ctl(CTL + "/down");
		await until("a 30 s backoff", () => waiting);
		await ctl(CTL + "/up");
		const t0 = performance.now();
		window.dispatchEvent(new Event("online"));        // the network is back: dial now
		await until("redial on online", () => c.state === "open");
		const onlineRedialMs = performance.now() - t0;
		window.dispatchEvent(new PageTransitionEvent("pagehide", { persisted: true }));
		await until("closed on pagehide", () => c.state === "closed");
		const afterHide = c.state;
		window.dispatchEvent(new PageTransitionEvent("pageshow", { persisted: true }));
		await until("reopened on pageshow", () => c.state === "open");
		const afterShow = c.state;
		c.close();
		return { OnlineRedialMs: onlineRedialMs, AfterHide: afterHide, AfterShow: afterShow };`, &got)
	if got.OnlineRedialMs > 5000 || got.AfterHide != "closed" || got.AfterShow != "open" {
		t.Fatalf("%+v", got)
	}
}

// Messages sent to a half-open connection are reported when the heartbeat
// replaces it: an error event with an UnconfirmedError, its count and
// types. Messages before a clean close are not.
func TestUnconfirmedErrorEvent(t *testing.T) {
	ctx := page(t)
	s := newServer(t)
	var got struct {
		Name, Message string
		Count         int
		Types         []string
		Stats         map[string]any
		Echo          float64
		AfterClose    []string
	}
	run(t, ctx, s, `
		const c = steadyws.connect(WS, { ...fast, heartbeat: { intervalMs: 100, timeoutMs: 200 }, connectTimeoutMs: 300 });
		const errors = [];
		c.onerror = (e) => errors.push(e);
		await opened(c);
		await sleep(50);   // the queue flushed: sends go out at once
		await ctl(CTL + "/silent?on=true");
		for (let i = 0; i < 30; i++) c.send(i % 2 ? "chat" : "move", { i });
		c.sendRaw("raw:1");
		c.sendRaw("raw:2");
		await until("an error event", () => errors.length > 0, 5000);
		const e = errors[0];
		await ctl(CTL + "/silent?on=false");
		const echo = await c.request("echo", 7, { timeoutMs: 5000 });
		const stats = c.stats();

		const d = steadyws.connect(WS, fast);
		const after = [];
		d.onerror = (e) => after.push(e.message);
		await opened(d);
		await sleep(50);
		for (let i = 0; i < 30; i++) d.send("move", { i });
		d.close();
		await sleep(300);   // the close handshake, and the report if any
		c.close();
		return { Name: e.error.name, Message: e.message, Count: e.count, Types: e.types, Stats: stats, Echo: echo, AfterClose: after };`, &got)
	if got.Name != "UnconfirmedError" || got.Count != 32 || !reflect.DeepEqual(got.Types, []string{"move", "chat", ""}) {
		t.Errorf("error event %s (%q), count %d, types %q; want UnconfirmedError, 32, [move chat \"\"]", got.Name, got.Message, got.Count, got.Types)
	}
	if !strings.HasPrefix(got.Message, `steadyws: 32 sent messages may not have arrived ("move", "chat", ""): `) {
		t.Errorf("message %q", got.Message)
	}
	if got.Stats["unconfirmed"] != 32.0 || got.Echo != 7 {
		t.Errorf("stats %v, echo %v after the heartbeat replaced the connection", got.Stats, got.Echo)
	}
	if len(got.AfterClose) != 0 {
		t.Errorf("sends before a clean close reported: %q", got.AfterClose)
	}
}

// TestClosedClientsAreLetGo: a page that opens and closes many clients keeps
// none of them in the Go half or the shim, nor their timers' js.Func values;
// a closed client still reports its final stats and why it is closed, and
// reconnect() brings it back with the handlers it had.
func TestClosedClientsAreLetGo(t *testing.T) {
	ctx := page(t)
	s := newServer(t)
	var got struct {
		Leaked, LeakedShim int
		StatsOut           float64
		SendCode, State    string
		Echo, Reply, Kept  int
		States             string
	}
	run(t, ctx, s, `
		// The first client makes the page's signal listeners, which stay.
		const first = steadyws.goStats();
		const w = steadyws.connect(WS, fast);
		await opened(w);
		w.close();
		await until("the first client let go", () => steadyws.goStats().clients === first.clients);
		const base = steadyws.goStats();
		const settled = (what) => until(what, () => {
			const g = steadyws.goStats();
			return g.clients === base.clients && g.shimClients === base.shimClients && g.funcs === base.funcs;
		});
		for (let i = 0; i < 30; i++) {
			const c = steadyws.connect(WS, fast);
			c.on("note", () => {});
			await opened(c);
			c.send("note", { i });
			c.close();
		}
		await settled("30 closed clients let go");
		const g = steadyws.goStats();

		const c = steadyws.connect(WS, fast);
		const echoes = [];
		c.on("echo", (d) => echoes.push(d.n));
		await opened(c);
		c.send("echo", { n: 1 });
		await until("first echo", () => echoes.length === 1);
		c.close();
		await settled("a closed client let go");
		const st = c.stats();
		let code = "no throw";
		try { c.send("echo", { n: 2 }); } catch (e) { code = e.code; }
		const states = [];
		c.addEventListener("statechange", (e) => states.push(e.state));
		c.reconnect();
		await until("reopen", () => c.state === "open");
		c.send("echo", { n: 3 });
		await until("echo after reconnect", () => echoes.length === 2);
		const reply = await c.request("echo", { n: 4 });
		const kept = steadyws.goStats().clients - base.clients;
		c.close();
		await settled("the restarted client let go");
		return {
			Leaked: g.clients - base.clients, LeakedShim: g.shimClients - base.shimClients,
			StatsOut: st ? st.messagesOut : -1, SendCode: code, State: c.state,
			Echo: echoes[1], Reply: reply.n, Kept: kept, States: states.join(","),
		};`, &got)
	if got.Leaked != 0 || got.LeakedShim != 0 {
		t.Fatalf("after 30 clients opened and closed, %d stay in Go and %d in the shim", got.Leaked, got.LeakedShim)
	}
	if got.StatsOut < 1 || got.SendCode != "closed" {
		t.Fatalf("a closed client: stats().messagesOut %v (want ≥ 1), send threw %q (want closed)", got.StatsOut, got.SendCode)
	}
	if got.Echo != 3 || got.Reply != 4 || got.Kept != 1 || got.States != "connecting,open,closed" || got.State != "closed" {
		t.Fatalf("reconnect() after close: %+v", got)
	}
}

// TestSendsJustBeforeCloseArrive: frames leave in per-turn batches (see the
// shim), and close() must not overtake them: every event sent in the same
// turn as close() reaches the server, in order.
func TestSendsJustBeforeCloseArrive(t *testing.T) {
	ctx := page(t)
	s := newServer(t)
	var got []struct {
		Type string
		Data struct{ I int }
	}
	run(t, ctx, s, `
		const c = steadyws.connect(WS, fast);
		await opened(c);
		await sleep(50);   // the queue flushed: sends go out at once
		for (let i = 0; i < 30; i++) c.send("note", { i });
		c.close();
		// stats() says closed at once; the close handshake ends later.
		let notes = [];
		for (let i = 0; i < 200 && notes.length < 30; i++) {
			await sleep(10);
			notes = (await ctl(CTL + "/received")).filter((m) => m.type === "note");
		}
		return notes;`, &got)
	if len(got) != 30 {
		t.Fatalf("the server received %d of the 30 events sent just before close()", len(got))
	}
	for i, m := range got {
		if m.Data.I != i {
			t.Fatalf("event %d carries %d: out of order", i, m.Data.I)
		}
	}
}

// TestOneTurnSendsArriveInOrder: on an idle socket the first frame of a
// turn leaves at once and the rest of the turn's frames in one batch after
// it, frames over 4 KiB at once after those queued (see the shim); the
// shim copies a message's head into Go by a loop when it is ASCII and with
// encodeInto when it is not. Whatever the mix of sizes and characters, every
// event comes back intact and in the order of the calls, each reply settles
// its request, and the stats count them all.
func TestOneTurnSendsArriveInOrder(t *testing.T) {
	ctx := page(t)
	s := newServer(t)
	var got struct {
		Bad     []string
		N       int
		Replies []string
		In, Out float64
	}
	run(t, ctx, s, `
		const c = steadyws.connect(WS, fast);
		const echoes = [];
		c.on("echo", (d) => echoes.push(d));
		await opened(c);
		await sleep(50);   // the queue flushed: the socket is idle
		const texts = ["plain", "é ü ß — 😀", "x".repeat(5000), "€".repeat(200), "ascii, then é".padStart(120, "-"), ""];
		let n = 0;
		const want = [];
		const replies = [];
		for (let round = 0; round < 3; round++) {
			const asked = [];
			for (const s of texts) {
				want.push(s);
				c.send("echo", { n: n++, s });
				asked.push(c.request("echo", texts[(round + n) % texts.length]));
			}
			for (const r of await Promise.all(asked)) replies.push(r);
			await sleep(20);   // a new turn, on an idle socket again
		}
		await until("every echo", () => echoes.length === n);
		const bad = [];
		echoes.forEach((d, i) => { if (d.n !== i || d.s !== want[i]) bad.push(i + ": " + JSON.stringify(d).slice(0, 40)); });
		const st = c.stats();
		c.close();
		return { Bad: bad, N: n, Replies: replies.map((r) => r.slice(0, 8)), In: st.messagesIn, Out: st.messagesOut };`, &got)
	if len(got.Bad) > 0 || got.N != 18 {
		t.Fatalf("%d events sent; out of order or changed: %v", got.N, got.Bad)
	}
	if len(got.Replies) != 18 {
		t.Fatalf("%d replies, want 18", len(got.Replies))
	}
	if got.In < 36 || got.Out < 36 {
		t.Fatalf("stats count %v messages in and %v out, want at least 36 each", got.In, got.Out)
	}
}
