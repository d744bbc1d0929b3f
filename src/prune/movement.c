/* movement.c — `movement`: movement pruning (Sanh, Wolf, Rush 2020;
 * docs/methods.md "movement") at the granularity of whole heads or of square blocks of the
 * attention matrices, with a straight-through top-k mask and the cubic
 * sparsity schedule.
 *
 * Scores start at 0 and accumulate the movement −W·∂L/∂W of every step (the
 * SGD-with-rate-1 form of the paper: S(T) = −Σ_t W(t) ⊙ ∂L/∂W'(t); top-k is
 * invariant to the scale, so no score learning rate is needed — the reference
 * code trains the scores with AdamW at 1e-2 instead, which reweights steps).
 * Step `st` (batch 2^32 + st of the training split, run.batch examples) uses
 * the mask of the current scores that removes hs_cubic_removed(st, steps, t_i,
 * t_f, units, final) units — none up to t_i = floor(warmup_fraction·steps),
 * all of them after steps − t_f (t_f = floor(cooldown_fraction·steps)),
 * cubic in between; both fractions are at most 0.45, so steps > t_i + t_f
 * always holds (the reference code does not check it). Ties go by the lowest flat index.
 * With train_model the weights take an AdamW step every step (peak model_lr,
 * warm-up steps/10 then linear decay) on the gradient of the masked model.
 *
 * granularity = head: one score per head; the mask is written as the gates.
 *   head_score = gate (default): the straight-through estimator on the gate,
 *     S_h −= ∂L/∂g_h — equal to −Σ Wo⊙∂L/∂Wo over the head's rows
 *     while it is kept (the gate-gradient identity), and still defined while it is masked (its
 *     context is computed), so a masked head can come back;
 *   head_score = weights: S_h −= Σ W⊙∂L/∂W over the head's columns of Wq, Wk,
 *     Wv and rows of Wo (biases not scored); frozen while the head is masked.
 *   Units = the N heads; the final mask removes exactly k.
 * granularity = block: square blocks of side b = min(block, d) (ragged at the
 *   edges when b does not divide d) tile Wq, Wk, Wv and Wo of every layer, NB
 *   blocks in all, each with its own score and one global top-k over all of
 *   them; the schedule ends at kb = round(k·NB/N) blocks removed (the same
 *   fraction as the heads). Before each forward the model holds W⊙M (the dense
 *   W kept aside); a block's score takes −Σ W⊙∂L/∂(W⊙M) over the block, so
 *   masked blocks keep moving (straight-through), and the dense W is updated
 *   with ∂L/∂(W⊙M)⊙M. A head counts as removed when all of its blocks (those
 *   meeting its Wq/Wk/Wv columns and Wo rows) are. The exact-k head mask
 *   removes such dead heads of the final block mask first, then the heads
 *   with the lowest summed movement — the same −W⊙∂L/∂(W⊙M) summed over the
 *   head's own columns and rows, i.e. the sum of its blocks' scores when
 *   blocks align with heads (b ≤ dh dividing dh) — up to k (several dead heads
 *   beyond k: the lowest summed movement among them). fill = false
 *   (default): the final block mask (kb blocks) stays on the weights, so kept
 *   heads may be block-sparse (the framework's FLOP and parameter counts see
 *   heads only); fill = true (nn_pruning's "filled" variant): the kept heads
 *   get their dense weights back — weights the model has not used since
 *   their blocks were masked, which costs accuracy unless fine-tuned after.
 *
 * Outputs: importance = the final head scores (granularity head) or summed
 * head movement (block); curve = the fraction of units (heads or blocks) kept
 * by the mask each step used, every ceil(steps/127)-th step, then that of the
 * final mask (≤ 128 points) — the schedule as executed. k = 0 trains nothing
 * (ratio 0 is the unpruned model). Cost: `steps` forward + backward passes of
 * one batch, O(NB log NB) for the top-k and O(L·d²) for the block scores. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/alloc.h"
#include "learned.h"
#include "method.h"

/* --- schedule and top-k (learned.h) ---------------------------------------- */

