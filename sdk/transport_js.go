package sdk

import (
	"errors"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall/js"
	"unsafe"

	"github.com/steadyws/steadyws/sdk/internal/jsws"
)

// The browser transport: the shim (internal/jsws/shim.js) owns each
// WebSocket; Go hears about open, close and drain through one js.Func for
// the whole runtime, and about messages through the numeric wasm exports
// below (or that js.Func when the page did not hand the shim the exports).
// No js.Func is made per socket, so none is left to release.

// dialHidesCause: the browser tells a page nothing about why a WebSocket
// failed to open (see UnreachableError).
const dialHidesCause = true

// sessionRandom fills a reliable-mode session id (reliable.go) from the
// runtime's generator, ChaCha8 seeded with the browser's
// crypto.getRandomValues (wasm_exec.js): crypto/rand would add about 64 KB
// (brotli) to the wasm for 16 bytes per client.
func sessionRandom(b []byte) {
	for i := 0; i < len(b); i += 8 {
		v := rand.Uint64()
		for j := i; j < len(b) && j < i+8; j++ {
			b[j] = byte(v)
			v >>= 8
		}
	}
}

// platformDial opens sockets for clients with Go handlers; the JavaScript
// API dials with its client's id (jsapi_js.go).
var platformDial dialer = func(ctx ctxt, url string, o *Options, l *link) (conn, error) {
	return dialBrowser(ctx, url, o, l, 0)
}

var browser struct {
	once  sync.Once
	shim  js.Value
	mu    sync.Mutex
	next  int32
	socks map[int32]*browserConn
	buf   []byte // where the shim copies messages (or their heads) for Go
	// sendGo is the shim's sendGo, called without a method name; fast
	// when it reads the frame from wasm memory itself (the shim has the
	// exports).
	sendGo js.Value
	fast   bool
	// clockBase is c.now() minus performance.now() in nanoseconds (see
	// arrivedAt).
	clockBase int64
}

// The shim is installed while the program starts, so that it finds the
// wasm exports a loader leaves for it before go.run (see shim.js).
func init() { shimValue() }

func shimValue() js.Value {
	browser.once.Do(func() {
		browser.socks = make(map[int32]*browserConn)
		browser.buf = make([]byte, 4096)
		browser.shim = jsws.Shim()
		browser.shim.Call("init",
			jsws.FuncOf(func(_ js.Value, a []js.Value) any {
				onSocketEvent(int32(a[0].Int()), a[1].Int(), a[2], a[3], a[4])
				return nil
			}),
			jsws.FuncOf(func(js.Value, []js.Value) any { return nil }))
		browser.sendGo = browser.shim.Get("sendGo")
		browser.fast = jsws.Fast()
		browser.clockBase = clockBase()
	})
	return browser.shim
}

// arrivedAt turns the performance.now() the shim read when a message
// arrived into c.now()'s scale. Both read the same clock (Go's monotonic
// clock under wasm is performance.now() through wasm_exec.js), so one
// offset taken at start converts every reading; the shim reads it once per
// message event itself, a native call, where c.now() would cross from wasm
// to wasm_exec.js (about 4 µs a message in a DevTools profile).
func arrivedAt(ms float64) int64 { return int64(ms*1e6) + browser.clockBase }

// clockBase measures c.now() - performance.now(). A page that is not
// cross-origin isolated sees performance.now() in steps of 100 µs (5 µs
// when isolated), and c.now() in the same steps: a reading taken between
// two equal readings of c.now() lies in their step, so the offset is
// exact. A clock without steps never gives two equal readings; then the
// offset is off by at most the time of one JavaScript call.
func clockBase() (base int64) {
	perf := js.Global().Get("performance")
	var c *Client // now reads no field
	for range 100 {
		a := c.now()
		base = int64(a) - int64(perf.Call("now").Float()*1e6)
		if c.now() == a {
			break
		}
	}
	return base
}

type browserConn struct {
	id     int32
	cid    int32 // the JavaScript API client that owns it, or 0
	l      *link
	opened chan struct{}
	failed chan CloseInfo // a close before open
	isOpen atomic.Bool
	// backlog is the socket's bufferedAmount after the last write (only
	// the link's writer touches it).
	backlog int
}

func lookup(id int32) *browserConn {
	browser.mu.Lock()
	defer browser.mu.Unlock()
	return browser.socks[id]
}

func forgetSocket(id int32) {
	browser.mu.Lock()
	delete(browser.socks, id)
	browser.mu.Unlock()
}

