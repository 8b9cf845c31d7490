#!/usr/bin/env bash
# The demo pipeline: simulate a 5-subject study on the real ds003720 design,
# then encode every subject in one 2-rank MPI job per feature space, and print
# the cross-subject summary tables. Outputs go to demo-out/ (re-running skips
# whatever is already complete).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${B2M_BUILD_DIR:-$root/build}
out=${B2M_DEMO_DIR:-$root/demo-out}
voxels=${B2M_DEMO_VOXELS:-10000}
ranks=${B2M_DEMO_RANKS:-2}
b2m=$build/jobs/b2m
mpirun_flags=(--oversubscribe -n "$ranks")
[ "$(id -u)" -eq 0 ] && mpirun_flags+=(--allow-run-as-root)
export OPENBLAS_NUM_THREADS=1

mkdir -p "$out"
echo "== simulate: 5 subjects x $voxels voxels on the ds003720 design ($ranks ranks)"
mpirun "${mpirun_flags[@]}" "$b2m" simulate --events "$root/data/ds003720/func" \
  --out-dir "$out/study" --subjects 5 --voxels "$voxels"

subjects=("$out"/study/sub-0?_responses.h5)
for space in mulan_music mulan_text soundstream genre; do
  echo "== encode: ${#subjects[@]} subjects, feature space $space ($ranks ranks)"
  mpirun "${mpirun_flags[@]}" "$b2m" encode "${subjects[@]}" \
    --features "$out/study/features.h5" --space "$space" --events "$root/data/ds003720/func" \
    --out "$out/encode/{subject}_$space.h5" --summary "$out/encode/summary_$space.tsv"
done
echo
echo "Summary tables: $out/encode/summary_*.tsv"
echo "significant = voxels with q < 0.05 (BH-FDR over autocorrelation-corrected p);"
echo "median_r_A1 = median test r in the primary auditory ROI."
