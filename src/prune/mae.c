/* mae.c — `mae`: a mixture of h−k heads (Peng, Schwartz, Li, Smith 2020;
 * docs/methods.md "mae"). The mixture itself (experts, gate network, its backward)
 * is described in mae.h; this file also holds the method: starting from the
 * trained base model, train the mixture on the training split, then leave it
 * in the model (the gate hook) so that the framework's evaluations — the
 * point's metric, fine-tuning, the masked == shrunk check — are the MAE
 * model's.
 *
 * Training (`steps` in all, batches of the point's batch size from the
 * training stream at offset 2^29, so neither the base model's nor
 * fine-tuning's batches):
 *   bcd = true  — block coordinate descent: cycles of g_len "G steps" (only
 *                 the gate parameters φ move) then f_len "F steps" (only the
 *                 model θ moves). A summary of the paper reports one G phase every 5
 *                 epochs, hence f_len = 5·g_len by default. Cycles start with
 *                 G: θ is already trained, φ is not.
 *   bcd = false — joint steps, both blocks every step (the paper's NoBCD).
 *   gate = uniform — no φ: w = 1/E. With uni_sample (the paper's UNI-MAE),
 *                 every training example draws one expert per layer; at
 *                 evaluation w = 1/E, which is exactly the plain model
 *                 (every head kept by the same number of experts). Without
 *                 uni_sample it is the plain model continuing to train: the
 *                 control for "extra training".
 * θ: AdamW (the model's settings: weight decay 0.01, clip 1) at peak `lr`,
 * warm-up 1/10 of the F steps, linear decay to 0 at the last F step. φ: Adam
 * at constant `gate_lr`, its own gradient norm clipped to 1. The gradient of
 * an F step includes the path through the gates' input (exact; the hook's
 * backward adds it).
 *
 * Result: every head stays in the model, so the mask is all ones (nothing is
 * removed physically, the masked == shrunk check holds trivially), the
 * importance of head (l, j) is its mean gate G over the prune split (1 =
 * as much as in the plain model), and the curve holds the prune-split metric
 * before training and after every cycle (every g_len + f_len steps). The
 * ratio axis means k = round(ratio · H) heads dropped per expert (ratio 1/H is
 * "h−1"), not the framework's round(ratio · L · H). */
#include "mae.h"

#include <math.h>
#include <string.h>
#include <tgmath.h>

#include "../core/alloc.h"
#include "../core/optim.h"
#include "method.h"

/* ---- the mixture ------------------------------------------------------ */

hs_mae_layer hs_mae_layer_view(const hs_mae *g, hs_real *buf, int l)
{
    hs_real *p = buf + (size_t)l * g->per_layer;
    const size_t d = g->d, h = g->hidden;
    hs_mae_layer v = {p, p + d * h, p + d * h + h, p + d * h + h + h * g->E};
    return v;
}

/* Dropped sets of size k in lexicographic order, while there are at most
 * max of them; returns their number, or 0 if there are more than max. */
static int count_subsets(int H, int k, int max)
{
    double c = 1; /* C(H, k), exact in double while it stays ≤ max */
    for (int i = 1; i <= k; i++) {
        c = c * (H - k + i) / i;
        if (c > max) return 0;
    }
    return (int)lround(c);
}

static void fill_experts(hs_mae *g, int all)
{
    const int H = g->H, k = g->k;
    memset(g->keep, 1, (size_t)g->E * H);
    if (!all) { /* expert e drops the block e, e+1, …, e+k−1 (mod H) */
        for (int e = 0; e < g->E; e++)
            for (int i = 0; i < k; i++) g->keep[(size_t)e * H + (e + i) % H] = 0;
        return;
    }
    int idx[1024];
    for (int i = 0; i < k; i++) idx[i] = i;
    for (int e = 0; e < g->E; e++) {
        for (int i = 0; i < k; i++) g->keep[(size_t)e * H + idx[i]] = 0;
        int i = k - 1; /* next combination */
        while (i >= 0 && idx[i] == H - k + i) i--;
        if (i < 0) break;
        idx[i]++;
        for (int r = i + 1; r < k; r++) idx[r] = idx[r - 1] + 1;
    }
}

