/* papa.c — `papa` (Hassid et al., Findings EMNLP 2022; docs/methods.md "papa"): the
 * selected heads keep Wv and Wo but their attention becomes a constant,
 * input-independent matrix. Nothing is removed: the mask stays all ones (the
 * constant heads still contribute); the method sets model->is_static and
 * model->static_att, which the masked and the physically shrunk forward
 * both use (the attention core restricts a constant row to the visible keys
 * and renormalises it; see attention.h).
 *
 * Constant matrix, from the model being pruned (gates 1, every head dynamic):
 *   C_{l,j}[p][q] = Σ_x A_{l,j}(x)[p][q]·m_x[p]·m_x[q] / Σ_x m_x[p]·m_x[q]
 * (0 where the denominator is 0), m_x the 0/1 validity mask of example x
 * (positions < length), over the first min(max_examples, n) examples of
 * `split`: train = the first training batches (the epoch-0 shuffle, so
 * distinct examples), prune = the prune split in order. Causal tasks count
 * only q ≤ p (the lower triangle; the attention is 0 above it anyway). Our
 * tasks put CLS/BOS at 0 and right-pad, so positions are aligned without
 * PAPA's two-segment preprocessing, which is not done.
 *
 * n = round(ratio · N) heads become constant, in ascending order of
 * `order` (ties: lowest flat index first):
 *   importance   Michel gate-gradient importance E_x |∂L_x/∂g| on the prune
 *                split (per-example |.|, per-layer ℓ2 normalised with
 *                `normalize`), computed on the base model — the "selection
 *                order by importance" of "Pruning methods I";
 *   static_loss  [recon] prune-split loss with that head alone made constant
 *                minus the base loss (N evaluations): a direct measure of how
 *                willing a head is to be constant.
 * The paper's own order (per-head mixing logits λ trained with the
 * model frozen) is not implemented: it needs ∂L/∂λ through a mixed
 * σ(λ)·A + (1 − σ(λ))·C attention, which the shared core does not expose.
 * importance = the ordering scores (higher = kept dynamic longer).
 * Ratio 0 does nothing (the unpruned model, bit-exact). */
#include <math.h>
#include <string.h>

#include "../core/alloc.h"
#include "method.h"

enum { O_IMPORTANCE, O_STATIC_LOSS };
static const char *const orders[] = {"importance", "static_loss", NULL};
enum { SP_TRAIN, SP_PRUNE };
static const char *const splits[] = {"train", "prune", NULL};

static const hs_setting_def settings[] = {
    {"order", HS_SET_CHOICE, O_IMPORTANCE, 0, 1, orders,
     "which heads become constant first: lowest gate-gradient importance, or lowest loss increase alone"},
    {"split", HS_SET_CHOICE, SP_TRAIN, 0, 1, splits, "split the constant matrices are averaged over"},
    {"max_examples", HS_SET_INT, 2000, 1, 1e9, NULL, "examples averaged for the constant matrices"},
    {"normalize", HS_SET_BOOL, 1, 0, 1, NULL, "order = importance: per-layer l2 normalisation of the scores"},
};

/* Fills m->static_att with the averaged attention of every head. */
static hs_status constant_matrices(hs_prune_ctx *c, hs_split split, long max_examples)
{
    hs_model *m = c->model;
    const hs_task *t = c->task;
    const int L = m->cfg.layers, H = m->cfg.heads, Tc = m->cfg.seq_len, causal = m->cfg.causal;
    const size_t TT = (size_t)Tc * Tc;
    long want = t->split[split].n;
    if (want > max_examples) want = max_examples;
    double *num = NULL, *cnt = NULL;
    HS_CHECK(hs_model_alloc_static(m));
    HS_CHECK(hs_calloc((void **)&cnt, TT, sizeof(double), "constant attention counts"));
    hs_status s = hs_calloc((void **)&num, (size_t)L * H * TT, sizeof(double), "constant attention sums");
    long used = 0;
    for (long i = 0; s == HS_OK && used < want; i++) {
        const int n = hs_task_batch(t, split, i, c->bb);
        if (n == 0) break;
        const hs_batch *b = &c->bb->batch;
        const int T = b->T;
        s = hs_model_forward(m, b);
        for (int e = 0; s == HS_OK && e < n && used < want; e++, used++) {
            const int len = b->lengths ? b->lengths[e] : T;
            for (int p = 0; p < len; p++)
                for (int q = 0; q < (causal && p + 1 < len ? p + 1 : len); q++) cnt[(size_t)p * Tc + q] += 1;
            for (int l = 0; l < L; l++) {
                /* layer slice att + l·max_B·H·max_T², then [b][j][i][t] with the batch's T */
                const hs_real *A = m->a.att + (size_t)l * m->max_B * H * m->max_T * m->max_T;
                for (int j = 0; j < H; j++) {
                    const hs_real *P = A + ((size_t)e * H + j) * T * T;
                    double *acc = num + ((size_t)l * H + j) * TT;
                    for (int p = 0; p < len; p++)
                        for (int q = 0; q < (causal && p + 1 < len ? p + 1 : len); q++)
                            acc[(size_t)p * Tc + q] += P[(size_t)p * T + q];
                }
            }
        }
    }
    if (s == HS_OK)
        for (size_t h = 0; h < (size_t)L * H; h++)
            for (size_t i = 0; i < TT; i++)
                m->static_att[h * TT + i] = (hs_real)(cnt[i] > 0 ? num[h * TT + i] / cnt[i] : 0);
    hs_free(num);
    hs_free(cnt);
    return s;
}

