#!/usr/bin/env bash
# b2m encode benchmark driver.
#
# For each configuration (default: p512 = [p=512, V=20000] and p4096 = [p=4096, V=5000];
# 4920 training TRs in 12 runs, 600 test TRs, 20 alphas in [1, 1e7], 5 folds) it makes
# synthetic data, then runs, all with the same BLAS thread count (--threads):
#   b2m encode --precision double / single            (/usr/bin/time -v: wall, max RSS)
#   b2m under mpirun with 1 and 2 ranks, 1 BLAS thread each (parallel efficiency)
#   the himalaya-style numpy baseline (double, single)
#   scikit-learn RidgeCV (report only; --skip-sklearn)
# plus $BUILD/bench/gemm_peak if it exists, and prints a table and PASS/MISS targets
# (bench_report.py). --memory-scaling instead runs b2m at p=4096 for V=5000 and V=20000.
#
# Usage: bench/encode_bench.sh [--threads N] [--quick] [--sizes p512,p4096|PxV,...]
#          [--ranks 2] [--skip-sklearn] [--skip-baseline] [--memory-scaling]
#          [--work-dir DIR] [--b2m-args "..."] [--clean-data]
#          [--n-train 4920 --n-test 600 --runs 12]   (data shape; smaller only for testing)
# Environment: B2M (b2m binary, default $BUILD/jobs/b2m), BUILD (default <repo>/build).
# Data are cached in --work-dir (default $TMPDIR/b2m-bench) and reused; each run's logs,
# result files, runs.tsv and summary.json go to a new results-<date> folder there.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
PY=/usr/bin/python3
BUILD=${BUILD:-$ROOT/build}
B2M=${B2M:-$BUILD/jobs/b2m}
TIME=/usr/bin/time

threads=1
quick=0
sizes="p512,p4096"
ranks=2
skip_sklearn=0
skip_baseline=0
memory_scaling=0
work_dir=${TMPDIR:-/tmp}/b2m-bench
b2m_args=""
clean_data=0
n_train=4920
n_test=600
runs=12
n_alphas=20
folds=5

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads=$2; shift 2 ;;
    --quick) quick=1; shift ;;
    --sizes) sizes=$2; shift 2 ;;
    --ranks) ranks=$2; shift 2 ;;
    --skip-sklearn) skip_sklearn=1; shift ;;
    --skip-baseline) skip_baseline=1; shift ;;
    --memory-scaling) memory_scaling=1; shift ;;
    --work-dir) work_dir=$2; shift 2 ;;
    --b2m-args) b2m_args=$2; shift 2 ;;
    --clean-data) clean_data=1; shift ;;
    --n-train) n_train=$2; shift 2 ;;
    --n-test) n_test=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "unknown argument: $1" >&2; usage 2 ;;
  esac
done

[ -x "$TIME" ] || { echo "needs GNU time at $TIME" >&2; exit 2; }
have_b2m=1
if [ ! -x "$B2M" ]; then
  echo "warning: b2m binary not found at $B2M (set B2M=...); b2m runs are skipped" >&2
  have_b2m=0
fi

mkdir -p "$work_dir"
stamp=$(date +%Y%m%d-%H%M%S)
res_dir="$work_dir/results-$stamp"
mkdir -p "$res_dir"
tsv="$res_dir/runs.tsv"
printf 'config\tlabel\ttool\tprecision\tranks\tthreads\tpeak_threads\tdata\tout\ttimelog\tstdout\trc\n' > "$tsv"
echo "results in $res_dir (threads=$threads, quick=$quick)"

# config name -> "p V"
config_pv() {
  case "$1" in
    p512) echo "512 20000" ;;
    p4096) echo "4096 5000" ;;
    *x*) echo "${1%x*} ${1#*x}" ;;
    *) echo "unknown size '$1' (use p512, p4096 or PxV)" >&2; exit 2 ;;
  esac
}

make_data() {  # p V -> prints the data dir
  local p=$1 v=$2 dir="$work_dir/data-n${n_train}-t${n_test}-r${runs}-p$1-v$2-s0"
  if [ ! -f "$dir/responses.h5" ] || [ ! -f "$dir/design.h5" ]; then
    echo "making data p=$p V=$v in $dir" >&2
    OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads \
      "$PY" "$HERE/make_bench_data.py" --n-train "$n_train" --n-test "$n_test" --runs "$runs" \
      --p "$p" --voxels "$v" --seed 0 --out-dir "$dir" >&2
  fi
  echo "$dir"
}

# timed CONFIG LABEL TOOL PRECISION RANKS THREADS DATA OUT -- command...
timed() {
  local cfg=$1 label=$2 tool=$3 prec=$4 nr=$5 nt=$6 data=$7 out=$8
  shift 9
  local log="$res_dir/$cfg.$label.time" so="$res_dir/$cfg.$label.log" rc=0
  rm -f "$out" "$out.partial"
  echo "  [$cfg] $label ..." >&2
  OPENBLAS_NUM_THREADS=$nt OMP_NUM_THREADS=$nt MKL_NUM_THREADS=$nt \
    "$TIME" -v -o "$log" "$@" > "$so" 2>&1 || rc=$?
  [ "$rc" = 0 ] || echo "  [$cfg] $label FAILED (rc $rc): see $so" >&2
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$cfg" "$label" "$tool" "$prec" \
    "$nr" "$nt" "$threads" "$data" "$out" "$log" "$so" "$rc" >> "$tsv"
}

