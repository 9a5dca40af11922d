package web_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steadyws/steadyws/demo/internal/driver"
	"github.com/steadyws/steadyws/sdk"
)

// flowLines is how many chat lines each side sends while a fault strikes.
const flowLines = 30

// flowGap is the pause between two lines of one side: the fault comes
// after about a third of them, so lines are written just before it,
// while the connection is down and after it is back.
const flowGap = 40 * time.Millisecond

// TestPageReliableFaults presses each of the page's fault buttons (the
// restart too, which reliable mode rides out as the server process, and
// with it the sessions, stays up) while
// chat lines flow both ways — typed on the page into the room, and from a
// native client (reliable too, as the terminal client is) to the page —
// and checks that every line shows up exactly once and in order on both
// sides, that the page's own lines all end delivered, and that the page
// shows reliable mode's counters.
func TestPageReliableFaults(t *testing.T) {
	for _, fault := range []string{"drop", "drop-all", "silent", "restart"} {
		t.Run(fault, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			base := startDemo(t)
			// The silent fault lasts 3 s; a short heartbeat notices it in
			// about a second. The restart (every connection dropped,
			// handshakes refused) lasts 1.5 s; the sessions outlive it.
			page := openPage(t, base+"/?silentMs=3000&restartMs=1500&heartbeatMs=500&heartbeatTimeoutMs=700")
			must(t, page.Join("ada"))
			bob := joinNative(t, ctx, "ws"+strings.TrimPrefix(base, "http")+"/ws", "bob")
			must(t, page.WaitFor(`[...document.querySelectorAll("#users .user")].some((li) => li.textContent.includes("bob"))`,
				"bob in the user list", 5*time.Second))
			watchBadge(t, page)

			flow(t, ctx, page, bob, func() {
				must(t, page.Click(`[data-fault="`+fault+`"]`))
			})
			var states []string
			must(t, page.Eval(`window.__badge`, &states))
			if i := slices.Index(states, "reconnecting"); i < 0 || !slices.Contains(states[i:], "open") {
				t.Errorf("the badge went %v, want reconnecting, then open: the fault did not take the connection", states)
			}
			if (fault == "drop-all" || fault == "restart") && bob.Stats().Reconnects == 0 {
				t.Errorf("%s: the native client never reconnected", fault)
			}
			checkCounters(t, page)
		})
	}
}

