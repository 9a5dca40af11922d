//go:build !js

// Command serverbench measures sdk/server on 127.0.0.1: broadcast fan-out
// to 1,000 reading clients and to 10,000 idle ones, heap and stacks per
// idle server-side connection (the idle clients run in a child process, so
// that only the server's memory is counted), the p50 and p99 time for a
// broadcast to reach all 1,000, and request throughput against a
// hand-written coder/websocket loop. It is bounded and stops by itself;
// make bench-server runs it.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
	"github.com/steadyws/steadyws/sdk/internal/rawloop"
	"github.com/steadyws/steadyws/sdk/internal/wire"
	"github.com/steadyws/steadyws/sdk/server"
)

func main() {
	readers := flag.Int("readers", 1000, "reading clients for the fan-out and p99")
	idle := flag.Int("idle", 10000, "idle connections for memory and fan-out")
	requests := flag.Int("requests", 20000, "requests per throughput run")
	rounds := flag.Int("rounds", 50, "turns sdk/server and the raw loop take at the requests (after one more to warm up, if more than 1), so that both meet the same load")
	only := flag.String("only", "", `run one measurement only: "requests" (the request throughput)`)
	clientsOf := flag.String("idle-clients", "", "(internal) be the child process that opens -idle connections to this address")
	flag.Parse()
	if *clientsOf != "" {
		raiseFDLimit(*idle + 100)
		if err := idleClients(*clientsOf, *idle); err != nil {
			fmt.Fprintln(os.Stderr, "serverbench idle clients:", err)
			os.Exit(1)
		}
		return
	}
	var err error
	switch *only {
	case "":
		raiseFDLimit(max(*idle, 2**readers) + 1000)
		err = run(*readers, *idle, *requests, *rounds)
	case "requests":
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		err = requestsRun(ctx, *requests, *rounds)
		cancel()
	default:
		err = fmt.Errorf("-only %q: want requests", *only)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "serverbench:", err)
		os.Exit(1)
	}
}

// raiseFDLimit raises the limit on open files to want sockets.
func raiseFDLimit(want int) {
	var l syscall.Rlimit
	need := uint64(want) + 64
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil && l.Cur < need {
		raised := syscall.Rlimit{Cur: need, Max: max(l.Max, need)}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) != nil { // raising Max needs privilege
			l.Cur = l.Max
			_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
		}
	}
}

func listen(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	hs := &http.Server{Handler: h}
	go hs.Serve(ln)
	return ln.Addr().String(), func() { hs.Close() }, nil
}

