package sdk_test

// The chaos tests: several clients send numbered events and requests while
// the network or the server misbehaves at random; at the end every event
// that Send accepted must be accounted for. This file holds the driver and
// the accounting, shared by both builds, and the chaos driven from the
// server side (available in the browser too). chaos_test.go adds the native
// chaos driven by a fault-injecting TCP proxy.
//
// What the SDK promises, and what is checked:
//
//   - An event is delivered at most once, and a client's events arrive in
//     the order they were sent.
//   - An event Send refused (ErrQueueFull, ErrNotConnected) never arrives.
//   - An event that expired in the queue is reported through OnError as an
//     *ExpiredError and never arrives; events still queued at Close are
//     reported as a *DiscardedError.
//   - An event written to a connection that then dies before the server
//     confirmed reading it (a pong, a reply or the answer to a close frame)
//     is reported through OnError as an *UnconfirmedError: it may or may
//     not have arrived. Every event that was accepted and never arrived
//     must be among them (lost_in_flight, all reported); one missing that
//     the reports do not cover fails the test: lost_unreported when a
//     connection loss explains it (it was the tail of what was written to
//     a connection that died), lost_unexplained when none does. The test
//     marks every connection (its OnOpen handler sends an "open" event
//     first) to tell the two apart. Reported events that did arrive are
//     counted (unconfirmed_but_arrived): the report says "may".
//   - A request is never sent twice; one refused at Send or expired in the
//     queue never reaches the server; a successful one has the right reply.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/steadyws/steadyws/sdk"
	"github.com/steadyws/steadyws/sdk/internal/testserver"
)

var (
	chaosDuration = flag.Duration("chaos.duration", 0, "how long each chaos test injects faults (0: a few seconds)")
	chaosSeed     = flag.Uint64("chaos.seed", 0, "seed of the chaos tests (0: from the clock; every run prints its seed)")
)

// chaosSetup returns how long to inject faults and the seed, and prints
// the seed so that a failure can be replayed with -chaos.seed.
func chaosSetup(t *testing.T, short time.Duration) (time.Duration, uint64) {
	d := short
	if *chaosDuration > 0 {
		d = *chaosDuration
	}
	seed := *chaosSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("chaos seed %d (replay with -chaos.seed=%d), faults for %v", seed, seed, d)
	return d, seed
}

// chaosOptions are the options of client i: heartbeat on, short backoff
// with jitter, and a different queue for each client so that every way of
// refusing or dropping a queued message happens.
func chaosOptions(i int) *sdk.Options {
	o := &sdk.Options{
		ConnectTimeout: time.Second,
		Backoff:        sdk.Backoff{Initial: 20 * time.Millisecond, Max: 250 * time.Millisecond, Factor: 2, Jitter: 0.5, ResetAfter: 500 * time.Millisecond},
		Heartbeat:      sdk.Heartbeat{Interval: 150 * time.Millisecond, Timeout: 350 * time.Millisecond},
	}
	switch i % 4 {
	case 0:
		o.Queue = sdk.Queue{Limit: 100} // fills up: ErrQueueFull
	case 1:
		o.Queue = sdk.Queue{Limit: 1000, MaxAge: 150 * time.Millisecond} // expires
	case 2:
		o.Queue = sdk.Queue{Limit: 60, Bytes: 4 << 10, MaxAge: 100 * time.Millisecond} // both
	case 3:
		o.Queue = sdk.Queue{Limit: -1} // no queue: ErrNotConnected
	}
	return o
}

type chaosEventData struct {
	C int `json:"c"`
	N int `json:"n"`
}

type chaosMarkData struct {
	C int   `json:"c"`
	G int64 `json:"g"`
}

// chaosReqData is the data of every request; the server reads a and b
// (sum) or ms (slow) and ignores the rest, which identifies the request.
type chaosReqData struct {
	A       float64  `json:"a"`
	B       float64  `json:"b"`
	Ms      *float64 `json:"ms,omitempty"`
	C       int      `json:"c"`
	K       int      `json:"k"`
	Barrier bool     `json:"barrier,omitempty"`
}

func eventType(c, n int) string { return "ev." + strconv.Itoa(c) + "." + strconv.Itoa(n) }
func markType(c int, g int64) string {
	return "open." + strconv.Itoa(c) + "." + strconv.FormatInt(g, 10)
}

