/* runner.c — coordinator and workers of `headsweep run` (see runner.h).
 *
 * Messages (MPI_BYTE, tag = kind): a worker sends READY once, then one
 * RESULT per job (which also asks for the next); the coordinator answers
 * with JOB_BASE, JOB_POINT (with the base model's parameters the first time
 * that worker needs them) or STOP. Sizes: a result is a row plus L·H masks
 * (a few KB); a base model is its parameter buffer (KB to MB), sent once per
 * worker and base. */
#include "runner.h"

#include <errno.h>
#include <hdf5.h>
#include <libconfig.h>
#include <math.h>
#include <mpi.h>
#include <sched.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <utf8proc.h>
#include <zlib.h>

#include "../core/alloc.h"
#include "../core/text.h"
#include "../prune/eval.h"
#include "../store/runlock.h"
#include "config.h"
#include "eta.h"
#include "jobs.h"

/* Jobs in flight per worker. Deeper queues let a worker skip the wait for the
 * coordinator's write, but then a job with a base model (a rendezvous-size
 * message) and a worker's result can be sent at the same time with blocking
 * sends: a deadlock. Depth 1 keeps every exchange request → reply. */
#define QUEUE_DEPTH 1
/* start_base makes a worker with a free queue slot a group's leader while its
 * members wait in MPI_Comm_create_group: a deeper queue would let the leader
 * still hold a job then */
_Static_assert(QUEUE_DEPTH == 1, "base jobs on groups need a queue depth of 1");

enum { TAG_READY = 1, TAG_RESULT_BASE, TAG_RESULT_POINT, TAG_JOB_BASE, TAG_JOB_POINT, TAG_STOP, TAG_TEXT,
       TAG_RESULT_MEMBER };

/* ---- signals ------------------------------------------------------------- */

static volatile sig_atomic_t got_usr1, got_term;
static unsigned grace_seconds; /* -np 1: the job in hand is cancelled after this */
static int serial_mode;

static void on_usr1(int sig)
{
    (void)sig;
    if (!got_usr1 && serial_mode) alarm(grace_seconds ? grace_seconds : 1);
    got_usr1 = 1;
}

static void on_term(int sig)
{
    (void)sig;
    got_term = 1;
    hs_cancel_now(); /* a job running on this rank stops at its next batch */
}

static void on_alarm(int sig)
{
    (void)sig;
    hs_cancel_now(); /* the grace after SIGUSR1 is over */
}

