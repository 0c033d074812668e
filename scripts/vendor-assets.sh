#!/usr/bin/env bash
# Refresh the browser assets vendored from npm packages (pinned): htmx for the pages, axe-core
# for the browser tests' accessibility check. The app serves them itself: no CDN at run time.
set -euo pipefail
HTMX=2.0.11
AXE=4.14.1
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "htmx.org@$HTMX" "axe-core@$AXE" >/dev/null
tar xzf "htmx.org-$HTMX.tgz" && mv package htmx
tar xzf "axe-core-$AXE.tgz" && mv package axe
cp htmx/dist/htmx.min.js "$root/api/pages/static/vendor/htmx.min.js"
cp htmx/LICENSE "$root/api/pages/static/vendor/LICENSE-htmx"
cp axe/axe.min.js "$root/tests/pages/vendor/axe.min.js"
cp axe/LICENSE "$root/tests/pages/vendor/LICENSE-axe-core"
echo "vendored htmx.org@$HTMX and axe-core@$AXE"
