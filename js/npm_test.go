//go:build npmfixtures

// The npm package as a web developer meets it: make test-npm packs it
// (make npm), installs the tarball into the fixture apps under npm/fixtures
// (npm/fixtures/install.sh) and runs this file (go test -tags npmfixtures).
// Each app is built with its real bundler, loaded in Chromium, and must
// round-trip messages with the test server.

package js_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const fixtures = "npm/fixtures"

func TestNPMPackage(t *testing.T) {
	version := readVersion(t)
	pkgDir := filepath.Join(fixtures, "node_modules", "steadyws")
	if fi, err := os.Lstat(pkgDir); err != nil || !fi.IsDir() {
		t.Fatalf("%s is not an installed package directory (%v): make test-npm installs the packed tarball there", pkgDir, err)
	}
	// Installed from the tarball make npm packed, not linked from a folder.
	var lock struct {
		Packages map[string]struct{ Resolved, Version string } `json:"packages"`
	}
	readJSON(t, filepath.Join(fixtures, "node_modules", ".package-lock.json"), &lock)
	got := lock.Packages["node_modules/steadyws"]
	if want := "steadyws-" + version + ".tgz"; !strings.HasSuffix(got.Resolved, "/dist/npm/"+want) || got.Version != version {
		t.Errorf("installed steadyws %s from %q; want version %s from dist/npm/%s", got.Version, got.Resolved, version, want)
	}
	var pkg struct {
		Name, Version, Type string
		Exports             map[string]json.RawMessage
		Dependencies        map[string]string
		PeerDependencies    map[string]string
		Files               []string
	}
	readJSON(t, filepath.Join(pkgDir, "package.json"), &pkg)
	if pkg.Name != "steadyws" || pkg.Version != version || pkg.Type != "module" {
		t.Errorf("package.json: name %q, version %q, type %q; want steadyws, %s (VERSION), module", pkg.Name, pkg.Version, pkg.Type, version)
	}
	if len(pkg.Dependencies)+len(pkg.PeerDependencies) != 0 {
		t.Errorf("package.json has dependencies: %v %v", pkg.Dependencies, pkg.PeerDependencies)
	}
	var dot struct{ Types, Default string }
	if err := json.Unmarshal(pkg.Exports["."], &dot); err != nil || dot.Types != "./steadyws.d.ts" || dot.Default != "./steadyws.mjs" {
		t.Errorf(`exports["."] = %s; want types ./steadyws.d.ts and default ./steadyws.mjs`, pkg.Exports["."])
	}
	for _, f := range []string{"steadyws.mjs", "steadyws.d.ts", "steadyws.wasm", "wasm_exec.js"} {
		if _, err := os.Stat(filepath.Join(pkgDir, f)); err != nil {
			t.Errorf("the package lacks %s", f)
		}
	}
	// The glue is the one of the Go that built the wasm.
	glue, err1 := os.ReadFile(filepath.Join(pkgDir, "wasm_exec.js"))
	goroot, _ := exec.Command("go", "env", "GOROOT").Output()
	want, err2 := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js"))
	if err1 != nil || err2 != nil || string(glue) != string(want) {
		t.Errorf("the package's wasm_exec.js is not $(go env GOROOT)/lib/wasm/wasm_exec.js (%v, %v)", err1, err2)
	}
}

func TestNPMTypes(t *testing.T) {
	// The exports map leads TypeScript to the types, under the resolution
	// of bundlers (tsconfig.json) and of Node.
	for _, res := range [][]string{nil, {"--module", "nodenext", "--moduleResolution", "nodenext"}} {
		nodeRun(t, fixtures, time.Minute, append([]string{"node_modules/typescript/bin/tsc", "-p", "tsconfig.json"}, res...)...)
	}
}

func TestNPMViteBuild(t *testing.T) {
	nodeRun(t, filepath.Join(fixtures, "vite"), 2*time.Minute, "../node_modules/vite/bin/vite.js", "build")
	checkFixture(t, serveFixture(t, "vite/dist/"))
}

func TestNPMWebpackBuild(t *testing.T) {
	nodeRun(t, filepath.Join(fixtures, "webpack"), 2*time.Minute, "build.js")
	checkFixture(t, serveFixture(t, "webpack/"))
}

func TestNPMImportMap(t *testing.T) {
	// A plain page: no bundler, the package's files as installed.
	checkFixture(t, serveFixture(t, "importmap/"))
}