// TestNativeReliableFaults is the same for the native client: the fault
// endpoints the page's buttons call, aimed at it, while it and the page
// chat.
func TestNativeReliableFaults(t *testing.T) {
	for _, fault := range []string{"drop?nick=bob", "drop-all", "silent?nick=bob&ms=3000"} {
		t.Run(strings.Split(fault, "?")[0], func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			base := startDemo(t)
			page := openPage(t, base+"/?heartbeatMs=500&heartbeatTimeoutMs=700")
			must(t, page.Join("ada"))
			bob := joinNative(t, ctx, "ws"+strings.TrimPrefix(base, "http")+"/ws", "bob")
			must(t, page.WaitFor(`[...document.querySelectorAll("#users .user")].some((li) => li.textContent.includes("bob"))`,
				"bob in the user list", 5*time.Second))

			flow(t, ctx, page, bob, func() {
				resp, err := http.Post(base+"/fault/"+fault, "", nil)
				must(t, err)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("POST /fault/%s: %s", fault, resp.Status)
				}
			})
			if st := bob.Stats(); st.Reconnects == 0 {
				t.Errorf("the native client never reconnected: %+v", st)
			} else {
				t.Logf("native client: reconnects %d, resent %d, duplicates %d, unacked %d", st.Reconnects, st.Resent, st.Duplicates, st.Unacked)
			}
			deadline := time.Now().Add(5 * time.Second)
			for bob.Stats().Unacked != 0 {
				if time.Now().After(deadline) {
					t.Fatalf("the native client still has %d events unacknowledged", bob.Stats().Unacked)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// flow has the page (as ada) and bob each send flowLines chat lines,
// calls fault after about a third of the page's, and checks that both
// sides end with every line exactly once and in order.
func flow(t *testing.T, ctx context.Context, page *driver.Page, bob *nativeMember, fault func()) {
	t.Helper()
	want := func(prefix string) []string {
		out := make([]string, flowLines)
		for i := range out {
			out[i] = fmt.Sprintf("%s %d", prefix, i+1)
		}
		return out
	}
	fromAda, fromBob := want("ada line"), want("bob line")

	// The page types its lines, one per flowGap, through the composer as
	// a user would (Enter submits the form).
	must(t, page.Eval(fmt.Sprintf(`(() => {
		const lines = %s;
		window.__typed = 0;
		const tick = () => {
			if (window.__typed >= lines.length) return;
			document.getElementById("text").value = lines[window.__typed++];
			document.getElementById("composer").requestSubmit();
			setTimeout(tick, %d);
		};
		tick();
		return true;
	})()`, jsArray(fromAda), flowGap.Milliseconds()), nil))
	bobDone := make(chan error, 1)
	go func() {
		for _, line := range fromBob {
			if err := sdk.Send(ctx, bob.Client, "chat", map[string]string{"text": line}); err != nil {
				bobDone <- err
				return
			}
			time.Sleep(flowGap)
		}
		bobDone <- nil
	}()
	must(t, page.WaitFor(fmt.Sprintf(`window.__typed >= %d`, flowLines/3), "a third of the page's lines", 10*time.Second))
	fault()
	must(t, <-bobDone)

	// Every line reaches both sides. (If one never does, the lists below
	// say which.)
	if err := page.WaitFor(fmt.Sprintf(`(() => {
		const li = [...document.querySelectorAll("#messages li.msg")];
		return li.filter((l) => l.classList.contains("own") && l.dataset.status === "delivered").length >= %d &&
			li.filter((l) => l.querySelector(".nick").textContent === "bob").length >= %d;
	})()`, flowLines, flowLines), "every line on the page, the page's own delivered", 20*time.Second); err != nil {
		t.Error(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(bob.linesFrom("ada")) < flowLines || len(bob.linesFrom("bob")) < flowLines {
		if time.Now().After(deadline) {
			t.Errorf("the native client got %d of ada's lines and %d of its own back", len(bob.linesFrom("ada")), len(bob.linesFrom("bob")))
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // room for a duplicate to show up

	// Exactly once and in order, on the page...
	var items []struct{ Nick, Text, Status string }
	must(t, page.Eval(`[...document.querySelectorAll("#messages li.msg")].map((li) => ({
		nick: li.querySelector(".nick").textContent,
		text: li.querySelector(".text").textContent,
		status: li.dataset.status ?? "",
	}))`, &items))
	var pageAda, pageBob []string
	for _, it := range items {
		switch {
		case strings.HasPrefix(it.Text, "ada line"):
			pageAda = append(pageAda, it.Text)
			if it.Status != "delivered" {
				t.Errorf("page: %q is %q, want delivered", it.Text, it.Status)
			}
		case strings.HasPrefix(it.Text, "bob line"):
			pageBob = append(pageBob, it.Text)
			if it.Nick != "bob" {
				t.Errorf("page: %q from %q, want bob", it.Text, it.Nick)
			}
		}
	}
	sameLines(t, "the page's own lines", pageAda, fromAda)
	sameLines(t, "bob's lines on the page", pageBob, fromBob)
	// ... and on the native client.
	sameLines(t, "ada's lines at bob", bob.linesFrom("ada"), fromAda)
	sameLines(t, "bob's lines echoed to bob", bob.linesFrom("bob"), fromBob)
}

// watchBadge records every state the page's badge takes in window.__badge.
func watchBadge(t *testing.T, page *driver.Page) {
	t.Helper()
	must(t, page.Eval(`(() => {
		window.__badge = [];
		const b = document.getElementById("badge");
		new MutationObserver(() => window.__badge.push(b.dataset.state)).observe(b, { attributes: true, attributeFilter: ["data-state"] });
		return true;
	})()`, nil))
}

// checkCounters checks that the page shows reliable mode's counters, and
// that once the server has acknowledged everything, nothing is unacked.
func checkCounters(t *testing.T, page *driver.Page) {
	t.Helper()
	if err := page.WaitFor(`document.getElementById("stat-unacked").textContent === "0"`, "unacked back to 0", 5*time.Second); err != nil {
		t.Error(err)
	}
	number := regexp.MustCompile(`^\d+$`)
	got := map[string]string{}
	for _, id := range []string{"stat-resent", "stat-duplicates", "stat-unacked"} {
		v, err := page.Text(id)
		must(t, err)
		if !number.MatchString(v) {
			t.Errorf("#%s shows %q, want a count", id, v)
		}
		got[id] = v
	}
	t.Logf("page counters: %v", got)
}

func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %d lines %q, want each of %d exactly once, in order", what, len(got), got, len(want))
	}
}

func jsArray(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = driver.Quote(s)
	}
	return "[" + strings.Join(q, ",") + "]"
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
