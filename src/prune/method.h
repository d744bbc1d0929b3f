/* method.h — the pruning-method interface (docs/methods.md).
 *
 * A method is a small table: a name, its settings (typed, ranged, with
 * defaults — the sweep file's method entry is validated against them, and an
 * unknown setting is an error), and a run function that, given a trained
 * base model, a task and a ratio, decides which heads go (a mask over L×H),
 * with the scores it used and, for iterative methods, the metric along its
 * path. The framework around it (point.c) evaluates, applies the mask,
 * fine-tunes and measures; methods never touch the results file.
 *
 * Heads removed k = round(ratio · L · H) (ratio 0 returns the unpruned model
 * exactly). Ties in scores break by lowest flat index l·H + j. */
#ifndef HS_PRUNE_METHOD_H
#define HS_PRUNE_METHOD_H

#include <stdint.h>

#include "../core/model.h"
#include "../tasks/task.h"
#include "eval.h"

#define HS_MAX_SETTINGS 16
#define HS_MAX_CURVE 512

typedef enum { HS_SET_INT, HS_SET_REAL, HS_SET_BOOL, HS_SET_CHOICE } hs_setting_type;

typedef struct {
    const char *name;
    hs_setting_type type;
    double def, lo, hi;          /* int/real range; bool 0/1; choice: def = index */
    const char *const *choices;  /* HS_SET_CHOICE: NULL-terminated names */
    const char *help;            /* one line for `headsweep check --methods` and errors */
} hs_setting_def;

/* Values in the order of the method's setting table (choices as indices). */
typedef struct {
    double v[HS_MAX_SETTINGS];
} hs_settings;

/* Everything a method run sees and produces. */
typedef struct {
    /* inputs */
    hs_model *model;        /* the base model; arena set up for bb->B; gates all 1 */
    const hs_task *task;
    hs_batch_buf *bb;       /* batch buffers of size B for this task */
    double ratio;
    int k;                  /* heads to remove */
    uint64_t key;           /* RNG key of this point (seed, task, method, ratio) */
    const hs_settings *set;
    const struct hs_method *method;
    /* outputs */
    unsigned char *mask;    /* [L][H] 1 = keep; the method writes it */
    float *importance;      /* [L][H] scores used (higher = more important); 0 if none */
    double curve[HS_MAX_CURVE]; /* prune-split metric after each step (iterative methods) */
    int curve_len;
    long evals;             /* full evaluations of the prune split performed */
    long improved;          /* removals that raised the prune-split metric (accdrop); -1 = n/a */
    /* state a method leaves in the model for the rest of the point (MAE's
     * mixture: m->gate_hook points into it, so the framework's evaluations,
     * fine-tuning and checks run the mixture); point.c calls state_free(state)
     * when the point ends. NULL: none. */
    void *state;
    void (*state_free)(void *state);
} hs_prune_ctx;

/* What a method's cost estimate sees (`headsweep check`, docs/sweep-file.md). */
typedef struct {
    const struct hs_method *method;
    const hs_settings *set;  /* the entry's values, in the method's table order */
    double N;                /* heads of the model, L·H */
    double k;                /* heads removed, round(ratio·N) */
    int batch;               /* run.batch */
    long n_prune, n_train;   /* examples of the prune and train splits */
    int layers;              /* L (0 where a caller does not know it: a method then bounds by N) */
} hs_cost_ctx;

typedef struct hs_method {
    const char *name;
    const char *summary;
    const hs_setting_def *settings;
    int n_settings;
    /* Decides ctx->mask (exactly ctx->k zeros unless the method's unit is
     * coarser, e.g. whole layers, or k is a budget, as for accdrop: at most k) and may set model pruning state it owns
     * (layer_off, is_static / static_att). Must be deterministic given ctx->key. */
    hs_status (*run)(hs_prune_ctx *ctx);
    /* The method's own work at one point, in passes (forward-pass
     * equivalents) over the prune split; the cost model adds the framework's
     * evaluations. Required: the registry test checks every method has one. */
    double (*passes)(const hs_cost_ctx *c);
    /* What ctx->curve holds, for `headsweep prune`'s "curve (...)" line;
     * NULL: the prune-split metric after each step (printed with its name). */
    const char *curve_label;
} hs_method;

/* The registry: every method, in a fixed order. */
const hs_method *const *hs_methods(int *n);

/* The method called name, or NULL. */
const hs_method *hs_method_find(const char *name);

/* "random, magnitude, michel, …" for error messages. */
const char *hs_method_names(void);

/* Fills s with the defaults of m. */
void hs_settings_defaults(const hs_method *m, hs_settings *s);

/* Index of setting `name` in m's table, or -1. */
int hs_setting_index(const hs_method *m, const char *name);

/* Value of a setting by name (a programming error if the name is unknown). */
double hs_setting(const hs_prune_ctx *ctx, const char *name);

/* The same for a cost estimate. */
double hs_cost_setting(const hs_cost_ctx *c, const char *name);

/* 1 if choice setting `name` is set to `choice` (a programming error if the
 * setting is unknown, not a choice, or has no such choice). */
int hs_cost_choice_is(const hs_cost_ctx *c, const char *name, const char *choice);

/* "no passes": for methods that read only the weights (or nothing). */
double hs_cost_none(const hs_cost_ctx *c);

/* Shared helpers for methods -------------------------------------------- */

/* Keeps the heads with the highest scores, removing the k lowest (ties:
 * lowest flat index removed first); writes mask [n]. Fails only for memory. */
hs_status hs_mask_from_scores(unsigned char *mask, const float *scores, int n, int k);

/* The same top-k (the same code) for double scores of any units. */
hs_status hs_topk_mask(unsigned char *mask, const double *score, int n, int remove);

/* Evaluates the model with gates = mask on the prune split; counts an eval. */
hs_status hs_prune_eval_mask(hs_prune_ctx *ctx, const unsigned char *mask, hs_eval_result *out);

/* Appends a point to the curve (silently ignores overflow beyond HS_MAX_CURVE). */
void hs_curve_push(hs_prune_ctx *ctx, double v);

/* Michel gate-gradient importance of every head with the model's current
 * gates, over the prune split: out[l·H + j] = E_x |∂L_x/∂g_{l,j}| with the
 * absolute value per example (per_example = 1) or per batch (0), then, with
 * normalize, ℓ2-normalised within each layer. Masked heads get a score too
 * (their context is still computed). Shared by `michel` and `papa`. */
hs_status hs_gate_importance(hs_prune_ctx *ctx, int per_example, int normalize, float *out);

#endif
