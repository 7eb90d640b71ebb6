#!/usr/bin/env bash
# Stops the single-node Slurm that scripts/slurm/start.sh started: exactly the
# pids it recorded (slurmd, slurmctld, munged), never by process name.
set -uo pipefail

DIR=${CHROMFLOW_SLURM_DIR:-/tmp/chromflow-slurm}
stopped=0
for pidfile in "$DIR/slurmd.pid" "$DIR/slurmctld.pid" "$DIR/munge/munged.pid"; do
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    stopped=$((stopped + 1))
  fi
  rm -f "$pidfile"
done
echo "slurm: stopped $stopped daemons ($DIR)"
