#!/usr/bin/env bash
# The leipzig set of benchmarks/language_id.py: lingua's test sentences (Leipzig Wortschatz
# web corpora, 75 languages), from github.com/pemistahl/lingua-py at a fixed commit, into
# ~/.cache/newscorpus/lingua-testdata/sentences. The benchmark itself reads only the disk.
set -euo pipefail
commit=754ce21122c083a7200763015fdaf7cda8d85453
target="${HOME}/.cache/newscorpus/lingua-testdata"
[ -f "$target/sentences/en.txt" ] && { echo "already there: $target"; exit 0; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone --quiet --filter=blob:none --no-checkout https://github.com/pemistahl/lingua-py "$work/lingua"
git -C "$work/lingua" sparse-checkout set --no-cone /language-testdata/sentences/
git -C "$work/lingua" checkout --quiet "$commit"
mkdir -p "$target"
cp -r "$work/lingua/language-testdata/sentences" "$target/"
echo "copied into $target/sentences"
