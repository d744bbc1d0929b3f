/* model.h — the transformer of docs/design.md ("The model"), its parameter table,
 * and its forward/backward pass.
 *
 * All parameters live in one contiguous buffer `params`, gradients in `grads`
 * with the identical layout (docs/design.md, "Code conventions"); named views (m->p.wq, m->g.wq) point
 * into them. Per-layer tensors are stored [L][...] contiguously, which is also
 * the checkpoint layout. Activations live in one arena sized by
 * hs_model_setup_batch for at most (B, T); forward/backward never allocate.
 *
 * Lifecycle (docs/design.md, "Code conventions"): hs_model_create (shape, allocates parameters)
 *   → hs_model_init_weights (seeded) or a checkpoint load
 *   → hs_model_setup_batch → forward / backward … → hs_model_destroy.
 */
#ifndef HS_CORE_MODEL_H
#define HS_CORE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "attention.h"
#include "error.h"
#include "real.h"

/* The hyper-parameters that fix the shape. */
typedef struct {
    int vocab;    /* V: token ids 0..V-1 */
    int seq_len;  /* T_max: positions (pos_emb rows) */
    int d_model;  /* d, divisible by heads */
    int heads;    /* H per layer */
    int layers;   /* L */
    int d_ff;     /* F */
    int n_out;    /* C: classes, or V for a language model */
    int lm;       /* 1: outputs at every position; 0: classification at position 0 */
    int causal;   /* 1: causal attention mask */
    int patch_dim; /* P > 0: image input, a linear patch embedding [P][d] plus a
                      learned CLS vector replaces the token embedding (vocab = 0) */
    /* Pretrained families (docs/pretrained.md). All 0 is headsweep's own
     * model, bit for bit; checkpoints written before these fields read as 0. */
    int post_ln;    /* 1: LayerNorm after each residual add (BERT, RoBERTa,
                       DistilBERT): h = LN1(h + attn(h)); h = LN2(h + ffn(h)),
                       an embedding LayerNorm (emb_ln) and no final LN (lnf) */
    int act;        /* hs_activation of the FFN */
    double ln_eps;  /* LayerNorm epsilon of every LN; 0 means 1e-5 */
    int type_vocab; /* > 0: token-type (segment) embeddings [type_vocab][d]
                       added to the input; hs_batch.types picks the row */
    int pos_offset; /* position p reads pos_emb row p + pos_offset (RoBERTa:
                       padding_idx + 1 = 2); pos_emb has seq_len + pos_offset rows */
    int pooler;     /* hs_pooler: a dense layer on the classification position
                       before the output head (classification models only) */
    int cls_last;   /* 1: classification reads each row's last valid position
                       (GPT-2, causal) instead of position 0 */
} hs_config;

typedef enum {
    HS_ACT_GELU_TANH = 0, /* 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))): ours, GPT-2's gelu_new */
    HS_ACT_GELU_ERF,      /* 0.5x(1 + erf(x/√2)): BERT's "gelu" */
    HS_ACT_RELU,
    HS_NUM_ACTS
} hs_activation;

typedef enum {
    HS_POOL_NONE = 0,
    HS_POOL_TANH, /* tanh(x Wp + bp): BERT's pooler, RoBERTa's classification head dense */
    HS_POOL_RELU, /* relu(x Wp + bp): DistilBERT's pre_classifier */
} hs_pooler;

/* Parameter tensors, in buffer (and checkpoint) order. */
typedef enum {
    HS_P_TOK_EMB, HS_P_POS_EMB,
    HS_P_TYPE_EMB,                   /* [type_vocab][d] when type_vocab > 0 */
    HS_P_EMB_LN_G, HS_P_EMB_LN_B,    /* [d], post-LN models only */
    HS_P_PATCH_W, HS_P_PATCH_B, HS_P_CLS_EMB, /* image models only (else 0 elements) */
    HS_P_LN1_G, HS_P_LN1_B,
    HS_P_WQ, HS_P_BQ, HS_P_WK, HS_P_BK, HS_P_WV, HS_P_BV, HS_P_WO, HS_P_BO,
    HS_P_LN2_G, HS_P_LN2_B,
    HS_P_W1, HS_P_B1, HS_P_W2, HS_P_B2,
    HS_P_LNF_G, HS_P_LNF_B,
    HS_P_POOL_W, HS_P_POOL_B,        /* [d][d], [d] when pooler != HS_POOL_NONE */
    HS_P_OUT_W, HS_P_OUT_B,
    HS_P_GATES,
    HS_NUM_PARAMS
} hs_param_id;