static void install(int sig, void (*fn)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

/* ---- waiting without spinning -------------------------------------------- */

/* Polls for a message from `source` (MPI_ANY_SOURCE allowed): a short spin
 * (an MPI round trip is microseconds), then sleeps growing to 1 ms. Returns
 * 0 with *st set, or 1 if stop() became true first. */
static int wait_message(int source, MPI_Status *st, int (*stop)(void))
{
    long idle = 0;
    for (;;) {
        int flag = 0;
        MPI_Iprobe(source, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, st);
        if (flag) return 0;
        if (stop && stop()) return 1;
        if (++idle > 2000) {
            long ns = idle > 4000 ? 1000000 : 50000;
            struct timespec ts = {0, ns};
            nanosleep(&ts, NULL);
        } else {
            sched_yield(); /* on a loaded machine the peer may need this core */
        }
    }
}

static hs_status recv_bytes(const MPI_Status *st, char **buf, int *n)
{
    MPI_Get_count(st, MPI_BYTE, n);
    *buf = NULL;
    if (*n > 0) HS_CHECK(hs_calloc((void **)buf, (size_t)*n, 1, "message"));
    MPI_Recv(*buf, *n, MPI_BYTE, st->MPI_SOURCE, st->MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    return HS_OK;
}

/* ---- message layouts ------------------------------------------------------ */

typedef struct {
    int64_t id;
    int64_t base;      /* JOB_POINT: its base job */
    int64_t n_params;  /* parameters that follow (0: the worker has them) */
} job_header;

typedef struct {
    int64_t id;
    int32_t ok;          /* 0: failed, message in `error` */
    int32_t cancelled;   /* stopped by a signal: the job stays pending */
    char error[HS_ERROR_LEN];
} result_header;

/* ---- benchmark mode ----------------------------------------------------------- */

/* --bench-trivial: jobs do no work (an untrained model, an empty point), so
 * what is measured is dispatch, messaging and the flushed writes. */
static int trivial;

static hs_status run_base(hs_task_cache *tc, long b, hs_base_row *row, hs_model **m, const hs_mb_group *g)
{
    if (!trivial) return hs_job_run_base(tc, b, row, m, g);
    row->ranks = g ? g->size : 1;
    hs_task *t;
    const hs_sweep_base *bj = &tc->sw->bases[b];
    HS_CHECK(hs_task_cache_get(tc, bj->task, bj->seed, &t));
    const hs_config cfg = hs_sweep_model_config(tc->sw, bj->task, t);
    HS_CHECK(hs_model_create(m, &cfg));
    row->start_time = row->end_time = hs_now();
    row->attempts++;
    row->status = HS_STATUS_DONE;
    row->metric = row->loss = 0;
    return HS_OK;
}

static hs_status run_point(hs_task_cache *tc, long p, const hs_model *base, int lmax, int hmax,
                           hs_point_row *row, uint8_t *mask, float *imp, double *curve)
{
    if (!trivial) return hs_job_run_point(tc, p, base, lmax, hmax, row, mask, imp, curve);
    memset(mask, 1, (size_t)lmax * hmax);
    memset(imp, 0, sizeof(float) * lmax * hmax);
    memset(curve, 0, sizeof(double) * HS_CURVE_WIDTH);
    row->start_time = row->end_time = hs_now();
    row->attempts++;
    row->status = HS_STATUS_DONE;
    return HS_OK;
}

/* ---- a base job's group of ranks ------------------------------------------ */

/* A base job may run on a group of workers (docs/design.md "Base jobs on
 * groups of ranks"): a communicator made for the job with
 * MPI_Comm_create_group (collective over the members only), over which
 * src/core/microbatch.c moves gradient tree nodes. Waits poll: Open MPI's
 * blocking calls would spin a core for the whole of a peer's compute. Only
 * yields and short sleeps: a large message moves in fragments, each
 * needing the receiver's progress, and a 1 ms sleep between them would
 * crawl. */
static int wait_request(MPI_Request *rq)
{
    long idle = 0;
    for (;;) {
        int flag = 0;
        if (MPI_Test(rq, &flag, MPI_STATUS_IGNORE) != MPI_SUCCESS) return -1;
        if (flag) return 0;
        if (++idle > 20000) {
            struct timespec ts = {0, 20000};
            nanosleep(&ts, NULL);
        } else {
            sched_yield();
        }
    }
}

/* MPI counts are int: long buffers go in pieces of at most 2^30 floats. */
#define GROUP_CHUNK ((size_t)1 << 30)

static int group_send(void *ctx, int to, const hs_real *buf, size_t n)
{
    MPI_Comm comm = *(MPI_Comm *)ctx;
    for (size_t o = 0; o < n; o += GROUP_CHUNK) {
        const int k = (int)(n - o < GROUP_CHUNK ? n - o : GROUP_CHUNK);
        MPI_Request rq;
        MPI_Isend(buf + o, k, MPI_FLOAT, to, 1, comm, &rq);
        if (wait_request(&rq)) return -1;
    }
    return 0;
}

static int group_recv(void *ctx, int from, hs_real *buf, size_t n)
{
    MPI_Comm comm = *(MPI_Comm *)ctx;
    for (size_t o = 0; o < n; o += GROUP_CHUNK) {
        const int k = (int)(n - o < GROUP_CHUNK ? n - o : GROUP_CHUNK);
        MPI_Request rq;
        MPI_Irecv(buf + o, k, MPI_FLOAT, from, 1, comm, &rq);
        if (wait_request(&rq)) return -1;
    }
    return 0;
}

static int group_bcast(void *ctx, hs_real *buf, size_t n)
{
    MPI_Comm comm = *(MPI_Comm *)ctx;
    for (size_t o = 0; o < n; o += GROUP_CHUNK) {
        const int k = (int)(n - o < GROUP_CHUNK ? n - o : GROUP_CHUNK);
        MPI_Request rq;
        MPI_Ibcast(buf + o, k, MPI_FLOAT, 0, comm, &rq);
        if (wait_request(&rq)) return -1;
    }
    return 0;
}

static int group_agree(void *ctx, int ok)
{
    MPI_Comm comm = *(MPI_Comm *)ctx;
    int v = ok != 0, all = 0;
    MPI_Request rq;
    MPI_Iallreduce(&v, &all, 1, MPI_INT, MPI_MIN, comm, &rq);
    if (wait_request(&rq)) return 0;
    return all;
}

void hs_run_group_transport(hs_mb_group *g, void *comm)
{
    g->ctx = comm;
    g->send = group_send;
    g->recv = group_recv;
    g->bcast = group_bcast;
    g->agree = group_agree;
}

/* JOB_BASE's group part, after the attempts: size, this worker's rank in it,
 * the communicator tag, then the members' world ranks (leader first). */
typedef struct {
    int32_t size, rank, tag;
} group_header;

/* ---- shared state ---------------------------------------------------------- */

typedef struct {
    hs_sweep sw;
    hs_task_cache tc;
    int rank, size;
    int lmax, hmax;
} ctx_common;

/* Sizes of a point result message. */
static size_t point_payload(const ctx_common *c)
{
    const size_t lh = (size_t)c->lmax * c->hmax;
    return sizeof(result_header) + sizeof(hs_point_row) + lh + lh * sizeof(float) +
           HS_CURVE_WIDTH * sizeof(double);
}

/* Base job b's model rebuilt from its parameter buffer (as sent over MPI).
 * NULL (with the pending error set) if the sizes disagree. */
static hs_model *model_from_params(ctx_common *c, long b, const void *params, int64_t n)
{
    const hs_sweep_base *bj = &c->sw.bases[b];
    hs_task *t;
    hs_model *m = NULL;
    if (hs_task_cache_get(&c->tc, bj->task, bj->seed, &t) != HS_OK) return NULL;
    const hs_config cfg = hs_sweep_model_config(&c->sw, bj->task, t);
    if (hs_model_create(&m, &cfg) != HS_OK) return NULL;
    if ((int64_t)m->num_params != n) {
        hs_error_set(HS_ERR_INTERNAL, "base model %ld: %lld parameters received, %zu expected", b,
                     (long long)n, m->num_params);
        hs_model_destroy(&m);
        return NULL;
    }
    memcpy(m->params, params, m->num_params * sizeof(float));
    return m;
}

/* ---- worker ----------------------------------------------------------------- */

static int worker_stop(void) { return 0; }

static int run_worker(ctx_common *c)
{
    const hs_sweep *sw = &c->sw;
    hs_model **cache = NULL;
    if (hs_calloc((void **)&cache, (size_t)sw->n_bases, sizeof *cache, "base cache") != HS_OK) MPI_Abort(MPI_COMM_WORLD, 1);
    MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_READY, MPI_COMM_WORLD);
    const size_t lh = (size_t)c->lmax * c->hmax;
    char *out = NULL;
    if (hs_calloc((void **)&out, point_payload(c), 1, "result message") != HS_OK) MPI_Abort(MPI_COMM_WORLD, 1);
    for (;;) {
        MPI_Status st;
        wait_message(0, &st, worker_stop);
        char *msg;
        int n;
        if (recv_bytes(&st, &msg, &n) != HS_OK) MPI_Abort(MPI_COMM_WORLD, 1);
        if (st.MPI_TAG == TAG_STOP) {
            hs_free(msg);
            break;
        }
        job_header jh;
        memcpy(&jh, msg, sizeof jh);
        result_header rh;
        memset(&rh, 0, sizeof rh);
        rh.id = jh.id;
        hs_set_deadline(0);
        if (st.MPI_TAG == TAG_JOB_BASE) {
            hs_base_row row;
            hs_job_init_base_row(sw, jh.id, &row);
            memcpy(&row.attempts, msg + sizeof jh, sizeof row.attempts);
            group_header gh;
            memcpy(&gh, msg + sizeof jh + sizeof(int32_t), sizeof gh);
            MPI_Comm comm = MPI_COMM_NULL;
            hs_mb_group g = {.rank = gh.rank, .size = gh.size};
            hs_run_group_transport(&g, &comm);
            if (gh.size > 1) {
                int32_t *members = (int32_t *)(msg + sizeof jh + sizeof(int32_t) + sizeof gh);
                MPI_Group world, sub;
                MPI_Comm_group(MPI_COMM_WORLD, &world);
                MPI_Group_incl(world, gh.size, members, &sub);
                if (MPI_Comm_create_group(MPI_COMM_WORLD, sub, gh.tag, &comm) != MPI_SUCCESS)
                    MPI_Abort(MPI_COMM_WORLD, 1);
                MPI_Group_free(&sub);
                MPI_Group_free(&world);
            }
            hs_model *m = NULL;
            hs_status s = run_base(&c->tc, jh.id, &row, &m, gh.size > 1 ? &g : NULL);
            if (comm != MPI_COMM_NULL) MPI_Comm_free(&comm);
            row.rank = c->rank;
            rh.ok = s == HS_OK;
            rh.cancelled = got_term;
            if (s != HS_OK) snprintf(rh.error, sizeof rh.error, "%s", hs_error_message());
            hs_error_clear();
            if (gh.rank > 0) { /* a member: the leader returns the model; this one keeps its copy */
                MPI_Send(&rh, (int)sizeof rh, MPI_BYTE, 0, TAG_RESULT_MEMBER, MPI_COMM_WORLD);
                if (m) {
                    hs_model_destroy(&cache[jh.id]); /* a retry's: the older copy goes */
                    cache[jh.id] = m;
                }
                hs_free(msg);
                continue;
            }
            const size_t np = m ? m->num_params : 0;
            const size_t sz = sizeof rh + sizeof row + np * sizeof(float);
            char *buf = NULL;
            if (hs_calloc((void **)&buf, sz, 1, "result message") != HS_OK) MPI_Abort(MPI_COMM_WORLD, 1);
            memcpy(buf, &rh, sizeof rh);
            memcpy(buf + sizeof rh, &row, sizeof row);
            if (m) memcpy(buf + sizeof rh + sizeof row, m->params, np * sizeof(float));
            MPI_Send(buf, (int)sz, MPI_BYTE, 0, TAG_RESULT_BASE, MPI_COMM_WORLD);
            hs_free(buf);
            if (m) { /* points of this base will likely come here too; a member's copy of a failed try goes */
                hs_model_destroy(&cache[jh.id]);
                cache[jh.id] = m;
            }
        } else {
            if (jh.n_params > 0 && !cache[jh.base])
                cache[jh.base] = model_from_params(c, jh.base, msg + sizeof jh + sizeof(int32_t), jh.n_params);
            hs_point_row row;
            hs_job_init_point_row(sw, jh.id, &row);
            memcpy(&row.attempts, msg + sizeof jh, sizeof row.attempts);
            uint8_t *mask = (uint8_t *)(out + sizeof rh + sizeof row);
            float *imp = (float *)(mask + lh);
            double *curve = (double *)(imp + lh);
            hs_status s;
            if (!cache[jh.base]) {
                s = hs_error_set(HS_ERR_INTERNAL, "worker %d has no base model %lld (%s)", c->rank,
                                 (long long)jh.base, hs_error_message());
                row.attempts++;
                row.status = HS_STATUS_FAILED;
            } else {
                if (sw->point_timeout > 0) hs_set_deadline(hs_now() + sw->point_timeout);
                s = run_point(&c->tc, jh.id, cache[jh.base], c->lmax, c->hmax, &row, mask, imp, curve);
                hs_set_deadline(0);
            }
            row.rank = c->rank;
            rh.ok = s == HS_OK;
            rh.cancelled = got_term;
            if (s != HS_OK) snprintf(rh.error, sizeof rh.error, "%s", hs_error_message());
            hs_error_clear();
            memcpy(out, &rh, sizeof rh);
            memcpy(out + sizeof rh, &row, sizeof row);
            MPI_Send(out, (int)point_payload(c), MPI_BYTE, 0, TAG_RESULT_POINT, MPI_COMM_WORLD);
        }
        hs_free(msg);
    }
    for (long i = 0; i < sw->n_bases; i++) hs_model_destroy(&cache[i]);
    hs_free(cache);
    hs_free(out);
    return 0;
}

/* ---- coordinator ------------------------------------------------------------ */

typedef struct {
    ctx_common *c;
    hs_results *res;
    hs_point_row *points;
    hs_base_row *bases;
    hs_model **models;      /* done base models (for sending and for -np 1) */
    char *worker_has;       /* [size][n_bases] 1: that worker caches the base */
    /* jobs handed to each worker, oldest first (a worker works through them
     * in order), up to QUEUE_DEPTH. Entries: b, n_bases + p, or
     * n_bases + n_points + b for a member (not the leader) of b's group. */
    long (*queue)[2];
    int *nq;
    char *ready, *stopped;
    char *running_base, *running_point; /* handed out, result not back yet */
    long next_base, next_point; /* scan positions */
    long done_points, failed_points, todo_points, done_here;
    double started, last_progress, progress_every, last_sync;
    int fail_point;
    int tty;
    int stopping;           /* no more dispatch */
    int n_ready;            /* workers whose READY came: dispatch starts when all have */
    int force_group;        /* HEADSWEEP_GROUP_SIZE (tests): every base job's group size, 0 = the policy */
    hs_eta eta;             /* jobs: base jobs b, then points n_bases + p */
    double eta_value, eta_at;
} coord;

static int point_final(const coord *k, long p)
{
    const hs_point_row *r = &k->points[p];
    return r->status == HS_STATUS_DONE ||
           (r->status == HS_STATUS_FAILED && r->attempts > k->c->sw.retries);
}

static int base_final(const coord *k, long b)
{
    const hs_base_row *r = &k->bases[b];
    return r->status == HS_STATUS_DONE ||
           (r->status == HS_STATUS_FAILED && r->attempts > k->c->sw.retries);
}

/* The ETA model of the sweep (eta.h): every job's cost-model FLOPs, its
 * group (base jobs per task, points per (task, method)), what is final. The
 * cost model needs each task's shape and split sizes: seed index 0 stands
 * for all seeds, as in `check`. Without it (a task that cannot be opened)
 * the ETA falls back to points done per second. */
static void eta_build(coord *k)
{
    ctx_common *c = k->c;
    const hs_sweep *sw = &c->sw;
    const long nb = sw->n_bases;
    const int workers = c->size > 1 ? c->size - 1 : 1;
    if (hs_eta_init(&k->eta, nb + sw->n_points, sw->n_tasks * (1 + sw->n_methods), workers,
                    HS_SWEEP_FLOPS_PER_CORE) != HS_OK) {
        hs_error_clear();
        return;
    }
    for (int t = 0; t < sw->n_tasks; t++) {
        hs_task *task;
        if (hs_task_cache_get(&c->tc, t, 0, &task) != HS_OK) {
            hs_error_clear();
            hs_eta_free(&k->eta);
            return;
        }
    }
    for (long b = 0; b < nb; b++) {
        hs_task *task;
        hs_task_cache_get(&c->tc, sw->bases[b].task, 0, &task);
        hs_eta_job(&k->eta, b, HS_ETA_BASE, sw->bases[b].task, hs_sweep_base_flops(sw, sw->bases[b].task, task),
                   -1, base_final(k, b));
    }
    for (long p = 0; p < sw->n_points; p++) {
        const hs_sweep_point *pt = &sw->points[p];
        hs_task *task;
        hs_task_cache_get(&c->tc, pt->task, 0, &task);
        hs_eta_job(&k->eta, nb + p, HS_ETA_POINT, sw->n_tasks + pt->task * sw->n_methods + pt->method,
                   hs_sweep_point_flops(sw, pt, task), pt->base, point_final(k, p));
    }
}

/* Job j (eta.h numbering) came back: its time since it was handed out counts. */
static void eta_finished(coord *k, long j, int done, int final)
{
    if (!k->eta.flops) return;
    const double t0 = k->eta.started[j];
    hs_eta_finished(&k->eta, j, done, final, t0 > 0 ? hs_now() - t0 : -1);
}

static void format_eta(char *buf, size_t n, double eta)
{
    if (eta < 0) snprintf(buf, n, "?");
    else if (eta >= 3600) snprintf(buf, n, "%dh%02dm", (int)(eta / 3600), (int)fmod(eta / 60, 60));
    else snprintf(buf, n, "%dm%02ds", (int)(eta / 60), (int)fmod(eta, 60));
}

static void progress(coord *k, int force)
{
    const double now = hs_now();
    const long n = k->c->sw.n_points, fin = k->done_points + k->failed_points;
    if (!force && !k->tty && now - k->last_progress < k->progress_every) return;
    k->last_progress = now;
    double eta = -1;
    const double el = now - k->started;
    if (k->eta.flops) {
        /* O(jobs) each: at most twice a second, counted down in between */
        if (force || now - k->eta_at >= 0.5) {
            k->eta_value = hs_eta_remaining(&k->eta, now);
            k->eta_at = now;
        }
        eta = fmax(k->eta_value - (now - k->eta_at), 0);
    } else if (k->done_here > 0) {
        eta = el / k->done_here * (double)(k->todo_points - k->done_here);
    }
    char etab[32];
    format_eta(etab, sizeof etab, eta);
    fprintf(stderr, "%s[headsweep] points %ld/%ld done, %ld failed, elapsed %.0fs, ETA %s%s",
            k->tty ? "\r" : "", fin, n, k->failed_points, el, etab, k->tty ? "   " : "\n");
    fflush(stderr);
}

/* Fails point p without running it (its base job failed for good). */
static hs_status fail_without_run(coord *k, long p, const char *why)
{
    hs_point_row *r = &k->points[p];
    r->status = HS_STATUS_FAILED;
    r->attempts = k->c->sw.retries + 1;
    r->start_time = r->end_time = hs_now();
    k->failed_points++;
    eta_finished(k, k->c->sw.n_bases + p, 0, 1);
    return hs_results_write_point(k->res, p, r, NULL, NULL, NULL, why);
}

/* The next job to hand out: a pending base job, else a pending point whose
 * base is done. Returns 1 (base b), 2 (point p), 0 nothing now, -1 all done. */
static int next_job(coord *k, long *id)
{
    const hs_sweep *sw = &k->c->sw;
    int waiting = 0;
    /* everything before the cursors is final: scans stay short on big grids */
    while (k->next_base < sw->n_bases && base_final(k, k->next_base)) k->next_base++;
    while (k->next_point < sw->n_points && point_final(k, k->next_point)) k->next_point++;
    for (long b = k->next_base; b < sw->n_bases; b++) {
        if (base_final(k, b)) continue;
        if (k->running_base[b]) {
            waiting = 1;
            continue;
        }
        *id = b;
        return 1;
    }
    for (long p = k->next_point; p < sw->n_points; p++) {
        if (point_final(k, p)) continue;
        if (k->running_point[p]) {
            waiting = 1;
            continue;
        }
        const long b = sw->points[p].base;
        if (k->bases[b].status == HS_STATUS_DONE) {
            *id = p;
            return 2;
        }
        if (base_final(k, b)) { /* failed for good */
            char why[HS_ERROR_LEN];
            char err[HS_ERROR_LEN];
            hs_results_read_error(k->res, b, 1, err, sizeof err);
            snprintf(why, sizeof why, "base job %ld failed: %.200s", b, err);
            if (fail_without_run(k, p, why) != HS_OK) return -2;
            continue;
        }
        waiting = 1;
    }
    return waiting ? 0 : -1;
}

/* Every row is flushed to the file (H5Dflush) as it arrives; at most once a
 * second the file is also fsync'ed, so a power cut loses at most ~1 s of rows
 * while dispatch stays at tens of thousands of rows a second. */
static hs_status make_durable(coord *k)
{
    const double now = hs_now();
    if (now - k->last_sync < 1.0) return HS_OK;
    k->last_sync = now;
    return hs_results_sync(k->res);
}

static hs_status record_base(coord *k, long b, const hs_base_row *row, int ok, const char *error,
                             hs_model *m)
{
    k->bases[b] = *row;
    HS_CHECK(hs_results_write_base(k->res, b, row, ok ? m : NULL, ok ? NULL : error));
    if (ok) k->models[b] = m;
    eta_finished(k, b, ok, base_final(k, b));
    progress(k, 0);
    return make_durable(k);
}

static hs_status record_point(coord *k, long p, const hs_point_row *row, const uint8_t *mask,
                              const float *imp, const double *curve, int ok, const char *error)
{
    const int failed_before = k->points[p].status == HS_STATUS_FAILED;
    k->points[p] = *row;
    HS_CHECK(hs_results_write_point(k->res, p, row, ok ? mask : NULL, ok ? imp : NULL, ok ? curve : NULL,
                                    ok ? (failed_before ? "" : NULL) : error));
    if (ok) k->done_points++;
    else if (point_final(k, p)) k->failed_points++;
    k->done_here++;
    eta_finished(k, k->c->sw.n_bases + p, ok, point_final(k, p));
    progress(k, 0);
    return make_durable(k);
}

/* Sends base job b to the group members[0 .. n-1] (leader first). */
static hs_status send_base_group(coord *k, const int *members, int n, long b)
{
    const hs_sweep *sw = &k->c->sw;
    const job_header jh = {b, -1, 0};
    const int32_t attempts = k->bases[b].attempts;
    const size_t sz = sizeof jh + sizeof attempts + sizeof(group_header) + (size_t)n * sizeof(int32_t);
    char *buf;
    HS_CHECK(hs_calloc((void **)&buf, sz, 1, "job message"));
    memcpy(buf, &jh, sizeof jh);
    memcpy(buf + sizeof jh, &attempts, sizeof attempts);
    int32_t *mem = (int32_t *)(buf + sizeof jh + sizeof attempts + sizeof(group_header));
    for (int i = 0; i < n; i++) mem[i] = members[i];
    for (int i = 0; i < n; i++) {
        /* the tag tells this group's creation from others in flight (disjoint members) */
        const group_header gh = {n, i, (int32_t)(b % 30000)};
        memcpy(buf + sizeof jh + sizeof attempts, &gh, sizeof gh);
        const int w = members[i];
        MPI_Send(buf, (int)sz, MPI_BYTE, w, TAG_JOB_BASE, MPI_COMM_WORLD);
        k->queue[w][k->nq[w]++] = i == 0 ? b : sw->n_bases + sw->n_points + b;
        k->worker_has[(size_t)w * sw->n_bases + b] = 1; /* it keeps what it trains */
    }
    hs_free(buf);
    hs_eta_started(&k->eta, b, hs_now());
    hs_eta_set_ranks(&k->eta, b, n);
    k->running_base[b] = 1;
    return HS_OK;
}

/* Sends job `kind` (1 base, 2 point) id to worker w. */
static hs_status send_job(coord *k, int w, int kind, long id)
{
    const hs_sweep *sw = &k->c->sw;
    if (kind == 1) return send_base_group(k, &w, 1, id);
    job_header jh = {id, kind == 2 ? sw->points[id].base : -1, 0};
    const hs_model *m = NULL;
    if (kind == 2 && !k->worker_has[(size_t)w * sw->n_bases + jh.base]) {
        m = k->models[jh.base];
        jh.n_params = (int64_t)m->num_params;
        k->worker_has[(size_t)w * sw->n_bases + jh.base] = 1;
    }
    const int32_t attempts = kind == 1 ? k->bases[id].attempts : k->points[id].attempts;
    const size_t sz = sizeof jh + sizeof attempts + (size_t)jh.n_params * sizeof(float);
    char *buf;
    HS_CHECK(hs_calloc((void **)&buf, sz, 1, "job message"));
    memcpy(buf, &jh, sizeof jh);
    memcpy(buf + sizeof jh, &attempts, sizeof attempts);
    if (m) memcpy(buf + sizeof jh + sizeof attempts, m->params, (size_t)jh.n_params * sizeof(float));
    MPI_Send(buf, (int)sz, MPI_BYTE, w, kind == 1 ? TAG_JOB_BASE : TAG_JOB_POINT, MPI_COMM_WORLD);
    hs_free(buf);
    k->queue[w][k->nq[w]++] = kind == 1 ? id : sw->n_bases + id;
    hs_eta_started(&k->eta, kind == 1 ? id : sw->n_bases + id, hs_now());
    if (kind == 1) k->running_base[id] = 1;
    else k->running_point[id] = 1;
    if (kind == 1) k->worker_has[(size_t)w * sw->n_bases + id] = 1; /* it keeps what it trains */
    return HS_OK;
}

/* The test hook: point p fails without running, as a failing method would. */
static hs_status inject_failure(coord *k, long p)
{
    hs_point_row row = k->points[p];
    row.attempts++;
    row.status = HS_STATUS_FAILED;
    row.rank = 0;
    row.start_time = row.end_time = hs_now();
    char why[HS_ERROR_LEN];
    snprintf(why, sizeof why, "injected failure (test hook --fail-point %ld)", p);
    return record_point(k, p, &row, NULL, NULL, NULL, 0, why);
}

/* Runs one job on the coordinator itself (-np 1). Returns 1 if cancelled. */
static hs_status run_local(coord *k, int kind, long id, int *cancelled)
{
    ctx_common *c = k->c;
    *cancelled = 0;
    const long j = kind == 1 ? id : c->sw.n_bases + id;
    hs_eta_started(&k->eta, j, hs_now());
    if (kind == 1) {
        hs_base_row row = k->bases[id];
        row.rank = 0;
        hs_model *m = NULL;
        hs_status s = run_base(&c->tc, id, &row, &m, NULL);
        if (got_term || (s == HS_ERR_CANCELLED && got_usr1)) {
            hs_error_clear();
            hs_model_destroy(&m);
            *cancelled = 1;
            return HS_OK;
        }
        char err[HS_ERROR_LEN];
        snprintf(err, sizeof err, "%s", hs_error_message());
        hs_error_clear();
        return record_base(k, id, &row, s == HS_OK, err, m);
    }
    const size_t lh = (size_t)c->lmax * c->hmax;
    uint8_t *mask = NULL;
    float *imp = NULL;
    double *curve = NULL;
    HS_CHECK(hs_calloc((void **)&mask, lh, 1, "mask"));
    hs_status s = hs_calloc((void **)&imp, lh, sizeof(float), "importance");
    if (s == HS_OK) s = hs_calloc((void **)&curve, HS_CURVE_WIDTH, sizeof(double), "curve");
    if (s == HS_OK) {
        hs_point_row row = k->points[id];
        row.rank = 0;
        if (c->sw.point_timeout > 0) hs_set_deadline(hs_now() + c->sw.point_timeout);
        hs_status ps = run_point(&c->tc, id, k->models[row.base], c->lmax, c->hmax, &row, mask,
                                        imp, curve);
        hs_set_deadline(0);
        if (got_term || (ps == HS_ERR_CANCELLED && got_usr1)) {
            hs_error_clear();
            *cancelled = 1;
        } else {
            char err[HS_ERROR_LEN];
            snprintf(err, sizeof err, "%s", hs_error_message());
            hs_error_clear();
            s = record_point(k, id, &row, mask, imp, curve, ps == HS_OK, err);
        }
    }
    hs_free(mask);
    hs_free(imp);
    hs_free(curve);
    return s;
}

static hs_status handle_result(coord *k, const MPI_Status *st)
{
    ctx_common *c = k->c;
    char *msg;
    int n;
    HS_CHECK(recv_bytes(st, &msg, &n));
    const int w = st->MPI_SOURCE;
    hs_status s = HS_OK;
    if (st->MPI_TAG != TAG_READY && k->nq[w] > 0) {
        /* a result is for the oldest job of that worker: whatever it says, the
         * job is no longer running (a member's: the leader's result says) */
        const long j = k->queue[w][0];
        if (j < c->sw.n_bases) k->running_base[j] = 0;
        else if (j < c->sw.n_bases + c->sw.n_points) k->running_point[j - c->sw.n_bases] = 0;
        else if (st->MPI_TAG == TAG_RESULT_MEMBER) {
            result_header rh;
            memcpy(&rh, msg, sizeof rh);
            /* a member keeps the model only if training succeeded */
            k->worker_has[(size_t)w * c->sw.n_bases + (j - c->sw.n_bases - c->sw.n_points)] = rh.ok && !rh.cancelled;
        }
        k->queue[w][0] = k->queue[w][1];
        k->nq[w]--;
    }
    if (st->MPI_TAG == TAG_READY) {
        k->ready[w] = 1;
        k->n_ready++;
    } else if (st->MPI_TAG == TAG_RESULT_BASE) {
        result_header rh;
        hs_base_row row;
        memcpy(&rh, msg, sizeof rh);
        memcpy(&row, msg + sizeof rh, sizeof row);
        if (rh.cancelled) {
            k->worker_has[(size_t)w * c->sw.n_bases + rh.id] = 0;
            hs_eta_started(&k->eta, rh.id, 0); /* pending again */
        } else {
            hs_model *m = NULL;
            if (rh.ok) {
                const int64_t np = (int64_t)((size_t)n - sizeof rh - sizeof row) / (int64_t)sizeof(float);
                m = model_from_params(c, rh.id, msg + sizeof rh + sizeof row, np);
                if (!m) s = HS_ERR_INTERNAL;
            } else {
                k->worker_has[(size_t)w * c->sw.n_bases + rh.id] = 0;
            }
            if (s == HS_OK) s = record_base(k, rh.id, &row, rh.ok, rh.error, m);
        }
    } else if (st->MPI_TAG == TAG_RESULT_POINT) {
        result_header rh;
        hs_point_row row;
        memcpy(&rh, msg, sizeof rh);
        memcpy(&row, msg + sizeof rh, sizeof row);
        const size_t lh = (size_t)c->lmax * c->hmax;
        const uint8_t *mask = (const uint8_t *)(msg + sizeof rh + sizeof row);
        const float *imp = (const float *)(mask + lh);
        const double *curve = (const double *)(imp + lh);
        if (!rh.cancelled) s = record_point(k, rh.id, &row, mask, imp, curve, rh.ok, rh.error);
        else hs_eta_started(&k->eta, c->sw.n_bases + rh.id, 0); /* pending again */
    }
    hs_free(msg);
    return s;
}

static int any_busy(const coord *k)
{
    for (int w = 1; w < k->c->size; w++)
        if (k->nq[w] > 0) return 1;
    return 0;
}

/* How many workers base job b starts on (docs/design.md "Base jobs on
 * groups of ranks"), given `idle` idle workers (the one asking included):
 * never more than its micro-batches; 1 while points are runnable (a point
 * gets a worker sooner than a wider base job would give it back); else the
 * idle workers shared among the base jobs not started yet, which would
 * otherwise idle until some base model exists. HEADSWEEP_GROUP_SIZE forces
 * the size (tests); the job then waits until that many workers are idle. */
static int choose_group(coord *k, long b, int idle, int *wait)
{
    const hs_sweep *sw = &k->c->sw;
    const int M = sw->tasks[sw->bases[b].task].train.micro_batches;
    *wait = 0;
    if (M <= 1) return 1;
    if (k->force_group > 0) {
        int g = k->force_group < M ? k->force_group : M;
        if (g > k->c->size - 1) g = k->c->size - 1;
        if (idle < g) *wait = 1;
        return g;
    }
    long unstarted = 0;
    for (long j = k->next_base; j < sw->n_bases; j++) unstarted += !base_final(k, j) && !k->running_base[j];
    for (long p = k->next_point; p < sw->n_points; p++)
        if (!point_final(k, p) && !k->running_point[p] && k->bases[sw->points[p].base].status == HS_STATUS_DONE)
            return 1;
    if (unstarted < 1) unstarted = 1;
    int g = (int)((idle + unstarted - 1) / unstarted); /* the earlier base jobs (their points come first) get the rest */
    if (g < 1) g = 1;
    return g < M ? g : M;
}

/* Hands base job b to worker w and g − 1 more idle workers (rank order). */
static hs_status start_base(coord *k, int w, long b, int g)
{
    ctx_common *c = k->c;
    int *members;
    HS_CHECK(hs_calloc((void **)&members, (size_t)g, sizeof *members, "group"));
    int n = 0;
    members[n++] = w;
    for (int v = 1; v < c->size && n < g; v++)
        if (v != w && k->ready[v] && !k->stopped[v] && k->nq[v] == 0) members[n++] = v;
    hs_status s = send_base_group(k, members, n, b);
    hs_free(members);
    return s;
}

static int idle_workers(const coord *k)
{
    int n = 0;
    for (int w = 1; w < k->c->size; w++) n += k->ready[w] && !k->stopped[w] && k->nq[w] == 0;
    return n;
}

/* The MPI loop of rank 0 with workers. */
static hs_status coordinate(coord *k, int *incomplete)
{
    ctx_common *c = k->c;
    int live = c->size - 1; /* workers not yet sent STOP */

    double grace_end = 0;
    long idle = 0;
    hs_status s = HS_OK;
    while (live > 0 && s == HS_OK) {
        if (got_term) break; /* no time left: close the file now */
        if (got_usr1 && !k->stopping) {
            k->stopping = 1;
            grace_end = hs_now() + c->sw.grace;
            fprintf(stderr, "\n[headsweep] SIGUSR1: no new work; waiting up to %.0f s for the jobs in flight\n",
                    c->sw.grace);
        }
        if (k->stopping && (!any_busy(k) || hs_now() > grace_end)) break;
        MPI_Status st;
        int flag = 0;
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
        if (!flag) { /* poll briefly, yielding the core (replies take microseconds), then sleep up to 1 ms */
            if (++idle > 2000) {
                struct timespec ts = {0, idle > 4000 ? 1000000 : 50000};
                nanosleep(&ts, NULL);
            } else {
                sched_yield();
            }
            continue;
        }
        idle = 0;
        s = handle_result(k, &st);
        /* every worker's READY first, so that groups see them all */
        if (k->n_ready < c->size - 1) continue;
        /* top up every ready worker: a finished base job may unlock several */
        for (int w = 1; w < c->size && s == HS_OK && !k->stopping; w++) {
            while (k->ready[w] && !k->stopped[w] && k->nq[w] < QUEUE_DEPTH && s == HS_OK) {
                long id;
                const int kind = next_job(k, &id);
                int wait = 0, g = 1;
                if (kind == 1) g = choose_group(k, id, idle_workers(k), &wait);
                if (wait) break; /* a forced group size: not enough idle workers yet */
                if (kind == -2) s = HS_ERR_IO;
                else if (kind == 2 && id == k->fail_point) s = inject_failure(k, id);
                else if (kind == 1) s = start_base(k, w, id, g);
                else if (kind > 0) s = send_job(k, w, kind, id);
                else {
                    if (kind == -1 && k->nq[w] == 0) { /* everything is final: this worker can go */
                        MPI_Send(NULL, 0, MPI_BYTE, w, TAG_STOP, MPI_COMM_WORLD);
                        k->stopped[w] = 1;
                        live--;
                    }
                    break;
                }
            }
        }
    }
    *incomplete = got_term || k->stopping;
    return s;
}

static hs_status run_serial(coord *k, int *incomplete)
{
    hs_status s = HS_OK;
    int armed = 0;
    for (;;) {
        if (got_term) break;
        if (got_usr1 && !armed) { /* finish the point in hand within the grace, then stop */
            armed = 1;
            k->stopping = 1;
        }
        if (k->stopping) break;
        long id;
        int kind = next_job(k, &id);
        if (kind == -2) return HS_ERR_IO;
        if (kind <= 0) break;
        int cancelled = 0;
        if (kind == 2 && id == k->fail_point) {
            s = inject_failure(k, id);
            if (s != HS_OK) break;
            continue;
        }
        s = run_local(k, kind, id, &cancelled);
        if (s != HS_OK || cancelled) break;
    }
    *incomplete = got_term || got_usr1;
    return s;
}

/* mkdir -p of the folder holding path (the sweep's `output` may name a new one). */
static hs_status make_parents(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) return HS_OK;
    *slash = 0;
    if (hs_mkdir_p(dir) != 0)
        return hs_error_set(HS_ERR_IO, "cannot create folder %s for the results: %s", dir, strerror(errno));
    return HS_OK;
}

