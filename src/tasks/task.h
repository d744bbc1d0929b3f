/* task.h — the one task interface (docs/design.md, "Layers").
 *
 * A task is opened from a spec (the sweep file's task entry, or flags of
 * `headsweep train`), materialises its three splits in memory, declares the
 * model shape it needs and its metric, and hands out batches:
 *
 *   train  — batches drawn from a seeded per-epoch shuffle of the training
 *            examples: batch i is the same on every rank and every run;
 *   prune  — the prune-validation split (importance scores, search), in order;
 *   test   — the held-out split every metric is reported on, in order.
 *
 * Kinds: "synthetic" (generators in synthetic.c), "tsv" (GLUE-style text
 * classification, tsv.c), "images" (IDX files, idx.c), "lm" (byte-level
 * causal language modelling on a text file, lm.c), listed with their
 * settings in the registry of kinds.c (below). Everything a task draws
 * comes from RNG streams keyed by (task seed, task name, purpose).
 *
 * Token conventions shared by all token kinds: 0 CLS/BOS, 1 PAD, 2 SEP,
 * 3 UNK; a kind's own symbols start at HS_TOK_FIRST_SYMBOL. */
#ifndef HS_TASKS_TASK_H
#define HS_TASKS_TASK_H

#include <stdint.h>

#include "../core/error.h"
#include "../core/model.h"
#include "tokenizer.h"

enum { HS_TOK_CLS = 0, HS_TOK_PAD = 1, HS_TOK_SEP = 2, HS_TOK_UNK = 3, HS_TOK_FIRST_SYMBOL = 4 };

typedef enum { HS_SPLIT_TRAIN, HS_SPLIT_PRUNE, HS_SPLIT_TEST, HS_NUM_SPLITS } hs_split;

typedef enum {
    HS_METRIC_ACCURACY,    /* fraction of counted outputs whose argmax is the target (higher better) */
    HS_METRIC_EXACT_MATCH, /* fraction of sequences with every counted output right (higher better) */
    HS_METRIC_PERPLEXITY   /* exp(mean NLL per counted output) (lower better) */
} hs_metric;

/* Every setting of every kind; a kind reads only its own (the sweep layer
 * rejects settings that do not belong to the kind). Strings are owned by the
 * caller and must outlive hs_task_open. 0 / NULL = the kind's default. */
typedef struct {
    const char *name;      /* task name (part of every RNG key) */
    const char *kind;      /* synthetic | tsv | images | lm */
    uint64_t seed;         /* data seed (splits, shuffles, generated examples) */
    /* synthetic */
    const char *generator; /* copy reverse sort induction dyck majority */
    int seq_len;           /* positions incl. CLS/BOS (synthetic, lm); tsv: see max_len */
    int symbols;           /* alphabet size (synthetic) */
    int brackets;          /* dyck: bracket kinds */
    long n_train, n_prune, n_test; /* examples per split (synthetic; lm: windows cap) */
    /* tsv */
    const char *path;      /* tsv: folder with train.tsv, dev.tsv; lm: text file; images: folder */
    const char *tokenizer; /* byte | word | pretrained (needs encoder) */
    const hs_text_encoder *encoder; /* tokenizer "pretrained": the model's own (not owned) */
    int max_len;           /* tsv: positions incl. CLS (longer texts truncated at the end) */
    int vocab_size;        /* word tokenizer: most frequent words kept */
    int min_count;         /* word tokenizer: minimum training-split count */
    double prune_fraction; /* tsv/images: share of the training file held out as the prune split */
    /* images */
    int patch;             /* patch side in pixels (image side must be a multiple) */
} hs_task_spec;

/* One split held in memory. Token kinds fill tokens; image kinds fill
 * patches ([n][T][patch_dim], position 0 all zero: it is the CLS slot). */
typedef struct {
    long n;          /* examples */
    int *tokens;     /* [n][T] or NULL */
    float *patches;  /* [n][T][P] or NULL */
    int *lengths;    /* [n], 1..T */
    int *targets;    /* [n] (classification) or [n][T] (lm = 1; -1 = not scored) */
    int *types;      /* [n][T] token types (sentence pairs of a pretrained tokenizer) or NULL */
} hs_split_data;

