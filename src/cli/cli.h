/* cli.h — what the subcommands share: the dispatch signature, the one
 * user-facing error reporter, and strict flag-value parsing. */
#ifndef HS_CLI_CLI_H
#define HS_CLI_CLI_H

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

/* Strict number parsing for flag values: the whole string must be a number
 * within [lo, hi]. HS_ERR_INPUT names the flag and the expected range. */
hs_status hs_parse_long(const char *flag, const char *text, long lo, long hi, long *out);
hs_status hs_parse_double(const char *flag, const char *text, double lo, double hi, double *out);

#endif