typedef struct {
    const char *name; /* checkpoint dataset name */
    int rank;         /* 1..3 */
    size_t dims[3];
    size_t offset;    /* into params/grads, in elements */
    size_t count;     /* 0: the tensor does not exist in this model (not stored) */
    int decay;        /* AdamW weight decay applies (linear-layer matrices) */
    int trained;      /* updated by the optimizer (gates are not: pruning sets them) */
} hs_tensor_info;

/* Named views, one field per hs_param_id in the same order. */
typedef union {
    struct {
        hs_real *tok_emb, *pos_emb, *type_emb, *emb_ln_g, *emb_ln_b, *patch_w, *patch_b, *cls_emb, *ln1_g,
            *ln1_b, *wq, *bq, *wk, *bk, *wv, *bv, *wo, *bo, *ln2_g, *ln2_b, *w1, *b1, *w2, *b2, *lnf_g, *lnf_b,
            *pool_w, *pool_b, *out_w, *out_b, *gates;
    };
    hs_real *at[HS_NUM_PARAMS];
} hs_param_views;

/* Activations of one forward pass (arena views); see model.c for shapes. */
typedef struct {
    hs_real *res;                   /* [L+1][B·T][d] residual stream at each layer input */
    hs_real *ln1, *ln1_mean, *ln1_rstd; /* [L][B·T][d], [L][B·T] */
    hs_real *qkv;                    /* [L][B·T][3d] */
    hs_real *wqkv, *bqkv;            /* [d][3d], [3d]: packed projection (scratch, attention.h) */
    hs_real *ctx;                    /* [L][B·T][d] */
    hs_real *gctx;                   /* [B·T][d] gated context (scratch) */
    hs_real *att;                    /* [L][B][H][T][T] */
    hs_real *mid;                    /* [L][B·T][d] residual after attention */
    hs_real *ln2, *ln2_mean, *ln2_rstd;
    hs_real *ffpre;                  /* [L][B·T][F] FFN pre-activation */
    hs_real *ffact, *ffd;            /* [B·T][F] scratch: act(ffpre) and act'(ffpre) of one layer */
    hs_real *fin_in, *lnf, *lnf_mean, *lnf_rstd; /* [R][d], R = read rows */
    hs_real *logits, *probs;         /* [R][C] */
    hs_real *pin;                    /* [B·T][P] image models: patches, CLS row zeroed */
    hs_real *emb, *emb_mean, *emb_rstd; /* post-LN: [B·T][d] embedding sum before emb_ln, [B·T] */
    hs_real *pool, *pool_d;          /* pooler: [R][d] output and its activation's derivative */
    /* backward scratch */
    hs_real *dres, *dln, *dff, *dqkv, *dctx, *dp, *dwqkv, *dbqkv, *dfin, *dlogits, *dpool;
    hs_real *gate_ex;                /* [L][B][H] per-example ∂L/∂g (when want_gate_ex or a gate hook) */
    hs_real *ex_gates;               /* [L][max_B][H] per-example gates of the last forward (gate hook) */
} hs_acts;

/* A batch: tokens[B][T] (or patches for image models); lengths[B] in 1..T
 * (NULL = all T, positions ≥ length are padding); targets: [B] for
 * classification, [B·T] for LM, -1 = ignored, NULL = no loss. */
typedef struct {
    int B, T;
    const int *tokens;
    const int *lengths;
    const int *targets;
    const float *patches; /* image models: [B][T][patch_dim] instead of tokens; position 0 is CLS */
    const int *types;     /* [B][T] token types 0..type_vocab-1 (sentence pairs), NULL = all 0 */
} hs_batch;

