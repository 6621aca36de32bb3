#!/usr/bin/env bash
# A real one-node Slurm cluster (Debian's slurm-wlm 22.05 + munge) in one folder under
# /tmp, started without systemd: for Rewind's Slurm integration tests, and for trying
# `rewind compare RECIPE --slurm --submit` on one machine.
#
#   scripts/slurm-local-cluster.sh install
#       installs Debian's slurm-wlm and munge with apt-get (as root). `start` never
#       installs anything: it says what is missing.
#   scripts/slurm-local-cluster.sh start [--dir DIR] [--cpus N]
#       checks that slurm-wlm and munge are installed and that every folder above DIR
#       can be traversed by other users, writes the config, munge
#       key and slurm.conf into DIR, starts munged, slurmctld and slurmd in the
#       background, waits until the node is idle, and prints `export SLURM_CONF=...`.
#       --cpus declares N CPUs (default: nproc; more than nproc oversubscribes the
#       cores, through SlurmdParameters=config_overrides).
#   scripts/slurm-local-cluster.sh stop [--dir DIR]
#       cancels every job, waits for them to leave, then stops the daemons by the PIDs
#       recorded at start, and any job step still carrying this cluster's token (TERM,
#       then KILL after 10 s).
#   scripts/slurm-local-cluster.sh env [--dir DIR]
#       prints `export SLURM_CONF=DIR/slurm.conf` (eval it to point sbatch, squeue,
#       scancel at this cluster; jobs inherit it).
#
# DIR defaults to $REWIND_SLURM_DIR, else /tmp/rewind-slurm. Runs as root (slurmd and
# munged need it). Nothing is killed by name: only the PIDs this script started, plus
# slurmstepd processes that carry this cluster's token in their environment.
# Known ground: munged wants its socket folder 0755 and its key 0400, and every folder
# above the socket world-traversable; the node is named localhost; there is no
# accounting daemon, so job states come from squeue, `scontrol show job` or the
# jobcomp file DIR/jobcomp.txt.
set -euo pipefail

usage() { echo "usage: $0 install|start|stop|env [--dir DIR] [--cpus N]" >&2; exit 2; }
fail() { echo "slurm-local-cluster: $*" >&2; exit 1; }

