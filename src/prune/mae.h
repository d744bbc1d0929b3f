/* mae.h — the mixture of attention experts of `mae` (Peng, Schwartz, Li,
 * Smith 2020, "A Mixture of h−1 Heads is Better than h Heads"; docs/methods.md "mae").
 *
 * Every layer becomes a mixture of E experts; expert e keeps a fixed set S_e
 * of H − k heads, scaled by H/(H − k). A gating network per layer maps the
 * mean of the layer input over the valid positions of an example to expert
 * weights w(x) (tanh → linear → tanh → linear → softmax). Attention is linear
 * in the head gates, so the mixture is one pass with per-example head gates
 *
 *     G[b][j] = H/(H − k) · Σ_{e : j ∈ S_e} w_e(x_b)
 *
 * which the model's gate hook (model.h, hs_gate_hook) computes at every layer
 * from that layer's actual input, and whose backward chains ∂L/∂G through the
 * softmax and both tanh layers into the gate parameters φ and back into the
 * layer input.
 *
 * Experts: all C(H, k) head subsets of size H − k while C(H, k) ≤ max_experts
 * (lexicographic order of the dropped set), else H experts where expert e
 * drops the k heads e, e+1, …, e+k−1 (mod H). Both sets drop every head
 * equally often, so uniform weights give G = 1: the plain model.
 *
 * This header exposes the state for the method (mae.c) and its tests. */
#ifndef HS_PRUNE_MAE_H
#define HS_PRUNE_MAE_H

#include <stdint.h>

#include "../core/model.h"
#include "../core/rng.h"

typedef enum { HS_MAE_LEARNED = 0, HS_MAE_UNIFORM = 1 } hs_mae_gate;

typedef struct {
    int L, H, d, hidden; /* hidden: width of the gate network's middle layer */
    int k, E;            /* heads dropped per expert, experts per layer */
    int causal_lm;       /* the model is a causal LM: see hs_mae_span */
    hs_real scale;       /* H/(H − k) */
    unsigned char *keep; /* [E][H]: 1 = expert e keeps head j */
    hs_mae_gate gate;
    /* modes (the method flips them between training and evaluation) */
    int training;        /* 1 while training: the uniform gate samples (if sample) */
    int sample;          /* uniform gate, training: one random expert per example and layer (UNI-MAE) */
    int argmax;          /* evaluation: only the arg-max expert (docs/methods.md "mae"), no gradient */
    hs_rng rng;          /* the uniform gate's draws */
    /* φ, one buffer; per layer l (stride per_layer): W1 [d][hidden], b1
     * [hidden], W2 [hidden][E], b2 [E]. dphi has the same layout. */
    size_t per_layer, n_phi;
    hs_real *phi, *dphi;
    hs_real *adam_m, *adam_v; /* Adam moments of φ */
    long adam_t;
    hs_real *scratch;    /* one example's activations */
    hs_gate_hook hook;   /* ctx = this */
} hs_mae;

/* Views of layer l's gate parameters inside a φ-shaped buffer (phi or dphi). */
typedef struct {
    hs_real *w1, *b1, *w2, *b2;
} hs_mae_layer;
hs_mae_layer hs_mae_layer_view(const hs_mae *g, hs_real *buf, int l);

/* Experts for k dropped heads of cfg's H (0 ≤ k < H, else HS_ERR_INPUT),
 * hidden width (0 = d_model), at most max_experts full subsets. φ: W1 ~
 * N(0, 1/d), W2 ~ N(0, 0.02²) (near-uniform weights at the start, so the
 * mixture starts as the plain model), biases 0, from key. *out owned by the
 * caller (hs_mae_free). */
hs_status hs_mae_create(hs_mae **out, const hs_config *cfg, int k, int hidden, int max_experts,
                        hs_mae_gate gate, uint64_t key);
void hs_mae_free(hs_mae **g);

/* Sets (or with g = NULL clears) m's gate hook. */
void hs_mae_attach(hs_mae *g, hs_model *m);

/* Positions of example b whose mean feeds the gate: its valid positions,
 * except in a causal LM, where only those up to the first scored position
 * (a scored output must not see later inputs through the gate). */
int hs_mae_span(const hs_mae *g, const hs_batch *b, int example);

/* Expert weights w [E] of example `example` at layer l from that layer's
 * input res_in [B·T][d] (what the hook uses; uniform/argmax modes applied). */
void hs_mae_weights(hs_mae *g, int l, const hs_batch *b, const hs_real *res_in, int example,
                    hs_real *w);

/* One Adam step on φ from dphi (hs_adam_update of core/optim.h: β 0.9/0.999,
 * eps 1e-8, no decay), its global norm clipped to clip (≤ 0: none). Returns
 * the norm before clipping. */
double hs_mae_adam_step(hs_mae *g, double lr, double clip);

#endif
