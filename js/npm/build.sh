#!/usr/bin/env bash
# Builds the npm package in dist/npm/ from dist/ (make wasm) and js/, and
# packs it to dist/npm/steadyws-<version>.tgz. js/npm/package.json is the
# template: its "files" list is the one place that names what ships (every
# .mjs the loader imports among them); the version comes from VERSION.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
version=$(tr -d ' \n' <VERSION)
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || { echo "npm: VERSION holds '$version', not a semantic version" >&2; exit 1; }
out=dist/npm
rm -rf "$out"
mkdir -p "$out"
# Each listed file comes from dist/ if make wasm built it there (the wasm,
# Go's wasm_exec.js), else from js/ (the loader's modules and types).
files=$(node -e 'for (const f of require(process.argv[1]).files) console.log(f)' "$root/js/npm/package.json")
for f in $files; do
	if [ -f "dist/$f" ]; then cp "dist/$f" "$out/$f"
	elif [ -f "js/$f" ]; then cp "js/$f" "$out/$f"
	else echo "npm: $f (listed in js/npm/package.json) is in neither dist/ nor js/: run make wasm" >&2; exit 1
	fi
done
chmod 644 "$out"/*
cp README.md "$out/README.md"
node -e '
const fs = require("fs");
const [tmpl, out, version] = process.argv.slice(1);
const pkg = JSON.parse(fs.readFileSync(tmpl, "utf8"));
fs.writeFileSync(out, JSON.stringify({ name: pkg.name, version, ...pkg }, null, 2) + "\n");
' js/npm/package.json "$out/package.json" "$version"
(cd "$out" && npm pack --silent --pack-destination . >/dev/null)
echo "npm: $out/steadyws-$version.tgz ($(wc -c <"$out/steadyws-$version.tgz") bytes)"
