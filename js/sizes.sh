#!/usr/bin/env bash
# Prints a wasm file's raw, gzip -9 and brotli -q 11 sizes.
set -euo pipefail
f=$1
if ! command -v brotli >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	apt-get install -y -qq brotli >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq brotli >/dev/null 2>&1; } || true
fi
raw=$(wc -c <"$f")
gz=$(gzip -9 -c "$f" | wc -c)
if command -v brotli >/dev/null; then br=$(brotli -q 11 -c "$f" | wc -c); else br="n/a (install Debian's brotli)"; fi
printf '%s: %s bytes raw, %s gzip -9, %s brotli -q 11 (budget 500000)\n' "$f" "$raw" "$gz" "$br"