static void hook_fwd(void *vc, int l, const hs_batch *b, const hs_real *res, hs_real *G);
static void hook_bwd(void *vc, int l, const hs_batch *b, const hs_real *res, const hs_real *dG,
                     hs_real *dres);

hs_status hs_mae_create(hs_mae **out, const hs_config *cfg, int k, int hidden, int max_experts,
                        hs_mae_gate gate, uint64_t key)
{
    *out = NULL;
    const int H = cfg->heads;
    if (k < 0 || k >= H || H > 1024)
        return hs_error_set(HS_ERR_INPUT, "mae: %d heads dropped per expert of %d: expected 0..%d "
                            "(every expert keeps a head; ratio = k / heads)", k, H, H - 1);
    hs_mae *g;
    HS_CHECK(hs_calloc((void **)&g, 1, sizeof *g, "mae state"));
    g->L = cfg->layers;
    g->H = H;
    g->d = cfg->d_model;
    g->hidden = hidden > 0 ? hidden : cfg->d_model;
    g->k = k;
    g->causal_lm = cfg->causal && cfg->lm;
    g->scale = (hs_real)((double)H / (H - k));
    g->gate = gate;
    const int all = count_subsets(H, k, max_experts);
    g->E = all ? all : H;
    const size_t d = g->d, h = g->hidden, E = g->E;
    g->per_layer = d * h + h + h * E + E;
    g->n_phi = g->per_layer * g->L;
    hs_status s = hs_calloc((void **)&g->keep, E, (size_t)H, "mae experts");
    if (s == HS_OK) s = hs_calloc((void **)&g->phi, g->n_phi, sizeof(hs_real), "mae gate parameters");
    if (s == HS_OK) s = hs_calloc((void **)&g->dphi, g->n_phi, sizeof(hs_real), "mae gate gradients");
    if (s == HS_OK) s = hs_calloc((void **)&g->adam_m, g->n_phi, sizeof(hs_real), "mae Adam moments");
    if (s == HS_OK) s = hs_calloc((void **)&g->adam_v, g->n_phi, sizeof(hs_real), "mae Adam moments");
    if (s == HS_OK)
        s = hs_calloc((void **)&g->scratch, 4 * d + 3 * h + 4 * E, sizeof(hs_real), "mae scratch");
    if (s != HS_OK) {
        hs_mae_free(&g);
        return s;
    }
    fill_experts(g, all != 0);
    hs_rng r;
    hs_rng_seed(&r, hs_key_str(key, "mae-gate-init"));
    const double s1 = 1 / sqrt((double)d);
    for (int l = 0; l < g->L; l++) {
        hs_mae_layer v = hs_mae_layer_view(g, g->phi, l);
        for (size_t i = 0; i < d * h; i++) v.w1[i] = (hs_real)(s1 * hs_rng_normal(&r));
        for (size_t i = 0; i < h * E; i++) v.w2[i] = (hs_real)(0.02 * hs_rng_normal(&r));
    }
    hs_rng_seed(&g->rng, hs_key_str(key, "mae-uniform-draws"));
    g->hook = (hs_gate_hook){g, hook_fwd, hook_bwd};
    *out = g;
    return HS_OK;
}

void hs_mae_free(hs_mae **gp)
{
    if (!gp || !*gp) return;
    hs_mae *g = *gp;
    hs_free(g->keep);
    hs_free(g->phi);
    hs_free(g->dphi);
    hs_free(g->adam_m);
    hs_free(g->adam_v);
    hs_free(g->scratch);
    hs_free(g);
    *gp = NULL;
}

void hs_mae_attach(hs_mae *g, hs_model *m) { m->gate_hook = g ? &g->hook : NULL; }

