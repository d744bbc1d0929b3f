/* test_gradcheck.c — central finite differences against the analytic
 * backward pass, for every parameter tensor and the gates, in double
 * precision (this binary compiles the core with -DHS_REAL_DOUBLE).
 *
 * Two small models: a classifier with padded rows and gates in {0, 0.5, 1.2},
 * and a causal language model with padding and ignored targets; both again
 * with per-example gates from a gate hook (MAE) that depend on the layer
 * input, checking ∂L/∂G per example and the path through the gates' input. With eps 1e-5
 * in double the FD error is ~eps²·|f'''| + 1e-16/eps ≈ 1e-10, so the bound
 * |fd − analytic| ≤ 1e-7·max(1, |analytic|) leaves a wide margin while any
 * real mistake (errors of order the gradient itself) fails it. */
#include <math.h>
#include <string.h>

#include "../src/core/model.h"
#include "../src/core/ops.h"
#include "../src/core/rng.h"
#include "tap.h"

#define EPS 1e-5
#define TOL 1e-7

static void random_params(hs_model *m, uint64_t key)
{
    hs_rng r;
    hs_rng_seed(&r, key);
    for (int i = 0; i < HS_NUM_PARAMS; i++) {
        const char *n = m->info[i].name;
        int is_gain = !strcmp(n, "ln1_g") || !strcmp(n, "ln2_g") || !strcmp(n, "lnf_g") || !strcmp(n, "emb_ln_g");
        for (size_t k = 0; k < m->info[i].count; k++) {
            double z = hs_rng_normal(&r);
            m->p.at[i][k] = is_gain ? 1 + 0.1 * z : (m->info[i].rank == 1 || n[0] == 'b' ? 0.1 * z : 0.3 * z);
        }
    }
}

static double loss_at(hs_model *m, const hs_batch *b)
{
    hs_status s = hs_model_forward(m, b);
    HS_ASSERT(s == HS_OK);
    return m->loss;
}

/* Max over elements of |an − fd| / max(1, |an|). */
static double compare(const double *an, const double *fd, size_t n, size_t *worst)
{
    double e = 0;
    *worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs(an[i] - fd[i]) / fmax(1.0, fabs(an[i]));
        if (d > e) {
            e = d;
            *worst = i;
        }
    }
    return e;
}

/* Knowledge distillation for the "-kd" cases (model.h): teacher logits [R][C]
 * of the batch, alpha and temperature; NULL = the plain loss. */
static const double *kd_teacher;
static double kd_alpha, kd_temp;

/* A dropped layer (layer_off) for the next check_model, -1 = none. */
static int drop_layer = -1;

