//go:build !js

package faultproxy

import (
	"context"
	"math/rand/v2"
	"time"
)

// Chaos describes the random faults Run injects.
type Chaos struct {
	// Seed makes the choice of faults, targets, delays and gaps repeatable
	// (what they hit still depends on timing).
	Seed uint64
	// Gap is the mean time between two faults; each gap is uniform in
	// [Gap/2, 3·Gap/2]. Defaults to 300 ms.
	Gap time.Duration
	// MaxDelay bounds the byte delay of a delay fault. Defaults to 50 ms.
	MaxDelay time.Duration
	// MaxHold bounds how long a delay or a refusal lasts; each lasts
	// uniformly between MaxHold/4 and MaxHold. Defaults to 500 ms.
	MaxHold time.Duration
}

// Run injects faults at random until ctx ends, then heals (see Heal), and
// returns. Each fault is one of: cut one connection (30%), cut every
// connection (10%), stall one connection (25%), delay all bytes for a while
// (20%), refuse new connections for a while and cut one connection (15%).
// A cut or a stall that finds no connection to hit is not counted.
func (p *Proxy) Run(ctx context.Context, c Chaos) {
	if c.Gap <= 0 {
		c.Gap = 300 * time.Millisecond
	}
	if c.MaxDelay <= 0 {
		c.MaxDelay = 50 * time.Millisecond
	}
	if c.MaxHold <= 0 {
		c.MaxHold = 500 * time.Millisecond
	}
	r := rand.New(rand.NewPCG(c.Seed, c.Seed^0x9e3779b97f4a7c15))
	between := func(lo, hi time.Duration) time.Duration { return lo + time.Duration(r.Int64N(int64(hi-lo)+1)) }

	defer p.Heal()
	next := time.NewTimer(between(c.Gap/2, c.Gap*3/2))
	defer next.Stop()
	undelay := time.NewTimer(time.Hour)
	undelay.Stop()
	defer undelay.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-undelay.C:
			p.SetDelay(0)
			continue
		case <-next.C:
		}
		switch n := r.IntN(100); {
		case n < 30:
			p.cut(pickOne(r))
		case n < 40:
			p.CutAll()
		case n < 65:
			p.stall(pickOne(r))
		case n < 85:
			p.SetDelay(between(c.MaxDelay/10, c.MaxDelay))
			undelay.Reset(between(c.MaxHold/4, c.MaxHold))
		default:
			// A refusal alone often finds nobody dialling: cut one
			// connection so that its client redials into it.
			p.Refuse(between(c.MaxHold/4, c.MaxHold))
			p.cut(pickOne(r))
		}
		next.Reset(between(c.Gap/2, c.Gap*3/2))
	}
}