/* Per-example head gates from the layer input (MAE, docs/methods.md "mae"). With
 * m->gate_hook set, forward calls forward() at every layer l it runs, before
 * the attention, with the batch and that layer's input res_in [B·T][d]; it
 * writes gates [B][H] (into m->a.ex_gates), which replace m->p.gates of layer
 * l for that batch. Backward then always fills m->a.gate_ex (= ∂L/∂gates)
 * and, after layer l's attention and LN1, calls backward() (when set) with
 * dgates [B][H] and dres_in [B·T][d] = ∂L/∂res_in so far, to which the hook
 * adds the gradient through its own input. A shrunk layer (forward_with)
 * with fewer heads than H gets no hook. NULL: the plain path, bit for bit. */
typedef struct {
    void *ctx;
    void (*forward)(void *ctx, int layer, const hs_batch *b, const hs_real *res_in, hs_real *gates);
    void (*backward)(void *ctx, int layer, const hs_batch *b, const hs_real *res_in,
                     const hs_real *dgates, hs_real *dres_in);
} hs_gate_hook;

typedef struct {
    hs_config cfg;
    hs_tensor_info info[HS_NUM_PARAMS];
    size_t num_params;
    hs_real *params, *grads;
    hs_param_views p, g;
    /* arena */
    hs_real *arena;
    size_t arena_len;
    int max_B, max_T;
    hs_acts a;
    /* pruning state besides the gates (not parameters, not in checkpoints) */
    unsigned char *layer_off;  /* [L] 1: layer dropped, the residual passes unchanged */
    unsigned char *is_static;  /* [L][H] 1: PAPA head with a constant attention matrix */
    hs_real *static_att;       /* [L][H][T][T] (T = seq_len) or NULL until set */
    int want_gate_ex;          /* backward fills a.gate_ex */
    int gates_only;            /* backward computes ∂L/∂gates (and a.gate_ex) only: no
                                  weight gradients are touched (importance passes) */
    const hs_gate_hook *gate_hook; /* per-example gates (MAE) or NULL; not owned */
    /* last forward */
    int B, T, R;        /* R: rows read by the output head (B or B·T) */
    double loss;        /* mean cross-entropy over counted targets (with kd_logits: the KD loss) */
    int loss_count;
    int loss_denom;     /* > 0: backward divides by this instead of loss_count (micro-batches:
                           the whole batch's count, so their gradients sum to the batch's;
                           src/core/microbatch.h); 0: loss_count, bit for bit as before */
    int has_targets;
    /* knowledge distillation (off while kd_logits is NULL: the plain path, bit
     * for bit). kd_logits [R][C] are a teacher's logits for the batch of the
     * next forward; the loss over the counted rows then becomes
     *   (1 − kd_alpha)·CE(targets) + kd_alpha·T²·CE(softmax(kd_logits/T), softmax(logits/T))
     * (mean over counted rows, T = kd_temperature > 0), and backward follows it.
     * Not owned; a shrunk forward (forward_with) ignores it. */
    const hs_real *kd_logits;
    double kd_alpha, kd_temperature;
    /* int8 fake quantisation (hs_model_set_quant; 0 = off, the plain path bit
     * for bit). qp: the views forward and backward read — p's, except Wq, Wk,
     * Wv, Wo, W1, W2, which point into qbuf (refreshed at every forward). */
    int quant;
    hs_real *qbuf;
    hs_param_views qp;
} hs_model;

/* Bits of hs_model.quant (docs/methods.md "int8 quantisation-aware fine-tuning"):
 * HS_Q8_WEIGHTS: forward and backward use Wq, Wk, Wv, Wo, W1, W2 fake-
 *   quantised per output channel (core/quant.h; Wo's channels leave out the
 *   rows of heads whose gate is 0); the gradients are those of the quantised
 *   weights, applied to the fp32 masters (straight-through estimator).
 * HS_Q8_INPUTS: the inputs of those matrices (LN1 and LN2 outputs, the gated
 *   context, the FFN activation) are fake-quantised per tensor, and the
 *   gradient passes the quantiser unchanged (straight-through).
 * A shrunk forward (forward_with) and the output head stay fp32. */