static void check_model(const char *label, const hs_config *cfg, const hs_batch *b,
                        const double *gates, int self_test, int static_head)
{
    hs_model *m;
    HS_ASSERT(hs_model_create(&m, cfg) == HS_OK);
    HS_ASSERT(hs_model_setup_batch(m, b->B, b->T) == HS_OK);
    random_params(m, hs_key_str(7, label));
    if (drop_layer >= 0) m->layer_off[drop_layer] = 1;
    memcpy(m->p.gates, gates, sizeof(double) * m->info[HS_P_GATES].count);
    m->kd_logits = kd_teacher;
    m->kd_alpha = kd_alpha;
    m->kd_temperature = kd_temp;
    if (static_head >= 0) { /* a PAPA head: constant attention, no gradient to its q and k */
        HS_ASSERT(hs_model_alloc_static(m) == HS_OK);
        hs_rng r;
        hs_rng_seed(&r, 3);
        const size_t TT = (size_t)cfg->seq_len * cfg->seq_len;
        for (size_t i = 0; i < TT; i++) m->static_att[static_head * TT + i] = hs_rng_uniform(&r);
        m->is_static[static_head] = 1;
    }

    hs_model_zero_grad(m);
    loss_at(m, b);
    hs_model_backward(m, b);
    tap_diag("%s: loss %.6f over %d targets, %zu parameters", label, m->loss, m->loss_count,
             m->num_params);

    static double fd[1 << 16];
    for (int i = 0; i < HS_NUM_PARAMS; i++) {
        const hs_tensor_info *ti = &m->info[i];
        if (ti->count == 0) continue; /* not part of this model (token vs image input) */
        HS_ASSERT(ti->count <= sizeof fd / sizeof fd[0]);
        double maxg = 0;
        for (size_t k = 0; k < ti->count; k++) {
            double *p = &m->p.at[i][k], keep = *p;
            *p = keep + EPS;
            double lp = loss_at(m, b);
            *p = keep - EPS;
            double lm = loss_at(m, b);
            *p = keep;
            fd[k] = (lp - lm) / (2 * EPS);
            maxg = fmax(maxg, fabs(m->g.at[i][k]));
        }
        size_t w;
        double e = compare(m->g.at[i], fd, ti->count, &w);
        tap_ok(e <= TOL && maxg > 0, "%s: d loss/d %s matches finite differences (max err %.2e at %zu, max |g| %.3g)",
               label, ti->name, e, w, maxg);
        if (self_test && i == HS_P_WQ) {
            /* prove the comparison can fail: one element off by 1e-5 must be reported */
            double keep = m->g.at[i][3];
            m->g.at[i][3] += 1e-5 * fmax(1.0, fabs(keep));
            double e2 = compare(m->g.at[i], fd, ti->count, &w);
            tap_ok(e2 > TOL && w == 3, "%s: the checker reports a gradient perturbed by 1e-5 (err %.2e at %zu)",
                   label, e2, w);
            m->g.at[i][3] = keep;
        }
    }

    /* docs/methods.md, the gate-gradient identity: for g ≠ 0, ∂L/∂g_j = (1/g_j) Σ_{rows of head j, o} Wo ⊙ ∂L/∂Wo */
    const int d = cfg->d_model, H = cfg->heads, dh = d / H;
    double worst = 0;
    int n_checked = 0;
    for (int l = 0; l < cfg->layers; l++)
        for (int j = 0; j < H; j++) {
            double g = m->p.gates[l * H + j];
            if (g == 0) continue;
            double acc = 0;
            for (int i = j * dh; i < (j + 1) * dh; i++)
                for (int o = 0; o < d; o++) {
                    size_t at = ((size_t)l * d + i) * d + o;
                    acc += m->p.wo[at] * m->g.wo[at];
                }
            worst = fmax(worst, fabs(acc / g - m->g.gates[l * H + j]));
            n_checked++;
        }
    tap_ok(worst < 1e-10 && n_checked > 0, "%s: gate gradient equals (1/g)·Σ Wo⊙∇Wo over the head (%d heads, err %.1e)",
           label, n_checked, worst);
    hs_model_destroy(&m);
}

/* Per-example gates through the model's gate hook (MAE, docs/methods.md "mae"):
 * G[l][b][j] = base[l][b][j] + 0.3·tanh(mean over row b's valid positions of
 * column 3j mod d of the layer input), so the core's ∂L/∂G (a.gate_ex) is
 * checked against finite differences on base, and every parameter's gradient
 * includes the path through the gates' input (the hook's backward). */
typedef struct {
    int H, d;
    double base[64];
} ex_hook_ctx;

static void ex_hook_fwd(void *vc, int l, const hs_batch *b, const hs_real *res, hs_real *G)
{
    const ex_hook_ctx *c = vc;
    for (int e = 0; e < b->B; e++) {
        const int len = b->lengths ? b->lengths[e] : b->T;
        for (int j = 0; j < c->H; j++) {
            double u = 0;
            for (int t = 0; t < len; t++) u += res[((size_t)e * b->T + t) * c->d + (3 * j) % c->d];
            G[e * c->H + j] = c->base[(l * b->B + e) * c->H + j] + 0.3 * tanh(u / len);
        }
    }
}

