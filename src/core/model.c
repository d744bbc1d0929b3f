/* model.c — parameter table, init, forward and backward of the transformer
 * (see model.h and docs/design.md "The model"). One training step at the bench's
 * M shape (d 128, L 4, B·T 2048) is ~10 gemms per layer plus row loops. */
#include "model.h"

#include <math.h>
#include <string.h>
#include <tgmath.h>

#include "alloc.h"
#include "attention.h"
#include "ops.h"
#include "quant.h"
#include "rng.h"

hs_status hs_config_validate(const hs_config *c)
{
    struct { const char *name; int v, lo, hi; } f[] = {
        {"vocab", c->vocab, c->patch_dim ? 0 : 2, c->patch_dim ? 0 : 1 << 24},
        {"patch_dim", c->patch_dim, 0, 1 << 16},     {"seq_len", c->seq_len, 1, 1 << 16},
        {"d_model", c->d_model, 1, 1 << 16}, {"heads", c->heads, 1, 1 << 10},
        {"layers", c->layers, 1, 1 << 10}, {"d_ff", c->d_ff, 1, 1 << 20},
        {"n_out", c->n_out, 2, 1 << 24},   {"lm", c->lm, 0, 1},
        {"causal", c->causal, 0, 1},
        {"post_ln", c->post_ln, 0, 1},     {"act", c->act, 0, HS_NUM_ACTS - 1},
        {"type_vocab", c->type_vocab, 0, 1 << 16}, {"pos_offset", c->pos_offset, 0, 1 << 16},
        {"pooler", c->pooler, HS_POOL_NONE, HS_POOL_RELU}, {"cls_last", c->cls_last, 0, 1},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (f[i].v < f[i].lo || f[i].v > f[i].hi)
            return hs_error_set(HS_ERR_INPUT, "model setting %s = %d: expected %d..%d", f[i].name,
                                f[i].v, f[i].lo, f[i].hi);
    if (!(c->ln_eps >= 0 && c->ln_eps <= 0.1)) /* also refuses NaN */
        return hs_error_set(HS_ERR_INPUT, "model setting ln_eps = %g: expected 0 (= 1e-05) or a value in (0, 0.1]",
                            c->ln_eps);
    if (c->lm && (c->pooler || c->cls_last))
        return hs_error_set(HS_ERR_INPUT, "model setting %s = %d: expected 0 for a language model (lm = 1)",
                            c->pooler ? "pooler" : "cls_last", c->pooler ? c->pooler : c->cls_last);
    if (c->d_model % c->heads)
        return hs_error_set(HS_ERR_INPUT, "model setting d_model = %d: expected a multiple of heads = %d",
                            c->d_model, c->heads);
    return HS_OK;
}

static void build_table(hs_model *m)
{
    const hs_config *c = &m->cfg;
    const size_t V = c->vocab, T = c->seq_len, d = c->d_model, L = c->layers, F = c->d_ff,
                 C = c->n_out, H = c->heads, P = c->patch_dim, dP = P ? d : 0,
                 TV = c->type_vocab, dE = c->post_ln ? d : 0, dF = c->post_ln ? 0 : d,
                 dQ = c->pooler ? d : 0, Tp = T + (size_t)c->pos_offset;
    struct { const char *name; int rank; size_t d0, d1, d2; int decay, trained; } t[HS_NUM_PARAMS] = {
        [HS_P_TOK_EMB] = {"tok_emb", 2, V, d, 0, 0, 1}, [HS_P_POS_EMB] = {"pos_emb", 2, Tp, d, 0, 0, 1},
        [HS_P_TYPE_EMB] = {"type_emb", 2, TV, d, 0, 0, 1},
        [HS_P_EMB_LN_G] = {"emb_ln_g", 1, dE, 0, 0, 0, 1}, [HS_P_EMB_LN_B] = {"emb_ln_b", 1, dE, 0, 0, 0, 1},
        [HS_P_PATCH_W] = {"patch_w", 2, P, d, 0, 1, 1}, [HS_P_PATCH_B] = {"patch_b", 1, dP, 0, 0, 0, 1},
        [HS_P_CLS_EMB] = {"cls_emb", 1, dP, 0, 0, 0, 1},
        [HS_P_LN1_G] = {"ln1_g", 2, L, d, 0, 0, 1},     [HS_P_LN1_B] = {"ln1_b", 2, L, d, 0, 0, 1},
        [HS_P_WQ] = {"wq", 3, L, d, d, 1, 1},           [HS_P_BQ] = {"bq", 2, L, d, 0, 0, 1},
        [HS_P_WK] = {"wk", 3, L, d, d, 1, 1},           [HS_P_BK] = {"bk", 2, L, d, 0, 0, 1},
        [HS_P_WV] = {"wv", 3, L, d, d, 1, 1},           [HS_P_BV] = {"bv", 2, L, d, 0, 0, 1},
        [HS_P_WO] = {"wo", 3, L, d, d, 1, 1},           [HS_P_BO] = {"bo", 2, L, d, 0, 0, 1},
        [HS_P_LN2_G] = {"ln2_g", 2, L, d, 0, 0, 1},     [HS_P_LN2_B] = {"ln2_b", 2, L, d, 0, 0, 1},
        [HS_P_W1] = {"w1", 3, L, d, F, 1, 1},           [HS_P_B1] = {"b1", 2, L, F, 0, 0, 1},
        [HS_P_W2] = {"w2", 3, L, F, d, 1, 1},           [HS_P_B2] = {"b2", 2, L, d, 0, 0, 1},
        [HS_P_LNF_G] = {"lnf_g", 1, dF, 0, 0, 0, 1},    [HS_P_LNF_B] = {"lnf_b", 1, dF, 0, 0, 0, 1},
        [HS_P_POOL_W] = {"pool_w", 2, dQ, d, 0, 1, 1},  [HS_P_POOL_B] = {"pool_b", 1, dQ, 0, 0, 0, 1},
        [HS_P_OUT_W] = {"out_w", 2, d, C, 0, 1, 1},     [HS_P_OUT_B] = {"out_b", 1, C, 0, 0, 0, 1},
        [HS_P_GATES] = {"gates", 2, L, H, 0, 0, 0},
    };
    size_t off = 0;
    for (int i = 0; i < HS_NUM_PARAMS; i++) {
        hs_tensor_info *ti = &m->info[i];
        ti->name = t[i].name;
        ti->rank = t[i].rank;
        ti->dims[0] = t[i].d0;
        ti->dims[1] = t[i].d1;
        ti->dims[2] = t[i].d2;
        ti->count = 1;
        for (int r = 0; r < ti->rank; r++) ti->count *= ti->dims[r];
        ti->offset = off;
        ti->decay = t[i].decay;
        ti->trained = t[i].trained;
        off += ti->count;
    }
    m->num_params = off;
}

void hs_model_table(const hs_config *cfg, hs_tensor_info info[HS_NUM_PARAMS], size_t *num_params)
{
    hs_model m;
    memset(&m, 0, sizeof m);
    m.cfg = *cfg;
    build_table(&m);
    memcpy(info, m.info, sizeof m.info);
    *num_params = m.num_params;
}

hs_status hs_model_create(hs_model **out, const hs_config *cfg)
{
    *out = NULL;
    HS_CHECK(hs_config_validate(cfg));
    hs_model *m;
    HS_CHECK(hs_calloc((void **)&m, 1, sizeof *m, "model"));
    m->cfg = *cfg;
    build_table(m);
    hs_status s = hs_calloc_big((void **)&m->params, m->num_params, sizeof(hs_real), "parameters");
    if (s == HS_OK) s = hs_calloc_big((void **)&m->grads, m->num_params, sizeof(hs_real), "gradients");
    if (s != HS_OK) {
        hs_model_destroy(&m);
        return s;
    }
    for (int i = 0; i < HS_NUM_PARAMS; i++) {
        m->p.at[i] = m->params + m->info[i].offset;
        m->g.at[i] = m->grads + m->info[i].offset;
    }
    for (size_t i = 0; i < m->info[HS_P_GATES].count; i++) m->p.gates[i] = 1;
    s = hs_calloc((void **)&m->layer_off, (size_t)cfg->layers, 1, "layer flags");
    if (s == HS_OK) s = hs_calloc((void **)&m->is_static, m->info[HS_P_GATES].count, 1, "static-head flags");
    if (s != HS_OK) {
        hs_model_destroy(&m);
        return s;
    }
    *out = m;
    return HS_OK;
}

void hs_model_init_weights(hs_model *m, uint64_t key) { hs_model_init_weights_skip(m, key, NULL); }

void hs_model_init_weights_skip(hs_model *m, uint64_t key, const unsigned char *skip)
{
    const hs_real resid_scale = 1 / sqrt((hs_real)(2 * m->cfg.layers));
    for (int i = 0; i < HS_NUM_PARAMS; i++) {
        hs_real *p = m->p.at[i];
        const hs_tensor_info *ti = &m->info[i];
        if (skip && skip[i]) continue;
        if (ti->count) memset(p, 0, sizeof(hs_real) * ti->count);
        if (i == HS_P_LN1_G || i == HS_P_LN2_G || i == HS_P_LNF_G || i == HS_P_EMB_LN_G || i == HS_P_GATES) {
            for (size_t k = 0; k < ti->count; k++) p[k] = 1;
        } else if (ti->decay || i == HS_P_TOK_EMB || i == HS_P_POS_EMB || i == HS_P_CLS_EMB ||
                   i == HS_P_TYPE_EMB) {
            /* one stream per tensor: adding a tensor never shifts the others */
            hs_rng r;
            hs_rng_seed(&r, hs_key_str(key, ti->name));
            hs_real scale = (i == HS_P_WO || i == HS_P_W2) ? resid_scale : 1;
            for (size_t k = 0; k < ti->count; k++) p[k] = (hs_real)(0.02 * hs_rng_normal(&r)) * scale;
        }
    }
}

/* Arena layout: every tensor sized for (max_B, max_T); a layer's slice starts
 * at l × (its max size), and a smaller batch uses the front of each slice. */
hs_status hs_model_setup_batch(hs_model *m, int B, int T)
{
    if (B < 1 || T < 1 || T > m->cfg.seq_len)
        return hs_error_set(HS_ERR_INPUT, "batch shape %d x %d: expected B >= 1 and 1 <= T <= seq_len = %d",
                            B, T, m->cfg.seq_len);
    if (m->arena && B <= m->max_B && T <= m->max_T) return HS_OK;
    hs_free_big(m->arena);
    m->arena = NULL;
    const size_t L = m->cfg.layers, d = m->cfg.d_model, F = m->cfg.d_ff, H = m->cfg.heads,
                 C = m->cfg.n_out, BT = (size_t)B * T, TT = (size_t)T * T;
    const size_t R = m->cfg.lm ? BT : (size_t)B;
    const size_t dE = m->cfg.post_ln ? d : 0, dQ = m->cfg.pooler ? d : 0, nE = m->cfg.post_ln ? BT : 0;
    struct { hs_real **ptr; size_t n; } parts[] = {
        {&m->a.res, (L + 1) * BT * d}, {&m->a.ln1, L * BT * d}, {&m->a.ln1_mean, L * BT},
        {&m->a.ln1_rstd, L * BT}, {&m->a.qkv, L * BT * 3 * d}, {&m->a.wqkv, d * 3 * d},
        {&m->a.bqkv, 3 * d}, {&m->a.ctx, L * BT * d}, {&m->a.gctx, BT * d},
        {&m->a.att, L * B * H * TT}, {&m->a.mid, L * BT * d}, {&m->a.ln2, L * BT * d},
        {&m->a.ln2_mean, L * BT}, {&m->a.ln2_rstd, L * BT}, {&m->a.ffpre, L * BT * F},
        {&m->a.ffact, BT * F}, {&m->a.ffd, BT * F}, {&m->a.fin_in, R * d}, {&m->a.lnf, R * d},
        {&m->a.lnf_mean, R}, {&m->a.lnf_rstd, R}, {&m->a.logits, R * C}, {&m->a.probs, R * C},
        {&m->a.dres, BT * d}, {&m->a.dln, BT * d}, {&m->a.dff, BT * F}, {&m->a.dqkv, BT * 3 * d},
        {&m->a.dctx, BT * d}, {&m->a.dp, TT}, {&m->a.dwqkv, d * 3 * d}, {&m->a.dbqkv, 3 * d},
        {&m->a.dfin, R * d}, {&m->a.dlogits, R * C}, {&m->a.pin, BT * m->cfg.patch_dim},
        {&m->a.gate_ex, L * B * H}, {&m->a.ex_gates, L * B * H},
        {&m->a.emb, BT * dE}, {&m->a.emb_mean, nE}, {&m->a.emb_rstd, nE},
        {&m->a.pool, R * dQ}, {&m->a.pool_d, R * dQ}, {&m->a.dpool, R * dQ},
    };
    size_t total = 0;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) total += parts[i].n;
    HS_CHECK(hs_calloc_big((void **)&m->arena, total, sizeof(hs_real), "activation arena"));
    size_t off = 0;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        *parts[i].ptr = parts[i].n ? m->arena + off : NULL;
        off += parts[i].n;
    }
    m->arena_len = total;
    m->max_B = B;
    m->max_T = T;
    return HS_OK;
}

