#!/usr/bin/env bash
# Configures and builds b2m (Release) into build/. Idempotent.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${B2M_BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$(nproc)"
