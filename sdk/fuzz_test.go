//go:build !js

// Fuzz targets (go test -fuzz). Their seed corpora live in
// testdata/fuzz/<Target>/; without -fuzz they run as ordinary tests over
// those seeds. They are native only: in a browser the testing package
// cannot read testdata.

package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/steadyws/steadyws/sdk/internal/wire"
)

// envelopeSeeds are shared by the envelope targets.
var envelopeSeeds = []string{
	`{"type":"chat","seq":12,"data":{"a":1}}`,
	`{"type":"$ack","seq":3}`,
	`{"type":"chat","seq":"x","data":1}`,
	`{"type":"chat","id":1,"data":{"a":[1,2]}}`,
	`{"type":"\ud83d\ude00","re":2,"error":{}}`,
	`{"type":"sum","re":3,"data":{"x":[1,"}",{"y":null}]}}`,
	` {"data":{"x":"a\"b"},"re":7,"type":"s\u0075m","extra":true} `,
	`{"typ\u0065":"chat","data":null}`,
	`{"type":"ping"}`,
	`{"type":"pong"}`,
	`{"type":"sum","id":9007199254740991}`,
	`{"type":"sum","id":9007199254740992}`,
	`{"type":"sum","id":"7"}`,
	`{"type":"sum","re":1.5}`,
	`{"type":"sum","re":-1}`,
	`{"type":"sum","re":1e3}`,
	`{"type":"sum","re":07}`,
	`{"type":"a","id":1,"re":2}`,
	`{"type":"a","data":1,"type":"b"}`,
	`{"type":1,"type":"a"}`,
	`{"type":"a","data":[}`,
	`{"type":"a","data":-}`,
	`{"type":"a","data":1abc}`,
	`{"type":"\xff\xfe","data":0}`,
	`{"type":"\ud800x","data":0}`,
	"{\"type\":\"a\",\"data\":\"\x01\"}",
	"{\"type\":\"chat\",\"data\":\"\xff\"}",
	`{"type":"chat","data":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`,
	`{"type":"chat","data":` + strings.Repeat("[", 200) + `}`,
	`[]`, ``, `{`, `null`, `{"type":"a"} x`,
}

// refEnvelope is the oracle: it decodes b with encoding/json by the wire
// protocol's rules (keys in order, the last of a repeated key wins, a bad
// value of a routing key is an error even if repeated later). valid is
// false when b is not valid JSON (json.Valid, and UTF-8, which JSON text
// must be but json.Valid does not check); the oracle says nothing then.
func refEnvelope(b []byte) (e envelope, ok, valid bool) {
	if !json.Valid(b) || !utf8.Valid(b) { // JSON text is UTF-8
		return e, false, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return e, false, true
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			panic(err) // b is valid JSON
		}
		key := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			panic(err)
		}
		switch key {
		case "type":
			if raw[0] != '"' || json.Unmarshal(raw, &e.Type) != nil {
				return e, false, true
			}
		case "id", "re":
			n, ok := refID(raw)
			if !ok {
				return e, false, true
			}
			if key == "id" {
				e.ID = n
			} else {
				e.Re = n
			}
		case "data":
			e.Data = raw
		case "error":
			e.Error = raw
		}
	}
	if e.Type == "" || e.ID > 0 && e.Re > 0 {
		return e, false, true
	}
	return e, true, true
}