/* Per-layer slices of the arena (strides use the arena's max shape). */
typedef struct {
    hs_real *res_in, *res_out, *ln1, *ln1_mean, *ln1_rstd, *mid, *ln2, *ln2_mean, *ln2_rstd,
        *ffpre, *ffact;
    hs_attn_saved s;
} layer_acts;

static layer_acts layer_slice(const hs_model *m, int l)
{
    const size_t d = m->cfg.d_model, F = m->cfg.d_ff, H = m->cfg.heads;
    const size_t BT = (size_t)m->max_B * m->max_T, TT = (size_t)m->max_T * m->max_T;
    const hs_acts *a = &m->a;
    layer_acts x;
    x.res_in = a->res + l * BT * d;
    x.res_out = a->res + (l + 1) * BT * d;
    x.ln1 = a->ln1 + l * BT * d;
    x.ln1_mean = a->ln1_mean + l * BT;
    x.ln1_rstd = a->ln1_rstd + l * BT;
    x.mid = a->mid + l * BT * d;
    x.ln2 = a->ln2 + l * BT * d;
    x.ln2_mean = a->ln2_mean + l * BT;
    x.ln2_rstd = a->ln2_rstd + l * BT;
    x.ffpre = a->ffpre + l * BT * F;
    x.ffact = a->ffact; /* scratch: backward recomputes it from ffpre */
    x.s.qkv = a->qkv + l * BT * 3 * d;
    x.s.wqkv = a->wqkv; /* scratch shared by the layers (attention.h) */
    x.s.bqkv = a->bqkv;
    x.s.ctx = a->ctx + l * BT * d;
    x.s.gctx = a->gctx;
    x.s.att = a->att + l * (size_t)m->max_B * H * TT;
    return x;
}

