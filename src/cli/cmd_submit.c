/* cmd_submit.c — `headsweep submit SWEEP.cfg`: writes a Slurm batch script
 * for the sweep next to its results file and submits it with
 * `sbatch --parsable` (docs/cluster.md).
 *
 * The script runs `mpirun headsweep run SWEEP.cfg` with one rank per task and
 * one OpenBLAS thread. `#SBATCH --signal=B:USR1@GRACE` makes Slurm signal the
 * batch shell GRACE seconds before the time limit; a trap forwards USR1 to
 * the backgrounded mpirun (which passes it to the ranks: rank 0 stops handing
 * out work, waits run.grace seconds for points in flight, closes the results
 * file and ends the job with status 3). Only once mpirun has exited with 3
 * does the script requeue itself (--requeue, at most --max-requeues times by
 * SLURM_RESTART_COUNT): `scontrol requeue` kills the running job at once, so
 * calling it from the trap would lose the points in flight. The requeued job
 * runs the same command, which resumes the results file.
 *
 * Nothing here needs MPI: the sweep file is parsed (hs_sweep_load) to
 * validate it and to size the allocation against the grid; sbatch is started
 * with posix_spawnp (no shell), its standard output read through a pipe. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../core/alloc.h"
#include "../core/text.h"
#include "../sweep/config.h"
#include "cli.h"
#include "config.h"

extern char **environ;

static const char help[] =
    "usage: headsweep submit SWEEP.cfg [options]\n\n"
    "Validates the sweep file, writes a Slurm batch script next to its results file\n"
    "(OUTPUT without .h5, plus .sbatch) and submits it with `sbatch --parsable`. The job\n"
    "runs `mpirun headsweep run SWEEP.cfg` with one rank per task; the log goes to\n"
    "OUTPUT-stem.slurm-JOBID.out. Prints the job id and the `headsweep status` command.\n"
    "See docs/cluster.md.\n\n"
    "  --nodes N            nodes to allocate [1]\n"
    "  --ntasks-per-node N  MPI ranks per node, one core each [the cores of this machine]\n"
    "  --time T             time limit (Slurm formats: MIN, MIN:SEC, H:MIN:SEC, D-H, D-H:MIN,\n"
    "                       D-H:MIN:SEC) [the partition's default]\n"
    "  --partition P        partition\n"
    "  --account A          account to charge\n"
    "  --job-name NAME      job name [the sweep's name]\n"
    "  --mem-per-cpu M      memory per rank (e.g. 2G, 500M)\n"
    "  --grace S            seconds before the time limit at which Slurm sends USR1 and the\n"
    "                       sweep stops cleanly (Slurm may send it up to 60 s earlier) [120]\n"
    "  --requeue            after such a stop, requeue the job: the sweep resumes\n"
    "  --max-requeues N     at most N requeues (SLURM_RESTART_COUNT) [3]; needs --requeue\n"
    "  --dependency DEP     start after other jobs (sbatch --dependency, e.g. afterok:123)\n"
    "  --sbatch-arg ARG     one more sbatch option, written as an #SBATCH line (repeatable)\n"
    "  --dry-run            print the batch script; write and submit nothing\n\n"
    "exit status: 0 submitted (or printed), 2 bad input (sweep file or options), 1 sbatch\n"
    "failed or could not be started.\n";

enum { MAX_EXTRA = 64 };

typedef struct {
    long nodes, ntasks_per_node, grace, max_requeues;
    int ntasks_given, requeue, max_requeues_given, dry_run;
    const char *time, *partition, *account, *job_name, *mem, *dependency;
    const char *extra[MAX_EXTRA];
    int n_extra;
    long time_s; /* --time in seconds, 0 = not given or unlimited */
} submit_opts;

/* A bash word for s: '...' with each ' written as '\''. */
static void put_quoted(hs_strbuf *t, const char *s)
{
    hs_strbuf_printf(t, "'");
    for (const char *c = s; *c; c++) {
        if (*c == '\'') hs_strbuf_printf(t, "'\\''");
        else hs_strbuf_printf(t, "%c", *c);
    }
    hs_strbuf_printf(t, "'");
}

