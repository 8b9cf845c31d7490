#!/usr/bin/env bash
# One command on a fresh Debian 12 machine: install, build, run the demo.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/install-deps.sh"
"$here/build.sh"
"$here/demo.sh"
