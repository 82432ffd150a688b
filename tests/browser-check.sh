#!/usr/bin/env bash
# samples/BrowserDemo in headless Chromium (tests/DslConv.BrowserCheck): publishes the app with `dotnet publish -c
# Release` (the SDK alone, no workload), serves it from 127.0.0.1 as plain static files, drives the browser over the
# DevTools protocol and compares each answer the page gives with the same network run natively. Prints one line per
# check and the figures README quotes, and ends with "Browser check: P passed, F failed". Needs Chromium (Debian's
# chromium package; .ci/run installs it). An argument, if given, is where to save the page's screenshot.
set -uo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "Browser check: $1"; echo "Browser check: 0 passed, 1 failed"; exit 1; }

chromium=$(command -v chromium || command -v chromium-browser || command -v google-chrome) || fail "no Chromium on PATH"
dotnet publish samples/BrowserDemo -c Release -o "$work/site" >"$work/publish.log" 2>&1 || { tail -20 "$work/publish.log"; fail "the app did not publish"; }
dotnet build tests/DslConv.BrowserCheck -c Release >"$work/build.log" 2>&1 || { tail -20 "$work/build.log"; fail "the check did not build"; }
timeout 900 dotnet tests/DslConv.BrowserCheck/bin/Release/net10.0/DslConv.BrowserCheck.dll \
  --site "$work/site/wwwroot" --chromium "$chromium" ${1:+--screenshot "$1"}
status=$?
[ "$status" -le 1 ] || fail "the check stopped (exit $status) before its summary"
