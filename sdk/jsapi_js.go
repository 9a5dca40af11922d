package sdk

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall/js"
	"time"

	"github.com/steadyws/steadyws/sdk/internal/jsws"
)

// The JavaScript API's Go half. js/steadyws.mjs builds the Client class on
// top of it: strings, JSON and handler functions stay in JavaScript; this
// file keeps one *Client per JavaScript client and tells it, through a
// notify function, about state changes, opens, closes, errors and requests
// that failed. The per-message calls are the numeric exports at the end.

type jsClient struct {
	c      *Client
	notify js.Value
	// opener is the link whose open event JavaScript is handling right
	// now: what it sends then goes out before the queue.
	opener  atomic.Pointer[link]
	mu      sync.Mutex
	removes map[string]func() // "e:type" / "r:type" -> remover
}

var jsClients struct {
	mu   sync.Mutex
	next int32
	m    map[int32]*jsClient
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
	jsClients.m = make(map[int32]*jsClient)
	api := js.Global().Get("Object").New()
	api.Set("shim", shim)
	api.Set("fast", shim.Get("fast"))
	fn := func(name string, f func(a []js.Value) any) {
		api.Set(name, js.FuncOf(func(_ js.Value, a []js.Value) any { return f(a) }))
	}
	fn("defaults", func([]js.Value) any { return jsDefaults() })
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
	fn("reconnect", func(a []js.Value) any {
		if jc := jsLookup(int32(a[0].Int())); jc != nil {
			jc.c.Reconnect()
		}
		return nil
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
		"queued": s.Queued, "dropped": s.Dropped, "rttMs": float64(s.RTT) / float64(time.Millisecond),
		"connectedSince": since,
	}
}

func jsDefaults() any {
	ms := func(d time.Duration) any { return float64(d.Milliseconds()) }
	return map[string]any{
		"protocols":        []any{},
		"connectTimeoutMs": ms(DefaultConnectTimeout),
		"backoff": map[string]any{"initialMs": ms(DefaultBackoffInitial), "maxMs": ms(DefaultBackoffMax),
			"factor": DefaultBackoffFactor, "jitter": DefaultBackoffJitter, "resetAfterMs": ms(DefaultBackoffResetAfter)},
		"maxRetries":       0,
		"heartbeat":        map[string]any{"intervalMs": ms(DefaultHeartbeatInterval), "timeoutMs": ms(DefaultHeartbeatTimeout)},
		"queue":            map[string]any{"limit": DefaultQueueLimit, "bytes": DefaultQueueBytes, "maxAgeMs": 0},
		"readLimit":        DefaultReadLimit,
		"requestTimeoutMs": ms(DefaultRequestTimeout),
		"raw":              false,
	}
}

// jsConnect(url, options, notify) returns the new client's id, or
// {error, name} for JavaScript to throw.
func jsConnect(a []js.Value) any {
	if len(a) < 3 {
		return jsError("TypeError", "steadyws: connect(url, options) needs a URL")
	}
	url, notify := a[0], a[2]
	var o Options
	if err := jsOptions(a[1], &o); err != nil {
		if _, ok := err.(*optionTypeError); ok {
			return jsError("TypeError", err.Error())
		}
		return jsError("Error", err.Error())
	}
	rawURL := ""
	switch url.Type() {
	case js.TypeString:
		rawURL = url.String()
	case js.TypeFunction:
		o.URL = func(ctx context.Context) (string, error) { return callURL(ctx, url) }
	default:
		return jsError("TypeError", "steadyws: url must be a string or a function returning one, got "+url.Type().String())
	}
	jsClients.mu.Lock()
	jsClients.next++
	cid := jsClients.next
	jc := &jsClient{notify: notify, removes: make(map[string]func())}
	jsClients.m[cid] = jc
	jsClients.mu.Unlock()
	shim := shimValue()
	jc.c = newClient(rawURL, &o, func(c *Client) {
		c.jsCID = cid
		c.releaseRef = func(ref int32) { shim.Call("release", ref) }
		jc.listen(c)
	})
	return map[string]any{"cid": cid, "requestTimeoutMs": float64(jc.c.opts.RequestTimeout.Milliseconds())}
}

func jsError(name, msg string) any { return map[string]any{"error": msg, "name": name} }

// callURL calls the page's URL function; it may return a string or a
// promise of one.
func callURL(ctx context.Context, fn js.Value) (string, error) {
	var v js.Value
	if err := jsws.Try(func() { v = fn.Invoke() }); err != nil {
		return "", err
	}
	if v.Type() == js.TypeString {
		return v.String(), nil
	}
	if v.Type() != js.TypeObject || v.Get("then").Type() != js.TypeFunction {
		return "", errors.New("steadyws: the url function returned " + v.Type().String() + ", not a string or a promise")
	}
	type result struct {
		s   string
		err error
	}
	ch := make(chan result, 1)
	var ok, fail js.Func
	ok = js.FuncOf(func(_ js.Value, a []js.Value) any {
		if len(a) > 0 && a[0].Type() == js.TypeString {
			ch <- result{s: a[0].String()}
		} else {
			ch <- result{err: errors.New("steadyws: the url promise resolved to a non-string")}
		}
		return nil
	})
	fail = js.FuncOf(func(_ js.Value, a []js.Value) any {
		msg := "rejected"
		if len(a) > 0 {
			msg = js.Global().Get("String").Invoke(a[0]).String()
		}
		ch <- result{err: errors.New("steadyws: the url promise was rejected: " + msg)}
		return nil
	})
	defer ok.Release()
	defer fail.Release()
	v.Call("then", ok, fail)
	select {
	case r := <-ch:
		return r.s, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// listen forwards the client's events to JavaScript, in order, from the
// client's handler goroutine.
func (jc *jsClient) listen(c *Client) {
	c.OnStateChange(func(s State) { jc.notify.Invoke("state", s.String()) })
	c.OnOpen(func(ctx context.Context) {
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
	c.OnError(func(err error) { jc.call("error", err.Error(), errorName(err)) })
}

// call invokes notify; an exception a listener lets escape is reported
// through the error event instead of killing the client.
func (jc *jsClient) call(kind string, args ...any) {
	if err := jsws.Try(func() { jc.notify.Invoke(append([]any{kind}, args...)...) }); err != nil && kind != "error" {
		jc.call("error", "steadyws: "+kind+" listener threw: "+err.Error(), "HandlerError")
	}
}

// errorName names an error for JavaScript. The core reports these types
// unwrapped; a type switch keeps reflection (errors.As) out of the build.
func errorName(err error) string {
	switch err.(type) {
	case *UnknownTypeError:
		return "UnknownTypeError"
	case *MalformedError:
		return "MalformedError"
	case *LimitError:
		return "LimitError"
	case *ExpiredError:
		return "ExpiredError"
	case *DiscardedError:
		return "DiscardedError"
	case *HandlerError:
		return "HandlerError"
	}
	return "Error"
}

// handle records whether JavaScript has handlers for events ("event") or
// requests ("request") of type t, so that Go routes them and suggests
// among them.
func (jc *jsClient) handle(kind, t string, on bool) {
	if kind == "" {
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
		jc.removes[key] = jc.c.handleRequest(t, func(context.Context, []byte) ([]byte, error) { return nil, nil })
	} else {
		jc.removes[key] = jc.c.handleEvent(t, func(context.Context, []byte) {})
	}
}

// Results of the send exports: a positive socket id means "send it now
// on that socket"; these mean something else.
const (
	sendQueued      = 0
	sendClosed      = -1
	sendQueueFull   = -2
	sendNoQueue     = -3
	sendNoClient    = -4
	sendDuplicateID = -5
)

func sendResult(l *link, err error) int32 {
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
	return l.conn.(*browserConn).id
}

// steadywsSend decides for a message JavaScript built (held by the shim
// under ref, size UTF-16 units long): send now on the returned socket, or
// queued, or an error.
//
//go:wasmexport steadyws_send
func steadywsSend(cid, ref, size int32) int32 {
	jc := jsLookup(cid)
	if jc == nil {
		return sendNoClient
	}
	f := frame{typ: MessageText, ref: ref, size: int(size)}
	l, err := jc.c.admit(f, "", nil, jc.opener.Load())
	if l != nil {
		jc.c.msgsOut.Add(1)
		jc.c.bytesOut.Add(int64(size))
	}
	return sendResult(l, err)
}

// steadywsRequest is steadywsSend for a request with the given id, failed
// through notify("fail", ...) when its connection drops or the client stops.
// Its timeout is a JavaScript timer that calls steadywsCancel: a Go timer
// made inside an export would not fire until something else woke Go.
//
//go:wasmexport steadyws_request
func steadywsRequest(cid, ref, size int32, id float64) int32 {
	jc := jsLookup(cid)
	if jc == nil {
		return sendNoClient
	}
	c := jc.c
	p := &pending{id: int64(id)}
	p.ext = func(err error) { jc.call("fail", id, failCode(err), err.Error()) }
	c.mu.Lock()
	if _, dup := c.pending[p.id]; dup || p.id <= 0 {
		c.mu.Unlock()
		return sendDuplicateID
	}
	c.pending[p.id] = p
	c.mu.Unlock()
	f := frame{typ: MessageText, ref: ref, size: int(size)}
	l, err := c.admit(f, "", p, jc.opener.Load())
	if err != nil {
		c.forget(p)
	} else if l != nil {
		c.msgsOut.Add(1)
		c.bytesOut.Add(int64(size))
	}
	return sendResult(l, err)
}

// steadywsCancel forgets request id (its AbortSignal fired); it returns 1
// if the request was still pending.
//
//go:wasmexport steadyws_cancel
func steadywsCancel(cid int32, id float64) int32 {
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

func failCode(err error) string {
	switch err.(type) {
	case timeoutError:
		return "timeout"
	case *ExpiredError:
		return "expired"
	}
	if err == ErrConnectionLost {
		return "connection_lost"
	}
	return "closed"
}

// optionTypeError is an option of the wrong type (a TypeError in JS).
type optionTypeError struct{ msg string }

func (e *optionTypeError) Error() string { return e.msg }

// jsOptions reads the JavaScript options object into o, refusing unknown
// keys (with a suggestion) and values of the wrong type.
func jsOptions(v js.Value, o *Options) error {
	if v.IsUndefined() || v.IsNull() {
		return nil
	}
	r := optReader{}
	r.object("", v, map[string]func(string, js.Value){
		"protocols": func(k string, v js.Value) {
			if !v.InstanceOf(js.Global().Get("Array")) {
				r.typeErr(k, "an array of strings", v)
				return
			}
			for i := 0; i < v.Length(); i++ {
				if v.Index(i).Type() != js.TypeString {
					r.typeErr(k+"["+strconv.Itoa(i)+"]", "a string", v.Index(i))
					return
				}
				o.Protocols = append(o.Protocols, v.Index(i).String())
			}
		},
		"connectTimeoutMs": r.ms(&o.ConnectTimeout),
		"backoff": func(k string, v js.Value) {
			r.object(k, v, map[string]func(string, js.Value){
				"initialMs": r.ms(&o.Backoff.Initial),
				"maxMs":     r.ms(&o.Backoff.Max),
				"factor":    r.float(&o.Backoff.Factor),
				"jitter": func(k string, v js.Value) {
					// In JavaScript an explicit 0 means no jitter; in Go's
					// Options zero means "default" and negative means none.
					if r.float(&o.Backoff.Jitter)(k, v); o.Backoff.Jitter == 0 && r.err == nil {
						o.Backoff.Jitter = -1
					}
				},
				"resetAfterMs": r.ms(&o.Backoff.ResetAfter),
			})
		},
		"maxRetries": r.int(&o.MaxRetries),
		"heartbeat": func(k string, v js.Value) {
			r.object(k, v, map[string]func(string, js.Value){
				"intervalMs": r.ms(&o.Heartbeat.Interval),
				"timeoutMs":  r.ms(&o.Heartbeat.Timeout),
			})
		},
		"queue": func(k string, v js.Value) {
			r.object(k, v, map[string]func(string, js.Value){
				"limit":    r.int(&o.Queue.Limit),
				"bytes":    r.int(&o.Queue.Bytes),
				"maxAgeMs": r.ms(&o.Queue.MaxAge),
			})
		},
		"readLimit": func(k string, v js.Value) {
			var n int
			r.int(&n)(k, v)
			o.ReadLimit = int64(n)
		},
		"requestTimeoutMs": r.ms(&o.RequestTimeout),
		"raw": func(k string, v js.Value) {
			if v.Type() != js.TypeBoolean {
				r.typeErr(k, "a boolean", v)
				return
			}
			o.Raw = v.Bool()
		},
		"shouldReconnect": func(k string, v js.Value) {
			if v.Type() != js.TypeFunction {
				r.typeErr(k, "a function", v)
				return
			}
			o.ShouldReconnect = func(ci CloseInfo) bool {
				retry := true
				jsws.Try(func() {
					retry = v.Invoke(map[string]any{"code": ci.Code, "reason": ci.Reason, "wasClean": ci.WasClean}).Truthy()
				})
				return retry
			}
		},
	})
	return r.err
}

type optReader struct{ err error }

func (r *optReader) typeErr(key, want string, v js.Value) {
	if r.err == nil {
		r.err = &optionTypeError{"steadyws: option " + key + " must be " + want + ", got " + js.Global().Get("String").Invoke(v).String() + " (" + v.Type().String() + ")"}
	}
}

func (r *optReader) object(prefix string, v js.Value, fields map[string]func(string, js.Value)) {
	if v.Type() != js.TypeObject || v.InstanceOf(js.Global().Get("Array")) {
		if prefix == "" {
			prefix = "options"
		}
		r.typeErr(prefix, "an object", v)
		return
	}
	keys := js.Global().Get("Object").Call("keys", v)
	for i := 0; i < keys.Length() && r.err == nil; i++ {
		k := keys.Index(i).String()
		full := k
		if prefix != "" {
			full = prefix + "." + k
		}
		f, ok := fields[k]
		if !ok {
			var names []string
			for n := range fields {
				names = append(names, n)
			}
			msg := "steadyws: unknown option " + quote(full)
			if s := suggest(k, names); s != "" {
				msg += " (did you mean " + quote(s) + "?)"
			}
			r.err = errors.New(msg)
			return
		}
		if fv := v.Get(k); !fv.IsUndefined() {
			f(full, fv)
		}
	}
}

func (r *optReader) number(k string, v js.Value) (float64, bool) {
	if v.Type() != js.TypeNumber || v.Float() != v.Float() {
		r.typeErr(k, "a number", v)
		return 0, false
	}
	return v.Float(), true
}

func (r *optReader) ms(d *time.Duration) func(string, js.Value) {
	return func(k string, v js.Value) {
		if f, ok := r.number(k, v); ok {
			*d = time.Duration(f * float64(time.Millisecond))
		}
	}
}

func (r *optReader) float(p *float64) func(string, js.Value) {
	return func(k string, v js.Value) {
		if f, ok := r.number(k, v); ok {
			*p = f
		}
	}
}

func (r *optReader) int(p *int) func(string, js.Value) {
	return func(k string, v js.Value) {
		if f, ok := r.number(k, v); ok {
			if f != float64(int64(f)) {
				r.typeErr(k, "an integer", v)
				return
			}
			*p = int(f)
		}
	}
}
