//go:build !js

// Package faultproxy is a TCP proxy on loopback that breaks the network
// between WebSocket clients and a server the way real networks break: it
// cuts connections, stalls them (half-open: nothing gets through, nothing is
// closed), delays bytes and refuses new connections. Faults are injected by
// hand (CutAll, StallAll, SetDelay, Refuse) or at random from a seed (Run),
// and counted (Stats).
//
// It knows nothing of WebSocket: it moves bytes. A cut or stalled connection
// loses whatever the proxy held for it; bytes are never reordered, never
// duplicated, and never delivered after the connection they belong to was
// cut.
package faultproxy

import (
	"errors"
	"math/rand/v2"
	"net"
	"sort"
	"sync"
	"time"
)

// chunkSize is the most bytes read at once; a cut may fall between chunks,
// so a WebSocket frame larger than this can be cut in the middle.
const chunkSize = 16 << 10

// Proxy forwards every TCP connection accepted on Addr to the target
// address. Its methods are safe for concurrent use.
type Proxy struct {
	target string
	ln     net.Listener
	wg     sync.WaitGroup // the accept loop and every pipe's goroutines

	mu          sync.Mutex
	closed      bool
	nextID      int
	pipes       map[int]*pipe
	delay       time.Duration
	refuseUntil time.Time
	stats       Stats
}

// Stats counts what the proxy did. Fault counts are injections (a CutAll
// that found three connections is one Cuts and three ConnsCut).
type Stats struct {
	Conns int // connections forwarded to the target

	Cuts, Stalls, Delays, Refusals int // faults injected

	ConnsCut, ConnsStalled, ConnsRefused int // connections affected
}

// Start listens on 127.0.0.1 on a free port and forwards to target
// ("127.0.0.1:PORT").
func Start(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{target: target, ln: ln, pipes: make(map[int]*pipe)}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's address, "127.0.0.1:PORT".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Close stops listening, closes every connection and waits for every
// goroutine the proxy started.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	pipes := p.pipes
	p.pipes = map[int]*pipe{}
	p.mu.Unlock()
	_ = p.ln.Close()
	for _, pp := range pipes {
		pp.close(false)
	}
	p.wg.Wait()
}

// Stats returns the counts so far.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Conns is the number of connections open through the proxy, stalled ones
// included.
func (p *Proxy) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pipes)
}

// CutAll closes both sides of every open connection at once, losing
// whatever the proxy held for them, and returns how many there were.
func (p *Proxy) CutAll() int { return p.cut(func([]int) []int { return nil }) }

// StallAll makes every open connection half-open: from now on nothing gets
// through in either direction, and nothing is closed until the client gives
// up on it (then the server side is closed too). It returns how many
// connections it stalled.
func (p *Proxy) StallAll() int { return p.stall(func([]int) []int { return nil }) }

// SetDelay holds every chunk of bytes read from now on for d before
// forwarding it, in both directions; order is kept. 0 forwards at once.
func (p *Proxy) SetDelay(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if d > 0 {
		p.stats.Delays++
	}
	p.delay = d
}

// Refuse resets every new connection for d (the client sees "connection
// reset" during its handshake); connections already open are left alone.
func (p *Proxy) Refuse(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.Refusals++
	p.refuseUntil = time.Now().Add(d)
}

// Heal ends a delay and a refusal in progress. Stalled connections stay
// stalled: only their clients can notice and drop them.
func (p *Proxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay, p.refuseUntil = 0, time.Time{}
}

// cut closes the connections pick chooses among the live ones (ids in
// ascending order); a nil choice means all of them.
func (p *Proxy) cut(pick func(ids []int) []int) int {
	p.mu.Lock()
	targets := p.pickLocked(pick, false)
	for _, pp := range targets {
		delete(p.pipes, pp.id)
	}
	if len(targets) > 0 {
		p.stats.Cuts++
		p.stats.ConnsCut += len(targets)
	}
	p.mu.Unlock()
	for _, pp := range targets {
		pp.close(true)
	}
	return len(targets)
}

func (p *Proxy) stall(pick func(ids []int) []int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	targets := p.pickLocked(pick, true)
	for _, pp := range targets {
		pp.stall()
	}
	if len(targets) > 0 {
		p.stats.Stalls++
		p.stats.ConnsStalled += len(targets)
	}
	return len(targets)
}

// pickLocked returns the pipes pick chooses; with live set, stalled pipes
// are not candidates.
func (p *Proxy) pickLocked(pick func(ids []int) []int, live bool) []*pipe {
	ids := make([]int, 0, len(p.pipes))
	for id, pp := range p.pipes {
		if !live || !pp.isStalled() {
			ids = append(ids, id)
		}
	}
	sort.Ints(ids)
	if chosen := pick(ids); chosen != nil {
		ids = chosen
	}
	out := make([]*pipe, 0, len(ids))
	for _, id := range ids {
		out = append(out, p.pipes[id])
	}
	return out
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		p.mu.Lock()
		refuse := time.Now().Before(p.refuseUntil)
		if refuse {
			p.stats.ConnsRefused++
		}
		closed := p.closed
		p.mu.Unlock()
		if refuse || closed {
			reset(c)
			continue
		}
		p.wg.Add(1)
		go p.open(c)
	}
}

// reset closes c with a TCP RST, as a refused or broken connection looks.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// open dials the target for a client connection and starts forwarding.
func (p *Proxy) open(client net.Conn) {
	defer p.wg.Done()
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		reset(client)
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		_ = client.Close()
		_ = server.Close()
		return
	}
	p.nextID++
	id := p.nextID
	pp := newPipe(id, client, server, p.currentDelay, func() { p.forget(id) })
	p.pipes[id] = pp
	p.stats.Conns++
	p.mu.Unlock()
	pp.run(&p.wg)
}

func (p *Proxy) forget(id int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.pipes, id)
}

func (p *Proxy) currentDelay() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.delay
}

// pickOne returns a choice function that picks one id at random.
func pickOne(r *rand.Rand) func([]int) []int {
	return func(ids []int) []int {
		if len(ids) == 0 {
			return []int{}
		}
		return []int{ids[r.IntN(len(ids))]}
	}
}