int hs_mae_span(const hs_mae *g, const hs_batch *b, int e)
{
    int n = b->lengths ? b->lengths[e] : b->T;
    if (g->causal_lm && b->targets)
        for (int t = 0; t < n; t++)
            if (b->targets[(size_t)e * b->T + t] >= 0) {
                n = t + 1;
                break;
            }
    return n;
}

/* The gate network's activations for one example (views into scratch). */
typedef struct {
    hs_real *xbar, *h1, *h2, *w; /* [d], [d], [hidden], [E] */
    int n;                       /* positions averaged */
    int sampled;                 /* w is a one-hot draw or argmax (no gradient) */
} gate_acts;

static gate_acts gate_forward(hs_mae *g, int l, const hs_batch *b, const hs_real *res, int e)
{
    const int d = g->d, h = g->hidden, E = g->E;
    gate_acts a = {g->scratch, g->scratch + d, g->scratch + 2 * d, g->scratch + 2 * d + h, 0, 0};
    if (g->gate == HS_MAE_UNIFORM) {
        if (g->training && g->sample) {
            const uint32_t pick = hs_rng_below(&g->rng, (uint32_t)E);
            for (int x = 0; x < E; x++) a.w[x] = x == (int)pick;
        } else {
            for (int x = 0; x < E; x++) a.w[x] = (hs_real)1 / E;
        }
        a.sampled = 1;
        return a;
    }
    const hs_mae_layer p = hs_mae_layer_view(g, g->phi, l);
    a.n = hs_mae_span(g, b, e);
    for (int i = 0; i < d; i++) {
        double acc = 0; /* mean over the span, summed in double */
        for (int t = 0; t < a.n; t++) acc += res[((size_t)e * b->T + t) * d + i];
        a.xbar[i] = (hs_real)(acc / a.n);
        a.h1[i] = tanh(a.xbar[i]);
    }
    for (int j = 0; j < h; j++) a.h2[j] = p.b1[j];
    for (int i = 0; i < d; i++) {
        const hs_real hi = a.h1[i], *row = p.w1 + (size_t)i * h;
        for (int j = 0; j < h; j++) a.h2[j] += hi * row[j];
    }
    for (int j = 0; j < h; j++) a.h2[j] = tanh(a.h2[j]);
    for (int x = 0; x < E; x++) a.w[x] = p.b2[x];
    for (int j = 0; j < h; j++) {
        const hs_real hj = a.h2[j], *row = p.w2 + (size_t)j * E;
        for (int x = 0; x < E; x++) a.w[x] += hj * row[x];
    }
    int best = 0;
    for (int x = 1; x < E; x++)
        if (a.w[x] > a.w[best]) best = x;
    if (g->argmax && !g->training) { /* the arg-max expert alone (ties: lowest index) */
        for (int x = 0; x < E; x++) a.w[x] = x == best;
        a.sampled = 1;
        return a;
    }
    const hs_real mx = a.w[best];
    double sum = 0;
    for (int x = 0; x < E; x++) {
        a.w[x] = exp(a.w[x] - mx);
        sum += a.w[x];
    }
    const hs_real inv = (hs_real)(1 / sum);
    for (int x = 0; x < E; x++) a.w[x] *= inv;
    return a;
}

void hs_mae_weights(hs_mae *g, int l, const hs_batch *b, const hs_real *res, int e, hs_real *w)
{
    gate_acts a = gate_forward(g, l, b, res, e);
    memcpy(w, a.w, sizeof(hs_real) * g->E);
}

