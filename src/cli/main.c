/* main.c — the headsweep binary: dispatches `headsweep SUBCOMMAND ...`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "../store/h5util.h"
#include "cli.h"
#include "config.h"
#include "revision.h" /* HS_REVISION: generated at build time (Makefile.am) */

static const struct {
    const char *name;
    hs_cmd_fn fn;
    const char *summary;
} commands[] = {
    {"train", hs_cmd_train, "train one model on a task, save a checkpoint"},
    {"infer", hs_cmd_infer, "print the logits of a checkpoint (or a sweep's base model) for token ids, or its test metric"},
    {"prune", hs_cmd_prune, "prune a checkpoint or a sweep's base model at one ratio; re-run a sweep's point"},
    {"export", hs_cmd_export, "write a sweep's base model or pruned point: a checkpoint, or a Hugging Face folder"},
    {"run", hs_cmd_run, "run or resume a sweep (under mpirun -np N, or alone)"},
    {"status", hs_cmd_status, "progress of a sweep from its results file (also while it runs)"},
    {"check", hs_cmd_check, "validate a sweep file, print its grid and estimated cost"},
    {"query", hs_cmd_query, "filter, group and print the points of a results file (table, CSV, JSON)"},
    {"plot", hs_cmd_plot, "trade-off curves and head heatmaps of a results file (gnuplot)"},
    {"report", hs_cmd_report, "one self-contained HTML page: provenance, failures, figures, tables"},
    {"submit", hs_cmd_submit, "submit a sweep to Slurm as a batch job (requeues itself at the limit)"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: headsweep SUBCOMMAND [options]   (headsweep SUBCOMMAND --help)\n\n"
                 "Attention-head pruning studies.\n\n"
                 "a study in five commands (the shipped quickstart sweep, 2 cores):\n"
                 "  check    headsweep check sweeps/quickstart.cfg\n"
                 "  run      mpirun -np 3 headsweep run sweeps/quickstart.cfg\n"
                 "  status   headsweep status results/quickstart.h5\n"
                 "  query    headsweep query results/quickstart.h5 --group-by task,method,ratio\n"
                 "  plot     headsweep plot results/quickstart.h5 -o results/plots\n\n"
                 "subcommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n  --help      this text\n  --version   print the version (and the git revision)\n");
}

/* The version and, where git or a tarball named one, the revision: what
 * --version prints and what results files, reports and scripts record. */
const char *hs_cli_version(void)
{
    return *HS_REVISION ? PACKAGE_VERSION " (" HS_REVISION ")" : PACKAGE_VERSION;
}

int main(int argc, char **argv)
{
    /* one rank per core is the sweep model: OpenBLAS runs single-threaded
     * unless the user asks otherwise through OPENBLAS_NUM_THREADS */
    const char *threads = getenv("OPENBLAS_NUM_THREADS");
    if (!threads || !*threads) openblas_set_num_threads(1);
    hs_h5_init();

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("headsweep %s\n", hs_cli_version());
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name)) continue;
        int rc = commands[i].fn(argc - 1, argv + 1);
        /* output that never arrived (stdout on a full disk) is not success */
        if ((fflush(stdout) != 0 || ferror(stdout)) && rc == 0) {
            fprintf(stderr, "headsweep: error: cannot write the output (disk full or a closed pipe?)\n");
            rc = 1;
        }
        return rc;
    }
    fprintf(stderr, "headsweep: error: unknown subcommand '%s'; see 'headsweep --help'\n", argv[1]);
    return 2;
}
