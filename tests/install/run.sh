#!/usr/bin/env bash
# usage: run.sh BUILD_DIR CONSUMER_SRC CXX
set -euo pipefail
build=$1 src=$2 cxx=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" >/dev/null
for f in include/evq/poll/poll.hpp include/evq/result.hpp; do
  [[ -f $prefix/$f ]] || { echo "missing after install: $f"; exit 1; }
done
libdir=$(dirname "$(find "$prefix" -name 'libevq.*' | head -n1)")
[[ -f $libdir/cmake/evq/evqConfig.cmake ]] || { echo "missing evqConfig.cmake"; exit 1; }
[[ -f $libdir/pkgconfig/evq.pc ]] || { echo "missing evq.pc"; exit 1; }

echo "--- find_package(evq)"
cmake -S "$src" -B "$work/cmake-build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
"$work/cmake-build/consumer"

echo "--- pkg-config evq"
export PKG_CONFIG_PATH=$libdir/pkgconfig
# shellcheck disable=SC2046
"$cxx" $(pkg-config --cflags evq) "$src/main.cpp" $(pkg-config --libs evq) -o "$work/pc-consumer"
"$work/pc-consumer"