/* G[b][j] = H/(H−k) · Σ_{e keeps j} w_e for every example of the batch. */
static void hook_fwd(void *vc, int l, const hs_batch *b, const hs_real *res, hs_real *G)
{
    hs_mae *g = vc;
    const int H = g->H, E = g->E;
    if (g->gate == HS_MAE_UNIFORM && !(g->training && g->sample)) {
        /* w = 1/E: G_j = H·|{e keeps j}| / ((H−k)·E), exactly 1 for a balanced
         * set (no rounding of Σ 1/E: the plain model bit for bit) */
        for (int j = 0; j < H; j++) {
            long n = 0;
            for (int x = 0; x < E; x++) n += g->keep[(size_t)x * H + j];
            const hs_real gj = (hs_real)((double)H * n / ((double)(H - g->k) * E));
            for (int e = 0; e < b->B; e++) G[(size_t)e * H + j] = gj;
        }
        return;
    }
    for (int e = 0; e < b->B; e++) {
        gate_acts a = gate_forward(g, l, b, res, e);
        for (int j = 0; j < H; j++) {
            hs_real acc = 0;
            for (int x = 0; x < E; x++)
                if (g->keep[(size_t)x * H + j]) acc += a.w[x];
            G[(size_t)e * H + j] = g->scale * acc;
        }
    }
}

/* From dG = ∂L/∂G [B][H]: φ gradients into dphi (accumulated) and the path
 * through the mean of the layer input into dres. */
static void hook_bwd(void *vc, int l, const hs_batch *b, const hs_real *res, const hs_real *dG,
                     hs_real *dres)
{
    hs_mae *g = vc;
    if (g->gate != HS_MAE_LEARNED || (g->argmax && !g->training)) return; /* constant in φ and x */
    const int H = g->H, E = g->E, d = g->d, h = g->hidden;
    const hs_mae_layer p = hs_mae_layer_view(g, g->phi, l), dp = hs_mae_layer_view(g, g->dphi, l);
    hs_real *dw = g->scratch + 2 * d + h + E, *dz2 = dw + E, *dz1 = dz2 + E, *dx = dz1 + h;
    for (int e = 0; e < b->B; e++) {
        gate_acts a = gate_forward(g, l, b, res, e);
        /* w → G: dw_x = scale · Σ_{j kept by x} dG_j; softmax: dz2 = w ∘ (dw − <w, dw>) */
        double dot = 0;
        for (int x = 0; x < E; x++) {
            hs_real acc = 0;
            for (int j = 0; j < H; j++)
                if (g->keep[(size_t)x * H + j]) acc += dG[(size_t)e * H + j];
            dw[x] = g->scale * acc;
            dot += (double)a.w[x] * dw[x];
        }
        for (int x = 0; x < E; x++) dz2[x] = a.w[x] * (dw[x] - (hs_real)dot);
        /* z2 = b2 + h2 W2 */
        for (int x = 0; x < E; x++) dp.b2[x] += dz2[x];
        for (int j = 0; j < h; j++) {
            const hs_real *row = p.w2 + (size_t)j * E;
            hs_real *drow = dp.w2 + (size_t)j * E, acc = 0;
            for (int x = 0; x < E; x++) {
                drow[x] += a.h2[j] * dz2[x];
                acc += row[x] * dz2[x];
            }
            dz1[j] = acc * (1 - a.h2[j] * a.h2[j]); /* h2 = tanh(z1) */
        }
        /* z1 = b1 + h1 W1 */
        for (int j = 0; j < h; j++) dp.b1[j] += dz1[j];
        for (int i = 0; i < d; i++) {
            const hs_real *row = p.w1 + (size_t)i * h;
            hs_real *drow = dp.w1 + (size_t)i * h, acc = 0;
            for (int j = 0; j < h; j++) {
                drow[j] += a.h1[i] * dz1[j];
                acc += row[j] * dz1[j];
            }
            dx[i] = acc * (1 - a.h1[i] * a.h1[i]) / a.n; /* h1 = tanh(mean) */
        }
        for (int t = 0; t < a.n; t++) {
            hs_real *dr = dres + ((size_t)e * b->T + t) * d;
            for (int i = 0; i < d; i++) dr[i] += dx[i];
        }
    }
}