static void ex_hook_bwd(void *vc, int l, const hs_batch *b, const hs_real *res, const hs_real *dG,
                        hs_real *dres)
{
    const ex_hook_ctx *c = vc;
    for (int e = 0; e < b->B; e++) {
        const int len = b->lengths ? b->lengths[e] : b->T;
        for (int j = 0; j < c->H; j++) {
            double u = 0;
            for (int t = 0; t < len; t++) u += res[((size_t)e * b->T + t) * c->d + (3 * j) % c->d];
            const double th = tanh(u / len), du = 0.3 * (1 - th * th) * dG[e * c->H + j] / len;
            for (int t = 0; t < len; t++) dres[((size_t)e * b->T + t) * c->d + (3 * j) % c->d] += du;
        }
    }
}

/* Every example's gates = the layer's own gates (ctx: the model). */
static void same_gates_fwd(void *vc, int l, const hs_batch *b, const hs_real *res, hs_real *G)
{
    const hs_model *m = vc;
    const int H = m->cfg.heads;
    for (int e = 0; e < b->B; e++) memcpy(G + e * H, m->p.gates + l * H, sizeof(double) * H);
}

static void check_gate_hook(const char *label, const hs_config *cfg, const hs_batch *b)
{
    hs_model *m;
    HS_ASSERT(hs_model_create(&m, cfg) == HS_OK);
    HS_ASSERT(hs_model_setup_batch(m, b->B, b->T) == HS_OK);
    random_params(m, hs_key_str(7, label));
    const int L = cfg->layers, H = cfg->heads, n = L * b->B * H;
    ex_hook_ctx hc = {H, cfg->d_model, {0}};
    HS_ASSERT(n <= 64);
    hs_rng r;
    hs_rng_seed(&r, 5);
    for (int i = 0; i < n; i++) hc.base[i] = i % 5 == 2 ? 0 : 0.2 + hs_rng_uniform(&r); /* some zero */
    const hs_gate_hook hook = {&hc, ex_hook_fwd, ex_hook_bwd};
    m->gate_hook = &hook;

    hs_model_zero_grad(m);
    loss_at(m, b);
    hs_model_backward(m, b);
    static double fd[1 << 16];
    for (int i = 0; i < HS_NUM_PARAMS; i++) {
        const hs_tensor_info *ti = &m->info[i];
        if (ti->count == 0 || i == HS_P_GATES) continue; /* gates [H] are not read with a hook */
        HS_ASSERT(ti->count <= sizeof fd / sizeof fd[0]);
        double maxg = 0;
        for (size_t k = 0; k < ti->count; k++) {
            double *p = &m->p.at[i][k], keep = *p;
            *p = keep + EPS;
            double lp = loss_at(m, b);
            *p = keep - EPS;
            double lm = loss_at(m, b);
            *p = keep;
            fd[k] = (lp - lm) / (2 * EPS);
            maxg = fmax(maxg, fabs(m->g.at[i][k]));
        }
        size_t w;
        double e = compare(m->g.at[i], fd, ti->count, &w);
        tap_ok(e <= TOL && maxg > 0, "%s: d loss/d %s matches finite differences (max err %.2e at %zu)",
               label, ti->name, e, w);
    }
    /* ∂L/∂G per example: a.gate_ex [L][B][H] against differences on base */
    double an[64];
    for (int i = 0; i < n; i++) {
        an[i] = m->a.gate_ex[i];
        double keep = hc.base[i];
        hc.base[i] = keep + EPS;
        double lp = loss_at(m, b);
        hc.base[i] = keep - EPS;
        double lm = loss_at(m, b);
        hc.base[i] = keep;
        fd[i] = (lp - lm) / (2 * EPS);
    }
    size_t w;
    double e = compare(an, fd, (size_t)n, &w);
    tap_ok(e <= TOL, "%s: per-example gate gradients dL/dG[l][b][j] match finite differences (%d, max err %.2e at %zu)",
           label, n, e, w);
    /* per-example gates equal to the layer's own gates: the same logits, bit for bit */
    for (int i = 0; i < L * H; i++) m->p.gates[i] = 0.25 + 0.125 * (i % 7);
    m->gate_hook = NULL;
    loss_at(m, b);
    const size_t nlog = (size_t)m->R * cfg->n_out;
    static double plain[1 << 12];
    HS_ASSERT(nlog <= sizeof plain / sizeof plain[0]);
    memcpy(plain, m->a.logits, sizeof(double) * nlog);
    const hs_gate_hook same = {m, same_gates_fwd, NULL};
    m->gate_hook = &same;
    loss_at(m, b);
    tap_ok(!memcmp(plain, m->a.logits, sizeof(double) * nlog),
           "%s: per-example gates equal to the layer gates give the plain logits bit for bit", label);
    hs_model_destroy(&m);
}