func TestNPMViteDevServer(t *testing.T) {
	// Vite 8 pre-bundles dependencies with rolldown, which keeps
	// new URL("./…", import.meta.url) pointing at the package: no config.
	checkFixture(t, startVite(t, "vite", "vite.config.js"))
}

func TestNPMVite7DevServer(t *testing.T) {
	// Vite 7 pre-bundles with esbuild: with the one line the README gives
	// (vite7.config.js), it works; without it, load() says what is missing.
	checkFixture(t, startVite(t, "vite7", "vite7.config.js"))
	bare := filepath.Join(fixtures, "vite", "vite7-bare.config.js")
	if err := os.WriteFile(bare, []byte("export default { cacheDir: \"../node_modules/.vite7-bare\", logLevel: \"warn\" };\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(bare) })
	r := openFixture(t, startVite(t, "vite7", filepath.Base(bare)))
	if !strings.Contains(r.Thrown, `optimizeDeps: { exclude: ["steadyws"] }`) {
		t.Errorf("under Vite 7's dev server without the exclude line, the app got %+v; want an error naming optimizeDeps.exclude", r)
	}
}

// startVite starts the dev server of node_modules/<vite> on the vite
// fixture with config and returns its URL; it stops when the test ends.
func startVite(t *testing.T, vite, config string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	cmd := exec.Command("node", "../node_modules/"+vite+"/bin/vite.js", "--config", config, "--host", "127.0.0.1", "--port", port, "--strictPort", "--force")
	cmd.Dir = filepath.Join(fixtures, "vite")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // vite starts helpers: stop them all
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logs := make(chan string, 1)
	go func() {
		var b strings.Builder
		s := bufio.NewScanner(out)
		for s.Scan() {
			b.WriteString(s.Text() + "\n")
		}
		logs <- b.String()
	}()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() {
			t.Logf("%s dev server output:\n%s", vite, <-logs)
		}
	})
	base := "http://127.0.0.1:" + port + "/"
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s dev server on %s did not answer within 30s: %v", vite, base, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// fixtureResult is what npm/fixtures/app.js leaves in window.result.
type fixtureResult struct {
	Sum      float64
	Echo     struct{ Text string }
	Fast     bool
	GoGlobal bool
	Thrown   string
}

// checkFixture opens the app at pageURL against a fresh test server and
// checks that it loaded steadyws and round-tripped a request and an event.
func checkFixture(t *testing.T, pageURL string) {
	t.Helper()
	r := openFixture(t, pageURL)
	if r.Thrown != "" {
		t.Fatalf("%s: the app failed: %s", pageURL, r.Thrown)
	}
	if r.Sum != 5 || r.Echo.Text != "round trip" {
		t.Errorf("%s: sum %v, echo %q; want 5 and \"round trip\"", pageURL, r.Sum, r.Echo.Text)
	}
	if !r.Fast {
		t.Errorf("%s: messages take the slow path: the loader did not hand the wasm exports over", pageURL)
	}
	if r.GoGlobal {
		t.Errorf("%s: loading left Go on the page's globals", pageURL)
	}
}

// openFixture opens the app at pageURL against a fresh test server and
// returns what it reported.
func openFixture(t *testing.T, pageURL string) fixtureResult {
	t.Helper()
	setup(t)
	s := newServer(t)
	ctx, cancel := chromedp.NewContext(browserCtx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 45*time.Second)
	defer cancelT()
	var js string
	err := chromedp.Run(ctx, chromedp.Navigate(pageURL+"?ws="+url.QueryEscape(s.WS)),
		chromedp.Poll(`window.result !== undefined`, nil, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Evaluate(`window.result`, &js, await))
	if err != nil {
		t.Fatalf("%s: %v", pageURL, err)
	}
	var r fixtureResult
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		t.Fatalf("%s left %s: %v", pageURL, js, err)
	}
	return r
}

// serveFixture serves npm/fixtures on the test page's origin and returns
// the URL of path within it.
func serveFixture(t *testing.T, path string) string {
	t.Helper()
	setup(t)
	dir, err := filepath.Abs(fixtures)
	if err != nil {
		t.Fatal(err)
	}
	prefix := "/npm-" + strings.ToLower(strings.TrimPrefix(t.Name(), "TestNPM")) + "/"
	serveTree(t, prefix, dir)
	return pageURL + strings.TrimPrefix(prefix, "/") + path
}

// nodeRun runs node with args in dir, failing the test on an error or
// after limit.
func nodeRun(t *testing.T, dir string, limit time.Duration, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("node %s (in %s): %v\n%s", strings.Join(args, " "), dir, err, out)
	}
}

func readVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../VERSION")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func readJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}
