package sdk

import (
	"errors"
	"sync"
	"sync/atomic"
	"syscall/js"

	"github.com/steadyws/steadyws/sdk/internal/jsws"
	"github.com/steadyws/steadyws/sdk/internal/reliable"
	"github.com/steadyws/steadyws/sdk/internal/wire"
)

// The JavaScript API's Go half. js/steadyws.mjs builds the Client class on
// top of it: strings, JSON and handler functions stay in JavaScript; this
// file keeps one *Client per JavaScript client and tells it, through a
// notify function, about state changes, opens, closes, errors and requests
// that failed. The per-message calls are the numeric exports
// steadyws_send, steadyws_request and steadyws_cancel below, and
// steadyws_route in transport_js.go; the numbers they share with
// JavaScript are in jsabi.go.

type jsClient struct {
	c      *Client
	cid    int32
	notify js.Value
	// opener is the link whose open event JavaScript is handling right
	// now: what it sends then goes out before the queue.
	opener  atomic.Pointer[link]
	mu      sync.Mutex
	removes map[string]func() // "e:type" / "r:type" -> remover
	// types names the message types JavaScript sends: type id n > 0 is
	// types[n-1]. JavaScript names each once (typeName), then passes ids.
	types []string
}

// typeName returns the name of type id tid; 0 stands for raw frames.
func (jc *jsClient) typeName(tid int32) string {
	jc.mu.Lock()
	defer jc.mu.Unlock()
	if tid > 0 && int(tid) <= len(jc.types) {
		return jc.types[tid-1]
	}
	return ""
}

var jsClients struct {
	mu   sync.Mutex
	next int32
	m    map[int32]*jsClient
	// retired holds the sessions of closed reliable clients, by client id,
	// until reconnect() takes one up again or the page lets go of the
	// client.
	retired map[int32]*session
}

func jsLookup(cid int32) *jsClient {
	jsClients.mu.Lock()
	defer jsClients.mu.Unlock()
	return jsClients.m[cid]
}

// JSAPI returns the object through which js/steadyws.mjs drives clients.
// It exists only in the browser build; wasm/main.go hands it to the page.
func JSAPI() js.Value {
	shim := shimValue()
	jsClients.mu.Lock()
	if jsClients.m == nil {
		jsClients.m = make(map[int32]*jsClient)
		jsClients.retired = make(map[int32]*session)
	}
	jsClients.mu.Unlock()
	api := js.Global().Get("Object").New()
	api.Set("shim", shim)
	api.Set("fast", shim.Get("fast"))
	// Every call from the page runs under recover: nothing a page passes
	// in may stop the Go program that serves every client of the page. A
	// panic becomes {panic: message}, which steadyws.mjs throws as an Error.
	fn := func(name string, f func(a []js.Value) any) {
		api.Set(name, jsws.FuncOf(func(_ js.Value, a []js.Value) (out any) {
			defer func() {
				if v := recover(); v != nil {
					out = map[string]any{"panic": "steadyws: " + name + ": " + panicError(v).Error()}
				}
			}()
			return f(a)
		}))
	}
	fn("defaults", func([]js.Value) any { return js.Global().Get("JSON").Call("parse", jsOptionDefaults) })
	fn("connect", jsConnect)
	fn("handle", func(a []js.Value) any {
		if jc := jsLookup(int32(a[0].Int())); jc != nil {
			jc.handle(a[1].String(), a[2].String(), a[3].Bool())
		}
		return nil
	})
	fn("close", func(a []js.Value) any {
		if jc := jsLookup(int32(a[0].Int())); jc != nil {
			// Close waits for socket events, which cannot arrive while this
			// js.Func runs: stop without waiting.
			jc.c.stopAsync(a[1].Int(), a[2].String())
		}
		return nil
	})
	fn("typeName", func(a []js.Value) any {
		if jc := jsLookup(int32(a[0].Int())); jc != nil {
			jc.mu.Lock()
			if a[1].Int() == len(jc.types)+1 {
				jc.types = append(jc.types, a[2].String())
			}
			jc.mu.Unlock()
		}
		return nil
	})
	// reconnect reports false for a client already retired: JavaScript
	// then connects a new one in its place.
	fn("reconnect", func(a []js.Value) any {
		if jc := jsLookup(int32(a[0].Int())); jc != nil {
			jc.c.Reconnect()
			return true
		}
		return false
	})
	fn("stats", func(a []js.Value) any {
		if jc := jsLookup(int32(a[0].Int())); jc != nil {
			return jsStats(jc.c.Stats())
		}
		return nil
	})
	fn("lastError", func(a []js.Value) any {
		if jc := jsLookup(int32(a[0].Int())); jc != nil {
			if err := jc.c.Err(); err != nil {
				return err.Error()
			}
		}
		return "steadyws: client closed"
	})
	// forget lets go of the session a closed reliable client keeps for a
	// later reconnect(): steadyws.mjs calls it once the page has dropped
	// the client object.
	fn("forget", func(a []js.Value) any {
		cid := int32(a[0].Int())
		jsClients.mu.Lock()
		_, ok := jsClients.retired[cid]
		delete(jsClients.retired, cid)
		jsClients.mu.Unlock()
		if ok {
			jsKept{cid}.forget()
		}
		return nil
	})
	fn("goStats", func([]js.Value) any { return goStats() })
	return api
}

