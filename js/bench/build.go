//go:build !js

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

const jsModule = "github.com/steadyws/steadyws/js"

// findModuleRoot returns the directory of the js module, searching upwards
// from the working directory (js/ under `go -C js run`, js/bench under
// `go test`).
func findModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if f, err := os.Open(filepath.Join(dir, "go.mod")); err == nil {
			sc := bufio.NewScanner(f)
			sc.Scan()
			f.Close()
			if strings.TrimSpace(sc.Text()) == "module "+jsModule {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find the " + jsModule + " module above the working directory; run from the repository's js/ directory")
		}
		dir = parent
	}
}

// goCommand returns the go command to build with: the one on PATH, or the
// one of the toolchain that built this program.
func goCommand() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if root := os.Getenv("GOROOT"); root != "" {
		return filepath.Join(root, "bin", "go")
	}
	return "go"
}

// wasmBuild is one Go wasm client to build.
type wasmBuild struct {
	client string // C or D
	pkg    string // package path relative to the module root
	out    string // where the binary goes
	err    error
}

// buildWasm builds the Go wasm clients into dir, in parallel, the way a
// user would ship them: GOOS=js GOARCH=wasm -trimpath -ldflags='-s -w'. With
// names, the binaries keep their name section, so that a CPU profile names
// Go functions instead of numbering them (and they are larger).
func buildWasm(ctx context.Context, modRoot, dir string, names bool) []*wasmBuild {
	builds := []*wasmBuild{
		{client: "C", pkg: "./bench/wasmgo", out: filepath.Join(dir, "c.wasm")},
		{client: "D", pkg: "./bench/wasmcoder", out: filepath.Join(dir, "d.wasm")},
	}
	var wg sync.WaitGroup
	for _, b := range builds {
		wg.Go(func() {
			args := []string{"build", "-trimpath", "-ldflags=-s -w", "-o", b.out, b.pkg}
			if names {
				args = slices.Delete(args, 2, 3)
			}
			cmd := exec.CommandContext(ctx, goCommand(), args...)
			cmd.Dir = modRoot
			cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				b.err = fmt.Errorf("go build %s: %v\n%s", b.pkg, err, out.String())
			}
		})
	}
	wg.Wait()
	return builds
}

// goEnv returns `go env name`.
func goEnv(ctx context.Context, name string) (string, error) {
	out, err := exec.CommandContext(ctx, goCommand(), "env", name).Output()
	return strings.TrimSpace(string(out)), err
}
