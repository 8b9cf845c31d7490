#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for trying b2m's job scripts
# and for the cluster tests: munged (as the munge user), slurmctld and slurmd
# with a generated slurm.conf, a `cpu` partition and a `gpu` partition whose
# GPUs are fake character devices (gres.conf File= lines). Needs root and the
# Debian packages slurm-wlm and munge (scripts/install-deps.sh installs them).
#
# Usage: cluster/local_slurm.sh start|stop|status
# Environment: B2M_SLURM_DIR (default /var/tmp/b2m-slurm) holds the state,
# logs and fake devices; the config goes to /etc/slurm (where the Slurm
# commands look for it).
set -euo pipefail

dir=${B2M_SLURM_DIR:-/var/tmp/b2m-slurm}
conf=/etc/slurm
gpus=2

write_config() {
  local node cpus mem
  node=$(hostname -s)
  cpus=$(nproc)
  mem=$(( $(awk '/MemTotal/{print $2}' /proc/meminfo) / 1024 - 1024 ))
  mkdir -p "$conf" "$dir"/{ctld,d,log,dev}
  chown slurm:slurm "$dir/ctld" "$dir/log"
  for i in $(seq 0 $((gpus - 1))); do
    [ -e "$dir/dev/gpu$i" ] || mknod "$dir/dev/gpu$i" c 1 3  # /dev/null's numbers
  done
  cat > "$conf/slurm.conf" <<CONF
ClusterName=b2m-local
SlurmctldHost=$node
SlurmUser=slurm
AuthType=auth/munge
MpiDefault=pmix
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
# A test cluster answers at once: jobs whose dependencies have ended are
# started within a second or two, not at the next 30-60 s scheduling pass.
SchedulerParameters=sched_interval=2,bf_interval=1,sched_min_interval=100000
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/d
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
GresTypes=gpu
NodeName=$node CPUs=$cpus RealMemory=$mem Gres=gpu:$gpus State=UNKNOWN
PartitionName=cpu Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
PartitionName=gpu Nodes=$node MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
  {
    for i in $(seq 0 $((gpus - 1))); do echo "NodeName=$node Name=gpu File=$dir/dev/gpu$i"; done
  } > "$conf/gres.conf"
}

start() {
  write_config
  if ! pgrep -x munged > /dev/null; then
    mkdir -p /run/munge && chown munge:munge /run/munge
    runuser -u munge -- /usr/sbin/munged
  fi
  pgrep -x slurmctld > /dev/null || /usr/sbin/slurmctld
  pgrep -x slurmd > /dev/null || /usr/sbin/slurmd
  for _ in $(seq 1 30); do
    if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
      sinfo
      return 0
    fi
    sleep 1
  done
  echo "local_slurm: the node did not come up; see $dir/log" >&2
  sinfo >&2 || true
  return 1
}

stop() {
  pkill -x slurmd || true
  pkill -x slurmctld || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) sinfo ;;
  *) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