/* The activations of ops.h against finite differences of their own forward
 * (the derivative they leave in x_deriv) and, for erf GELU, tabulated values
 * x·Φ(x) (Φ(1) = 0.8413447460685429, Φ(−0.5) = 0.3085375387259869). */
typedef void (*act_fn)(hs_real *restrict, hs_real *restrict, size_t);

static double act_value(act_fn f, double x)
{
    double out, d = x;
    f(&out, &d, 1);
    return out;
}

static void check_activation(const char *name, act_fn f)
{
    const double xs[] = {-3.1, -1.2, -0.5, -0.013, 0.021, 0.4, 1.0, 2.7};
    const int n = (int)(sizeof xs / sizeof xs[0]);
    double out[8], der[8], worst = 0;
    memcpy(der, xs, sizeof xs);
    f(out, der, (size_t)n);
    for (int i = 0; i < n; i++) {
        const double fd = (act_value(f, xs[i] + EPS) - act_value(f, xs[i] - EPS)) / (2 * EPS);
        worst = fmax(worst, fabs(fd - der[i]));
        worst = fmax(worst, fabs(out[i] - act_value(f, xs[i]))); /* batched = one by one */
    }
    tap_ok(worst <= TOL, "%s: derivative matches finite differences (max err %.2e)", name, worst);
}

/* LayerNorm with a non-default eps: values against the formula, and the
 * backward (dinp, dg, db of L = Σ w·y) against finite differences. */
static void check_layernorm_eps(double eps)
{
    enum { N = 3, C = 5 };
    double x[N * C], g[C], bb[C], w[N * C], y[N * C], mean[N], rstd[N];
    hs_rng r;
    hs_rng_seed(&r, 17);
    for (int i = 0; i < N * C; i++) x[i] = 0.05 * hs_rng_normal(&r); /* small spread: eps matters */
    for (int i = 0; i < N * C; i++) w[i] = hs_rng_normal(&r);
    for (int i = 0; i < C; i++) g[i] = 1 + 0.2 * hs_rng_normal(&r), bb[i] = 0.1 * hs_rng_normal(&r);
    hs_layernorm_forward_eps(y, mean, rstd, x, g, bb, N, C, eps);
    double verr = 0;
    for (int n = 0; n < N; n++) {
        double m = 0, v = 0;
        for (int i = 0; i < C; i++) m += x[n * C + i] / C;
        for (int i = 0; i < C; i++) v += (x[n * C + i] - m) * (x[n * C + i] - m) / C;
        for (int i = 0; i < C; i++)
            verr = fmax(verr, fabs(y[n * C + i] - ((x[n * C + i] - m) / sqrt(v + eps) * g[i] + bb[i])));
    }
    tap_ok(verr < 1e-12, "layernorm eps %g: values match (x − mean)/sqrt(var + eps)·g + b (err %.1e)", eps, verr);
    double dx[N * C] = {0}, dg[C] = {0}, db[C] = {0};
    hs_layernorm_backward(dx, dg, db, w, x, g, mean, rstd, N, C);
    double *params[3] = {x, g, bb}, *grads[3] = {dx, dg, db};
    const int counts[3] = {N * C, C, C};
    double worst = 0;
    for (int t = 0; t < 3; t++)
        for (int k = 0; k < counts[t]; k++) {
            double keep = params[t][k], lp = 0, lm = 0, yy[N * C];
            params[t][k] = keep + EPS;
            hs_layernorm_forward_eps(yy, mean, rstd, x, g, bb, N, C, eps);
            for (int i = 0; i < N * C; i++) lp += w[i] * yy[i];
            params[t][k] = keep - EPS;
            hs_layernorm_forward_eps(yy, mean, rstd, x, g, bb, N, C, eps);
            for (int i = 0; i < N * C; i++) lm += w[i] * yy[i];
            params[t][k] = keep;
            const double fd = (lp - lm) / (2 * EPS);
            worst = fmax(worst, fabs(fd - grads[t][k]) / fmax(1, fabs(fd)));
        }
    tap_ok(worst <= TOL, "layernorm eps %g: backward matches finite differences (max err %.2e)", eps, worst);
}

