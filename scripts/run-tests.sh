#!/usr/bin/env bash
# One command on a fresh Debian 12 machine: install, build, run every test.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/install-deps.sh"
"$here/build.sh"
build=${B2M_BUILD_DIR:-$here/../build}
cd "$build"
# One test at a time: MPI tests oversubscribe the cores on their own.
OPENBLAS_NUM_THREADS=1 ctest --output-on-failure --timeout 900 "$@"