static hs_attn_weights attn_weights(const hs_model *m, const hs_param_views *v, int l)
{
    const hs_config *c = &m->cfg;
    const size_t dd = (size_t)c->d_model * c->d_model, d = c->d_model, H = c->heads,
                 T = c->seq_len;
    hs_attn_weights w = {v->wq + l * dd, v->bq + l * d, v->wk + l * dd, v->bk + l * d,
                         v->wv + l * dd, v->bv + l * d, v->wo + l * dd, v->bo + l * d,
                         v->gates + l * H, NULL, NULL, c->seq_len, NULL};
    if (m->static_att) {
        w.is_static = m->is_static + l * H;
        w.static_att = m->static_att + l * H * T * T;
    }
    return w;
}

hs_status hs_model_alloc_static(hs_model *m)
{
    if (m->static_att) return HS_OK;
    const size_t T = (size_t)m->cfg.seq_len;
    return hs_calloc((void **)&m->static_att, m->info[HS_P_GATES].count * T, T * sizeof(hs_real),
                     "constant attention matrices");
}

/* The quantised tensors (model.h HS_Q8_WEIGHTS), in qbuf order. */
static const int q8_tensors[] = {HS_P_WQ, HS_P_WK, HS_P_WV, HS_P_WO, HS_P_W1, HS_P_W2};
#define Q8_N ((int)(sizeof q8_tensors / sizeof q8_tensors[0]))

