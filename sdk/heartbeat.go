package sdk

import (
	"github.com/steadyws/steadyws/sdk/internal/wire"
)

// The heartbeat: when nothing has arrived for Heartbeat.Interval the client
// pings; when nothing at all arrives within Heartbeat.Timeout after that,
// the connection is dead. Elapsed time is read from the clock (c.now), never
// from counting timer ticks, which browsers throttle in background tabs.
// The supervisor's watch loop (run.go) asks check what to do each time it
// wakes; a confirmation ping (confirm.go) counts as a heartbeat ping.

// heartbeat is the liveness check of one connection.
type heartbeat struct {
	on                bool // Interval > 0, and not Options.Raw
	interval, timeout duration
	pingAt            int64 // c.now() of the ping awaiting an answer; 0: none
}

func newHeartbeat(o *Options) heartbeat {
	return heartbeat{on: o.Heartbeat.Interval > 0 && !o.Raw, interval: o.Heartbeat.Interval, timeout: o.Heartbeat.Timeout}
}

// verdict is what check decided.
type verdict int

const (
	beatAlive verdict = iota // wait, then check again
	beatAgain                // life arrived after the ping: check again now
	beatDead                 // nothing arrived within Timeout after the ping
)

// pinged records a ping sent at at, for whatever reason.
func (h *heartbeat) pinged(at int64) {
	if h.on && h.pingAt == 0 {
		h.pingAt = at
	}
}

// pingNow pings at once unless a ping is awaited already (browser online
// and visibilitychange events).
func (h *heartbeat) pingNow(c *Client, l *link) {
	if h.on && h.pingAt == 0 {
		h.pingAt = c.ping(l)
	}
}

// check judges l's liveness now, pinging when Interval has passed in
// silence, and returns wait shortened to when it must be asked again.
func (h *heartbeat) check(c *Client, l *link, wait duration) (duration, verdict) {
	if !h.on {
		return wait, beatAlive
	}
	now, last := int64(c.now()), l.lastRecv.Load()
	var hbWait duration
	switch {
	case h.pingAt != 0 && last > h.pingAt:
		h.pingAt = 0
		return wait, beatAgain
	case h.pingAt == 0 && now-last >= int64(h.interval):
		h.pingAt = c.ping(l)
		hbWait = h.timeout
	case h.pingAt == 0:
		hbWait = duration(last + int64(h.interval) - now)
	case now-h.pingAt >= int64(h.timeout):
		return wait, beatDead
	default:
		hbWait = duration(h.pingAt + int64(h.timeout) - now)
	}
	if wait == 0 || hbWait < wait {
		wait = hbWait
	}
	return wait, beatAlive
}

// ping sends a heartbeat ping and returns when it was sent. A write that
// cannot finish within the heartbeat timeout closes the connection.
func (c *Client) ping(l *link) int64 {
	at := int64(c.now())
	if at == 0 {
		at = 1
	}
	ctx, cancel, _ := withTimeout(l.wctx, c.opts.Heartbeat.Timeout)
	defer cancel()
	if l.lockWrite(ctx) == nil {
		// Noted first: the pong may arrive before the write returns.
		l.led.notePing(at)
		if l.conn.write(ctx, bytesFrame(MessageText, wire.PingFrame)) == nil {
			c.sent(l, "", len(wire.PingFrame), false)
		} else {
			l.broken = true
		}
		l.unlockWrite()
	}
	return at
}

// pong takes the round-trip time of the oldest outstanding ping, and
// confirms what was written before it.
func (c *Client) pong(l *link, now int64) {
	at, wake := l.led.pong(now)
	if wake {
		l.askConfirm()
	}
	if at != 0 {
		c.mu.Lock()
		c.rtt = duration(now - at)
		c.mu.Unlock()
	}
}