command=${1:-}; [[ -n $command ]] || usage; shift
dir=${REWIND_SLURM_DIR:-/tmp/rewind-slurm}
cpus=$(nproc)
while [[ $# -gt 0 ]]; do
    case $1 in
        --dir) [[ $# -ge 2 ]] || usage; dir=$2; shift 2 ;;
        --cpus) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || fail "--cpus: expected a positive integer, got '${2:-}'"; cpus=$2; shift 2 ;;
        *) usage ;;
    esac
done
[[ $dir == /* ]] || fail "--dir: expected an absolute path, got '$dir'"
conf=$dir/slurm.conf
daemons=(munged slurmctld slurmd)

# --- helpers ----------------------------------------------------------------------

pid_of() { local file=$dir/$1.pid; [[ -s $file ]] && cat "$file" || true; }
alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }

# Ends the processes "$@" (PIDs): TERM to all at once (each daemon takes 1-2 s to
# exit), up to 10 s, then KILL to any still alive.
end_processes() {
    local pid left
    kill -TERM "$@" 2>/dev/null || true
    for _ in $(seq 100); do
        left=""
        for pid in "$@"; do alive "$pid" && left="$left $pid"; done
        [[ -z $left ]] && return 0
        sleep 0.1
    done
    echo "slurm-local-cluster: pids$left ignored TERM for 10 s; sending KILL" >&2
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null || true
}

# PIDs of processes whose environment holds this cluster's token (slurmstepd inherits
# it from slurmd; a job step left behind by a killed slurmd would otherwise survive).
token_pids() {
    local file pid
    for file in $(grep -lzxF "REWIND_SLURM_TOKEN=$1" /proc/[0-9]*/environ 2>/dev/null || true); do
        pid=${file#/proc/}; pid=${pid%/environ}
        [[ $pid == "$$" ]] || echo "$pid"
    done
}

# Cancels every job of this cluster and waits (up to 20 s) until the queue is empty.
cancel_jobs() {
    alive "$(pid_of slurmctld)" || return 0
    local jobs
    jobs=$(SLURM_CONF=$conf squeue -h -o %A 2>/dev/null | sort -u || true)
    [[ -z $jobs ]] && return 0
    # shellcheck disable=SC2086
    SLURM_CONF=$conf scancel $jobs 2>/dev/null || true
    for _ in $(seq 200); do
        [[ -z $(SLURM_CONF=$conf squeue -h -o %A 2>/dev/null || true) ]] && return 0
        sleep 0.1
    done
    echo "slurm-local-cluster: jobs still queued after 20 s; stopping the daemons anyway" >&2
}

# Stops everything this cluster runs; safe to call at any point, and more than once.
stop_cluster() {
    cancel_jobs
    local name pid token pids=()
    token=$(cat "$dir/token" 2>/dev/null || true)
    # A recorded PID counts only while its process carries the token (PIDs get reused).
    for name in "${daemons[@]}"; do
        pid=$(pid_of "$name")
        alive "$pid" && grep -qzxF "REWIND_SLURM_TOKEN=$token" "/proc/$pid/environ" 2>/dev/null && pids+=("$pid")
    done
    if [[ -n $token ]]; then
        for pid in $(token_pids "$token"); do [[ " ${pids[*]} " == *" $pid "* ]] || pids+=("$pid"); done
    fi
    [[ ${#pids[@]} -gt 0 ]] && end_processes "${pids[@]}"
    for name in "${daemons[@]}"; do rm -f "$dir/$name.pid"; done
}

# A free TCP port at or above $1 (nothing accepts connections on it).
free_port() {
    local port=$1
    while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; do
        port=$((port + 1))
    done
    echo "$port"
}

slurm_tools=(munged slurmctld slurmd sbatch squeue scancel scontrol sinfo)

# The Slurm and munge programs that are not on the PATH.
missing_tools() {
    local tool
    for tool in "${slurm_tools[@]}"; do command -v "$tool" >/dev/null || echo "$tool"; done
}

# `install`: slurm-wlm and munge from Debian.
install_slurm() {
    [[ $(id -u) == 0 ]] || fail "install needs root (apt-get)"
    command -v apt-get >/dev/null || fail "apt-get is not available: install Slurm (slurmctld, slurmd, clients) and munge yourself"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq slurm-wlm munge >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq slurm-wlm munge >/dev/null 2>&1; } \
        || fail "apt-get could not install slurm-wlm and munge"
    echo "slurm-local-cluster: slurm-wlm and munge installed" >&2
}

# Fails unless every program is there; never installs.
require_tools() {
    local missing
    missing=$(missing_tools | tr '\n' ' ')
    [[ -z $missing ]] || fail "not installed: ${missing% }; run '$0 install' (apt-get install slurm-wlm munge, as root)"
}

# Fails if a folder above DIR cannot be traversed by other users: munged refuses a
# socket it believes others cannot reach ("socket did not happen").
require_traversable_parents() {
    local folder mode
    folder=$(dirname "$dir")
    while [[ $folder != / ]]; do
        if [[ -d $folder ]]; then
            mode=$(stat -c %a "$folder")
            (( (8#$mode & 1) != 0 )) || fail "--dir $dir: the folder $folder above it has mode $mode, not traversable by other users (munged needs o+x on every folder above its socket); chmod o+x $folder, or choose a --dir under /tmp"
        fi
        folder=$(dirname "$folder")
    done
}

write_config() {
    local memory ctld_port slurmd_port overrides=""
    memory=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
    ctld_port=$(free_port 6817)
    slurmd_port=$(free_port $((ctld_port + 1)))
    (( cpus > $(nproc) )) && overrides="SlurmdParameters=config_overrides"
    cat > "$conf" <<EOF
# Written by scripts/slurm-local-cluster.sh: a one-node cluster in $dir.
ClusterName=rewind-local
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket.2
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/jobcomp.txt
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
ReturnToService=2
MailProg=/bin/true
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.daemon.pid
SlurmdPidFile=$dir/slurmd.daemon.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
$overrides
NodeName=localhost CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
}

# Starts "$@" in the background with its output in log/$name.out and records its PID.
# The daemon keeps no other descriptor of the caller's: a caller that waits for its
# pipes (or, like Foundation's Process, for a socket it passed down) to close would
# otherwise wait for the daemons to exit.
launch() {
    local name=$1 token; shift
    token=$(cat "$dir/token")
    (
        for fd in /proc/self/fd/*; do
            fd=${fd##*/}
            [[ $fd -gt 2 ]] && eval "exec $fd>&-" 2>/dev/null || true
        done
        REWIND_SLURM_TOKEN=$token exec "$@"
    ) </dev/null >>"$dir/log/$name.out" 2>&1 &
    echo $! > "$dir/$name.pid"
}

# Waits up to $2 tenths of a second for the command "${@:3}" to succeed; $1 names it.
wait_for() {
    local what=$1 tenths=$2; shift 2
    for _ in $(seq "$tenths"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    fail "$what did not happen within $((tenths / 10)) s; logs in $dir/log"
}

node_idle() { [[ $(SLURM_CONF=$conf sinfo -h -n localhost -o %T 2>/dev/null) == idle* ]]; }

start_cluster() {
    require_traversable_parents
    [[ $(id -u) == 0 ]] || fail "start needs root (munged and slurmd run as root)"
    for name in "${daemons[@]}"; do
        alive "$(pid_of "$name")" && fail "a cluster is already running in $dir ($name pid $(pid_of "$name")); stop it first"
    done
    require_tools
    # From here on, any failure or signal stops what was started.
    trap 'status=$?; [[ $status == 0 ]] || { echo "slurm-local-cluster: start failed; stopping what was started" >&2; stop_cluster; }' EXIT
    trap 'exit 130' INT TERM
    rm -rf "$dir/state" "$dir/spool" "$dir/log" "$dir/jobcomp.txt"
    mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/munge"
    chmod 0755 "$dir" "$dir/munge"
    od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > "$dir/token"
    rm -f "$dir/munge/munge.key"
    head -c 1024 /dev/urandom > "$dir/munge/munge.key"
    chmod 0400 "$dir/munge/munge.key"
    write_config

    launch munged munged -F --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket.2" \
        --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed"
    wait_for "munged's socket" 100 test -S "$dir/munge/munge.socket.2"
    launch slurmctld slurmctld -D -c -f "$conf"
    wait_for "slurmctld answering" 150 env SLURM_CONF="$conf" scontrol ping
    launch slurmd slurmd -D -N localhost -f "$conf"
    wait_for "the node becoming idle" 300 node_idle
    for name in "${daemons[@]}"; do alive "$(pid_of "$name")" || fail "$name exited; see $dir/log/$name.out"; done
    echo "slurm-local-cluster: running in $dir ($cpus CPUs; munged $(pid_of munged), slurmctld $(pid_of slurmctld), slurmd $(pid_of slurmd))" >&2
    echo "export SLURM_CONF=$conf"
}

case $command in
    install) install_slurm ;;
    start) start_cluster ;;
    stop) [[ -d $dir ]] || fail "no cluster folder $dir"; stop_cluster; echo "slurm-local-cluster: stopped ($dir)" >&2 ;;
    env) [[ -f $conf ]] || fail "no cluster in $dir (run start first)"; echo "export SLURM_CONF=$conf" ;;
    *) usage ;;
esac