/* hs_model_forward_with on the model's own weights gives forward's logits
 * bit for bit; with gate-0 heads physically removed (compact weights), the
 * same logits up to rounding. */
static void check_forward_with(const char *label, const hs_config *cfg, const hs_batch *b, const double *gates)
{
    hs_model *m;
    HS_ASSERT(hs_model_create(&m, cfg) == HS_OK);
    HS_ASSERT(hs_model_setup_batch(m, b->B, b->T) == HS_OK);
    random_params(m, hs_key_str(11, label));
    const int L = cfg->layers, H = cfg->heads, d = cfg->d_model, dh = d / H, C = cfg->n_out;
    memcpy(m->p.gates, gates, sizeof(double) * L * H);
    HS_ASSERT(hs_model_forward(m, b) == HS_OK);
    static double plain[1 << 12], full[1 << 12];
    const size_t nlog = (size_t)m->R * C;
    HS_ASSERT(nlog <= sizeof plain / sizeof plain[0] && L <= 4);
    memcpy(plain, m->a.logits, sizeof(double) * nlog);
    hs_layer_attn ov[4];
    static double store[4][4 * 32 * 32 + 4 * 32 + 32];
    const size_t dd = (size_t)d * d;
    for (int l = 0; l < L; l++)
        ov[l] = (hs_layer_attn){H, {m->p.wq + l * dd, m->p.bq + l * d, m->p.wk + l * dd, m->p.bk + l * d,
                                    m->p.wv + l * dd, m->p.bv + l * d, m->p.wo + l * dd, m->p.bo + l * d,
                                    m->p.gates + l * H, NULL, NULL, 0, NULL}};
    HS_ASSERT(hs_model_forward_with(m, b, ov) == HS_OK);
    tap_ok(!memcmp(plain, m->a.logits, sizeof(double) * nlog),
           "%s: forward_with on the model's own weights gives forward's logits bit for bit", label);
    int removed = 0;
    for (int l = 0; l < L; l++) {
        int keep[16], k = 0;
        for (int j = 0; j < H; j++)
            if (gates[l * H + j] != 0) keep[k++] = j;
        removed += H - k;
        const int di = k * dh;
        HS_ASSERT((size_t)(4 * d * di + 3 * di + k) <= sizeof store[0] / sizeof store[0][0]);
        double *wq = store[l], *wk = wq + d * di, *wv = wk + d * di, *wo = wv + d * di, *bq = wo + di * d,
               *bk = bq + di, *bv = bk + di, *gg = bv + di;
        for (int a = 0; a < k; a++) {
            const int j = keep[a];
            gg[a] = gates[l * H + j];
            for (int c = 0; c < dh; c++) {
                const int src = j * dh + c, dst = a * dh + c;
                for (int r = 0; r < d; r++) {
                    wq[r * di + dst] = m->p.wq[l * dd + (size_t)r * d + src];
                    wk[r * di + dst] = m->p.wk[l * dd + (size_t)r * d + src];
                    wv[r * di + dst] = m->p.wv[l * dd + (size_t)r * d + src];
                    wo[dst * d + r] = m->p.wo[l * dd + (size_t)src * d + r];
                }
                bq[dst] = m->p.bq[l * d + src];
                bk[dst] = m->p.bk[l * d + src];
                bv[dst] = m->p.bv[l * d + src];
            }
        }
        ov[l] = (hs_layer_attn){k, {wq, bq, wk, bk, wv, bv, wo, m->p.bo + l * d, gg, NULL, NULL, 0, NULL}};
    }
    HS_ASSERT(hs_model_forward_with(m, b, ov) == HS_OK);
    memcpy(full, m->a.logits, sizeof(double) * nlog);
    double e = 0;
    for (size_t i = 0; i < nlog; i++) e = fmax(e, fabs(full[i] - plain[i]));
    tap_ok(removed > 0 && e < 1e-12, "%s: %d gate-0 heads physically removed give the gated logits (err %.1e)", label,
           removed, e);
    hs_model_destroy(&m);
}

