#!/usr/bin/env bash
# Build the libFuzzer targets (clang, ASan+UBSan) in build-fuzz and run each
# one for SECONDS (default 60) on a scratch copy of its seed corpus, so the
# repository is never modified. Exits non-zero when any target crashes or an
# oracle fails; the reproducer is kept and its path printed.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#   targets: webhook_tiktok stripe_signature catalog tiktok_response
# A reproducer becomes a regression test by copying it into
# tests/fuzz/corpus/<target>/ (replayed by ctest fuzz.replay.<target>).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

seconds=${1:-60}
case "$seconds" in
  ''|*[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(webhook_tiktok stripe_signature catalog tiktok_response)

build=$root/build-fuzz
CC=clang cmake -S "$root" -B "$build" -DSHOPSYNC_FUZZ=ON -DSHOPSYNC_SANITIZE=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target $(printf 'fuzz_%s ' "${targets[@]}") >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/shopsync-fuzz.XXXXXX")
echo "fuzz: scratch corpora and logs in $work"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export LSAN_OPTIONS="suppressions=$root/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

failed=0
for t in "${targets[@]}"; do
  bin=$build/tests/fuzz/fuzz_$t
  seeds=$root/tests/fuzz/corpus/$t
  if [ ! -x "$bin" ] || [ ! -d "$seeds" ]; then
    echo "fuzz: unknown target $t" >&2
    exit 2
  fi
  corpus=$work/$t/corpus
  artifacts=$work/$t/artifacts/
  mkdir -p "$corpus" "$artifacts"
  cp "$seeds"/* "$corpus"/
  log=$work/$t/fuzz.log
  echo "fuzz: $t for ${seconds}s"
  rc=0
  # A fixed seed (SHOPSYNC_FUZZ_SEED) makes a CI finding reproducible.
  "$bin" -seed="${SHOPSYNC_FUZZ_SEED:-1}" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=25 -print_final_stats=1 \
    -artifact_prefix="$artifacts" "$corpus" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 || true)
  echo "fuzz: $t: exit $rc, ${execs:-?} execs, ${cov:-cov: ?}, corpus $(ls "$corpus" | wc -l) files"
  if [ "$rc" -ne 0 ]; then
    failed=1
    echo "fuzz: $t FAILED; last lines of $log:" >&2
    tail -n 30 "$log" >&2
    for a in "$artifacts"*; do
      [ -e "$a" ] && echo "fuzz: reproducer $a (add it to tests/fuzz/corpus/$t/)" >&2
    done
  fi
done
exit $failed
