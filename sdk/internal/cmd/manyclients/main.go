//go:build !js

// Command manyclients opens many native steadyws clients on loopback
// against one minimal server, keeps them idle with heartbeats on, and
// reports what each client costs in heap and goroutines. Then the server
// drops every connection at once, and it shows how the reconnects spread
// over time: the backoff jitter is what keeps them from arriving as one
// thundering herd.
//
// The server runs in a child process (this program run again with
// -server), so that each process needs one file descriptor per connection,
// not two. The child answers {"type":"ping"} with {"type":"pong"} and takes
// commands on its standard input ("drop", "stats"); it exits when its
// standard input closes, so it never outlives this program.
//
//	go run ./sdk/internal/cmd/manyclients -n 10000
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"

	"github.com/steadyws/steadyws/sdk"
	"github.com/steadyws/steadyws/sdk/internal/serverhook"
	"github.com/steadyws/steadyws/sdk/internal/wire"
	"github.com/steadyws/steadyws/sdk/server"
)

func main() {
	n := flag.Int("n", 10000, "number of clients")
	batch := flag.Int("batch", 500, "clients dialled at a time while opening (the listen backlog is finite)")
	heartbeat := flag.Duration("heartbeat", 5*time.Second, "heartbeat interval of the clients")
	idle := flag.Duration("idle", 12*time.Second, "how long the clients stay idle before the drop (more than the backoff's ResetAfter, 5 s)")
	initial := flag.Duration("initial", sdk.DefaultBackoffInitial, "Backoff.Initial of the clients")
	jitter := flag.Float64("jitter", sdk.DefaultBackoffJitter, "Backoff.Jitter of the clients")
	bucket := flag.Duration("bucket", 100*time.Millisecond, "width of a histogram bucket")
	reconnectTimeout := flag.Duration("reconnect-timeout", time.Minute, "how long to wait for every client to reconnect")
	timeout := flag.Duration("timeout", 5*time.Minute, "bound on the whole run; the server is killed when it passes")
	server := flag.Bool("server", false, "run as the server (the child process)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the clients from the drop until all have reconnected to this file")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("manyclients: ")
	raiseFileLimit()
	if *server {
		serve()
		return
	}
	if *n < 1 || *batch < 1 || *bucket <= 0 {
		log.Fatal("-n, -batch and -bucket must be positive")
	}
	r := &run{n: *n, batch: *batch, heartbeat: *heartbeat, idle: *idle, bucket: *bucket, reconnectTimeout: *reconnectTimeout,
		backoff: sdk.Backoff{Initial: *initial, Jitter: *jitter}, cpuProfile: *cpuProfile}
	if *jitter == 0 {
		r.backoff.Jitter = -1 // Options read 0 as "the default"
	}
	code := r.main(*timeout)
	os.Exit(code)
}

// raiseFileLimit lifts the soft limit on open files to the hard one: every
// connection is a file descriptor. (Go raises it by itself since 1.19; this
// says so explicitly, and reports the limit.)
func raiseFileLimit() uint64 {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l)
	}
	return l.Cur
}

// ---- the client side ----

type run struct {
	n, batch         int
	heartbeat, idle  time.Duration
	backoff          sdk.Backoff
	cpuProfile       string
	bucket           time.Duration
	reconnectTimeout time.Duration

	child   *exec.Cmd
	proc    atomic.Pointer[os.Process] // the child, for killChild from any goroutine
	toChild io.WriteCloser
	lines   chan string // the child's standard output

	clients []*tracked
	opened  atomic.Int64 // clients that opened their first connection
	dropAt  atomic.Int64 // UnixNano of the drop; 0 before it
	back    atomic.Int64 // clients that reopened after the drop
	failed  atomic.Int64 // attempts that failed (a close before an open)
}

// tracked is one client and what happened to it.
type tracked struct {
	c         *sdk.Client
	open      atomic.Bool  // has opened a connection
	connected atomic.Bool  // has an open connection
	reopened  atomic.Int64 // time from the drop to the reopen, ns; 0 until then
	noticed   atomic.Int64 // time from the drop to the loss being seen, ns
	delay     atomic.Int64 // the backoff delay chosen then, ns
}