/* ---- option checks ---------------------------------------------------------- */

/* A value that goes verbatim into an #SBATCH line: non-empty, printable, no
 * white space, quotes, backslashes or '#'. */
static hs_status check_token(const char *flag, const char *v)
{
    if (!*v) return hs_error_set(HS_ERR_INPUT, "submit: %s: empty value", flag);
    for (const unsigned char *c = (const unsigned char *)v; *c; c++)
        if (*c <= ' ' || *c >= 127 || *c == '\'' || *c == '"' || *c == '\\' || *c == '#')
            return hs_error_set(HS_ERR_INPUT,
                                "submit: %s '%s': white space, quotes, backslashes and '#' are not allowed",
                                flag, v);
    return HS_OK;
}

/* Digits only, at least one, value within hi; *out the number. */
static int digits(const char *s, size_t n, long hi, long *out)
{
    if (n == 0 || n > 9) return 0;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (s[i] - '0');
    }
    if (v > hi) return 0;
    *out = v;
    return 1;
}

/* Slurm's time formats: MIN, MIN:SEC, H:MIN:SEC, D-H, D-H:MIN, D-H:MIN:SEC;
 * "UNLIMITED"/"INFINITE" (seconds 0 = no limit). Seconds round up to whole
 * minutes as Slurm does. */
static hs_status parse_time(const char *v, long *seconds)
{
    if (!strcasecmp(v, "unlimited") || !strcasecmp(v, "infinite")) {
        *seconds = 0;
        return HS_OK;
    }
    long d = 0, f[3] = {0, 0, 0};
    int nf = 0;
    const char *rest = v;
    const char *dash = strchr(v, '-');
    int ok = 1;
    if (dash) {
        ok = digits(v, (size_t)(dash - v), 36500, &d);
        rest = dash + 1;
    }
    while (ok) {
        const char *colon = strchr(rest, ':');
        const size_t n = colon ? (size_t)(colon - rest) : strlen(rest);
        if (nf == 3 || !digits(rest, n, 99999999, &f[nf])) ok = 0;
        nf++;
        if (!colon) break;
        rest = colon + 1;
    }
    long s = 0;
    if (ok && !dash) {
        if (nf == 1) s = f[0] * 60;                                   /* MIN */
        else if (nf == 2) s = f[0] * 60 + f[1];                       /* MIN:SEC */
        else s = f[0] * 3600 + f[1] * 60 + f[2];                      /* H:MIN:SEC */
    } else if (ok) {
        if (nf == 1) s = d * 86400 + f[0] * 3600;                     /* D-H */
        else if (nf == 2) s = d * 86400 + f[0] * 3600 + f[1] * 60;    /* D-H:MIN */
        else s = d * 86400 + f[0] * 3600 + f[1] * 60 + f[2];          /* D-H:MIN:SEC */
    }
    if (!ok || s <= 0)
        return hs_error_set(HS_ERR_INPUT,
                            "submit: --time '%s': expected a positive Slurm time (MIN, MIN:SEC, H:MIN:SEC, D-H, "
                            "D-H:MIN, D-H:MIN:SEC or UNLIMITED)",
                            v);
    *seconds = (s + 59) / 60 * 60;
    return HS_OK;
}

/* A number with an optional K/M/G/T unit (sbatch --mem-per-cpu). */
static hs_status check_mem(const char *v)
{
    size_t n = strspn(v, "0123456789");
    const char *u = v + n;
    if (n == 0 || n > 12 || (*u && (strchr("KkMmGgTt", *u) == NULL || u[1])))
        return hs_error_set(HS_ERR_INPUT, "submit: --mem-per-cpu '%s': expected a size such as 500M or 2G", v);
    return HS_OK;
}

/* A path that goes into an #SBATCH line: Slurm reads '%' as a pattern and
 * splits at white space. */
