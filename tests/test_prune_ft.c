/* test_prune_ft.c — "Methods III" (docs/methods.md "Fine-tuning variants",
 * "int8 quantisation-aware fine-tuning", "accdrop"), on small trained
 * majority models:
 *
 *  - finetune.params: after hs_point_finetune, every tensor outside the
 *    chosen set (bias = BitFit, gates+output = MAE's FTG+) is bit-identical
 *    to before and every tensor inside has changed; pruned heads' gates stay
 *    exactly 0; "all" is today's fine-tuning bit for bit; the point records
 *    the metric; the sweep file's finetune.params (default, fingerprint,
 *    errors);
 *  - int8: quantise/dequantise error <= scale/2 per element, codes in
 *    [-127, 127] with the channel maximum at ±127, gated-off rows left out of
 *    Wo's channels; a fake-quantised product equals an int8 matmul done here
 *    in integers; the straight-through gradient (weights) equals the plain
 *    gradient at the quantised weights, bit for bit; the int8 point is
 *    deterministic, its size is the formula of docs/methods.md, off gives
 *    NaN; the sweep file's finetune.quantize;
 *  - accdrop: the run equals accdrop replayed on a table of every mask's
 *    prune-split loss and metric; at most k removals, and when it stops early
 *    no single removal would raise the metric; until = k removes exactly k;
 *    layer units remove whole layers; determinism; on a model with a planted
 *    noise head, that head goes first and the metric rises.
 * About 5 s of CPU. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/model.h"
#include "../src/core/optim.h"
#include "../src/core/ops.h"
#include "../src/core/quant.h"
#include "../src/core/rng.h"
#include "../src/prune/point.h"
#include "../src/sweep/config.h"
#include "small_models.h"
#include "tap.h"

#define B 32

static hs_model *trained(hs_task **tp, int L, int H, long steps)
{
    *tp = fx_task("majority", 3, 12, 4, 4000, 128, 256);
    hs_model *m = fx_model(*tp, 16, H, L, 32, B, hs_key_str(hs_key_u64(0, (uint64_t)(L * 10 + H)), "init"));
    fx_train(m, *tp, steps, 3e-3, steps / 10, B);
    return m;
}

/* every point here has key 11 */
static hs_status point(const hs_model *m, const hs_task *t, const char *method, double ratio,
                       const hs_point_opts *o, hs_point_result *r, unsigned char *mask, float *imp)
{
    return fx_point(m, t, method, ratio, 11, o, r, mask, imp);
}

/* --- fine-tuning variants ------------------------------------------------- */

/* Fine-tunes a clone of base with half the heads masked; reports per tensor
 * whether it changed, and whether masked gates stayed 0. */
static void finetune_with(const hs_model *base, const hs_task *t, int params, int changed[HS_NUM_PARAMS],
                          int *pruned_gates_zero, int *kept_gates_moved)
{
    hs_model *m;
    HS_ASSERT(hs_model_clone(&m, base) == HS_OK && hs_model_setup_batch(m, B, t->shape.seq_len) == HS_OK);
    const int N = m->cfg.layers * m->cfg.heads;
    unsigned char mask[64];
    for (int i = 0; i < N; i++) mask[i] = (unsigned char)(i % 2), m->p.gates[i] = (hs_real)(i % 2);
    hs_real *before = malloc(sizeof(hs_real) * m->num_params);
    HS_ASSERT(before);
    memcpy(before, m->params, sizeof(hs_real) * m->num_params);
    hs_batch_buf bb;
    HS_ASSERT(hs_batch_buf_create(&bb, t, B) == HS_OK);
    const hs_point_opts o = {.finetune_steps = 20, .finetune_lr = 1e-3, .batch = B, .finetune_params = params};
    HS_ASSERT(hs_point_finetune(m, base, t, &bb, mask, &o) == HS_OK);
    for (int i = 0; i < HS_NUM_PARAMS; i++) {
        const hs_tensor_info *ti = &m->info[i];
        changed[i] = ti->count ? memcmp(before + ti->offset, m->params + ti->offset, sizeof(hs_real) * ti->count) != 0
                               : -1;
    }
    *pruned_gates_zero = 1;
    *kept_gates_moved = 0;
    for (int i = 0; i < N; i++) {
        if (!mask[i]) *pruned_gates_zero &= m->p.gates[i] == 0;
        else *kept_gates_moved += m->p.gates[i] != 1;
    }
    hs_batch_buf_free(&bb);
    free(before);
    hs_model_destroy(&m);
}

