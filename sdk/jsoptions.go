package sdk

import (
	"errors"
	"math"
	"strconv"

	"github.com/steadyws/steadyws/sdk/internal/wire"
)

// The JavaScript API's options object, decoded. The browser build turns the
// object a page passes to connect(url, options) into a tree of plain values
// (jsapi_js.go) and hands it to decodeJSOptions, which is platform
// independent so that the checks a page relies on are fuzzed natively from
// JSON (FuzzJSOptions). The tree is what JSON.parse makes — nil for null,
// bool, float64, string, []any, map[string]any — plus jsUndefined, a
// func(CloseInfo) bool for any function, and jsOther for the values JSON
// has no form for.

// jsUndefined is JavaScript's undefined: an option set to it is absent.
type jsUndefined struct{}

// jsOther is a JavaScript value JSON cannot hold (a bigint, a symbol),
// described for error messages: "5 (a bigint)".
type jsOther string

// optionTypeError is an option of the wrong type or not representable;
// the JavaScript API throws it as a TypeError.
type optionTypeError struct{ msg string }

func (e *optionTypeError) Error() string { return e.msg }

// The keys of the options object and of its sections, in the order in which
// their values are checked.
var (
	jsOptionKeys    = []string{"protocols", "connectTimeoutMs", "backoff", "maxRetries", "heartbeat", "queue", "readLimit", "requestTimeoutMs", "raw", "reliable", "shouldReconnect"}
	jsBackoffKeys   = []string{"initialMs", "maxMs", "factor", "jitter", "resetAfterMs"}
	jsHeartbeatKeys = []string{"intervalMs", "timeoutMs"}
	jsQueueKeys     = []string{"limit", "bytes", "maxAgeMs"}
)

// Limits of numeric options: a time.Duration holds ±292 years, and
// JavaScript numbers hold integers exactly up to 2^53.
const (
	maxOptionMs  = 9e12 // about 285 years
	maxOptionInt = 1<<53 - 1
)

// decodeJSOptions reads the options object of connect(url, options). It
// refuses unknown keys, suggesting the closest known one, and values of the
// wrong type or out of range, naming the key and what was given. null or
// undefined options mean defaults. Times are milliseconds; a jitter of 0
// means none (in Options, 0 means the default).
func decodeJSOptions(v any) (Options, error) {
	var o Options
	if _, undef := v.(jsUndefined); v == nil || undef {
		return o, nil
	}
	d := &optDecoder{}
	m := d.object("", v, jsOptionKeys)
	if p, ok := present(m, "protocols"); ok {
		o.Protocols = d.protocols(p)
	}
	d.number(m, "connectTimeoutMs", optMs, &o.ConnectTimeout)
	b := d.section(m, "backoff", jsBackoffKeys)
	d.number(b, "backoff.initialMs", optMs, &o.Backoff.Initial)
	d.number(b, "backoff.maxMs", optMs, &o.Backoff.Max)
	d.number(b, "backoff.factor", optFloat, &o.Backoff.Factor)
	if d.number(b, "backoff.jitter", optFloat, &o.Backoff.Jitter) && o.Backoff.Jitter == 0 {
		o.Backoff.Jitter = -1
	}
	d.number(b, "backoff.resetAfterMs", optMs, &o.Backoff.ResetAfter)
	d.number(m, "maxRetries", optInt, &o.MaxRetries)
	h := d.section(m, "heartbeat", jsHeartbeatKeys)
	d.number(h, "heartbeat.intervalMs", optMs, &o.Heartbeat.Interval)
	d.number(h, "heartbeat.timeoutMs", optMs, &o.Heartbeat.Timeout)
	q := d.section(m, "queue", jsQueueKeys)
	d.number(q, "queue.limit", optInt, &o.Queue.Limit)
	d.number(q, "queue.bytes", optInt, &o.Queue.Bytes)
	d.number(q, "queue.maxAgeMs", optMs, &o.Queue.MaxAge)
	d.number(m, "readLimit", optInt, &o.ReadLimit)
	d.number(m, "requestTimeoutMs", optMs, &o.RequestTimeout)
	if v, ok := present(m, "raw"); ok {
		if b, isBool := v.(bool); isBool {
			o.Raw = b
		} else {
			d.fail("raw", "a boolean", v)
		}
	}
	if v, ok := present(m, "reliable"); ok {
		if b, isBool := v.(bool); isBool {
			o.Reliable = b
		} else {
			d.fail("reliable", "a boolean", v)
		}
	}
	if v, ok := present(m, "shouldReconnect"); ok {
		if f, isFunc := v.(func(CloseInfo) bool); isFunc {
			o.ShouldReconnect = f
		} else {
			d.fail("shouldReconnect", "a function", v)
		}
	}
	if d.err != nil {
		return Options{}, d.err
	}
	if err := o.check(); err != nil {
		return Options{}, &optionRangeError{jsOptionText(err.(*OptionError))}
	}
	return o, nil
}

