package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// module builds a wasm module: a type section (kept as is), then a data
// section with segs in the order given.
func module(segs ...segment) []byte {
	m := append([]byte(nil), wasmHeader...)
	m = appendSection(m, 1, []byte{1, 0x60, 0, 0}) // one type: func() -> ()
	return appendSection(m, dataSection, encodeData(segs))
}

// memory is linear memory after instantiating m: every data segment
// copied to its offset over zeros.
func memory(t *testing.T, m []byte) []byte {
	t.Helper()
	r := reader{b: m, i: len(wasmHeader)}
	var mem []byte
	for r.i < len(m) {
		id := r.byte()
		body := r.bytes(int(r.u32()))
		if r.err != nil {
			t.Fatal(r.err)
		}
		if id != dataSection {
			continue
		}
		segs, err := parseData(body)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range segs {
			if end := int(s.offset) + len(s.data); end > len(mem) {
				mem = append(mem, make([]byte, end-len(mem))...)
			}
			copy(mem[s.offset:], s.data)
		}
	}
	return mem
}

func TestJoinFillsSmallGapsOnly(t *testing.T) {
	in := module(
		segment{offset: 300, data: []byte{7}},        // a later section of Go's output comes first
		segment{offset: 16, data: []byte{1, 2, 3}},   //
		segment{offset: 19, data: []byte{4}},         // adjacent: joined
		segment{offset: 30, data: []byte{5, 6}},      // 10 zero bytes between: joined at gap 10
		segment{offset: 200, data: []byte{8, 9, 10}}, // 168 between: kept apart
	)
	out, before, after, err := join(in, 10)
	if err != nil {
		t.Fatal(err)
	}
	if before != 5 || after != 3 {
		t.Errorf("joined %d segments into %d, want 5 into 3", before, after)
	}
	if !bytes.Equal(memory(t, in), memory(t, out)) {
		t.Error("memory after instantiation differs")
	}
	want := module(
		segment{offset: 16, data: []byte{1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 6}},
		segment{offset: 200, data: []byte{8, 9, 10}},
		segment{offset: 300, data: []byte{7}},
	)
	if !bytes.Equal(out, want) {
		t.Errorf("join gave\n%x\nwant\n%x", out, want)
	}
	// Joining must not write into the input (segments alias it).
	if !bytes.Equal(in, module(
		segment{offset: 300, data: []byte{7}}, segment{offset: 16, data: []byte{1, 2, 3}},
		segment{offset: 19, data: []byte{4}}, segment{offset: 30, data: []byte{5, 6}},
		segment{offset: 200, data: []byte{8, 9, 10}})) {
		t.Error("join changed its input")
	}
}

func TestJoinLargeOffsets(t *testing.T) {
	// Offsets at and above 2^31 are negative as i32.const immediates.
	in := module(segment{offset: 0x7fffffe0, data: []byte{1}}, segment{offset: 0x80000000, data: []byte{2}})
	out, _, after, err := join(in, 64)
	if err != nil {
		t.Fatal(err)
	}
	if after != 1 {
		t.Errorf("got %d segments, want 1", after)
	}
	r := reader{b: out, i: len(wasmHeader)}
	for r.i < len(out) {
		id := r.byte()
		body := r.bytes(int(r.u32()))
		if id == dataSection {
			segs, err := parseData(body)
			if err != nil || len(segs) != 1 || segs[0].offset != 0x7fffffe0 || len(segs[0].data) != 0x21 || segs[0].data[0x20] != 2 {
				t.Errorf("joined segments %+v, %v", segs, err)
			}
		}
	}
}

func TestJoinRefusesWhatItDoesNotKnow(t *testing.T) {
	passive := append([]byte(nil), wasmHeader...)
	passive = appendSection(passive, dataSection, []byte{1, 1, 2, 0xaa, 0xbb}) // one passive segment
	overlapping := module(segment{offset: 10, data: []byte{1, 2, 3}}, segment{offset: 12, data: []byte{4}})
	for name, m := range map[string][]byte{
		"not wasm":             []byte("\x7fELF...."),
		"no data section":      append(append([]byte(nil), wasmHeader...), 1, 4, 1, 0x60, 0, 0),
		"truncated":            module(segment{offset: 1, data: []byte{1, 2, 3}})[:20],
		"passive segment":      passive,
		"overlapping":          overlapping,
		"two data sections":    append(module(segment{offset: 1, data: []byte{1}}), appendSection(nil, dataSection, encodeData(nil))...),
		"section past the end": append(append([]byte(nil), wasmHeader...), dataSection, 0x7f, 0),
		"data count section":   append(append(append([]byte(nil), wasmHeader...), dataCountSection, 1, 1), module(segment{offset: 1, data: []byte{1}})[len(wasmHeader):]...),
	} {
		if _, _, _, err := join(m, 64); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestLEB128(t *testing.T) {
	for _, v := range []int32{0, 1, -1, 63, 64, -64, -65, 127, 128, 1 << 20, -1 << 31, 1<<31 - 1} {
		r := reader{b: appendS32(nil, v)}
		if got := r.s32(); got != v || r.err != nil || r.i != len(r.b) {
			t.Errorf("s32 %d: got %d, %v", v, got, r.err)
		}
	}
	for _, v := range []uint32{0, 127, 128, 1 << 28, 1<<32 - 1} {
		r := reader{b: appendU32(nil, v)}
		if got := r.u32(); got != v || r.err != nil || r.i != len(r.b) {
			t.Errorf("u32 %d: got %d, %v", v, got, r.err)
		}
	}
}

// TestJoinGoProgram joins what Go's linker writes for a small program that
// prints from its data (a map, strings, a formatted float) and checks that
// memory is the same and that the joined program, run by Node with Go's
// own wasm_exec_node.js, prints the same thing.
func TestJoinGoProgram(t *testing.T) {
	dir := t.TempDir()
	src := `package main

import ("fmt"; "os"; "sort"; "strings")

var table = map[string]float64{"alpha": 1.5, "beta": -2.25, "gamma": 1e21}

func main() {
	keys := make([]string, 0, len(table))
	for k := range table { keys = append(keys, k) }
	sort.Strings(keys)
	for _, k := range keys { fmt.Printf("%s=%g ", strings.ToUpper(k), table[k]) }
	fmt.Fprintln(os.Stdout, len(os.Args))
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module prog\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wasm := filepath.Join(dir, "prog.wasm")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", wasm, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	in, err := os.ReadFile(wasm)
	if err != nil {
		t.Fatal(err)
	}
	out, before, after, err := join(in, defaultGap)
	if err != nil {
		t.Fatal(err)
	}
	if after >= before/10 {
		t.Errorf("%d segments joined into %d: expected far fewer", before, after)
	}
	if !bytes.Equal(memory(t, in), memory(t, out)) {
		t.Fatal("memory after instantiation differs")
	}
	joined := filepath.Join(dir, "joined.wasm")
	if err := os.WriteFile(joined, out, 0o644); err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is needed to run the joined program (make test installs the npm fixtures with it)")
	}
	runner := filepath.Join(runtime.GOROOT(), "lib", "wasm", "wasm_exec_node.js")
	var outputs []string
	for _, f := range []string{wasm, joined} {
		cmd := exec.Command(node, runner, f)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		got, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("node %s: %v\n%s", filepath.Base(f), err, got)
		}
		outputs = append(outputs, string(got))
	}
	if want := "ALPHA=1.5 BETA=-2.25 GAMMA=1e+21 1\n"; outputs[0] != want || outputs[1] != want {
		t.Errorf("output before joining %q, after %q, want %q", outputs[0], outputs[1], want)
	}
}
