/* model_util.c — a model's copy and its parameter count under a head mask
 * (see model_util.h), both read off the parameter table m->info. */
#include "model_util.h"

#include <string.h>

hs_status hs_model_clone(hs_model **out, const hs_model *base)
{
    HS_CHECK(hs_model_create(out, &base->cfg));
    memcpy((*out)->params, base->params, sizeof(hs_real) * base->num_params);
    memcpy((*out)->layer_off, base->layer_off, (size_t)base->cfg.layers);
    return HS_OK;
}

/* The tensors a head owns a slice of (Q, K, V columns and biases, Wo rows:
 * 1/H of each layer's share), and the per-layer tensors stored [L][...]
 * (model.h: LN1 to the FFN). */
static int per_head(int i)
{
    return i == HS_P_WQ || i == HS_P_BQ || i == HS_P_WK || i == HS_P_BK || i == HS_P_WV || i == HS_P_BV ||
           i == HS_P_WO;
}
static int per_layer(int i) { return i >= HS_P_LN1_G && i <= HS_P_B2; }

long hs_params_kept(const hs_model *m, const unsigned char *mask)
{
    const long L = m->cfg.layers, H = m->cfg.heads;
    long n = 0, head = 0, layer_rest = 0; /* a head's parameters; the rest of one layer */
    for (int i = 0; i < HS_NUM_PARAMS; i++) {
        const long count = (long)m->info[i].count;
        if (i != HS_P_GATES) n += count;
        if (per_head(i)) head += count / (L * H);
        else if (per_layer(i)) layer_rest += count / L;
    }
    for (int l = 0; l < L; l++) {
        long removed = 0;
        for (int j = 0; j < H; j++) removed += !mask[l * H + j];
        n -= removed * head;
        if (m->layer_off[l]) n -= layer_rest;
    }
    return n;
}
