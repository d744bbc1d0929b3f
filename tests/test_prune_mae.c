/* test_prune_mae.c — `mae` (docs/methods.md "mae"), in double precision (this binary
 * compiles the core, tasks and pruning stack with -DHS_REAL_DOUBLE):
 *  - the expert sets: sizes, every expert keeps H − k heads, every head kept
 *    equally often (full C(H,k) sets and the rotating blocks);
 *  - a one-hot gate equals the model with that expert's heads masked and
 *    the others scaled by H/(H − k) (a different expert per layer);
 *  - a uniform gate (uniform mode, and a learned gate with equal logits)
 *    equals the plain model, for full and rotating expert sets;
 *  - finite differences on every gate parameter and on the embeddings (the
 *    path through the gates' input), for a classifier and a causal LM;
 *  - the causal-LM gate span stops at the first scored position;
 *  - BCD: G steps leave the model bit-identical, F steps move it;
 *  - a whole point: all heads kept, masked == shrunk, the metric is the
 *    mixture's, determinism, and k ≥ H refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/model.h"
#include "../src/core/rng.h"
#include "../src/prune/mae.h"
#include "../src/prune/point.h"
#include "small_models.h"
#include "tap.h"

static hs_task *open_task(const char *gen, int T) { return fx_task(gen, 3, T, 0, 400, 40, 60); }

static hs_model *make_model(const hs_task *t, int d, int H, int L, int B, uint64_t key)
{
    hs_model *m = fx_model(t, d, H, L, 2 * d, B, key);
    /* larger weights than the init, so heads differ visibly */
    hs_rng r;
    hs_rng_seed(&r, key + 1);
    for (size_t i = 0; i < m->num_params; i++)
        if (m->params + i < m->p.gates || m->params + i >= m->p.gates + m->info[HS_P_GATES].count)
            m->params[i] += 0.2 * hs_rng_normal(&r);
    return m;
}

static double max_diff(const double *a, const double *b, size_t n)
{
    double e = 0;
    for (size_t i = 0; i < n; i++) e = fmax(e, fabs(a[i] - b[i]));
    return e;
}

static void test_experts(void)
{
    struct { int H, k, max, E; } cs[] = {{8, 1, 128, 8}, {8, 2, 128, 28}, {8, 3, 128, 56},
                                          {8, 4, 64, 8},  {6, 2, 10, 6},   {5, 0, 128, 1}};
    for (size_t c = 0; c < sizeof cs / sizeof cs[0]; c++) {
        hs_config cfg = {.vocab = 8, .seq_len = 4, .d_model = 2 * cs[c].H, .heads = cs[c].H, .layers = 1,
                         .d_ff = 4, .n_out = 2};
        hs_mae *g;
        HS_ASSERT(hs_mae_create(&g, &cfg, cs[c].k, 0, cs[c].max, HS_MAE_LEARNED, 1) == HS_OK);
        int sizes_ok = 1, distinct = 1, balanced = 1;
        for (int e = 0; e < g->E; e++) {
            int kept = 0;
            for (int j = 0; j < g->H; j++) kept += g->keep[e * g->H + j];
            sizes_ok &= kept == g->H - g->k;
            for (int f = 0; f < e; f++) distinct &= memcmp(g->keep + e * g->H, g->keep + f * g->H, g->H) != 0;
        }
        for (int j = 0; j < g->H; j++) {
            int n = 0;
            for (int e = 0; e < g->E; e++) n += g->keep[e * g->H + j];
            balanced &= n * g->H == g->E * (g->H - g->k);
        }
        tap_ok(g->E == cs[c].E && sizes_ok && distinct && balanced,
               "experts H %d k %d (max %d): %d distinct experts of %d heads, each head kept by %d/%d of them",
               cs[c].H, cs[c].k, cs[c].max, g->E, g->H - g->k, g->H - g->k, g->H);
        hs_mae_free(&g);
    }
    hs_config cfg = {.vocab = 8, .seq_len = 4, .d_model = 8, .heads = 4, .layers = 1, .d_ff = 4, .n_out = 2};
    hs_mae *g = NULL;
    tap_ok(hs_mae_create(&g, &cfg, 4, 0, 128, HS_MAE_LEARNED, 1) == HS_ERR_INPUT && !g,
           "k = H (an expert with no head) is refused");
}