typedef struct hs_task {
    hs_task_spec spec;
    hs_config shape;       /* vocab, seq_len, n_out, lm, causal, patch_dim (d_model etc. unset) */
    hs_metric metric;
    int higher_is_better;
    int has_types;         /* splits carry token types (a pretrained tokenizer's pairs) */
    char **class_names;    /* [shape.n_out] the labels of classes 0..C-1 as the data names them
                              (tsv), to match a checkpoint's id2label; NULL for other kinds */
    hs_split_data split[HS_NUM_SPLITS];
    char description[256]; /* one line: what it is and which attention pattern solves it */
    void *priv;            /* kind-specific state (vocabulary), freed by the kind */
    void (*priv_free)(void *priv);
} hs_task;

/* Opens a task: validates the spec (HS_ERR_INPUT naming the setting and what
 * was expected; data-file errors name file and line), loads or generates all
 * splits. *out is owned by the caller (hs_task_destroy). */
hs_status hs_task_open(hs_task **out, const hs_task_spec *spec);

void hs_task_destroy(hs_task **t);

/* Rows of targets per example: 1 (classification) or T (lm). */
int hs_task_target_stride(const hs_task *t);

/* Caller-owned buffers for batches of up to B examples of task t. */
typedef struct {
    int B;
    int *tokens, *lengths, *targets, *types;
    float *patches;
    hs_batch batch; /* points into the buffers; batch.B is the filled count */
} hs_batch_buf;

hs_status hs_batch_buf_create(hs_batch_buf *bb, const hs_task *t, int B);
void hs_batch_buf_free(hs_batch_buf *bb);

/* Fills bb with batch `index` of a split:
 *  train: examples perm_e[(index·B) mod n ...] where e = epoch of that batch
 *         and perm_e a shuffle keyed by (seed, name, "train-order", e); always B examples;
 *  prune/test: examples [index·B, index·B + B) in order; the last batch may be
 *         short. Returns the number of examples filled (0 past the end). */
int hs_task_batch(const hs_task *t, hs_split split, long index, hs_batch_buf *bb);

/* Number of batches of size B that cover an evaluation split. */
long hs_task_num_batches(const hs_task *t, hs_split split, int B);

const char *hs_metric_name(hs_metric m);

/* Kind entry points (task.c dispatches on spec->kind). Each fills t->shape,
 * metric, description and the splits. */
hs_status hs_task_open_synthetic(hs_task *t);
hs_status hs_task_open_tsv(hs_task *t);
hs_status hs_task_open_images(hs_task *t);
hs_status hs_task_open_lm(hs_task *t);

/* The task-kind registry (kinds.c) -------------------------------------- */

typedef enum { HS_TF_STR, HS_TF_CHOICE, HS_TF_INT, HS_TF_LONG, HS_TF_REAL } hs_task_field_type;

/* A kind-specific setting of hs_task_spec: the sweep file's name (the
 * `train` flag is the same with '-' for '_'), its type and range, the field
 * it fills (a const char * for STR/CHOICE, int, long or double), help. */
typedef struct {
    const char *name;
    hs_task_field_type type;
    double lo, hi;               /* INT, LONG, REAL */
    const char *const *choices;  /* CHOICE: NULL-terminated */
    size_t off;                  /* offsetof(hs_task_spec, ...) */
    const char *help;
} hs_task_field;

typedef struct {
    const char *name;
    const char *summary;
    const char *const *fields;   /* the settings it reads, NULL-terminated, in canonical-text order */
    const char *required;        /* the one setting it needs */
    hs_status (*open)(hs_task *t);
} hs_task_kind;

/* Every kind, in a fixed order. */
const hs_task_kind *hs_task_kinds(int *n);

/* Their names, NULL-terminated (for choice parsers). */
const char *const *hs_task_kind_names(void);

/* "synthetic, tsv, images, lm" for messages. */
const char *hs_task_kind_list(void);

/* The kind called name, or NULL. */
const hs_task_kind *hs_task_kind_find(const char *name);

/* Every kind-specific setting, in a fixed order. */
const hs_task_field *hs_task_fields(int *n);

/* The setting called name, or NULL. */
const hs_task_field *hs_task_field_find(const char *name);

/* 1 if kind k reads setting `field`. */
int hs_task_kind_has(const hs_task_kind *k, const char *field);

/* Split helpers for the kinds: allocate a split of n examples (zeroed;
 * tokens or patches by the task's shape). */
hs_status hs_split_alloc(hs_split_data *s, const hs_task *t, long n);

#endif