static hs_status check_path_for_sbatch(const char *what, const char *p)
{
    for (const unsigned char *c = (const unsigned char *)p; *c; c++)
        if (*c <= ' ' || *c == 127 || *c == '\'' || *c == '"' || *c == '\\' || *c == '%')
            return hs_error_set(HS_ERR_INPUT,
                                "submit: %s '%s' holds a character #SBATCH lines cannot carry "
                                "(white space, quote, backslash or '%%'); use another path",
                                what, p);
    return HS_OK;
}

static hs_status parse_args(int argc, char **argv, submit_opts *o, const char **sweep_path, int *want_help)
{
    enum {
        O_NODES = 256, O_NTPN, O_TIME, O_PART, O_ACCT, O_NAME, O_MEM, O_GRACE, O_REQUEUE, O_MAXRQ, O_DEP,
        O_DRY, O_SARG, O_HELP
    };
    static const struct option opts[] = {
        {"nodes", 1, 0, O_NODES},        {"ntasks-per-node", 1, 0, O_NTPN}, {"time", 1, 0, O_TIME},
        {"partition", 1, 0, O_PART},     {"account", 1, 0, O_ACCT},         {"job-name", 1, 0, O_NAME},
        {"mem-per-cpu", 1, 0, O_MEM},    {"grace", 1, 0, O_GRACE},          {"requeue", 0, 0, O_REQUEUE},
        {"max-requeues", 1, 0, O_MAXRQ}, {"dependency", 1, 0, O_DEP},       {"dry-run", 0, 0, O_DRY},
        {"sbatch-arg", 1, 0, O_SARG},    {"help", 0, 0, O_HELP},            {0, 0, 0, 0}};
    hs_cli_parser p = {.name = "submit", .longopts = opts, .help = O_HELP, .help_text = help, .arg = "SWEEP.cfg",
                       .argc = argc, .argv = argv};
    int c;
    hs_status s = HS_OK;
    while ((c = hs_cli_next_option(&p, &s)) > 0) {
        switch (c) {
        case O_NODES: s = hs_parse_long("--nodes", optarg, 1, 100000, &o->nodes); break;
        case O_NTPN:
            s = hs_parse_long("--ntasks-per-node", optarg, 1, 4096, &o->ntasks_per_node);
            o->ntasks_given = 1;
            break;
        case O_TIME:
            o->time = optarg;
            s = parse_time(optarg, &o->time_s);
            break;
        case O_PART: o->partition = optarg; s = check_token("--partition", optarg); break;
        case O_ACCT: o->account = optarg; s = check_token("--account", optarg); break;
        case O_NAME: o->job_name = optarg; s = check_token("--job-name", optarg); break;
        case O_MEM: o->mem = optarg; s = check_mem(optarg); break;
        case O_GRACE: s = hs_parse_long("--grace", optarg, 1, 65535, &o->grace); break;
        case O_REQUEUE: o->requeue = 1; break;
        case O_MAXRQ:
            s = hs_parse_long("--max-requeues", optarg, 0, 1000, &o->max_requeues);
            o->max_requeues_given = 1;
            break;
        case O_DEP: o->dependency = optarg; s = check_token("--dependency", optarg); break;
        case O_DRY: o->dry_run = 1; break;
        case O_SARG:
            if (o->n_extra == MAX_EXTRA)
                s = hs_error_set(HS_ERR_INPUT, "submit: more than %d --sbatch-arg options", MAX_EXTRA);
            else if (optarg[0] != '-' || optarg[1] == 0)
                s = hs_error_set(HS_ERR_INPUT, "submit: --sbatch-arg '%s': expected one sbatch option such as "
                                               "--qos=long or --constraint=ib",
                                 optarg);
            else {
                for (const unsigned char *q = (const unsigned char *)optarg; *q && s == HS_OK; q++)
                    if (*q < ' ' || *q == 127)
                        s = hs_error_set(HS_ERR_INPUT, "submit: --sbatch-arg: control characters are not allowed");
                o->extra[o->n_extra++] = optarg;
            }
            break;
        }
    }
    *want_help = c == HS_CLI_HELP;
    if (*want_help || s != HS_OK) return s;
    if (o->max_requeues_given && !o->requeue)
        return hs_error_set(HS_ERR_INPUT, "submit: --max-requeues needs --requeue");
    if (o->time_s > 0 && o->grace >= o->time_s)
        return hs_error_set(HS_ERR_INPUT, "submit: --grace %ld is not shorter than --time %s (%ld s)", o->grace,
                            o->time, o->time_s);
    *sweep_path = argv[optind];
    return HS_OK;
}