// parseChaosType splits "ev.C.N" or "open.C.G".
func parseChaosType(t string) (kind string, c int, n int64, ok bool) {
	parts := strings.Split(t, ".")
	if len(parts) != 3 || (parts[0] != "ev" && parts[0] != "open") {
		return "", 0, 0, false
	}
	c, err1 := strconv.Atoi(parts[1])
	n, err2 := strconv.ParseInt(parts[2], 10, 64)
	return parts[0], c, n, err1 == nil && err2 == nil
}

// Outcomes of a Send or a Request, as counted.
const (
	outOK         = "ok"
	outQueueFull  = "queue_full"
	outNotConn    = "not_connected"
	outExpired    = "expired"
	outLost       = "connection_lost"
	outTimeout    = "timeout"
	outClosed     = "closed"
	outUnexpected = "unexpected"
)

func classify(err error) string {
	var ee *sdk.ExpiredError
	switch {
	case err == nil:
		return outOK
	case errors.Is(err, sdk.ErrQueueFull):
		return outQueueFull
	case errors.Is(err, sdk.ErrNotConnected):
		return outNotConn
	case errors.As(err, &ee):
		return outExpired
	case errors.Is(err, sdk.ErrConnectionLost):
		return outLost
	case errors.Is(err, sdk.ErrRequestTimeout):
		return outTimeout
	case errors.Is(err, sdk.ErrClosed):
		return outClosed
	}
	return outUnexpected
}

type chaosEvent struct {
	out string // outcome of Send
	// closedBefore is the last connection known closed when Send was
	// called: the event cannot have been written to it or an earlier one.
	closedBefore int64
}

type chaosRequest struct {
	slow bool
	out  string
	err  error
}

// chaosClient is one client under chaos and what happened to it.
type chaosClient struct {
	id   int
	c    *sdk.Client
	seed uint64

	url        atomic.Pointer[string]
	opens      atomic.Int64 // connections opened; the n-th is marked n
	closedConn atomic.Int64 // the last connection known to be closed
	// base[g] is the number of events whose Send had started when
	// connection g opened: those after it cannot have gone out on an
	// earlier connection.
	base map[int64]int

	mu             sync.Mutex
	events         []chaosEvent // index = event number
	reqs           []chaosRequest
	expired        map[int]bool // events reported expired through OnError
	markersExpired int
	// unconfirmed holds the events reported as *UnconfirmedError;
	// unconfirmedCount sums the reports' counts, markersUnconfirmed the
	// open markers among them.
	unconfirmed        map[int]bool
	unconfirmedCount   int
	markersUnconfirmed int
	discarded          int
	lateReplies        int
	otherErrs          []error
}

func newChaosClient(t *testing.T, id int, url string, seed uint64) *chaosClient {
	cc := &chaosClient{id: id, seed: seed, expired: map[int]bool{}, unconfirmed: map[int]bool{}, base: map[int64]int{}}
	cc.url.Store(&url)
	o := chaosOptions(id)
	o.URL = func(context.Context) (string, error) { return *cc.url.Load(), nil }
	if id == 0 {
		// Client 0 is cut off at the end (see discardAtClose) by a URL
		// the server answers with 404, which would stop it for good.
		o.ShouldReconnect = func(sdk.CloseInfo) bool { return true }
	}
	cc.c = sdk.New(url, o)
	cc.c.OnOpen(func(ctx context.Context) {
		g := cc.opens.Add(1)
		cc.mu.Lock()
		cc.base[g] = len(cc.events) + 1 // + the one that may be in Send now
		cc.mu.Unlock()
		// Marks where this connection's events start at the server. Its
		// outcome does not matter: a marker that arrives late is ignored.
		_ = sdk.Send(ctx, cc.c, markType(id, g), chaosMarkData{C: id, G: g})
	})
	cc.c.OnClose(func(sdk.CloseInfo) { cc.closedConn.Store(cc.opens.Load()) })
	cc.c.OnError(func(err error) {
		cc.mu.Lock()
		defer cc.mu.Unlock()
		var ee *sdk.ExpiredError
		var de *sdk.DiscardedError
		var ue *sdk.UnexpectedReplyError
		var uc *sdk.UnconfirmedError
		switch {
		case errors.As(err, &uc):
			// Every message the chaos sends has a type of its own, so
			// Types names each one.
			if len(uc.Types) != uc.Count {
				cc.otherErrs = append(cc.otherErrs, fmt.Errorf("%d types for a count of %d: %w", len(uc.Types), uc.Count, err))
			}
			cc.unconfirmedCount += uc.Count
			for _, typ := range uc.Types {
				kind, c, n, ok := parseChaosType(typ)
				switch {
				case ok && c == id && kind == "ev" && !cc.unconfirmed[int(n)]:
					cc.unconfirmed[int(n)] = true
				case ok && c == id && kind == "open":
					cc.markersUnconfirmed++
				default:
					cc.otherErrs = append(cc.otherErrs, fmt.Errorf("type %q reported unconfirmed (twice, or not this client's): %w", typ, err))
				}
			}
		case errors.As(err, &ee):
			kind, c, n, ok := parseChaosType(ee.Type)
			switch {
			case ok && c == id && kind == "ev":
				cc.expired[int(n)] = true
			case ok && c == id && kind == "open":
				cc.markersExpired++
			default:
				cc.otherErrs = append(cc.otherErrs, err)
			}
		case errors.As(err, &de):
			cc.discarded += de.Count
		case errors.As(err, &ue) && (ue.Type == "slow" || ue.Type == "sum"):
			// A request that timed out was answered: a slow one, or a sum
			// stuck behind a backlog on a delayed connection.
			cc.lateReplies++
		default:
			cc.otherErrs = append(cc.otherErrs, err)
		}
	})
	t.Cleanup(func() { cc.c.Close() })
	return cc
}

