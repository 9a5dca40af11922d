package js_test

import (
	"strconv"
	"testing"
)

// TestUnhandledRawFrameReported: a binary frame with no raw listener is
// reported as an UnhandledFrameError (as the Go API does), not dropped
// silently; with a listener it is delivered and nothing is reported.
func TestUnhandledRawFrameReported(t *testing.T) {
	ctx := page(t)
	s := newServer(t)
	var got struct {
		Errors []string
		Raw    []int
		Echo   int
	}
	run(t, ctx, s, `
		const c = steadyws.connect(WS, fast);
		const errors = [], raw = [];
		c.addEventListener("error", (e) => errors.push(e.error.name + ": " + e.message));
		await opened(c);
		await ctl(CTL + "/broadcast?binary=1&frame=" + encodeURIComponent(btoa("\x01\x02\x03\x04\x05")));
		await until("the report", () => errors.length > 0);
		c.onraw = (e) => raw.push(e.data.byteLength);
		await ctl(CTL + "/broadcast?binary=1&frame=" + encodeURIComponent(btoa("\x01\x02\x03")));
		await until("the raw event", () => raw.length > 0);
		const echo = await c.request("echo", 7);
		c.close();
		return { Errors: errors, Raw: raw, Echo: echo };`, &got)
	want := "UnhandledFrameError: steadyws: binary frame of 5 bytes discarded: no raw listener is registered"
	if len(got.Errors) != 1 || got.Errors[0] != want {
		t.Fatalf("errors %q, want just %q", got.Errors, want)
	}
	if len(got.Raw) != 1 || got.Raw[0] != 3 || got.Echo != 7 {
		t.Fatalf("raw events %v (want [3]), echo %d (want 7)", got.Raw, got.Echo)
	}
}

// TestIDAfterDataInALargeMessage: the JavaScript API routes a large message
// by its first 128 characters, which stop at "data", but a server may write
// id or re after data (any key order is valid JSON). Such a reply must
// still settle its request, and such a request must still be answered, not
// taken for an unknown event or, when its type also has event handlers,
// handed to them.
func TestIDAfterDataInALargeMessage(t *testing.T) {
	for _, withEvents := range []bool{false, true} {
		ctx := page(t)
		s := newServer(t)
		var got struct {
			Reply  int
			Answer string
			Events int
			Errors []string
		}
		run(t, ctx, s, `
			const c = steadyws.connect(WS, fast);
			const errors = [];
			let events = 0;
			c.addEventListener("error", (e) => errors.push(e.error.name + ": " + e.message));
			if (`+strconv.FormatBool(withEvents)+`) {
				c.on("slow", () => { events++; });
				c.on("whoami", () => { events++; });
			}
			c.handle("whoami", (d) => ({ n: d.pad.length }));
			await opened(c);
			const pad = "x".repeat(300);
			const slow = c.request("slow", { ms: 1000 });       // id 1
			await c.request("send", { frame: '{"type":"slow","data":{"pad":"' + pad + '"},"re":1}' });
			const reply = await slow;
			await c.request("send", { frame: '{"type":"whoami","data":{"pad":"' + pad + '"},"id":77}' });
			let answer = "";
			for (let i = 0; i < 200 && answer === ""; i++) {
				const r = (await ctl(CTL + "/received")).find((m) => m.type === "whoami" && m.re === 77);
				if (r) answer = JSON.stringify(r.data);
				else await sleep(10);
			}
			await sleep(1200);                                   // the real reply to slow arrives, late
			c.close();
			return { Reply: reply.pad.length, Answer: answer, Events: events, Errors: errors };`, &got)
		if got.Reply != 300 || got.Answer != `{"n":300}` || got.Events != 0 {
			t.Fatalf("event handlers %v: reply gave %d bytes of pad (want 300), request answered %s (want {\"n\":300}), %d event handler calls (want 0)", withEvents, got.Reply, got.Answer, got.Events)
		}
		if len(got.Errors) != 1 || got.Errors[0] != `UnexpectedReplyError: steadyws: reply "slow" to request 1, which is not pending (it was already answered, or never asked)` {
			t.Fatalf("event handlers %v: errors %q, want one UnexpectedReplyError for the real (late) reply to request 1", withEvents, got.Errors)
		}
	}
}
