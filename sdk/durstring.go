package sdk

import "strconv"

// formatDuration formats ns nanoseconds as time.Duration's String does
// ("1m30s", "1.5ms", "0s"), for the JavaScript API's build, which has no
// package time (clock_jsapi_js.go); a test checks it against time.Duration.
func formatDuration(ns int64) string {
	u, sign := uint64(ns), ""
	if ns < 0 {
		u, sign = -u, "-"
	}
	var s string
	switch {
	case u == 0:
		return "0s"
	case u < 1e3:
		s = strconv.FormatUint(u, 10) + "ns"
	case u < 1e6:
		s = decimal(u, 1e3) + "µs"
	case u < 1e9:
		s = decimal(u, 1e6) + "ms"
	default:
		s = decimal(u%60e9, 1e9) + "s"
		if m := u / 60e9; m > 0 {
			s = strconv.FormatUint(m%60, 10) + "m" + s
			if h := m / 60; h > 0 {
				s = strconv.FormatUint(h, 10) + "h" + s
			}
		}
	}
	return sign + s
}

// decimal formats u/unit (unit a power of ten) without trailing zeros.
func decimal(u, unit uint64) string {
	s := strconv.FormatUint(u/unit, 10)
	f := u % unit
	if f == 0 {
		return s
	}
	frac := strconv.FormatUint(f+unit, 10)[1:] // zero-padded to unit's digits
	n := len(frac)
	for frac[n-1] == '0' {
		n--
	}
	return s + "." + frac[:n]
}