static double progress(long step, long total, long t_i, long t_f)
{
    if (step <= t_i) return 0;
    if (step > total - t_f) return 1;
    return (double)(step - t_i) / (double)(total - t_i - t_f);
}

double hs_cubic_keep(long step, long total, long t_i, long t_f, double keep_f)
{
    const double q = 1 - progress(step, total, t_i, t_f);
    return keep_f + (1 - keep_f) * q * q * q;
}

long hs_cubic_removed(long step, long total, long t_i, long t_f, long n, long removed_f)
{
    const double q = 1 - progress(step, total, t_i, t_f);
    long r = lround((double)removed_f * (1 - q * q * q));
    return r < 0 ? 0 : r > n ? n : r;
}

/* --- the method ------------------------------------------------------------- */

static const char *const granularities[] = {"head", "block", NULL};
static const char *const head_scores[] = {"gate", "weights", NULL};

static const hs_setting_def settings[] = {
    {"granularity", HS_SET_CHOICE, 0, 0, 1, granularities, "unit of the scores and the top-k: whole heads or square blocks"},
    {"head_score", HS_SET_CHOICE, 0, 0, 1, head_scores,
     "head granularity: straight-through on the gate (-dL/dg) or -sum W*dL/dW over the head's weights"},
    {"block", HS_SET_INT, 32, 1, 65536, NULL, "block granularity: side of the square blocks (clipped to d_model)"},
    {"steps", HS_SET_INT, 500, 10, 1e7, NULL, "fine-pruning steps (one batch of run.batch each)"},
    {"train_model", HS_SET_BOOL, 1, 0, 1, NULL, "fine-tune the weights while pruning (false: scores only)"},
    {"model_lr", HS_SET_REAL, 5e-4, 0, 10, NULL, "AdamW peak rate of the weights (train_model)"},
    {"warmup_fraction", HS_SET_REAL, 0.1, 0, 0.45, NULL, "steps before pruning starts, as a fraction (t_i)"},
    {"cooldown_fraction", HS_SET_REAL, 0.2, 0, 0.45, NULL, "final steps at the target sparsity, as a fraction (t_f)"},
    {"fill", HS_SET_BOOL, 0, 0, 1, NULL, "block granularity: kept heads get their dense weights back at the end"},
};

static const int mats[4] = {HS_P_WQ, HS_P_WK, HS_P_WV, HS_P_WO};

typedef struct {
    int L, H, d, dh, b, nb; /* nb blocks per side of a d×d matrix */
} geometry;

/* Flat block of element (i, o) of matrix `mat` (0..3) in layer l. */
static inline long block_of(const geometry *g, int l, int mat, int i, int o)
{
    return (((long)l * 4 + mat) * g->nb + i / g->b) * g->nb + o / g->b;
}

/* Head (flat l·H + j) owning element (i, o): columns of Wq/Wk/Wv, rows of Wo. */
static inline int head_of(const geometry *g, int l, int mat, int i, int o)
{
    return l * g->H + (mat < 3 ? o : i) / g->dh;
}

/* p[W] ← p[W]·M (zeroes the masked blocks of the four matrices). */
static void apply_blocks(const geometry *g, const unsigned char *bm, hs_real *const *views)
{
    const int d = g->d;
    for (int l = 0; l < g->L; l++)
        for (int k = 0; k < 4; k++) {
            hs_real *w = views[mats[k]] + (size_t)l * d * d;
            for (int i = 0; i < d; i++)
                for (int o = 0; o < d; o++)
                    if (!bm[block_of(g, l, k, i, o)]) w[(size_t)i * d + o] = 0;
        }
}

/* Exactly k heads removed at block granularity: heads whose blocks are all
 * masked in bm first, then by the lowest summed movement hsc (ties: index). */
