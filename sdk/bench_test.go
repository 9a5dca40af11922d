package sdk

import (
	"strings"
	"testing"

	"github.com/steadyws/steadyws/sdk/internal/wire"
)

var benchSmall = []byte(`{"type":"echo","re":12345,"data":{"n":12345,"text":"hello, world","ok":true}}`)
var benchLarge = []byte(`{"type":"echo","re":7,"data":{"blob":"` + strings.Repeat("x", 64<<10) + `"}}`)

func BenchmarkScanEnvelopeSmall(b *testing.B) {
	b.SetBytes(int64(len(benchSmall)))
	for b.Loop() {
		if _, err := scanEnvelope(benchSmall); err != nil {
			b.Fatal(err)
		}
	}
}

// The whole-message scan skips over 64 KiB of data without decoding it.
func BenchmarkScanEnvelope64K(b *testing.B) {
	b.SetBytes(int64(len(benchLarge)))
	for b.Loop() {
		if _, err := scanEnvelope(benchLarge); err != nil {
			b.Fatal(err)
		}
	}
}

// The browser's per-message path reads only the head of a message.
func BenchmarkScanHead(b *testing.B) {
	head := benchLarge[:128]
	for b.Loop() {
		if _, err := scanHead(head); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendEnvelope(b *testing.B) {
	data := []byte(`{"n":12345,"text":"hello, world"}`)
	buf := make([]byte, 0, 128)
	for b.Loop() {
		buf = wire.Append(buf[:0], "echo", "id", 12345, "data", data)
	}
}

func BenchmarkQueuePushPop(b *testing.B) {
	var q sendQueue
	f := bytesFrame(MessageText, benchSmall)
	for b.Loop() {
		for range 100 {
			q.push(queued{frame: f})
		}
		for range 100 {
			q.pop()
		}
	}
}