/* ---- paths -------------------------------------------------------------------- */

/* dst = dir + "/" + p unless p is absolute. */
static hs_status absolute(const char *dir, const char *p, char *dst, size_t n)
{
    const int k = p[0] == '/' ? snprintf(dst, n, "%s", p) : snprintf(dst, n, "%s/%s", dir, p);
    if (k < 0 || (size_t)k >= n) return hs_error_set(HS_ERR_INPUT, "submit: path too long: %s", p);
    return HS_OK;
}

/* mkdir -p of the folder that holds path. */
static hs_status make_parent(const char *path)
{
    char d[PATH_MAX + 64];
    snprintf(d, sizeof d, "%s", path);
    char *slash = strrchr(d, '/');
    if (!slash || slash == d) return HS_OK;
    *slash = 0;
    if (hs_mkdir_p(d) != 0) return hs_error_set(HS_ERR_IO, "submit: cannot create %s: %s", d, strerror(errno));
    return HS_OK;
}

/* ---- the batch script ------------------------------------------------------------- */

typedef struct {
    char cwd[PATH_MAX], sweep[PATH_MAX], exe[PATH_MAX], output[PATH_MAX];
    char script[PATH_MAX + 16], log[PATH_MAX + 32], stem[PATH_MAX];
} paths;

static hs_status make_paths(const char *sweep_path, const hs_sweep *sw, paths *P)
{
    if (!getcwd(P->cwd, sizeof P->cwd))
        return hs_error_set(HS_ERR_IO, "submit: cannot read the current folder: %s", strerror(errno));
    if (!realpath(sweep_path, P->sweep))
        return hs_error_set(HS_ERR_INPUT, "submit: %s: %s", sweep_path, strerror(errno));
    const ssize_t k = readlink("/proc/self/exe", P->exe, sizeof P->exe - 1);
    if (k <= 0) return hs_error_set(HS_ERR_IO, "submit: cannot find the headsweep binary: %s", strerror(errno));
    P->exe[k] = 0;
    HS_CHECK(absolute(P->cwd, sw->output, P->output, sizeof P->output));
    snprintf(P->stem, sizeof P->stem, "%s", P->output);
    const size_t n = strlen(P->stem);
    if (n > 3 && !strcmp(P->stem + n - 3, ".h5")) P->stem[n - 3] = 0;
    snprintf(P->script, sizeof P->script, "%s.sbatch", P->stem);
    snprintf(P->log, sizeof P->log, "%s.slurm-%%j.out", P->stem);
    HS_CHECK(check_path_for_sbatch("the results file", P->output));
    HS_CHECK(check_path_for_sbatch("the current folder", P->cwd));
    return HS_OK;
}