/* Logits of the model on the batch, with the mixture g attached (or not). */
static void logits(hs_model *m, hs_mae *g, const hs_batch *b, double *out)
{
    hs_mae_attach(g, m);
    HS_ASSERT(hs_model_forward(m, b) == HS_OK);
    memcpy(out, m->a.logits, sizeof(double) * (size_t)m->R * m->cfg.n_out);
    hs_mae_attach(NULL, m);
}

/* φ such that layer l's softmax is exactly one-hot at expert e (exp(−1e4) = 0). */
static void one_hot(hs_mae *g, int l, int e)
{
    hs_mae_layer v = hs_mae_layer_view(g, g->phi, l);
    memset(v.w2, 0, sizeof(double) * g->hidden * g->E);
    for (int x = 0; x < g->E; x++) v.b2[x] = x == e ? 0 : -1e4;
}

static void test_identities(const char *gen, int T, int d, int H, int L)
{
    hs_task *t = open_task(gen, T);
    const int B = 12;
    hs_model *m = make_model(t, d, H, L, B, 9);
    hs_batch_buf bb;
    HS_ASSERT(hs_batch_buf_create(&bb, t, B) == HS_OK);
    hs_task_batch(t, HS_SPLIT_TEST, 0, &bb);
    const size_t n = (size_t)(m->cfg.lm ? B * T : B) * m->cfg.n_out;
    double *plain = malloc(n * sizeof(double)), *mix = malloc(n * sizeof(double));
    logits(m, NULL, &bb.batch, plain);

    for (int k = 1; k <= 2; k++) {
        for (int max = 128; max >= 4; max -= 124) { /* full set, then rotating blocks */
            hs_mae *g;
            HS_ASSERT(hs_mae_create(&g, &m->cfg, k, 5, max, HS_MAE_LEARNED, 4) == HS_OK);
            /* one-hot: layer l uses expert (3l + 1) mod E */
            double worst = 0;
            for (int rep = 0; rep < 2; rep++) {
                for (int l = 0; l < L; l++) {
                    const int e = (3 * l + 1 + rep) % g->E;
                    one_hot(g, l, e);
                    for (int j = 0; j < H; j++) m->p.gates[l * H + j] = g->keep[e * H + j] ? (double)H / (H - k) : 0;
                }
                logits(m, g, &bb.batch, mix);
                double *ref = malloc(n * sizeof(double));
                logits(m, NULL, &bb.batch, ref);
                worst = fmax(worst, max_diff(mix, ref, n));
                free(ref);
            }
            for (int i = 0; i < L * H; i++) m->p.gates[i] = 1;
            tap_ok(worst <= 1e-12, "%s, k %d, %d experts: a one-hot gate equals that expert's heads kept x H/(H-k), the rest masked (max diff %.1e)",
                   gen, k, g->E, worst);
            /* equal logits: softmax uniform */
            for (int l = 0; l < L; l++) {
                hs_mae_layer v = hs_mae_layer_view(g, g->phi, l);
                memset(v.w2, 0, sizeof(double) * g->hidden * g->E);
                for (int x = 0; x < g->E; x++) v.b2[x] = 0.7;
            }
            logits(m, g, &bb.batch, mix);
            const double e1 = max_diff(mix, plain, n);
            g->gate = HS_MAE_UNIFORM;
            logits(m, g, &bb.batch, mix);
            const double e2 = max_diff(mix, plain, n);
            tap_ok(e1 <= 1e-12 && e2 == 0,
                   "%s, k %d, %d experts: a uniform gate equals the plain model (learned with equal logits %.1e, uniform mode exactly: %.1e)",
                   gen, k, g->E, e1, e2);
            /* the uniform gate's training draws: one expert per example (a one-hot mask) */
            g->training = g->sample = 1;
            hs_mae_attach(g, m);
            HS_ASSERT(hs_model_forward(m, &bb.batch) == HS_OK);
            hs_mae_attach(NULL, m);
            int draws_ok = 1;
            for (int i = 0; i < L * B; i++) {
                const double *G = m->a.ex_gates + (size_t)(i / B) * m->max_B * H + (size_t)(i % B) * H;
                int kept = 0;
                for (int j = 0; j < H; j++) {
                    draws_ok &= G[j] == 0 || G[j] == (double)H / (H - k);
                    kept += G[j] != 0;
                }
                draws_ok &= kept == H - k;
            }
            tap_ok(draws_ok, "%s, k %d: the uniform gate's training draw keeps one expert's heads per example", gen, k);
            hs_mae_free(&g);
        }
    }
    free(plain);
    free(mix);
    hs_batch_buf_free(&bb);
    hs_model_destroy(&m);
    hs_task_destroy(&t);
}