func (r *run) main(timeout time.Duration) int {
	// The child exits when its standard input closes, which happens at
	// the latest when this process ends; these kill it sooner.
	watchdog := time.AfterFunc(timeout, func() {
		log.Printf("-timeout %v reached; stopping", timeout)
		r.killChild()
		os.Exit(2)
	})
	defer watchdog.Stop()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		r.killChild()
		os.Exit(130)
	}()

	url, err := r.startChild()
	if err != nil {
		log.Print(err)
		r.killChild()
		return 1
	}
	defer r.stopChild()

	fmt.Printf("manyclients: %d clients -> %s (server in child process %d)\n", r.n, url, r.child.Process.Pid)
	fmt.Printf("  GOMAXPROCS %d, %d CPUs, open-file limit %d\n", runtime.GOMAXPROCS(0), runtime.NumCPU(), raiseFileLimit())
	fmt.Printf("  heartbeat interval %v, timeout %v; backoff Initial %v, Max %v, Factor %g, Jitter %g, ResetAfter %v\n",
		r.heartbeat, sdk.DefaultHeartbeatTimeout, r.backoff.Initial, sdk.DefaultBackoffMax,
		sdk.DefaultBackoffFactor, max(r.backoff.Jitter, 0), sdk.DefaultBackoffResetAfter)

	base, baseG := memNow()
	if err := r.open(url); err != nil {
		log.Print(err)
		return 1
	}

	time.Sleep(r.idle)
	m, g := memNow()
	heartbeats := 0
	for _, t := range r.clients {
		if t.c.Stats().RTT > 0 {
			heartbeats++
		}
	}
	pings := r.ask("stats")
	perClient := func(after, before uint64) float64 { return float64(int64(after)-int64(before)) / float64(r.n) }
	fmt.Printf("\nidle %v with heartbeats on: %d of %d clients have a heartbeat round trip; server: %s\n", r.idle, heartbeats, r.n, pings)
	fmt.Printf("  per client: heap %.0f B (%.1f objects), goroutine stacks %.0f B, %.2f goroutines\n",
		perClient(m.HeapAlloc, base.HeapAlloc), perClient(m.HeapObjects, base.HeapObjects),
		perClient(m.StackInuse, base.StackInuse), float64(g-baseG)/float64(r.n))
	fmt.Printf("  process: heap %.1f MiB, stacks %.1f MiB, from the OS %.1f MiB, %d goroutines (%d before the clients)\n",
		mib(m.HeapAlloc), mib(m.StackInuse), mib(m.Sys), g, baseG)

	ok := r.dropAndWatch()

	r.closeAll()
	runtime.GC()
	fmt.Printf("after Close: %d goroutines (%d before the clients)\n", runtime.NumGoroutine(), baseG)
	if !ok {
		return 1
	}
	return 0
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

func memNow() (runtime.MemStats, int) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m, runtime.NumGoroutine()
}

// open starts the clients batch by batch, each batch once the one before
// has connected.
func (r *run) open(url string) error {
	opts := &sdk.Options{Heartbeat: sdk.Heartbeat{Interval: r.heartbeat}, Backoff: r.backoff}
	r.clients = make([]*tracked, r.n)
	start := time.Now()
	var slowest time.Duration
	for i := 0; i < r.n; i += r.batch {
		end := min(i+r.batch, r.n)
		b0 := time.Now()
		for j := i; j < end; j++ {
			r.clients[j] = r.track(sdk.New(url, opts))
		}
		deadline := time.Now().Add(time.Minute)
		for r.opened.Load() < int64(end) {
			if time.Now().After(deadline) {
				return fmt.Errorf("only %d of %d clients connected after a minute", r.opened.Load(), end)
			}
			time.Sleep(2 * time.Millisecond)
		}
		slowest = max(slowest, time.Since(b0))
	}
	d := time.Since(start)
	fmt.Printf("\nopened %d clients in %v (%.0f/s; batches of %d, slowest batch %v; %d failed attempts)\n",
		r.n, d.Round(time.Millisecond), float64(r.n)/d.Seconds(), r.batch, slowest.Round(time.Millisecond), r.failed.Load())
	return nil
}

func (r *run) track(c *sdk.Client) *tracked {
	t := &tracked{c: c}
	// Handlers of one client run one at a time, in order.
	c.OnOpen(func(context.Context) {
		t.connected.Store(true)
		if t.open.CompareAndSwap(false, true) {
			r.opened.Add(1)
		}
		if at := r.dropAt.Load(); at != 0 && t.reopened.CompareAndSwap(0, time.Now().UnixNano()-at) {
			r.back.Add(1)
		}
	})
	c.OnClose(func(info sdk.CloseInfo) {
		if !t.connected.Swap(false) {
			r.failed.Add(1) // an attempt that never opened
			return
		}
		if at := r.dropAt.Load(); at != 0 && t.noticed.CompareAndSwap(0, time.Now().UnixNano()-at) {
			t.delay.Store(int64(info.Delay))
		}
	})
	return t
}

