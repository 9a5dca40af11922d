// Package workload holds what every Go bench client shares: the parameters a
// run gets from the harness, the result it hands back, and the messages.
//
// It builds for both GOOS=js and the native platform, and imports neither
// the SDK nor coder/websocket, so that each wasm client carries only the
// library it measures.
package workload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"
)

// The workloads, by name.
const (
	RTT       = "rtt"
	Pipelined = "pipelined"
	Bulk      = "bulk"
	// Events and EventsBulk are Pipelined and Bulk made of events instead
	// of requests: the client sends {"type":"echo","data":D}, the server
	// sends the same event back, and the client's handler checks it. In
	// reliable mode events are numbered and acknowledged; requests are not.
	Events     = "events"
	EventsBulk = "events-bulk"
	Reconnect  = "reconnect"
)

// IsEvents reports whether workload wl is made of events.
func IsEvents(wl string) bool { return wl == Events || wl == EventsBulk }

// IsPipelined reports whether workload wl sends every message before it
// waits for the first echo.
func IsPipelined(wl string) bool { return wl == Pipelined || wl == Events }

// Params tells a client what to run. It travels as JSON from the harness to
// the wasm clients.
type Params struct {
	Workload string `json:"workload"`
	URL      string `json:"url"`
	// N is the number of timed messages, or of outages for reconnect.
	N int `json:"n"`
	// Pad is the length of the padding string in each message's data.
	Pad int `json:"pad"`
	// Warmup is the number of untimed round trips on the fresh connection
	// before timing starts.
	Warmup int `json:"warmup"`
	// BackoffMs is the constant reconnect delay (reconnect only).
	BackoffMs int `json:"backoffMs"`
	// TimeoutMs bounds the whole run.
	TimeoutMs int `json:"timeoutMs"`
	// Reliable turns on the steadyws clients' reliable mode (URL is then
	// the server's reliable endpoint).
	Reliable bool `json:"reliable,omitempty"`
}

// Result is what a client reports for one run.
type Result struct {
	// N is the number of replies received and checked (marks delivered
	// back, for reconnect).
	N int `json:"n"`
	// Seconds is the time from the first timed send to the last reply.
	Seconds float64 `json:"seconds"`
	// LatUs holds each message's round-trip time in microseconds.
	LatUs []float64 `json:"latUs,omitempty"`
	// GC is the number of Go garbage collections during the timed part,
	// or -1 when not measured.
	GC int `json:"gc"`
	// DueMs holds, for each outage, the backoff delay the client announced
	// for the wait during which the server came back (reconnect only).
	DueMs []float64 `json:"dueMs,omitempty"`
	// NotQueued counts marks that were sent at once instead of queued
	// (reconnect only; should be 0).
	NotQueued int    `json:"notQueued,omitempty"`
	Err       string `json:"err,omitempty"`
}

// Data is the payload of every bench message.
type Data struct {
	Seq int64  `json:"seq"`
	Pad string `json:"pad"`
}

// Envelope is the wire envelope, for clients that build it themselves.
type Envelope struct {
	Type string `json:"type"`
	ID   int64  `json:"id,omitempty"`
	Re   int64  `json:"re,omitempty"`
	Data Data   `json:"data"`
}

// Mark is the event a reconnecting client queues when its connection drops.
type Mark struct {
	K int `json:"k"`
}

// PadString returns n bytes of plain ASCII that needs no JSON escaping.
func PadString(n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	return strings.Repeat(letters, n/len(letters)+1)[:n]
}

// Check returns an error unless d is the echo of message seq with pad.
func Check(d Data, seq int64, pad string) error {
	if d.Seq != seq || len(d.Pad) != len(pad) {
		return fmt.Errorf("reply mismatch: got seq %d (pad %d bytes), want seq %d (pad %d bytes)", d.Seq, len(d.Pad), seq, len(pad))
	}
	return nil
}

// Timer measures the timed part of a run: wall time and GC count.
type Timer struct {
	start time.Time
	gc    uint32
}

// Start begins timing.
func (t *Timer) Start() {
	t.gc = numGC()
	t.start = time.Now()
}

// Stop fills r's Seconds and GC.
func (t *Timer) Stop(r *Result) {
	r.Seconds = time.Since(t.start).Seconds()
	r.GC = int(numGC() - t.gc)
}

func numGC() uint32 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.NumGC
}

// Us converts d to microseconds.
func Us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// Fail returns r with err recorded.
func Fail(r Result, err error) Result {
	if err != nil {
		r.Err = err.Error()
	}
	return r
}

// Context returns a context bounded by p.TimeoutMs.
func Context(p Params) (context.Context, context.CancelFunc) {
	d := time.Duration(p.TimeoutMs) * time.Millisecond
	if d <= 0 {
		d = time.Minute
	}
	return context.WithTimeout(context.Background(), d)
}

// ErrUnknown is returned for a workload name no client knows.
var ErrUnknown = errors.New("unknown workload")

// RunJSON decodes params, runs them with run and encodes the result; the
// wasm clients use it at their JavaScript boundary.
func RunJSON(params string, run func(context.Context, Params) Result) string {
	var p Params
	var r Result
	if err := json.Unmarshal([]byte(params), &p); err != nil {
		r = Fail(Result{GC: -1}, err)
	} else {
		ctx, cancel := Context(p)
		r = run(ctx, p)
		cancel()
	}
	b, err := json.Marshal(r)
	if err != nil {
		return `{"err":"encoding result failed"}`
	}
	return string(b)
}