// refID accepts an integer written with digits only, from 1 to
// Number.MAX_SAFE_INTEGER.
func refID(raw []byte) (int64, bool) {
	for _, c := range raw {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	var n int64
	if json.Unmarshal(raw, &n) != nil || n < 1 || n > 1<<53-1 {
		return 0, false
	}
	return n, true
}

// offsetIn returns where sub starts in b, or -1 if it is not a subslice.
func offsetIn(b, sub []byte) int {
	if sub == nil || cap(sub) == 0 {
		return -1
	}
	off := cap(b) - cap(sub)
	if off < 0 || off+len(sub) > len(b) || &b[:cap(b)][off] != &sub[:1][0] {
		return -1
	}
	return off
}

// blank replaces the data and error values of an accepted envelope with
// null.
func blank(b []byte, e envelope) []byte {
	type span struct{ at, n int }
	var spans []span
	for _, v := range [][]byte{e.Data, e.Error} {
		if at := offsetIn(b, v); at >= 0 {
			spans = append(spans, span{at, len(v)})
		}
	}
	if len(spans) == 2 && spans[1].at < spans[0].at {
		spans[0], spans[1] = spans[1], spans[0]
	}
	var out []byte
	last := 0
	for _, s := range spans {
		out = append(out, b[last:s.at]...)
		out = append(out, "null"...)
		last = s.at + s.n
	}
	return append(out, b[last:]...)
}

// checkAccepted holds for anything the scanner accepts.
func checkAccepted(t *testing.T, b []byte, e envelope) {
	t.Helper()
	if e.Type == "" || e.ID < 0 || e.Re < 0 || e.ID > wire.MaxSafeInt || e.Re > wire.MaxSafeInt || e.ID > 0 && e.Re > 0 {
		t.Fatalf("accepted %q as %+v", b, e)
	}
	for _, v := range [][]byte{e.Data, e.Error} {
		if v != nil && offsetIn(b, v) < 0 {
			t.Fatalf("data/error %q is not a slice of the frame %q", v, b)
		}
	}
}

// FuzzScanEnvelope checks the hand scanner against encoding/json. On valid
// JSON both must agree exactly: the same type, id, re, data and error, or
// both refuse. On invalid JSON the scanner may accept only what it does not
// validate by design (the insides of data, error and unknown keys' values,
// which the handler's decoder or JSON.parse checks): blanking data and
// error must not change how it routes, and when that leaves valid JSON the
// oracle must agree.
func FuzzScanEnvelope(f *testing.F) {
	for _, s := range envelopeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := scanEnvelope(b)
		if err != nil {
			var me *MalformedError
			if !errors.As(err, &me) || !strings.HasPrefix(err.Error(), "steadyws: malformed message: ") || len(me.Prefix) > 64 {
				t.Fatalf("scanEnvelope(%q) error %T %v", b, err, err)
			}
		} else {
			checkAccepted(t, b, e)
		}
		ref, refOK, valid := refEnvelope(b)
		if valid {
			switch {
			case refOK && err != nil:
				t.Fatalf("scanEnvelope(%q) refused valid envelope %+v: %v", b, ref, err)
			case !refOK && err == nil:
				t.Fatalf("scanEnvelope(%q) accepted %+v; encoding/json says it is not an envelope", b, e)
			case refOK && (e.Type != ref.Type || e.ID != ref.ID || e.Re != ref.Re ||
				!bytes.Equal(e.Data, ref.Data) || !bytes.Equal(e.Error, ref.Error)):
				t.Fatalf("scanEnvelope(%q)\n = %+v (data %q, error %q)\nencoding/json: %+v (data %q, error %q)", b, e, e.Data, e.Error, ref, ref.Data, ref.Error)
			}
			return
		}
		if err != nil {
			return
		}
		bl := blank(b, e)
		e2, err := scanEnvelope(bl)
		if err != nil || e2.Type != e.Type || e2.ID != e.ID || e2.Re != e.Re {
			t.Fatalf("invalid %q accepted as %+v, but with data and error blanked (%q): %+v, %v", b, e, bl, e2, err)
		}
		if ref, refOK, valid := refEnvelope(bl); valid && (!refOK || ref.Type != e.Type || ref.ID != e.ID || ref.Re != e.Re) {
			t.Fatalf("invalid %q accepted as %+v; blanked %q is valid JSON and encoding/json says %+v (ok %v)", b, e, bl, ref, refOK)
		}
	})
}

// repeatsRoutingKey reports whether type, id or re occurs more than once
// at the top level of a frame the scanner accepts.
func repeatsRoutingKey(b []byte) bool {
	seen := map[string]bool{}
	for _, k := range wire.TopKeys(b) {
		if (k == "type" || k == "id" || k == "re" || k == "seq") && seen[k] {
			return true
		}
		seen[k] = true
	}
	return false
}

