#!/usr/bin/env bash
# A single-node Slurm on loopback for the Slurm executor's tests and for trying
# `chromflow run --executor slurm` on one machine: munged, slurmctld and slurmd
# from Debian's packages (apt-get install slurm-wlm munge), no systemd, run as
# root. The node declares CPUs=$CHROMFLOW_SLURM_CPUS (default 8, more than a
# CI machine has, so that independent test jobs run side by side) and two fake
# GPUs (GRES backed by files under $DIR/dev), so a job asking --gres=gpu:1 gets
# CUDA_VISIBLE_DEVICES from Slurm exactly as on a real GPU node.
#
# Idempotent: when the daemons it started are alive and answer, it does
# nothing. Everything lives in $CHROMFLOW_SLURM_DIR (default /tmp/chromflow-slurm);
# /etc/slurm/slurm.conf is made a link to the generated one (so sbatch, squeue,
# scontrol and scancel find it with no SLURM_CONF), unless a file not written
# here is already there, which is left alone (then export SLURM_CONF).
# Stop with scripts/slurm/stop.sh (by the pids recorded here).
set -euo pipefail

DIR=${CHROMFLOW_SLURM_DIR:-/tmp/chromflow-slurm}
CPUS=${CHROMFLOW_SLURM_CPUS:-8}
CTLD_PORT=${CHROMFLOW_SLURM_CTLD_PORT:-6817}
SLURMD_PORT=${CHROMFLOW_SLURM_SLURMD_PORT:-6818}
NODE=chromflow0
CONF=$DIR/slurm.conf
MARK='# written by chromflow scripts/slurm/start.sh'
t0=$(date +%s.%N)

bin() { # Debian installs the daemons as <name>-wlm with an alternatives link <name>
  if command -v "$1" >/dev/null 2>&1; then command -v "$1"
  elif [ -x "/usr/sbin/$1" ]; then echo "/usr/sbin/$1"
  elif [ -x "/usr/sbin/$1-wlm" ]; then echo "/usr/sbin/$1-wlm"
  else echo "start.sh: $1 not found; apt-get install slurm-wlm munge" >&2; exit 1; fi
}
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

export SLURM_CONF=$CONF
if alive "$DIR/munge/munged.pid" && alive "$DIR/slurmctld.pid" && alive "$DIR/slurmd.pid" \
  && scontrol ping 2>/dev/null | grep -q UP; then
  echo "slurm: already running ($DIR)"
  exit 0
fi
# Half-started or stale (a killed earlier run): stop what is left, start afresh.
"$(dirname "$0")/stop.sh" >/dev/null 2>&1 || true

MUNGED=$(bin munged)
SLURMCTLD=$(bin slurmctld)
SLURMD=$(bin slurmd)
mkdir -p "$DIR/munge" "$DIR/ctld" "$DIR/d" "$DIR/dev"
chmod 755 "$DIR/munge"
if [ ! -s "$DIR/munge/munge.key" ]; then
  head -c 1024 /dev/urandom >"$DIR/munge/munge.key"
  chmod 400 "$DIR/munge/munge.key"
fi
# Fake GPU device nodes: slurmd accepts only character or block devices in
# gres.conf; NVIDIA's major number 195, nothing behind them. Where mknod is not
# allowed (a container without CAP_MKNOD), links to /dev/null and /dev/zero.
for i in 0 1; do
  [ -c "$DIR/dev/nvidia$i" ] && continue
  rm -f "$DIR/dev/nvidia$i"
  mknod "$DIR/dev/nvidia$i" c 195 "$i" 2>/dev/null \
    || ln -s "$([ "$i" = 0 ] && echo /dev/null || echo /dev/zero)" "$DIR/dev/nvidia$i"
done
MEM_MB=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
HOST=$(hostname -s)

cat >"$CONF" <<EOF
$MARK
ClusterName=chromflow
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge/munge.socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$DIR/ctld
SlurmdSpoolDir=$DIR/d
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/builtin
SlurmdParameters=config_overrides
ReturnToService=2
# Finished jobs stay visible to squeue/scontrol for 5 min (no slurmdbd here).
MinJobAge=300
# SIGTERM, then SIGKILL 5 s later, at a time limit or scancel.
KillWait=5
OverTimeLimit=0
InactiveLimit=0
GresTypes=gpu
NodeName=$NODE NodeAddr=127.0.0.1 NodeHostname=$HOST CPUs=$CPUS RealMemory=$MEM_MB Gres=gpu:2 State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
cat >"$DIR/gres.conf" <<EOF
$MARK
NodeName=$NODE Name=gpu File=$DIR/dev/nvidia[0-1]
EOF

mkdir -p /etc/slurm
if [ ! -e /etc/slurm/slurm.conf ] || [ -L /etc/slurm/slurm.conf ] \
  || grep -qF "$MARK" /etc/slurm/slurm.conf; then
  ln -sfn "$CONF" /etc/slurm/slurm.conf
else
  echo "slurm: /etc/slurm/slurm.conf is not ours; left alone: export SLURM_CONF=$CONF" >&2
fi

"$MUNGED" --force --key-file="$DIR/munge/munge.key" --socket="$DIR/munge/munge.socket" \
  --pid-file="$DIR/munge/munged.pid" --log-file="$DIR/munge/munged.log" \
  --seed-file="$DIR/munge/munged.seed"
"$SLURMCTLD" -f "$CONF"
"$SLURMD" -f "$CONF" -N "$NODE"

# Ready when the node takes jobs.
for _ in $(seq 1 200); do
  state=$(sinfo -h -n "$NODE" -o %T 2>/dev/null || true)
  case "$state" in
    idle* | mixed* | allocated*) break ;;
    down* | drain*) scontrol update nodename="$NODE" state=resume >/dev/null 2>&1 || true ;;
  esac
  sleep 0.1
done
case "$state" in
  idle* | mixed* | allocated*) ;;
  *)
    echo "slurm: node $NODE is '$state' after 20 s; see $DIR/slurmctld.log and $DIR/slurmd.log" >&2
    exit 1
    ;;
esac
echo "slurm: up in $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $t0 }") s (node $NODE: $CPUS CPUs, 2 fake GPUs; conf $CONF)"