// optionRangeError is an option out of its range; the JavaScript API
// throws it as a RangeError.
type optionRangeError struct{ msg string }

func (e *optionRangeError) Error() string { return e.msg }

// jsOptionText is an *OptionError's message with the option's JavaScript
// key and units: "Heartbeat.Timeout" is heartbeat.timeoutMs there.
func jsOptionText(e *OptionError) string {
	key := []byte(e.Field)
	key[0] += 'a' - 'A'
	for i := range key {
		if key[i] == '.' {
			key[i+1] += 'a' - 'A'
		}
	}
	v, allowed := e.Value, e.Allowed
	if e.Duration {
		key = append(key, "Ms"...)
		v /= 1e6
	}
	if e.Field == "Backoff.Jitter" {
		allowed = "at most 1 (0 or negative: none)"
	}
	return "steadyws: option " + string(key) + " must be " + allowed + ", got " + strconv.FormatFloat(v, 'g', -1, 64)
}

// jsOptionDefaults is the defaults as the JSON of an options object, for
// the JavaScript API's DEFAULTS to be checked against. A test checks it
// against the Default constants: a literal costs the browser build far
// less than code building it.
const jsOptionDefaults = `{"protocols":[],"connectTimeoutMs":10000,` +
	`"backoff":{"initialMs":500,"maxMs":30000,"factor":2,"jitter":0.5,"resetAfterMs":5000},` +
	`"maxRetries":0,"heartbeat":{"intervalMs":25000,"timeoutMs":10000},` +
	`"queue":{"limit":1000,"bytes":1048576,"maxAgeMs":0},` +
	`"readLimit":1048576,"requestTimeoutMs":10000,"raw":false,"reliable":false}`

// optDecoder keeps the first problem found; later checks do nothing.
type optDecoder struct{ err error }

// present returns m[key] unless it is missing or undefined.
func present(m map[string]any, key string) (any, bool) {
	v, ok := m[key]
	if _, undef := v.(jsUndefined); undef {
		return nil, false
	}
	return v, ok
}

func (d *optDecoder) fail(path, want string, v any) {
	if d.err == nil {
		d.err = &optionTypeError{"steadyws: option " + path + " must be " + want + ", got " + describe(v)}
	}
}

// object returns v, the options object (path "") or a section of it, as a
// map whose keys are all known; nil after an error. Of several unknown keys
// the first in byte order is reported, so that the error does not depend
// on map order.
func (d *optDecoder) object(path string, v any, known []string) map[string]any {
	if d.err != nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		if path == "" {
			d.err = &optionTypeError{"steadyws: options must be an object, got " + describe(v)}
		} else {
			d.fail(path, "an object", v)
		}
		return nil
	}
	bad, found := "", false
next:
	for k := range m {
		for _, kk := range known {
			if k == kk {
				continue next
			}
		}
		if !found || k < bad {
			bad, found = k, true
		}
	}
	if found {
		full := bad
		if path != "" {
			full = path + "." + bad
		}
		msg := "steadyws: unknown option " + wire.QuoteShort(full)
		if s := suggest(bad, known); s != "" {
			msg += " (did you mean " + wire.Quote(s) + "?)"
		}
		d.err = errors.New(msg)
		return nil
	}
	return m
}

