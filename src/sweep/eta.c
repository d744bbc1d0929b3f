/* eta.c — the remaining wall time of a sweep (see eta.h). */
#include "eta.h"

#include <string.h>

#include "../core/alloc.h"

hs_status hs_eta_init(hs_eta *e, long n, int n_groups, int workers, double speed)
{
    memset(e, 0, sizeof *e);
    e->n = n;
    e->n_groups = n_groups;
    e->workers = workers > 0 ? workers : 1;
    e->speed = speed;
    const size_t m = (size_t)(n > 0 ? n : 1), g = (size_t)(n_groups > 0 ? n_groups : 1);
    hs_status s = hs_calloc((void **)&e->flops, m, sizeof *e->flops, "ETA");
    if (s == HS_OK) s = hs_calloc((void **)&e->group, m, sizeof *e->group, "ETA");
    if (s == HS_OK) s = hs_calloc((void **)&e->kind, m, 1, "ETA");
    if (s == HS_OK) s = hs_calloc((void **)&e->parent, m, sizeof *e->parent, "ETA");
    if (s == HS_OK) s = hs_calloc((void **)&e->final, m, 1, "ETA");
    if (s == HS_OK) s = hs_calloc((void **)&e->started, m, sizeof *e->started, "ETA");
    if (s == HS_OK) s = hs_calloc((void **)&e->longest, m, sizeof *e->longest, "ETA");
    if (s == HS_OK) s = hs_calloc((void **)&e->ranks, m, sizeof *e->ranks, "ETA");
    for (size_t j = 0; s == HS_OK && j < m; j++) e->ranks[j] = 1;
    if (s == HS_OK) s = hs_calloc((void **)&e->g_sec, g, sizeof *e->g_sec, "ETA");
    if (s == HS_OK) s = hs_calloc((void **)&e->g_flops, g, sizeof *e->g_flops, "ETA");
    if (s != HS_OK) hs_eta_free(e);
    return s;
}

void hs_eta_free(hs_eta *e)
{
    hs_free(e->flops);
    hs_free(e->group);
    hs_free(e->kind);
    hs_free(e->parent);
    hs_free(e->final);
    hs_free(e->started);
    hs_free(e->longest);
    hs_free(e->ranks);
    hs_free(e->g_sec);
    hs_free(e->g_flops);
    memset(e, 0, sizeof *e);
}

void hs_eta_job(hs_eta *e, long j, int kind, int group, double flops, long parent, int final)
{
    if (!e->flops || j < 0 || j >= e->n) return;
    e->kind[j] = (char)kind;
    e->group[j] = group >= 0 && group < e->n_groups ? group : 0;
    e->flops[j] = flops > 0 ? flops : 0;
    e->parent[j] = parent;
    e->final[j] = final != 0;
}

void hs_eta_started(hs_eta *e, long j, double now)
{
    if (!e->flops || j < 0 || j >= e->n) return;
    e->started[j] = now;
    e->ranks[j] = 1;
}

void hs_eta_set_ranks(hs_eta *e, long j, int r)
{
    if (e->flops && j >= 0 && j < e->n) e->ranks[j] = r > 1 ? r : 1;
}

void hs_eta_finished(hs_eta *e, long j, int done, int final, double seconds)
{
    if (!e->flops || j < 0 || j >= e->n) return;
    e->started[j] = 0;
    if (done || final) e->final[j] = 1;
    /* a failed job's time says little about the others' */
    if (!done || !(seconds >= 0) || e->flops[j] <= 0) return;
    seconds *= e->ranks[j]; /* core-seconds: a group's job took its ranks' time */
    e->g_sec[e->group[j]] += seconds;
    e->g_flops[e->group[j]] += e->flops[j];
    e->k_sec[(int)e->kind[j]] += seconds;
    e->k_flops[(int)e->kind[j]] += e->flops[j];
}

/* Seconds per model FLOP for job j: its group's, its kind's, everyone's,
 * or the assumed speed's. */
static double rate(const hs_eta *e, long j)
{
    const int g = e->group[j], k = e->kind[j];
    if (e->g_flops[g] > 0) return e->g_sec[g] / e->g_flops[g];
    if (e->k_flops[k] > 0) return e->k_sec[k] / e->k_flops[k];
    const double f = e->k_flops[0] + e->k_flops[1];
    if (f > 0) return (e->k_sec[0] + e->k_sec[1]) / f;
    return e->speed > 0 ? 1 / e->speed : 0;
}

/* Wall seconds job j has left (on its ranks, if running). */
static double left(const hs_eta *e, long j, double now)
{
    if (e->final[j]) return 0;
    double t = e->flops[j] * rate(e, j);
    if (e->started[j] <= 0) return t;
    t /= e->ranks[j];
    const double r = t - (now - e->started[j]);
    return r > 0 ? r : 0;
}

double hs_eta_remaining(hs_eta *e, double now)
{
    if (!e->flops) return -1;
    double total = 0, chain = 0;
    /* the longest chain: a base job left, then its longest point left */
    for (long j = 0; j < e->n; j++) e->longest[j] = 0;
    for (long j = 0; j < e->n; j++) {
        const double l = left(e, j, now);
        total += l * (e->started[j] > 0 ? e->ranks[j] : 1); /* core-seconds */
        if (l > chain) chain = l;
        const long b = e->parent[j];
        if (e->kind[j] == HS_ETA_POINT && b >= 0 && b < e->n && l > e->longest[b]) e->longest[b] = l;
    }
    for (long b = 0; b < e->n; b++) {
        if (e->kind[b] != HS_ETA_BASE || e->final[b]) continue;
        const double c = left(e, b, now) + e->longest[b];
        if (c > chain) chain = c;
    }
    const double spread = total / e->workers;
    return spread > chain ? spread : chain;
}
