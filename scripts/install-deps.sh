#!/usr/bin/env bash
# Installs every Debian package b2m needs to build, test, benchmark and run the
# demo. Idempotent: a second run only checks that the packages are present.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates
  openmpi-bin libopenmpi-dev
  libhdf5-openmpi-dev hdf5-tools
  libscalapack-openmpi-dev
  libopenblas-dev liblapacke-dev
  libeigen3-dev libcxxopts-dev nlohmann-json3-dev libxxhash-dev libtomlplusplus-dev libnifti2-dev zlib1g-dev
  libsndfile1-dev libfftw3-dev
  libgtest-dev
  python3 python3-numpy python3-scipy python3-sklearn python3-h5py python3-nibabel python3-soundfile
  slurm-wlm slurm-wlm-basic-plugins munge
  clang-format time
  snakemake
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
echo "install-deps: all ${#packages[@]} packages present"