/* Finite differences on every φ entry and on the embeddings (whose gradient
 * includes the path through the gates' input). */
static void test_gradients(const char *gen, int T)
{
    hs_task *t = open_task(gen, T);
    const int B = 5, H = 4, L = 2, k = 1;
    hs_model *m = make_model(t, 8, H, L, B, 21);
    hs_batch_buf bb;
    HS_ASSERT(hs_batch_buf_create(&bb, t, B) == HS_OK);
    hs_task_batch(t, HS_SPLIT_TEST, 1, &bb);
    hs_mae *g;
    HS_ASSERT(hs_mae_create(&g, &m->cfg, k, 5, 128, HS_MAE_LEARNED, 8) == HS_OK);
    hs_rng r;
    hs_rng_seed(&r, 77);
    for (size_t i = 0; i < g->n_phi; i++) g->phi[i] += 0.5 * hs_rng_normal(&r); /* a far from uniform gate */
    hs_mae_attach(g, m);
    hs_model_zero_grad(m);
    memset(g->dphi, 0, sizeof(double) * g->n_phi);
    HS_ASSERT(hs_model_forward(m, &bb.batch) == HS_OK);
    hs_model_backward(m, &bb.batch);
    const double eps = 1e-5;
    double worst = 0, maxg = 0;
    size_t at = 0;
    for (size_t i = 0; i < g->n_phi; i++) {
        const double keep = g->phi[i];
        g->phi[i] = keep + eps;
        HS_ASSERT(hs_model_forward(m, &bb.batch) == HS_OK);
        const double lp = m->loss;
        g->phi[i] = keep - eps;
        HS_ASSERT(hs_model_forward(m, &bb.batch) == HS_OK);
        const double lm = m->loss;
        g->phi[i] = keep;
        const double fd = (lp - lm) / (2 * eps), e = fabs(fd - g->dphi[i]) / fmax(1, fabs(g->dphi[i]));
        if (e > worst) worst = e, at = i;
        maxg = fmax(maxg, fabs(g->dphi[i]));
    }
    tap_ok(worst <= 1e-7 && maxg > 1e-4, "%s: gate parameters' gradients match finite differences (%zu, max err %.1e at %zu, max |g| %.2g)",
           gen, g->n_phi, worst, at, maxg);
    const hs_param_id ids[] = {HS_P_TOK_EMB, HS_P_POS_EMB, HS_P_WV};
    for (int q = 0; q < 3; q++) {
        const hs_tensor_info *ti = &m->info[ids[q]];
        double w2 = 0;
        for (size_t i = 0; i < ti->count; i++) {
            double *p = m->p.at[ids[q]] + i, keep = *p;
            *p = keep + eps;
            HS_ASSERT(hs_model_forward(m, &bb.batch) == HS_OK);
            const double lp = m->loss;
            *p = keep - eps;
            HS_ASSERT(hs_model_forward(m, &bb.batch) == HS_OK);
            const double lm = m->loss;
            *p = keep;
            const double an = m->g.at[ids[q]][i];
            w2 = fmax(w2, fabs((lp - lm) / (2 * eps) - an) / fmax(1, fabs(an)));
        }
        tap_ok(w2 <= 1e-7, "%s: d loss/d %s with the mixture (through the gates' input too) matches finite differences (%.1e)",
               gen, ti->name, w2);
    }
    hs_mae_attach(NULL, m);
    hs_mae_free(&g);
    hs_batch_buf_free(&bb);
    hs_model_destroy(&m);
    hs_task_destroy(&t);
}