/* The /tasks/<name> attributes of one task (strings point into the task
 * cache, which lives as long as the run). One per task: a fixed table indexed
 * by task % 64 gave a sweep of more than 64 tasks the wrong attributes. */
typedef struct {
    hs_attr a[16];
    hs_sweep_pretrained_prov prov; /* model.pretrained: where the checkpoint came from */
    int verified;                  /* prov holds a full load of the folder with a fresh head */
} task_attrs;

/* The /tasks/<name> attributes of a task on a pretrained model (its
 * provenance, docs/results-format.md), after a's first n; returns the count. */
static int prov_attrs(hs_attr *a, int n, const char *dir, const hs_sweep_pretrained_prov *p)
{
    a[n++] = (hs_attr){"pretrained", HS_ATTR_STR, 0, 0, dir};
    a[n++] = (hs_attr){"pretrained_abspath", HS_ATTR_STR, 0, 0, p->abspath};
    a[n++] = (hs_attr){"pretrained_model_type", HS_ATTR_STR, 0, 0, p->model_type};
    a[n++] = (hs_attr){"pretrained_architectures", HS_ATTR_STR, 0, 0, p->architectures};
    a[n++] = (hs_attr){"pretrained_transformers_version", HS_ATTR_STR, 0, 0, p->transformers_version};
    a[n++] = (hs_attr){"pretrained_torch_dtype", HS_ATTR_STR, 0, 0, p->torch_dtype};
    a[n++] = (hs_attr){"pretrained_vocab_size", HS_ATTR_LONG, p->vocab_size, 0, NULL};
    a[n++] = (hs_attr){"pretrained_weights_file", HS_ATTR_STR, 0, 0, p->weights_file};
    a[n++] = (hs_attr){"pretrained_weights_bytes", HS_ATTR_LONG, (long)p->weights_bytes, 0, NULL};
    a[n++] = (hs_attr){"pretrained_weights_header_sha256", HS_ATTR_STR, 0, 0, p->weights_header_sha256};
    a[n++] = (hs_attr){"pretrained_weights_sample_sha256", HS_ATTR_STR, 0, 0, p->weights_sample_sha256};
    return n;
}

