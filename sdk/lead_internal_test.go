//go:build !js

package sdk

import (
	"encoding/binary"
	"testing"
)

// frameBytes is a server's frame of n payload bytes, masked or not.
func frameBytes(n int, masked bool) []byte {
	var b []byte
	b = append(b, 0x81)
	m := byte(0)
	if masked {
		m = 0x80
	}
	switch {
	case n < 126:
		b = append(b, m|byte(n))
	case n < 1<<16:
		b = append(b, m|126, byte(n>>8), byte(n))
	default:
		b = append(b, m|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	if masked {
		b = append(b, 1, 2, 3, 4)
	}
	return append(b, make([]byte, n)...)
}

// TestFramePosFindsBoundaries feeds frames of every length class, split at
// every byte and in chunks, and checks that framePos is at a boundary
// exactly where a frame ends: a leader's read is given up only there.
func TestFramePosFindsBoundaries(t *testing.T) {
	var stream []byte
	ends := map[int]bool{0: true}
	for _, n := range []int{0, 1, 125, 126, 127, 300, 65535, 65536, 70000} {
		for _, masked := range []bool{false, true} {
			stream = append(stream, frameBytes(n, masked)...)
			ends[len(stream)] = true
		}
	}
	for _, chunk := range []int{1, 2, 3, 7, 13, 4096, len(stream)} {
		var f framePos
		for i := 0; i < len(stream); i += chunk {
			j := min(i+chunk, len(stream))
			f.feed(stream[i:j])
			if chunk == 1 && f.boundary() != ends[j] {
				t.Fatalf("chunk %d: after %d bytes boundary()=%v, want %v", chunk, j, f.boundary(), ends[j])
			}
			if f.boundary() && !ends[j] {
				t.Fatalf("chunk %d: boundary() after %d bytes, in the middle of a frame", chunk, j)
			}
		}
		if !f.boundary() {
			t.Fatalf("chunk %d: not at a boundary at the end of the stream", chunk)
		}
	}
}

// TestLeadConnArmsAfterHandshake: frames are followed from the end of the
// 101 response, including those read along with it.
func TestLeadConnArmsAfterHandshake(t *testing.T) {
	c := &leadConn{}
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
	c.took([]byte(resp))
	c.took(frameBytes(10, false)[:5]) // a frame read ahead, in part
	if !c.arm() {
		t.Fatal("arm failed after a whole 101 response")
	}
	if c.pos.boundary() {
		t.Fatal("at a boundary in the middle of the first frame")
	}
	c.took(frameBytes(10, false)[5:])
	if !c.pos.boundary() {
		t.Fatal("not at a boundary after the first frame")
	}

	big := &leadConn{}
	big.took(make([]byte, maxHandshakeRecord+1))
	if big.arm() {
		t.Fatal("armed after a response too large to look into")
	}
}
