package js_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/coder/websocket"
)

// Values JSON cannot hold are refused at the call, naming the argument and
// the key path; nothing that is not JSON goes on the wire. An answerer
// whose answer is not JSON sends an error reply instead.
func TestNonJSONRefusedAtTheCall(t *testing.T) {
	ctx := page(t)
	s := newServer(t)
	var got struct {
		Thrown   []string
		Errors   []string
		Received []struct {
			Type string
			Raw  string
			Re   int
		}
		Answer string
	}
	run(t, ctx, s, `
		const c = steadyws.connect(WS, fast);
		const errors = [];
		c.addEventListener("error", (e) => errors.push(e.error.name + ": " + e.message));
		c.handle("whoami", () => ({ agent: "page", when: () => 1 }));
		await opened(c);
		const circular = { a: {} }; circular.a.back = circular;
		const thrown = [];
		for (const [name, f] of [
			["fn", () => c.send("chat", () => 1)],
			["nested symbol", () => c.send("chat", { a: [1, { b: Symbol("x") }] })],
			["bigint", () => c.send("chat", { n: 10n })],
			["circular", () => c.send("chat", circular)],
			["map", () => c.send("chat", new Map([["a", 1]]))],
		]) {
			try { f(); thrown.push(name + ": nothing thrown"); }
			catch (e) { thrown.push(e.name + ": " + e.message); }
		}
		// request() rejects its promise rather than throwing.
		thrown.push(await c.request("echo", { f() {} }).then(() => "request: resolved", (e) => e.name + ": " + e.message));
		c.send("chat", { ok: true, at: new Date(0), skip: undefined });
		await ctl(CTL + "/broadcast?frame=" + encodeURIComponent('{"type":"whoami","id":41}'));
		let answer = "";
		for (let i = 0; i < 300 && answer === ""; i++) {
			const r = (await ctl(CTL + "/received")).find((m) => m.re === 41);
			if (r) answer = JSON.stringify(r.error ?? r.data);
			else await sleep(10);
		}
		const received = await ctl(CTL + "/received");
		c.close();
		return { Thrown: thrown, Errors: errors, Received: received, Answer: answer };`, &got)
	want := []string{
		"TypeError: steadyws: send(type, data): data is a function, which JSON cannot hold",
		"TypeError: steadyws: send(type, data): data.a[1].b is a symbol, which JSON cannot hold",
		"TypeError: steadyws: send(type, data): data.n is a bigint, which JSON cannot hold: convert it (String(n) or Number(n))",
		"TypeError: steadyws: send(type, data): data.a.back refers back to an object that contains it (a circular value)",
		"TypeError: steadyws: send(type, data): data is a Map, which JSON.stringify writes as {}: convert it (Object.fromEntries(m), [...s])",
		"TypeError: steadyws: request(type, data): data.f is a function, which JSON cannot hold",
	}
	if strings.Join(got.Thrown, "\n") != strings.Join(want, "\n") {
		t.Errorf("thrown:\n%s\nwant:\n%s", strings.Join(got.Thrown, "\n"), strings.Join(want, "\n"))
	}
	for _, m := range got.Received {
		if m.Raw != "" {
			t.Errorf("a frame that is not a JSON envelope reached the server: %q", m.Raw)
		}
	}
	chats := 0
	for _, m := range got.Received {
		if m.Type == "chat" {
			chats++
		}
	}
	if chats != 1 {
		t.Errorf("%d chat frames reached the server, want the 1 valid one", chats)
	}
	if !strings.Contains(got.Answer, `"code":"handler_error"`) || !strings.Contains(got.Answer, "data.when is a function") {
		t.Errorf("the answer that is not JSON was answered with %s, want an error reply naming data.when", got.Answer)
	}
	if len(got.Errors) != 1 || !strings.HasPrefix(got.Errors[0], `HandlerError: steadyws: handler for request "whoami" failed: `) {
		t.Errorf("errors %q, want one HandlerError for the answer", got.Errors)
	}
}

// stats() after close() says closed at once, not the state before.
func TestStatsAfterCloseSayClosed(t *testing.T) {
	ctx := page(t)
	s := newServer(t)
	var got []string
	run(t, ctx, s, `
		const c = steadyws.connect(WS, fast);
		await opened(c);
		const before = c.stats().state;
		c.close();
		const after = c.stats().state;
		await sleep(50);
		return [before, after, c.stats().state, c.state];`, &got)
	if strings.Join(got, ",") != "open,closed,closed,closed" {
		t.Errorf("stats().state before close, right after, 50 ms after, and state: %q", got)
	}
}