hs_status hs_model_set_quant(hs_model *m, int bits)
{
    if ((bits & HS_Q8_INPUTS) && m->cfg.post_ln)
        return hs_error_set(HS_ERR_INPUT, "int8 quantisation of the linear inputs needs a pre-LN model "
                                          "(this one is post-LN); expected quantize = \"none\"");
    if (bits && !m->qbuf) {
        size_t n = 0;
        for (int i = 0; i < Q8_N; i++) n += m->info[q8_tensors[i]].count;
        HS_CHECK(hs_calloc_big((void **)&m->qbuf, n, sizeof(hs_real), "int8 fake-quantised weights"));
    }
    m->qp = m->p;
    hs_real *at = m->qbuf;
    for (int i = 0; i < Q8_N && at; i++) {
        m->qp.at[q8_tensors[i]] = at;
        at += m->info[q8_tensors[i]].count;
    }
    m->quant = bits;
    return HS_OK;
}

/* Refreshes qp's quantised tensors from the fp32 masters: per layer, per
 * output channel (a column of the [in][out] storage). */
static void q8_refresh(hs_model *m)
{
    const hs_config *c = &m->cfg;
    const int L = c->layers, H = c->heads, d = c->d_model, F = c->d_ff, dh = d / H;
    for (int i = 0; i < Q8_N; i++) {
        const int id = q8_tensors[i];
        const int rows = id == HS_P_W2 ? F : d, cols = id == HS_P_W1 ? F : d;
        for (int l = 0; l < L; l++) {
            const size_t off = (size_t)l * rows * cols;
            /* Wo's rows are the heads' slices: a gated-off head is left out */
            const hs_real *gate = id == HS_P_WO && !m->gate_hook ? m->p.gates + (size_t)l * H : NULL;
            hs_q8_cols(NULL, NULL, m->qp.at[id] + off, m->p.at[id] + off, rows, cols, gate, dh);
        }
    }
}

static hs_status check_batch(const hs_model *m, const hs_batch *b)
{
    const hs_config *c = &m->cfg;
    if (b->B < 1 || b->T < 1 || b->B > m->max_B || b->T > m->max_T)
        return hs_error_set(HS_ERR_INPUT, "batch %d x %d does not fit the model's batch setup %d x %d",
                            b->B, b->T, m->max_B, m->max_T);
    if (c->patch_dim) {
        if (!b->patches) return hs_error_set(HS_ERR_INPUT, "an image model needs patches, not token ids");
    } else if (!b->tokens) {
        return hs_error_set(HS_ERR_INPUT, "a token model needs token ids");
    } else {
        for (int i = 0; i < b->B * b->T; i++)
            if (b->tokens[i] < 0 || b->tokens[i] >= c->vocab)
                return hs_error_set(HS_ERR_INPUT, "token id %d at row %d, position %d: expected 0..%d",
                                    b->tokens[i], i / b->T, i % b->T, c->vocab - 1);
    }
    if (b->types) {
        /* a model without type embeddings accepts only type 0 (nothing to add) */
        const int tv = c->type_vocab > 0 ? c->type_vocab : 1;
        for (int i = 0; i < b->B * b->T; i++)
            if (b->types[i] < 0 || b->types[i] >= tv)
                return hs_error_set(HS_ERR_INPUT, "token type %d at row %d, position %d: expected 0..%d",
                                    b->types[i], i / b->T, i % b->T, tv - 1);
    }
    if (b->lengths)
        for (int i = 0; i < b->B; i++)
            if (b->lengths[i] < 1 || b->lengths[i] > b->T)
                return hs_error_set(HS_ERR_INPUT, "length %d of row %d: expected 1..%d",
                                    b->lengths[i], i, b->T);
    if (b->targets) {
        const int R = c->lm ? b->B * b->T : b->B;
        for (int i = 0; i < R; i++)
            if (b->targets[i] < -1 || b->targets[i] >= c->n_out)
                return hs_error_set(HS_ERR_INPUT, "target %d at output row %d: expected -1..%d",
                                    b->targets[i], i, c->n_out - 1);
    }
    return HS_OK;
}

/* LayerNorm epsilon of the model (0 in the settings = 1e-5, today's bits). */
static hs_real ln_eps(const hs_config *c) { return c->ln_eps > 0 ? (hs_real)c->ln_eps : (hs_real)1e-5; }

/* The FFN activation: out = act(x), x becomes act'(x) (hs_gelu_backward then
 * applies any of them). */
static void act_forward(const hs_config *c, hs_real *out, hs_real *x, size_t n)
{
    switch (c->act) {
    case HS_ACT_GELU_ERF: hs_gelu_erf_forward(out, x, n); break;
    case HS_ACT_RELU: hs_relu_forward(out, x, n); break;
    default: hs_gelu_forward(out, x, n); break;
    }
}

/* out = act(x) alone, the same bits as act_forward's out: forward keeps only
 * the pre-activation per layer (ffpre) and backward recomputes act and act'
 * (one [B·T][F] buffer instead of one per layer). */
static void act_value(const hs_config *c, hs_real *out, const hs_real *x, size_t n)
{
    switch (c->act) {
    case HS_ACT_GELU_ERF: hs_gelu_erf_value(out, x, n); break;
    case HS_ACT_RELU: hs_relu_value(out, x, n); break;
    default: hs_gelu_value(out, x, n); break;
    }
}

/* The position whose output row b of a classification model reads: 0, or
 * with cls_last the row's last valid position. */
static int cls_pos(const hs_config *c, const hs_batch *b, int row)
{
    if (!c->cls_last) return 0;
    return b->lengths ? b->lengths[row] - 1 : b->T - 1;
}

