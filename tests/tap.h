/* tap.h — a minimal TAP producer for the C tests (run by automake's
 * tap-driver.sh). Every check prints "ok N - ..." or "not ok N - ...";
 * tap_done prints the plan and returns the exit status (1 if any failed). */
#ifndef HS_TESTS_TAP_H
#define HS_TESTS_TAP_H

#include <stdarg.h>
#include <stdio.h>

#define TAP_UNUSED __attribute__((unused))

static int tap_n, tap_failed;

TAP_UNUSED __attribute__((format(printf, 2, 3))) static int tap_ok(int cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
    if (!cond) tap_failed++;
    return cond;
}

TAP_UNUSED __attribute__((format(printf, 1, 2))) static void tap_diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("# ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

TAP_UNUSED static int tap_done(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
