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
} hs_point_opts;

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

/* Runs one point. A method error, a non-finite metric or a failed
 * masked == shrunk check returns the error (the sweep records the point as
 * failed and goes on). */
hs_status hs_point_run(const hs_model *base, const hs_task *t, const hs_method *meth,
                       const hs_settings *set, double ratio, uint64_t key, const hs_point_opts *o,
                       hs_point_result *r);

#endif