// section returns the object m[key], nil when it is absent.
func (d *optDecoder) section(m map[string]any, key string, known []string) map[string]any {
	if v, ok := present(m, key); ok {
		return d.object(key, v, known)
	}
	return nil
}

// protocols reads WebSocket subprotocols: distinct HTTP tokens, as the
// browser's WebSocket constructor demands, and not so many that checking
// them for duplicates would take long (the handshake could not carry them).
func (d *optDecoder) protocols(v any) []string {
	a, ok := v.([]any)
	if !ok || len(a) > 1024 {
		d.fail("protocols", "an array of at most 1024 strings", v)
		return nil
	}
	out := make([]string, 0, len(a))
	for i, e := range a {
		path := "protocols[" + strconv.Itoa(i) + "]"
		s, ok := e.(string)
		switch {
		case !ok:
			d.fail(path, "a string", e)
		case !isToken(s):
			d.fail(path, "a token (letters, digits and !#$%&'*+-.^_`|~)", e)
		}
		for _, p := range out {
			if p == s {
				d.fail(path, "different from the protocols before it", e)
			}
		}
		if d.err != nil {
			return nil
		}
		out = append(out, s)
	}
	return out
}

// isToken reports whether s is an HTTP token (RFC 9110), which a
// subprotocol must be.
func isToken(s string) bool {
	const tchar = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	for i := 0; i < len(s); i++ {
		j := 0
		for j < len(tchar) && tchar[j] != s[i] {
			j++
		}
		if j == len(tchar) {
			return false
		}
	}
	return s != ""
}

// Kinds of numeric option.
const (
	optMs    = iota // milliseconds, into a time.Duration
	optFloat        // a finite number, into a float64
	optInt          // an integer, into an int or int64
)

// number reads the option m[path's last key] into p when it is present.
func (d *optDecoder) number(m map[string]any, path string, kind int, p any) bool {
	key := path
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '.' {
			key = path[i+1:]
			break
		}
	}
	v, ok := present(m, key)
	if !ok || d.err != nil {
		return false
	}
	f, isNum := v.(float64)
	limit, want := maxOptionMs, "a number of milliseconds from -9e12 to 9e12"
	if kind == optFloat {
		limit, want = math.MaxFloat64, "a finite number"
	} else if kind == optInt {
		limit, want = maxOptionInt, "an integer from -(2^53-1) to 2^53-1"
	}
	switch {
	case !isNum:
		d.fail(path, "a number", v)
		return false
	case f != f || f > limit || f < -limit || kind == optInt && f != math.Trunc(f):
		d.fail(path, want, v)
		return false
	}
	switch p := p.(type) {
	case *duration:
		*p = duration(f * float64(millisecond))
	case *float64:
		*p = f
	case *int:
		*p = int(f)
	case *int64:
		*p = int64(f)
	}
	return true
}

// describe names a value for an error message, as a page author would
// write it.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case jsUndefined:
		return "undefined"
	case bool:
		if v {
			return "true (a boolean)"
		}
		return "false (a boolean)"
	case float64:
		if formatNumber == nil || v == math.Trunc(v) && math.Abs(v) < 1e18 {
			return strconv.FormatInt(int64(v), 10) + " (a number)"
		}
		return formatNumber(v) + " (a number)"
	case string:
		return wire.QuoteShort(v) + " (a string)"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	case func(CloseInfo) bool:
		return "a function"
	case jsOther:
		return string(v)
	}
	return "a value of an unexpected kind"
}

// formatNumber writes a number for an error message. The browser build sets
// it to JavaScript's String(f), which costs it nothing, where strconv's
// float formatting would weigh on it; natively only tests decode options
// (and set it), and integers are written without it.
var formatNumber func(f float64) string