// sendEvents sends numbered events in small bursts until stop is closed.
func (cc *chaosClient) sendEvents(t *testing.T, stop <-chan struct{}) {
	rnd := rand.New(rand.NewPCG(cc.seed, uint64(cc.id)<<8|1))
	for {
		burst := 1 + rnd.IntN(10)
		for range burst {
			cc.mu.Lock()
			n := len(cc.events)
			cc.mu.Unlock()
			closed := cc.closedConn.Load()
			err := sdk.Send(context.Background(), cc.c, eventType(cc.id, n), chaosEventData{C: cc.id, N: n})
			out := classify(err)
			if out != outOK && out != outQueueFull && out != outNotConn {
				t.Errorf("client %d: Send of event %d: %v", cc.id, n, err)
			}
			cc.mu.Lock()
			cc.events = append(cc.events, chaosEvent{out: out, closedBefore: closed})
			cc.mu.Unlock()
		}
		select {
		case <-stop:
			return
		case <-time.After(time.Duration(2+rnd.IntN(5)) * time.Millisecond):
		}
	}
}

// sendRequests makes sum requests, and slow ones that may time out, until
// stop is closed.
func (cc *chaosClient) sendRequests(t *testing.T, stop <-chan struct{}) {
	rnd := rand.New(rand.NewPCG(cc.seed, uint64(cc.id)<<8|2))
	for k := 0; ; k++ {
		d := chaosReqData{A: float64(k), B: float64(cc.id * 1_000_000), C: cc.id, K: k}
		slow := rnd.IntN(4) == 0
		var err error
		if slow {
			ms := float64(rnd.IntN(400))
			d.Ms = &ms
			ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
			_, err = sdk.Request[json.RawMessage](ctx, cc.c, "slow", d)
			cancel()
		} else {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			var r sumReply
			r, err = sdk.Request[sumReply](ctx, cc.c, "sum", d)
			cancel()
			if err == nil && r.Sum != d.A+d.B {
				t.Errorf("client %d: sum request %d answered %v, want %v", cc.id, k, r.Sum, d.A+d.B)
			}
		}
		out := classify(err)
		if out == outUnexpected || out == outClosed {
			t.Errorf("client %d: request %d: %v", cc.id, k, err)
		}
		cc.mu.Lock()
		cc.reqs = append(cc.reqs, chaosRequest{slow: slow, out: out, err: err})
		cc.mu.Unlock()
		select {
		case <-stop:
			return
		case <-time.After(time.Duration(5+rnd.IntN(15)) * time.Millisecond):
		}
	}
}