static void test_params(const hs_model *base, const hs_task *t)
{
    for (int params = 0; params < HS_FT_NUM; params++) {
        int changed[HS_NUM_PARAMS], zero, moved;
        finetune_with(base, t, params, changed, &zero, &moved);
        int outside_same = 1, inside_changed = 1, n_in = 0;
        char bad[512] = "";
        for (int i = 0; i < HS_NUM_PARAMS; i++) {
            if (changed[i] < 0) continue; /* not in this model */
            const int in = hs_ft_updates(params, i);
            n_in += in;
            if (in && !changed[i]) inside_changed = 0;
            if (!in && changed[i]) outside_same = 0;
            if (in != changed[i])
                snprintf(bad + strlen(bad), sizeof bad - strlen(bad), " %s(%s)", base->info[i].name,
                         in ? "unchanged" : "changed");
        }
        tap_ok(outside_same && inside_changed && n_in > 0,
               "finetune.params = %s: the %d tensors of the set change, every other is bit-identical%s",
               hs_ft_params_names[params], n_in, bad);
        if (params == HS_FT_GATES_OUTPUT)
            tap_ok(zero && moved == base->cfg.layers * base->cfg.heads / 2,
                   "gates+output: pruned heads' gates stay exactly 0, all %d kept gates move", moved);
        else
            tap_ok(zero && moved == 0, "%s: gates are not trained (pruned 0, kept 1)", hs_ft_params_names[params]);
    }
    /* the sets themselves, as docs/methods.md lists them */
    tap_ok(hs_ft_updates(HS_FT_BIAS, HS_P_BQ) && hs_ft_updates(HS_FT_BIAS, HS_P_LN1_B) &&
               hs_ft_updates(HS_FT_BIAS, HS_P_OUT_W) && !hs_ft_updates(HS_FT_BIAS, HS_P_WQ) &&
               !hs_ft_updates(HS_FT_BIAS, HS_P_LN1_G) && !hs_ft_updates(HS_FT_BIAS, HS_P_GATES) &&
               hs_ft_updates(HS_FT_GATES_OUTPUT, HS_P_WO) && hs_ft_updates(HS_FT_GATES_OUTPUT, HS_P_GATES) &&
               !hs_ft_updates(HS_FT_GATES_OUTPUT, HS_P_WV) && !hs_ft_updates(HS_FT_GATES_OUTPUT, HS_P_B1) &&
               !hs_ft_updates(HS_FT_ALL, HS_P_GATES) && hs_ft_updates(HS_FT_ALL, HS_P_W1),
           "parameter sets: bias = biases + LN biases + head; gates+output = gates, Wo, bo, head");

    /* through the point: "all" given explicitly is the default path, bit for bit; the others record a metric */
    unsigned char mask[64];
    float imp[64];
    hs_point_result r0, ra, rb, rg;
    const hs_point_opts o0 = {40, 1e-3, B, 0, 0, 2, 0, 0};
    hs_point_opts oa = o0, ob = o0, og = o0;
    oa.finetune_params = HS_FT_ALL;
    ob.finetune_params = HS_FT_BIAS;
    og.finetune_params = HS_FT_GATES_OUTPUT;
    HS_ASSERT(point(base, t, "magnitude", 0.5, &o0, &r0, mask, imp) == HS_OK);
    HS_ASSERT(point(base, t, "magnitude", 0.5, &oa, &ra, mask, imp) == HS_OK);
    HS_ASSERT(point(base, t, "magnitude", 0.5, &ob, &rb, mask, imp) == HS_OK);
    HS_ASSERT(point(base, t, "magnitude", 0.5, &og, &rg, mask, imp) == HS_OK);
    tap_ok(r0.loss_pruned == ra.loss_pruned && r0.metric_finetuned == ra.metric_finetuned,
           "params = all is the plain fine-tuning bit for bit (test loss %.6f)", r0.loss_pruned);
    tap_ok(isfinite(rb.metric_finetuned) && isfinite(rg.metric_finetuned) && rb.loss_pruned != r0.loss_pruned &&
               rg.loss_pruned != r0.loss_pruned && rb.metric_pruned == r0.metric_pruned && rb.shrink_max_diff <= 1e-4 &&
               rg.shrink_max_diff <= 1e-4,
           "magnitude 0.5, 40 steps: pruned %.4f -> all %.4f, bias %.4f, gates+output %.4f (shrunk == masked: %.1e, %.1e)",
           r0.metric_pruned, r0.metric_finetuned, rb.metric_finetuned, rg.metric_finetuned, rb.shrink_max_diff,
           rg.shrink_max_diff);
}

