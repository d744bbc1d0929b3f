/* config.h — a sweep file (libconfig) parsed, validated and expanded into its
 * grid (docs/design.md "The grid", "Determinism";
 * every setting is documented in docs/sweep-file.md).
 *
 * hs_sweep_load reads the file, checks every setting (type, range, choice,
 * unknown names, duplicates, empty axes — each error names FILE:LINE and the
 * setting path), fills in the defaults, and builds the grid:
 *
 *   base jobs  (task, seed)                  id = task·S + seed
 *   points     (task, method, ratio, seed)   id = ((task·M + method)·R + ratio)·S + seed
 *
 * with T tasks, M method entries, R ratios and S seeds, each index in the
 * order the sweep file lists them. A point's base job is task·S + seed.
 * Keys (rng.h, built only from names and values, never from order or rank):
 *
 *   data  = key(sweep seed, task name, seed, "data")    → hs_task_spec.seed
 *   base  = key(sweep seed, task name, seed, "base")    → init: hs_key_str(base, "init")
 *   point = key(sweep seed, task name, method label, ratio, seed, "point")
 *
 * where key(a, b, …) = hs_key_*(…hs_key_*(hs_key_u64(0, a), b)…), strings by
 * hs_key_str, the ratio by hs_key_f64, integers by hs_key_u64.
 *
 * The fingerprint is a 64-bit hash of the canonical text (hs_sweep_canonical):
 * one line per effective setting that can change the grid or any result —
 * everything except `output`, `run.point_timeout`, `run.retries` and
 * `run.grace`. A results file records it; a later `run` with a different
 * fingerprint is refused with the text of hs_sweep_diff.
 *
 * Cost: a sweep of a few hundred entries parses in well under a millisecond;
 * the grid is O(T·M·R·S) small records. Nothing here opens task data except
 * hs_sweep_task_open. Single-process; not MPI-aware (rank 0 parses, and may
 * broadcast the file text for the others to parse with hs_sweep_load_text). */
#ifndef HS_SWEEP_CONFIG_H
#define HS_SWEEP_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "../core/error.h"
#include "../core/model.h"
#include "../core/optim.h"
#include "../prune/method.h"
#include "../prune/point.h"
#include "../tasks/task.h"

/* The model shape of a task (the rest of hs_config comes from the task). */
typedef struct {
    int d_model, heads, layers, d_ff;
} hs_sweep_shape;

/* Training of a base model. */
typedef struct {
    long steps;
    int batch;
    double lr;
    long warmup;
    double weight_decay, clip;
    int micro_batches; /* the batch cut into this many micro-batches (1..batch), summed
                          along a fixed tree: the most ranks a base job's group can use */
} hs_sweep_train;

typedef struct {
    const char *name;      /* unique among the tasks; owned by the sweep */
    int line;              /* line of the task's group in the sweep file */
    hs_task_spec spec;     /* the kind's settings (0 / NULL = the kind's default);
                              spec.seed is 0: hs_sweep_task_spec sets the data seed */
    hs_sweep_shape model;  /* effective: defaults ← top-level model ← the task's model */
    hs_sweep_train train;  /* effective: defaults ← top-level train ← the task's train */
    const char *pretrained; /* model.pretrained: a Hugging Face folder (docs/pretrained.md), or NULL;
                               then `model` is the checkpoint's shape and pre_cfg its settings */
    hs_config pre_cfg;      /* hs_hf_read_config of the folder (n_out, seq_len set per task) */
    int pre_has_classifier; /* the folder holds a sequence-classification head */
    hs_text_encoder *encoder; /* tokenizer = "pretrained": the folder's tokenizer (owned by the sweep) */
} hs_sweep_task;

typedef struct {
    const char *label;        /* unique among the entries (default: the method name) */
    const hs_method *method;
    hs_settings set;          /* effective values in the method's table order */
    int line;
} hs_sweep_method;

typedef struct {
    long id;        /* task·n_seeds + seed */
    int task, seed; /* indices into tasks[], seeds[] */
    uint64_t key;   /* key(sweep seed, task name, seed value, "base") */
} hs_sweep_base;

typedef struct {
    long id;
    long base;                     /* id of the base job this point loads */
    int task, method, ratio, seed; /* indices into tasks[], methods[], ratios[], seeds[] */
    uint64_t key;                  /* key(sweep seed, task, label, ratio, seed value, "point") */
} hs_sweep_point;

