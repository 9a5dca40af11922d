#!/usr/bin/env bash
# Makes sure headless Chromium is installed for the browser tests: Debian's
# package `chromium`, installed with apt-get when running as root.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "browser tests: installing Debian's chromium package (apt-get)..." >&2
	apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
	command -v chromium >/dev/null && exit 0
fi
echo "browser tests need Chromium: install Debian's package 'chromium' (as root: apt-get update && apt-get install -y chromium)" >&2
exit 1