double hs_mae_adam_step(hs_mae *g, double lr, double clip)
{
    double sq = 0;
    for (size_t i = 0; i < g->n_phi; i++) sq += (double)g->dphi[i] * g->dphi[i];
    const double norm = sqrt(sq);
    if (!isfinite(norm)) return norm;
    const double gs = clip > 0 && norm > clip ? clip / norm : 1;
    g->adam_t++;
    /* wd 0: the decay term adds 0·φ, which leaves every finite φ's bits as they were */
    const hs_adam_coef k = hs_adam_coef_at(lr, 0.9, 0.999, 1e-8, 0, g->adam_t, gs);
    hs_adam_update(g->phi, g->dphi, g->adam_m, g->adam_v, g->n_phi, &k);
    return norm;
}

/* ---- the method --------------------------------------------------------- */

static const char *const gate_modes[] = {"learned", "uniform", NULL};
static const char *const infer_modes[] = {"soft", "argmax", NULL};

static const hs_setting_def settings[] = {
    {"steps", HS_SET_INT, 1000, 0, 1e7, NULL, "training steps of the mixture (G and F steps together)"},
    {"lr", HS_SET_REAL, 5e-4, 0, 10, NULL, "peak learning rate of the model (AdamW, F steps)"},
    {"gate_lr", HS_SET_REAL, 1e-3, 0, 10, NULL, "learning rate of the gate networks (Adam, G steps)"},
    {"hidden", HS_SET_INT, 0, 0, 65536, NULL, "gate network hidden width (0 = d_model)"},
    {"bcd", HS_SET_BOOL, 1, 0, 1, NULL, "block coordinate descent (alternate G and F phases); false: joint steps"},
    {"g_len", HS_SET_INT, 50, 1, 1e7, NULL, "G steps (gate parameters only) per BCD cycle"},
    {"f_len", HS_SET_INT, 250, 1, 1e7, NULL, "F steps (model only) per BCD cycle"},
    {"gate", HS_SET_CHOICE, 0, 0, 1, gate_modes, "learned gate network, or uniform expert weights 1/E"},
    {"uni_sample", HS_SET_BOOL, 1, 0, 1, NULL, "uniform gate: train on one random expert per example and layer (UNI-MAE)"},
    {"infer", HS_SET_CHOICE, 0, 0, 1, infer_modes, "evaluate the soft mixture, or the arg-max expert only"},
    {"max_experts", HS_SET_INT, 128, 1, 100000, NULL, "all C(H,k) experts up to this many, else H rotating blocks"},
};

/* Metric of the mixture on the prune split (one evaluation). */
static hs_status prune_metric(hs_prune_ctx *c, double *metric)
{
    hs_eval_result ev;
    c->evals++;
    HS_CHECK(hs_eval_split(c->model, c->task, HS_SPLIT_PRUNE, c->bb, &ev));
    *metric = ev.metric;
    return HS_OK;
}

static void state_free(void *st)
{
    hs_mae *g = st;
    hs_mae_free(&g);
}

