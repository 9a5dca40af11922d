package sdk

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// numbersLikeJS makes natively formatted numbers read as the browser's
// String(f) writes them (the browser build sets formatNumber itself).
func numbersLikeJS(t *testing.T) {
	if formatNumber != nil {
		return
	}
	formatNumber = func(f float64) string {
		if math.IsInf(f, 0) {
			return map[bool]string{true: "Infinity", false: "-Infinity"}[f > 0]
		}
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	t.Cleanup(func() { formatNumber = nil })
}

func TestJSOptionDefaultsAreTheDefaults(t *testing.T) {
	var v any
	if err := json.Unmarshal([]byte(jsOptionDefaults), &v); err != nil {
		t.Fatal(err)
	}
	o, err := decodeJSOptions(v)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := o.withDefaults(), (&Options{}).withDefaults(); !sameDefaults(got, want) {
		t.Fatalf("jsOptionDefaults decodes to\n%+v\nwant the defaults\n%+v", got, want)
	}
}

func sameDefaults(a, b Options) bool {
	return a.ConnectTimeout == b.ConnectTimeout && a.Backoff == b.Backoff && a.MaxRetries == b.MaxRetries &&
		a.Heartbeat == b.Heartbeat && a.Queue == b.Queue && a.ReadLimit == b.ReadLimit &&
		a.RequestTimeout == b.RequestTimeout && a.Raw == b.Raw && len(a.Protocols) == len(b.Protocols)
}

func TestDecodeJSOptions(t *testing.T) {
	numbersLikeJS(t)
	retry := func(CloseInfo) bool { return true }
	o, err := decodeJSOptions(map[string]any{
		"protocols":        []any{"chat", "v2.steadyws"},
		"connectTimeoutMs": 2500.0,
		"backoff":          map[string]any{"initialMs": 10.0, "jitter": 0.0, "factor": 1.5, "maxMs": jsUndefined{}},
		"maxRetries":       3.0,
		"heartbeat":        map[string]any{"intervalMs": -1.0},
		"queue":            map[string]any{"limit": -1.0, "maxAgeMs": 0.25},
		"readLimit":        -1.0,
		"raw":              true,
		"shouldReconnect":  retry,
		"requestTimeoutMs": jsUndefined{},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Protocols) != 2 || o.Protocols[1] != "v2.steadyws" || o.ConnectTimeout != 2500*time.Millisecond ||
		o.Backoff.Initial != 10*time.Millisecond || o.Backoff.Jitter != -1 || o.Backoff.Factor != 1.5 || o.Backoff.Max != 0 ||
		o.MaxRetries != 3 || o.Heartbeat.Interval != -time.Millisecond || o.Queue.Limit != -1 || o.Queue.MaxAge != 250*time.Microsecond ||
		o.ReadLimit != -1 || !o.Raw || o.ShouldReconnect == nil || o.RequestTimeout != 0 {
		t.Fatalf("decoded %+v", o)
	}
	for _, v := range []any{nil, jsUndefined{}, map[string]any{}} {
		if _, err := decodeJSOptions(v); err != nil {
			t.Errorf("decodeJSOptions(%#v) = %v, want defaults", v, err)
		}
	}

	const (
		ms   = "a number of milliseconds from -9e12 to 9e12"
		ints = "an integer from -(2^53-1) to 2^53-1"
	)
	for _, c := range []struct {
		in      any
		want    string
		typeErr bool
	}{
		{map[string]any{"backof": map[string]any{}}, `steadyws: unknown option "backof" (did you mean "backoff"?)`, false},
		{map[string]any{"backof": jsUndefined{}}, `steadyws: unknown option "backof" (did you mean "backoff"?)`, false},
		{map[string]any{"heartbeat": map[string]any{"intervalMS": 5.0}}, `steadyws: unknown option "heartbeat.intervalMS" (did you mean "intervalMs"?)`, false},
		{map[string]any{"zzzzzzzz": 1.0, "yyyyyyyy": 2.0}, `steadyws: unknown option "yyyyyyyy"`, false},
		{map[string]any{"queue": map[string]any{"limit": "10"}}, `steadyws: option queue.limit must be a number, got "10" (a string)`, true},
		{map[string]any{"queue": map[string]any{"limit": 1.5}}, `steadyws: option queue.limit must be ` + ints + `, got 1.5 (a number)`, true},
		{map[string]any{"readLimit": 1e300}, `steadyws: option readLimit must be ` + ints + `, got 1e+300 (a number)`, true},
		{map[string]any{"connectTimeoutMs": math.NaN()}, `steadyws: option connectTimeoutMs must be ` + ms + `, got NaN (a number)`, true},
		{map[string]any{"requestTimeoutMs": math.Inf(1)}, `steadyws: option requestTimeoutMs must be ` + ms + `, got Infinity (a number)`, true},
		{map[string]any{"backoff": map[string]any{"factor": math.Inf(-1)}}, `steadyws: option backoff.factor must be a finite number, got -Infinity (a number)`, true},
		{map[string]any{"maxRetries": jsOther("5 (a bigint)")}, `steadyws: option maxRetries must be a number, got 5 (a bigint)`, true},
		{map[string]any{"maxRetries": jsOther("Symbol(x) (a symbol)")}, `steadyws: option maxRetries must be a number, got Symbol(x) (a symbol)`, true},
		{map[string]any{"maxRetries": nil}, `steadyws: option maxRetries must be a number, got null`, true},
		{map[string]any{"raw": 1.0}, `steadyws: option raw must be a boolean, got 1 (a number)`, true},
		{map[string]any{"shouldReconnect": true}, `steadyws: option shouldReconnect must be a function, got true (a boolean)`, true},
		{map[string]any{"backoff": nil}, `steadyws: option backoff must be an object, got null`, true},
		{map[string]any{"backoff": []any{}}, `steadyws: option backoff must be an object, got an array`, true},
		{map[string]any{"queue": retry}, `steadyws: option queue must be an object, got a function`, true},
		{map[string]any{"backoff": map[string]any{"initialMs": map[string]any{}}}, `steadyws: option backoff.initialMs must be a number, got an object`, true},
		{map[string]any{"protocols": "chat"}, `steadyws: option protocols must be an array of at most 1024 strings, got "chat" (a string)`, true},
		{map[string]any{"protocols": []any{"ok", 7.0}}, `steadyws: option protocols[1] must be a string, got 7 (a number)`, true},
		{map[string]any{"protocols": []any{jsUndefined{}}}, `steadyws: option protocols[0] must be a string, got undefined`, true},
		{map[string]any{"protocols": []any{"a b"}}, "steadyws: option protocols[0] must be a token (letters, digits and !#$%&'*+-.^_`|~), got \"a b\" (a string)", true},
		{map[string]any{"protocols": []any{""}}, "steadyws: option protocols[0] must be a token (letters, digits and !#$%&'*+-.^_`|~), got \"\" (a string)", true},
		{map[string]any{"protocols": []any{"x", "x"}}, `steadyws: option protocols[1] must be different from the protocols before it, got "x" (a string)`, true},
		{map[string]any{"protocols": make([]any, 1025)}, `steadyws: option protocols must be an array of at most 1024 strings, got an array`, true},
		{map[string]any{"readLimit": strings.Repeat("0123456789", 7)}, `steadyws: option readLimit must be a number, got "` + strings.Repeat("0123456789", 6) + `0123"… (a string)`, true},
		{map[string]any{strings.Repeat("x", 100): 1.0}, `steadyws: unknown option "` + strings.Repeat("x", 64) + `"…`, false},
		{5.0, `steadyws: options must be an object, got 5 (a number)`, true},
		{[]any{}, `steadyws: options must be an object, got an array`, true},
		{retry, `steadyws: options must be an object, got a function`, true},
	} {
		_, err := decodeJSOptions(c.in)
		if err == nil || err.Error() != c.want {
			t.Errorf("decodeJSOptions(%v)\n = %v\nwant %s", c.in, err, c.want)
			continue
		}
		if _, isRange := err.(*optionRangeError); isRange {
			t.Errorf("%s: a RangeError in JavaScript, want a TypeError or Error", c.want)
		}
		if _, isType := err.(*optionTypeError); isType != c.typeErr {
			t.Errorf("%s: a TypeError in JavaScript: %v, want %v", c.want, isType, c.typeErr)
		}
	}
}

// Numbers of the right type but out of range are a RangeError in
// JavaScript, naming the key in JavaScript's terms (milliseconds).
func TestJSOptionsOutOfRange(t *testing.T) {
	for _, c := range []struct {
		in   any
		want string
	}{
		{map[string]any{"backoff": map[string]any{"jitter": 2.0}}, `steadyws: option backoff.jitter must be at most 1 (0 or negative: none), got 2`},
		{map[string]any{"backoff": map[string]any{"factor": 0.5}}, `steadyws: option backoff.factor must be at least 1, got 0.5`},
		{map[string]any{"backoff": map[string]any{"initialMs": -100.0}}, `steadyws: option backoff.initialMs must be 0 or more, got -100`},
		{map[string]any{"backoff": map[string]any{"resetAfterMs": -1.0}}, `steadyws: option backoff.resetAfterMs must be 0 or more, got -1`},
		{map[string]any{"heartbeat": map[string]any{"timeoutMs": -5.0}}, `steadyws: option heartbeat.timeoutMs must be 0 or more, got -5`},
		{map[string]any{"queue": map[string]any{"maxAgeMs": -2.5}}, `steadyws: option queue.maxAgeMs must be 0 or more, got -2.5`},
	} {
		_, err := decodeJSOptions(c.in)
		if _, isRange := err.(*optionRangeError); !isRange || err.Error() != c.want {
			t.Errorf("decodeJSOptions(%v) = %T %v\nwant a RangeError %s", c.in, err, err, c.want)
		}
	}
}
