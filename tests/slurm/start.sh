#!/bin/bash
# tests/slurm/start.sh — start a throw-away single-node Slurm cluster (munged, slurmctld,
# slurmd) as root, without systemd or cgroups, every file under BASE.
#
#   tests/slurm/start.sh BASE
#
# Environment (all optional):
#   HS_SLURM_CTLD_PORT, HS_SLURM_SLURMD_PORT  ports [6817, 6818]; other pairs let clusters coexist
#   HS_SLURM_CPUS     CPUs the node offers [the hardware's]; more than the hardware is allowed
#   HS_SLURM_MEM_MB   memory the node offers [the hardware's, from slurmd -C]
#   HS_SLURM_KILL_WAIT [5]  HS_SLURM_TIMEOUT [30 s for the node to be idle]
#   HS_SLURM_CRED_EXPIRE [10]  a requeued job starts again about this + 2 s later; Slurm
#                     rejects values below 5 (and then silently uses its default, 120)
# Exit status: 0 up (BASE/env.sh holds the exports a client needs: source it); 77 this machine
# cannot run it (not root, Slurm or munge not installed; the reason on stderr); 1 it failed to
# start (the logs' last lines on stderr). Stop with tests/slurm/stop.sh BASE, also after a
# failed start. PIDs: BASE/munge/munged.pid, BASE/slurmctld.pid, BASE/slurmd.pid.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 1 ] || { echo "usage: $0 BASE" >&2; exit 2; }
base=$1
case $base in /*) ;; *) base=$PWD/$base ;; esac
ctld_port=${HS_SLURM_CTLD_PORT:-6817}
slurmd_port=${HS_SLURM_SLURMD_PORT:-6818}
kill_wait=${HS_SLURM_KILL_WAIT:-5}
cred_expire=${HS_SLURM_CRED_EXPIRE:-10}
timeout=${HS_SLURM_TIMEOUT:-30}

# ---- can this machine run it at all? ----
[ "$(id -u)" = 0 ] || { echo "start.sh: needs root (SlurmUser=root, SlurmdUser=root)" >&2; exit 77; }
for c in munged mungekey munge unmunge slurmctld slurmd scontrol sinfo sbatch squeue; do
    command -v "$c" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
    command -v "$c" >/dev/null 2>&1 || {
        echo "start.sh: $c not found (Debian: apt-get install slurm-wlm munge)" >&2
        exit 77
    }
done

# process pid is running (a zombie counts as gone)
running() {
    local st
    [ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
    st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
for f in "$base/munge/munged.pid" "$base/slurmctld.pid" "$base/slurmd.pid"; do
    if [ -f "$f" ] && running "$(cat "$f")"; then
        echo "start.sh: $f names a running process: stop.sh $base first" >&2
        exit 1
    fi
done

mkdir -p "$base/munge" "$base/state" "$base/spool" "$base/log"
chmod 755 "$base" "$base/spool" "$base/munge"

# ---- munge: its own key and socket; /etc/munge and /run/munge stay untouched ----
[ -s "$base/munge/munge.key" ] || mungekey -c -k "$base/munge/munge.key"
chmod 600 "$base/munge/munge.key"
munged --key-file="$base/munge/munge.key" --socket="$base/munge/munge.socket" \
    --pid-file="$base/munge/munged.pid" --log-file="$base/munge/munged.log" \
    --seed-file="$base/munge/munged.seed"
if ! munge -S "$base/munge/munge.socket" -n | unmunge -S "$base/munge/munge.socket" >/dev/null; then
    echo "start.sh: munged does not answer on $base/munge/munge.socket" >&2
    exit 1
fi

# ---- slurm.conf ----
node=$(hostname -s)
hw=$(slurmd -C | head -n 1)   # NodeName=vm CPUs=2 Boards=1 ... RealMemory=24105
hw_cpus=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$hw")
hw_mem=$(sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' <<<"$hw")
cpus=${HS_SLURM_CPUS:-$hw_cpus}
mem=${HS_SLURM_MEM_MB:-$hw_mem}
sed -e "s|@BASE@|$base|g" -e "s|@NODE@|$node|g" -e "s|@CPUS@|$cpus|g" -e "s|@MEM@|$mem|g" \
    -e "s|@CTLD_PORT@|$ctld_port|g" -e "s|@SLURMD_PORT@|$slurmd_port|g" \
    -e "s|@KILL_WAIT@|$kill_wait|g" -e "s|@CRED_EXPIRE@|$cred_expire|g" \
    -e "s|@CLUSTER@|hs$ctld_port|g" "$here/slurm.conf.in" >"$base/slurm.conf"
export SLURM_CONF=$base/slurm.conf

# ---- the daemons fork into the background and write their pid files ----
slurmctld -c -f "$SLURM_CONF"   # -c: no job state from an earlier run
# slurmd registers once at start: start it when slurmctld answers
for _ in $(seq 200); do scontrol ping 2>/dev/null | grep -q 'is UP' && break; sleep 0.05; done
slurmd -f "$SLURM_CONF"
sleep 0.1
for d in slurmctld slurmd; do
    if ! running "$(cat "$base/$d.pid" 2>/dev/null)"; then
        echo "start.sh: $d is not running (ports $ctld_port/$slurmd_port in use?):" >&2
        grep -E 'error|fatal' "$base/log/$d.log" | tail -n 3 >&2 || true
        exit 1
    fi
done

state=
deadline=$(($(date +%s) + timeout))
while [ "$(date +%s)" -le "$deadline" ]; do
    state=$(sinfo -h -n "$node" -o %T 2>/dev/null || true)
    [ "$state" = idle ] && break
    sleep 0.1
done
if [ "$state" != idle ]; then
    echo "start.sh: node $node is '$state' after ${timeout} s; logs in $base/log" >&2
    tail -n 5 "$base/log/slurmctld.log" "$base/log/slurmd.log" >&2 || true
    exit 1
fi

{
    echo "export SLURM_CONF=$base/slurm.conf"
    echo "export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"
    # more Slurm CPUs than cores: tell Open MPI, or its ranks busy-poll the cores away
    if [ "$cpus" -gt "$hw_cpus" ]; then echo "export OMPI_MCA_mpi_yield_when_idle=1"; fi
} >"$base/env.sh"
echo "start.sh: node $node idle, $cpus CPUs, ports $ctld_port/$slurmd_port, base $base" >&2