static void write_script(hs_strbuf *t, const submit_opts *o, const hs_sweep *sw, const paths *P)
{
    const long ranks = o->nodes * o->ntasks_per_node;
    hs_strbuf_printf(t, "#!/bin/bash\n");
    hs_strbuf_printf(t, "# Slurm batch script of sweep %s, written by `headsweep submit` (headsweep %s).\n", sw->name,
                     hs_cli_version());
    hs_strbuf_printf(t, "# %ld base jobs and %ld points on %ld MPI ranks (rank 0 coordinates, the others compute).\n",
                     sw->n_bases, sw->n_points, ranks);
    hs_strbuf_printf(t, "# `sbatch %s` submits it again: the sweep resumes, done points are never recomputed.\n",
                     P->script);
    hs_strbuf_printf(t, "#SBATCH --job-name=%s\n", o->job_name ? o->job_name : sw->name);
    hs_strbuf_printf(t, "#SBATCH --nodes=%ld\n", o->nodes);
    hs_strbuf_printf(t, "#SBATCH --ntasks-per-node=%ld\n", o->ntasks_per_node);
    hs_strbuf_printf(t, "#SBATCH --cpus-per-task=1\n");
    if (o->time) hs_strbuf_printf(t, "#SBATCH --time=%s\n", o->time);
    if (o->partition) hs_strbuf_printf(t, "#SBATCH --partition=%s\n", o->partition);
    if (o->account) hs_strbuf_printf(t, "#SBATCH --account=%s\n", o->account);
    if (o->mem) hs_strbuf_printf(t, "#SBATCH --mem-per-cpu=%s\n", o->mem);
    hs_strbuf_printf(t, "#SBATCH --signal=B:USR1@%ld\n", o->grace);
    if (o->requeue) hs_strbuf_printf(t, "#SBATCH --requeue\n");
    if (o->dependency) hs_strbuf_printf(t, "#SBATCH --dependency=%s\n", o->dependency);
    hs_strbuf_printf(t, "#SBATCH --chdir=%s\n", P->cwd);
    hs_strbuf_printf(t, "#SBATCH --output=%s\n", P->log);
    hs_strbuf_printf(t, "#SBATCH --open-mode=append\n");
    for (int i = 0; i < o->n_extra; i++) hs_strbuf_printf(t, "#SBATCH %s\n", o->extra[i]);
    hs_strbuf_printf(t, "\n");
    hs_strbuf_printf(t, "# one rank per core: OpenBLAS must not start threads of its own\n");
    hs_strbuf_printf(t, "export OPENBLAS_NUM_THREADS=1\n");
    hs_strbuf_printf(t, "headsweep=");
    put_quoted(t, P->exe);
    hs_strbuf_printf(t, "\nsweep=");
    put_quoted(t, P->sweep);
    hs_strbuf_printf(t, "\nresults=");
    put_quoted(t, P->output);
    hs_strbuf_printf(t, "\nscript=");
    put_quoted(t, P->script);
    hs_strbuf_printf(t, "\nrequeue=%d        # 1: requeue the job after an early stop (mpirun status 3)\n", o->requeue);
    hs_strbuf_printf(t, "max_requeues=%ld   # ... while SLURM_RESTART_COUNT is below this\n", o->max_requeues);
    hs_strbuf_printf(t, "restarts=${SLURM_RESTART_COUNT:-0}\n");
    hs_strbuf_printf(t, "say() { echo \"[headsweep-job $(date '+%%F %%T')] $*\"; }\n");
    hs_strbuf_printf(t, "say \"job $SLURM_JOB_ID (restart $restarts): $SLURM_NTASKS ranks on $SLURM_JOB_NODELIST\"\n");
    hs_strbuf_printf(t, "if ! command -v mpirun >/dev/null 2>&1; then\n"
                     "    say \"error: mpirun is not on PATH (install Open MPI, or load its module); "
                     "nothing was run\"\n"
                     "    exit 1\n"
                     "fi\n\n");
    hs_strbuf_printf(t, "# Slurm signals this shell (B:) --grace s before the time limit. Pass USR1 on to mpirun,\n"
                     "# which passes it to every rank: rank 0 stops handing out work, waits run.grace s for\n"
                     "# points in flight, closes the results file and ends mpirun with status 3.\n");
    hs_strbuf_printf(t, "usr1=0\n");
    hs_strbuf_printf(t, "trap 'usr1=1' USR1\n");
    hs_strbuf_printf(t, "rc=3\n");
    hs_strbuf_printf(t, "if [ \"$usr1\" = 0 ]; then\n");
    hs_strbuf_printf(t, "    mpirun -np \"$SLURM_NTASKS\" -x OPENBLAS_NUM_THREADS \"$headsweep\" run \"$sweep\" "
                     "--progress-every 60 &\n");
    hs_strbuf_printf(t, "    pid=$!\n");
    hs_strbuf_printf(t, "    trap 'usr1=1; kill -USR1 \"$pid\" 2>/dev/null' USR1\n");
    hs_strbuf_printf(t, "    [ \"$usr1\" = 1 ] && kill -USR1 \"$pid\" 2>/dev/null  # came while mpirun was starting\n");
    hs_strbuf_printf(t, "    # wait returns early (status > 128) when a trapped signal arrives: wait until mpirun "
                     "exits\n");
    hs_strbuf_printf(t, "    while :; do\n");
    hs_strbuf_printf(t, "        wait \"$pid\"\n");
    hs_strbuf_printf(t, "        rc=$?\n");
    hs_strbuf_printf(t, "        [ \"$rc\" -le 128 ] && break\n");
    hs_strbuf_printf(t, "        kill -0 \"$pid\" 2>/dev/null && continue\n");
    hs_strbuf_printf(t, "        wait \"$pid\" 2>/dev/null; r=$?; [ \"$r\" != 127 ] && rc=$r  # it exited meanwhile\n");
    hs_strbuf_printf(t, "        break\n");
    hs_strbuf_printf(t, "    done\n");
    hs_strbuf_printf(t, "fi\n");
    hs_strbuf_printf(t, "trap '' USR1\n");
    hs_strbuf_printf(t, "say \"mpirun exited with status $rc\"\n\n");
    hs_strbuf_printf(t, "case $rc in\n");
    hs_strbuf_printf(t, "0)  say \"sweep finished; see: headsweep status $results\" ;;\n");
    hs_strbuf_printf(t, "3)  # stopped early; the results file is consistent. scontrol requeue kills this job at\n"
                     "    # once, so it comes only now that mpirun has exited.\n");
    hs_strbuf_printf(t, "    if [ \"$requeue\" = 1 ] && [ \"$restarts\" -lt \"$max_requeues\" ]; then\n");
    hs_strbuf_printf(t, "        say \"stopped early: requeueing (restart $((restarts + 1)) of at most "
                     "$max_requeues)\"\n");
    hs_strbuf_printf(t, "        scontrol requeue \"$SLURM_JOB_ID\" && exit 3\n");
    hs_strbuf_printf(t, "        say \"scontrol requeue failed\"\n");
    hs_strbuf_printf(t, "    fi\n");
    hs_strbuf_printf(t, "    say \"stopped early; resume with: sbatch $script   (or: mpirun headsweep run "
                     "$sweep)\" ;;\n");
    hs_strbuf_printf(t, "*)  say \"headsweep failed (status $rc); once fixed, resume with: sbatch $script\" ;;\n");
    hs_strbuf_printf(t, "esac\n");
    hs_strbuf_printf(t, "exit \"$rc\"\n");
}

