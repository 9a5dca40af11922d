//go:build !js

package main

import "fmt"

// dial is one WebSocket as the bench page recorded it (bench.dials()):
// when its constructor was called, when it opened and when it closed, in
// the page's milliseconds; -1 for an event that did not happen.
type dial struct {
	NewAt   float64 `json:"newAt"`
	OpenAt  float64 `json:"openAt"`
	CloseAt float64 `json:"closeAt"`
}

// dialSplit is how a browser client's page saw the connection that ended
// one outage.
type dialSplit struct {
	// BrowserMs runs from `new WebSocket` to its open event: the time
	// Chromium held the connection back (it delays a page's new WebSocket
	// after failed ones), plus the TCP and HTTP handshake.
	BrowserMs float64 `json:"browserMs"`
	// SinceCloseMs runs from the close event of the socket before it (the
	// dropped connection or the last failed attempt), which is when the
	// SDK starts its backoff wait, to `new WebSocket`: the backoff due,
	// plus however late the SDK dialled.
	SinceCloseMs float64 `json:"sinceCloseMs"`
}

// splitDials finds, in the record of a reconnect run with n outages, the
// connection that ended each outage: the run opens one connection first
// and exactly one more per outage, so the k-th socket that opened after
// the first ended outage k.
func splitDials(ds []dial, n int) ([]dialSplit, error) {
	var opened []int
	for i, d := range ds {
		if d.OpenAt >= 0 {
			opened = append(opened, i)
		}
	}
	if len(opened) != n+1 {
		return nil, fmt.Errorf("the page opened %d WebSockets over %d outages, want %d: cannot tell which ended which outage", len(opened), n, n+1)
	}
	out := make([]dialSplit, n)
	for k := 1; k <= n; k++ {
		i := opened[k]
		d := ds[i]
		if i == 0 || ds[i-1].CloseAt < 0 {
			return nil, fmt.Errorf("outage %d: no closed socket before the one that reconnected", k)
		}
		out[k-1] = dialSplit{BrowserMs: d.OpenAt - d.NewAt, SinceCloseMs: d.NewAt - ds[i-1].CloseAt}
	}
	return out, nil
}
