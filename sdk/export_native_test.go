//go:build !js

package sdk

import "time"

// LeadReads counts the messages that callers of Request read themselves
// (lead_native.go) since the process started.
func LeadReads() uint64 { return leadReads.Load() }

// SetLeadGrace sets how long the read goroutine leaves reading to callers
// after one of them read, and returns the old value.
func SetLeadGrace(d time.Duration) time.Duration {
	return time.Duration(leadGrace.Swap(int64(d)))
}