// barrier makes an echo request until one succeeds. Its reply proves that
// everything written before it on its connection reached the server, so
// that after it the server's log for this client is final. Then nothing
// may be left in the queue, unless a connection opened meanwhile (its open
// marker may have queued).
func (cc *chaosClient) barrier(t *testing.T, deadline time.Time) {
	for time.Now().Before(deadline) {
		opens := cc.opens.Load()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_, err := sdk.Request[json.RawMessage](ctx, cc.c, "echo", chaosReqData{C: cc.id, K: -1, Barrier: true})
		cancel()
		if err == nil {
			if q := cc.c.Stats().Queued; q != 0 && cc.opens.Load() == opens {
				t.Errorf("client %d: %d messages still queued after a request went through on an open connection", cc.id, q)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("client %d: no request got through within the deadline after the faults stopped; stats %+v", cc.id, cc.c.Stats())
}

// discardAtClose cuts cc off from the server for good, sends a few events,
// which must queue, and leaves them for Close to discard and report.
func discardAtClose(t *testing.T, cc *chaosClient) {
	dead := strings.TrimSuffix(*cc.url.Load(), "/ws") + "/chaos-cut-off"
	cc.url.Store(&dead)
	cc.c.Reconnect() // closes the open connection; redials get 404
	eventually(t, 10*time.Second, "client 0 to lose its connection", func() bool { return cc.c.State() != sdk.Open })
	for range 20 {
		cc.mu.Lock()
		n := len(cc.events)
		cc.mu.Unlock()
		closed := cc.closedConn.Load()
		err := sdk.Send(context.Background(), cc.c, eventType(cc.id, n), chaosEventData{C: cc.id, N: n})
		if err != nil {
			t.Errorf("client %d: Send of event %d while cut off: %v, want it queued", cc.id, n, err)
		}
		cc.mu.Lock()
		cc.events = append(cc.events, chaosEvent{out: classify(err), closedBefore: closed})
		cc.mu.Unlock()
	}
}

// chaosTally is the accounting of one run, summed over clients.
type chaosTally struct {
	clients                  int
	sendCalls, accepted      int
	refused                  map[string]int // Send errors by kind
	delivered                int
	expired, discarded       int
	lostInFlight             int // accepted, never arrived, reported as unconfirmed
	inFlightRuns, longestRun int // runs of consecutive events lost in flight
	lostUnreported           int // the same without a report: fails the test
	lostUnexplained          int
	unconfirmed              int // events reported as unconfirmed
	unconfirmedArrived       int // of them, those that arrived all the same
	markersUnconfirmed       int // open markers reported as unconfirmed
	duplicates, outOfOrder   int
	reportedButDelivered     int
	lateReplies              int // replies to slow requests that had timed out
	reqs                     map[string]int
	reqsResent, reqsBadSeen  int
	reconnects, connsOpened  int
	unexplained, badRequests []string
}

// runChaos starts n clients on url, lets them send while inject runs (it
// must return when ctx ends, with the faults healed), then stops them,
// waits until every client got a request through, closes them and checks
// the accounting against what srv received.
func runChaos(t *testing.T, n int, url string, received func() []testserver.Message, seed uint64, d time.Duration, inject func(ctx context.Context)) chaosTally {
	clients := make([]*chaosClient, n)
	for i := range clients {
		clients[i] = newChaosClient(t, i, url, seed)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, cc := range clients {
		wg.Add(2)
		go func() { defer wg.Done(); cc.sendEvents(t, stop) }()
		go func() { defer wg.Done(); cc.sendRequests(t, stop) }()
	}

	ctx, cancel := context.WithTimeout(context.Background(), d)
	inject(ctx)
	cancel()
	close(stop)
	wg.Wait()

	// Everything still queued goes out once the client reconnects; a
	// stalled connection is noticed by the heartbeat.
	deadline := time.Now().Add(60 * time.Second)
	for _, cc := range clients {
		cc.barrier(t, deadline)
	}
	discardAtClose(t, clients[0])
	var tally chaosTally
	for _, cc := range clients {
		st := cc.c.Stats()
		tally.reconnects += st.Reconnects
		cc.c.Close()
		// Close returns before the OnError handlers for what it discarded
		// have run; wait until every dropped message has been reported.
		dropped := cc.c.Stats().Dropped
		reported := func() int64 {
			cc.mu.Lock()
			defer cc.mu.Unlock()
			return int64(len(cc.expired) + cc.markersExpired + cc.discarded)
		}
		eventually(t, 10*time.Second, fmt.Sprintf("client %d to report its %d dropped messages", cc.id, dropped), func() bool {
			return reported() >= dropped
		})
		if r := reported(); r != dropped {
			t.Errorf("client %d: %d dropped messages reported through OnError, Stats.Dropped = %d", cc.id, r, dropped)
		}
		unconfirmed := cc.c.Stats().Unconfirmed
		eventually(t, 10*time.Second, fmt.Sprintf("client %d to report its %d unconfirmed messages", cc.id, unconfirmed), func() bool {
			cc.mu.Lock()
			defer cc.mu.Unlock()
			return int64(cc.unconfirmedCount) >= unconfirmed
		})
		cc.mu.Lock()
		if int64(cc.unconfirmedCount) != unconfirmed {
			t.Errorf("client %d: %d unconfirmed messages reported through OnError, Stats.Unconfirmed = %d", cc.id, cc.unconfirmedCount, unconfirmed)
		}
		cc.mu.Unlock()
	}

	msgs := received()
	tally = account(t, clients, msgs, tally)
	return tally
}

// account checks what the server received against what each client sent.
func account(t *testing.T, clients []*chaosClient, msgs []testserver.Message, tally chaosTally) chaosTally {
	tally.clients = len(clients)
	tally.refused = map[string]int{}
	tally.reqs = map[string]int{}

	type serverView struct {
		seg        map[int]int64 // delivered event -> connection it came on
		order      []int         // delivered events in arrival order
		reqSeen    map[int]int   // request k -> times received
		barrierSeg int64
	}
	views := make([]serverView, len(clients))
	cur := make([]int64, len(clients))
	for i := range views {
		views[i] = serverView{seg: map[int]int64{}, reqSeen: map[int]int{}, barrierSeg: -1}
	}
	for _, m := range msgs {
		if kind, c, n, ok := parseChaosType(m.Type); ok && c >= 0 && c < len(clients) {
			v := &views[c]
			switch kind {
			case "open":
				// A marker whose write failed went out later, on a newer
				// connection: it marks nothing.
				cur[c] = max(cur[c], n)
			case "ev":
				var e chaosEventData
				if err := json.Unmarshal(m.Data, &e); err != nil || e.C != c || e.N != int(n) {
					t.Errorf("event %s arrived with data %s", m.Type, m.Data)
				}
				if _, dup := v.seg[int(n)]; dup {
					tally.duplicates++
					continue
				}
				if len(v.order) > 0 && int(n) < v.order[len(v.order)-1] {
					tally.outOfOrder++
				}
				v.seg[int(n)] = cur[c]
				v.order = append(v.order, int(n))
			}
			continue
		}
		if m.ID > 0 && (m.Type == "sum" || m.Type == "slow" || m.Type == "echo") {
			var r chaosReqData
			if json.Unmarshal(m.Data, &r) != nil || r.C < 0 || r.C >= len(clients) {
				continue
			}
			if r.Barrier {
				if views[r.C].barrierSeg < 0 {
					views[r.C].barrierSeg = cur[r.C]
				}
				continue
			}
			views[r.C].reqSeen[r.K]++
		}
	}

	for i, cc := range clients {
		v := views[i]
		cc.mu.Lock()
		events, reqs := cc.events, cc.reqs
		expired, discarded, base := cc.expired, cc.discarded, cc.base
		unconfirmed := cc.unconfirmed
		tally.markersUnconfirmed += cc.markersUnconfirmed
		otherErrs := cc.otherErrs
		tally.lateReplies += cc.lateReplies
		cc.mu.Unlock()
		tally.connsOpened += int(cc.opens.Load())
		for _, err := range otherErrs {
			t.Errorf("client %d: unexpected error reported through OnError: %v", i, err)
		}

		// Delivered events in number order with their connections, to
		// find the neighbours of an event that did not arrive.
		delivered := append([]int(nil), v.order...)
		sort.Ints(delivered)
		// The server attributes an event to the last connection marked
		// before it arrived: an upper bound, since the server may still be
		// reading what an earlier connection delivered. It is exact for an
		// event sent after that connection opened.
		segHigh := func(m int) int64 { return v.seg[m] }
		segLow := func(m int) int64 {
			g := v.seg[m]
			if b, ok := base[g]; ok && m >= b {
				return g
			}
			return min(g, events[m].closedBefore+1)
		}
		// hi bounds from above the connection the first delivered event
		// after n (or the final request) came on; lo bounds from below the
		// one n could have been written to.
		bounds := func(n int) (lo, hi int64) {
			j := sort.SearchInts(delivered, n)
			lo = events[n].closedBefore + 1
			if j > 0 {
				lo = max(lo, segLow(delivered[j-1]))
			}
			hi = v.barrierSeg
			if j < len(delivered) {
				hi = segHigh(delivered[j])
			}
			return lo, hi
		}

		var missing []int // accepted, not delivered, not reported expired or unconfirmed
		var lost []int    // accepted, not delivered, reported unconfirmed
		for n, e := range events {
			tally.sendCalls++
			_, got := v.seg[n]
			if unconfirmed[n] {
				tally.unconfirmed++
				if got {
					tally.unconfirmedArrived++
				}
			}
			if e.out != outOK {
				tally.refused[e.out]++
				if got || unconfirmed[n] {
					tally.reportedButDelivered++
					t.Errorf("client %d: event %d was refused by Send (%s) but arrived or was written", i, n, e.out)
				}
				continue
			}
			tally.accepted++
			switch {
			case expired[n] && (got || unconfirmed[n]):
				tally.reportedButDelivered++
				t.Errorf("client %d: event %d was reported expired but arrived or was written", i, n)
			case got:
				tally.delivered++
			case expired[n]:
				tally.expired++
			case unconfirmed[n]:
				lost = append(lost, n)
			default:
				missing = append(missing, n)
			}
		}
		// Messages discarded at Close were the last ones queued.
		last := -1
		if len(delivered) > 0 {
			last = delivered[len(delivered)-1]
		}
		for discarded > 0 && len(missing) > 0 && missing[len(missing)-1] > last {
			missing = missing[:len(missing)-1]
			discarded--
			tally.discarded++
		}
		for _, n := range missing {
			// Lost in flight but not reported: n was the tail of a
			// connection that died, before the one the next delivered
			// event came on. Or lost with no such loss to explain it.
			lo, hi := bounds(n)
			why := "it can only have been written to connection %d or later (connection %d was known closed before the send), and the next event (or the final request) arrived on connection %d or earlier"
			if hi < 0 || lo >= hi {
				tally.lostUnexplained++
			} else {
				tally.lostUnreported++
				why = "it was the tail of connection %d or later (connection %d was known closed before the send), which died before the next event (or the final request) arrived on connection %d"
			}
			if len(tally.unexplained) < 10 {
				tally.unexplained = append(tally.unexplained, fmt.Sprintf(
					"client %d event %d: accepted by Send, never arrived, not reported; "+why, i, n, lo, events[n].closedBefore, hi))
			}
		}
		prevLost, run := -2, 0
		for _, n := range lost {
			tally.lostInFlight++
			if n != prevLost+1 {
				tally.inFlightRuns++
				run = 0
			}
			prevLost, run = n, run+1
			tally.longestRun = max(tally.longestRun, run)
		}

		for k, r := range reqs {
			tally.reqs[r.out]++
			seen := v.reqSeen[k]
			switch {
			case seen > 1:
				tally.reqsResent++
				tally.badRequests = append(tally.badRequests, fmt.Sprintf("client %d request %d reached the server %d times", i, k, seen))
			case r.out == outOK && seen != 1,
				(r.out == outQueueFull || r.out == outNotConn || r.out == outExpired) && seen != 0:
				tally.reqsBadSeen++
				tally.badRequests = append(tally.badRequests, fmt.Sprintf("client %d request %d ended %s (%v) but reached the server %d times", i, k, r.out, r.err, seen))
			}
		}
	}
	return tally
}

func (ty chaosTally) summary(name string, seed uint64, d time.Duration, faults string) string {
	kinds := chaosKinds
	return fmt.Sprintf("%s: seed=%d duration=%v clients=%d | events: sent=%d accepted=%d delivered=%d refused_at_send{%s} expired=%d discarded_at_close=%d lost_in_flight=%d (all reported unconfirmed; %d runs, longest %d) lost_unreported=%d lost_unexplained=%d duplicates=%d out_of_order=%d | reported_unconfirmed=%d (arrived all the same %d, open markers %d more) | requests{%s} resent=%d late_replies_reported=%d | connections=%d reconnects=%d | faults{%s}",
		name, seed, d, ty.clients, ty.sendCalls, ty.accepted, ty.delivered, kinds(ty.refused), ty.expired, ty.discarded,
		ty.lostInFlight, ty.inFlightRuns, ty.longestRun, ty.lostUnreported, ty.lostUnexplained, ty.duplicates, ty.outOfOrder,
		ty.unconfirmed, ty.unconfirmedArrived, ty.markersUnconfirmed, kinds(ty.reqs), ty.reqsResent, ty.lateReplies,
		ty.connsOpened, ty.reconnects, faults)
}

// check fails the test for every broken promise.
func (ty chaosTally) check(t *testing.T) {
	t.Helper()
	if ty.duplicates != 0 || ty.outOfOrder != 0 || ty.reportedButDelivered != 0 {
		t.Errorf("events: %d duplicates, %d out of order, %d reported as not sent but delivered", ty.duplicates, ty.outOfOrder, ty.reportedButDelivered)
	}
	if ty.lostUnreported != 0 || ty.lostUnexplained != 0 {
		t.Errorf("%d events accepted by Send were lost in flight without an *UnconfirmedError, %d more without a connection loss to explain it:\n  %s",
			ty.lostUnreported, ty.lostUnexplained, strings.Join(ty.unexplained, "\n  "))
	}
	if len(ty.badRequests) > 0 {
		t.Errorf("requests: %s", strings.Join(ty.badRequests, "\n  "))
	}
	if ty.accepted == 0 || ty.delivered == 0 || ty.reqs[outOK] == 0 {
		t.Errorf("nothing got through: %d events accepted, %d delivered, %d requests answered", ty.accepted, ty.delivered, ty.reqs[outOK])
	}
	if ty.accepted != ty.delivered+ty.expired+ty.discarded+ty.lostInFlight+ty.lostUnreported+ty.lostUnexplained {
		t.Errorf("accounting does not add up: accepted %d != delivered %d + expired %d + discarded %d + lost in flight %d + lost unreported %d + lost unexplained %d",
			ty.accepted, ty.delivered, ty.expired, ty.discarded, ty.lostInFlight, ty.lostUnreported, ty.lostUnexplained)
	}
}

// TestChaosServerFaults runs the chaos with faults the server injects on
// itself, so that it runs in the browser too: connections dropped or closed
// with a restart code, the server silenced (half-open), replies delayed,
// outages and rejected handshakes.
func TestChaosServerFaults(t *testing.T) {
	d, seed := chaosSetup(t, 3*time.Second)
	srv := newServer(t)
	faults := map[string]int{}
	inject := func(ctx context.Context) {
		r := rand.New(rand.NewPCG(seed, 3))
		hold := func() time.Duration { return time.Duration(100+r.IntN(400)) * time.Millisecond }
		pause := func(d time.Duration) {
			select {
			case <-ctx.Done():
			case <-time.After(d):
			}
		}
		for ctx.Err() == nil {
			pause(time.Duration(100+r.IntN(300)) * time.Millisecond)
			if ctx.Err() != nil {
				break
			}
			switch n := r.IntN(100); {
			case n < 30:
				faults["drop"]++
				srv.DropAll()
			case n < 45:
				faults["close"]++
				srv.CloseAll([]int{1001, 1011, 1012, 1013}[r.IntN(4)], "chaos")
			case n < 65:
				faults["silent"]++
				srv.Silent(true)
				pause(hold())
				srv.Silent(false)
			case n < 80:
				faults["delay"]++
				srv.SetDelay(time.Duration(5+r.IntN(60)) * time.Millisecond)
				pause(hold())
				srv.SetDelay(0)
			case n < 90:
				faults["outage"]++
				srv.Outage(hold())
			default:
				faults["reject"]++
				srv.RejectHandshake([]int{429, 500, 502, 503}[r.IntN(4)])
				pause(hold())
				srv.RejectHandshake(0)
			}
		}
		// Heal: faults undone above; bring the server up if an outage is on.
		if err := srv.Up(); err != nil {
			t.Errorf("server up after the chaos: %v", err)
		}
	}
	tally := runChaos(t, 4, srv.URL(), srv.Received, seed, d, inject)
	summary := tally.summary("TestChaosServerFaults", seed, d, chaosKinds(faults))
	t.Log(summary)
	fmt.Println(summary)
	tally.check(t)
}

func chaosKinds(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strconv.Itoa(m[k])
	}
	return strings.Join(parts, " ")
}