// FuzzScanHead checks the browser's head routing: on any prefix of a
// frame, scanHead either gives up (the whole frame is scanned then) or
// reads the type, id and re the whole frame has. A head cannot see what
// comes after data: an id or re there when it saw neither (see route), or
// a routing key repeated (JSON.parse, which the JavaScript API runs on the
// whole frame, keeps the last).
func FuzzScanHead(f *testing.F) {
	for _, s := range envelopeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		full, fullErr := scanEnvelope(b)
		step := 1
		if len(b) > 512 {
			step = len(b) / 256
		}
		for k := 0; k <= len(b); k += step {
			h, err := scanHead(b[:k])
			if err != nil {
				continue
			}
			if h.Type == "" || h.ID > 0 && h.Re > 0 || h.ID < 0 || h.Re < 0 {
				t.Fatalf("scanHead(%q) = %+v", b[:k], h)
			}
			// A head without id or re says nothing of what follows data (route
			// then scans the whole frame unless the type has event handlers).
			blind := h.ID == 0 && h.Re == 0
			if fullErr == nil && !repeatsRoutingKey(b) && (h.Type != full.Type || !blind && (h.ID != full.ID || h.Re != full.Re)) {
				t.Fatalf("scanHead(%q) = %+v, but the whole frame %q is %+v", b[:k], h, b, full)
			}
			// Reliable mode's seq, when the head saw one, is the frame's.
			if fullErr == nil && !repeatsRoutingKey(b) && h.Seq != 0 && h.Seq != full.Seq {
				t.Fatalf("scanHead(%q) has seq %d, but the whole frame %q has %d", b[:k], h.Seq, b, full.Seq)
			}
		}
	})
}

// routeRig is a client with one connection whose per-message decisions
// a test can watch: event handlers for "chat", a request handler for
// "sum", request 3 pending, and a read limit of 300 bytes.
type routeRig struct {
	c                *Client
	l                *link
	p                *pending
	errs             []error
	writes           []string
	events, requests int
	replies          int // outcomes the pending request got
}

const rigReadLimit = 300

func newRouteRig() *routeRig {
	r := &routeRig{}
	c := &Client{opts: (&Options{ReadLimit: rigReadLimit}).withDefaults(), pending: make(map[int64]*pending)}
	lf := &life{ctx: context.Background(), events: &serial{wake: make(chan struct{}, 1)}}
	c.life = lf
	r.l = newLink(c, lf)
	r.l.conn = rigConn{r}
	c.link = r.l
	c.handleEvent("chat", func(context.Context, []byte) { r.events++ })
	c.handleRequest("sum", func(context.Context, []byte) ([]byte, error) { r.requests++; return []byte("1"), nil })
	c.OnError(func(err error) { r.errs = append(r.errs, err) })
	r.p = &pending{id: 3, t: "sum", fin: func(reply) { r.replies++ }}
	c.pending[3] = r.p
	r.c = c
	return r
}

type rigConn struct{ r *routeRig }

func (c rigConn) write(_ context.Context, f frame) error {
	c.r.writes = append(c.r.writes, string(f.data))
	return nil
}
func (rigConn) close(int, string) {}
func (rigConn) abort()            {}

// run runs what the client queued for its handler goroutine.
func (r *routeRig) run() {
	s := r.l.lf.events
	for len(s.q) > 0 {
		q := s.q
		s.q = nil
		for _, f := range q {
			f()
		}
	}
}

func (r *routeRig) errTypes() []string {
	var out []string
	for _, err := range r.errs {
		out = append(out, reflect.TypeOf(err).String())
	}
	return out
}

// route is the JavaScript API's decision on b (whole, or its first head
// bytes when head < len(b)).
func routeOf(b []byte, head int) (int32, *routeRig) {
	r := newRouteRig()
	how := int32(routeHeadOnly)
	if head == len(b) {
		how = routeComplete
	}
	act := r.l.routeHead(MessageText, b[:head], len(b), how, int64(r.c.now()))
	r.run()
	return act, r
}

// receiveOf is the Go API's handling of b, told as the action route would
// have returned.
func receiveOf(b []byte) (int32, *routeRig) {
	r := newRouteRig()
	r.c.receive(r.l, MessageText, b, int64(r.c.now()))
	r.run()
	act := int32(actNone)
	switch {
	case r.events > 0:
		act = actEvent
	case r.requests > 0:
		act = actRequest
		r.writes = nil // the reply
	case r.replies > 0:
		act = actReply
	case len(r.writes) == 1 && r.writes[0] == string(wire.PongFrame):
		act = actPong
		r.writes = nil
	}
	return act, r
}

// refRoute is the decision the wire protocol asks for, from the oracle.
func refRoute(b []byte) (act int32, errType string, ok bool) {
	if len(b) > rigReadLimit {
		return actNone, "*sdk.LimitError", true
	}
	e, envOK, valid := refEnvelope(b)
	switch {
	case !valid:
		return 0, "", false
	case !envOK:
		return actNone, "*sdk.MalformedError", true
	case e.Re == 3:
		return actReply, "", true
	case e.Re > 0:
		return actNone, "*sdk.UnexpectedReplyError", true
	case e.ID == 0 && e.Type == "ping":
		return actPong, "", true
	case e.ID == 0 && e.Type == "pong":
		return actNone, "", true
	case e.ID > 0 && e.Type == "sum", e.ID == 0 && e.Type == "chat":
		if e.ID > 0 {
			return actRequest, "", true
		}
		return actEvent, "", true
	}
	return actNone, "*sdk.UnknownTypeError", true
}