/* res[0] = token embedding (or CLS / patch embedding) + position embedding
 * (row p + pos_offset) + type embedding; post-LN models then apply emb_ln
 * (the sum is kept in a.emb for backward). */
static void embed_forward(hs_model *m, const hs_batch *b)
{
    const hs_config *c = &m->cfg;
    const int B = b->B, T = b->T, d = c->d_model, P = c->patch_dim, BT = B * T;
    const hs_param_views *p = &m->p;
    hs_real *x0 = c->post_ln ? m->a.emb : m->a.res;
    if (P) {
        /* pin: the patches with each CLS row zeroed, so the patch products and
         * their gradients never see position 0 */
        for (size_t i = 0; i < (size_t)BT * P; i++) m->a.pin[i] = (hs_real)b->patches[i];
        for (int r = 0; r < B; r++) memset(m->a.pin + (size_t)r * T * P, 0, sizeof(hs_real) * P);
        hs_matmul_forward(x0, m->a.pin, p->patch_w, p->patch_b, BT, P, d, 0);
        for (int r = 0; r < B; r++) memcpy(x0 + (size_t)r * T * d, p->cls_emb, sizeof(hs_real) * d);
    } else {
        for (int i = 0; i < BT; i++)
            memcpy(x0 + (size_t)i * d, p->tok_emb + (size_t)b->tokens[i] * d, sizeof(hs_real) * d);
    }
    for (int i = 0; i < BT; i++) {
        const hs_real *pe = p->pos_emb + (size_t)(i % T + c->pos_offset) * d;
        for (int k = 0; k < d; k++) x0[(size_t)i * d + k] += pe[k];
    }
    if (c->type_vocab > 0)
        for (int i = 0; i < BT; i++) {
            const hs_real *te = p->type_emb + (size_t)(b->types ? b->types[i] : 0) * d;
            for (int k = 0; k < d; k++) x0[(size_t)i * d + k] += te[k];
        }
    if (c->post_ln)
        hs_layernorm_forward_eps(m->a.res, m->a.emb_mean, m->a.emb_rstd, x0, p->emb_ln_g, p->emb_ln_b, BT,
                                 d, ln_eps(c));
}

/* Gradients of the embeddings from dres = ∂L/∂res[0] (post-LN: through
 * emb_ln first, into the dln scratch). */
static void embed_backward(hs_model *m, const hs_batch *b)
{
    const hs_config *c = &m->cfg;
    const int B = b->B, T = b->T, d = c->d_model, P = c->patch_dim, BT = B * T;
    const hs_param_views *g = &m->g;
    const hs_real *dres = m->a.dres;
    if (c->post_ln) {
        memset(m->a.dln, 0, sizeof(hs_real) * (size_t)BT * d);
        hs_layernorm_backward(m->a.dln, g->emb_ln_g, g->emb_ln_b, dres, m->a.emb, m->p.emb_ln_g,
                              m->a.emb_mean, m->a.emb_rstd, BT, d);
        dres = m->a.dln;
    }
    for (int i = 0; i < BT; i++) {
        hs_real *pe = g->pos_emb + (size_t)(i % T + c->pos_offset) * d;
        const hs_real *dr = dres + (size_t)i * d;
        for (int k = 0; k < d; k++) pe[k] += dr[k];
    }
    if (c->type_vocab > 0)
        for (int i = 0; i < BT; i++) {
            hs_real *te = g->type_emb + (size_t)(b->types ? b->types[i] : 0) * d;
            const hs_real *dr = dres + (size_t)i * d;
            for (int k = 0; k < d; k++) te[k] += dr[k];
        }
    if (P) {
        /* CLS rows of pin are zero: they add nothing to patch_w; patch_b and
         * cls_emb split the rows by position */
        hs_matmul_backward(NULL, g->patch_w, NULL, dres, m->a.pin, m->p.patch_w, BT, P, d, 0);
        for (int i = 0; i < BT; i++) {
            hs_real *dst = i % T ? g->patch_b : g->cls_emb;
            const hs_real *dr = dres + (size_t)i * d;
            for (int k = 0; k < d; k++) dst[k] += dr[k];
        }
    } else {
        for (int i = 0; i < BT; i++) {
            hs_real *te = g->tok_emb + (size_t)b->tokens[i] * d;
            const hs_real *dr = dres + (size_t)i * d;
            for (int k = 0; k < d; k++) te[k] += dr[k];
        }
    }
}

hs_status hs_model_forward(hs_model *m, const hs_batch *b) { return hs_model_forward_with(m, b, NULL); }

/* Where the head reads from. fin: the top rows it reads (all of them for an
 * LM, a.fin_in for classification); hin: fin after the final LN (pre-LN) or
 * fin itself (post-LN); oin: what out_w multiplies (the pooler's output or hin). */
typedef struct {
    const hs_real *fin, *hin, *oin;
} head_rows;

static head_rows head_slice(const hs_model *m)
{
    const hs_config *c = &m->cfg;
    head_rows h;
    h.fin = c->lm ? layer_slice(m, c->layers - 1).res_out : m->a.fin_in;
    h.hin = c->post_ln ? h.fin : m->a.lnf;
    h.oin = c->pooler ? m->a.pool : h.hin;
    return h;
}

/* Layer activations, pre-LN (headsweep's own, GPT-2):
 *   ln1 = LN1(res_in); mid = res_in + attn(ln1); ln2 = LN2(mid);
 *   res_out = mid + W2·act(ln2 W1 + b1) + b2.
 * Post-LN (BERT, RoBERTa, DistilBERT) reuses the same slots:
 *   mid = res_in + attn(res_in); ln1 = LN1(mid);
 *   ln2 = ln1 + W2·act(ln1 W1 + b1) + b2 (before LN2); res_out = LN2(ln2). */