func run(readers, idle, requests, rounds int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	srv := server.New(&server.Options{SendQueue: 4096})
	addr, stop, err := listen(srv)
	if err != nil {
		return err
	}
	defer stop()
	defer srv.Shutdown(context.Background())

	// 1. Fan-out to reading clients, and the time for one broadcast to reach them all.
	var got atomic.Int64
	arrivals := make([][]time.Time, readers)
	var wg sync.WaitGroup
	for i := range readers {
		ws, _, err := websocket.Dial(ctx, "ws://"+addr, nil)
		if err != nil {
			return fmt.Errorf("dial reader %d: %w", i, err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer ws.CloseNow()
			for {
				_, b, err := ws.Read(ctx)
				if err != nil {
					return
				}
				if strings.Contains(string(b), `"stamp"`) {
					arrivals[i] = append(arrivals[i], time.Now())
				}
				got.Add(1)
			}
		}()
	}
	for srv.Len() < readers {
		time.Sleep(time.Millisecond)
	}
	const fan = 1000
	want := int64(fan * readers)
	began := time.Now()
	for range fan {
		server.Broadcast(ctx, srv, "news", "a short line of chat")
	}
	for got.Load() < want && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
	el := time.Since(began)
	fmt.Printf("fan-out to %d reading clients: %.0f msgs/s delivered (%d broadcasts in %v)\n", readers, float64(want)/el.Seconds(), fan, el.Round(time.Millisecond))

	const samples = 100
	sent := make([]time.Time, samples)
	for i := range samples {
		sent[i] = time.Now()
		server.Broadcast(ctx, srv, "news", map[string]int{"stamp": i})
		time.Sleep(50 * time.Millisecond) // one at a time: the time to reach all, not a backlog
	}
	for got.Load() < want+samples*int64(readers) && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
	reach := make([]time.Duration, samples)
	for i := range samples {
		for r := range readers {
			if d := arrivals[r][i].Sub(sent[i]); d > reach[i] {
				reach[i] = d
			}
		}
	}
	sort.Slice(reach, func(i, j int) bool { return reach[i] < reach[j] })
	fmt.Printf("time for a broadcast to reach all %d: p50 %v, p99 %v\n", readers, reach[samples/2].Round(time.Microsecond), reach[samples*99/100].Round(time.Microsecond))
	_ = srv.Shutdown(ctx)
	wg.Wait()
	stop()

	// 2. Idle connections: memory per connection on the server, then fan-out.
	if err := idleRun(ctx, idle); err != nil {
		return err
	}

	// 3. Request throughput: sdk/server against a hand-written loop.
	return requestsRun(ctx, requests, rounds)
}

// requestsRun measures request throughput, n requests one at a time from
// one client, against sdk/server and against a hand-written loop. With
// rounds > 1 the two take turns, n/rounds requests each, so that on a
// shared machine both meet the same load; the rates are totals, and the
// ratio of each turn is shown too.
func requestsRun(ctx context.Context, n, rounds int) error {
	srv := server.New(nil)
	// The handler does what rawloop.Serve does with the data: hands it back
	// as it came, so that the two differ only in what the server does.
	server.HandleRequest(srv, "echo", func(ctx context.Context, c *server.Conn, in json.RawMessage) (json.RawMessage, error) { return in, nil })
	defer srv.Shutdown(context.Background())
	sdkConn, stop, err := dialEcho(ctx, srv)
	if err != nil {
		return err
	}
	defer stop()
	rawConn, stop, err := dialEcho(ctx, http.HandlerFunc(rawloop.Serve))
	if err != nil {
		return err
	}
	defer stop()

	rounds = max(rounds, 1)
	turn := max(n/rounds, 1)
	var sdkTime, rawTime time.Duration
	ratios := make([]float64, 0, rounds)
	for r := range rounds {
		sdkTurn, err := sdkConn.requests(ctx, turn)
		if err != nil {
			return err
		}
		rawTurn, err := rawConn.requests(ctx, turn)
		if err != nil {
			return err
		}
		if r == 0 && rounds > 1 {
			continue // warm-up
		}
		sdkTime, rawTime = sdkTime+sdkTurn, rawTime+rawTurn
		ratios = append(ratios, rawTurn.Seconds()/sdkTurn.Seconds())
	}
	done := float64(turn * len(ratios))
	sdkRate, rawRate := done/sdkTime.Seconds(), done/rawTime.Seconds()
	fmt.Printf("requests, one client, one at a time: sdk/server %.0f/s, raw coder/websocket loop %.0f/s (%.2fx)", sdkRate, rawRate, sdkRate/rawRate)
	if len(ratios) > 1 {
		sort.Float64s(ratios)
		q := func(f float64) float64 { return ratios[int(f*float64(len(ratios)-1))] }
		fmt.Printf("; %d turns of %d each after one to warm up, ratio per turn: quartiles %.2f %.2f %.2f", len(ratios), turn, q(0.25), q(0.5), q(0.75))
	}
	fmt.Println()
	return nil
}

// echoConn is one client connection to a server that echoes requests.
type echoConn struct {
	ws   *websocket.Conn
	next int
}

func dialEcho(ctx context.Context, h http.Handler) (*echoConn, func(), error) {
	addr, stop, err := listen(h)
	if err != nil {
		return nil, nil, err
	}
	ws, _, err := websocket.Dial(ctx, "ws://"+addr, nil)
	if err != nil {
		stop()
		return nil, nil, err
	}
	return &echoConn{ws: ws}, func() { ws.CloseNow(); stop() }, nil
}

// requests sends n requests one at a time and returns how long they took.
func (c *echoConn) requests(ctx context.Context, n int) (time.Duration, error) {
	began := time.Now()
	for range n {
		c.next++
		req := fmt.Sprintf(`{"type":"echo","id":%d,"data":{"n":%d}}`, c.next, c.next)
		if err := c.ws.Write(ctx, websocket.MessageText, []byte(req)); err != nil {
			return 0, err
		}
		if _, _, err := c.ws.Read(ctx); err != nil {
			return 0, err
		}
	}
	return time.Since(began), nil
}

// heapAndStacks returns the live heap and the goroutine stacks in use,
// after collecting garbage.
func heapAndStacks() (heap, stacks uint64) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc, m.StackInuse
}

