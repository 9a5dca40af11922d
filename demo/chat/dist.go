package chat

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// FindDist returns the directory holding the built SDK: dir if it is not
// empty, else $STEADYWS_DIST, else the first of ../dist, dist, ../../dist
// (relative to the working directory) that holds steadyws.wasm, so that it
// is found from the repository root, from demo/ and from a package
// directory under demo/. The error says to run make wasm.
func FindDist(dir string) (string, error) {
	candidates := []string{dir}
	if dir == "" {
		candidates = []string{os.Getenv("STEADYWS_DIST")}
		if candidates[0] == "" {
			candidates = []string{filepath.Join("..", "dist"), "dist", filepath.Join("..", "..", "dist")}
		}
	}
	for _, d := range candidates {
		if _, err := os.Stat(filepath.Join(d, "steadyws.wasm")); err == nil {
			abs, err := filepath.Abs(d)
			if err != nil {
				return d, nil
			}
			return abs, nil
		}
	}
	for _, d := range candidates {
		if _, err := os.Stat(filepath.Join(d, "steadyws.mjs")); err == nil {
			return "", fmt.Errorf("%s holds steadyws.mjs but no steadyws.wasm: run make wasm first", d)
		}
	}
	return "", errors.New("no dist directory with steadyws.wasm found (looked in " + fmt.Sprint(candidates) + "): run make wasm first")
}