func jsStats(s Stats) any {
	since := 0.0
	if !s.ConnectedSince.IsZero() {
		since = float64(s.ConnectedSince.UnixMilli())
	}
	return map[string]any{
		"state": s.State.String(), "attempts": s.Attempts, "reconnects": s.Reconnects,
		"messagesIn": s.MessagesIn, "messagesOut": s.MessagesOut, "bytesIn": s.BytesIn, "bytesOut": s.BytesOut,
		"queued": s.Queued, "dropped": s.Dropped, "unconfirmed": s.Unconfirmed, "lateReplies": s.LateReplies, "rttMs": float64(s.RTT) / float64(millisecond),
		"resent": s.Resent, "duplicates": s.Duplicates, "unacked": s.Unacked, "sessionRestarts": s.SessionRestarts,
		"connectedSince": since,
	}
}

// jsConnect(url, options, notify[, previous]) returns the new client's id,
// or {error, name} for JavaScript to throw. previous, the id of the closed
// client this one replaces (reconnect() after close()), hands over its
// reliable session.
func jsConnect(a []js.Value) any {
	if len(a) < 3 {
		return jsError("TypeError", "steadyws: connect(url, options) needs a URL")
	}
	url, notify := a[0], a[2]
	o, err := jsOptions(a[1])
	if err != nil {
		switch err.(type) {
		case *optionTypeError:
			return jsError("TypeError", err.Error())
		case *optionRangeError:
			return jsError("RangeError", err.Error())
		}
		return jsError("Error", err.Error())
	}
	rawURL := ""
	switch url.Type() {
	case js.TypeString:
		rawURL = url.String()
	case js.TypeFunction:
		o.URL = func(ctx ctxt) (string, error) { return callURL(ctx, url) }
	default:
		return jsError("TypeError", "steadyws: url must be a string or a function returning one, got "+url.Type().String())
	}
	jsClients.mu.Lock()
	jsClients.next++
	cid := jsClients.next
	jc := &jsClient{cid: cid, notify: notify, removes: make(map[string]func())}
	jsClients.m[cid] = jc
	var carried *session
	prev := int32(-1)
	if len(a) > 3 && a[3].Type() == js.TypeNumber {
		prev = int32(a[3].Int())
		carried = jsClients.retired[prev]
		delete(jsClients.retired, prev)
	}
	jsClients.mu.Unlock()
	jc.c = newClient(rawURL, &o, func(c *Client) {
		c.dial = func(ctx ctxt, url string, o *Options, l *link) (conn, error) {
			return dialBrowser(ctx, url, o, l, cid)
		}
		if c.rel != nil {
			if carried != nil {
				c.rel = carried
				browser.shim.Call("rekey", prev, cid)
			}
			c.rel.kept = jsKept{cid}
		}
		jc.listen(c)
	})
	return map[string]any{"cid": cid, "requestTimeoutMs": float64(jc.c.opts.RequestTimeout.Milliseconds()), "queueBytes": jc.c.opts.Queue.Bytes}
}

func jsError(name, msg string) any { return map[string]any{"error": msg, "name": name} }

