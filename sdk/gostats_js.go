package sdk

import "runtime"

// goStats reports the Go runtime's garbage collections and heap, so that a
// page (and the benchmarks) can see whether the per-message path allocates.
func goStats() any {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return map[string]any{"numGC": int(m.NumGC), "heapAlloc": float64(m.HeapAlloc), "mallocs": float64(m.Mallocs)}
}