read -r -a extra_b2m_args <<< "$b2m_args"
b2m_cmd=()
set_b2m_cmd() {  # data out precision -> b2m_cmd array
  b2m_cmd=("$B2M" encode --responses "$1/responses.h5" --design "$1/design.h5" --out "$2"
           --precision "$3" --folds "$folds" --n-alphas "$n_alphas" --alpha-min 1
           --alpha-max 1e7 ${extra_b2m_args[@]+"${extra_b2m_args[@]}"})
}
data_dirs=()

mpi=(mpirun --oversubscribe --allow-run-as-root -x OPENBLAS_NUM_THREADS=1 -x OMP_NUM_THREADS=1)
# mpirun's PMIx server tries munge authentication first; where munge's socket
# exists but munged is not running, it retries for 2.3 s before falling back.
export PMIX_MCA_psec=native
# One machine, shared memory: left to choose, Open MPI first starts its
# network transports (libfabric, PSM), 0.2 s of every launch here.
export OMPI_MCA_pml=ob1

# GEMM peak of this machine at the benchmark's thread count
gemm_out="$res_dir/gemm_peak.jsonl"
if [ -x "$BUILD/bench/gemm_peak" ]; then
  echo "measuring GEMM peak ($BUILD/bench/gemm_peak, $threads thread(s))"
  OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads "$BUILD/bench/gemm_peak" \
    > "$gemm_out" 2> "$res_dir/gemm_peak.stderr" || echo "warning: gemm_peak failed" >&2
else
  echo "no $BUILD/bench/gemm_peak: GEMM peak not measured"
  : > "$gemm_out"
fi

scale_v() {  # V -> V (divided by 10 with --quick)
  if [ "$quick" = 1 ]; then echo $(( $1 / 10 )); else echo "$1"; fi
}

if [ "$memory_scaling" = 1 ]; then
  [ "$have_b2m" = 1 ] || { echo "--memory-scaling needs the b2m binary" >&2; exit 2; }
  for v0 in 5000 20000; do
    v=$(scale_v $v0)
    d=$(make_data 4096 "$v"); data_dirs+=("$d")
    out="$res_dir/mem-v$v.b2m.h5"
    set_b2m_cmd "$d" "$out" double
    timed "mem-p4096-v$v" "b2m_mem_v$v" b2m double 1 "$threads" "$d" "$out" -- "${b2m_cmd[@]}"
  done
else
  IFS=',' read -r -a cfgs <<< "$sizes"
  for cfg in "${cfgs[@]}"; do
    read -r p v0 <<< "$(config_pv "$cfg")"
    v=$(scale_v "$v0")
    name="p${p}-v${v}"
    d=$(make_data "$p" "$v"); data_dirs+=("$d")
    if [ "$have_b2m" = 1 ]; then
      for prec in double single; do
        out="$res_dir/$name.b2m_$prec.h5"
        set_b2m_cmd "$d" "$out" "$prec"
        timed "$name" "b2m_$prec" b2m "$prec" 1 "$threads" "$d" "$out" -- "${b2m_cmd[@]}"
      done
      for nr in 1 "$ranks"; do
        out="$res_dir/$name.b2m_mpi$nr.h5"
        set_b2m_cmd "$d" "$out" double
        timed "$name" "b2m_mpi$nr" b2m double "$nr" 1 "$d" "$out" -- "${mpi[@]}" -n "$nr" "${b2m_cmd[@]}"
      done
    fi
    if [ "$skip_baseline" = 0 ]; then
      for prec in double single; do
        out="$res_dir/$name.baseline_$prec.h5"
        timed "$name" "baseline_$prec" baseline "$prec" 1 "$threads" "$d" "$out" -- \
          "$PY" "$HERE/himalaya_style_baseline.py" --responses "$d/responses.h5" \
          --design "$d/design.h5" --out "$out" --precision "$prec" --folds "$folds" \
          --alphas-n "$n_alphas" --alpha-min 1 --alpha-max 1e7
      done
    fi
    if [ "$skip_sklearn" = 0 ]; then
      out="$res_dir/$name.sklearn.h5"
      timed "$name" sklearn_ridgecv sklearn double 1 "$threads" "$d" "$out" -- \
        "$PY" "$HERE/sklearn_ridgecv.py" --responses "$d/responses.h5" --design "$d/design.h5" \
        --out "$out" --alphas-n "$n_alphas" --alpha-min 1 --alpha-max 1e7
    fi
  done
fi

echo
"$PY" "$HERE/bench_report.py" --runs "$tsv" --gemm "$gemm_out" --n-alphas "$n_alphas" \
  --folds "$folds" --json-out "$res_dir/summary.json"
if [ "$clean_data" = 1 ]; then
  for d in ${data_dirs[@]+"${data_dirs[@]}"}; do rm -rf "$d"; done
  echo "(data removed)"
fi
echo "(run logs, /usr/bin/time logs and result files: $res_dir)"
