package sdk

import (
	"sync"
)

// Delivery confirmation. A frame handed to a socket may still be lost when
// the connection dies before the server has read it (a cut, a half-open
// stall). The server reads a connection in order, so its pong proves that
// it read everything written before the matching ping, its reply (or error
// reply) everything written before the request, and its answer to the
// client's close frame everything written before that. Each link keeps a
// ledger of the events and raw frames written since the last such proof;
// when the link ends with some left, they are reported once as an
// *UnconfirmedError. They are never sent again: they may have arrived.

// When no ping is outstanding, one is sent to confirm what was written once
// confirmEvery frames or confirmBytes bytes were written since the last
// ping, or the oldest unconfirmed frame is confirmAge old (a quarter of
// Heartbeat.Interval when that is shorter).
const (
	confirmEvery = 64
	confirmBytes = 64 << 10
	confirmAge   = second
	// ledgerRuns caps the runs a ledger keeps when nothing confirms them
	// (a server that ignores pings, or Options.Raw): past it, frames are
	// counted in the last run whatever their type.
	ledgerRuns = 1 << 14
	// maxPings is the most pings awaiting a pong; a server that lets more
	// pile up does not answer pings, and its pongs confirm nothing.
	maxPings = 8
)

// ledger is what was written on one link and not yet confirmed. Frames are
// numbered in write order: the link's writers note them while holding its
// write lock (see writeFrame), so numbers and marks follow the order on the
// wire.
type ledger struct {
	mu      sync.Mutex
	written uint64 // frames noted; the n-th written has number n
	done    uint64 // frames 1..done are confirmed
	runs    []run  // frames done+1..written, by type, in order
	// pings holds the outstanding pings, oldest first: the number of the
	// last frame written before each, and when it was sent.
	pings    []pingMark
	unpaired bool // too many pings went unanswered: pongs confirm nothing
	// sinceN and sinceBytes count what was written since the last ping.
	sinceN, sinceBytes int
	oldest             duration // c.now() around when the oldest unconfirmed frame was written; -1: not known yet
	asked              bool     // the supervisor was woken to plan a ping
	noPing             bool     // Options.Raw: no pings, nothing to plan
	ended              bool     // the link is over; notes come too late
}

type run struct {
	t string
	n uint64
}

type pingMark struct {
	mark uint64
	at   int64
}

// note records a frame of type t and size bytes written (or, in the
// JavaScript API, about to be sent at once). wake asks the supervisor to
// plan a ping; late reports a note after the link ended.
func (g *ledger) note(t string, size int) (wake, late bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ended {
		return false, true
	}
	empty := g.written == g.done
	g.written++
	if k := len(g.runs); k > 0 && (g.runs[k-1].t == t || k >= ledgerRuns) {
		g.runs[k-1].n++
	} else {
		g.runs = append(g.runs, run{t, 1})
	}
	if empty {
		g.oldest = -1
	}
	g.sinceN++
	g.sinceBytes += size
	// The supervisor needs to hear of the first frame (to time the ping)
	// and of a full batch (to ping now).
	if empty || g.sinceN >= confirmEvery || g.sinceBytes >= confirmBytes {
		return g.wakeLocked(), false
	}
	return false, false
}

// noteRequest records where request p was written: its reply confirms the
// frames before it.
func (g *ledger) noteRequest(p *pending) {
	g.mu.Lock()
	p.mark = g.written
	g.mu.Unlock()
}

// notePing records a ping about to be written at time at.
func (g *ledger) notePing(at int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sinceN, g.sinceBytes = 0, 0
	if g.unpaired {
		return
	}
	if len(g.pings) == maxPings {
		g.unpaired, g.pings = true, nil
		return
	}
	g.pings = append(g.pings, pingMark{g.written, at})
}

// pong confirms what was written before the oldest outstanding ping and
// returns when that ping was sent (0 if none was awaited).
func (g *ledger) pong(now int64) (at int64, wake bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.pings) == 0 {
		return 0, false
	}
	p := g.pings[0]
	g.pings = g.pings[:copy(g.pings, g.pings[1:])]
	g.confirmLocked(p.mark, now)
	return p.at, g.wakeLocked()
}

