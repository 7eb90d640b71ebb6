#!/bin/sh
# PyTorch twin (bench/xchrom_twin.py, owned by the compute-backend helper) on the
# same E18 split and seeds as scripts/eval-xchrom-e18.ts.
#   sh scripts/run-twin-e18.sh <outdir> [size=small] [seeds="0 1 2"] [threads=1]
# Needs python3 with torch, numpy, h5py, scikit-learn (Debian: /usr/bin/python3).
set -eu
out=${1:?output directory}
size=${2:-small}
seeds=${3:-"0 1 2"}
threads=${4:-1}
py=${PYTHON:-/usr/bin/python3}
here=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$here/../../../shared" && pwd)
mkdir -p "$out"
[ -f "$out/twin-data/seqs.npy" ] || "$py" "$here/bench/xchrom_twin.py" prepare \
  --source "$shared/data/multiome/xchrom_e18_mouse_brain" --data "$out/twin-data"
for task in cross-peak cross-cell; do
  for seed in $seeds; do
    "$py" "$here/bench/xchrom_twin.py" train --data "$out/twin-data" \
      --split "$shared/notes/xchrom-e18-splits.json" --config "$size" --task "$task" \
      --seed "$seed" --patience 20 --threads "$threads" \
      --out "$out/twin-$task-$size-seed$seed.json"
  done
done