static const char *sweep_head = "name = \"f\"; tasks = ( { name = \"maj\"; kind = \"synthetic\"; generator = \"majority\"; } );\n"
                                "methods = ( { name = \"random\"; } ); ratios = [0.0, 0.5];\n";

static hs_status load(const char *tail, hs_sweep *sw)
{
    char text[1024];
    snprintf(text, sizeof text, "%s%s", sweep_head, tail);
    return hs_sweep_load_text(text, "f.cfg", sw);
}

static void test_sweep_file(void)
{
    hs_sweep a, b, c, d, e, q;
    HS_ASSERT(load("finetune = { steps = 10; };\n", &a) == HS_OK);
    HS_ASSERT(load("finetune = { steps = 10; params = \"all\"; quantize = \"none\"; };\n", &b) == HS_OK);
    HS_ASSERT(load("finetune = { steps = 10; params = \"bias\"; };\n", &c) == HS_OK);
    HS_ASSERT(load("finetune = { steps = 10; params = \"gates+output\"; };\n", &d) == HS_OK);
    HS_ASSERT(load("finetune = { steps = 10; quantize = \"int8\"; };\n", &q) == HS_OK);
    const hs_point_opts oc = hs_sweep_point_opts(&c, 0), oq = hs_sweep_point_opts(&q, 0);
    tap_ok(a.finetune_params == HS_FT_ALL && a.quantize == HS_QUANT_NONE && a.fingerprint == b.fingerprint &&
               c.fingerprint != a.fingerprint && d.fingerprint != c.fingerprint && q.fingerprint != a.fingerprint &&
               oc.finetune_params == HS_FT_BIAS && oq.quantize == HS_QUANT_INT8,
           "sweep file: params all / quantize none are the defaults and keep the fingerprint; others change it");
    hs_sweep_free(&a);
    hs_sweep_free(&b);
    hs_sweep_free(&c);
    hs_sweep_free(&d);
    hs_sweep_free(&q);
    hs_error_clear();
    hs_status s = load("finetune = { steps = 10; params = \"weights\"; };\n", &e);
    tap_ok(s == HS_ERR_INPUT && strstr(hs_error_message(), "finetune.params") && strstr(hs_error_message(), "gates+output"),
           "bad finetune.params names the setting and the choices: %s", hs_error_message());
    hs_sweep_free(&e);
    hs_error_clear();
    s = load("finetune = { params = \"bias\"; };\n", &e);
    tap_ok(s == HS_ERR_INPUT && strstr(hs_error_message(), "finetune.steps"),
           "params without steps is an error: %s", hs_error_message());
    hs_sweep_free(&e);
    hs_error_clear();
    s = load("finetune = { steps = 5; quantize = 8; };\n", &e);
    tap_ok(s == HS_ERR_INPUT && strstr(hs_error_message(), "finetune.quantize") && strstr(hs_error_message(), "int8"),
           "bad finetune.quantize: %s", hs_error_message());
    hs_sweep_free(&e);
}

/* --- int8 ------------------------------------------------------------------ */

