# steadyws — see README.md. Targets stay thin; logic lives in scripts.
GO ?= go

.PHONY: bench-server test test-race test-browser test-js test-types test-npm test-demo test-fuzz chromium vet demo wasm npm bench chaos soak manyclients

# The JS-facing wasm leaves out the typed Go JSON API (sdk.Send, Request, ...),
# which page scripts never call, so that encoding/json stays out of it, and is
# built without inlining (-l): 8% smaller, and the per-message path is a
# handful of calls. Only sync keeps it (the later -gcflags wins for its
# packages): its Lock and Unlock take one call instead of two, for 155 bytes.
WASM_TAGS := steadyws_nojson

## test: every test — vet for both builds, native with the race detector, the
## sdk suite and the JavaScript API in headless Chromium, the npm package in
## real bundlers.
test: vet test-race test-fuzz test-browser test-js test-types test-npm test-demo

## demo: build dist/ and start the demo chat on http://127.0.0.1:8001 (STEADYWS_DEMO_ADDR or -addr to move it).
demo: wasm
	$(GO) -C demo run ./server -dist ../dist

vet:
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./sdk/... ./wasm/...
	GOOS=js GOARCH=wasm $(GO) vet -tags $(WASM_TAGS) ./wasm/...
	cd js && $(GO) vet ./... && $(GO) vet -tags npmfixtures .
	$(GO) -C demo vet ./...

test-race:
	$(GO) test -race -count=1 ./...

## test-demo: the demo server, terminal client, and the page end to end in Chromium.
test-demo: chromium wasm
	$(GO) -C demo test -race -count=1 -timeout 5m ./...

## test-types: steadyws.d.ts type-checks a typed protocol (TypeScript from npm).
test-types:
	cd js && npm ci --silent --no-audit --no-fund && npm run -s typecheck

chromium:
	@js/ensure-chromium.sh

## test-browser: the sdk test suite compiled to wasm, run in Chromium.
test-browser: chromium
	js/browsertest.sh

## test-js: the JavaScript API, loaded from dist/ in Chromium.
test-js: chromium wasm
	cd js && $(GO) test -count=1 ./...

## test-npm: the packed npm package installed into fixture apps (Vite build
## and dev servers, webpack 5, a plain page with an import map), each loaded
## in Chromium against the test server; its types through TypeScript.
test-npm: chromium npm
	js/npm/fixtures/install.sh
	cd js && $(GO) test -tags npmfixtures -count=1 -timeout 8m -run '^TestNPM' .

## npm: build dist/npm/ (the package, version from VERSION) and pack dist/npm/steadyws-<version>.tgz.
npm: wasm
	js/npm/build.sh

## wasm: build dist/ — steadyws.wasm, the matching wasm_exec.js, the loader and its types.
## After linking, wasmjoin merges the ~50,000 tiny data segments Go writes
## (memory after instantiation is unchanged): 10% smaller compressed.
wasm:
	mkdir -p dist
	GOOS=js GOARCH=wasm $(GO) build -tags $(WASM_TAGS) -gcflags=all=-l -gcflags=sync= -gcflags=internal/sync= -trimpath -ldflags="-s -w" -o dist/steadyws.wasm ./wasm
	$(GO) -C js run ./internal/cmd/wasmjoin ../dist/steadyws.wasm
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" dist/wasm_exec.js
	cp js/steadyws.mjs js/constants.mjs js/steadyws.d.ts dist/
	js/shim-module.sh sdk/internal/jsws/constants.js sdk/internal/jsws/shim.js >dist/shim.mjs
	cp js/steadyws.d.ts dist/steadyws.d.mts  # what TypeScript looks for next to a .mjs
	@js/sizes.sh dist/steadyws.wasm

## bench: every client × workload side by side in one run, one table (ratios to
## plain JS and to raw coder/websocket) and the wasm sizes; JSON in dist/bench/.
bench: chromium wasm bench-server
	$(GO) -C js run ./bench $(BENCHFLAGS)

## bench-server: sdk/server's fan-out, memory per connection, broadcast p99
## and request throughput, on 127.0.0.1 (SERVERBENCHFLAGS="-idle 2000", say).
bench-server:
	$(GO) run ./sdk/internal/cmd/serverbench $(SERVERBENCHFLAGS)

## chaos: the chaos tests for longer (CHAOS_DURATION, default 2m), natively through
## the fault-injecting proxy and with server-side faults; replay a run with
## CHAOS_FLAGS=-chaos.seed=N. make test runs a few seconds of each, in both builds.
CHAOS_DURATION ?= 2m
chaos:
	$(GO) test -race -count=1 -timeout 30m -v -run TestChaos ./sdk -chaos.duration=$(CHAOS_DURATION) $(CHAOS_FLAGS)

## soak: the 2,000-cycle reconnect soak with its numbers, natively (race
## detector) and in Chromium; make test runs it too, quietly.
soak: chromium
	$(GO) test -race -count=1 -run Soak -v ./sdk/
	js/browsertest.sh -run Soak -v

## manyclients: 10,000 native clients on loopback: heap and goroutines per
## client, and how the reconnects spread after the server drops them all
## (MANYCLIENTSFLAGS="-n 2000 -initial 5s -jitter 1", say).
manyclients:
	$(GO) run ./sdk/internal/cmd/manyclients $(MANYCLIENTSFLAGS)

## test-fuzz: each fuzz target briefly (FUZZTIME=3m for a real run; the default is a count of inputs, not a time, so that gathering the corpus's coverage on a cold cache cannot eat the whole budget); test-race
## already runs their seed corpora in sdk/testdata/fuzz and sdk/server/testdata/fuzz.
FUZZTIME ?= 10000x
test-fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzScanEnvelope$$' -fuzztime $(FUZZTIME) ./sdk
	$(GO) test -run '^$$' -fuzz '^FuzzScanHead$$' -fuzztime $(FUZZTIME) ./sdk
	$(GO) test -run '^$$' -fuzz '^FuzzRoute$$' -fuzztime $(FUZZTIME) ./sdk
	$(GO) test -run '^$$' -fuzz '^FuzzJSOptions$$' -fuzztime $(FUZZTIME) ./sdk
	$(GO) test -run '^$$' -fuzz '^FuzzServerFrames$$' -fuzztime $(FUZZTIME) ./sdk/server
	$(GO) test -run '^$$' -fuzz '^FuzzReliableFrames$$' -fuzztime $(FUZZTIME) ./sdk/server