static hs_status run(hs_prune_ctx *c)
{
    hs_model *m = c->model;
    const int L = m->cfg.layers, H = m->cfg.heads, N = L * H;
    const int k = (int)lround(c->ratio * H);
    const long steps = (long)hs_setting(c, "steps");
    const int learned = hs_setting(c, "gate") == HS_MAE_LEARNED;
    const int bcd = hs_setting(c, "bcd") != 0 && learned;
    const long g_len = (long)hs_setting(c, "g_len"), f_len = (long)hs_setting(c, "f_len");
    const long cycle = g_len + f_len;
    const double gate_lr = hs_setting(c, "gate_lr");
    hs_mae *g = NULL;
    HS_CHECK(hs_mae_create(&g, &m->cfg, k, (int)hs_setting(c, "hidden"),
                           (int)hs_setting(c, "max_experts"), learned ? HS_MAE_LEARNED : HS_MAE_UNIFORM,
                           c->key));
    /* from here the model carries the mixture; the framework frees it last */
    c->state = g;
    c->state_free = state_free;
    g->sample = hs_setting(c, "uni_sample") != 0;
    g->argmax = hs_setting(c, "infer") == 1;
    hs_mae_attach(g, m);
    memset(c->mask, 1, (size_t)N);

    /* phase of step s: G (φ only) first in each cycle when bcd */
#define IS_G_STEP(s) (bcd && (s) % cycle < g_len)
    long f_steps = 0;
    for (long s = 0; s < steps; s++) f_steps += !IS_G_STEP(s);
    hs_adamw *opt = NULL;
    hs_adamw_config oc = hs_adamw_defaults(f_steps);
    oc.lr = hs_setting(c, "lr");
    oc.warmup = f_steps / 10;
    hs_status s = hs_adamw_create(&opt, m, &oc);
    double metric;
    if (s == HS_OK) s = prune_metric(c, &metric);
    if (s == HS_OK) hs_curve_push(c, metric);
    for (long step = 0; step < steps && s == HS_OK; step++) {
        const int g_step = IS_G_STEP(step), f_step = !g_step, phi_step = learned && (g_step || !bcd);
        hs_task_batch(c->task, HS_SPLIT_TRAIN, (1L << 29) + step, c->bb);
        g->training = 1;
        hs_model_zero_grad(m);
        memset(g->dphi, 0, sizeof(hs_real) * g->n_phi);
        s = hs_model_forward(m, &c->bb->batch);
        if (s != HS_OK) break;
        if (!isfinite(m->loss)) {
            s = hs_error_set(HS_ERR_NUMERIC, "mae: loss is %g at training step %ld (diverged)", m->loss, step);
            break;
        }
        hs_model_backward(m, &c->bb->batch);
        if (f_step && !isfinite(hs_adamw_step(opt, m))) {
            s = hs_error_set(HS_ERR_NUMERIC, "mae: model gradient is not finite at step %ld", step);
            break;
        }
        if (phi_step && !isfinite(hs_mae_adam_step(g, gate_lr, 1.0))) {
            s = hs_error_set(HS_ERR_NUMERIC, "mae: gate gradient is not finite at step %ld", step);
            break;
        }
        g->training = 0;
        if ((step + 1) % cycle == 0 || step + 1 == steps) {
            s = prune_metric(c, &metric); /* also checks the point's deadline */
            if (s == HS_OK) hs_curve_push(c, metric);
        }
    }
#undef IS_G_STEP
    g->training = 0;
    hs_adamw_destroy(&opt);

    /* importance: each head's mean gate over the prune split */
    const long nb = hs_task_num_batches(c->task, HS_SPLIT_PRUNE, c->bb->B);
    double *acc = NULL;
    long examples = 0;
    if (s == HS_OK) s = hs_calloc((void **)&acc, (size_t)N, sizeof(double), "mae gate means");
    for (long i = 0; i < nb && s == HS_OK; i++) {
        const int n = hs_task_batch(c->task, HS_SPLIT_PRUNE, i, c->bb);
        if (n == 0) break;
        s = hs_model_forward(m, &c->bb->batch);
        for (int l = 0; l < L && s == HS_OK; l++) {
            const hs_real *G = m->a.ex_gates + (size_t)l * m->max_B * H;
            for (int e = 0; e < n; e++)
                for (int j = 0; j < H; j++) acc[l * H + j] += G[(size_t)e * H + j];
        }
        examples += n;
    }
    if (s == HS_OK) {
        c->evals++;
        for (int i = 0; i < N; i++) c->importance[i] = (float)(examples ? acc[i] / examples : 0);
    }
    hs_free(acc);
    return s;
}

/* Cost: `steps` training steps of one run.batch (forward + backward; the
 * gate networks are small beside the model), then the evaluation. */
static double passes(const hs_cost_ctx *c)
{
    if (c->n_prune <= 0) return 1;
    return 3.0 * hs_cost_setting(c, "steps") * c->batch / (double)c->n_prune;
}

const hs_method hs_method_mae = {
    .name = "mae",
    .summary = "mixture of h-k head experts with a gate network (Peng et al. 2020)",
    .settings = settings,
    .n_settings = (int)(sizeof settings / sizeof settings[0]),
    .run = run,
    .passes = passes,
    .curve_label = NULL,
};