// dropAndWatch has the server drop every connection and records when each
// client is back; it prints the spread. It reports whether all came back.
func (r *run) dropAndWatch() bool {
	if r.cpuProfile != "" {
		if f, err := os.Create(r.cpuProfile); err != nil {
			log.Print(err)
		} else if err := pprof.StartCPUProfile(f); err != nil {
			log.Print(err)
		} else {
			defer f.Close()
			defer pprof.StopCPUProfile()
		}
	}
	r.failed.Store(0)
	cpu0, serverCPU0 := cpuTime(), r.askCPU()
	r.dropAt.Store(time.Now().UnixNano())
	reply := r.ask("drop")
	deadline := time.Now().Add(r.reconnectTimeout)
	for r.back.Load() < int64(r.n) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	back := int(r.back.Load())
	cpu, serverCPU := cpuTime()-cpu0, r.askCPU()-serverCPU0
	accepts := r.ask("accepts")
	var reopen, notice, delays, dials []time.Duration
	for _, t := range r.clients {
		if d := t.reopened.Load(); d != 0 {
			reopen = append(reopen, time.Duration(d))
			if t.noticed.Load() != 0 {
				delays = append(delays, time.Duration(t.delay.Load()))
				dials = append(dials, time.Duration(d-t.noticed.Load()-t.delay.Load()))
			}
		}
		if d := t.noticed.Load(); d != 0 {
			notice = append(notice, time.Duration(d))
		}
	}
	slices.Sort(reopen)
	slices.Sort(notice)
	slices.Sort(delays)
	slices.Sort(dials)
	fmt.Printf("\nthe server dropped every connection at once (%s)\n", reply)
	fmt.Printf("  %d of %d clients reconnected; %d failed attempts on the way; the server %s\n", back, r.n, r.failed.Load(), accepts)
	fmt.Printf("  CPU time from the drop until all were back: clients %v, server %v (%.0f µs per reconnect in all, on %d CPUs)\n",
		cpu.Round(time.Millisecond), serverCPU.Round(time.Millisecond), float64((cpu+serverCPU).Microseconds())/float64(max(back, 1)), runtime.NumCPU())
	if len(reopen) == 0 {
		return false
	}
	fmt.Printf("  reconnect times after the drop: %s\n", spread(reopen))
	// Per client, the time to reopen is the time until OnClose ran, the
	// backoff delay, and the rest; the rest can come out slightly negative
	// when a busy handler goroutine ran OnClose late.
	fmt.Printf("    made of: OnClose ran after %s\n             backoff delay %s\n             the rest (dial, handshake, OnOpen) %s\n",
		spread(notice), spread(delays), spread(dials))
	fmt.Printf("  (the first delay after a healthy connection is Initial with jitter: uniform in [%v, %v])\n\n",
		time.Duration(float64(r.backoff.Initial)*(1-max(r.backoff.Jitter, 0))), r.backoff.Initial)
	histogram(reopen, r.bucket)
	return back == r.n
}

// spread gives min, median, p99 and max of sorted durations.
func spread(ds []time.Duration) string {
	if len(ds) == 0 {
		return "none"
	}
	q := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
	return fmt.Sprintf("min %s, median %s, p99 %s, max %s", ms(ds[0]), ms(q(0.5)), ms(q(0.99)), ms(ds[len(ds)-1]))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// histogram prints sorted durations in buckets of width w, one line each;
// a run of empty buckets is one line.
func histogram(ds []time.Duration, w time.Duration) {
	const width = 60
	nb := int(ds[len(ds)-1]/w) + 1
	counts := make([]int, nb)
	for _, d := range ds {
		counts[int(d/w)]++
	}
	most := slices.Max(counts)
	wms := float64(w) / float64(time.Millisecond)
	for i := 0; i < nb; i++ {
		if counts[i] == 0 {
			j := i
			for j+1 < nb && counts[j+1] == 0 {
				j++
			}
			fmt.Printf("  %6.0f-%6.0f ms |%*s %6d\n", float64(i)*wms, float64(j+1)*wms, width, "", 0)
			i = j
			continue
		}
		bar := strings.Repeat("#", max(1, counts[i]*width/most))
		fmt.Printf("  %6.0f-%6.0f ms |%-*s %6d\n", float64(i)*wms, float64(i+1)*wms, width, bar, counts[i])
	}
}

// closeAll closes every client at once, and waits (a bounded time) for them.
func (r *run) closeAll() {
	start := time.Now()
	var wg sync.WaitGroup
	for _, t := range r.clients {
		if t == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.c.Close()
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		fmt.Printf("\nclosed %d clients in %v\n", len(r.clients), time.Since(start).Round(time.Millisecond))
	case <-time.After(30 * time.Second):
		fmt.Printf("\nclients still closing after 30 s\n")
	}
}

// ---- the child process ----

func (r *run) startChild() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	r.child = exec.Command(exe, "-server")
	r.child.Stderr = os.Stderr
	if r.toChild, err = r.child.StdinPipe(); err != nil {
		return "", err
	}
	out, err := r.child.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := r.child.Start(); err != nil {
		return "", err
	}
	r.proc.Store(r.child.Process)
	r.lines = make(chan string)
	go func() {
		defer close(r.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			r.lines <- sc.Text()
		}
	}()
	select {
	case url, ok := <-r.lines:
		if !ok || !strings.HasPrefix(url, "ws://") {
			return "", fmt.Errorf("server did not start: %q", url)
		}
		return url, nil
	case <-time.After(10 * time.Second):
		return "", errors.New("server did not start within 10 s")
	}
}