typedef struct {
    char *file;   /* the name used in messages (the path given to hs_sweep_load) */
    char *text;   /* the sweep file's text, NUL-terminated (stored in the results file) */
    char *name;   /* the sweep's name */
    char *output; /* the results file path */
    uint64_t seed;  /* sweep seed, mixed into every key */
    long *seeds;    /* [n_seeds] distinct values, file order */
    int n_seeds;
    hs_sweep_task *tasks;
    int n_tasks;
    hs_sweep_method *methods;
    int n_methods;
    double *ratios; /* [n_ratios] distinct, in [0, 1), file order */
    int n_ratios;
    long finetune_steps;   /* finetune.steps (0 = none) */
    double finetune_lr;    /* finetune.lr when given (finetune_lr_given) */
    int finetune_lr_given; /* 0: each task's train.lr / 10 (HS_FINETUNE_LR_FACTOR) */
    double kd_alpha;       /* kd.alpha: distillation weight of fine-tuning (0 = none) */
    double kd_temperature; /* kd.temperature */
    int finetune_params;   /* finetune.params: HS_FT_* (prune/point.h), default "all" */
    int quantize;          /* finetune.quantize: HS_QUANT_*, default "none" */
    int batch;             /* run.batch: evaluation and fine-tuning batch */
    int latency_repeats;   /* run.latency_repeats */
    double point_timeout;  /* run.point_timeout seconds, 0 = none */
    int retries;           /* run.retries: extra attempts of a failed point */
    double grace;          /* run.grace seconds after SIGUSR1 */
    int threads;           /* run.threads: OpenBLAS threads per rank (not in the fingerprint) */
    hs_sweep_base *bases;
    long n_bases;
    hs_sweep_point *points;
    long n_points;
    uint64_t fingerprint;
    /* private: strings owned by the sweep */
    char **pool;
    int n_pool, cap_pool;
} hs_sweep;

/* Reads and validates the sweep file at path and builds its grid into *sw
 * (which the caller frees with hs_sweep_free, also after a failure).
 * Errors: HS_ERR_INPUT "FILE:LINE: <setting path> = <value>: expected …" for
 * any bad, unknown, missing or duplicate setting, and "FILE:LINE: syntax
 * error: …" for what libconfig rejects; a file that cannot be read is
 * HS_ERR_INPUT naming it; HS_ERR_NOMEM. Opens no task data. */
hs_status hs_sweep_load(const char *path, hs_sweep *sw);

/* Same from the text of a sweep file (e.g. the copy stored in a results
 * file); `file` names it in messages. The text is copied. */
hs_status hs_sweep_load_text(const char *text, const char *file, hs_sweep *sw);

/* Frees everything *sw owns and zeroes it; a zeroed sweep is fine. */
void hs_sweep_free(hs_sweep *sw);

/* The task spec of base job (task, seed): spec with the data seed set.
 * Strings point into sw. */
void hs_sweep_task_spec(const hs_sweep *sw, int task, int seed, hs_task_spec *out);

/* hs_task_open of (task, seed); an error is prefixed with
 * "FILE:LINE: tasks[i] (NAME): " so data errors point at the sweep entry. */
hs_status hs_sweep_task_open(const hs_sweep *sw, int task, int seed, hs_task **out);

/* The model configuration of a task: t->shape with the sweep's
 * d_model/heads/layers/d_ff for that task. */
/* model.pretrained (src/sweep/pretrained.c): a folder's settings, and its
 * tokenizer as the tasks layer takes it. Errors name the folder's file. */
hs_status hs_sweep_pretrained_config(const char *dir, hs_config *cfg, int *has_classifier);
hs_status hs_sweep_pretrained_encoder(const char *dir, hs_text_encoder **out);
void hs_sweep_pretrained_encoder_free(hs_text_encoder **enc);
/* A base job's starting model: the folder loaded with a fresh classification
 * head seeded by key, or, when steps = 0, its own head (a folder without one
 * is refused: callers refuse steps = 0 on such a folder beforehand) with its
 * classes matched to the task's labels by id2label. *cfg is the shape
 * the sweep expects (hs_sweep_model_config); a folder that no longer gives
 * it is an error. */
hs_status hs_sweep_pretrained_load(hs_model **out, const char *dir, const hs_config *cfg, const hs_task *t,
                                   long steps, uint64_t key);

/* Where a task's pretrained model came from, for the results file's
 * /tasks/<name> attributes (docs/results-format.md). */
typedef struct {
    char abspath[4096];             /* the folder, resolved ("" when it cannot be) */
    char model_type[32];
    char architectures[256];        /* config.json's, ", "-joined; "unknown" when absent */
    char transformers_version[32];  /* "unknown" when absent */
    char torch_dtype[16];           /* "unknown" when absent */
    long vocab_size;
    char weights_file[64];          /* model.safetensors or model.safetensors.index.json */
    long long weights_bytes;        /* total size of the weight files */
    char weights_header_sha256[65]; /* SHA-256 of their safetensors headers */
    char weights_sample_sha256[65]; /* ... and of a 1 MiB sample of the values (hf_model.h) */
} hs_sweep_pretrained_prov;