/* ---- sbatch ------------------------------------------------------------------------- */

/* Runs `sbatch --parsable SCRIPT`, its stdout read into out (the job id). */
static hs_status sbatch(const char *script, char *out, size_t n)
{
    int fd[2];
    if (pipe(fd) != 0) return hs_error_set(HS_ERR_IO, "submit: pipe: %s", strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addclose(&fa, fd[0]);
    posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
    posix_spawn_file_actions_addclose(&fa, fd[1]);
    char *argv[] = {"sbatch", "--parsable", (char *)script, NULL};
    pid_t pid;
    const int e = posix_spawnp(&pid, "sbatch", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fd[1]);
    if (e != 0) {
        close(fd[0]);
        return hs_error_set(HS_ERR_IO, "submit: cannot run sbatch: %s (is this a Slurm cluster? --dry-run prints "
                                       "the script)",
                            strerror(e));
    }
    size_t got = 0;
    for (;;) {
        const ssize_t k = read(fd[0], out + got, n - 1 - got);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        got += (size_t)k;
        if (got == n - 1) break;
    }
    out[got] = 0;
    close(fd[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return hs_error_set(HS_ERR_IO, "submit: sbatch %s failed (%s %d); the script stays in place", script,
                            WIFEXITED(st) ? "status" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    out[strcspn(out, ";\n")] = 0; /* "JOBID" or "JOBID;CLUSTER" */
    if (!*out || strspn(out, "0123456789") != strlen(out))
        return hs_error_set(HS_ERR_IO, "submit: sbatch printed no job id");
    return HS_OK;
}

/* Writes the script to path (through a temporary file), mode 0755. */
static hs_status save(const char *path, const hs_strbuf *t)
{
    char tmp[PATH_MAX + 64];
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) return hs_error_set(HS_ERR_IO, "submit: cannot write %s: %s", tmp, strerror(errno));
    const int bad = fwrite(t->s, 1, t->len, f) != t->len;
    if (fclose(f) != 0 || bad || chmod(tmp, 0755) != 0 || rename(tmp, path) != 0) {
        const int e = errno;
        unlink(tmp);
        return hs_error_set(HS_ERR_IO, "submit: cannot write %s: %s", path, strerror(e));
    }
    return HS_OK;
}

int hs_cmd_submit(int argc, char **argv)
{
    submit_opts o;
    memset(&o, 0, sizeof o);
    o.nodes = 1;
    o.grace = 120;
    o.max_requeues = 3;
    const char *sweep_path = NULL;
    int want_help = 0;
    hs_status s = parse_args(argc, argv, &o, &sweep_path, &want_help);
    if (want_help) return 0; /* printed by the option loop */
    if (s != HS_OK) return hs_cli_report(s);
    if (!o.ntasks_given) {
        const long cores = sysconf(_SC_NPROCESSORS_ONLN);
        o.ntasks_per_node = cores > 0 ? cores : 1;
        fprintf(stderr, "headsweep: note: --ntasks-per-node not given: %ld, the cores of this machine\n",
                o.ntasks_per_node);
    }

    hs_sweep sw;
    s = hs_sweep_load(sweep_path, &sw);
    paths *P = NULL;
    hs_strbuf t = {.what = "batch script"};
    if (s == HS_OK) s = hs_calloc((void **)&P, 1, sizeof *P, "paths");
    if (s == HS_OK) s = make_paths(sweep_path, &sw, P);
    if (s == HS_OK) {
        write_script(&t, &o, &sw, P);
        s = t.st;
    }
    if (s != HS_OK) goto out;

    /* the allocation against the grid: rank 0 coordinates, every other rank
     * runs one job at a time (alone, rank 0 runs them itself) */
    const long ranks = o.nodes * o.ntasks_per_node;
    const long workers = ranks > 1 ? ranks - 1 : 1;
    /* a base job keeps up to train.micro_batches workers busy (its group) */
    long base_ranks = 0;
    for (long b = 0; b < sw.n_bases; b++) base_ranks += sw.tasks[sw.bases[b].task].train.micro_batches;
    if (workers > sw.n_points + base_ranks)
        fprintf(stderr,
                "headsweep: warning: %ld workers (%ld ranks less the coordinator) for %ld base jobs + %ld points: "
                "at most %ld can ever be busy; fewer --nodes or --ntasks-per-node would do\n",
                workers, ranks, sw.n_bases, sw.n_points, sw.n_points + base_ranks);
    if (sw.grace + 10 > (double)o.grace)
        fprintf(stderr,
                "headsweep: warning: the sweep's run.grace (%g s) leaves less than 10 s of --grace %ld for closing the "
                "file and requeueing before the time limit; raise --grace or lower run.grace\n",
                sw.grace, o.grace);

    if (o.dry_run) {
        fputs(t.s, stdout);
        goto out;
    }
    s = make_parent(P->script);
    if (s == HS_OK) s = save(P->script, &t);
    char id[256];
    if (s == HS_OK) s = sbatch(P->script, id, sizeof id);
    if (s == HS_OK) {
        printf("submitted job %s: %ld ranks (%ld node%s x %ld) for %ld base jobs and %ld points\n", id, ranks,
               o.nodes, o.nodes > 1 ? "s" : "", o.ntasks_per_node, sw.n_bases, sw.n_points);
        printf("  script: %s\n", P->script);
        printf("  log:    %s.slurm-%s.out\n", P->stem, id);
        printf("  watch:  headsweep status %s\n", P->output);
    }
out:
    hs_strbuf_free(&t);
    hs_free(P);
    hs_sweep_free(&sw);
    return s == HS_OK ? 0 : hs_cli_report(s);
}