// idleRun opens n idle connections from a child process (this program
// again, with -idle-clients), so that what this process grows by while they
// open is the server's alone: the clients' sockets, buffers and goroutines
// live in the other process. Then it measures the fan-out to them.
func idleRun(ctx context.Context, n int) error {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil && uint64(n)+200 > l.Cur {
		fit := int(l.Cur - 200)
		fmt.Printf("(RLIMIT_NOFILE is %d and cannot be raised here: %d idle connections instead of %d)\n", l.Cur, fit, n)
		n = fit
	}
	srv := server.New(nil)
	addr, stop, err := listen(srv)
	if err != nil {
		return err
	}
	defer stop()
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, exe, "-idle-clients", addr, "-idle", strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	toChild, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	fromChild, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	heap0, stacks0 := heapAndStacks()
	goroutines0 := runtime.NumGoroutine()
	if err := cmd.Start(); err != nil {
		return err
	}
	defer cmd.Wait()
	defer toChild.Close() // the child exits when its stdin does
	lines := bufio.NewScanner(fromChild)
	if !lines.Scan() || lines.Text() != "ready" {
		return fmt.Errorf("idle clients: %q %v", lines.Text(), lines.Err())
	}
	for srv.Len() < n {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	heap1, stacks1 := heapAndStacks()
	per := func(a, b uint64) float64 { return float64(int64(b)-int64(a)) / float64(n) / 1024 }
	fmt.Printf("idle connections: %d, per server-side connection %.1f KiB = heap %.1f KiB + stacks %.1f KiB, %.2f goroutines (clients in a child process)\n",
		n, per(heap0+stacks0, heap1+stacks1), per(heap0, heap1), per(stacks0, stacks1), float64(runtime.NumGoroutine()-goroutines0)/float64(n))

	// Fan-out to them: each frame is 2 bytes of header plus the envelope;
	// the clients' kernel buffers take it, so this is the server's side.
	frame := len(wire.Append(nil, "news", "", 0, "data", []byte(`"a short line of chat"`))) + 2
	const fan = 20
	began := time.Now()
	fmt.Fprintf(toChild, "%d %d\n", fan, frame)
	for range fan {
		server.Broadcast(ctx, srv, "news", "a short line of chat")
	}
	if !lines.Scan() {
		return fmt.Errorf("idle clients: %v", lines.Err())
	}
	el := time.Since(began)
	total, err := strconv.Atoi(lines.Text())
	if err != nil {
		return fmt.Errorf("idle clients: %q", lines.Text())
	}
	fmt.Printf("fan-out to %d idle clients: %.0f msgs/s delivered (%d broadcasts in %v)\n", n, float64(total)/el.Seconds(), fan, el.Round(time.Millisecond))
	return srv.Shutdown(ctx)
}

// idleClients is the child process of idleRun: it opens n bare sockets to
// addr, says "ready", then for a line "<frames> <size>" on stdin reads that
// many frames of that size on every socket and prints how many arrived.
// It exits when its stdin closes.
func idleClients(addr string, n int) error {
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range n {
		c, err := rawDial(addr)
		if err != nil {
			return fmt.Errorf("idle conn %d: %w", i, err)
		}
		conns = append(conns, c)
	}
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var fan, frame int
		if _, err := fmt.Sscan(in.Text(), &fan, &frame); err != nil {
			return err
		}
		var total atomic.Int64
		var wg sync.WaitGroup
		for _, c := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				buf := make([]byte, 4096)
				got := 0
				_ = c.SetReadDeadline(time.Now().Add(time.Minute))
				for got < fan*frame {
					k, err := c.Read(buf)
					if err != nil {
						return
					}
					got += k
				}
				total.Add(int64(got / frame))
			}()
		}
		wg.Wait()
		fmt.Println(total.Load())
	}
	return in.Err()
}

// rawDial opens a WebSocket with a hand-made handshake and nothing else: no
// goroutine and no buffers on the client side.
func rawDial(addr string) (net.Conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: sN9cRrP/n9NdMgdcy2VJFQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", addr)
	br := bufio.NewReaderSize(c, 256)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		c.Close()
		return nil, fmt.Errorf("handshake: %v", err)
	}
	return c, nil
}
