package sdk

import (
	"time"

	"github.com/steadyws/steadyws/sdk/internal/wire"
)

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
			c.msgsOut.Add(1)
			c.bytesOut.Add(int64(len(wire.PingFrame)))
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
		c.rtt = time.Duration(now - at)
		c.mu.Unlock()
	}
}
