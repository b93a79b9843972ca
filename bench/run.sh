#!/usr/bin/env bash
# Build shopsync and the sandbox (RelWithDebInfo) and run the benchmarks:
# bench/bench.py starts its own redis-server, sandbox and shopsync on free
# ports, connects the shop, imports and syncs a catalog, runs the three
# benchmarks, prints the figures and stops everything.
#   bench/run.sh [bench.py options]    e.g. bench/run.sh --only 1 --perf
# BENCH_BUILD_DIR overrides the build directory (default build-bench/).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for tool in cmake redis-server redis-cli python3 wrk; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "bench: missing ${missing[*]}: run scripts/setup.sh and apt-get install -y wrk" >&2
  exit 1
fi

build=${BENCH_BUILD_DIR:-$PWD/build-bench}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" --target shopsync shopsync-sandbox >/dev/null
exec python3 bench/bench.py --build-dir "$build" "$@"
