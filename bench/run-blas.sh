#!/usr/bin/env bash
# GEMM against the other BLAS builds this machine can get: square sgemm (n = 1024, as the ops table's
# `gemm 1024` row) through the OpenBLAS Cadence links (Debian's libopenblas), the newest OpenBLAS on
# PyPI (scipy-openblas32) and Debian's BLIS, at 1 and 2 threads, the libraries taking turns in each of
# ROUNDS rounds (default 3). Each row gives the best run of every round and the ratio to Cadence's.
# Candidates that cannot be fetched here (no apt-get, no network) are skipped with a note.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
ROUNDS=${ROUNDS:-3}
N=${N:-1024}
OUT=bench/out/blas
mkdir -p "$OUT"
CC=${CC:-$(command -v cc || command -v clang || true)}
[ -n "$CC" ] || { echo "run-blas: skipped (no C compiler: set CC)"; exit 0; }
"$CC" -O2 -o "$OUT/blas_sgemm" bench/blas_sgemm.c -ldl

# name|library|symbol|threads variable
candidates=()
linked=$(pkg-config --variable=libdir openblas 2>/dev/null || true)
for dir in "$linked" /usr/lib/x86_64-linux-gnu/openblas-pthread /usr/lib/aarch64-linux-gnu/openblas-pthread; do
    if [ -n "$dir" ] && [ -e "$dir/libopenblas.so.0" ]; then
        version=$(dpkg-query -W -f='${Version}' libopenblas0-pthread 2>/dev/null | sed 's/+.*//' || true)
        candidates+=("OpenBLAS ${version:-(system)} (linked by Cadence)|$dir/libopenblas.so.0|sgemm_|OPENBLAS_NUM_THREADS")
        break
    fi
done
[ ${#candidates[@]} -eq 1 ] || { echo "run-blas: skipped (the OpenBLAS Cadence links was not found as a .so.0)"; exit 0; }

if [ ! -e "$OUT/pypi/scipy_openblas32/lib/libscipy_openblas.so" ]; then
    rm -rf "$OUT/pypi" && mkdir -p "$OUT/pypi"
    if "$PYTHON" -m pip download --no-deps -q -d "$OUT/pypi" scipy-openblas32 >/dev/null 2>&1; then
        "$PYTHON" -m zipfile -e "$OUT"/pypi/scipy_openblas32-*.whl "$OUT/pypi"
    fi
fi
if [ -e "$OUT/pypi/scipy_openblas32/lib/libscipy_openblas.so" ]; then
    version=$(ls "$OUT"/pypi/scipy_openblas32-*.whl | sed 's/.*scipy_openblas32-\([0-9.]*\)-.*/\1/')
    candidates+=("OpenBLAS $version (PyPI scipy-openblas32)|$OUT/pypi/scipy_openblas32/lib/libscipy_openblas.so|scipy_sgemm_|OPENBLAS_NUM_THREADS")
else
    echo "run-blas: skipping PyPI's scipy-openblas32 (pip download failed)"
fi

if [ ! -e "$OUT/blis/libblis.so.4" ] && command -v apt-get >/dev/null; then
    rm -rf "$OUT/blis" && mkdir -p "$OUT/blis/deb"
    if (cd "$OUT/blis/deb" && apt-get download libblis4-pthread >/dev/null 2>&1); then
        dpkg -x "$OUT"/blis/deb/libblis4-pthread_*.deb "$OUT/blis/root"
        cp "$(find "$OUT/blis/root" -name libblis.so.4 | head -1)" "$OUT/blis/libblis.so.4"
        basename "$OUT"/blis/deb/libblis4-pthread_*.deb | sed 's/libblis4-pthread_\([^_]*\)_.*/\1/' > "$OUT/blis/version"
    fi
fi
if [ -e "$OUT/blis/libblis.so.4" ]; then
    candidates+=("BLIS $(cat "$OUT/blis/version") (Debian libblis4-pthread)|$OUT/blis/libblis.so.4|sgemm_|BLIS_NUM_THREADS")
else
    echo "run-blas: skipping Debian's BLIS (apt-get download failed)"
fi

echo "sgemm n=$N, best of 10 runs per turn, $ROUNDS rounds with the libraries in turn"
echo
echo "| library | threads | GFLOP/s by round | best ms | ratio to Cadence's OpenBLAS |"
echo "|---|---:|---|---:|---:|"
for threads in 1 2; do
    declare -A rates=() bests=()
    for round in $(seq "$ROUNDS"); do
        for candidate in "${candidates[@]}"; do
            IFS='|' read -r name library symbol variable <<<"$candidate"
            line=$(env "$variable=$threads" OMP_NUM_THREADS="$threads" "$OUT/blas_sgemm" "$library" "$symbol" "$N" 10)
            gflops=$(sed 's/.*"gflops": \([0-9.]*\).*/\1/' <<<"$line")
            ms=$(sed 's/.*"best_ms": \([0-9.]*\).*/\1/' <<<"$line")
            rates[$name]="${rates[$name]:+${rates[$name]} / }$gflops"
            bests[$name]=$(awk -v a="${bests[$name]:-1e30}" -v b="$ms" 'BEGIN { print (b < a ? b : a) }')
        done
    done
    IFS='|' read -r own _ <<<"${candidates[0]}"
    for candidate in "${candidates[@]}"; do
        IFS='|' read -r name _ <<<"$candidate"
        ratio=$(awk -v own="${bests[$own]}" -v it="${bests[$name]}" 'BEGIN { printf "%.2fx", own / it }')
        echo "| $name | $threads | ${rates[$name]} | ${bests[$name]} | $ratio |"
    done
    unset rates bests
done
echo
echo "(ratio: Cadence's OpenBLAS time over the library's, best runs; above 1.00x the library is faster)"
