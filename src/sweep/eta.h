/* eta.h — the remaining wall time of a sweep, for `run`'s progress lines.
 *
 * Every job (base job or point) has a cost from the grid's cost model (the
 * FLOPs of hs_sweep_base_flops / hs_sweep_point_flops) and a group: base jobs
 * of one task, points of one (task, method). A job's expected seconds are its
 * FLOPs times its group's measured seconds per FLOP (the done jobs' measured
 * wall times over their FLOPs); a group with nothing measured yet borrows the
 * rate of every measured job of its kind (base or point), then of every
 * measured job, and with nothing measured at all the cost model's assumed
 * speed (HS_SWEEP_FLOPS_PER_CORE). The remaining time is the larger of the
 * remaining work spread over the workers and the longest chain left (a base
 * job still to finish, then its longest point): per-job overheads the model
 * does not know are learnt from the first measured jobs without the estimate
 * jumping from one job's time times the number of points. A base job on a
 * group of g ranks (docs/design.md "Base jobs on groups of ranks") counts g
 * times its wall time in the rates (core-seconds per FLOP) and, while it
 * runs, a g-th of its work left as its wall time; one not yet started is
 * counted on one rank (its group is chosen when it starts). */
#ifndef HS_SWEEP_ETA_H
#define HS_SWEEP_ETA_H

#include "../core/error.h"

enum { HS_ETA_BASE = 0, HS_ETA_POINT = 1 };

typedef struct {
    long n;          /* jobs */
    int n_groups;
    int workers;     /* ranks that run jobs (1 with -np 1) */
    double speed;    /* assumed FLOP/s before anything is measured */
    double *flops;   /* [n] cost model */
    int *group;      /* [n] */
    char *kind;      /* [n] HS_ETA_BASE or HS_ETA_POINT */
    long *parent;    /* [n] a point's base job (-1 for base jobs) */
    char *final;     /* [n] done or failed for good */
    double *started; /* [n] when a running job was handed out, else 0 */
    double *longest; /* [n] scratch: a base job's longest point left */
    int *ranks;      /* [n] ranks a running job runs on (a base job's group; else 1) */
    double *g_sec, *g_flops;    /* [n_groups] measured */
    double k_sec[2], k_flops[2]; /* measured per kind */
} hs_eta;

/* n jobs in n_groups groups, all pending, flops 0 (set with hs_eta_job). */
hs_status hs_eta_init(hs_eta *e, long n, int n_groups, int workers, double speed);
void hs_eta_free(hs_eta *e);

/* Job j: its kind, group, cost-model FLOPs, base job (points; -1 otherwise)
 * and whether it is already final (a resumed sweep). */
void hs_eta_job(hs_eta *e, long j, int kind, int group, double flops, long parent, int final);

/* Job j was handed out at time now. */
/* Job j (running) runs on r ranks; hs_eta_started resets it to 1. */
void hs_eta_set_ranks(hs_eta *e, long j, int r);
void hs_eta_started(hs_eta *e, long j, double now);

/* Job j came back: done (measured `seconds` of wall time count for its
 * group), failed for good (final, nothing learnt), or to be retried. */
void hs_eta_finished(hs_eta *e, long j, int done, int final, double seconds);

/* Expected seconds until every job is final, at time now. */
double hs_eta_remaining(hs_eta *e, double now);

#endif