/* score[h] = prune-split loss with head h alone constant − base loss. */
static hs_status static_loss(hs_prune_ctx *c, float *score)
{
    hs_model *m = c->model;
    const int N = m->cfg.layers * m->cfg.heads;
    hs_eval_result base, ev;
    c->evals++;
    HS_CHECK(hs_eval_split(m, c->task, HS_SPLIT_PRUNE, c->bb, &base));
    for (int h = 0; h < N; h++) {
        m->is_static[h] = 1;
        c->evals++;
        hs_status s = hs_eval_split(m, c->task, HS_SPLIT_PRUNE, c->bb, &ev);
        m->is_static[h] = 0;
        HS_CHECK(s);
        score[h] = (float)(ev.loss - base.loss);
    }
    return HS_OK;
}

static hs_status run(hs_prune_ctx *c)
{
    hs_model *m = c->model;
    const int N = m->cfg.layers * m->cfg.heads;
    memset(c->mask, 1, (size_t)N); /* constant heads are not removed */
    if (c->k == 0) return HS_OK;
    const int order = (int)hs_setting(c, "order");
    const hs_split split = hs_setting(c, "split") == SP_TRAIN ? HS_SPLIT_TRAIN : HS_SPLIT_PRUNE;
    memset(m->is_static, 0, (size_t)N);
    for (int i = 0; i < N; i++) m->p.gates[i] = 1;
    /* importance first: it needs the model with every head dynamic */
    if (order == O_IMPORTANCE) HS_CHECK(hs_gate_importance(c, 1, hs_setting(c, "normalize") != 0, c->importance));
    HS_CHECK(constant_matrices(c, split, (long)hs_setting(c, "max_examples")));
    if (order == O_STATIC_LOSS) HS_CHECK(static_loss(c, c->importance));
    unsigned char *dyn = NULL;
    HS_CHECK(hs_calloc((void **)&dyn, (size_t)N, 1, "dynamic heads"));
    const hs_status s = hs_mask_from_scores(dyn, c->importance, N, c->k); /* 0 = the k lowest: made constant */
    for (int i = 0; i < N; i++) m->is_static[i] = !dyn[i];
    hs_free(dyn);
    return s;
}

/* Cost: the constant matrices are a forward pass over max_examples of the
 * chosen split; the order is importance (3 passes) or N evaluations. */
static double passes(const hs_cost_ctx *c)
{
    const double avg_n = fmin(hs_cost_setting(c, "max_examples"),
                              (double)(hs_cost_choice_is(c, "split", "prune") ? c->n_prune : c->n_train));
    const double order = hs_cost_choice_is(c, "order", "static_loss") ? c->N : 3;
    return order + (c->n_prune > 0 ? avg_n / (double)c->n_prune : 1);
}

const hs_method hs_method_papa = {
    .name = "papa",
    .summary = "replace the attention of round(ratio*N) heads by constant averaged matrices; "
               "no head removed (Hassid et al. 2022)",
    .settings = settings,
    .n_settings = (int)(sizeof settings / sizeof settings[0]),
    .run = run,
    .passes = passes,
    .curve_label = NULL,
};
