/* test_eta.c — the run's ETA model (src/sweep/eta.c): the cost model alone
 * before anything is measured, per-group and borrowed rates after, running
 * and final jobs, the longest chain; then a simulated sweep (2 workers, the
 * coordinator's order: base jobs first, each point after its base job) whose
 * true job times are the cost model's times 0.2-5x, per group, with noise:
 * the ETA never jumps by 25x between consecutive reports, starts off the
 * true time left by no more than the model's error allows and is within 2x
 * once every group is measured, where the old estimate (elapsed / points
 * done x points left) starts 32x off; base jobs on groups of ranks count
 * their ranks. Expected values are worked out by hand in
 * the comments. TAP output. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/sweep/eta.h"
#include "tap.h"

static int near(double a, double b) { return fabs(a - b) <= 1e-9 * fmax(1, fabs(b)); }

/* 3 base jobs (task t = job id) of 3e10 FLOP, each with 2 points of 1.5e10:
 * point p is job 3 + p of base job p / 2, group 3 + p / 2 (method 0) or
 * 6 + p / 2 (method 1). */
static void small(hs_eta *e, int workers)
{
    hs_eta_init(e, 9, 9, workers, 1e10);
    for (long b = 0; b < 3; b++) hs_eta_job(e, b, HS_ETA_BASE, (int)b, 3e10, -1, 0);
    for (long p = 0; p < 6; p++) hs_eta_job(e, 3 + p, HS_ETA_POINT, 3 + (int)(p / 2) + 3 * (int)(p % 2), 1.5e10, p / 2, 0);
}

static void units(void)
{
    hs_eta e;
    small(&e, 2);
    /* 3 x 3 s + 6 x 1.5 s = 18 s over 2 workers = 9 s; chain 3 + 1.5 = 4.5 s */
    double r = hs_eta_remaining(&e, 100);
    tap_ok(near(r, 9), "nothing measured: the cost model at its assumed speed, spread over 2 workers (%g s, want 9)", r);

    /* base 0 measured at 6 s: 2e-10 s/FLOP for base jobs and, with no point
     * measured, for points too: 2 x 6 + 6 x 3 = 30 s over 2 = 15 s */
    hs_eta_started(&e, 0, 100);
    hs_eta_finished(&e, 0, 1, 1, 6);
    r = hs_eta_remaining(&e, 106);
    tap_ok(near(r, 15), "one base job measured 2x slower than the model: every job's estimate doubles (%g s, want 15)", r);

    /* point 3 (group 3) measured at 1 s: 6.67e-11 s/FLOP for group 3 and for
     * the points of other groups (the points' rate); base jobs keep theirs:
     * 2 x 6 + 5 x 1 = 17 s over 2 = 8.5 s; chain: base 1 (6 s) + its point 1 s = 7 */
    hs_eta_started(&e, 3, 106);
    hs_eta_finished(&e, 3, 1, 1, 1);
    r = hs_eta_remaining(&e, 107);
    tap_ok(near(r, 8.5), "a point measured: points borrow the points' rate, base jobs keep theirs (%g s, want 8.5)", r);

    /* point job 6 (group 7) measured at 3 s: the points' rate becomes
     * (1 + 3 s) / 3e10 FLOP, 2 s for each point left (jobs 4, 5, 7, 8: groups
     * 6, 4, 5, 8, none measured): 2 x 6 + 4 x 2 = 20 s over 2 = 10 s */
    hs_eta_started(&e, 6, 107);
    hs_eta_finished(&e, 6, 1, 1, 3);
    r = hs_eta_remaining(&e, 110);
    tap_ok(near(r, 10), "unmeasured groups borrow the rate of all measured points (%g s, want 10)", r);

    /* a running job counts what is left of it: base 1 started 4 s ago (2 s left) */
    hs_eta_started(&e, 1, 106);
    r = hs_eta_remaining(&e, 110);
    tap_ok(near(r, 8), "a base job running for 4 of its 6 s counts 2 s (%g s, want 8)", r);
    /* a failure to be retried leaves the job pending; one failed for good is final
     * (and its time teaches nothing) */
    hs_eta_finished(&e, 1, 0, 0, 100);
    r = hs_eta_remaining(&e, 110);
    tap_ok(near(r, 10), "a failed job to be retried is pending again, its time not learnt (%g s, want 10)", r);
    hs_eta_finished(&e, 1, 0, 1, 100);
    hs_eta_finished(&e, 4, 0, 1, -1);
    hs_eta_finished(&e, 7, 0, 1, -1);
    r = hs_eta_remaining(&e, 110);
    /* left: base 2 (6 s), points 5, 8 (2 s each): 10 / 2 = 5; chain base 2 + point 8 = 8 */
    tap_ok(near(r, 8), "failed for good: final; the chain base job 2 + its point bounds it (%g s, want 8)", r);
    hs_eta_free(&e);

    /* base jobs on groups of ranks: base 0 took 3 s on 2 ranks = 6 core-s,
     * the rate of "measured at 6 s" above: 2 x 6 + 6 x 3 = 30 core-s over 2 = 15 s */
    small(&e, 2);
    hs_eta_started(&e, 0, 100);
    hs_eta_set_ranks(&e, 0, 2);
    hs_eta_finished(&e, 0, 1, 1, 3);
    r = hs_eta_remaining(&e, 103);
    tap_ok(near(r, 15), "a base job on a group of 2 counts its ranks' time in the rate (%g s, want 15)", r);
    /* base 1 on 2 ranks for 1 s: 6 / 2 - 1 = 2 s wall left (4 core-s): base 2 6 +
     * 4 + 6 x 3 = 28 core-s over 2 = 14 s; chains 2 + 3 and 6 + 3 */
    hs_eta_started(&e, 1, 106);
    hs_eta_set_ranks(&e, 1, 2);
    r = hs_eta_remaining(&e, 107);
    tap_ok(near(r, 14), "a base job running on a group of 2 has half its work left per second (%g s, want 14)", r);
    hs_eta_started(&e, 1, 0); /* pending again: one rank */
    r = hs_eta_remaining(&e, 107);
    tap_ok(near(r, 15), "handed back, it counts on one rank again (%g s, want 15)", r);
    hs_eta_free(&e);

    /* many workers: the chain bounds the time from below */
    small(&e, 64);
    r = hs_eta_remaining(&e, 0);
    tap_ok(near(r, 4.5), "64 workers: a base job and then its longest point, 3 + 1.5 s (%g s, want 4.5)", r);
    hs_eta_free(&e);

    /* nothing left */
    small(&e, 2);
    for (long j = 0; j < 9; j++) hs_eta_finished(&e, j, 1, 1, 1);
    r = hs_eta_remaining(&e, 0);
    tap_ok(r == 0, "every job final: 0 s (%g)", r);
    hs_eta_free(&e);
}

