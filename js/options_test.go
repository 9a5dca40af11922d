package js_test

import (
	"strings"
	"testing"
)

// TestOptionValuesJSONCannotHold passes connect() option values that only
// JavaScript has (the decoder's checks are fuzzed natively from JSON, see
// sdk/fuzz_test.go): each throws a clear error, none breaks the Go runtime,
// and a client made afterwards works.
func TestOptionValuesJSONCannotHold(t *testing.T) {
	ctx := page(t)
	s := newServer(t)
	var got map[string]string
	run(t, ctx, s, `
		const msg = (f) => { try { f(); return "no throw"; } catch (e) { return e.name + ": " + e.message; } };
		const connect = (o) => msg(() => steadyws.connect("ws://127.0.0.1:9/ws", o).close());
		const cyclic = {}; cyclic.self = cyclic;
		const out = {
			bigint: connect({ maxRetries: 5n }),
			symbol: connect({ queue: { limit: Symbol("ten") } }),
			nullProto: connect({ heartbeat: { intervalMs: Object.create(null) } }),
			getter: connect({ get backoff() { throw new RangeError("no backoff today"); } }),
			proxy: connect(new Proxy({}, { ownKeys() { throw new Error("trap"); } })),
			cyclic: connect({ backoff: cyclic }),
			deepCyclic: connect({ backoff: { initialMs: cyclic } }),
			nan: connect({ connectTimeoutMs: NaN }),
			infinity: connect({ requestTimeoutMs: Infinity }),
			fraction: connect({ queue: { limit: 2.5 } }),
			protocol: connect({ protocols: ["chat", "chat"] }),
			undefinedProtocol: connect({ protocols: ["chat", undefined] }),
			undefinedOK: connect({ backoff: undefined, maxRetries: undefined }),
			functionOptions: connect(() => {}),
		};
		// The runtime still serves clients.
		const c = steadyws.connect(WS, { ...fast, shouldReconnect: () => true });
		await opened(c);
		out.after = await c.request("echo", { n: 1 }).then((d) => JSON.stringify(d));
		c.close();
		return out;`, &got)
	checks := map[string][]string{
		"bigint":            {"TypeError: ", "option maxRetries must be a number, got 5 (a bigint)"},
		"symbol":            {"TypeError: ", "option queue.limit must be a number, got Symbol(ten) (a symbol)"},
		"nullProto":         {"TypeError: ", "option heartbeat.intervalMs must be a number, got an object"},
		"getter":            {"TypeError: ", "steadyws: reading options: RangeError: no backoff today"},
		"proxy":             {"TypeError: ", "steadyws: reading options: Error: trap"},
		"cyclic":            {"Error: ", `unknown option "backoff.self"`},
		"deepCyclic":        {"TypeError: ", "option backoff.initialMs must be a number, got an object"},
		"nan":               {"TypeError: ", "option connectTimeoutMs must be a number of milliseconds from -9e12 to 9e12, got NaN (a number)"},
		"infinity":          {"TypeError: ", "option requestTimeoutMs must be a number of milliseconds from -9e12 to 9e12, got Infinity (a number)"},
		"fraction":          {"TypeError: ", "option queue.limit must be an integer from -(2^53-1) to 2^53-1, got 2.5 (a number)"},
		"protocol":          {"TypeError: ", `option protocols[1] must be different from the protocols before it, got "chat" (a string)`},
		"undefinedProtocol": {"TypeError: ", "option protocols[1] must be a string, got undefined"},
		"undefinedOK":       {"no throw"},
		"functionOptions":   {"TypeError: ", "options must be an object, got a function"},
		"after":             {`{"n":1}`},
	}
	for k, wants := range checks {
		for _, w := range wants {
			if !strings.Contains(got[k], w) {
				t.Errorf("%s: %q does not contain %q", k, got[k], w)
			}
		}
	}
}
