/* cli_util.c — error reporting and strict parsing for the subcommands. */
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