static void test_span(void)
{
    hs_task *t = open_task("copy", 10);
    hs_model *m = make_model(t, 8, 2, 1, 4, 3);
    hs_batch_buf bb;
    HS_ASSERT(hs_batch_buf_create(&bb, t, 4) == HS_OK);
    hs_task_batch(t, HS_SPLIT_TEST, 0, &bb);
    hs_mae *g;
    HS_ASSERT(hs_mae_create(&g, &m->cfg, 1, 0, 128, HS_MAE_LEARNED, 1) == HS_OK);
    /* copy at T 10: BOS x1..x4 SEP x1..x4; the first scored position is SEP (5) */
    int ok = 1;
    for (int e = 0; e < 4; e++) ok &= hs_mae_span(g, &bb.batch, e) == 6;
    hs_batch nt = bb.batch;
    nt.targets = NULL;
    ok &= hs_mae_span(g, &nt, 0) == (nt.lengths ? nt.lengths[0] : nt.T);
    tap_ok(ok, "causal LM: the gate averages the positions up to the first scored one (no later input reaches a scored output)");
    hs_mae_free(&g);
    hs_batch_buf_free(&bb);
    hs_model_destroy(&m);
    hs_task_destroy(&t);
}

static hs_status run_point(const hs_model *m, const hs_task *t, double ratio, const char *const *names,
                           const double *vals, int nset, hs_point_result *r, unsigned char *mask, float *imp)
{
    const hs_method *meth = hs_method_find("mae");
    HS_ASSERT(meth);
    hs_settings set;
    hs_settings_defaults(meth, &set);
    for (int i = 0; i < nset; i++) {
        const int at = hs_setting_index(meth, names[i]);
        HS_ASSERT(at >= 0);
        set.v[at] = vals[i];
    }
    memset(r, 0, sizeof *r);
    r->mask = mask;
    r->importance = imp;
    const hs_point_opts o = {.finetune_steps = 0, .finetune_lr = 1e-3, .batch = 20, .latency_repeats = 1};
    return hs_point_run(m, t, meth, &set, ratio, 99, &o, r);
}