static void test_q8_roundtrip(void)
{
    hs_rng rng;
    hs_rng_seed(&rng, 5);
    enum { R = 37, C = 11 };
    static hs_real w[R * C], fq[R * C], sc[C];
    static int8_t q[R * C];
    for (int i = 0; i < R * C; i++) w[i] = (hs_real)(hs_rng_normal(&rng) * (1 + i % C));
    hs_q8_cols(q, sc, fq, w, R, C, NULL, 1);
    int within = 1, range = 1, top = 1, codes = 1;
    double worst = 0;
    for (int c = 0; c < C; c++) {
        int has127 = 0;
        for (int r = 0; r < R; r++) {
            const int i = r * C + c;
            const double err = fabs((double)w[i] - fq[i]);
            worst = fmax(worst, err / sc[c]);
            within &= err <= sc[c] / 2 * (1 + 1e-5);
            range &= q[i] >= -127; /* and <= 127 by its type */
            has127 |= q[i] == 127 || q[i] == -127;
            codes &= fq[i] == (hs_real)q[i] * sc[c];
        }
        top &= has127;
    }
    tap_ok(within && range && top && codes,
           "per-channel int8: |w - dq(q(w))| <= scale/2 (worst %.4f scale), codes in [-127,127], max at +-127", worst);
    hs_real x[257];
    for (int i = 0; i < 257; i++) x[i] = (hs_real)(hs_rng_uniform(&rng) * 6 - 3);
    hs_real x0[257];
    memcpy(x0, x, sizeof x);
    const hs_real s = hs_q8_fake_tensor(x, 257);
    within = 1;
    for (int i = 0; i < 257; i++) within &= fabs((double)x0[i] - x[i]) <= s / 2 * (1 + 1e-5);
    hs_real z[4] = {0, 0, 0, 0};
    const hs_real sz = hs_q8_fake_tensor(z, 4);
    hs_real again[257];
    memcpy(again, x0, sizeof x0);
    hs_q8_fake_tensor(again, 257);
    tap_ok(within && sz == 0 && z[0] == 0 && z[3] == 0 && !memcmp(again, x, sizeof x) && hs_q8_code(1e9f, s) == 127 &&
               hs_q8_code(-1e9f, s) == -127,
           "per-tensor int8: error <= scale/2, an all-zero tensor stays 0, deterministic, clamped at +-127");
    /* rows of a gated-off group: code 0 and out of the channel's maximum */
    hs_real g2[2] = {1, 0};
    static hs_real wg[8 * 3], fg[8 * 3], sg[3];
    for (int i = 0; i < 8 * 3; i++) wg[i] = (hs_real)(i < 12 ? 0.1 * (i + 1) : 100);
    hs_q8_cols(NULL, sg, fg, wg, 8, 3, g2, 4);
    int off_zero = 1;
    for (int i = 12; i < 24; i++) off_zero &= fg[i] == 0;
    tap_ok(off_zero && fabs(sg[2] - (hs_real)(1.2 / 127)) < 1e-7,
           "a group with gate 0 is left out of the channel scale (%.5f, not 100/127) and quantises to 0", sg[2]);
}

/* A fake-quantised product against an int8 kernel written here: int32 sums of
 * the codes, scaled by s_x·s_w[o], plus the bias. */
static void test_q8_matmul(void)
{
    enum { R = 9, IN = 24, OUT = 7 };
    hs_rng rng;
    hs_rng_seed(&rng, 8);
    static hs_real x[R * IN], w[IN * OUT], b[OUT], fx[R * IN], fw[IN * OUT], sw[OUT], y[R * OUT];
    static int8_t qw[IN * OUT], qx[R * IN];
    for (int i = 0; i < R * IN; i++) x[i] = (hs_real)hs_rng_normal(&rng);
    for (int i = 0; i < IN * OUT; i++) w[i] = (hs_real)(hs_rng_normal(&rng) * 0.2);
    for (int i = 0; i < OUT; i++) b[i] = (hs_real)hs_rng_normal(&rng);
    memcpy(fx, x, sizeof x);
    const hs_real sx = hs_q8_fake_tensor(fx, R * IN);
    hs_q8_cols(qw, sw, fw, w, IN, OUT, NULL, 1);
    for (int i = 0; i < R * IN; i++) qx[i] = hs_q8_code(x[i], sx);
    hs_matmul_forward(y, fx, fw, b, R, IN, OUT, 0);
    double worst = 0;
    for (int r = 0; r < R; r++)
        for (int o = 0; o < OUT; o++) {
            int32_t acc = 0;
            for (int i = 0; i < IN; i++) acc += (int32_t)qx[r * IN + i] * qw[i * OUT + o];
            const double ref = (double)sx * sw[o] * acc + b[o];
            worst = fmax(worst, fabs(ref - y[r * OUT + o]) / (1 + fabs(ref)));
        }
    tap_ok(worst < 1e-5, "fake-quantised matmul == int8 kernel (int32 sums x s_x s_w + b): max rel diff %.2e", worst);
}

/* Straight-through for the weights: with HS_Q8_WEIGHTS the loss and every
 * gradient equal those of the plain model whose weights are the quantised
 * ones (same arithmetic: bit for bit). */
