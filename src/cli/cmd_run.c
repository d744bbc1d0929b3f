/* cmd_run.c — `headsweep run SWEEP.cfg`: run (or resume) a whole sweep,
 * under `mpirun -np N` or alone. The work is in src/sweep/runner.c. */
#include <getopt.h>
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#include "../sweep/runner.h"
#include "cli.h"
#include "config.h"

static const char help[] =
    "usage: [mpirun -np N] headsweep run SWEEP.cfg [--restart]\n\n"
    "Runs every base job and point of the sweep; rank 0 writes the results file\n"
    "named by the sweep's `output`. Running the same command again resumes: done\n"
    "points are never recomputed. A results file of a different sweep is refused.\n\n"
    "  --restart          move an existing results file aside (NAME.old-DATE) and start over\n"
    "  --progress-every S seconds between progress lines when stderr is not a terminal [10]\n"
    "  --fail-point ID    test hook: point ID fails with an injected error\n"
    "  --bench-trivial    benchmark hook: jobs do no work (measures dispatch and writes)\n\n"
    "exit status: 0 finished (every point done or failed for good), 3 stopped early by\n"
    "SIGUSR1/SIGTERM (run again to resume), 2 bad input, 1 other errors.\n";

int hs_cmd_run(int argc, char **argv)
{
    enum { O_RESTART = 256, O_PROGRESS, O_FAIL, O_TRIVIAL, O_HELP };
    static const struct option opts[] = {{"restart", 0, 0, O_RESTART}, {"progress-every", 1, 0, O_PROGRESS},
                                         {"fail-point", 1, 0, O_FAIL},  {"bench-trivial", 0, 0, O_TRIVIAL},
                                         {"help", 0, 0, O_HELP},       {0, 0, 0, 0}};
    hs_run_opts o = {NULL, 0, 10, -1, hs_cli_version(), 0};
    hs_cli_parser p = {.name = "run", .longopts = opts, .help = O_HELP, .help_text = help, .arg = "SWEEP.cfg",
                       .argc = argc, .argv = argv};
    int c;
    long v;
    hs_status s = HS_OK;
    while ((c = hs_cli_next_option(&p, &s)) > 0) {
        switch (c) {
        case O_RESTART: o.restart = 1; break;
        case O_TRIVIAL: o.bench_trivial = 1; break;
        case O_PROGRESS: s = hs_parse_double("--progress-every", optarg, 0.1, 86400, &o.progress_every); break;
        case O_FAIL:
            s = hs_parse_long("--fail-point", optarg, 0, 1L << 40, &v);
            o.fail_point = (int)v;
            break;
        }
    }
    if (c == HS_CLI_HELP) return 0;
    if (s != HS_OK) return hs_cli_report(s);
    o.sweep_path = argv[optind];
    int provided;
    hs_run_early_signals();
    MPI_Init_thread(&argc, &argv, MPI_THREAD_SINGLE, &provided);
    int rc = hs_run(&o);
    MPI_Finalize(); /* MPI_Abort paths never come back here */
    return rc;
}
