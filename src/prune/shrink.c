/* shrink.c — compact attention weights for the surviving heads (see shrink.h). */
#include "shrink.h"

#include <string.h>

#include "../core/alloc.h"

/* Carries the constant matrices of kept static heads into the compact
 * layers: a layer with any kept static head gets is_static and static_att
 * indexed by its compact head number (the core indexes them that way). */
static hs_status shrink_static(hs_shrunk *out, const hs_model *m, const unsigned char *mask)
{
    if (!m->static_att) return HS_OK;
    const int L = m->cfg.layers, H = m->cfg.heads;
    const size_t TT = (size_t)m->cfg.seq_len * m->cfg.seq_len;
    size_t heads = 0; /* compact heads of the layers that need matrices */
    for (int l = 0; l < L; l++) {
        int any = 0;
        for (int j = 0; j < H; j++) any |= mask[l * H + j] && m->is_static[l * H + j];
        if (any) heads += (size_t)out->attn[l].heads;
    }
    if (!heads) return HS_OK;
    HS_CHECK(hs_calloc((void **)&out->static_flags, heads, 1, "shrunk static flags"));
    HS_CHECK(hs_calloc((void **)&out->static_store, heads * TT, sizeof(hs_real), "shrunk constant matrices"));
    unsigned char *f = out->static_flags;
    hs_real *c = out->static_store;
    for (int l = 0; l < L; l++) {
        int any = 0;
        for (int j = 0; j < H; j++) any |= mask[l * H + j] && m->is_static[l * H + j];
        if (!any) continue;
        hs_attn_weights *w = &out->attn[l].w;
        w->is_static = f;
        w->static_att = c;
        w->static_T = m->cfg.seq_len;
        for (int j = 0; j < H; j++) {
            if (!mask[l * H + j]) continue;
            *f++ = m->is_static[l * H + j];
            memcpy(c, m->static_att + ((size_t)l * H + j) * TT, sizeof(hs_real) * TT);
            c += TT;
        }
    }
    return HS_OK;
}

hs_status hs_shrunk_build(hs_shrunk *out, const hs_model *m, const unsigned char *mask)
{
    memset(out, 0, sizeof *out);
    const int L = m->cfg.layers, H = m->cfg.heads, d = m->cfg.d_model, dh = d / H;
    long kept = 0;
    for (int i = 0; i < L * H; i++) kept += mask[i] != 0;
    /* per kept head: 3 column blocks d·dh, 3 bias blocks dh, Wo rows dh·d, gate; per layer bo */
    const size_t per_head = 3 * (size_t)d * dh + 3 * (size_t)dh + (size_t)dh * d + 1;
    HS_CHECK(hs_calloc((void **)&out->attn, (size_t)L, sizeof(hs_layer_attn), "shrunk layers"));
    hs_status s = hs_calloc((void **)&out->store, (size_t)kept * per_head + (size_t)L * d + 1,
                            sizeof(hs_real), "shrunk weights");
    if (s != HS_OK) {
        hs_shrunk_free(out);
        return s;
    }
    out->layers = L;
    out->heads_kept = kept;
    hs_real *p = out->store;
    for (int l = 0; l < L; l++) {
        int hl = 0;
        for (int j = 0; j < H; j++) hl += mask[l * H + j] != 0;
        const int di = hl * dh;
        hs_attn_weights *w = &out->attn[l].w;
        out->attn[l].heads = hl;
        w->wq = p, p += (size_t)d * di;
        w->wk = p, p += (size_t)d * di;
        w->wv = p, p += (size_t)d * di;
        w->bq = p, p += di;
        w->bk = p, p += di;
        w->bv = p, p += di;
        w->wo = p, p += (size_t)di * d;
        w->gates = p, p += hl;
        w->bo = p, p += d;
        const size_t dd = (size_t)d * d;
        const hs_real *src_w[3] = {m->p.wq + l * dd, m->p.wk + l * dd, m->p.wv + l * dd};
        const hs_real *src_b[3] = {m->p.bq + (size_t)l * d, m->p.bk + (size_t)l * d,
                                   m->p.bv + (size_t)l * d};
        hs_real *dst_w[3] = {w->wq, w->wk, w->wv}, *dst_b[3] = {w->bq, w->bk, w->bv};
        int k = 0;
        for (int j = 0; j < H; j++) {
            if (!mask[l * H + j]) continue;
            for (int t = 0; t < 3; t++) {
                for (int r = 0; r < d; r++)
                    memcpy(dst_w[t] + (size_t)r * di + k * dh, src_w[t] + (size_t)r * d + j * dh,
                           sizeof(hs_real) * dh);
                memcpy(dst_b[t] + k * dh, src_b[t] + j * dh, sizeof(hs_real) * dh);
            }
            memcpy(w->wo + (size_t)k * dh * d, m->p.wo + l * dd + (size_t)j * dh * d,
                   sizeof(hs_real) * dh * d);
            w->gates[k] = m->p.gates[l * H + j];
            k++;
        }
        memcpy(w->bo, m->p.bo + (size_t)l * d, sizeof(hs_real) * d);
    }
    s = shrink_static(out, m, mask);
    if (s != HS_OK) hs_shrunk_free(out);
    return s;
}

void hs_shrunk_free(hs_shrunk *s)
{
    hs_free(s->attn);
    hs_free(s->store);
    hs_free(s->static_flags);
    hs_free(s->static_store);
    memset(s, 0, sizeof *s);
}

double hs_flops_pruned(const hs_model *m, int B, int T, const int *heads_per_layer)
{
    const hs_config *c = &m->cfg;
    const double BT = (double)B * T, d = c->d_model, F = c->d_ff, dh = d / c->heads;
    const double R = c->lm ? BT : B;
    double f = 2 * R * d * c->n_out + (c->pooler ? 2 * R * d * d : 0); /* head, pooler */
    if (c->patch_dim) f += 2 * BT * c->patch_dim * d;
    for (int l = 0; l < c->layers; l++) {
        if (m->layer_off[l]) continue;
        const double di = heads_per_layer[l] * dh;
        f += 2 * BT * d * di * 4             /* q, k, v, o projections of the kept heads */
             + 2 * 2 * (double)B * T * T * di /* scores and contexts */
             + 2 * 2 * BT * d * F;           /* FFN */
    }
    return f;
}
