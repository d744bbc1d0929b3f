/* test_microbatch.c — micro-batches summed along the fixed tree
 * (src/core/microbatch.h): M micro-batches on 1 rank and on groups of 2 and
 * 3 ranks (forked processes joined by socket pairs, blocking like MPI's
 * rendezvous sends) end with bit-identical parameters; their gradient equals
 * the unbatched one up to summation order; M = 1 is hs_train_step. Two task
 * kinds: a classification (majority) and a causal LM (copy, targets at
 * every position). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../src/core/alloc.h"
#include "../src/core/model_util.h"
#include "small_models.h"

#define MAXR 4

/* ---- a group of forked ranks ------------------------------------------------ */

typedef struct {
    int rank, size;
    int fd[MAXR][MAXR]; /* fd[me][peer]: my end of the pair with peer */
} sim;

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t k = write(fd, c, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

static int read_all(int fd, void *p, size_t n)
{
    char *c = p;
    while (n > 0) {
        ssize_t k = read(fd, c, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

static int sim_send(void *ctx, int to, const hs_real *buf, size_t n)
{
    sim *s = ctx;
    return write_all(s->fd[s->rank][to], buf, n * sizeof *buf);
}

static int sim_recv(void *ctx, int from, hs_real *buf, size_t n)
{
    sim *s = ctx;
    return read_all(s->fd[s->rank][from], buf, n * sizeof *buf);
}

static int sim_bcast(void *ctx, hs_real *buf, size_t n)
{
    sim *s = ctx;
    if (s->rank == 0) {
        for (int r = 1; r < s->size; r++)
            if (sim_send(ctx, r, buf, n)) return -1;
        return 0;
    }
    return sim_recv(ctx, 0, buf, n);
}

/* ---- fixtures ----------------------------------------------------------------- */

#define B 12
#define STEPS 6

typedef struct {
    hs_task *t;
    hs_model *init;
} fixture;

static void train_mb(hs_model *m, const hs_task *t, int M, const hs_mb_group *g, double lr)
{
    hs_adamw_config oc = hs_adamw_defaults(STEPS);
    oc.lr = lr;
    oc.warmup = 2;
    hs_adamw *o;
    hs_batch_buf bb;
    hs_mb mb;
    HS_ASSERT(hs_adamw_create(&o, m, &oc) == HS_OK && hs_batch_buf_create(&bb, t, B) == HS_OK);
    HS_ASSERT(hs_mb_create(&mb, m, M, g) == HS_OK);
    HS_ASSERT(hs_train_task_mb(m, o, t, &bb, STEPS, 0, &mb) == HS_OK);
    hs_mb_free(&mb);
    hs_batch_buf_free(&bb);
    hs_adamw_destroy(&o);
}

/* Trains a copy of f->init with M micro-batches on R forked ranks; *out
 * (n_params floats per rank, rank order) gets every rank's parameters.
 * Returns 0 if every rank finished. */
static int run_group(const fixture *f, int M, int R, hs_real *out)
{
    sim s = {.size = R};
    for (int i = 0; i < R; i++)
        for (int j = i + 1; j < R; j++) {
            int sv[2];
            HS_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
            s.fd[i][j] = sv[0];
            s.fd[j][i] = sv[1];
        }
    const size_t n = f->init->num_params;
    int back[MAXR][2];
    pid_t pid[MAXR];
    for (int r = 0; r < R; r++) {
        HS_ASSERT(pipe(back[r]) == 0);
        pid[r] = fork();
        HS_ASSERT(pid[r] >= 0);
        if (pid[r] == 0) {
            s.rank = r;
            hs_model *m;
            HS_ASSERT(hs_model_clone(&m, f->init) == HS_OK);
            HS_ASSERT(hs_model_setup_batch(m, B, m->cfg.seq_len) == HS_OK);
            hs_mb_group g = {.rank = r, .size = R, .ctx = &s, .send = sim_send, .recv = sim_recv, .bcast = sim_bcast};
            train_mb(m, f->t, M, &g, 3e-3);
            _exit(write_all(back[r][1], m->params, n * sizeof(hs_real)) ? 1 : 0);
        }
        close(back[r][1]);
    }
    int ok = 1;
    for (int r = 0; r < R; r++) {
        if (read_all(back[r][0], out + (size_t)r * n, n * sizeof(hs_real))) ok = 0;
        close(back[r][0]);
    }
    for (int r = 0; r < R; r++) {
        int st;
        waitpid(pid[r], &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st)) ok = 0;
    }
    for (int i = 0; i < R; i++)
        for (int j = 0; j < R; j++)
            if (i != j) close(s.fd[i][j]);
    return ok ? 0 : -1;
}

static void check_kind(const char *gen, int seq_len)
{
    fixture f;
    f.t = fx_task(gen, 7, seq_len, 4, 600, 32, 32);
    f.init = fx_model(f.t, 32, 4, 2, 64, B, 99);
    const size_t n = f.init->num_params, bytes = n * sizeof(hs_real);
    const hs_mb_group one = {.rank = 0, .size = 1};

    /* M = 1 is hs_train_step */
    hs_model *a, *c;
    HS_ASSERT(hs_model_clone(&a, f.init) == HS_OK && hs_model_clone(&c, f.init) == HS_OK);
    HS_ASSERT(hs_model_setup_batch(a, B, a->cfg.seq_len) == HS_OK && hs_model_setup_batch(c, B, c->cfg.seq_len) == HS_OK);
    {
        hs_adamw_config oc = hs_adamw_defaults(STEPS);
        oc.lr = 3e-3;
        oc.warmup = 2;
        hs_adamw *o;
        hs_batch_buf bb;
        HS_ASSERT(hs_adamw_create(&o, a, &oc) == HS_OK && hs_batch_buf_create(&bb, f.t, B) == HS_OK);
        HS_ASSERT(hs_train_task(a, o, f.t, &bb, STEPS, 0, 0, NULL, NULL) == HS_OK);
        hs_batch_buf_free(&bb);
        hs_adamw_destroy(&o);
    }
    train_mb(c, f.t, 1, &one, 3e-3);
    tap_ok(!memcmp(a->params, c->params, bytes), "%s: micro_batches = 1 is hs_train_step, bit for bit", gen);

    /* gradient of M micro-batches vs the unbatched one (lr 0: parameters stay) */
    {
        hs_batch_buf bb;
        HS_ASSERT(hs_batch_buf_create(&bb, f.t, B) == HS_OK);
        hs_task_batch(f.t, HS_SPLIT_TRAIN, 3, &bb);
        hs_model *u;
        HS_ASSERT(hs_model_clone(&u, f.init) == HS_OK && hs_model_setup_batch(u, B, u->cfg.seq_len) == HS_OK);
        hs_model_zero_grad(u);
        HS_ASSERT(hs_model_forward(u, &bb.batch) == HS_OK);
        const double full_loss = u->loss;
        hs_model_backward(u, &bb.batch);
        const int Ms[] = {2, 3, 4, 12};
        for (size_t q = 0; q < sizeof Ms / sizeof Ms[0]; q++) {
            hs_model *v;
            HS_ASSERT(hs_model_clone(&v, f.init) == HS_OK && hs_model_setup_batch(v, B, v->cfg.seq_len) == HS_OK);
            hs_adamw_config oc = hs_adamw_defaults(1);
            oc.lr = 0;
            hs_adamw *o;
            hs_mb mb;
            double loss = 0;
            HS_ASSERT(hs_adamw_create(&o, v, &oc) == HS_OK && hs_mb_create(&mb, v, Ms[q], &one) == HS_OK);
            HS_ASSERT(hs_mb_train_step(&mb, v, o, &bb.batch, &loss) == HS_OK);
            double worst = 0, gmax = 0;
            for (size_t i = 0; i < n; i++) {
                worst = fmax(worst, fabs((double)v->grads[i] - u->grads[i]));
                gmax = fmax(gmax, fabs((double)u->grads[i]));
            }
            tap_ok(gmax > 0 && worst <= 1e-5 * gmax, "%s: M = %d: gradient = unbatched within 1e-5 relative (max diff %.3g of %.3g)",
                   gen, Ms[q], worst, gmax);
            tap_ok(fabs(loss - full_loss) <= 1e-5 * fabs(full_loss), "%s: M = %d: loss %.9g = unbatched %.9g", gen,
                   Ms[q], loss, full_loss);
            tap_ok(!memcmp(v->params, f.init->params, bytes), "%s: M = %d with lr 0 leaves the parameters", gen, Ms[q]);
            hs_mb_free(&mb);
            hs_adamw_destroy(&o);
            hs_model_destroy(&v);
        }
        hs_model_destroy(&u);
        hs_batch_buf_free(&bb);
    }

    /* M micro-batches on 1, 2, 3 ranks: the same bits on every rank */
    hs_real *got;
    HS_ASSERT(hs_calloc((void **)&got, n * MAXR, sizeof(hs_real), "test") == HS_OK);
    const int Ms[] = {4, 6};
    for (size_t q = 0; q < 2; q++) {
        hs_model *ref;
        HS_ASSERT(hs_model_clone(&ref, f.init) == HS_OK && hs_model_setup_batch(ref, B, ref->cfg.seq_len) == HS_OK);
        train_mb(ref, f.t, Ms[q], &one, 3e-3);
        tap_ok(memcmp(ref->params, f.init->params, bytes) != 0, "%s: M = %d: training moved the parameters", gen, Ms[q]);
        tap_ok(memcmp(ref->params, a->params, bytes) != 0 || Ms[q] == 1,
               "%s: M = %d differs from M = 1 (summation order; a test that could not tell them apart would not check the tree)",
               gen, Ms[q]);
        for (int R = 1; R <= 3; R++) {
            const int rc = run_group(&f, Ms[q], R, got);
            int same = rc == 0;
            for (int r = 0; r < R && same; r++) same = !memcmp(got + (size_t)r * n, ref->params, bytes);
            tap_ok(same, "%s: M = %d on %d rank%s: every rank's parameters = 1 rank's, bit for bit", gen, Ms[q], R,
                   R > 1 ? "s" : "");
        }
        hs_model_destroy(&ref);
    }
    hs_free(got);

    /* bad sizes */
    hs_mb mb;
    const hs_mb_group four = {.rank = 0, .size = 4};
    tap_ok(hs_mb_create(&mb, f.init, 0, &one) == HS_ERR_INPUT, "%s: 0 micro-batches is refused: %s", gen, hs_error_message());
    hs_error_clear();
    tap_ok(hs_mb_create(&mb, f.init, 3, &four) == HS_ERR_INPUT, "%s: 4 ranks for 3 micro-batches is refused: %s", gen,
           hs_error_message());
    hs_error_clear();
    {
        HS_ASSERT(hs_mb_create(&mb, c, B + 1, &one) == HS_OK);
        hs_adamw *o;
        hs_adamw_config oc = hs_adamw_defaults(1);
        hs_batch_buf bb;
        double loss;
        HS_ASSERT(hs_adamw_create(&o, c, &oc) == HS_OK && hs_batch_buf_create(&bb, f.t, B) == HS_OK);
        hs_task_batch(f.t, HS_SPLIT_TRAIN, 0, &bb);
        tap_ok(hs_mb_train_step(&mb, c, o, &bb.batch, &loss) == HS_ERR_INPUT, "%s: more micro-batches than rows: %s", gen,
               hs_error_message());
        hs_error_clear();
        hs_batch_buf_free(&bb);
        hs_adamw_destroy(&o);
        hs_mb_free(&mb);
    }
    hs_model_destroy(&a);
    hs_model_destroy(&c);
    hs_model_destroy(&f.init);
    hs_task_destroy(&f.t);
}

int main(void)
{
    check_kind("majority", 10);
    check_kind("copy", 12);
    return tap_done();
}
