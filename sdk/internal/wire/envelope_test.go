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