// FuzzRoute checks the per-message decision three ways: the browser's
// route on the whole frame, the native receive, and the oracle must agree;
// route on a head of the frame must agree too unless it asks for the
// whole frame, or the frame is malformed after the head (JSON.parse then
// reports it), or has a routing key after data that the head cannot see
// (see scanHead).
func FuzzRoute(f *testing.F) {
	for _, s := range envelopeSeeds {
		f.Add([]byte(s), uint16(len(s)/2))
	}
	f.Add([]byte(`{"type":"sum","re":3,"data":"`+strings.Repeat("x", 400)+`"}`), uint16(30))
	f.Add([]byte(`{"type":"sum","id":4,"data":{}}`), uint16(27))
	f.Add([]byte(`{"type":"summ","id":4,"data":{}}`), uint16(28))
	f.Add([]byte(`{"type":"caht","data":{}}`), uint16(20))
	f.Fuzz(func(t *testing.T, b []byte, cut uint16) {
		ract, rcv := receiveOf(b)
		if !utf8.Valid(b) {
			// Natively such a frame is refused whole; a browser never
			// delivers one (it fails the connection), so route never sees it.
			var me *MalformedError
			if len(b) <= rigReadLimit && (ract != actNone || len(rcv.errs) != 1 || !errors.As(rcv.errs[0], &me) || !strings.Contains(me.Reason, "UTF-8")) {
				t.Fatalf("%q: receive %d %v, want one MalformedError about UTF-8", b, ract, rcv.errs)
			}
			return
		}
		act, rr := routeOf(b, len(b))
		if act != ract || !reflect.DeepEqual(rr.errTypes(), rcv.errTypes()) || !reflect.DeepEqual(rr.writes, rcv.writes) {
			t.Fatalf("%q: route %d %v %q; receive %d %v %q", b, act, rr.errs, rr.writes, ract, rcv.errs, rcv.writes)
		}
		if want, errType, ok := refRoute(b); ok {
			var got string
			if len(rr.errs) > 0 {
				got = reflect.TypeOf(rr.errs[0]).String()
			}
			if act != want || got != errType || len(rr.errs) > 1 {
				t.Fatalf("%q: route %d %v, want %d %s", b, act, rr.errs, want, errType)
			}
		}
		k := int(cut) % (len(b) + 1)
		if k == len(b) {
			return
		}
		hact, hr := routeOf(b, k)
		if hact == actFull {
			if len(hr.errs) > 0 || len(hr.writes) > 0 {
				t.Fatalf("%q head %q: asked for the whole frame after acting: %v %q", b, b[:k], hr.errs, hr.writes)
			}
			return
		}
		full, err := scanEnvelope(b)
		if err != nil && len(b) <= rigReadLimit || repeatsRoutingKey(b) {
			return
		}
		if hact == actEvent && (full.ID > 0 || full.Re > 0) {
			return // the gap route.go documents: an id or re after data, on a type with event handlers
		}
		if hact != act || !reflect.DeepEqual(hr.errTypes(), rr.errTypes()) {
			t.Fatalf("%q: head %q routes %d %v, whole frame %d %v", b, b[:k], hact, hr.errs, act, rr.errs)
		}
	})
}