static void test_q8_ste(const hs_model *base, const hs_task *t)
{
    hs_model *a, *b;
    HS_ASSERT(hs_model_clone(&a, base) == HS_OK && hs_model_setup_batch(a, B, t->shape.seq_len) == HS_OK);
    HS_ASSERT(hs_model_clone(&b, base) == HS_OK && hs_model_setup_batch(b, B, t->shape.seq_len) == HS_OK);
    a->p.gates[1] = b->p.gates[1] = 0; /* a gated-off head: Wo's channels leave it out */
    const int L = a->cfg.layers, H = a->cfg.heads, d = a->cfg.d_model, F = a->cfg.d_ff;
    const int ids[] = {HS_P_WQ, HS_P_WK, HS_P_WV, HS_P_WO, HS_P_W1, HS_P_W2};
    for (int k = 0; k < 6; k++) {
        const int rows = ids[k] == HS_P_W2 ? F : d, cols = ids[k] == HS_P_W1 ? F : d;
        for (int l = 0; l < L; l++) {
            hs_real *w = b->p.at[ids[k]] + (size_t)l * rows * cols;
            hs_q8_cols(NULL, NULL, w, w, rows, cols, ids[k] == HS_P_WO ? b->p.gates + l * H : NULL, d / H);
        }
    }
    HS_ASSERT(hs_model_set_quant(a, HS_Q8_WEIGHTS) == HS_OK);
    hs_batch_buf bb;
    HS_ASSERT(hs_batch_buf_create(&bb, t, B) == HS_OK);
    hs_task_batch(t, HS_SPLIT_TRAIN, 3, &bb);
    hs_model_zero_grad(a);
    hs_model_zero_grad(b);
    HS_ASSERT(hs_model_forward(a, &bb.batch) == HS_OK && hs_model_forward(b, &bb.batch) == HS_OK);
    hs_model_backward(a, &bb.batch);
    hs_model_backward(b, &bb.batch);
    const int same_grad = !memcmp(a->grads, b->grads, sizeof(hs_real) * a->num_params);
    const int masters = memcmp(a->p.wq, b->p.wq, sizeof(hs_real) * a->info[HS_P_WQ].count) != 0;
    tap_ok(a->loss == b->loss && same_grad && masters,
           "straight-through (weights): loss %.6f and every gradient equal the plain model at the quantised weights; "
           "the fp32 masters are untouched", a->loss);
    /* the inputs too: the gradient flows (finite, non-zero) and the loss moves a little */
    HS_ASSERT(hs_model_set_quant(a, HS_Q8_WEIGHTS | HS_Q8_INPUTS) == HS_OK);
    hs_model_zero_grad(a);
    HS_ASSERT(hs_model_forward(a, &bb.batch) == HS_OK);
    hs_model_backward(a, &bb.batch);
    double sq = 0;
    for (size_t i = 0; i < a->info[HS_P_WQ].count; i++) sq += (double)a->g.wq[i] * a->g.wq[i];
    tap_ok(isfinite(sq) && sq > 0 && a->loss != b->loss && fabs(a->loss - b->loss) < 0.05 * b->loss,
           "straight-through (inputs): |dL/dWq| %.3g, loss %.6f vs %.6f weights-only", sqrt(sq), a->loss, b->loss);
    hs_model *pl;
    hs_config pc = base->cfg;
    pc.post_ln = 1;
    HS_ASSERT(hs_model_create(&pl, &pc) == HS_OK);
    hs_error_clear();
    const hs_status s = hs_model_set_quant(pl, HS_Q8_WEIGHTS | HS_Q8_INPUTS);
    tap_ok(s == HS_ERR_INPUT && strstr(hs_error_message(), "pre-LN"), "post-LN input quantisation is refused: %s",
           hs_error_message());
    hs_model_destroy(&pl);
    hs_batch_buf_free(&bb);
    hs_model_destroy(&a);
    hs_model_destroy(&b);
}

