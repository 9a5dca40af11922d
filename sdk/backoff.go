package sdk

import (
	"math"
)

// delay returns the wait before attempt n (0-based) with r, uniform in
// [0, 1), choosing where the jitter lands. Jitter applies after the cap, so
// a long run of failures still spreads clients over [Max·(1−Jitter), Max].
func (b Backoff) delay(n int, r float64) duration {
	// Initial·Factor^n by repeated multiplication: math.Pow would add 2 KB
	// (brotli) to steadyws.wasm. Past Max, or at ±Inf or NaN, more factors
	// (≥ 1 after withDefaults) change nothing that survives the cap.
	d := float64(b.Initial)
	for i := 0; i < n && d <= float64(b.Max) && !math.IsInf(d, 0) && !math.IsNaN(d) && b.Factor != 1; i++ {
		d *= b.Factor
	}
	if d > float64(b.Max) || math.IsInf(d, 0) || math.IsNaN(d) {
		d = float64(b.Max)
	}
	d -= d * b.Jitter * r
	return duration(d)
}

// reconnectAfterClose is the built-in policy for a close code from the
// server: protocol errors, unsupported data, policy violations and the
// application's own 44xx "bad request" range will not fix themselves.
func reconnectAfterClose(code int) bool {
	switch {
	case code == 1002, code == 1003, code == 1008:
		return false
	case code >= 4400 && code <= 4499:
		return false
	}
	return true
}

// reconnectAfterStatus is the built-in policy for a rejected handshake:
// client errors are final, except timeouts and rate limiting.
func reconnectAfterStatus(status int) bool {
	switch {
	case status == 408, status == 429:
		return true
	case status >= 400 && status <= 499:
		return false
	}
	return true
}