// optionSeeds are options objects as JSON. In FuzzJSOptions the strings
// "\u0000undefined", "\u0000fn" and "\u0000bigint" stand for the values
// JSON has no form for (see jsValues).
var optionSeeds = []string{
	jsOptionDefaults,
	`null`, `{}`, `[]`, `5`, `"x"`, `true`,
	`{"backof":{}}`,
	`{"heartbeat":{"intervalMS":5}}`,
	`{"queue":{"limit":"10"}}`,
	`{"queue":{"limit":1.5}}`,
	`{"queue":{"limit":1e300}}`,
	`{"queue":{"limit":-1,"bytes":-1,"maxAgeMs":250}}`,
	`{"readLimit":9007199254740992}`,
	`{"readLimit":-9007199254740991}`,
	`{"connectTimeoutMs":1e13}`,
	`{"connectTimeoutMs":-9e12}`,
	`{"requestTimeoutMs":0.5}`,
	`{"backoff":{"initialMs":10,"maxMs":100,"factor":1.5,"jitter":0,"resetAfterMs":0}}`,
	`{"backoff":{"factor":1e308,"jitter":-3}}`,
	`{"backoff":null}`,
	`{"backoff":[]}`,
	`{"backoff":{"initialMs":{"deep":[[[[1]]]]}}}`,
	`{"protocols":["chat","v2.steadyws"]}`,
	`{"protocols":["a b"]}`,
	`{"protocols":["x","x"]}`,
	`{"protocols":[""]}`,
	`{"protocols":["ok",7]}`,
	`{"protocols":"chat"}`,
	`{"raw":1}`, `{"raw":true}`,
	`{"shouldReconnect":"\u0000fn"}`,
	`{"shouldReconnect":true}`,
	`{"maxRetries":"\u0000bigint"}`,
	`{"backof":"\u0000undefined"}`,
	`{"maxRetries":"\u0000undefined","queue":"\u0000undefined"}`,
	`{"protocols":["\u0000undefined"]}`,
	`{"zzz":1,"aaa":2,"backof":3}`,
	`{"readLimit":"` + strings.Repeat("é", 100) + `"}`,
}

