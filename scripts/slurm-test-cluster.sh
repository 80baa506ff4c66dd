#!/usr/bin/env bash
# slurm-test-cluster.sh -- a real single-node Slurm cluster for the integration tests.
#
#   scripts/slurm-test-cluster.sh start DIR   munged + slurmctld + slurmd (Debian's packages)
#                                             configured in DIR, on free local ports; waits
#                                             until the node is idle and prints DIR/slurm.conf
#   scripts/slurm-test-cluster.sh stop DIR    stops them and removes DIR
#
# Use it with SLURM_CONF=DIR/slurm.conf (sbatch, squeue and scontrol read it). Nothing
# outside DIR is touched: munge runs with its own key and socket, Slurm keeps its state,
# spool, logs and pid files in DIR. The node offers its CPUs and two pretend GPUs
# (/dev/null and /dev/zero stand in as device files), so --gpus-per-task works and Slurm
# sets CUDA_VISIBLE_DEVICES as on a GPU cluster. The daemons run as the invoking user;
# as root they run jobs as root (what CI does).
set -euo pipefail

die() {
    echo "slurm-test-cluster.sh: $*" >&2
    exit 1
}

[ $# -eq 2 ] || { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
cmd=$1
dir=$2

free_port() {
    /usr/bin/python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

start() {
    for prog in munged slurmctld slurmd sbatch sinfo; do
        command -v "$prog" > /dev/null || [ -x "/usr/sbin/$prog" ] ||
            die "$prog not found (apt-get install slurmctld slurmd slurm-client munge)"
    done
    export PATH="$PATH:/usr/sbin"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ -e "$dir/slurm.conf" ] && die "$dir holds a cluster already: stop it first"
    mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
    chmod 0700 "$dir/munge"
    # munged checks that its key and directories are private to its user
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
    chmod 0400 "$dir/munge/munge.key"
    munged --force --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
        --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" \
        --seed-file="$dir/munge/munged.seed" ||
        { cat "$dir/log/munged.log" >&2 2>/dev/null; die "munged did not start"; }

    local node user cpus mem ctld_port slurmd_port
    node=$(hostname -s)
    user=$(id -un)
    cpus=$(nproc)
    mem=$(awk '/MemTotal/ { printf "%d", $2 / 1024 / 2 }' /proc/meminfo)
    ctld_port=$(free_port)
    slurmd_port=$(free_port)
    cat > "$dir/gres.conf" <<EOF
NodeName=$node Name=gpu File=/dev/null
NodeName=$node Name=gpu File=/dev/zero
EOF
    cat > "$dir/slurm.conf" <<EOF
ClusterName=hpstest
SlurmctldHost=$node
SlurmUser=$user
SlurmdUser=root
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmdTimeout=60
GresTypes=gpu
NodeName=$node CPUs=$cpus RealMemory=$mem Gres=gpu:2 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
EOF
    if [ "$(id -u)" -ne 0 ]; then
        sed -i 's/^SlurmdUser=root$/SlurmdUser='"$user"'/' "$dir/slurm.conf"
    fi
    export SLURM_CONF="$dir/slurm.conf"
    slurmctld -f "$dir/slurm.conf" -i ||
        { cat "$dir/log/slurmctld.log" >&2 2>/dev/null; die "slurmctld did not start"; }
    slurmd -f "$dir/slurm.conf" -N "$node" ||
        { cat "$dir/log/slurmd.log" >&2 2>/dev/null; die "slurmd did not start"; }
    local state=""
    for _ in $(seq 1 150); do
        state=$(sinfo -h -n "$node" -o %t 2>/dev/null || true)
        case "$state" in idle | mix | alloc) break ;; esac
        sleep 0.2
    done
    case "$state" in
    idle | mix | alloc) ;;
    *)
        tail -20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 2>/dev/null || true
        die "node $node did not come up (state '$state')"
        ;;
    esac
    echo "$dir/slurm.conf"
}

stop_pid() {
    local file=$1 pid
    [ -f "$file" ] || return 0
    pid=$(cat "$file" 2>/dev/null || true)
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
}

stop() {
    [ -d "$dir" ] || return 0
    if [ -f "$dir/slurm.conf" ]; then
        SLURM_CONF="$dir/slurm.conf" scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
    fi
    stop_pid "$dir/slurmd.pid"
    stop_pid "$dir/slurmctld.pid"
    stop_pid "$dir/munge/munged.pid"
    rm -rf "$dir"
}

case "$cmd" in
start) start ;;
stop) stop ;;
*) die "unknown command '$cmd' (start or stop)" ;;
esac
