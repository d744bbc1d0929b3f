/* cli_util.c — error reporting, the option loop and strict parsing for the subcommands. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int hs_cli_report(hs_status s)
{
    fprintf(stderr, "headsweep: error: %s\n", hs_error_message()[0] ? hs_error_message() : hs_strerror(s));
    hs_error_clear();
    return hs_status_exit_code(s);
}

hs_status hs_cli_check_args(const hs_cli_parser *p)
{
    if (p->args == HS_CLI_NO_ARGS)
        return optind < p->argc ? hs_error_set(HS_ERR_INPUT, "%s: unexpected argument '%s' (see headsweep %s --help)",
                                               p->name, p->argv[optind], p->name)
                                : HS_OK;
    if (optind != p->argc - 1)
        return hs_error_set(HS_ERR_INPUT, "%s: expected exactly one %s argument (see headsweep %s --help)", p->name,
                            p->arg, p->name);
    return HS_OK;
}

int hs_cli_next_option(hs_cli_parser *p, hs_status *s)
{
    if (!p->started) {
        opterr = 0; /* the errors are ours, worded as every other bad input */
        optind = 1;
        p->started = 1;
    }
    if (*s != HS_OK) return HS_CLI_END;
    const int c = getopt_long(p->argc, p->argv, p->shortopts ? p->shortopts : "", p->longopts, NULL);
    if (c == -1) {
        if (p->args == HS_CLI_ONE_ARG || p->args == HS_CLI_NO_ARGS) *s = hs_cli_check_args(p);
        return HS_CLI_END;
    }
    if (c == p->help) {
        if (p->print_help) p->print_help();
        else fputs(p->help_text, stdout);
        return HS_CLI_HELP;
    }
    if (c == '?' && p->args != HS_CLI_OWN_ERRORS) {
        *s = hs_error_set(HS_ERR_INPUT, "%s: unknown or incomplete option '%s' (see headsweep %s --help)", p->name,
                          p->argv[optind - 1], p->name);
        return HS_CLI_END;
    }
    return c;
}

hs_status hs_parse_long(const char *flag, const char *text, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end || errno)
        return hs_error_set(HS_ERR_INPUT, "%s '%s': expected an integer in %ld..%ld", flag, text, lo, hi);
    if (v < lo || v > hi)
        return hs_error_set(HS_ERR_INPUT, "%s %ld: expected an integer in %ld..%ld", flag, v, lo, hi);
    *out = v;
    return HS_OK;
}

hs_status hs_parse_double(const char *flag, const char *text, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end || errno || !isfinite(v))
        return hs_error_set(HS_ERR_INPUT, "%s '%s': expected a number in %g..%g", flag, text, lo, hi);
    if (v < lo || v > hi)
        return hs_error_set(HS_ERR_INPUT, "%s %g: expected a number in %g..%g", flag, v, lo, hi);
    *out = v;
    return HS_OK;
}