enum { HS_Q8_WEIGHTS = 1, HS_Q8_INPUTS = 2 };

/* Checks a configuration: every size positive, d divisible by heads, n_out ≥ 2.
 * Returns HS_ERR_INPUT naming the first bad field. */
hs_status hs_config_validate(const hs_config *cfg);

/* Allocates a model of shape cfg with zeroed parameters and gates = 1.
 * *out is owned by the caller (hs_model_destroy). */
hs_status hs_model_create(hs_model **out, const hs_config *cfg);

/* The parameter table of a model of shape cfg (a valid one) — names, ranks,
 * dims, counts, offsets — and its parameter count, without allocating the
 * model: readers check a file's tensors before allocating what its
 * attributes claim. */
void hs_model_table(const hs_config *cfg, hs_tensor_info info[HS_NUM_PARAMS], size_t *num_params);

/* docs/design.md init: N(0, 0.02) matrices and embeddings, Wo and W2 scaled by
 * 1/√(2L), zero biases, LN gains 1, gates 1. Deterministic given the key. */
void hs_model_init_weights(hs_model *m, uint64_t key);

/* The same for the tensors i with !skip[i] (skip [HS_NUM_PARAMS] or NULL =
 * all): each tensor has its own stream, so they get the bits a full init
 * gives them; skipped ones are left as they are (a loader that overwrites
 * them saves drawing 110M normals at BERT-base). */
void hs_model_init_weights_skip(hs_model *m, uint64_t key, const unsigned char *skip);

/* Sizes the activation arena for batches up to (B, T ≤ seq_len). Allocates
 * once; calling again with a smaller or equal shape is free. */
hs_status hs_model_setup_batch(hs_model *m, int B, int T);

/* Forward pass. Validates token ids and lengths (HS_ERR_INPUT naming the
 * offending position), fills logits (m->a.logits, [R][C]) and, with targets,
 * m->loss. Batch must fit the arena (else HS_ERR_INPUT). */
hs_status hs_model_forward(hs_model *m, const hs_batch *batch);

/* One layer's attention replaced by a physically pruned one: `heads`
 * surviving heads with compact weights (w.wq [d][heads·dh], …, w.wo
 * [heads·dh][d], w.gates [heads]); heads = 0 keeps only bo. */
typedef struct {
    int heads;
    hs_attn_weights w;
} hs_layer_attn;

/* Forward pass with the attention of every layer taken from attn[l] instead
 * of the model's own (inference only: no backward after it). */
hs_status hs_model_forward_with(hs_model *m, const hs_batch *batch, const hs_layer_attn *attn);

/* Sets m->quant to bits (HS_Q8_*; 0 = off), allocating the quantised
 * weight copy on first use (HS_ERR_NOMEM naming it). HS_Q8_INPUTS needs a
 * pre-LN model (HS_ERR_INPUT otherwise: post-LN attention reads the residual
 * itself). */
hs_status hs_model_set_quant(hs_model *m, int bits);

/* Allocates (once) the PAPA constant matrices [L][H][T][T], zeroed. */
hs_status hs_model_alloc_static(hs_model *m);

/* Sets all gradients to 0. */
void hs_model_zero_grad(hs_model *m);

/* Backward pass of the last forward (which must have had targets):
 * accumulates ∂(mean loss)/∂θ into m->grads, gates included. */
void hs_model_backward(hs_model *m, const hs_batch *batch);

/* Counts, over the last forward's counted rows, those whose argmax logit
 * equals the target (ties: lowest index). */
void hs_model_count_correct(const hs_model *m, const int *targets, long *correct, long *count);

/* Frees everything; NULL is fine; sets *m = NULL. */
void hs_model_destroy(hs_model **m);

/* FLOPs of one forward pass (multiply-add = 2) at (B, T), matrix products
 * and attention only; a training step is counted as 3× this. */
double hs_model_forward_flops(const hs_config *cfg, int B, int T);

#endif