hs_status hs_model_forward_with(hs_model *m, const hs_batch *b, const hs_layer_attn *ov)
{
    if (!m->arena)
        return hs_error_set(HS_ERR_INPUT, "model forward before hs_model_setup_batch");
    HS_CHECK(check_batch(m, b));
    const hs_config *c = &m->cfg;
    const int B = b->B, T = b->T, d = c->d_model, F = c->d_ff, C = c->n_out, BT = B * T;
    const int q8w = !ov && (m->quant & HS_Q8_WEIGHTS), q8in = !ov && (m->quant & HS_Q8_INPUTS);
    if (q8w) q8_refresh(m);
    const hs_param_views *p = q8w ? &m->qp : &m->p;
    const hs_real eps = ln_eps(c);
    m->B = B;
    m->T = T;
    m->R = c->lm ? BT : B;

    embed_forward(m, b);
    for (int l = 0; l < c->layers; l++) {
        layer_acts x = layer_slice(m, l);
        if (m->layer_off[l]) { /* a dropped layer is the identity on the residual (its LNs too) */
            memcpy(x.res_out, x.res_in, sizeof(hs_real) * BT * d);
            continue;
        }
        hs_attn_weights w = ov ? ov[l].w : attn_weights(m, p, l);
        const hs_attn_shape sh = {B, T, d, ov ? ov[l].heads : c->heads, d / c->heads, c->causal,
                                  b->lengths, q8in};
        if (m->gate_hook && sh.H == c->heads) { /* per-example gates from the layer input */
            hs_real *gx = m->a.ex_gates + (size_t)l * m->max_B * c->heads;
            m->gate_hook->forward(m->gate_hook->ctx, l, b, x.res_in, gx);
            w.gates_ex = gx;
        }
        const hs_real *w1 = p->w1 + (size_t)l * d * F, *b1 = p->b1 + (size_t)l * F,
                      *w2 = p->w2 + (size_t)l * F * d, *b2 = p->b2 + l * d;
        if (c->post_ln) {
            memcpy(x.mid, x.res_in, sizeof(hs_real) * BT * d);
            hs_attention_forward(x.mid, &x.s, x.res_in, &w, &sh);
            hs_layernorm_forward_eps(x.ln1, x.ln1_mean, x.ln1_rstd, x.mid, p->ln1_g + l * d,
                                     p->ln1_b + l * d, BT, d, eps);
            hs_matmul_forward(x.ffpre, x.ln1, w1, b1, BT, d, F, 0);
            act_value(c, x.ffact, x.ffpre, (size_t)BT * F);
            memcpy(x.ln2, x.ln1, sizeof(hs_real) * BT * d);
            hs_matmul_forward(x.ln2, x.ffact, w2, b2, BT, F, d, 1);
            hs_layernorm_forward_eps(x.res_out, x.ln2_mean, x.ln2_rstd, x.ln2, p->ln2_g + l * d,
                                     p->ln2_b + l * d, BT, d, eps);
            continue;
        }
        hs_layernorm_forward_eps(x.ln1, x.ln1_mean, x.ln1_rstd, x.res_in, p->ln1_g + l * d,
                                 p->ln1_b + l * d, BT, d, eps);
        /* LN backward reads its input and statistics, not its output: the
         * linear inputs can be quantised in place (and backward's dW uses them) */
        if (q8in) hs_q8_fake_tensor(x.ln1, (size_t)BT * d);
        memcpy(x.mid, x.res_in, sizeof(hs_real) * BT * d);
        hs_attention_forward(x.mid, &x.s, x.ln1, &w, &sh);
        hs_layernorm_forward_eps(x.ln2, x.ln2_mean, x.ln2_rstd, x.mid, p->ln2_g + l * d,
                                 p->ln2_b + l * d, BT, d, eps);
        if (q8in) hs_q8_fake_tensor(x.ln2, (size_t)BT * d);
        hs_matmul_forward(x.ffpre, x.ln2, w1, b1, BT, d, F, 0);
        act_value(c, x.ffact, x.ffpre, (size_t)BT * F);
        if (q8in) hs_q8_fake_tensor(x.ffact, (size_t)BT * F);
        memcpy(x.res_out, x.mid, sizeof(hs_real) * BT * d);
        hs_matmul_forward(x.res_out, x.ffact, w2, b2, BT, F, d, 1);
    }

    /* the output head reads one position per row (classification: 0, or the
     * last valid one with cls_last) or every position (LM) */
    const hs_real *top = layer_slice(m, c->layers - 1).res_out;
    if (!c->lm)
        for (int i = 0; i < B; i++)
            memcpy(m->a.fin_in + (size_t)i * d, top + ((size_t)i * T + cls_pos(c, b, i)) * d,
                   sizeof(hs_real) * d);
    const head_rows h = head_slice(m);
    if (!c->post_ln)
        hs_layernorm_forward_eps(m->a.lnf, m->a.lnf_mean, m->a.lnf_rstd, h.fin, p->lnf_g, p->lnf_b, m->R, d,
                                 eps);
    if (c->pooler) { /* pool = act(hin Wp + bp); pool_d = act' */
        hs_matmul_forward(m->a.pool_d, h.hin, p->pool_w, p->pool_b, m->R, d, d, 0);
        if (c->pooler == HS_POOL_TANH)
            hs_tanh_forward(m->a.pool, m->a.pool_d, (size_t)m->R * d);
        else
            hs_relu_forward(m->a.pool, m->a.pool_d, (size_t)m->R * d);
    }
    hs_matmul_forward(m->a.logits, h.oin, p->out_w, p->out_b, m->R, d, C, 0);

    m->has_targets = b->targets != NULL && !ov; /* no backward after a pruned-attention forward */
    m->loss = 0;
    m->loss_count = 0;
    if (b->targets) {
        double sum = hs_xent_forward(m->a.probs, m->a.logits, b->targets, m->R, C, &m->loss_count);
        m->loss = m->loss_count ? sum / m->loss_count : 0;
        if (m->kd_logits && !ov && m->loss_count) { /* distillation (model.h) */
            const double tk = m->kd_temperature, al = m->kd_alpha;
            const double soft = hs_soft_xent_forward(m->a.logits, m->kd_logits, b->targets, m->R, C, tk);
            m->loss = ((1 - al) * sum + al * tk * tk * soft) / m->loss_count;
        }
    }
    return HS_OK;
}

