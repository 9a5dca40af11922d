package wire

import "testing"

func TestSeq(t *testing.T) {
	for _, c := range []struct {
		in  string
		seq int64
		ok  bool
	}{
		{`{"type":"chat","seq":12,"data":{}}`, 12, true},
		{`{"type":"chat","seq":12 ,"data":{}}`, 12, true},
		{`{"type":"chat","data":{},"seq":9007199254740991}`, 9007199254740991, true},
		{`{"type":"chat","seq":12.5}`, 0, true},
		{`{"type":"chat","seq":"12"}`, 0, true},
		{`{"type":"chat","seq":-1}`, 0, true},
		{`{"type":"chat","seq":}`, 0, false},
	} {
		e, err := Scan([]byte(c.in))
		if (err == nil) != c.ok || e.Seq != c.seq {
			t.Errorf("Scan(%s) = seq %d, %v; want %d, ok %v", c.in, e.Seq, err, c.seq, c.ok)
		}
	}
	if got := string(AppendEvent(nil, "chat", 3, []byte(`{"a":1}`))); got != `{"type":"chat","seq":3,"data":{"a":1}}` {
		t.Errorf("AppendEvent = %s", got)
	}
	if got := string(AppendAck(nil, 7)); got != `{"type":"$ack","seq":7}` {
		t.Errorf("AppendAck = %s", got)
	}
}

func TestHello(t *testing.T) {
	b := AppendHello(nil, "abc_-", 0)
	if string(b) != `{"session":"abc_-","ack":0}` {
		t.Fatalf("AppendHello = %s", b)
	}
	if s, a, err := ScanHello(b); err != nil || s != "abc_-" || a != 0 {
		t.Errorf("ScanHello(%s) = %q %d %v", b, s, a, err)
	}
	if s, a, err := ScanHello([]byte(` { "ack" : 42 , "x":[1,{}], "session":"q" } `)); err != nil || s != "q" || a != 42 {
		t.Errorf("ScanHello, other order = %q %d %v", s, a, err)
	}
	for _, bad := range []string{`{}`, `{"session":"q"}`, `{"session":1,"ack":1}`, `{"session":"q","ack":-1}`, `{"session":"q","ack":01}`, `{"session":"q","ack":1.5}`, `[]`, `{"session":"q","ack":1} x`} {
		if _, _, err := ScanHello([]byte(bad)); err == nil {
			t.Errorf("ScanHello(%s) accepted", bad)
		}
	}
	w := AppendWelcome(nil, 7, true)
	if string(w) != `{"ack":7,"resumed":true}` {
		t.Fatalf("AppendWelcome = %s", w)
	}
	if a, r, err := ScanWelcome(w); err != nil || a != 7 || !r {
		t.Errorf("ScanWelcome(%s) = %d %v %v", w, a, r, err)
	}
	if a, r, err := ScanWelcome(AppendWelcome(nil, 0, false)); err != nil || a != 0 || r {
		t.Errorf("ScanWelcome(not resumed) = %d %v %v", a, r, err)
	}
	for _, bad := range []string{`{"ack":1}`, `{"resumed":true}`, `{"ack":1,"resumed":1}`} {
		if _, _, err := ScanWelcome([]byte(bad)); err == nil {
			t.Errorf("ScanWelcome(%s) accepted", bad)
		}
	}
	if !Reserved("$hello") || Reserved("hello") || Reserved("") {
		t.Error("Reserved")
	}
}
