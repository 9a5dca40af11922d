package sdk

import (
	"runtime"
	"sync/atomic"

	"github.com/steadyws/steadyws/sdk/internal/jsws"
)

// goStats reports how many garbage collections the Go runtime has run, so
// that a page (and the benchmarks) can see whether the per-message path
// allocates, and how many JavaScript API clients the Go half still keeps
// (a closed client is let go), and how many js.Func values it holds (the
// JavaScript API's timers hold one each while they run). A finalizer that re-arms itself counts the cycles:
// runtime.ReadMemStats would add about 40 KB to the browser build.
func goStats() any {
	jsClients.mu.Lock()
	n, kept := len(jsClients.m), len(jsClients.retired)
	jsClients.mu.Unlock()
	return map[string]any{"numGC": int(gcCycles.Load()), "clients": n, "retiredSessions": kept, "shimClients": shimValue().Get("clients").Get("size").Int(), "funcs": jsws.LiveFuncs()}
}

var gcCycles atomic.Int64

type gcSentinel struct{ _ [16]byte }

func init() { armGCSentinel() }

func armGCSentinel() {
	runtime.SetFinalizer(&gcSentinel{}, func(*gcSentinel) {
		gcCycles.Add(1)
		armGCSentinel()
	})
}
