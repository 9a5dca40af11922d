// Command wasmjoin rewrites a wasm module produced by Go's linker so that it
// compresses better, without changing what it does.
//
// Go's wasm linker starts a new data segment at every run of eight or more
// zero bytes, which leaves tens of thousands of tiny segments, each with a
// header of its own (flags, an i32.const offset expression, a length) that
// compresses badly. wasmjoin merges neighbouring active segments whose gap
// is at most -gap bytes, filling the gap with zeros. Linear memory starts
// zeroed and the segments do not overlap, so memory after instantiation is
// byte for byte the same.
//
// Usage: wasmjoin [-gap N] file.wasm   (rewrites the file in place)
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	gap := flag.Int("gap", defaultGap, "largest run of zero bytes between two segments that is filled in to join them")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: wasmjoin [-gap N] file.wasm")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	name := flag.Arg(0)
	in, err := os.ReadFile(name)
	if err == nil {
		var out []byte
		var before, after int
		out, before, after, err = join(in, *gap)
		if err == nil {
			err = os.WriteFile(name, out, 0o644)
			fmt.Printf("wasmjoin: %s: %d data segments joined into %d, %d → %d bytes\n", name, before, after, len(in), len(out))
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "wasmjoin:", err)
		os.Exit(1)
	}
}
