/* runlock.h — one writer per results file (issue 13).
 *
 * `headsweep run` takes an exclusive lock on a side file, RESULTS.lock next
 * to the results file, before it creates, opens, moves aside or repairs the
 * results file, and keeps it for as long as the process writes. The lock is
 * an fcntl write lock on the whole side file (an open-file-description lock
 * where the kernel has them): the kernel drops it when the process dies, so
 * a SIGKILL never leaves a held lock behind. The side file's text names the
 * holder — host, pid, start time, Slurm job id and restart count — for the
 * messages; after a crash that text is what is stale:
 *
 *   - held by a live process: refused at once (HS_ERR_INPUT, naming the
 *     holder), or, when wait_s > 0 (a requeued Slurm job), waited for up to
 *     wait_s seconds with a message, then refused;
 *   - free, text from this host: its writer is gone; taken over (a notice);
 *   - free, text from another host: the lock may simply not reach across
 *     this file system (docs/cluster.md), so the other run may be alive:
 *     refused with how to clear it — unless it is an earlier incarnation of
 *     this very Slurm job (same SLURM_JOB_ID, lower SLURM_RESTART_COUNT),
 *     which Slurm has ended before requeueing it.
 *
 * Released (the text emptied, the file left in place) by hs_runlock_release;
 * the file is never removed, so two runs always lock the same inode. */
#ifndef HS_STORE_RUNLOCK_H
#define HS_STORE_RUNLOCK_H

#include "../core/error.h"

typedef struct {
    int fd; /* -1: not held */
    char path[4200];
} hs_runlock;

/* How long `run` waits for a held lock: HEADSWEEP_LOCK_WAIT (seconds) when
 * set; else 120 in a requeued Slurm job (SLURM_RESTART_COUNT > 0); else 0. */
double hs_runlock_wait_seconds(void);

/* Takes the run lock of the results file `results` (lk->fd >= 0 after). */
hs_status hs_runlock_take(hs_runlock *lk, const char *results, double wait_s);

/* Releases it (nothing when not held). */
void hs_runlock_release(hs_runlock *lk);

/* 1 when this process holds the run lock of `results` (the repair of a
 * crashed results file happens only then). */
int hs_runlock_held(const char *results);

#endif