/* ---- a simulated sweep -------------------------------------------------------- */

#define TASKS 3
#define METHODS 4
#define SEEDS 2
#define RATIOS 7
#define NB (TASKS * SEEDS)
#define NP (NB * METHODS * RATIOS)

static unsigned long long lcg = 12345;
static double uniform(void)
{
    lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(lcg >> 11) / 9007199254740992.0;
}

static void simulate(void)
{
    hs_eta e;
    hs_eta_init(&e, NB + NP, TASKS * (1 + METHODS), 2, 30e9);
    double flops[NB + NP], truth[NB + NP], gfac[TASKS * (1 + METHODS)];
    long parent[NB + NP];
    for (int g = 0; g < TASKS * (1 + METHODS); g++) gfac[g] = 0.2 * pow(25, uniform()); /* 0.2 .. 5 */
    for (long b = 0; b < NB; b++) {
        const int t = (int)(b / SEEDS);
        flops[b] = 3e11 * (1 + t);
        truth[b] = flops[b] / 30e9 * gfac[t] * (0.9 + 0.2 * uniform());
        parent[b] = -1;
        hs_eta_job(&e, b, HS_ETA_BASE, t, flops[b], -1, 0);
    }
    for (long p = 0; p < NP; p++) {
        const long b = p / (METHODS * RATIOS);
        const int t = (int)(b / SEEDS), m = (int)(p / RATIOS % METHODS), ratio = (int)(p % RATIOS);
        const int g = TASKS + t * METHODS + m;
        flops[NB + p] = 2e10 * (1 + m) * (1 + 0.3 * ratio);
        truth[NB + p] = flops[NB + p] / 30e9 * gfac[g] * (0.9 + 0.2 * uniform());
        parent[NB + p] = b;
        hs_eta_job(&e, NB + p, HS_ETA_POINT, g, flops[NB + p], b, 0);
    }
    /* event simulation: 2 workers take the next job in the coordinator's
     * order (base jobs, then the points whose base job is done) */
    double wfree[2] = {0, 0};
    long wjob[2] = {-1, -1};
    char started[NB + NP] = {0}, done[NB + NP] = {0};
    double t_report[NB + NP], eta[NB + NP], old[NB + NP];
    int nrep = 0, learnt = -1;
    char measured[TASKS * (1 + METHODS)] = {0};
    int n_measured = 0;
    long done_points = 0;
    double now = 0;
    for (;;) {
        for (int w = 0; w < 2; w++) { /* hand out work */
            if (wjob[w] >= 0) continue;
            for (long j = 0; j < NB + NP; j++) {
                if (started[j] || (parent[j] >= 0 && !done[parent[j]])) continue;
                started[j] = 1;
                wjob[w] = j;
                wfree[w] = now + truth[j];
                hs_eta_started(&e, j, now);
                break;
            }
        }
        int w = wjob[0] >= 0 && (wjob[1] < 0 || wfree[0] <= wfree[1]) ? 0 : 1;
        if (wjob[w] < 0) break;
        now = wfree[w];
        const long j = wjob[w];
        wjob[w] = -1;
        done[j] = 1;
        hs_eta_finished(&e, j, 1, 1, truth[j]);
        if (j >= NB) done_points++;
        const int g = j < NB ? (int)(j / SEEDS) : TASKS + (int)((j - NB) / (METHODS * RATIOS) / SEEDS) * METHODS +
                                                       (int)((j - NB) / RATIOS % METHODS);
        if (!measured[g]) {
            measured[g] = 1;
            if (++n_measured == TASKS * (1 + METHODS)) learnt = nrep;
        }
        t_report[nrep] = now;
        eta[nrep] = hs_eta_remaining(&e, now);
        old[nrep] = done_points ? now / done_points * (NP - done_points) : -1;
        nrep++;
    }
    const double end = now;
    /* the cost model's own error: every group's true/model factor */
    double model_err = 1;
    for (int g = 0; g < TASKS * (1 + METHODS); g++) model_err = fmax(model_err, fmax(gfac[g], 1 / gfac[g]));
    double worst_jump = 1, worst_old_jump = 1, worst_learnt = 1, worst_first = 1, old_first = 0;
    for (int i = 0; i < nrep; i++) {
        const double truly = end - t_report[i];
        const double off = fmax(eta[i] / truly, truly / eta[i]);
        if (getenv("ETA_TRACE"))
            printf("# %d t=%.0f eta=%.0f truly=%.0f old=%.0f\n", i, t_report[i], eta[i], truly, old[i]);
        if (i > 0 && eta[i] > 0 && eta[i - 1] > 0)
            worst_jump = fmax(worst_jump, fmax(eta[i] / eta[i - 1], eta[i - 1] / eta[i]));
        if (i > 0 && old[i] > 0 && old[i - 1] > 0)
            worst_old_jump = fmax(worst_old_jump, fmax(old[i] / old[i - 1], old[i - 1] / old[i]));
        if (i < 5) worst_first = fmax(worst_first, off);
        /* once every group has a measured job, only the noise and the
         * order of work remain (while more than a minute is left) */
        if (i >= learnt && truly > 60) worst_learnt = fmax(worst_learnt, off);
        if (old_first == 0 && old[i] > 0) old_first = fmax(old[i] / truly, truly / old[i]);
    }
    tap_diag("simulated sweep: %d reports over %.0f s, the cost model off by up to %.1fx per group; ETA: worst jump "
             "between reports %.2fx, first reports off %.2fx, off %.2fx once every group is measured (report %d); "
             "old estimate: worst jump %.1fx, first off %.1fx",
             nrep, end, model_err, worst_jump, worst_first, worst_learnt, learnt, worst_old_jump, old_first);
    tap_ok(worst_jump < 25, "simulated sweep: the ETA never jumps 25x between reports (worst %.2fx)", worst_jump);
    /* before its own group is measured a job's rate is borrowed from
     * another group, itself off by up to the model's error: model_err^2 */
    tap_ok(worst_first <= model_err * model_err,
           "simulated sweep: the first 5 reports are off by no more than the cost model's error squared "
           "(%.2fx, model %.1fx)", worst_first, model_err);
    tap_ok(worst_learnt < 2, "simulated sweep: once every group is measured, within 2x of the time left (%.2fx)",
           worst_learnt);
    tap_ok(old_first > model_err * model_err,
           "the old estimate (elapsed / points done x points left) fails that on the same sweep (first off %.1fx)",
           old_first);
    hs_eta_free(&e);
}

int main(void)
{
    units();
    simulate();
    return tap_done();
}