static void test_q8_point(const hs_model *base, const hs_task *t)
{
    unsigned char mask[64];
    float imp[64];
    hs_point_result off, p1, p2, ptq, p0;
    hs_point_opts o = {40, 1e-3, B, 0, 0, 2, 0, 0};
    HS_ASSERT(point(base, t, "magnitude", 0.5, &o, &off, mask, imp) == HS_OK);
    o.quantize = HS_QUANT_INT8;
    HS_ASSERT(point(base, t, "magnitude", 0.5, &o, &p1, mask, imp) == HS_OK);
    HS_ASSERT(point(base, t, "magnitude", 0.5, &o, &p2, mask, imp) == HS_OK);
    hs_point_opts o_ptq = o;
    o_ptq.finetune_steps = 0;
    HS_ASSERT(point(base, t, "magnitude", 0.0, &o_ptq, &p0, mask, imp) == HS_OK);
    HS_ASSERT(point(base, t, "magnitude", 0.5, &o_ptq, &ptq, mask, imp) == HS_OK); /* mask: p1's (same method, ratio) */
    tap_ok(isnan(off.metric_int8) && off.int8_bytes == 0, "quantize none: metric_int8 NaN, int8_bytes 0");
    tap_ok(p1.metric_int8 == p2.metric_int8 && p1.metric_finetuned == p2.metric_finetuned && p1.int8_bytes == p2.int8_bytes &&
               isfinite(p1.metric_int8) && p1.loss_pruned != off.loss_pruned,
           "int8 QAT point is deterministic: int8 %.4f, fp32 masters %.4f (plain fine-tuning %.4f; post-training int8 %.4f)",
           p1.metric_int8, p1.metric_finetuned, off.metric_finetuned, ptq.metric_int8);
    const long L = base->cfg.layers, H = base->cfg.heads, d = base->cfg.d_model, F = base->cfg.d_ff, dh = d / H;
    const long q = L * (4 * d * d + 2 * d * F), scales = L * (3 * d + d + F + d);
    const long full = 4 * (p0.params_kept - q) + q + 4 * scales;
    /* half the heads gone: their Wq, Wk, Wv columns and Wo rows, and their scales */
    long qh = 0, sh = 0;
    for (long l = 0; l < L; l++) {
        long h = 0;
        for (long j = 0; j < H; j++) h += mask[l * H + j] != 0;
        qh += 4 * h * dh * d + 2 * d * F;
        sh += 3 * h * dh + (h ? d : 0) + F + d;
    }
    const long half = 4 * (p1.params_kept - qh) + qh + 4 * sh;
    tap_ok(p0.int8_bytes == full && p1.int8_bytes == half && p0.int8_bytes < 4 * p0.params_kept &&
               isfinite(ptq.metric_int8) && ptq.metric_finetuned == ptq.metric_pruned,
           "int8 size: %ld bytes at ratio 0 (fp32 %ld), %ld at ratio 0.5 (fp32 %ld); without steps: post-training int8",
           p0.int8_bytes, 4 * p0.params_kept, p1.int8_bytes, 4 * p1.params_kept);
}

/* --- accdrop ------------------------------------------------------------- */

typedef struct {
    hs_task *t;
    hs_model *em;
    hs_batch_buf bb;
    int N, H;
    double *loss, *metric; /* [2^N], bit h set = head h removed */
} table;

static void table_open(table *f, hs_task *t, const hs_model *base)
{
    f->t = t;
    f->N = base->cfg.layers * base->cfg.heads;
    f->H = base->cfg.heads;
    HS_ASSERT(hs_model_clone(&f->em, base) == HS_OK && hs_model_setup_batch(f->em, 64, t->shape.seq_len) == HS_OK);
    HS_ASSERT(hs_batch_buf_create(&f->bb, t, 64) == HS_OK);
    const int M = 1 << f->N;
    f->loss = calloc((size_t)M, sizeof(double));
    f->metric = calloc((size_t)M, sizeof(double));
    HS_ASSERT(f->loss && f->metric);
    for (int s = 0; s < M; s++) {
        for (int h = 0; h < f->N; h++) f->em->p.gates[h] = (s >> h & 1) ? 0 : 1;
        hs_eval_result ev;
        HS_ASSERT(hs_eval_split(f->em, t, HS_SPLIT_PRUNE, &f->bb, &ev) == HS_OK);
        f->loss[s] = ev.loss;
        f->metric[s] = ev.metric;
    }
}

static void table_close(table *f)
{
    free(f->loss);
    free(f->metric);
    hs_batch_buf_free(&f->bb);
    hs_model_destroy(&f->em);
}