// ask sends a command to the child and returns its one-line answer.
func (r *run) ask(cmd string) string {
	if _, err := fmt.Fprintln(r.toChild, cmd); err != nil {
		return "no answer: " + err.Error()
	}
	select {
	case line, ok := <-r.lines:
		if !ok {
			return "no answer: the server exited"
		}
		return line
	case <-time.After(30 * time.Second):
		return "no answer within 30 s"
	}
}

// askCPU asks the child for the CPU time it has used.
func (r *run) askCPU() time.Duration {
	d, err := time.ParseDuration(r.ask("cpu"))
	if err != nil {
		return 0
	}
	return d
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var u syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &u) != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// stopChild closes the child's standard input, which ends it, and kills it
// if it is still there a few seconds later.
func (r *run) stopChild() {
	r.toChild.Close()
	done := make(chan struct{})
	go func() { r.child.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		r.killChild()
		<-done
	}
}

func (r *run) killChild() {
	if p := r.proc.Load(); p != nil {
		_ = p.Kill()
	}
}

// ---- the server (child process) ----

type child struct {
	srv      *server.Server
	accepted atomic.Int64
	pings    atomic.Int64
	dropped  atomic.Int64 // UnixNano of the last drop
	// first and last accept after the drop, ns after it
	firstAccept, lastAccept atomic.Int64
}

func serve() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	s := &child{srv: server.New(nil)} // sdk/server answers the pings
	s.srv.OnConnect(func(*server.Conn) {
		s.accepted.Add(1)
		if at := s.dropped.Load(); at != 0 {
			d := time.Now().UnixNano() - at
			s.firstAccept.CompareAndSwap(0, d)
			s.lastAccept.Store(d)
		}
	})
	// Counts the pings the clients send (sdk/server answers them).
	serverhook.Install(s.srv, serverhook.Hooks{Read: func(_ any, typ websocket.MessageType, b []byte) {
		if e, err := wire.Scan(b); typ == websocket.MessageText && err == nil && e.Kind() == wire.KindPing {
			s.pings.Add(1)
		}
	}})
	mux := http.NewServeMux()
	mux.Handle("/ws", s.srv)
	go http.Serve(ln, mux)
	fmt.Printf("ws://%s/ws\n", ln.Addr())
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		switch sc.Text() {
		case "drop":
			start := time.Now()
			s.firstAccept.Store(0)
			s.lastAccept.Store(0)
			s.dropped.Store(start.UnixNano())
			n := s.dropAll()
			fmt.Printf("%d connections dropped in %v\n", n, time.Since(start).Round(time.Microsecond))
		case "stats":
			n := s.srv.Len()
			fmt.Printf("%d connections open, %d accepted, %d pings answered\n", n, s.accepted.Load(), s.pings.Load())
		case "accepts":
			fmt.Printf("accepted the new connections from %v to %v after the drop\n",
				time.Duration(s.firstAccept.Load()).Round(time.Millisecond), time.Duration(s.lastAccept.Load()).Round(time.Millisecond))
		case "cpu":
			fmt.Println(cpuTime())
		default:
			fmt.Printf("unknown command %q\n", sc.Text())
		}
	}
	// Standard input closed: the parent is done (or gone).
}

// dropAll closes every connection abruptly (no close frame), as a crashed
// server or a cut network would.
func (s *child) dropAll() int {
	cs := s.srv.Conns()
	for _, c := range cs {
		_ = c.CloseNow()
	}
	return len(cs)
}
