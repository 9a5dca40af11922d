//go:build !js

// Command serverbench measures sdk/server on 127.0.0.1: broadcast fan-out
// to 1,000 reading clients and to 10,000 idle ones, heap and stacks per
// idle server-side connection, the p99 time for a broadcast to reach all
// 1,000, and request throughput against a hand-written coder/websocket
// loop. It is bounded and stops by itself; make bench runs it.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
	"github.com/steadyws/steadyws/sdk/internal/wire"
	"github.com/steadyws/steadyws/sdk/server"
)

func main() {
	readers := flag.Int("readers", 1000, "reading clients for the fan-out and p99")
	idle := flag.Int("idle", 10000, "idle connections for memory and fan-out")
	requests := flag.Int("requests", 20000, "requests per throughput run")
	flag.Parse()
	raiseFDLimit(*idle + *readers + 1000)
	if err := run(*readers, *idle, *requests); err != nil {
		fmt.Fprintln(os.Stderr, "serverbench:", err)
		os.Exit(1)
	}
}

func raiseFDLimit(want int) {
	var l syscall.Rlimit
	need := uint64(want)*2 + 64 // a client and a server socket per connection
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

func run(readers, idle, requests int) error {
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
	sdkRate, err := requestRate(ctx, requests, func() http.Handler {
		s := server.New(nil)
		server.HandleRequest(s, "echo", func(ctx context.Context, c *server.Conn, in map[string]any) (map[string]any, error) { return in, nil })
		return s
	}())
	if err != nil {
		return err
	}
	rawRate, err := requestRate(ctx, requests, http.HandlerFunc(rawLoop))
	if err != nil {
		return err
	}
	fmt.Printf("requests, one client, one at a time: sdk/server %.0f/s, raw coder/websocket loop %.0f/s (%.2fx)\n", sdkRate, rawRate, sdkRate/rawRate)
	return nil
}

func heapAndStacks() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}

// rawDial opens a WebSocket with a hand-made handshake and nothing else: no
// goroutine and no buffers on the client side, so that the process's growth
// is the server's.
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

func idleRun(ctx context.Context, n int) error {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil && uint64(n)*2+200 > l.Cur {
		fit := int(l.Cur-200) / 2
		fmt.Printf("(RLIMIT_NOFILE is %d and cannot be raised here: %d idle connections instead of %d)\n", l.Cur, fit, n)
		n = fit
	}
	srv := server.New(nil)
	addr, stop, err := listen(srv)
	if err != nil {
		return err
	}
	defer stop()
	before := heapAndStacks()
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
	for srv.Len() < n {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	after := heapAndStacks()
	fmt.Printf("idle connections: %d, heap+stacks per server-side connection %.1f KiB (client side: a bare socket each)\n", n, float64(after-before)/float64(n)/1024)

	// Fan-out to them: each frame is 2 bytes of header plus the envelope;
	// the clients' kernel buffers take it, so this is the server's side.
	frame := len(wire.Append(nil, "news", "", 0, "data", []byte(`"a short line of chat"`))) + 2
	const fan = 20
	var total atomic.Int64
	var wg sync.WaitGroup
	began := time.Now()
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
	for range fan {
		server.Broadcast(ctx, srv, "news", "a short line of chat")
	}
	wg.Wait()
	el := time.Since(began)
	fmt.Printf("fan-out to %d idle clients: %.0f msgs/s delivered (%d broadcasts in %v)\n", n, float64(total.Load())/el.Seconds(), fan, el.Round(time.Millisecond))
	return srv.Shutdown(ctx)
}

// rawLoop is the hand-written server: read, scan, answer, no queue.
func rawLoop(w http.ResponseWriter, r *http.Request) {
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer ws.CloseNow()
	for {
		_, b, err := ws.Read(r.Context())
		if err != nil {
			return
		}
		e, err := wire.Scan(b)
		if err != nil || e.Kind() != wire.KindRequest {
			continue
		}
		if err := ws.Write(r.Context(), websocket.MessageText, wire.Append(nil, e.Type, "re", e.ID, "data", e.Data)); err != nil {
			return
		}
	}
}

func requestRate(ctx context.Context, n int, h http.Handler) (float64, error) {
	addr, stop, err := listen(h)
	if err != nil {
		return 0, err
	}
	defer stop()
	if s, ok := h.(*server.Server); ok {
		defer s.Shutdown(context.Background())
	}
	ws, _, err := websocket.Dial(ctx, "ws://"+addr, nil)
	if err != nil {
		return 0, err
	}
	defer ws.CloseNow()
	began := time.Now()
	for i := 1; i <= n; i++ {
		req := fmt.Sprintf(`{"type":"echo","id":%d,"data":{"n":%d}}`, i, i)
		if err := ws.Write(ctx, websocket.MessageText, []byte(req)); err != nil {
			return 0, err
		}
		if _, _, err := ws.Read(ctx); err != nil {
			return 0, err
		}
	}
	return float64(n) / time.Since(began).Seconds(), nil
}