static void test_bcd_and_point(void)
{
    hs_task *t = open_task("dyck", 10);
    const int H = 4, L = 2, N = L * H;
    hs_model *base = make_model(t, 8, H, L, 20, 5);
    fx_train(base, t, 300, 3e-3, 0, 20); /* a briefly trained base, so that heads matter */
    const hs_method *meth = hs_method_find("mae");
    tap_ok(meth != NULL, "mae is registered");

    /* run() directly: only G steps (steps = g_len) leave θ bit-identical */
    hs_model *m;
    HS_ASSERT(hs_model_clone(&m, base) == HS_OK && hs_model_setup_batch(m, 20, t->shape.seq_len) == HS_OK);
    hs_batch_buf bb;
    HS_ASSERT(hs_batch_buf_create(&bb, t, 20) == HS_OK);
    hs_settings set;
    hs_settings_defaults(meth, &set);
    set.v[hs_setting_index(meth, "steps")] = 6;
    set.v[hs_setting_index(meth, "g_len")] = 6;
    unsigned char mask[8];
    float imp[8];
    hs_prune_ctx c = {.model = m, .task = t, .bb = &bb, .ratio = 0.25, .k = 2, .key = 5, .set = &set,
                      .method = meth, .mask = mask, .importance = imp};
    HS_ASSERT(meth->run(&c) == HS_OK);
    hs_mae *g = c.state;
    double phi_moved = 0;
    hs_mae *fresh;
    HS_ASSERT(hs_mae_create(&fresh, &m->cfg, 1, 0, 128, HS_MAE_LEARNED, 5) == HS_OK);
    for (size_t i = 0; i < g->n_phi; i++) phi_moved = fmax(phi_moved, fabs(g->phi[i] - fresh->phi[i]));
    hs_mae_free(&fresh);
    tap_ok(!memcmp(m->params, base->params, sizeof(double) * base->num_params) && phi_moved > 0 && g->k == 1 &&
               m->gate_hook == &g->hook,
           "BCD: G steps move only the gate parameters (model bit-identical, gates moved by %.2g; k = round(0.25 * 4) = 1)",
           phi_moved);
    c.state_free(c.state);
    /* one F step after the G phase moves θ */
    memcpy(m->params, base->params, sizeof(double) * base->num_params);
    set.v[hs_setting_index(meth, "steps")] = 7;
    c.state = NULL;
    c.curve_len = 0;
    HS_ASSERT(meth->run(&c) == HS_OK);
    tap_ok(memcmp(m->params, base->params, sizeof(double) * base->num_params) != 0 && c.curve_len == 2,
           "BCD: the F step after the G phase moves the model (curve: start, last step)");
    c.state_free(c.state);
    hs_batch_buf_free(&bb);
    hs_model_destroy(&m);

    /* whole points */
    const char *names[] = {"steps", "g_len", "f_len"};
    const double vals[] = {30, 5, 10};
    unsigned char mask2[8];
    float imp2[8];
    hs_point_result r, r2;
    HS_ASSERT(run_point(base, t, 0.25, names, vals, 3, &r, mask, imp) == HS_OK);
    HS_ASSERT(run_point(base, t, 0.25, names, vals, 3, &r2, mask2, imp2) == HS_OK);
    int ones = 1;
    double mean_imp = 0;
    for (int i = 0; i < N; i++) ones &= mask[i] == 1, mean_imp += imp[i] / N;
    tap_ok(ones && r.heads_kept == N && r.shrink_max_diff == 0 && r.curve_len == 3,
           "a mae point keeps every head (mask all ones), shrunk == masked exactly, curve of %d", r.curve_len);
    tap_ok(fabs(mean_imp - 1) < 1e-6, "importance = mean gate per head (stored as float); their mean over a layer is 1 (%.9f)",
           mean_imp);
    tap_ok(r.metric_pruned == r2.metric_pruned && !memcmp(imp, imp2, sizeof imp) &&
               !memcmp(r.curve, r2.curve, sizeof(double) * r.curve_len),
           "mae: the same key gives the same metric, gate means and curve (%.4f)", r.metric_pruned);
    /* the point's metric is the mixture's: arg-max experts of the untrained gate
     * (2 of 4 heads dropped per example) evaluated here by hand */
    const char *am[] = {"steps", "infer"};
    const double av[] = {0, 1};
    HS_ASSERT(run_point(base, t, 0.5, am, av, 2, &r2, mask2, imp2) == HS_OK);
    hs_model *m2;
    HS_ASSERT(hs_model_clone(&m2, base) == HS_OK && hs_model_setup_batch(m2, 20, t->shape.seq_len) == HS_OK);
    HS_ASSERT(hs_batch_buf_create(&bb, t, 20) == HS_OK);
    HS_ASSERT(hs_mae_create(&g, &m2->cfg, 2, 0, 128, HS_MAE_LEARNED, 99) == HS_OK);
    g->argmax = 1;
    hs_mae_attach(g, m2);
    hs_eval_result ev;
    HS_ASSERT(hs_eval_split(m2, t, HS_SPLIT_TEST, &bb, &ev) == HS_OK);
    int hard = 1;
    for (int i = 0; i < N; i++) hard &= imp2[i] <= 2.0 + 1e-12;
    tap_ok(ev.metric == r2.metric_pruned && hard,
           "the point's metric is the mixture's (arg-max experts, k 2: %.4f == %.4f; base %.4f)", r2.metric_pruned,
           ev.metric, r2.metric_base);
    hs_mae_free(&g);
    hs_batch_buf_free(&bb);
    hs_model_destroy(&m2);
    const char *un[] = {"steps", "gate"};
    const double uv[] = {0, 1};
    HS_ASSERT(run_point(base, t, 0.25, un, uv, 2, &r2, mask2, imp2) == HS_OK);
    tap_ok(r2.metric_pruned == r2.metric_base, "uniform gate, no training: the base metric (%.4f)", r2.metric_pruned);
    HS_ASSERT(run_point(base, t, 0.9, names, vals, 3, &r2, mask2, imp2) == HS_ERR_INPUT);
    tap_ok(1, "ratio 0.9 of 4 heads (k = 4) is refused");
    hs_model_destroy(&base);
    hs_task_destroy(&t);
}

int main(void)
{
    test_experts();
    test_identities("dyck", 12, 16, 4, 2);      /* classifier with padding */
    test_identities("induction", 9, 16, 4, 2);  /* causal LM */
    test_gradients("dyck", 10);
    test_gradients("induction", 9);
    test_span();
    test_bcd_and_point();
    return tap_done();
}