typedef struct {
    int removed;
    long evals, improved;
    int curve_len;
    double curve[HS_MAX_CURVE];
} outcome;

static outcome run_accdrop(table *f, int k, int unit, int until)
{
    const hs_method *meth = hs_method_find("accdrop");
    HS_ASSERT(meth);
    hs_settings set;
    hs_settings_defaults(meth, &set);
    set.v[hs_setting_index(meth, "unit")] = unit;
    set.v[hs_setting_index(meth, "until")] = until;
    unsigned char mask[64];
    float imp[64];
    hs_prune_ctx *c = calloc(1, sizeof *c);
    HS_ASSERT(c);
    for (int h = 0; h < f->N; h++) f->em->p.gates[h] = 1;
    memset(mask, 1, sizeof mask);
    *c = (hs_prune_ctx){.model = f->em, .task = f->t, .bb = &f->bb, .ratio = (double)k / f->N, .k = k, .key = 7,
                        .set = &set, .method = meth, .mask = mask, .importance = imp, .improved = -1};
    HS_ASSERT(meth->run(c) == HS_OK);
    outcome o = {0};
    for (int h = 0; h < f->N; h++)
        if (!mask[h]) o.removed |= 1 << h;
    o.evals = c->evals;
    o.improved = c->improved;
    o.curve_len = c->curve_len;
    memcpy(o.curve, c->curve, sizeof(double) * (size_t)c->curve_len);
    free(c);
    return o;
}

/* accdrop on the table (heads; accuracy: higher is better). */
static outcome replay(const table *f, int k, int until)
{
    outcome o = {0};
    int cur = 0, removed = 0;
    o.curve[o.curve_len++] = f->metric[0];
    o.evals = 1;
    while (removed < k) {
        int best = -1;
        for (int h = 0; h < f->N; h++) {
            if (cur >> h & 1) continue;
            const int s = cur | 1 << h;
            o.evals++;
            if (best < 0 || f->metric[s] > f->metric[cur | 1 << best] ||
                (f->metric[s] == f->metric[cur | 1 << best] && f->loss[s] < f->loss[cur | 1 << best]))
                best = h;
        }
        const int gain = f->metric[cur | 1 << best] > f->metric[cur];
        if (!gain && !until) break;
        cur |= 1 << best;
        removed++;
        o.improved += gain;
        o.curve[o.curve_len++] = f->metric[cur];
    }
    o.removed = cur;
    return o;
}

static void test_accdrop_table(table *f)
{
    int match = 1, bound = 1, stopped_right = 1, exact_k = 1, det = 1;
    char why[256] = "";
    for (int k = 0; k <= f->N; k++) {
        const outcome a = run_accdrop(f, k, 0, 0), r = replay(f, k, 0);
        const outcome ak = run_accdrop(f, k, 0, 1), rk = replay(f, k, 1);
        const outcome a2 = run_accdrop(f, k, 0, 0);
        const int n = __builtin_popcount((unsigned)a.removed);
        if (k == 0) { /* ratio 0: nothing evaluated, nothing removed */
            match &= a.removed == 0 && a.evals == 0 && a.improved == 0;
            continue;
        }
        if (a.removed != r.removed || a.improved != r.improved || a.curve_len != r.curve_len ||
            memcmp(a.curve, r.curve, sizeof(double) * (size_t)r.curve_len) || ak.removed != rk.removed ||
            ak.improved != rk.improved) {
            match = 0;
            snprintf(why, sizeof why, " (k %d: removed %#x vs %#x, improved %ld vs %ld)", k, a.removed, r.removed,
                     a.improved, r.improved);
        }
        bound &= n <= k && a.improved == n && a.curve_len == n + 1;
        if (n < k) /* stopped early: no single further removal raises the metric */
            for (int h = 0; h < f->N; h++)
                if (!(a.removed >> h & 1)) stopped_right &= f->metric[a.removed | 1 << h] <= f->metric[a.removed];
        exact_k &= __builtin_popcount((unsigned)ak.removed) == k && ak.improved <= k;
        det &= a2.removed == a.removed && a2.evals == a.evals && !memcmp(a2.curve, a.curve, sizeof a.curve);
    }
    tap_ok(match, "N=%d: accdrop equals its replay on the table of all masks, for every k (no_gain and k)%s", f->N, why);
    tap_ok(bound, "N=%d: at most k removals, every one of them an improvement under no_gain", f->N);
    tap_ok(stopped_right, "N=%d: when it stops before k, no single removal would raise the prune metric", f->N);
    tap_ok(exact_k, "N=%d: until = k removes exactly k heads", f->N);
    tap_ok(det, "N=%d: deterministic (mask, evaluations, curve)", f->N);
    /* layer units: whole layers, within the budget */
    int whole = 1;
    for (int k = 0; k <= f->N; k++) {
        const outcome a = run_accdrop(f, k, 1, 1);
        int layers = 0;
        for (int l = 0; l < f->N / f->H; l++) {
            const int bits = (a.removed >> (l * f->H)) & ((1 << f->H) - 1);
            whole &= bits == 0 || bits == (1 << f->H) - 1;
            layers += bits != 0;
        }
        whole &= layers * f->H <= k && layers == (k / f->H < f->N / f->H ? k / f->H : f->N / f->H);
    }
    tap_ok(whole, "N=%d: unit = layer, until = k removes floor(k/H) whole layers", f->N);
}