// callURL calls the page's URL function; it may return a string or a
// promise of one.
func callURL(ctx ctxt, fn js.Value) (string, error) {
	var v js.Value
	if err := jsws.Try(func() { v = fn.Invoke() }); err != nil {
		return "", err
	}
	if isString(v) {
		return v.String(), nil
	}
	if !isThenable(v) {
		return "", errors.New("steadyws: the url function returned " + describeJS(v) + ", not a string or a promise")
	}
	type result struct {
		s   string
		err error
	}
	ch := make(chan result, 1)
	var ok, fail js.Func
	ok = jsws.FuncOf(func(_ js.Value, a []js.Value) any {
		if len(a) > 0 && isString(a[0]) {
			ch <- result{s: a[0].String()}
		} else {
			ch <- result{err: errors.New("steadyws: the url promise resolved to a non-string")}
		}
		return nil
	})
	fail = jsws.FuncOf(func(_ js.Value, a []js.Value) any {
		msg := "rejected"
		if len(a) > 0 {
			_ = jsws.Try(func() { msg = js.Global().Get("String").Invoke(a[0]).String() })
		}
		ch <- result{err: errors.New("steadyws: the url promise was rejected: " + msg)}
		return nil
	})
	defer jsws.Release(ok)
	defer jsws.Release(fail)
	v.Call("then", ok, fail)
	select {
	case r := <-ch:
		return r.s, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// isString, isThenable and describeJS look at a value a page returned
// without panicking on the types syscall/js does not know (a bigint makes
// js.Value.Type panic).
func isString(v js.Value) bool {
	ok := false
	_ = jsws.Try(func() { ok = v.Type() == js.TypeString })
	return ok
}

func isThenable(v js.Value) bool {
	ok := false
	_ = jsws.Try(func() { ok = v.Type() == js.TypeObject && v.Get("then").Type() == js.TypeFunction })
	return ok
}

func describeJS(v js.Value) string {
	t := "bigint" // the one typeof js.Value.Type does not know
	_ = jsws.Try(func() { t = v.Type().String() })
	return t
}

// listen forwards the client's events to JavaScript, in order, from the
// client's handler goroutine.
func (jc *jsClient) listen(c *Client) {
	c.OnStateChange(func(s State) {
		jc.notify.Invoke("state", s.String())
		if s == Closed {
			jc.retire()
		}
	})
	c.onOpen(func(ctx ctxt) {
		l, _ := ctx.Value(openKey{}).(*link)
		jc.opener.Store(l)
		defer jc.opener.Store(nil)
		jc.call("open")
	})
	c.OnClose(func(ci CloseInfo) {
		jc.call("close", ci.Code, ci.Reason, ci.WasClean, ci.WillReconnect, float64(ci.Delay.Milliseconds()))
		if ci.WillReconnect {
			jc.call("reconnecting", c.Stats().Attempts, float64(ci.Delay.Milliseconds()))
		}
	})
	c.OnError(func(err error) {
		var count int
		var ts []string
		switch e := err.(type) {
		case *UnconfirmedError:
			count, ts = e.Count, e.Types
		case *SessionLostError:
			count, ts = e.Count, e.Types
		default:
			jc.call("error", err.Error(), errorName(err))
			return
		}
		types := make([]any, len(ts))
		for i, t := range ts {
			types[i] = t
		}
		jc.call("error", err.Error(), errorName(err), count, types)
	})
}

// retire forgets a client that has stopped for good, here and in the
// shim, so that a page that opens and closes many clients does not keep
// them all. JavaScript took the final stats and error when it heard of the
// Closed state, just before; a later reconnect() connects a new client.
// A client that JavaScript restarted meanwhile stays.
func (jc *jsClient) retire() {
	jsClients.mu.Lock()
	defer jsClients.mu.Unlock()
	if jc.c.State() != Closed || jsClients.m[jc.cid] != jc {
		return
	}
	delete(jsClients.m, jc.cid)
	shimValue().Get("clients").Call("delete", jc.cid)
	if jc.c.rel != nil {
		// A reliable session outlives its client, as Close and Reconnect
		// keep it natively: reconnect() after close() goes on with it
		// (resending what was never acknowledged), until steadyws.mjs says
		// the page has let go of the client (forget).
		jsClients.retired[jc.cid] = jc.c.rel
	}
}

// jsKept is where a JavaScript API client's reliable session keeps the
// text of its events until the server acknowledges them: in the shim, as
// the strings JavaScript sent, keyed by client and number (shim.js).
type jsKept struct{ cid int32 }

func (k jsKept) acked(seq int64) { browser.shim.Call("acked", k.cid, float64(seq)) }
func (k jsKept) forget()         { browser.shim.Call("forget", k.cid) }
func (k jsKept) resend(l *link, evs []reliable.Event) error {
	if browser.shim.Call("resend", k.cid, socketID(l.conn)).Int() < 0 {
		return errSocketGone
	}
	return nil
}

// lastSeq is the number steadyws_send gave the event it numbered last
// (steadyws_seq reads it).
var lastSeq int64

// steadywsSeq returns the number of the event the last steadyws_send
// numbered (its result had sendNumbered): JavaScript sends the event with
// it. A second export call keeps steadyws_send's result an int32.
//
//go:wasmexport steadyws_seq
func steadywsSeq() float64 { return float64(lastSeq) }

// call invokes notify; an exception a listener lets escape is reported
// through the error event instead of killing the client.
func (jc *jsClient) call(kind string, args ...any) {
	if err := jsws.Try(func() { jc.notify.Invoke(append([]any{kind}, args...)...) }); err != nil && kind != "error" {
		jc.call("error", "steadyws: "+kind+" listener threw: "+err.Error(), nameHandler)
	}
}

// errorName names an error for JavaScript. The core reports these types
// unwrapped; a type switch keeps reflection (errors.As) out of the build.
func errorName(err error) string {
	switch err.(type) {
	case *UnknownTypeError:
		return nameUnknownType
	case *MalformedError:
		return nameMalformed
	case *LimitError:
		return nameLimit
	case *ExpiredError:
		return nameExpired
	case *DiscardedError:
		return nameDiscarded
	case *HandlerError:
		return nameHandler
	case *UnreachableError:
		return nameUnreachable
	case *UnexpectedReplyError:
		return nameUnexpectedReply
	case *UnconfirmedError:
		return nameUnconfirmed
	case *SessionLostError:
		return nameSessionLost
	case *ReservedTypeError:
		return nameReserved
	}
	if err == ErrReliableUnsupported {
		return nameUnsupported
	}
	return "Error"
}

// handle records whether JavaScript has handlers for events ("event") or
// requests ("request") of type t, so that Go routes them and suggests
// among them.
func (jc *jsClient) handle(kind, t string, on bool) {
	if kind == "" || wire.Reserved(t) { // steadyws.mjs throws first
		return
	}
	key := kind[:1] + ":" + t
	jc.mu.Lock()
	defer jc.mu.Unlock()
	if rm := jc.removes[key]; rm != nil {
		rm()
		delete(jc.removes, key)
	}
	if !on {
		return
	}
	if kind == "request" {
		jc.removes[key] = jc.c.handleRequest(t, func(ctxt, []byte) ([]byte, error) { return nil, nil })
	} else {
		jc.removes[key] = jc.c.handleEvent(t, func(ctxt, []byte) {})
	}
}

func sendResult(l *link, err error) int32 {
	if _, ok := err.(*TooLargeError); ok {
		return sendTooLarge
	}
	switch {
	case err == ErrQueueFull:
		return sendQueueFull
	case err == ErrNotConnected:
		return sendNoQueue
	case err != nil:
		return sendClosed
	case l == nil:
		return sendQueued
	}
	return socketID(l.conn)
}

// steadywsSend decides for a message JavaScript built (held by the shim
// under ref, size UTF-16 units long, of type id tid: 0 for a raw frame,
// -1 for a reply): send now on the returned socket, or queued, or an
// error. A message sent now is noted in the connection's ledger (see
// confirm.go) as JavaScript sends it at once, in the order of these calls;
// replies are the peer's business. When the ledger wakes the supervisor
// to plan a confirmation ping, the result asks JavaScript to let Go run.
//
//go:wasmexport steadyws_send
func steadywsSend(cid, ref, size, tid int32) (out int32) {
	defer survive("steadyws_send", &out, sendClosed)
	jc := jsLookup(cid)
	if jc == nil {
		return sendNoClient
	}
	c := jc.c
	t := jc.typeName(tid)
	opener := jc.opener.Load()
	// Reliable mode numbers events, except an open handler's (they belong
	// to that connection).
	f := frame{typ: MessageText, ref: ref, size: int(size), numbered: c.rel != nil && tid > 0 && opener == nil}
	l, err := c.admit(f, t, nil, opener)
	if l == nil {
		return sendResult(l, err)
	}
	res := sendResult(l, err)
	if f.numbered {
		// JavaScript sends it at once, in the order of these calls: the
		// number follows the order on the wire (see number).
		if !c.number(l, &f, t) {
			c.mu.Lock()
			err = c.enqueueLocked(queued{frame: f, t: t, at: c.now()})
			c.mu.Unlock()
			return sendResult(nil, err)
		}
		lastSeq = f.seq
		res |= sendNumbered
	}
	before := wakeups.Load()
	c.sent(l, t, int(size), tid >= 0 && !f.numbered)
	if wakeups.Load() != before {
		return res | sendYield
	}
	return res
}

// steadywsRequest is steadywsSend for a request with the given id, failed
// through notify("fail", ...) when its connection drops or the client stops.
// Its timeout is a JavaScript timer that calls steadywsCancel: a Go timer
// made inside an export would not fire until something else woke Go.
//
//go:wasmexport steadyws_request
func steadywsRequest(cid, ref, size int32, id float64) (out int32) {
	defer survive("steadyws_request", &out, sendClosed)
	jc := jsLookup(cid)
	if jc == nil {
		return sendNoClient
	}
	c := jc.c
	p := &pending{id: int64(id), fin: func(r reply) {
		if r.err != nil {
			jc.call("fail", id, failCode(r.err), r.err.Error())
		}
	}}
	if p.id <= 0 || !c.addPending(p) {
		return sendDuplicateID
	}
	l, err := c.admit(frame{typ: MessageText, ref: ref, size: int(size)}, "", p, jc.opener.Load())
	if err != nil {
		c.forget(p)
	} else if l != nil {
		l.led.noteRequest(p)
		c.sent(l, "", int(size), false)
	}
	return sendResult(l, err)
}

// steadywsCancel forgets request id (its AbortSignal fired); it returns 1
// if the request was still pending.
//
//go:wasmexport steadyws_cancel
func steadywsCancel(cid int32, id float64) (out int32) {
	defer survive("steadyws_cancel", &out, 0)
	jc := jsLookup(cid)
	if jc == nil {
		return 0
	}
	jc.c.mu.Lock()
	p := jc.c.pending[int64(id)]
	jc.c.mu.Unlock()
	if p == nil {
		return 0
	}
	jc.c.forget(p)
	return 1
}

// survive ends an export that panicked with fail as its result: the Go
// program serves every client of the page, so a bug one call runs into
// must not stop it (as a panic in an export would). The panic goes to the
// console.
func survive(name string, out *int32, fail int32) {
	if v := recover(); v != nil {
		println("steadyws:", name, "recovered from a panic:", panicError(v).Error())
		*out = fail
	}
}

func failCode(err error) string {
	switch err.(type) {
	case timeoutError:
		return codeTimeout
	case *ExpiredError:
		return codeExpired
	}
	if err == ErrConnectionLost {
		return codeConnectionLost
	}
	return codeClosed
}

func init() {
	formatNumber = func(f float64) string { return js.Global().Get("String").Invoke(f).String() }
}

// jsOptions decodes the page's options object with decodeJSOptions.
func jsOptions(v js.Value) (Options, error) {
	var tree any
	if err := jsws.Try(func() { tree = jsTree(v, 0) }); err != nil {
		return Options{}, &optionTypeError{"steadyws: reading options: " + err.Error()}
	}
	return decodeJSOptions(tree)
}

// jsTree copies a JavaScript value into the tree decodeJSOptions reads. It
// reads objects only through calls (Array.isArray, Object.entries) whose
// exceptions Try catches, since a getter or a Proxy may throw, and copies
// two levels at most, the options object and its sections: deeper objects
// and arrays (which no option takes) stand in empty, so that neither a deep
// nor a cyclic value can hold it up.
func jsTree(v js.Value, depth int) any {
	g := js.Global()
	switch jsType(v) {
	case js.TypeUndefined:
		return jsUndefined{}
	case js.TypeNull:
		return nil
	case js.TypeBoolean:
		return v.Bool()
	case js.TypeNumber:
		return v.Float()
	case js.TypeString:
		return v.String()
	case js.TypeFunction:
		return func(ci CloseInfo) bool {
			retry := true
			jsws.Try(func() {
				retry = v.Invoke(map[string]any{"code": ci.Code, "reason": ci.Reason, "wasClean": ci.WasClean}).Truthy()
			})
			return retry
		}
	case js.TypeObject:
		isArray := g.Get("Array").Call("isArray", v).Bool()
		var a []any
		m := map[string]any{}
		if depth < 2 {
			entries := g.Get("Object").Call("entries", v) // an array's holes are left out
			for i, n := 0, entries.Length(); i < n; i++ {
				e := entries.Index(i)
				if val := jsTree(e.Index(1), depth+1); isArray {
					a = append(a, val)
				} else {
					m[e.Index(0).String()] = val
				}
			}
		}
		if isArray {
			return a
		}
		return m
	case js.TypeSymbol:
		return jsOther(g.Get("String").Invoke(v).String() + " (a symbol)")
	}
	return jsOther(g.Get("String").Invoke(v).String() + " (a bigint)")
}

// jsType is v.Type(), or -1 for a bigint, which syscall/js cannot name
// (it panics).
func jsType(v js.Value) (t js.Type) {
	defer func() {
		if recover() != nil {
			t = -1
		}
	}()
	return v.Type()
}
