/* shrink.h — physical removal of pruned heads (docs/methods.md, "Shared conventions").
 *
 * From a model and a head mask, builds per-layer compact attention weights
 * holding only the surviving heads: columns j·dh… of Wq, Wk, Wv and entries
 * of bq, bk, bv, rows j·dh… of Wo; bo is kept. A layer with no heads left
 * skips attention and adds bo. The shrunk model runs through the same
 * attention core (hs_model_forward_with) and must give the masked model's
 * outputs; its FLOPs and latency are what pruning buys. */
#ifndef HS_PRUNE_SHRINK_H
#define HS_PRUNE_SHRINK_H

#include "../core/model.h"

typedef struct {
    int layers;
    hs_layer_attn *attn; /* [L] */
    hs_real *store;      /* all compact weights, one allocation */
    long heads_kept;
    /* constant (PAPA) heads among the kept ones: for each layer with any,
     * is_static [heads] and static_att [heads][Tc][Tc] (Tc = seq_len) of its
     * compact heads; NULL when the model has none */
    unsigned char *static_flags;
    hs_real *static_store;
} hs_shrunk;

/* Builds the compact attention of m for mask [L][H] (1 = keep). Surviving
 * heads keep their gate values and, if m marks them static, their constant
 * matrices. *out owned by the caller (hs_shrunk_free). */
hs_status hs_shrunk_build(hs_shrunk *out, const hs_model *m, const unsigned char *mask);
void hs_shrunk_free(hs_shrunk *s);

/* Forward FLOPs (multiply-add = 2) of m at (B, T) with heads_per_layer[l]
 * heads in layer l and layers with layer_off set removed entirely. */
double hs_flops_pruned(const hs_model *m, int B, int T, const int *heads_per_layer);

#endif
