#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tools/fetch-bench-src.sh: the C project tools/bench builds with make -j:
# zlib, from Debian's trixie source package (deb-src set up by
# tools/setup.sh). Cached; prints the path of its upstream tarball.
set -euo pipefail
CACHE=${SCX_ATLAS_CACHE:-/var/cache/scx-atlas}
SRC=$CACHE/src/zlib
t=$(ls "$SRC"/zlib_*.orig.tar.* 2>/dev/null | head -1 || true)
if [ -z "$t" ]; then
  mkdir -p "$SRC"
  # Only the upstream tarball is used: the download counts as done when it
  # arrived, even if the Debian parts of the source package did not (seen:
  # a 404 for the .dsc of a version the lists still named).
  (cd "$SRC" && apt-get source -q --download-only zlib/trixie > "$SRC/download.log" 2>&1)
  t=$(ls "$SRC"/zlib_*.orig.tar.* 2>/dev/null | head -1 || true)
  [ -n "$t" ] || { echo "fetch-bench-src: apt-get source zlib/trixie failed: $(grep -m1 '^E:' "$SRC/download.log")" >&2; exit 1; }
fi
echo "$t"