// reply confirms what was written before request p.
func (g *ledger) reply(p *pending, now int64) (wake bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.confirmLocked(p.mark, now)
	return g.wakeLocked()
}

// wakeLocked reports whether to wake the supervisor to plan a ping for
// what is left: once no ping is outstanding.
func (g *ledger) wakeLocked() bool {
	if g.written == g.done || g.noPing || g.unpaired || g.ended || g.asked || len(g.pings) > 0 {
		return false
	}
	g.asked = true
	return true
}

// confirmLocked drops frames 1..mark.
func (g *ledger) confirmLocked(mark uint64, now int64) {
	if mark <= g.done || g.ended {
		return
	}
	k := mark - g.done
	g.done = mark
	i := 0
	for ; i < len(g.runs) && k >= g.runs[i].n; i++ {
		k -= g.runs[i].n
	}
	if i < len(g.runs) {
		g.runs[i].n -= k
	}
	n := copy(g.runs, g.runs[i:])
	clear(g.runs[n:])
	g.runs = g.runs[:n]
	// What is left was written after the mark, so after now minus a
	// round trip: close enough for planning the next ping.
	g.oldest = duration(now)
}

// plan says whether a confirmation ping is due at now, and otherwise how
// long until one may be (0: none is pending).
func (g *ledger) plan(now, age duration) (due bool, wait duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.asked = false
	if g.noPing || g.unpaired || g.ended || g.written == g.done || len(g.pings) > 0 {
		return false, 0
	}
	if g.oldest < 0 {
		g.oldest = now
	}
	if g.sinceN >= confirmEvery || g.sinceBytes >= confirmBytes || now-g.oldest >= age {
		return true, 0
	}
	return false, g.oldest + age - now
}

// mark returns the number of the last frame written so far.
func (g *ledger) mark() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.written
}

// confirm drops frames 1..mark.
func (g *ledger) confirm(mark uint64) {
	g.mu.Lock()
	g.confirmLocked(mark, int64(g.oldest))
	g.mu.Unlock()
}

// end closes the ledger and returns how many frames it still holds and
// their distinct types, in the order first written.
func (g *ledger) end() (count int, types []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.ended = true
	count = int(g.written - g.done)
	if count == 0 {
		return 0, nil
	}
	// map[string]any: the browser build has that map type anyway; one of
	// its own would cost a kilobyte of wasm.
	var seen map[string]any
	if len(g.runs) > 8 {
		seen = make(map[string]any, len(g.runs))
	}
	for _, r := range g.runs {
		if seen != nil {
			if _, dup := seen[r.t]; dup {
				continue
			}
			seen[r.t] = nil
		} else if contains(types, r.t) {
			continue
		}
		types = append(types, r.t)
	}
	g.runs = nil
	return count, types
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// askConfirm wakes the supervisor to plan a confirmation ping. It counts
// as a wake-up, so that the browser's exports let the supervisor run.
func (l *link) askConfirm() {
	wakeups.Add(1)
	signal(l.confirm)
}

// confirmAge returns how old an unconfirmed frame may get before a ping
// confirms it.
func (o *Options) confirmAge() duration {
	if o.Heartbeat.Interval > 0 {
		return min(confirmAge, o.Heartbeat.Interval/4)
	}
	return confirmAge
}

// closeLedger ends l's ledger once no write is in progress on l, and
// reports what it still holds; cause is why the connection ended.
func (c *Client) closeLedger(l *link, cause error) {
	ctx, cancel, _ := withTimeout(background(), closeWait)
	locked := l.acquire(ctx) == nil
	cancel()
	n, types := l.led.end()
	if locked {
		l.release()
	}
	if n == 0 {
		return
	}
	if cause == nil {
		cause = errLinkEnded
	}
	c.unconfirmed.Add(int64(n))
	c.report(l.lf, &UnconfirmedError{Count: n, Types: types, Err: cause})
}

// confirmReply confirms what was written on l before request p, which a
// reply on l answered.
func (c *Client) confirmReply(l *link, p *pending, now int64) {
	if p.link == l && l.led.reply(p, now) {
		l.askConfirm()
	}
}
