#!/usr/bin/env bash
# Runs the sdk test suite in headless Chromium (GOOS=js GOARCH=wasm, through
# wasmbrowsertest) against a native test server factory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
gocache=$(go env GOCACHE); gomodcache=$(go env GOMODCACHE); goroot=$(go env GOROOT)
goproxy=$(go env GOPROXY); gosumdb=$(go env GOSUMDB)
# The tool must be resolved without GOOS=js in the environment.
wbt=$(cd js && go tool -n wasmbrowsertest)
bin=$(mktemp -d)
trap 'kill $srvpid 2>/dev/null || true; rm -rf "$bin"' EXIT
go build -o "$bin/testserver" ./sdk/internal/testserver/cmd/testserver
# The server exits when its stdin closes, i.e. when this script ends.
coproc SRV { "$bin/testserver"; }
srvpid=$SRV_PID
read -r urls <&"${SRV[0]}"
factory=$(printf '%s' "$urls" | sed -n 's/.*"factory":"\([^"]*\)".*/\1/p')
[ -n "$factory" ] || { echo "browsertest: test server did not start: $urls" >&2; exit 1; }
# Go 1.26's wasm_exec.js refuses more than about 8 KiB of argv + environment,
# and wasmbrowsertest forwards all of it: run with only what is needed.
env -i PATH="$goroot/bin:/usr/bin:/bin" HOME="$HOME" GOCACHE="$gocache" GOMODCACHE="$gomodcache" \
	GOPROXY="$goproxy" GOSUMDB="$gosumdb" \
	GOFLAGS=-mod=mod GOOS=js GOARCH=wasm STEADYWS_FACTORY="$factory" \
	go test -exec "$wbt" -count=1 ./sdk/... "$@" 2>&1 | grep -v 'unknown IPAddressSpace value'
exit "${PIPESTATUS[0]}"