// URLs that can never work throw a TypeError at connect, credentials
// redacted; ws:, wss:, http(s): (as ws(s):), a path relative to the page
// and a URL object all connect.
func TestConnectURLs(t *testing.T) {
	ctx := page(t)
	s := newServer(t)
	var got struct {
		Thrown []string
		Echoes []int
	}
	run(t, ctx, s, `
		const thrown = [];
		for (const u of ["garbage", "", "ftp://ada:pw@example.com/x?token=abc", "localhost:8001/ws", "ws://[::1", 42, null]) {
			try { const c = steadyws.connect(u, fast); c.close(); thrown.push("accepted " + u); }
			catch (e) { thrown.push(e.name + ": " + e.message); }
		}
		const ws = new URL(WS);
		const echoes = [];
		for (const u of [WS, new URL(WS), WS.replace(/^ws:/, "http:")]) {
			const c = steadyws.connect(u, fast);
			echoes.push(await c.request("echo", echoes.length + 1));
			c.close();
		}
		return { Thrown: thrown, Echoes: echoes };`, &got)
	want := []string{
		`TypeError: steadyws: connect: "garbage" is not a URL: write ws://host/path, wss://host/path, or a path starting with / for this page's host`,
		`TypeError: steadyws: connect: "" is not a URL: write ws://host/path, wss://host/path, or a path starting with / for this page's host`,
		`TypeError: steadyws: connect: "ftp://***@example.com/x?REDACTED" has the scheme ftp: which a WebSocket cannot use: use ws: or wss: (http: and https: are taken as ws: and wss:)`,
		`TypeError: steadyws: connect: "localhost:8001/ws" has the scheme localhost: which a WebSocket cannot use: use ws: or wss: (http: and https: are taken as ws: and wss:)`,
		`TypeError: steadyws: connect: "ws://[::1" is not a URL: write ws://host/path, wss://host/path, or a path starting with / for this page's host`,
		`TypeError: steadyws: connect(url, options): url must be a string, a URL or a function returning one, got number`,
		`TypeError: steadyws: connect(url, options): url must be a string, a URL or a function returning one, got null`,
	}
	if strings.Join(got.Thrown, "\n") != strings.Join(want, "\n") {
		t.Errorf("thrown:\n%s\nwant:\n%s", strings.Join(got.Thrown, "\n"), strings.Join(want, "\n"))
	}
	if len(got.Echoes) != 3 || got.Echoes[2] != 3 {
		t.Errorf("echoes %v, want [1 2 3]", got.Echoes)
	}
}

// A relative path resolves against the page, with ws: for http:.
func TestRelativeURLResolvesAgainstThePage(t *testing.T) {
	ctx := page(t)
	var got []string
	run(t, ctx, nil, `
		const out = [];
		for (const u of ["/echo-ws", "./echo-ws"]) {
			const c = steadyws.connect(u, fast);
			out.push(await c.request("where", null));
			c.close();
		}
		return out;`, &got)
	if len(got) != 2 || got[0] != "/echo-ws" || got[1] != "/echo-ws" {
		t.Errorf("relative URLs reached %q, want /echo-ws twice", got)
	}
}

// echoOnPageOrigin answers every request on the test page's own origin
// with the path it was reached on.
func echoOnPageOrigin(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()
	for {
		_, b, err := c.Read(r.Context())
		if err != nil {
			return
		}
		var m struct {
			Type string
			ID   int64
		}
		if json.Unmarshal(b, &m) != nil || m.ID == 0 {
			continue
		}
		reply, _ := json.Marshal(map[string]any{"type": m.Type, "re": m.ID, "data": r.URL.Path})
		if c.Write(r.Context(), websocket.MessageText, reply) != nil {
			return
		}
	}
}

