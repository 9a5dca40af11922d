package main

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// defaultGap is where steadyws.wasm compressed best (brotli -q 11, Go
// 1.26): gaps of 16 joined almost nothing (Go splits at runs of 8 zeros),
// 32 left 138 segments, 64 left 9 and was the smallest, 128 and more
// joined across larger holes and grew again.
const defaultGap = 64

const (
	dataSection      = 11
	dataCountSection = 12 // would have to match the new count; Go writes none
)

var wasmHeader = []byte{0, 'a', 's', 'm', 1, 0, 0, 0}

// segment is an active data segment for memory 0 at a constant offset, the
// only kind Go's linker writes.
type segment struct {
	offset uint32
	data   []byte
}

// join returns module with its data segments joined, and how many segments
// there were before and after. A module it does not understand is an error,
// never a guess.
func join(module []byte, gap int) (out []byte, before, after int, err error) {
	if !bytes.HasPrefix(module, wasmHeader) {
		return nil, 0, 0, errors.New("not a wasm module (version 1)")
	}
	out = append(out, wasmHeader...)
	r := reader{b: module, i: len(wasmHeader)}
	seen := false
	for r.i < len(r.b) {
		id := r.byte()
		size := r.u32()
		body := r.bytes(int(size))
		if r.err != nil {
			return nil, 0, 0, r.err
		}
		if id == dataCountSection {
			return nil, 0, 0, errors.New("a data count section is not handled")
		}
		if id != dataSection {
			out = appendSection(out, id, body)
			continue
		}
		if seen {
			return nil, 0, 0, errors.New("two data sections")
		}
		seen = true
		segs, err := parseData(body)
		if err != nil {
			return nil, 0, 0, err
		}
		joined := joinSegments(segs, gap)
		out = appendSection(out, id, encodeData(joined))
		before, after = len(segs), len(joined)
	}
	if !seen {
		return nil, 0, 0, errors.New("no data section")
	}
	return out, before, after, nil
}

func parseData(body []byte) ([]segment, error) {
	r := reader{b: body}
	n := r.u32()
	segs := make([]segment, 0, n)
	for k := uint32(0); k < n && r.err == nil; k++ {
		flags := r.u32()
		op := r.byte()
		offset := r.s32()
		endOp := r.byte()
		if r.err == nil && (flags != 0 || op != 0x41 || endOp != 0x0b) {
			return nil, fmt.Errorf("segment %d: only active segments at an i32.const offset are handled (flags %d, opcode %#x)", k, flags, op)
		}
		data := r.bytes(int(r.u32()))
		if r.err != nil {
			break
		}
		segs = append(segs, segment{offset: uint32(offset), data: data})
	}
	if r.err == nil && r.i != len(body) {
		r.err = errors.New("trailing bytes in the data section")
	}
	if r.err != nil {
		return nil, r.err
	}
	// Go writes each of its sections' segments in order, but not the
	// sections. Segments that do not overlap may be applied in any order.
	slices.SortStableFunc(segs, func(a, b segment) int { return cmp.Compare(a.offset, b.offset) })
	for k := 1; k < len(segs); k++ {
		if end := uint64(segs[k-1].offset) + uint64(len(segs[k-1].data)); uint64(segs[k].offset) < end {
			return nil, fmt.Errorf("data segments at %#x and %#x overlap", segs[k-1].offset, segs[k].offset)
		}
	}
	return segs, nil
}

// joinSegments merges each segment into the one before it when at most gap
// zero bytes lie between them. segs are sorted and do not overlap.
func joinSegments(segs []segment, gap int) []segment {
	var out []segment
	for _, s := range segs {
		if len(out) > 0 {
			last := &out[len(out)-1]
			end := uint64(last.offset) + uint64(len(last.data))
			if uint64(s.offset)-end <= uint64(gap) {
				// Copy before growing: last.data may alias the input module.
				grown := make([]byte, int(uint64(s.offset)-uint64(last.offset)), int(uint64(s.offset)-uint64(last.offset))+len(s.data))
				copy(grown, last.data)
				last.data = append(grown, s.data...)
				continue
			}
		}
		out = append(out, s)
	}
	return out
}

func encodeData(segs []segment) []byte {
	b := appendU32(nil, uint32(len(segs)))
	for _, s := range segs {
		b = append(b, 0, 0x41)
		b = appendS32(b, int32(s.offset))
		b = append(b, 0x0b)
		b = appendU32(b, uint32(len(s.data)))
		b = append(b, s.data...)
	}
	return b
}

func appendSection(b []byte, id byte, body []byte) []byte {
	b = append(b, id)
	b = appendU32(b, uint32(len(body)))
	return append(b, body...)
}

func appendU32(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendS32(b []byte, v int32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// reader decodes the wasm binary format; the first error sticks.
type reader struct {
	b   []byte
	i   int
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("truncated or malformed module at byte %d (%s)", r.i, what)
	}
}

func (r *reader) byte() byte {
	if r.err != nil || r.i >= len(r.b) {
		r.fail("byte")
		return 0
	}
	r.i++
	return r.b[r.i-1]
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b)-r.i {
		r.fail("bytes")
		return nil
	}
	r.i += n
	return r.b[r.i-n : r.i]
}

func (r *reader) u32() uint32 {
	var v uint32
	for shift := 0; shift < 35; shift += 7 {
		c := r.byte()
		v |= uint32(c&0x7f) << shift
		if c&0x80 == 0 {
			return v
		}
	}
	r.fail("u32")
	return 0
}

func (r *reader) s32() int32 {
	var v int32
	for shift := 0; shift < 35; shift += 7 {
		c := r.byte()
		v |= int32(c&0x7f) << shift
		if c&0x80 == 0 {
			if shift < 25 && c&0x40 != 0 {
				v |= -1 << (shift + 7)
			}
			return v
		}
	}
	r.fail("s32")
	return 0
}