/* The versions of the libraries this binary runs with (root attributes). */
typedef struct {
    char hdf5[32], openblas[256], mpi[256], libconfig[32], utf8proc[32], zlib[32];
    hs_attr a[6];
} lib_versions;

static void library_versions(lib_versions *v)
{
    unsigned maj = 0, min = 0, rel = 0;
    H5get_libversion(&maj, &min, &rel);
    snprintf(v->hdf5, sizeof v->hdf5, "%u.%u.%u", maj, min, rel);
    snprintf(v->openblas, sizeof v->openblas, "%s", openblas_get_config());
    char mpi[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    mpi[0] = 0;
    MPI_Get_library_version(mpi, &len);
    mpi[strcspn(mpi, "\n")] = 0; /* Open MPI: one line, then build details */
    snprintf(v->mpi, sizeof v->mpi, "%s", mpi);
    snprintf(v->libconfig, sizeof v->libconfig, "%d.%d.%d", LIBCONFIG_VER_MAJOR, LIBCONFIG_VER_MINOR,
             LIBCONFIG_VER_REVISION);
    snprintf(v->utf8proc, sizeof v->utf8proc, "%s", utf8proc_version());
    snprintf(v->zlib, sizeof v->zlib, "%s", zlibVersion());
    const struct { const char *n, *s; } t[6] = {{"hdf5_version", v->hdf5},         {"openblas_version", v->openblas},
                                                {"mpi_version", v->mpi},           {"libconfig_version", v->libconfig},
                                                {"utf8proc_version", v->utf8proc}, {"zlib_version", v->zlib}};
    for (int i = 0; i < 6; i++) v->a[i] = (hs_attr){t[i].n, HS_ATTR_STR, 0, 0, t[i].s};
}

/* A resume of a sweep on pretrained models: each folder must still hold the
 * checkpoint the file's /tasks/<name> records (pending base jobs would
 * fine-tune another model, and points tokenize with its vocabulary). Loads
 * each folder once, as at the start. Attributes an older file lacks are
 * not compared. */
static hs_status same_pretrained(ctx_common *c, hs_results *res)
{
    hs_sweep *sw = &c->sw;
    /* tasks on one folder (GLUE studies) load it once, as creating the file does */
    hs_sweep_pretrained_prov *seen = NULL;
    int *seen_len = NULL;
    hs_status s = hs_calloc((void **)&seen, (size_t)sw->n_tasks, sizeof *seen, "provenance");
    if (s == HS_OK) s = hs_calloc((void **)&seen_len, (size_t)sw->n_tasks, sizeof *seen_len, "provenance");
    for (long b = 0; s == HS_OK && b < sw->n_bases; b++) {
        const hs_sweep_base *bj = &sw->bases[b];
        const hs_sweep_task *st = &sw->tasks[bj->task];
        if (bj->seed != 0 || !st->pretrained) continue;
        hs_task *t;
        s = hs_task_cache_get(&c->tc, bj->task, bj->seed, &t);
        if (s != HS_OK) break;
        hs_config shape = hs_sweep_model_config(sw, bj->task, t);
        int kk = -1; /* seen_len 0: not verified (a checkpoint used as it is keeps its own head) */
        for (int j = 0; j < bj->task && kk < 0 && st->train.steps > 0; j++)
            if (seen_len[j] == shape.seq_len && !strcmp(sw->tasks[j].pretrained, st->pretrained)) kk = j;
        if (kk >= 0) seen[bj->task] = seen[kk];
        else s = hs_sweep_pretrained_verify(st->pretrained, &shape, t, st->train.steps, &seen[bj->task]);
        if (s != HS_OK) break;
        if (st->train.steps > 0) seen_len[bj->task] = shape.seq_len;
        const hs_sweep_pretrained_prov now = seen[bj->task];
        char vocab[32];
        snprintf(vocab, sizeof vocab, "%ld", now.vocab_size);
        char bytes[32];
        snprintf(bytes, sizeof bytes, "%lld", now.weights_bytes);
        const struct { const char *attr, *now; } cmp[] = {
            {"pretrained_model_type", now.model_type},
            {"pretrained_vocab_size", vocab},
            {"pretrained_weights_file", now.weights_file},
            {"pretrained_weights_bytes", bytes},
            {"pretrained_weights_header_sha256", now.weights_header_sha256},
            {"pretrained_weights_sample_sha256", now.weights_sample_sha256}};
        for (size_t k = 0; s == HS_OK && k < sizeof cmp / sizeof cmp[0]; k++) {
            char stored[4200];
            int found = 0;
            s = hs_results_task_attr(res, st->name, cmp[k].attr, stored, sizeof stored, &found);
            if (s == HS_OK && found && strcmp(stored, cmp[k].now))
                s = hs_error_set(HS_ERR_INPUT,
                                    "%s: model.pretrained folder %s of task %s changed since %s was written (%s: "
                                    "stored %s, now %s): expected the same checkpoint to resume; put it back, or "
                                    "run with --restart to start over into a new file",
                                    sw->file, st->pretrained, st->name, sw->output, cmp[k].attr, stored, cmp[k].now);
        }
    }
    hs_free(seen);
    hs_free(seen_len);
    return s;
}

/* Opens or creates the results file for sw. */
static hs_status open_results(ctx_common *c, const hs_run_opts *o, hs_results **res)
{
    hs_sweep *sw = &c->sw;
    if (access(sw->output, F_OK) == 0 && o->restart) {
        char moved[4300];
        char stamp[32];
        time_t now = time(NULL);
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime(&now));
        snprintf(moved, sizeof moved, "%s.old-%s", sw->output, stamp);
        if (rename(sw->output, moved) != 0)
            return hs_error_set(HS_ERR_IO, "--restart: cannot move %s aside: %s", sw->output, strerror(errno));
        fprintf(stderr, "[headsweep] --restart: moved the old results to %s\n", moved);
    }
    if (access(sw->output, F_OK) == 0) {
        HS_CHECK(hs_results_open(res, sw->output, 1));
        if (hs_results_fingerprint(*res) != sw->fingerprint) {
            hs_sweep old = {0};
            char diff[1024] = "the stored sweep text could not be parsed";
            if (hs_sweep_load_text(hs_results_sweep_text(*res), sw->output, &old) == HS_OK)
                hs_sweep_diff(&old, sw, diff, sizeof diff);
            hs_error_clear();
            hs_sweep_free(&old);
            hs_results_close(res);
            return hs_error_set(HS_ERR_INPUT,
                                "%s was written by a different version of %s (%s); "
                                "run with --restart to start over into a new file",
                                sw->output, sw->file, diff);
        }
        if (hs_results_n_points(*res) != sw->n_points || hs_results_n_base(*res) != sw->n_bases) {
            hs_results_close(res);
            return hs_error_set(HS_ERR_INPUT, "%s does not match the grid of %s", sw->output, sw->file);
        }
        hs_status ps = same_pretrained(c, *res);
        if (ps != HS_OK) {
            hs_results_close(res);
            return ps;
        }
        fprintf(stderr, "[headsweep] resuming %s\n", sw->output);
        return HS_OK;
    }
    /* a new file: open every (task, seed) once for the shapes */
    hs_results_layout lay;
    memset(&lay, 0, sizeof lay);
    hs_point_row *pr = NULL;
    hs_base_row *br = NULL;
    hs_config *tshape = NULL, *bshape = NULL;
    const char **tnames = NULL;
    hs_attr **tattrs = NULL;
    int *ntattrs = NULL;
    task_attrs *tstore = NULL; /* per task: the attributes tattrs points into */
    hs_status s = hs_calloc((void **)&pr, (size_t)sw->n_points + 1, sizeof *pr, "rows");
    if (s == HS_OK) s = hs_calloc((void **)&br, (size_t)sw->n_bases + 1, sizeof *br, "rows");
    if (s == HS_OK) s = hs_calloc((void **)&tshape, (size_t)sw->n_tasks, sizeof *tshape, "shapes");
    if (s == HS_OK) s = hs_calloc((void **)&bshape, (size_t)sw->n_bases + 1, sizeof *bshape, "shapes");
    if (s == HS_OK) s = hs_calloc((void **)&tnames, (size_t)sw->n_tasks, sizeof *tnames, "names");
    if (s == HS_OK) s = hs_calloc((void **)&tattrs, (size_t)sw->n_tasks, sizeof *tattrs, "attrs");
    if (s == HS_OK) s = hs_calloc((void **)&ntattrs, (size_t)sw->n_tasks, sizeof *ntattrs, "attrs");
    if (s == HS_OK) s = hs_calloc((void **)&tstore, (size_t)sw->n_tasks, sizeof *tstore, "attrs");
    for (long b = 0; b < sw->n_bases && s == HS_OK; b++) {
        hs_task *t;
        const hs_sweep_base *bj = &sw->bases[b];
        s = hs_task_cache_get(&c->tc, bj->task, bj->seed, &t);
        if (s != HS_OK) break;
        bshape[b] = hs_sweep_model_config(sw, bj->task, t);
        if (bj->seed == 0) {
            tshape[bj->task] = bshape[b];
            tnames[bj->task] = sw->tasks[bj->task].name;
            task_attrs *ta = &tstore[bj->task];
            hs_attr *a = ta->a;
            a[0] = (hs_attr){"kind", HS_ATTR_STR, 0, 0, t->spec.kind};
            a[1] = (hs_attr){"metric", HS_ATTR_STR, 0, 0, hs_metric_name(t->metric)};
            a[2] = (hs_attr){"higher_is_better", HS_ATTR_LONG, t->higher_is_better, 0, NULL};
            a[3] = (hs_attr){"description", HS_ATTR_STR, 0, 0, t->description};
            tattrs[bj->task] = a;
            ntattrs[bj->task] = 4;
            const char *pre = sw->tasks[bj->task].pretrained;
            if (pre) {
                /* a broken folder is refused here, before the file exists,
                 * rather than failing every base job */
                const long steps = sw->tasks[bj->task].train.steps;
                /* a fresh head does not depend on the task: tasks on one folder
                 * (GLUE studies) load it once (BERT-base: seconds each) */
                int k = -1;
                for (int j = 0; j < bj->task && k < 0 && steps > 0; j++)
                    if (tstore[j].verified && !strcmp(sw->tasks[j].pretrained, pre) &&
                        tshape[j].seq_len == bshape[b].seq_len)
                        k = j;
                if (k >= 0) ta->prov = tstore[k].prov;
                else s = hs_sweep_pretrained_verify(pre, &bshape[b], t, steps, &ta->prov);
                ta->verified = s == HS_OK && steps > 0;
                if (s == HS_OK) ntattrs[bj->task] = prov_attrs(a, 4, pre, &ta->prov);
            }
        }
    }
    if (s == HS_OK) {
        for (long p = 0; p < sw->n_points; p++) hs_job_init_point_row(sw, p, &pr[p]);
        for (long b = 0; b < sw->n_bases; b++) hs_job_init_base_row(sw, b, &br[b]);
        lay.sweep_path = sw->file;
        lay.sweep_text = sw->text;
        lay.tool_version = o->tool_version;
        lay.fingerprint = sw->fingerprint;
        lay.n_points = sw->n_points;
        lay.n_base = sw->n_bases;
        lay.points = pr;
        lay.bases = br;
        lay.n_tasks = sw->n_tasks;
        lay.task_names = tnames;
        lay.task_shapes = tshape;
        lay.task_attrs = (const hs_attr *const *)tattrs;
        lay.n_task_attrs = ntattrs;
        lay.base_shapes = bshape;
        lib_versions lv;
        library_versions(&lv);
        lay.root_attrs = lv.a;
        lay.n_root_attrs = 6;
        s = make_parents(sw->output); /* after the checks: a refused sweep creates no folder */
        if (s == HS_OK) s = hs_results_create(res, sw->output, &lay);
    }
    hs_free(pr);
    hs_free(br);
    hs_free(tshape);
    hs_free(bshape);
    hs_free(tnames);
    hs_free(tattrs);
    hs_free(ntattrs);
    hs_free(tstore);
    return s;
}

