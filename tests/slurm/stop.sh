#!/bin/bash
# tests/slurm/stop.sh — stop the cluster that tests/slurm/start.sh started in BASE, by PID
# (never by name): cancel its jobs and wait for them to go, end the slurmstepd processes of
# this cluster (found by SLURM_CONF=BASE/slurm.conf in their environment), then slurmd,
# slurmctld and munged from their pid files; SIGKILL after 10 s. --purge removes BASE too.
#
#   tests/slurm/stop.sh BASE [--purge]
#
# Safe after a failed or partial start, and when nothing runs. Exit status 0.
set -uo pipefail
base=
purge=0
for a in "$@"; do
    case $a in --purge) purge=1 ;; *) base=$a ;; esac
done
[ -n "$base" ] || { echo "usage: $0 BASE [--purge]" >&2; exit 2; }
case $base in /*) ;; *) base=$PWD/$base ;; esac
conf=$base/slurm.conf

running() {
    local st
    [ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
    st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
stop_pid() { # PID NAME
    local p=$1
    running "$p" || return 0
    kill -TERM "$p" 2>/dev/null
    for _ in $(seq 100); do running "$p" || return 0; sleep 0.1; done
    echo "stop.sh: $2 ($p) ignored SIGTERM: SIGKILL" >&2
    kill -KILL "$p" 2>/dev/null
    for _ in $(seq 50); do running "$p" || return 0; sleep 0.1; done
}
pid_of() { [ -f "$1" ] && cat "$1" 2>/dev/null || true; }

ctld=$(pid_of "$base/slurmctld.pid")
if [ -f "$conf" ] && running "$ctld"; then
    export SLURM_CONF=$conf
    kw=$(sed -n 's/^KillWait=//p' "$conf")
    jobs=$(squeue -h -o %i 2>/dev/null)
    # shellcheck disable=SC2086
    [ -n "$jobs" ] && scancel --quiet $jobs 2>/dev/null
    for _ in $(seq $(((${kw:-30} + 10) * 5))); do
        [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break
        sleep 0.2
    done
fi

# step daemons outlive slurmd; only this cluster's
for p in $(pgrep -x slurmstepd 2>/dev/null); do
    if { tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null | grep -qx "SLURM_CONF=$conf"; then
        stop_pid "$p" slurmstepd
    fi
done

stop_pid "$(pid_of "$base/slurmd.pid")" slurmd
stop_pid "$ctld" slurmctld
stop_pid "$(pid_of "$base/munge/munged.pid")" munged
rm -f "$base/slurmd.pid" "$base/slurmctld.pid" "$base/munge/munged.pid"
[ "$purge" = 1 ] && rm -rf "$base"
exit 0
