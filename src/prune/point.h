/* point.h — one grid point: (base model, task, method, ratio) → metrics.
 *
 * The framework around every method: evaluate the base model on the test
 * split; run the method (mask, scores, curve); apply the mask (gates 0/1 and
 * the method's own state: dropped layers, constant heads); evaluate;
 * optionally fine-tune with the mask fixed and evaluate again; physically
 * remove the pruned heads, check the shrunk model's outputs equal the masked
 * model's, and measure FLOPs kept and latency (shrunk / full, same batch,
 * median of repeats). The base model is not modified. */
#ifndef HS_PRUNE_POINT_H
#define HS_PRUNE_POINT_H

#include "../core/model_util.h"
#include "method.h"

typedef struct {
    long finetune_steps;   /* 0 = no fine-tuning */
    double finetune_lr;
    int batch;             /* evaluation and fine-tuning batch */
    int latency_repeats;   /* forward passes timed per model (0 = skip latency) */
    /* knowledge distillation during fine-tuning, the unpruned base model as
     * teacher: loss = (1 − α)·CE + α·T²·CE(softmax(teacher/T), softmax(student/T));
     * kd_alpha 0 = off (plain fine-tuning, bit for bit) */
    double kd_alpha;       /* α in [0, 1] */
    double kd_temperature; /* T > 0 (used when kd_alpha > 0) */
    /* which parameters fine-tuning updates (docs/methods.md "Fine-tuning
     * variants"): HS_FT_ALL (0, every trained tensor), HS_FT_BIAS (BitFit:
     * the bias terms, LayerNorm biases included, and the output head),
     * HS_FT_GATES_OUTPUT (MAE's FTG+: the kept heads' gates, every layer's
     * Wo and bo, and the output head) */
    int finetune_params;
    /* HS_QUANT_INT8: fine-tuning runs with int8 fake quantisation (weights
     * per channel, inputs per tensor, straight-through) and the point
     * records the int8 model's metric and size; 0 = off */
    int quantize;
} hs_point_opts;

enum { HS_FT_ALL = 0, HS_FT_BIAS, HS_FT_GATES_OUTPUT, HS_FT_NUM };
enum { HS_QUANT_NONE = 0, HS_QUANT_INT8, HS_QUANT_NUM };

/* "all", "bias", "gates+output" by HS_FT_*; NULL-terminated (sweep file, CLI). */
extern const char *const hs_ft_params_names[];
/* "none", "int8" by HS_QUANT_*; NULL-terminated. */
extern const char *const hs_quant_names[];

/* 1 if fine-tuning with params (HS_FT_*) updates tensor id (hs_param_id). */
int hs_ft_updates(int params, int id);

typedef struct {
    /* caller-owned arrays [L][H] */
    unsigned char *mask;      /* 0 removed, 1 kept, 2 kept with constant attention (PAPA) */
    float *importance;
    /* scalars */
    double metric_base, metric_pruned, metric_finetuned; /* test split */
    double loss_pruned;        /* test loss after pruning (after fine-tuning if any) */
    long heads_kept, heads_total, params_kept, params_total;
    double flops_ratio;        /* analytic forward FLOPs kept / full */
    double latency_ratio;      /* shrunk / full forward time: median over alternating pairs (NaN if not measured) */
    double shrink_max_diff;    /* max |logits(shrunk) − logits(masked)| on one test batch */
    double metric_int8;        /* test metric of the int8 model (quantize on; else NaN) */
    long int8_bytes;           /* its size: int8 weights + fp32 scales and the rest (0 when off) */
    long improved;             /* removals that improved the prune-split metric (accdrop; else -1) */
    double curve[HS_MAX_CURVE];
    int curve_len;
    long evals;
    double seconds;
    /* NULL, or where a successful run hands over its pruned (and fine-tuned)
     * model, the mask in its gates, instead of freeing it (`export`; the
     * caller destroys it). *gate_hook is cleared: its state is freed here. */
    hs_model **keep;
    int kept_had_hook; /* the kept model needed per-example gates (mae): it cannot be exported */
} hs_point_result;

/* The point's fine-tuning of m (a clone of base with the mask applied:
 * gates 0/1): o->finetune_steps AdamW steps on training batches from 2^30
 * on, updating the tensors o->finetune_params selects (m's table is
 * changed: call on the point's own clone), with the gates of heads with
 * mask 0 held at 0, and with distillation from base when o->kd_alpha > 0.
 * Quantisation is whatever m->quant says. 0 steps: nothing. */
hs_status hs_point_finetune(hs_model *m, const hs_model *base, const hs_task *t, hs_batch_buf *bb,
                            const unsigned char *mask, const hs_point_opts *o);

/* Runs one point. A method error, a non-finite metric or a failed
 * masked == shrunk check returns the error (the sweep records the point as
 * failed and goes on). */
hs_status hs_point_run(const hs_model *base, const hs_task *t, const hs_method *meth,
                       const hs_settings *set, double ratio, uint64_t key, const hs_point_opts *o,
                       hs_point_result *r);

#endif