static int exit_for(hs_status s)
{
    fprintf(stderr, "headsweep: error: %s\n", hs_error_message());
    hs_error_clear();
    return hs_status_exit_code(s);
}

void hs_run_early_signals(void)
{
    /* before MPI_Init: a USR1 that arrives while MPI starts only sets the
     * flag (the default action would kill the rank and lose the requeue) */
    install(SIGUSR1, on_usr1);
    install(SIGUSR2, on_usr1);
}

int hs_run(const hs_run_opts *o)
{
    ctx_common c;
    memset(&c, 0, sizeof c);
    MPI_Comm_rank(MPI_COMM_WORLD, &c.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &c.size);
    /* workers ignore USR1/USR2 (mpirun forwards them to every rank): the
     * coordinator decides what stops */
    install(SIGUSR1, c.rank == 0 ? on_usr1 : SIG_IGN);
    install(SIGUSR2, c.rank == 0 ? on_usr1 : SIG_IGN);
    install(SIGALRM, on_alarm);
    if (c.rank == 0) install(SIGTERM, on_term);
    serial_mode = c.size == 1;
    trivial = o->bench_trivial;

    /* rank 0 reads the file; everyone parses the same text */
    hs_status s = HS_OK;
    long len = 0;
    char *text = NULL;
    hs_runlock lock = {-1, ""};
    if (c.rank == 0) {
        s = hs_sweep_load(o->sweep_path, &c.sw);
        /* one writer per results file (issue 13): before anything is created,
         * moved aside, opened or repaired, and before any work is handed out;
         * a refusal stops every rank below, as a bad sweep file does */
        if (s == HS_OK) {
            s = make_parents(c.sw.output);
            if (s == HS_OK) s = hs_runlock_take(&lock, c.sw.output, hs_runlock_wait_seconds());
            if (s != HS_OK) hs_sweep_free(&c.sw);
        }
        if (s == HS_OK) {
            text = c.sw.text;
            len = (long)strlen(text) + 1;
        }
    }
    MPI_Bcast(&len, 1, MPI_LONG, 0, MPI_COMM_WORLD);
    if (len == 0) { /* rank 0 failed to load: everyone stops */
        if (c.rank == 0) return exit_for(s);
        return 2;
    }
    if (c.rank != 0) {
        if (hs_calloc((void **)&text, (size_t)len, 1, "sweep text") != HS_OK) MPI_Abort(MPI_COMM_WORLD, 1);
    }
    MPI_Bcast(text, (int)len, MPI_CHAR, 0, MPI_COMM_WORLD);
    if (c.rank != 0) {
        s = hs_sweep_load_text(text, o->sweep_path, &c.sw);
        hs_free(text);
        if (s != HS_OK) MPI_Abort(MPI_COMM_WORLD, 2); /* same text: cannot differ from rank 0 */
    }
    c.lmax = c.hmax = 1;
    for (int t = 0; t < c.sw.n_tasks; t++) {
        if (c.sw.tasks[t].model.layers > c.lmax) c.lmax = c.sw.tasks[t].model.layers;
        if (c.sw.tasks[t].model.heads > c.hmax) c.hmax = c.sw.tasks[t].model.heads;
    }
    s = hs_task_cache_init(&c.tc, &c.sw);
    if (s != HS_OK) MPI_Abort(MPI_COMM_WORLD, 1);
    grace_seconds = (unsigned)ceil(c.sw.grace);
    /* run.threads: OpenBLAS threads per rank (main.c set 1 unless OPENBLAS_NUM_THREADS is set) */
    if (c.sw.threads > 1) openblas_set_num_threads(c.sw.threads);

    if (c.rank != 0) {
        int rc = run_worker(&c);
        hs_task_cache_free(&c.tc);
        hs_sweep_free(&c.sw);
        return rc;
    }

    coord k;
    memset(&k, 0, sizeof k);
    k.c = &c;
    k.fail_point = o->fail_point;
    k.progress_every = o->progress_every > 0 ? o->progress_every : 10;
    k.tty = isatty(2);
    const char *fg = getenv("HEADSWEEP_GROUP_SIZE");
    k.force_group = fg && *fg ? atoi(fg) : 0;
    int rc = 0, incomplete = 0;
    s = open_results(&c, o, &k.res);
    if (s == HS_OK) s = hs_calloc((void **)&k.points, (size_t)c.sw.n_points + 1, sizeof *k.points, "rows");
    if (s == HS_OK) s = hs_calloc((void **)&k.bases, (size_t)c.sw.n_bases + 1, sizeof *k.bases, "rows");
    if (s == HS_OK) s = hs_calloc((void **)&k.models, (size_t)c.sw.n_bases + 1, sizeof *k.models, "models");
    if (s == HS_OK) s = hs_calloc((void **)&k.worker_has, (size_t)c.size * (c.sw.n_bases + 1), 1, "caches");
    if (s == HS_OK) s = hs_calloc((void **)&k.queue, (size_t)c.size, sizeof *k.queue, "workers");
    if (s == HS_OK) s = hs_calloc((void **)&k.nq, (size_t)c.size, sizeof *k.nq, "workers");
    if (s == HS_OK) s = hs_calloc((void **)&k.ready, (size_t)c.size, 1, "workers");
    if (s == HS_OK) s = hs_calloc((void **)&k.stopped, (size_t)c.size, 1, "workers");
    if (s == HS_OK) s = hs_calloc((void **)&k.running_base, (size_t)c.sw.n_bases + 1, 1, "flags");
    if (s == HS_OK) s = hs_calloc((void **)&k.running_point, (size_t)c.sw.n_points + 1, 1, "flags");
    if (s == HS_OK) s = hs_results_read_points(k.res, k.points);
    if (s == HS_OK) s = hs_results_read_bases(k.res, k.bases);
    /* done base models of an earlier run come back from the file */
    for (long b = 0; b < c.sw.n_bases && s == HS_OK; b++)
        if (k.bases[b].status == HS_STATUS_DONE) s = hs_results_read_base_model(k.res, b, &k.models[b]);
    if (s == HS_OK) {
        for (long p = 0; p < c.sw.n_points; p++) {
            if (k.points[p].status == HS_STATUS_DONE) k.done_points++;
            else if (point_final(&k, p)) k.failed_points++;
            else k.todo_points++;
        }
        eta_build(&k);
        k.started = k.last_progress = k.last_sync = hs_now();
        char etab[32] = "?";
        if (k.eta.flops) format_eta(etab, sizeof etab, hs_eta_remaining(&k.eta, k.started));
        fprintf(stderr, "[headsweep] %s: %ld base jobs, %ld points (%ld to do) on %d rank%s, ETA %s (cost model)\n",
                c.sw.name, c.sw.n_bases, c.sw.n_points, k.todo_points, c.size, c.size > 1 ? "s" : "", etab);
        s = c.size == 1 ? run_serial(&k, &incomplete) : coordinate(&k, &incomplete);
        progress(&k, 1);
        if (k.tty) fputc('\n', stderr);
    }
    hs_status cs = hs_results_close(&k.res);
    if (s == HS_OK) s = cs;
    hs_runlock_release(&lock);
    if (s != HS_OK) {
        rc = exit_for(s);
        if (c.size > 1) MPI_Abort(MPI_COMM_WORLD, rc);
    } else if (incomplete) {
        fprintf(stderr, "[headsweep] stopped early: %s is consistent; run the same command again to resume "
                        "(exit status %d)\n", c.sw.output, HS_EXIT_INCOMPLETE);
        rc = HS_EXIT_INCOMPLETE;
        /* workers may still be computing: they cannot be reached politely */
        if (c.size > 1) MPI_Abort(MPI_COMM_WORLD, HS_EXIT_INCOMPLETE);
    } else {
        fprintf(stderr, "[headsweep] finished: %ld done, %ld failed; results in %s\n", k.done_points,
                k.failed_points, c.sw.output);
    }
    for (long b = 0; b < c.sw.n_bases && k.models; b++) hs_model_destroy(&k.models[b]);
    hs_eta_free(&k.eta);
    hs_free(k.points);
    hs_free(k.bases);
    hs_free(k.models);
    hs_free(k.worker_has);
    hs_free(k.queue);
    hs_free(k.nq);
    hs_free(k.ready);
    hs_free(k.stopped);
    hs_free(k.running_base);
    hs_free(k.running_point);
    hs_task_cache_free(&c.tc);
    hs_sweep_free(&c.sw);
    return rc;
}
