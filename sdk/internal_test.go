package sdk

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/steadyws/steadyws/sdk/internal/wire"
)

func TestBackoffDelayBounds(t *testing.T) {
	b := (&Options{}).withDefaults().Backoff
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 40; n++ {
		d := math.Min(float64(b.Max), float64(b.Initial)*math.Pow(b.Factor, float64(n)))
		lo, hi := time.Duration(d*(1-b.Jitter)), time.Duration(d)
		for i := 0; i < 1000; i++ {
			got := b.delay(n, rng.Float64())
			if got < lo || got > hi {
				t.Fatalf("attempt %d: delay %v outside [%v, %v]", n, got, lo, hi)
			}
		}
	}
	// Jitter lands after the cap: at the cap the whole range is used.
	if got := b.delay(100, 0.999); got > b.Max/2+b.Max/500 {
		t.Fatalf("capped delay with r≈1 = %v, want ≈ Max·(1−Jitter) = %v", got, b.Max/2)
	}
	if got := b.delay(100, 0); got != b.Max {
		t.Fatalf("capped delay with r=0 = %v, want Max %v", got, b.Max)
	}
	noJitter := (&Options{Backoff: Backoff{Jitter: -1}}).withDefaults().Backoff
	for n, want := range []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second} {
		if got := noJitter.delay(n, 0.7); got != want {
			t.Fatalf("no jitter: delay(%d) = %v, want %v", n, got, want)
		}
	}
}

func TestOptionsDefaultsDoNotTouchCaller(t *testing.T) {
	in := &Options{Protocols: []string{"a"}, Heartbeat: Heartbeat{Interval: -1}}
	o := in.withDefaults()
	if in.ConnectTimeout != 0 || in.Queue.Limit != 0 {
		t.Fatal("withDefaults changed the caller's Options")
	}
	o.Protocols[0] = "b"
	if in.Protocols[0] != "a" {
		t.Fatal("Options share the Protocols slice with the caller")
	}
	if o.ConnectTimeout != DefaultConnectTimeout || o.Queue.Limit != DefaultQueueLimit || o.Queue.Bytes != DefaultQueueBytes ||
		o.ReadLimit != DefaultReadLimit || o.RequestTimeout != DefaultRequestTimeout || o.Backoff.ResetAfter != DefaultBackoffResetAfter ||
		o.Heartbeat.Interval != -1 || o.Heartbeat.Timeout != DefaultHeartbeatTimeout {
		t.Fatalf("defaults not applied as documented: %+v", o)
	}
}

func TestReconnectPolicy(t *testing.T) {
	for code, want := range map[int]bool{1000: true, 1001: true, 1006: true, 1011: true, 1012: true, 1013: true,
		1002: false, 1003: false, 1008: false, 4400: false, 4499: false, 4000: true, 4500: true} {
		if got := reconnectAfterClose(code); got != want {
			t.Errorf("close %d: reconnect = %v, want %v", code, got, want)
		}
	}
	for status, want := range map[int]bool{429: true, 500: true, 502: true, 503: true, 408: true,
		400: false, 401: false, 403: false, 404: false} {
		if got := reconnectAfterStatus(status); got != want {
			t.Errorf("handshake %d: reconnect = %v, want %v", status, got, want)
		}
	}
}

func TestScanEnvelope(t *testing.T) {
	e, err := scanEnvelope([]byte(` {"data":{"x":[1,"}",{"y":null}]},"re":7,"type":"s\u0075m","extra":true} `))
	if err != nil {
		t.Fatal(err)
	}
	if e.Type != "sum" || e.Re != 7 || e.ID != 0 || string(e.Data) != `{"x":[1,"}",{"y":null}]}` {
		t.Fatalf("got %+v (data %s)", e, e.Data)
	}
	e, err = scanEnvelope([]byte(`{"type":"chat","id":12,"data":"a\"b"}`))
	if err != nil || e.ID != 12 || string(e.Data) != `"a\"b"` {
		t.Fatalf("got %+v, %v", e, err)
	}
	e, err = scanEnvelope([]byte(`{"type":"x","re":3,"error":{"code":"bad_args","message":"no \"a\""}}`))
	if err != nil {
		t.Fatal(err)
	}
	if re := decodeRemoteError("x", e.Error); re.Code != "bad_args" || re.Message != `no "a"` {
		t.Fatalf("remote error = %+v", re)
	}
	for _, bad := range []string{``, `[]`, `{`, `{"type":1}`, `{"data":{}}`, `{"type":"a","id":-1}`, `{"type":"a","id":1.5}`,
		`{"type":"a"} x`, `{"type":"a","data":{"b":}`, `{"type":"a","id":1,"re":2}`, `{"type":"a",}`, `not json`, `{"type":"a","data":tru}`} {
		var me *MalformedError
		if _, err := scanEnvelope([]byte(bad)); !errors.As(err, &me) {
			t.Errorf("scanEnvelope(%q) = %v, want *MalformedError", bad, err)
		}
	}
}

func TestAppendEnvelopeRoundTrip(t *testing.T) {
	for _, typ := range []string{"chat", `q"uote\`, "ünï\u2028", "ctl\x01", "bad\xff"} {
		b := wire.Append(nil, typ, "id", 42, "data", []byte(`{"a":1}`))
		e, err := scanEnvelope(b)
		if err != nil {
			t.Fatalf("%q: %v in %s", typ, err, b)
		}
		want := typ
		if typ == "bad\xff" {
			want = "bad\uFFFD"
		}
		if e.Type != want || e.ID != 42 || string(e.Data) != `{"a":1}` {
			t.Fatalf("%q: round trip gave %+v", typ, e)
		}
	}
	if got := string(wire.Append(nil, "ping", "", 0, "data", nil)); got != `{"type":"ping"}` {
		t.Fatalf("got %s", got)
	}
}

func TestSendQueue(t *testing.T) {
	var q sendQueue
	p := &pending{id: 1}
	for i := 0; i < 5; i++ {
		it := queued{frame: bytesFrame(MessageText, []byte{byte(i)})}
		if i == 2 {
			it.p = p
		}
		q.push(it)
	}
	q.remove(p)
	first, _ := q.pop()
	q.pushFront(first)
	var got []byte
	for it, ok := q.pop(); ok; it, ok = q.pop() {
		got = append(got, it.data[0])
	}
	if string(got) != "\x00\x01\x03\x04" || q.bytes != 0 || q.len() != 0 {
		t.Fatalf("queue gave %v, bytes %d", got, q.bytes)
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"chat", "join", "presence"}
	for in, want := range map[string]string{"caht": "chat", "chats": "chat", "presense": "presence", "zzzzzz": ""} {
		if got := suggest(in, known); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}
