package sdk

import (
	"math"
	"testing"
	"time"
)

// TestFormatDuration: the JavaScript API's build, which has no package
// time, words durations in its errors ("connect timeout after 10s") exactly
// as time.Duration does.
func TestFormatDuration(t *testing.T) {
	ds := []time.Duration{0, 1, 999, 1000, 1001, 1500, time.Microsecond + 1, 999999, time.Millisecond,
		1500 * time.Microsecond, 999999999, time.Second, 1500 * time.Millisecond, time.Second + 1,
		59 * time.Second, time.Minute, 90 * time.Second, time.Hour, time.Hour + time.Nanosecond,
		10*time.Hour + 3*time.Minute + 4*time.Second + 5*time.Millisecond, 25 * time.Second, 100 * time.Hour,
		math.MaxInt64, math.MinInt64, math.MinInt64 + 1}
	for _, d := range ds {
		for _, d := range []time.Duration{d, -d} {
			if got, want := formatDuration(int64(d)), d.String(); got != want {
				t.Errorf("formatDuration(%d) = %q, want %q", int64(d), got, want)
			}
		}
	}
}