// jsValues replaces the stand-ins of optionSeeds in a JSON value.
func jsValues(v any) any {
	switch v := v.(type) {
	case string:
		switch v {
		case "\x00undefined":
			return jsUndefined{}
		case "\x00fn":
			return func(CloseInfo) bool { return false }
		case "\x00bigint":
			return jsOther("5 (a bigint)")
		}
	case []any:
		for i := range v {
			v[i] = jsValues(v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = jsValues(v[k])
		}
	}
	return v
}

// optionsTree writes o back as an options object.
func optionsTree(o Options) map[string]any {
	ms := func(d time.Duration) any { return float64(d) / float64(time.Millisecond) }
	backoff := map[string]any{"initialMs": ms(o.Backoff.Initial), "maxMs": ms(o.Backoff.Max),
		"factor": o.Backoff.Factor, "resetAfterMs": ms(o.Backoff.ResetAfter)}
	switch o.Backoff.Jitter {
	case 0: // the default: left out
	case -1:
		backoff["jitter"] = 0.0 // none
	default:
		backoff["jitter"] = o.Backoff.Jitter
	}
	m := map[string]any{
		"connectTimeoutMs": ms(o.ConnectTimeout),
		"backoff":          backoff,
		"maxRetries":       float64(o.MaxRetries),
		"heartbeat":        map[string]any{"intervalMs": ms(o.Heartbeat.Interval), "timeoutMs": ms(o.Heartbeat.Timeout)},
		"queue":            map[string]any{"limit": float64(o.Queue.Limit), "bytes": float64(o.Queue.Bytes), "maxAgeMs": ms(o.Queue.MaxAge)},
		"readLimit":        float64(o.ReadLimit), "requestTimeoutMs": ms(o.RequestTimeout), "raw": o.Raw,
	}
	if o.Protocols != nil {
		ps := []any{}
		for _, p := range o.Protocols {
			ps = append(ps, p)
		}
		m["protocols"] = ps
	}
	if o.ShouldReconnect != nil {
		m["shouldReconnect"] = o.ShouldReconnect
	}
	return m
}

// sameOptions compares decoded Options; durations may differ by float
// rounding through milliseconds.
func sameOptions(a, b Options) bool {
	near := func(x, y time.Duration) bool {
		d := x - y
		return d >= -1-x/1e9 && d <= 1+x/1e9 || d >= -1+x/1e9 && d <= 1-x/1e9
	}
	return near(a.ConnectTimeout, b.ConnectTimeout) && near(a.Backoff.Initial, b.Backoff.Initial) &&
		near(a.Backoff.Max, b.Backoff.Max) && near(a.Backoff.ResetAfter, b.Backoff.ResetAfter) &&
		a.Backoff.Factor == b.Backoff.Factor && a.Backoff.Jitter == b.Backoff.Jitter && a.MaxRetries == b.MaxRetries &&
		near(a.Heartbeat.Interval, b.Heartbeat.Interval) && near(a.Heartbeat.Timeout, b.Heartbeat.Timeout) &&
		a.Queue.Limit == b.Queue.Limit && a.Queue.Bytes == b.Queue.Bytes && near(a.Queue.MaxAge, b.Queue.MaxAge) &&
		a.ReadLimit == b.ReadLimit && near(a.RequestTimeout, b.RequestTimeout) && a.Raw == b.Raw &&
		slices.Equal(a.Protocols, b.Protocols) && (a.ShouldReconnect == nil) == (b.ShouldReconnect == nil)
}

var rangeOptionRE = regexp.MustCompile(`^steadyws: option ([a-zA-Z]+\.[a-zA-Z]+) must be [^,]+( \(.+\))?, got -?[0-9.e+]+$`)

var badOptionRE = regexp.MustCompile(`^steadyws: (option ([a-zA-Z.]+|protocols\[\d+\]) must be .+, got .+|options must be an object, got .+)$`)

// namesKey reports whether msg is the unknown-key error for path, with no
// suggestion or one among known.
func namesKey(msg, path string, known []string) bool {
	rest, ok := strings.CutPrefix(msg, "steadyws: unknown option "+wire.QuoteShort(path))
	if !ok {
		return false
	}
	if rest == "" {
		return true
	}
	for _, k := range known {
		if rest == " (did you mean "+wire.Quote(k)+"?)" {
			return true
		}
	}
	return false
}

// FuzzJSOptions decodes options objects made from JSON (what JSON.parse
// would give a page, plus undefined, functions and bigints). It must never
// panic; it returns either Options that hold exactly what was given (and
// write back to the same) or an error that names the key: an unknown one
// with a suggestion among the known keys, or a known one with what it must
// be and what it got.
func FuzzJSOptions(f *testing.F) {
	for _, s := range optionSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v any
		if json.Unmarshal(b, &v) != nil {
			return
		}
		v = jsValues(v)
		o, err := decodeJSOptions(v)
		if err != nil {
			msg := err.Error()
			if !utf8.ValidString(msg) || len(msg) > 300 {
				t.Fatalf("%s: error of %d bytes: %q", b, len(msg), msg)
			}
			if _, isType := err.(*optionTypeError); isType {
				if !badOptionRE.MatchString(msg) {
					t.Fatalf("%s: type error %q", b, msg)
				}
				return
			}
			if _, isRange := err.(*optionRangeError); isRange {
				// It names a key of the input whose number is out of range.
				m := rangeOptionRE.FindStringSubmatch(msg)
				if m == nil {
					t.Fatalf("%s: range error %q", b, msg)
				}
				sec, key, _ := strings.Cut(m[1], ".")
				top, _ := v.(map[string]any)
				if inner, _ := top[sec].(map[string]any); inner == nil || inner[key] == nil {
					t.Fatalf("%s: range error %q names a key the input does not set", b, msg)
				}
				return
			}
			// Otherwise it names an unknown key of the input, top-level or
			// in a section, suggesting a known key or nothing.
			sections := map[string][]string{"backoff": jsBackoffKeys, "heartbeat": jsHeartbeatKeys, "queue": jsQueueKeys}
			top, _ := v.(map[string]any)
			for k, x := range top {
				known, path := jsOptionKeys, k
				if !slices.Contains(known, k) {
					if namesKey(msg, path, known) {
						return
					}
					continue
				}
				sec, _ := x.(map[string]any)
				for k2 := range sec {
					if !slices.Contains(sections[k], k2) && namesKey(msg, k+"."+k2, sections[k]) {
						return
					}
				}
			}
			t.Fatalf("%s: error %q is neither a type error nor about an unknown key of the input", b, msg)
		}
		// Accepted: every key is known and every value was taken as is.
		back := optionsTree(o)
		if m, ok := v.(map[string]any); ok {
			for k, x := range m {
				if !slices.Contains(jsOptionKeys, k) {
					t.Fatalf("%s: accepted unknown key %q", b, k)
				}
				if sec, ok := x.(map[string]any); ok {
					for k2 := range sec {
						if _, known := back[k].(map[string]any)[k2]; !known && k2 != "jitter" {
							t.Fatalf("%s: accepted unknown key %s.%s", b, k, k2)
						}
					}
				}
			}
		}
		o2, err := decodeJSOptions(back)
		if err != nil || !sameOptions(o, o2) {
			t.Fatalf("%s: decoded %+v; written back and decoded again: %+v, %v", b, o, o2, err)
		}
		// The client can run on them: defaults fill in, delays are sane.
		d := o.withDefaults()
		for n := range 70 {
			if delay := d.Backoff.delay(n, 0.5); delay < 0 && d.Backoff.Initial > 0 {
				t.Fatalf("%s: backoff delay(%d) = %v", b, n, delay)
			}
		}
	})
}