// Option values out of range throw a RangeError naming the key.
func TestOptionRangeErrors(t *testing.T) {
	ctx := page(t)
	var got []string
	run(t, ctx, nil, `
		const out = [];
		for (const o of [{ backoff: { jitter: 2 } }, { backoff: { factor: 0.5 } }, { heartbeat: { timeoutMs: -5 } }, { queue: { maxAgeMs: -1 } }]) {
			try { steadyws.connect("ws://127.0.0.1:1/", o).close(); out.push("accepted " + JSON.stringify(o)); }
			catch (e) { out.push(e.name + ": " + e.message); }
		}
		return out;`, &got)
	want := []string{
		"RangeError: steadyws: option backoff.jitter must be at most 1 (0 or negative: none), got 2",
		"RangeError: steadyws: option backoff.factor must be at least 1, got 0.5",
		"RangeError: steadyws: option heartbeat.timeoutMs must be 0 or more, got -5",
		"RangeError: steadyws: option queue.maxAgeMs must be 0 or more, got -1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Nothing a page passes to the API may stop the Go runtime: every entry
// point gets hostile values, each either works or throws (or rejects)
// with an Error, and afterwards other clients and a fresh one still
// round-trip.
func TestHostileInputsLeaveTheRuntimeRunning(t *testing.T) {
	ctx := page(t)
	s := newServer(t)
	var got struct {
		Bad     []string
		Exited  bool
		Echo    int
		Fresh   int
		Revoked string
	}
	run(t, ctx, s, `
		const keep = steadyws.connect(WS, fast);
		await opened(keep);
		const bad = [];
		const attempt = async (what, f) => {
			window.__step = what;
			try { await Promise.race([f(), sleep(3000).then(() => { throw "hung: " + what; })]); }
			catch (e) { if (!(e instanceof Error)) bad.push(what + " threw a non-Error: " + String(e)); }
			if (steadyws.exited()) throw new Error("the Go program exited after " + what);
		};
		const big = [1e308, -1e308, Infinity, NaN, 2 ** 64, -0, Number.MAX_SAFE_INTEGER + 2];
		const odd = [undefined, null, true, 0, -1, "", "x".repeat(100000), [], {}, () => {}, Symbol("s"), 10n, new Proxy({}, { get() { throw new Error("trap"); } }), ...big];
		for (const u of ["ftp://x/", "garbage", "ws://", "ws://[", "ws://\u0000/", "ws://h:99999/", ...odd]) {
			await attempt("connect " + (typeof u === "string" ? u.slice(0, 20) : typeof u), () => steadyws.connect(u, fast).close());
		}
		for (const [i, o] of odd.entries()) {
			await attempt("options", () => steadyws.connect(WS, o).close());
			await attempt("backoff", () => steadyws.connect(WS, { backoff: o }).close());
			await attempt("initialMs", () => steadyws.connect(WS, { backoff: { initialMs: o } }).close());
			await attempt("queue.limit", () => steadyws.connect(WS, { queue: { limit: o } }).close());
			await attempt("protocols", () => steadyws.connect(WS, { protocols: [o] }).close());
			await attempt("url fn returning odd[" + i + "]", async () => { const c = steadyws.connect(() => o, { ...fast, maxRetries: 1 }); await sleep(30); c.close(); });
		}
		const c = steadyws.connect(WS, fast);
		await opened(c);
		for (const o of odd) {
			await attempt("send type", () => c.send(o, 1));
			await attempt("send data", () => c.send("echo", o));
			await attempt("sendRaw", () => c.sendRaw(o));
			await attempt("on", () => c.on(o, o));
			await attempt("handle", () => c.handle(o, o));
			await attempt("request", () => c.request(o, o, o));
			await attempt("request timeout", () => c.request("echo", 1, { timeoutMs: o }));
			await attempt("request signal", () => c.request("echo", 1, { signal: o }));
			await attempt("close", () => steadyws.connect(WS, fast).close(o, o));
			await attempt("addEventListener", () => c.addEventListener(o, o));
			await attempt("onerror", () => { c.onerror = o; });
		}
		const ac = new AbortController();
		const p = c.request("slow", { ms: 300 }, { signal: ac.signal });
		ac.abort(new Proxy({}, { get() { throw new Error("trap"); } }));
		const revoked = await p.then(() => "resolved", (e) => e.code);
		c.onerror = null;
		await attempt("reconnect twice", () => { c.reconnect(); c.reconnect(); });
		c.close(); c.close(); c.reconnect(); c.close();
		const fresh = steadyws.connect(WS, fast);
		const echo = await keep.request("echo", 5);
		const f = await fresh.request("echo", 6);
		keep.close(); fresh.close();
		return { Bad: bad, Exited: steadyws.exited(), Echo: echo, Fresh: f, Revoked: revoked };`, &got)
	if got.Exited || got.Echo != 5 || got.Fresh != 6 {
		t.Fatalf("after hostile input: Go exited %v, old client echo %d (want 5), fresh client echo %d (want 6)", got.Exited, got.Echo, got.Fresh)
	}
	if len(got.Bad) > 0 {
		t.Errorf("entry points threw values that are not Errors:\n%s", strings.Join(got.Bad, "\n"))
	}
	if got.Revoked != "aborted" {
		t.Errorf("request aborted with a hostile reason: %q, want code aborted", got.Revoked)
	}
}

// A reply to a request the page gave up on (timed out, aborted) is
// expected: counted in stats().lateReplies, not reported as an error.
func TestLateRepliesAreCountedNotReported(t *testing.T) {
	ctx := page(t)
	s := newServer(t)
	var got struct {
		Codes  []string
		Errors []string
		Late   int
		Echo   int
	}
	run(t, ctx, s, `
		const c = steadyws.connect(WS, fast);
		const errors = [];
		c.addEventListener("error", (e) => errors.push(e.error.name + ": " + e.message));
		await opened(c);
		const ac = new AbortController();
		const timedOut = c.request("slow", { ms: 200 }, { timeoutMs: 30 }).then(() => "resolved", (e) => e.code);
		const aborted = c.request("slow", { ms: 200 }, { signal: ac.signal }).then(() => "resolved", (e) => e.code);
		setTimeout(() => ac.abort(), 30);
		const codes = [await timedOut, await aborted];
		await until("both late replies", () => c.stats().lateReplies === 2, 3000);
		const echo = await c.request("echo", 3);
		c.close();
		return { Codes: codes, Errors: errors, Late: c.stats().lateReplies, Echo: echo };`, &got)
	if strings.Join(got.Codes, ",") != "timeout,aborted" || got.Late != 2 || got.Echo != 3 {
		t.Errorf("codes %v (want timeout, aborted), lateReplies %d (want 2), echo %d", got.Codes, got.Late, got.Echo)
	}
	if len(got.Errors) != 0 {
		t.Errorf("late replies were reported: %q", got.Errors)
	}
}

// A message larger than queue.bytes, sent while it would be queued, says
// so (not "queue full"); connected, it goes out.
func TestMessageLargerThanQueueBytes(t *testing.T) {
	ctx := page(t)
	s := newServer(t)
	var got []string
	run(t, ctx, s, `
		const out = [];
		const o = { ...fast, queue: { bytes: 100 } };
		const away = steadyws.connect("ws://127.0.0.1:1/", o);
		try { away.send("chat", "x".repeat(200)); out.push("accepted"); } catch (e) { out.push(e.code + ": " + e.message); }
		out.push(await away.request("echo", "x".repeat(200)).then(() => "resolved", (e) => e.code));
		away.close();
		const c = steadyws.connect(WS, o);
		await opened(c);
		out.push((await c.request("echo", "x".repeat(200))).length + " echoed");
		c.close();
		return out;`, &got)
	want := []string{
		"too_large: steadyws: message of 225 UTF-16 units exceeds queue.bytes (100)",
		"too_large", "200 echoed",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A page cannot see why a handshake failed; after 3 failed attempts with
// none ever open, one UnreachableError says so, and retrying goes on.
func TestHandshakeThatKeepsFailingIsReported(t *testing.T) {
	ctx := page(t)
	var got struct {
		Errors []string
		State  string
	}
	run(t, ctx, nil, `
		const c = steadyws.connect("ws://127.0.0.1:1/ws?token=s3cret", fast);
		const errors = [];
		let closes = 0;
		c.addEventListener("error", (e) => errors.push(e.error.name + ": " + e.message));
		c.addEventListener("close", () => closes++);
		await until("6 failed attempts", () => closes >= 6, 10000);
		const state = c.state;
		c.close();
		return { Errors: errors, State: state };`, &got)
	if len(got.Errors) != 1 || !strings.HasPrefix(got.Errors[0], "UnreachableError: steadyws: 3 attempts to connect to ws://127.0.0.1:1/ws?REDACTED failed before the connection opened; still retrying.") {
		t.Errorf("errors %q, want one UnreachableError", got.Errors)
	}
	if got.State == "closed" {
		t.Error("the client stopped retrying")
	}
}