// dialBrowser opens a socket for l. cid > 0 names the JavaScript API client
// that owns it: the shim then keeps its messages in JavaScript and asks
// l.routeHead what to do with each; otherwise whole messages go to l.frame.
func dialBrowser(ctx ctxt, url string, o *Options, l *link, cid int32) (conn, error) {
	sh := shimValue()
	browser.mu.Lock()
	browser.next++
	bc := &browserConn{id: browser.next, cid: cid, l: l, opened: make(chan struct{}), failed: make(chan CloseInfo, 1)}
	browser.socks[bc.id] = bc
	browser.mu.Unlock()
	protocols := make([]any, len(o.Protocols))
	for i, p := range o.Protocols {
		protocols[i] = p
	}
	if err := jsws.Try(func() { sh.Call("open", bc.id, url, protocols, cid) }); err != nil {
		forgetSocket(bc.id)
		// The constructor's message quotes the URL, or a part of it.
		return nil, &badURLError{redactErr(err, url, nil)}
	}
	select {
	case <-bc.opened:
		return bc, nil
	case info := <-bc.failed:
		// Browsers hide why a handshake failed (status, DNS, refused): all
		// a page learns is a close with 1006.
		return nil, errors.New("steadyws: connection failed (close " + strconv.Itoa(info.Code) + " before open)")
	case <-ctx.Done():
		forgetSocket(bc.id)
		sh.Call("abandon", bc.id, "connect timeout")
		return nil, ctx.Err()
	}
}

func onSocketEvent(id int32, kind int, a, b, c js.Value) {
	bc := lookup(id)
	if bc == nil {
		return
	}
	switch kind {
	case sockOpen:
		bc.isOpen.Store(true)
		close(bc.opened)
	case sockClose:
		forgetSocket(id)
		info := CloseInfo{Code: a.Int(), Reason: b.String(), WasClean: c.Bool()}
		if info.WasClean {
			info.Err = &CloseError{Code: info.Code, Reason: info.Reason}
		} else {
			info.Err = errors.New("steadyws: connection lost (" + strconv.Itoa(info.Code) + ")")
		}
		if !bc.isOpen.Load() {
			bc.failed <- info
			return
		}
		bc.l.ended(info)
	case sockMessage:
		if a.Type() == js.TypeString {
			bc.l.frame(MessageText, []byte(a.String()))
			return
		}
		u := js.Global().Get("Uint8Array").New(a)
		data := make([]byte, u.Length())
		js.CopyBytesToGo(data, u)
		bc.l.frame(MessageBinary, data)
	case sockDrained:
		bc.l.setCongested(false)
	}
}

func (bc *browserConn) write(ctx ctxt, f frame) error {
	sh := browser.shim
	if f.ref > 0 && f.seq > 0 {
		// A reliable-mode event the JavaScript API queued: the shim adds
		// its number and keeps it until acknowledged (reliable.go).
		if !sh.Call("sendRefSeq", bc.id, f.ref, bc.cid, float64(f.seq)).Bool() {
			return errSocketGone
		}
		return nil
	}
	if f.ref > 0 {
		if !sh.Call("sendRef", bc.id, f.ref).Bool() {
			return errSocketGone
		}
		return nil
	}
	for bc.backlog > highWater {
		t := newAlarm(10 * millisecond)
		select {
		case <-ctx.Done():
			t.stop()
			return ctx.Err()
		case <-t.c:
		}
		bc.backlog = sh.Call("buffered", bc.id).Int()
	}
	text := 0
	if f.typ != MessageBinary {
		text = 1
	}
	n := -1
	err := jsws.Try(func() {
		if browser.fast {
			// The shim reads the frame straight from wasm memory.
			ptr := int(uintptr(unsafe.Pointer(unsafe.SliceData(f.data))))
			n = browser.sendGo.Invoke(bc.id, text, ptr, len(f.data), nil).Int()
			return
		}
		b := js.Global().Get("Uint8Array").New(len(f.data))
		js.CopyBytesToJS(b, f.data)
		n = browser.sendGo.Invoke(bc.id, text, 0, 0, b).Int()
	})
	runtime.KeepAlive(f.data)
	if err != nil {
		return err
	}
	if n < 0 {
		return errSocketGone
	}
	bc.backlog = n
	return nil
}

// release lets go of the string the shim holds for a frame that will
// never be written.
func (f frame) release() {
	if f.ref > 0 {
		browser.shim.Call("release", f.ref)
	}
}

// socketID is the shim's id of c's socket, to which the JavaScript API
// sends its strings itself.
func socketID(c conn) int32 { return c.(*browserConn).id }

func (bc *browserConn) close(code int, reason string) {
	browser.shim.Call("close", bc.id, code, reason)
}

func (bc *browserConn) abort() {
	if lookup(bc.id) == nil {
		return
	}
	forgetSocket(bc.id)
	browser.shim.Call("abandon", bc.id, "abandoned")
	bc.l.ended(CloseInfo{Code: 1006, Err: errors.New("steadyws: connection abandoned")})
}

// steadywsBuf makes Go's message buffer at least n bytes long and returns
// its address in wasm memory.
//
//go:wasmexport steadyws_buf
func steadywsBuf(n int32) (out int32) {
	defer survive("steadyws_buf", &out, 0)
	if int(n) > len(browser.buf) {
		browser.buf = make([]byte, int(n)+int(n)/2)
	}
	return int32(uintptr(unsafe.Pointer(&browser.buf[0])))
}