static hs_status head_mask_from_blocks(const geometry *g, const unsigned char *bm, const double *hsc, int k,
                                       unsigned char *mask)
{
    const int N = g->L * g->H;
    double lo = INFINITY, hi = -INFINITY;
    for (int h = 0; h < N; h++) {
        lo = fmin(lo, hsc[h]);
        hi = fmax(hi, hsc[h]);
    }
    double *rank = NULL;
    HS_CHECK(hs_calloc((void **)&rank, (size_t)N, sizeof *rank, "head ranking"));
    for (int h = 0; h < N; h++) {
        const int l = h / g->H, j = h % g->H;
        int alive = 0;
        for (int k4 = 0; k4 < 4 && !alive; k4++)
            for (int x = j * g->dh; x < (j + 1) * g->dh && !alive; x++)
                for (int y = 0; y < g->d && !alive; y++)
                    alive = k4 < 3 ? bm[block_of(g, l, k4, y, x)] : bm[block_of(g, l, k4, x, y)];
        /* dead heads below every live one, their own order kept */
        rank[h] = alive ? hsc[h] : hsc[h] - (hi - lo) - 1;
    }
    hs_status s = hs_topk_mask(mask, rank, N, k);
    hs_free(rank);
    return s;
}

static hs_status run(hs_prune_ctx *c)
{
    hs_model *m = c->model;
    geometry g = {m->cfg.layers, m->cfg.heads, m->cfg.d_model, m->cfg.d_model / m->cfg.heads, 0, 0};
    const int N = g.L * g.H;
    const int blocks = hs_setting(c, "granularity") == 1, by_weights = hs_setting(c, "head_score") == 1;
    const long steps = (long)hs_setting(c, "steps");
    const int train = hs_setting(c, "train_model") != 0, fill = hs_setting(c, "fill") != 0;
    const long t_i = (long)(hs_setting(c, "warmup_fraction") * (double)steps);
    const long t_f = (long)(hs_setting(c, "cooldown_fraction") * (double)steps);
    memset(c->mask, 1, (size_t)N);
    memset(c->importance, 0, sizeof(float) * (size_t)N);
    if (c->k <= 0) return HS_OK;

    g.b = (int)hs_setting(c, "block");
    if (g.b > g.d) g.b = g.d;
    g.nb = (g.d + g.b - 1) / g.b;
    const int NB = g.L * 4 * g.nb * g.nb;
    const int units = blocks ? NB : N;
    const int final_removed = blocks ? (int)lround((double)c->k * NB / N) : c->k;
    const size_t dd = (size_t)g.d * g.d, wsize = (size_t)g.L * dd;

    double *score = NULL, *hscore = NULL;
    unsigned char *umask = NULL;
    hs_real *dense = NULL; /* [4][L][d][d] the dense Wq, Wk, Wv, Wo (block granularity) */
    hs_adamw *opt = NULL, *scratch = NULL;
    hs_status s = hs_calloc((void **)&score, (size_t)units, sizeof *score, "movement scores");
    if (s == HS_OK) s = hs_calloc((void **)&hscore, (size_t)N, sizeof *hscore, "movement head scores");
    if (s == HS_OK) s = hs_calloc((void **)&umask, (size_t)units, 1, "movement mask");
    if (s == HS_OK && blocks) s = hs_calloc((void **)&dense, 4 * wsize, sizeof *dense, "dense attention weights");
    hs_adamw_config oc = hs_adamw_defaults(steps);
    oc.lr = hs_setting(c, "model_lr");
    oc.warmup = steps / 10;
    if (s == HS_OK) s = hs_adamw_create(&scratch, m, &oc);
    if (s == HS_OK && train) s = hs_adamw_create(&opt, m, &oc);
    if (s != HS_OK) goto done;

    const long stride = (steps + HS_LEARNED_CURVE - 2) / (HS_LEARNED_CURVE - 1);
    for (long st = 0; st < steps && s == HS_OK; st++) {
        const long removed = hs_cubic_removed(st, steps, t_i, t_f, units, final_removed);
        s = hs_topk_mask(umask, score, units, (int)removed);
        if (s != HS_OK) break;
        if (st % stride == 0) {
            long kept = 0;
            for (int u = 0; u < units; u++) kept += umask[u];
            hs_curve_push(c, (double)kept / units);
        }
        if (blocks) {
            for (int k = 0; k < 4; k++) memcpy(dense + k * wsize, m->p.at[mats[k]], wsize * sizeof *dense);
            apply_blocks(&g, umask, m->p.at);
        } else {
            for (int i = 0; i < N; i++) m->p.gates[i] = umask[i];
        }
        s = hs_learned_fwd_bwd(m, scratch, c->task, c->bb, (1L << 32) + st);
        if (s != HS_OK) break;
        if (!blocks && !by_weights) {
            for (int i = 0; i < N; i++) score[i] -= (double)m->g.gates[i];
        } else {
            /* −W⊙∂L/∂W' per element (W dense: the model's own weights at head
             * granularity, the kept-aside copy at block granularity) */
            for (int k = 0; k < 4; k++)
                for (int l = 0; l < g.L; l++) {
                    const hs_real *w = (blocks ? dense + k * wsize : m->p.at[mats[k]]) + l * dd;
                    const hs_real *gw = m->g.at[mats[k]] + l * dd;
                    for (int i = 0; i < g.d; i++)
                        for (int o = 0; o < g.d; o++) {
                            const double mv = -(double)w[(size_t)i * g.d + o] * gw[(size_t)i * g.d + o];
                            if (blocks) score[block_of(&g, l, k, i, o)] += mv;
                            (blocks ? hscore : score)[head_of(&g, l, k, i, o)] += mv;
                        }
                }
        }
        for (int u = 0; u < units; u++)
            if (!isfinite(score[u])) {
                s = hs_error_set(HS_ERR_NUMERIC, "movement score is %g at step %ld (diverged)", score[u], st);
                break;
            }
        if (blocks) { /* dense weights back; their gradient is ∂L/∂W' ⊙ M */
            for (int k = 0; k < 4; k++) memcpy(m->p.at[mats[k]], dense + k * wsize, wsize * sizeof *dense);
            apply_blocks(&g, umask, m->g.at);
        }
        if (s == HS_OK && train) s = hs_learned_model_step(m, opt);
    }
    if (s != HS_OK) goto done;

    /* final masks: exactly k heads (and final_removed blocks) */
    s = hs_topk_mask(umask, score, units, final_removed);
    if (s == HS_OK && blocks) s = head_mask_from_blocks(&g, umask, hscore, c->k, c->mask);
    else if (s == HS_OK) s = hs_topk_mask(c->mask, score, N, c->k);
    if (s != HS_OK) goto done;
    long kept = 0;
    for (int u = 0; u < units; u++) kept += umask[u];
    hs_curve_push(c, (double)kept / units);
    if (blocks && !fill) apply_blocks(&g, umask, m->p.at);
    for (int i = 0; i < N; i++) {
        c->importance[i] = (float)(blocks ? hscore : score)[i];
        m->p.gates[i] = c->mask[i] ? 1 : 0;
    }
done:
    hs_adamw_destroy(&opt);
    hs_adamw_destroy(&scratch);
    hs_free(score);
    hs_free(hscore);
    hs_free(umask);
    hs_free(dense);
    return s;
}

/* Cost: `steps` forward + backward passes of one run.batch of training
 * examples (nothing at k = 0), in prune-split passes. */
static double passes(const hs_cost_ctx *c)
{
    if (c->k == 0 || c->n_prune <= 0) return 0;
    return 3.0 * hs_cost_setting(c, "steps") * c->batch / (double)c->n_prune;
}

const hs_method hs_method_movement = {
    .name = "movement",
    .summary = "movement pruning of heads or square blocks, cubic schedule (Sanh et al. 2020)",
    .settings = settings,
    .n_settings = (int)(sizeof settings / sizeof settings[0]),
    .run = run,
    .passes = passes,
    .curve_label = "fraction of heads or blocks kept along the schedule",
};
