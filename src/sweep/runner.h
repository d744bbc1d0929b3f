/* runner.h — `headsweep run`: the MPI coordinator (rank 0) and workers.
 *
 * Rank 0 loads the sweep, creates or resumes the results file (the only
 * writer), and hands out base jobs and points one at a time to whichever
 * worker asks (dynamic dispatch, base jobs first); base models travel to a
 * worker once and stay cached there. With one rank the coordinator runs the
 * jobs itself. Waiting never spins a core: MPI_Iprobe, then short sleeps.
 *
 * Exit statuses (documented in docs/sweep-file.md):
 *   0  every point is done or failed for good
 *   3  incomplete: stopped by SIGUSR1/SIGTERM — run the same command again
 *   2  bad input (sweep file, results file of another sweep, …)
 *   1  any other error (disk full, …)
 */
#ifndef HS_SWEEP_RUNNER_H
#define HS_SWEEP_RUNNER_H

#include "../core/microbatch.h"

#define HS_EXIT_INCOMPLETE 3

typedef struct {
    const char *sweep_path;
    int restart;           /* move an existing results file aside and start over */
    double progress_every; /* seconds between plain progress lines (not a terminal) */
    int fail_point;        /* test hook: this point id fails with an injected error (-1 none) */
    const char *tool_version;
    int bench_trivial;     /* benchmark hook: jobs do no work (bench/dispatch.sh) */
} hs_run_opts;

/* The polled MPI transfers a base job's group uses (src/core/microbatch.h):
 * fills g's callbacks; comm points to the group's MPI_Comm, which must
 * outlive g (bench/bench_dp.c measures with these). */
void hs_run_group_transport(hs_mb_group *g, void *comm);

/* Call before MPI_Init: catches SIGUSR1/USR2 from the start. */
void hs_run_early_signals(void);

/* Collective over MPI_COMM_WORLD (MPI must be initialised). Returns the
 * process exit status. */
int hs_run(const hs_run_opts *o);

#endif