void hs_model_zero_grad(hs_model *m) { memset(m->grads, 0, sizeof(hs_real) * m->num_params); }

void hs_model_backward(hs_model *m, const hs_batch *b)
{
    HS_ASSERT(m->has_targets && m->B == b->B && m->T == b->T);
    const hs_config *c = &m->cfg;
    const int B = b->B, T = b->T, d = c->d_model, F = c->d_ff, C = c->n_out, BT = B * T, R = m->R;
    const int q8in = (m->quant & HS_Q8_INPUTS) != 0;
    /* quantised weights: the gradients of Ŵ land on W (straight-through) */
    const hs_param_views *p = (m->quant & HS_Q8_WEIGHTS) ? &m->qp : &m->p, *g = &m->g;
    hs_acts *a = &m->a;
    if (m->loss_count == 0) return; /* nothing counted: zero gradient */
    const int denom = m->loss_denom > 0 ? m->loss_denom : m->loss_count;

    if (!m->kd_logits) {
        hs_xent_backward(a->dlogits, a->probs, b->targets, R, C, (hs_real)1 / denom);
    } else { /* distillation: ∂(α·T²·soft)/∂z = α·T·(softmax(z/T) − softmax(teacher/T)) per row */
        const double tk = m->kd_temperature, al = m->kd_alpha;
        hs_xent_backward(a->dlogits, a->probs, b->targets, R, C, (hs_real)((1 - al) / denom));
        hs_soft_xent_backward(a->dlogits, a->logits, m->kd_logits, b->targets, R, C, tk, al * tk / denom);
    }
    const head_rows h = head_slice(m);
    /* gates_only: every weight-gradient pointer below is NULL (nothing written) */
    const int wg = !m->gates_only;
#define WG(ptr) (wg ? (ptr) : NULL)
    /* dfin = ∂L/∂hin (through the pooler when there is one) */
    hs_matmul_backward(c->pooler ? a->dpool : a->dfin, WG(g->out_w), WG(g->out_b), a->dlogits, h.oin, p->out_w,
                       R, d, C, 0);
    if (c->pooler) {
        hs_gelu_backward(a->dpool, a->pool_d, a->dpool, (size_t)R * d);
        hs_matmul_backward(a->dfin, WG(g->pool_w), WG(g->pool_b), a->dpool, h.hin, p->pool_w, R, d, d, 0);
    }
    memset(a->dres, 0, sizeof(hs_real) * (size_t)BT * d);
    if (c->lm) {
        if (c->post_ln)
            memcpy(a->dres, a->dfin, sizeof(hs_real) * (size_t)BT * d);
        else
            hs_layernorm_backward(a->dres, WG(g->lnf_g), WG(g->lnf_b), a->dfin, h.fin, p->lnf_g, a->lnf_mean,
                                  a->lnf_rstd, R, d);
    } else {
        /* only the read position of each row receives gradient */
        const hs_real *dtop = a->dfin;
        if (!c->post_ln) {
            memset(a->dln, 0, sizeof(hs_real) * (size_t)B * d);
            hs_layernorm_backward(a->dln, WG(g->lnf_g), WG(g->lnf_b), a->dfin, a->fin_in, p->lnf_g,
                                  a->lnf_mean, a->lnf_rstd, B, d);
            dtop = a->dln;
        }
        for (int i = 0; i < B; i++)
            memcpy(a->dres + ((size_t)i * T + cls_pos(c, b, i)) * d, dtop + (size_t)i * d,
                   sizeof(hs_real) * d);
    }

    const hs_attn_shape sh = {B, T, d, c->heads, d / c->heads, c->causal, b->lengths, q8in};
    for (int l = c->layers - 1; l >= 0; l--) {
        if (m->layer_off[l]) continue; /* identity: dres passes through */
        layer_acts x = layer_slice(m, l);
        hs_real *const dgx = a->gate_ex + (size_t)l * B * c->heads;
        const hs_attn_scratch scr = {a->dqkv, a->dctx, a->dp, a->dwqkv, a->dbqkv,
                                     m->want_gate_ex || m->gate_hook ? dgx : NULL};
        hs_real *gw1 = WG(g->w1 + (size_t)l * d * F), *gb1 = WG(g->b1 + (size_t)l * F),
                *gw2 = WG(g->w2 + (size_t)l * F * d), *gb2 = WG(g->b2 + l * d);
        hs_real *gln1_g = WG(g->ln1_g + l * d), *gln1_b = WG(g->ln1_b + l * d), *gln2_g = WG(g->ln2_g + l * d),
                *gln2_b = WG(g->ln2_b + l * d);
        const hs_real *w1 = p->w1 + (size_t)l * d * F, *w2 = p->w2 + (size_t)l * F * d;
        hs_attn_weights w = attn_weights(m, p, l), gw = attn_weights(m, g, l);
        if (!wg) {
            hs_real *const gates = gw.gates;
            memset(&gw, 0, sizeof gw);
            gw.gates = gates;
        }
        if (m->gate_hook) w.gates_ex = a->ex_gates + (size_t)l * m->max_B * c->heads;
        /* gates only and nothing reads ∂L/∂res_in of layer 0: stop at its gates */
        const int last = !wg && l == 0 && !(m->gate_hook && m->gate_hook->backward);
        /* act and act' of the FFN from the kept pre-activation (act_value) */
        memcpy(a->ffd, x.ffpre, sizeof(hs_real) * (size_t)BT * F);
        act_forward(c, x.ffact, a->ffd, (size_t)BT * F);
        if (q8in) { /* W2's input exactly as forward quantised it */
            act_value(c, x.ffact, x.ffpre, (size_t)BT * F);
            hs_q8_fake_tensor(x.ffact, (size_t)BT * F);
        }
        if (c->post_ln) {
            /* dres = ∂L/∂res_out; res_out = LN2(u), u = ln1 + ffn(ln1) */
            memset(a->dln, 0, sizeof(hs_real) * (size_t)BT * d);
            hs_layernorm_backward(a->dln, gln2_g, gln2_b, a->dres, x.ln2, p->ln2_g + l * d, x.ln2_mean,
                                  x.ln2_rstd, BT, d);
            hs_matmul_backward(a->dff, gw2, gb2, a->dln, x.ffact, w2, BT, F, d, 0);
            hs_gelu_backward(a->dff, a->ffd, a->dff, (size_t)BT * F);
            hs_matmul_backward(a->dln, gw1, gb1, a->dff, x.ln1, w1, BT, d, F, 1); /* + the residual */
            /* dln = ∂L/∂ln1; ln1 = LN1(mid) */
            memset(a->dres, 0, sizeof(hs_real) * (size_t)BT * d);
            hs_layernorm_backward(a->dres, gln1_g, gln1_b, a->dln, x.mid, p->ln1_g + l * d, x.ln1_mean,
                                  x.ln1_rstd, BT, d);
            /* dres = ∂L/∂mid; mid = res_in + attn(res_in) */
            hs_attention_backward(last ? NULL : a->dln, &gw, &scr, a->dres, x.res_in, &x.s, &w, &sh);
            if (last) break;
            for (size_t i = 0; i < (size_t)BT * d; i++) a->dres[i] += a->dln[i];
        } else {
            /* res_out = mid + act(LN2(mid) W1 + b1) W2 + b2 ; dres holds ∂L/∂res_out */
            hs_matmul_backward(a->dff, gw2, gb2, a->dres, x.ffact, w2, BT, F, d, 0);
            hs_gelu_backward(a->dff, a->ffd, a->dff, (size_t)BT * F);
            hs_matmul_backward(a->dln, gw1, gb1, a->dff, x.ln2, w1, BT, d, F, 0);
            hs_layernorm_backward(a->dres, gln2_g, gln2_b, a->dln, x.mid, p->ln2_g + l * d, x.ln2_mean,
                                  x.ln2_rstd, BT, d);
            /* now dres = ∂L/∂mid ; mid = res_in + attention(LN1(res_in)) */
            hs_attention_backward(last ? NULL : a->dln, &gw, &scr, a->dres, x.ln1, &x.s, &w, &sh);
            if (last) break;
            hs_layernorm_backward(a->dres, gln1_g, gln1_b, a->dln, x.res_in, p->ln1_g + l * d, x.ln1_mean,
                                  x.ln1_rstd, BT, d);
        }
        if (m->gate_hook && m->gate_hook->backward) /* the gates' own path from res_in */
            m->gate_hook->backward(m->gate_hook->ctx, l, b, x.res_in, dgx, a->dres);
    }
    if (wg) embed_backward(m, b);
#undef WG
}

