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
  (cd "$SRC" && apt-get source -q --download-only zlib/trixie > /dev/null 2>&1) || {
    echo "fetch-bench-src: apt-get source zlib/trixie failed" >&2; exit 1; }
  t=$(ls "$SRC"/zlib_*.orig.tar.* | head -1)
fi
echo "$t"
