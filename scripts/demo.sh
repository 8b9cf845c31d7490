#!/usr/bin/env bash
# The demo pipeline: simulate a 5-subject study on the real ds003720 design
# (with a 100,000-clip corpus, and the same study as published: a BIDS tree of
# NIfTI runs), encode every subject in one 2-rank MPI job per feature space,
# decode every subject into the four spaces of the paper's Table 2 in one job
# (the paper's settings, its values printed beside b2m's), retrieve the
# MuLan-music predictions from the corpus; then the real-data path: prepare
# the BIDS runs, encode them and write NIfTI maps; and print the summary
# tables. Outputs go to demo-out/ (re-running skips whatever is complete;
# outputs of other settings, e.g. another B2M_DEMO_VOXELS, are replaced).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${B2M_BUILD_DIR:-$root/build}
out=${B2M_DEMO_DIR:-$root/demo-out}
voxels=${B2M_DEMO_VOXELS:-10000}
corpus=${B2M_DEMO_CORPUS:-100000}
ranks=${B2M_DEMO_RANKS:-2}
b2m=$build/jobs/b2m
mpirun_flags=(--oversubscribe -n "$ranks")
[ "$(id -u)" -eq 0 ] && mpirun_flags+=(--allow-run-as-root)
export OPENBLAS_NUM_THREADS=1
# One machine: the ranks talk through shared memory. Left to choose, Open MPI
# first starts its network transports (libfabric, PSM): 0.2 s per launch.
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1}

mkdir -p "$out"
echo "== simulate: 5 subjects x $voxels voxels on the ds003720 design ($ranks ranks)"
mpirun "${mpirun_flags[@]}" "$b2m" simulate --events "$root/data/ds003720/func" \
  --out-dir "$out/study" --subjects 5 --voxels "$voxels" --corpus "$corpus" --bids "$out/bids" \
  --overwrite

subjects=("$out"/study/sub-0?_responses.h5)
for space in mulan_music mulan_text soundstream genre; do
  echo "== encode: ${#subjects[@]} subjects, feature space $space ($ranks ranks)"
  mpirun "${mpirun_flags[@]}" "$b2m" encode "${subjects[@]}" \
    --features "$out/study/features.h5" --space "$space" --events "$root/data/ds003720/func" \
    --out "$out/encode/{subject}_$space.h5" --summary "$out/encode/summary_$space.tsv" --overwrite
done
echo "significant_q05 = voxels with q < 0.05 (BH-FDR over autocorrelation-corrected p);"
echo "median_r_auditory = median test r in the primary auditory ROI."

echo
echo "== decode as the paper did it: ${#subjects[@]} subjects x the 4 spaces of its Table 2 ($ranks ranks)"
mpirun "${mpirun_flags[@]}" "$b2m" decode "${subjects[@]}" --features "$out/study/features.h5" \
  --space mulan_music --space w2v_bert --space mulan_text --space soundstream \
  --delay 0 --cut-windows --drop-first-event --roi-models 6 --events "$root/data/ds003720/func" \
  --out "$out/decode/{subject}_{space}.h5" --summary "$out/decode/summary.tsv" --overwrite
echo "identification: fraction of other test windows whose true embedding correlates less with"
echo "the prediction than the window's own (chance 0.5); embedding_r: corr(prediction, truth);"
echo "paper_identification: the paper's Table 2. The simulator is calibrated at 60,000 voxels"
echo "(B2M_DEMO_VOXELS=60000; bench/calibration_bench.py); at $voxels voxels expect lower values."

echo
echo "== retrieve: MuLan-music predictions among the stimuli + $corpus corpus clips ($ranks ranks)"
mpirun "${mpirun_flags[@]}" "$b2m" retrieve "$out"/decode/sub-0?_mulan_music.h5 \
  --corpus "$out/study/corpus.h5" --out "$out/retrieve/{name}.h5" --overwrite
echo "top1_genre: fraction of test clips whose best corpus match has the stimulus's genre (chance 0.1)."

echo
echo "== the real-data path: prepare the BIDS bold runs (mask, atlas, running median, z-score)"
masks=$out/bids/derivative/masks
mpirun "${mpirun_flags[@]}" "$b2m" prepare --bids "$out/bids" --mask "$masks/{subject}_mask.nii.gz" \
  --atlas "$masks/{subject}_atlas.nii.gz" --atlas-names "$masks/{subject}_atlas_names.tsv" \
  --out-dir "$out/prepared" --overwrite
echo "== encode the prepared subjects (mulan_music), and NIfTI maps of sub-001"
mpirun "${mpirun_flags[@]}" "$b2m" encode "$out"/prepared/sub-00?_responses.h5 \
  --features "$out/study/features.h5" --space mulan_music --events "$root/data/ds003720/func" \
  --out "$out/encode_prepared/{subject}_mulan_music.h5" --overwrite
"$b2m" maps "$out/encode_prepared/sub-001_mulan_music.h5" --out-dir "$out/maps" --overwrite
echo
echo "Summary tables: $out/encode/summary_*.tsv, $out/decode/summary.tsv"