void hs_model_count_correct(const hs_model *m, const int *targets, long *correct, long *count)
{
    const int C = m->cfg.n_out;
    for (int r = 0; r < m->R; r++) {
        if (targets[r] < 0) continue;
        const hs_real *z = m->a.logits + (size_t)r * C;
        int best = 0;
        for (int c = 1; c < C; c++)
            if (z[c] > z[best]) best = c;
        *correct += best == targets[r];
        *count += 1;
    }
}

void hs_model_destroy(hs_model **mp)
{
    if (!mp || !*mp) return;
    hs_model *m = *mp;
    hs_free_big(m->params);
    hs_free_big(m->grads);
    hs_free_big(m->arena);
    hs_free(m->layer_off);
    hs_free(m->is_static);
    hs_free(m->static_att);
    hs_free_big(m->qbuf);
    hs_free(m);
    *mp = NULL;
}

double hs_model_forward_flops(const hs_config *c, int B, int T)
{
    const double BT = (double)B * T, d = c->d_model, F = c->d_ff, L = c->layers;
    const double R = c->lm ? BT : B;
    const double per_layer = 2 * BT * d * d * 4   /* q, k, v, o projections */
                             + 2 * 2 * (double)B * T * T * d /* scores and context */
                             + 2 * 2 * BT * d * F;           /* FFN */
    const double pool = c->pooler ? 2 * R * d * d : 0; /* the pooler's dense layer */
    return L * per_layer + pool + 2 * R * d * c->n_out;
}