/* Loads the folder once in full, as the task's base jobs will (every tensor's
 * name, shape and dtype, the head's labels when steps = 0), and frees it:
 * `check` and `run` (before the results file is created) refuse a broken
 * folder with its error instead of failing every base job. prov (may be
 * NULL) is filled. */
hs_status hs_sweep_pretrained_verify(const char *dir, const hs_config *cfg, const hs_task *t, long steps,
                                     hs_sweep_pretrained_prov *prov);

hs_config hs_sweep_model_config(const hs_sweep *sw, int task, const hs_task *t);

/* AdamW settings of the task's base training (docs/design.md "The model": betas/eps). */
hs_adamw_config hs_sweep_adamw(const hs_sweep *sw, int task);

/* Options of every point (finetune.*, kd.*, run.batch, run.latency_repeats). */
/* Fine-tuning's peak lr when finetune.lr is not given: this fraction of the
 * task's train.lr. The base job ends at lr 0; restarting at its full peak
 * with fresh Adam moments moves the unpruned model off its optimum
 * (quickstart dyck, ratio 0: 0.9315 -> 0.9085 at 1e-3, 0.934 at 1e-4). */
#define HS_FINETUNE_LR_FACTOR 0.1
/* The point options of the sweep's points of one task (fine-tuning lr resolved). */
hs_point_opts hs_sweep_point_opts(const hs_sweep *sw, int task);

/* Id of the point (task, method, ratio, seed) (indices; no range check
 * beyond an assert). */
long hs_sweep_point_id(const hs_sweep *sw, int task, int method, int ratio, int seed);

/* Key helpers (see the file comment); exposed for the tests and the runner. */
uint64_t hs_sweep_base_key(const hs_sweep *sw, int task, int seed);
uint64_t hs_sweep_data_seed(const hs_sweep *sw, int task, int seed);
uint64_t hs_sweep_point_key(const hs_sweep *sw, int task, int method, int ratio, int seed);

/* The canonical text: one "key = value" line per effective setting that
 * changes the grid or the results (see the file comment), in a fixed order.
 * *out is NUL-terminated and owned by the caller (hs_free). */
hs_status hs_sweep_canonical(const hs_sweep *sw, char **out);

/* 64-bit hash of a canonical text (the fingerprint of the sweep it came from). */
uint64_t hs_sweep_fingerprint_text(const char *canonical);

/* Differences between two sweeps for "the sweep file changed" messages:
 * writes "seeds: [1, 2] -> [1, 2, 3]; task maj.seq_len: 16 -> 32; …" into
 * buf (size n, always NUL-terminated, "..." when cut) and returns how many
 * settings differ (0: same grid and results). -1 on allocation failure. */
int hs_sweep_diff(const hs_sweep *a, const hs_sweep *b, char *buf, size_t n);

/* The same for two canonical texts (e.g. one stored in a results file). */
int hs_sweep_diff_text(const char *a, const char *b, char *buf, size_t n);

/* Estimated cost, in FLOPs (multiply-add = 2), from the analytic model of
 * hs_model_forward_flops; t is the task opened for that entry. Base job:
 * steps × 3 × forward(batch) + one test-split evaluation. Point: two or three
 * test-split evaluations, fine-tuning (steps × 3 × forward(batch)), latency
 * and shrink checks, plus the method's own work (hs_sweep_method_flops). */
double hs_sweep_base_flops(const hs_sweep *sw, int task, const hs_task *t);
double hs_sweep_point_flops(const hs_sweep *sw, const hs_sweep_point *p, const hs_task *t);

/* The method's own work at ratio index r, in forward passes over the prune
 * split (forward + backward counts 3) for a model of shape cfg on a task
 * whose prune and train splits hold n_prune and n_train examples;
 * docs/sweep-file.md lists the multipliers. */
double hs_sweep_method_passes(const hs_sweep *sw, int method, int ratio, const hs_config *cfg, long n_prune,
                              long n_train);

/* Internal (config.c → grid.c): builds the grid and the fingerprint of a
 * sweep whose settings are valid. */
hs_status hs_sweep_grid_build(hs_sweep *sw);

/* The assumed sustained speed of one core for cost estimates (FLOP/s). */
#define HS_SWEEP_FLOPS_PER_CORE 30e9

#endif