int main(void)
{
    check_activation("gelu (tanh form)", hs_gelu_forward);
    check_activation("gelu (erf form)", hs_gelu_erf_forward);
    check_activation("relu", hs_relu_forward);
    check_activation("tanh", hs_tanh_forward);
    {
        double xs[2] = {1.0, -0.5}, out[2];
        hs_gelu_erf_forward(out, xs, 2);
        const double e = fmax(fabs(out[0] - 0.8413447460685429), fabs(out[1] + 0.5 * 0.3085375387259869));
        tap_ok(e < 1e-15, "gelu (erf form): GELU(1) and GELU(-0.5) equal x·Phi(x) from tables (err %.1e)", e);
    }
    check_layernorm_eps(1e-3);
    check_layernorm_eps(1e-12);

    /* classifier: padding (lengths 6, 3, 1), a zero gate, T < seq_len */
    hs_config cls = {.vocab = 11, .seq_len = 7, .d_model = 8, .heads = 2, .layers = 2, .d_ff = 12,
                     .n_out = 3, .lm = 0, .causal = 0};
    int tok_c[3 * 6] = {0, 3, 4, 5, 9, 10, 0, 7, 7, 1, 1, 1, 0, 1, 1, 1, 1, 1};
    int len_c[3] = {6, 3, 1}, tgt_c[3] = {2, 0, 1};
    hs_batch bc = {3, 6, tok_c, len_c, tgt_c, NULL, NULL};
    double gates_c[4] = {1.0, 0.5, 0.0, 1.2};
    check_model("classifier", &cls, &bc, gates_c, 1, -1);

    /* causal LM: padding and ignored targets */
    hs_config lm = {.vocab = 9, .seq_len = 6, .d_model = 6, .heads = 3, .layers = 2, .d_ff = 10,
                    .n_out = 9, .lm = 1, .causal = 1};
    int tok_l[2 * 6] = {0, 4, 5, 6, 2, 8, 0, 3, 3, 1, 1, 1};
    int len_l[2] = {6, 3};
    int tgt_l[2 * 6] = {4, 5, -1, 2, 8, 7, 3, 3, -1, -1, -1, -1};
    hs_batch bl = {2, 6, tok_l, len_l, tgt_l, NULL, NULL};
    double gates_l[6] = {1.0, 0.0, 0.7, 1.0, 1.0, 0.3};
    check_model("causal-lm", &lm, &bl, gates_l, 0, -1);
    check_model("causal-lm-static-head", &lm, &bl, gates_l, 0, 2);

    /* knowledge distillation: (1 − α)·CE + α·T²·CE(softmax(teacher/T), softmax(student/T)),
     * random teacher logits (ignored rows of the LM included: they must not count) */
    static double teacher[2 * 6 * 9];
    hs_rng tr;
    hs_rng_seed(&tr, 41);
    for (int i = 0; i < 2 * 6 * 9; i++) teacher[i] = 2 * hs_rng_normal(&tr);
    kd_teacher = teacher;
    kd_alpha = 0.7;
    kd_temp = 2.5;
    check_model("classifier-kd", &cls, &bc, gates_c, 0, -1);
    kd_alpha = 1;
    kd_temp = 0.8;
    check_model("causal-lm-kd", &lm, &bl, gates_l, 0, -1);
    kd_teacher = NULL;

    /* image model: patch embedding + CLS vector, padding */
    hs_config img = {.vocab = 0, .seq_len = 5, .d_model = 8, .heads = 2, .layers = 1, .d_ff = 8,
                     .n_out = 3, .lm = 0, .causal = 0, .patch_dim = 4};
    float patches[2 * 5 * 4];
    hs_rng pr;
    hs_rng_seed(&pr, 99);
    for (int i = 0; i < 2 * 5 * 4; i++) patches[i] = (float)hs_rng_normal(&pr);
    int len_i[2] = {5, 3}, tgt_i[2] = {2, 0};
    hs_batch bi = {2, 5, NULL, len_i, tgt_i, patches, NULL};
    double gates_i[2] = {0.8, 1.0};
    check_model("image", &img, &bi, gates_i, 0, 1);

    check_gate_hook("classifier-gate-hook", &cls, &bc);
    check_gate_hook("causal-lm-gate-hook", &lm, &bl);

    /* the pretrained families (model.h): sentence pairs (token types), padding,
     * a zero gate. BERT: post-LN, erf GELU, eps 1e-12, 2 token types, tanh pooler */
    hs_config bert = {.vocab = 13, .seq_len = 7, .d_model = 8, .heads = 2, .layers = 2, .d_ff = 12,
                      .n_out = 3, .post_ln = 1, .act = HS_ACT_GELU_ERF, .ln_eps = 1e-12, .type_vocab = 2,
                      .pooler = HS_POOL_TANH};
    int tok_p[3 * 6] = {0, 3, 4, 1, 9, 1, 0, 7, 1, 8, 2, 2, 0, 5, 1, 2, 2, 2};
    int typ_p[3 * 6] = {0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0};
    int len_p[3] = {6, 4, 3}, tgt_p[3] = {2, 0, 1};
    hs_batch bp = {3, 6, tok_p, len_p, tgt_p, NULL, typ_p};
    check_model("bert", &bert, &bp, gates_c, 0, -1);
    /* RoBERTa: one token type (batch types NULL), position offset 2, eps 1e-5 */
    hs_config roberta = bert;
    roberta.type_vocab = 1;
    roberta.pos_offset = 2;
    roberta.ln_eps = 1e-5;
    hs_batch bp0 = bp;
    bp0.types = NULL;
    check_model("roberta", &roberta, &bp0, gates_c, 0, -1);
    /* DistilBERT: no token types, ReLU in the FFN (exercised here) and a ReLU pooler */
    hs_config distil = bert;
    distil.type_vocab = 0;
    distil.act = HS_ACT_RELU;
    distil.pooler = HS_POOL_RELU;
    check_model("distilbert-relu", &distil, &bp0, gates_c, 0, -1);
    /* GPT-2: pre-LN, causal, the last valid position classifies, eps 1e-3 (non-default) */
    hs_config gpt2 = {.vocab = 13, .seq_len = 7, .d_model = 8, .heads = 2, .layers = 2, .d_ff = 12,
                      .n_out = 3, .causal = 1, .cls_last = 1, .ln_eps = 1e-3};
    check_model("gpt2-cls-last", &gpt2, &bp0, gates_c, 0, -1);
    hs_batch bnl = bp0;
    bnl.lengths = NULL; /* cls_last without lengths: position T-1 */
    check_model("gpt2-cls-last-no-lengths", &gpt2, &bnl, gates_c, 0, -1);
    /* a post-LN language model (no final LN, every position read) */
    hs_config plm = lm;
    plm.post_ln = 1;
    plm.act = HS_ACT_GELU_ERF;
    plm.type_vocab = 2;
    int typ_l[2 * 6] = {0, 0, 1, 1, 1, 1, 0, 1, 1, 0, 0, 0};
    hs_batch blt = bl;
    blt.types = typ_l;
    check_model("post-ln-lm", &plm, &blt, gates_l, 0, -1);
    /* a dropped layer in a post-LN model: the identity, its LNs included */
    drop_layer = 0;
    check_model("bert-layer-0-dropped", &bert, &bp, gates_c, 0, -1);
    drop_layer = -1;
    check_gate_hook("bert-gate-hook", &bert, &bp);
    check_gate_hook("gpt2-gate-hook", &gpt2, &bp0);
    check_forward_with("bert", &bert, &bp, gates_c);
    check_forward_with("gpt2", &gpt2, &bp0, gates_c);
    return tap_done();
}
