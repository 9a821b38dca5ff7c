#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the sweep tests and for
# trying `maskdash sweep --backend slurm` without a cluster.
#   scripts/slurm-local.sh start   install (apt-get, as root) and start munge, slurmctld, slurmd
#   scripts/slurm-local.sh stop    stop the daemons
#   scripts/slurm-local.sh status  sinfo
# The node is "localhost" with this machine's CPUs and memory; one
# partition, "debug", the default. Slurm 22.05 (Debian 12).
set -euo pipefail
cmd=${1:-start}
conf=/etc/slurm/slurm.conf
start() {
  [ "$(id -u)" = 0 ] || { echo "slurm-local.sh start must run as root (it installs packages and starts daemons)"; exit 2; }
  if ! command -v slurmctld >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
  fi
  mkdir -p /etc/munge /var/log/munge /run/munge /var/lib/munge /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
  if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
  chown -R munge:munge /etc/munge /var/log/munge /run/munge /var/lib/munge 2>/dev/null || true
  chmod 0700 /etc/munge; chmod 0400 /etc/munge/munge.key
  pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged
  mem=$(awk '/MemTotal/ {print int($2/1024*0.9)}' /proc/meminfo)
  cat > "$conf" <<CONF
ClusterName=maskdash
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ReturnToService=2
DefMemPerCPU=1024
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
KillWait=5
NodeName=localhost CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
  if pgrep -x slurmctld >/dev/null; then
    scontrol reconfigure >/dev/null 2>&1 || true # the configuration written above
  else
    /usr/sbin/slurmctld
  fi
  pgrep -x slurmd >/dev/null || /usr/sbin/slurmd -N localhost
  for _ in $(seq 1 60); do
    if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
      echo "slurm is up: $(sinfo -h -o '%P %D %T %C')"
      return 0
    fi
    scontrol update nodename=localhost state=resume >/dev/null 2>&1 || true
    sleep 0.5
  done
  echo "slurm did not come up; see /var/log/slurm/"; sinfo || true; exit 1
}
stop() {
  pkill -x slurmd 2>/dev/null || true
  pkill -x slurmctld 2>/dev/null || true
  echo "slurm stopped"
}
case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) sinfo ;;
  *) echo "usage: $0 start|stop|status"; exit 2 ;;
esac