/* A trained model with one head made noise: its Wo rows replaced by large
 * random values. Removing it must help; accdrop takes it first. */
static void test_accdrop_planted(const hs_model *base, hs_task *t)
{
    hs_model *m;
    HS_ASSERT(hs_model_clone(&m, base) == HS_OK);
    const int H = m->cfg.heads, d = m->cfg.d_model, dh = d / H, l = 1, j = 2, planted = l * H + j;
    hs_rng rng;
    hs_rng_seed(&rng, 99);
    for (int i = 0; i < dh; i++)
        for (int o = 0; o < d; o++) m->p.wo[(size_t)l * d * d + (size_t)(j * dh + i) * d + o] = (hs_real)(3 * hs_rng_normal(&rng));
    table f = {0};
    f.t = t;
    f.N = m->cfg.layers * H;
    f.H = H;
    HS_ASSERT(hs_model_clone(&f.em, m) == HS_OK && hs_model_setup_batch(f.em, 64, t->shape.seq_len) == HS_OK);
    HS_ASSERT(hs_batch_buf_create(&f.bb, t, 64) == HS_OK);
    const outcome a = run_accdrop(&f, 3, 0, 0);
    tap_ok(a.curve_len >= 2 && a.improved >= 1 && (a.removed >> planted & 1) && a.curve[1] > a.curve[0],
           "planted noise head (%d, %d): removed first (prune metric %.4f -> %.4f), %ld improving removal(s), mask %#x", l,
           j, a.curve[0], a.curve_len > 1 ? a.curve[1] : NAN, a.improved, a.removed);
    /* through the point: the column value and the test metric */
    unsigned char mask[64];
    float imp[64];
    hs_point_result r;
    const hs_point_opts o = {0, 1e-3, B, 0, 0, 2, 0, 0};
    HS_ASSERT(point(m, t, "accdrop", 0.375, &o, &r, mask, imp) == HS_OK);
    tap_ok(r.improved == a.improved && mask[planted] == 0 && r.metric_pruned >= r.metric_base &&
               r.heads_kept == f.N - a.improved,
           "point: improved %ld recorded, test metric %.4f -> %.4f", r.improved, r.metric_base, r.metric_pruned);
    hs_point_result rg;
    HS_ASSERT(point(m, t, "random", 0.375, &o, &rg, mask, imp) == HS_OK);
    tap_ok(rg.improved == -1, "other methods record improved = -1");
    hs_batch_buf_free(&f.bb);
    hs_model_destroy(&f.em);
    hs_model_destroy(&m);
}

int main(void)
{
    const double t0 = seconds();
    hs_task *t;
    hs_model *base = trained(&t, 2, 4, 300);
    tap_diag("trained in %.1f s", seconds() - t0);
    test_params(base, t);
    test_sweep_file();
    test_q8_roundtrip();
    test_q8_matmul();
    test_q8_ste(base, t);
    test_q8_point(base, t);
    const double t1 = seconds();
    table f = {0};
    table_open(&f, t, base);
    test_accdrop_table(&f);
    table_close(&f);
    test_accdrop_planted(base, t);
    tap_diag("accdrop %.1f s; %.1f s in all", seconds() - t1, seconds() - t0);
    hs_model_destroy(&base);
    hs_task_destroy(&t);
    return tap_done();
}