// steadywsFrame delivers a whole message the shim copied into the buffer to
// a client with Go handlers; it arrived at performance.now() = at.
//
//go:wasmexport steadyws_frame
func steadywsFrame(sock, typ, n int32, at float64) (out int32) {
	defer survive("steadyws_frame", &out, actNone)
	bc := lookup(sock)
	if bc == nil || n < 0 || int(n) > len(browser.buf) {
		return 0
	}
	before := wakeups.Load()
	data := make([]byte, n)
	copy(data, browser.buf[:n])
	bc.l.c.receive(bc.l, MessageType(typ), data, arrivedAt(at))
	return yieldFlag(before)
}

// steadywsRoute decides what the JavaScript API does with a message whose
// head, or the whole message (see routeHead for how), the shim copied into
// the buffer; it arrived at performance.now() = at.
//
//go:wasmexport steadyws_route
func steadywsRoute(sock, typ, n, size, how int32, at float64) (out int32) {
	defer survive("steadyws_route", &out, actNone)
	bc := lookup(sock)
	if bc == nil || n < 0 || int(n) > len(browser.buf) {
		return actNone
	}
	before := wakeups.Load()
	return bc.l.routeHead(MessageType(typ), browser.buf[:n], int(size), how, arrivedAt(at)) | yieldFlag(before)
}

// steadywsCongested marks a socket whose bufferedAmount passed the
// high-water mark: sends queue until the shim reports it drained.
//
//go:wasmexport steadyws_congested
func steadywsCongested(sock int32) {
	var out int32
	defer survive("steadyws_congested", &out, 0)
	if bc := lookup(sock); bc != nil {
		bc.l.setCongested(true)
	}
}

func yieldFlag(before uint32) int32 {
	if wakeups.Load() != before {
		return routeYield
	}
	return 0
}

// Page lifecycle signals reach every client of the page:
//   - online: stop waiting out a backoff and dial now (or ping now if open);
//   - visibilitychange to visible: check liveness now, since timers were
//     throttled while hidden;
//   - pagehide: close cleanly, so that the page can enter the back/forward
//     cache (queued messages are discarded and reported, as with Close);
//   - pageshow from that cache: start again.
var pageClients struct {
	once      sync.Once
	mu        sync.Mutex
	running   map[*Client]struct{}
	suspended []*Client
}

// validText: a browser fails a connection that sends a text frame of
// invalid UTF-8 (as RFC 6455 asks), so every text frame it delivers is valid.
func validText([]byte) bool { return true }

// platformRunning adds a client to the page's running clients when it
// starts and takes it out when it stops.
func platformRunning(c *Client, running bool) {
	pageClients.once.Do(listenPage)
	pageClients.mu.Lock()
	if running {
		pageClients.running[c] = struct{}{}
	} else {
		delete(pageClients.running, c)
	}
	pageClients.mu.Unlock()
}

func eachClient(f func(*Client)) {
	pageClients.mu.Lock()
	cs := make([]*Client, 0, len(pageClients.running))
	for c := range pageClients.running {
		cs = append(cs, c)
	}
	pageClients.mu.Unlock()
	for _, c := range cs {
		f(c)
	}
}

func listenPage() {
	pageClients.running = make(map[*Client]struct{})
	g := js.Global()
	if g.Get("addEventListener").Type() != js.TypeFunction {
		return // not a window (a worker, say): no lifecycle signals
	}
	on := func(event string, f func(ev js.Value)) {
		g.Call("addEventListener", event, jsws.FuncOf(func(_ js.Value, a []js.Value) any {
			f(a[0])
			return nil
		}))
	}
	on("online", func(js.Value) { eachClient((*Client).checkLiveness) })
	doc := g.Get("document")
	if doc.Type() == js.TypeObject {
		doc.Call("addEventListener", "visibilitychange", jsws.FuncOf(func(js.Value, []js.Value) any {
			if doc.Get("visibilityState").String() == "visible" {
				eachClient((*Client).checkLiveness)
			}
			return nil
		}))
	}
	on("pagehide", func(js.Value) {
		eachClient(func(c *Client) {
			if c.State() == Closed {
				return
			}
			pageClients.mu.Lock()
			pageClients.suspended = append(pageClients.suspended, c)
			pageClients.mu.Unlock()
			go c.Close() // Close waits for socket events: never inside a js.Func
		})
	})
	on("pageshow", func(ev js.Value) {
		if !ev.Get("persisted").Truthy() {
			return
		}
		pageClients.mu.Lock()
		cs := pageClients.suspended
		pageClients.suspended = nil
		pageClients.mu.Unlock()
		for _, c := range cs {
			go func() {
				<-c.Done() // the pagehide Close may still be finishing
				c.Reconnect()
			}()
		}
	})
}
