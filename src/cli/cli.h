/* cli.h — what the subcommands share: the dispatch signature, the one
 * user-facing error reporter, the option loop, and strict flag-value parsing. */
#ifndef HS_CLI_CLI_H
#define HS_CLI_CLI_H

#include <getopt.h>

#include "../core/error.h"

/* A subcommand: argv[0] is the subcommand name. Returns the exit status. */
typedef int (*hs_cmd_fn)(int argc, char **argv);

int hs_cmd_train(int argc, char **argv);
int hs_cmd_infer(int argc, char **argv);
int hs_cmd_prune(int argc, char **argv);
int hs_cmd_run(int argc, char **argv);
int hs_cmd_status(int argc, char **argv);
int hs_cmd_check(int argc, char **argv);
int hs_cmd_query(int argc, char **argv);
int hs_cmd_plot(int argc, char **argv);
int hs_cmd_report(int argc, char **argv);
int hs_cmd_submit(int argc, char **argv);
int hs_cmd_export(int argc, char **argv);

/* Prints "headsweep: error: <pending message>" on stderr and returns the exit
 * status for s (2 for bad input). Clears the pending message. */
int hs_cli_report(hs_status s);
/* "0.3.0 (git 1a2b3c4)": the version with the build's git revision, if any */
const char *hs_cli_version(void);

/* The option loop every subcommand shares (getopt_long over argv):
 *
 *     hs_cli_parser p = {.name = "run", .longopts = opts, .help = O_HELP, .help_text = help,
 *                        .arg = "SWEEP.cfg", .argc = argc, .argv = argv};
 *     hs_status s = HS_OK;
 *     int c;
 *     while ((c = hs_cli_next_option(&p, &s)) > 0)
 *         switch (c) { case O_RESTART: ...; s = hs_parse_long(...); break; }
 *     if (c == HS_CLI_HELP) return 0;
 *     if (s != HS_OK) return hs_cli_report(s);
 *     ... argv[optind] is the positional argument ...
 *
 * The first call resets getopt (a subcommand may run more than once in a
 * process: the fuzzers), --help prints the help, and an unknown option or one
 * without its value, or the wrong number of positional arguments, leaves the
 * error every subcommand words the same way (E-CLI-03, E-CLI-04, E-CLI-22..24). */
enum {
    HS_CLI_ONE_ARG = 0,   /* exactly one positional argument, named by .arg */
    HS_CLI_NO_ARGS,       /* none: "unexpected argument" */
    HS_CLI_ONE_ARG_LATER, /* one, checked by the caller with hs_cli_check_args after its own checks */
    HS_CLI_OWN_ERRORS     /* the caller words its errors: '?' comes back for an unknown option, no count check */
};
enum { HS_CLI_END = -1, HS_CLI_HELP = -2 }; /* hs_cli_next_option's returns besides an option */

typedef struct {
    const char *name;              /* the subcommand: begins its errors, names `headsweep NAME --help` */
    const char *shortopts;         /* getopt's short options; NULL for none */
    const struct option *longopts; /* ending in {0, 0, 0, 0} */
    int help;                      /* what getopt returns for --help */
    const char *help_text;         /* --help prints this on stdout, */
    void (*print_help)(void);      /* or calls this when set */
    int args;                      /* HS_CLI_ONE_ARG (0), HS_CLI_NO_ARGS, ... */
    const char *arg;               /* what the one positional argument is: "SWEEP.cfg" */
    int argc;
    char **argv;
    int started; /* state: getopt was reset */
} hs_cli_parser;

/* The next option (getopt's value, > 0) for the caller's switch; HS_CLI_END
 * when the options are over or *s is not HS_OK (an error of the caller's or
 * of the loop: *s), HS_CLI_HELP when --help was printed (exit 0). */
int hs_cli_next_option(hs_cli_parser *p, hs_status *s);

/* HS_CLI_ONE_ARG_LATER: the positional-argument check, when the caller is ready for it. */
hs_status hs_cli_check_args(const hs_cli_parser *p);

/* Strict number parsing for flag values: the whole string must be a number
 * within [lo, hi]. HS_ERR_INPUT names the flag and the expected range. */
hs_status hs_parse_long(const char *flag, const char *text, long lo, long hi, long *out);
hs_status hs_parse_double(const char *flag, const char *text, double lo, double hi, double *out);

#endif
