/* kinds.c — the task-kind registry (see task.h): every kind-specific
 * setting of hs_task_spec with its type, range and help, and every kind with
 * the settings it reads (in the order of the sweep's canonical text), the one
 * it requires and its entry point. The sweep file (sweep/config.c), the
 * canonical text (sweep/grid.c), checkpoint attributes (cli/task_attrs.c) and
 * `headsweep train` (cli/cmd_train.c) all read these tables. */
#include <stddef.h>
#include <string.h>

#include "task.h"

/* The synthetic generators of synthetic.c (hs_task_open_synthetic checks the
 * same list; keep the two in step). */
static const char *const generator_names[] = {"copy", "reverse", "sort", "induction", "dyck", "majority", NULL};
static const char *const tokenizer_names[] = {"byte", "word", "pretrained", NULL};

/* In the order of checkpoint attributes (task_attrs.c writes them so). */
static const hs_task_field fields[] = {
    {"generator", HS_TF_CHOICE, 0, 0, generator_names, offsetof(hs_task_spec, generator), "[majority]"},
    {"seq_len", HS_TF_INT, 2, 4096, NULL, offsetof(hs_task_spec, seq_len), "positions including CLS/BOS"},
    {"symbols", HS_TF_INT, 2, 65536, NULL, offsetof(hs_task_spec, symbols), "alphabet size"},
    {"brackets", HS_TF_INT, 1, 16, NULL, offsetof(hs_task_spec, brackets), "bracket kinds of dyck"},
    {"n_train", HS_TF_LONG, 1, 1e8, NULL, offsetof(hs_task_spec, n_train),
     "training examples (images, lm: a cap)"},
    {"n_prune", HS_TF_LONG, 1, 1e8, NULL, offsetof(hs_task_spec, n_prune), "prune-split examples (lm: a cap)"},
    {"n_test", HS_TF_LONG, 1, 1e8, NULL, offsetof(hs_task_spec, n_test), "test-split examples (lm: a cap)"},
    {"path", HS_TF_STR, 0, 0, NULL, offsetof(hs_task_spec, path),
     "a folder with train.tsv and dev.tsv (tsv) or of IDX files (images); a text file (lm)"},
    {"tokenizer", HS_TF_CHOICE, 0, 0, tokenizer_names, offsetof(hs_task_spec, tokenizer),
     "[byte; pretrained with a pretrained model]"},
    {"max_len", HS_TF_INT, 2, 4096, NULL, offsetof(hs_task_spec, max_len),
     "positions including CLS (longer texts are truncated)"},
    {"vocab_size", HS_TF_INT, 1, 1 << 24, NULL, offsetof(hs_task_spec, vocab_size), "words kept by the word tokenizer"},
    {"min_count", HS_TF_INT, 1, 1 << 30, NULL, offsetof(hs_task_spec, min_count),
     "least training-split count of a word the word tokenizer keeps"},
    {"prune_fraction", HS_TF_REAL, 0.001, 0.9, NULL, offsetof(hs_task_spec, prune_fraction),
     "share of the training file held out for pruning"},
    {"patch", HS_TF_INT, 1, 1024, NULL, offsetof(hs_task_spec, patch), "patch side in pixels"},
};

static const char *const synthetic_fields[] = {"generator", "seq_len", "symbols", "brackets",
                                               "n_train", "n_prune", "n_test", NULL};
static const char *const tsv_fields[] = {"path", "tokenizer", "max_len", "vocab_size", "min_count",
                                         "prune_fraction", NULL};
static const char *const images_fields[] = {"path", "patch", "prune_fraction", "n_train", NULL};
static const char *const lm_fields[] = {"path", "seq_len", "n_train", "n_prune", "n_test", NULL};

static const hs_task_kind kinds[] = {
    {"synthetic", "generated tasks solved by a known attention pattern", synthetic_fields, "generator",
     hs_task_open_synthetic},
    {"tsv", "GLUE-style text classification from train.tsv / dev.tsv", tsv_fields, "path", hs_task_open_tsv},
    {"images", "image classification from IDX files, as patches", images_fields, "path", hs_task_open_images},
    {"lm", "byte-level causal language modelling on a text file", lm_fields, "path", hs_task_open_lm},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

const hs_task_kind *hs_task_kinds(int *n)
{
    *n = (int)NKINDS;
    return kinds;
}

const char *const *hs_task_kind_names(void)
{
    static const char *names[NKINDS + 1];
    if (!names[0])
        for (size_t i = 0; i < NKINDS; i++) names[i] = kinds[i].name;
    return names;
}

const hs_task_kind *hs_task_kind_find(const char *name)
{
    for (size_t i = 0; name && i < NKINDS; i++)
        if (!strcmp(kinds[i].name, name)) return &kinds[i];
    return NULL;
}

const char *hs_task_kind_list(void)
{
    static char buf[256];
    if (!buf[0])
        for (size_t i = 0; i < NKINDS; i++) {
            if (i) strcat(buf, ", ");
            strcat(buf, kinds[i].name);
        }
    return buf;
}

const hs_task_field *hs_task_fields(int *n)
{
    *n = (int)(sizeof fields / sizeof fields[0]);
    return fields;
}

const hs_task_field *hs_task_field_find(const char *name)
{
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (!strcmp(fields[i].name, name)) return &fields[i];
    return NULL;
}

int hs_task_kind_has(const hs_task_kind *k, const char *field)
{
    for (int i = 0; k->fields[i]; i++)
        if (!strcmp(k->fields[i], field)) return 1;
    return 0;
}
