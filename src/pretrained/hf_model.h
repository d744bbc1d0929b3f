/* hf_model.h — Hugging Face model folders (BERT, RoBERTa, DistilBERT, GPT-2)
 * as headsweep models: config.json + model.safetensors read into an hs_model
 * of the matching settings (docs/pretrained.md holds the naming tables), and
 * a model written back as such a folder, physically shrunk when heads are
 * pruned (config.json's pruned_heads as Hugging Face records it). */
#ifndef HS_PRETRAINED_HF_MODEL_H
#define HS_PRETRAINED_HF_MODEL_H

#include "../core/model.h"

typedef enum { HS_HF_BERT, HS_HF_ROBERTA, HS_HF_DISTILBERT, HS_HF_GPT2 } hs_hf_family;

/* What a folder holds besides the weights. */
typedef struct {
    hs_hf_family family;
    char model_type[32];      /* config.json's model_type */
    char architecture[64];    /* architectures[0], "" when absent */
    int has_classifier;       /* the file holds a sequence-classification head */
    int n_labels;             /* its classes (id2label's size), 0 without one */
    char **id2label;          /* [n_labels] label names in id order, or NULL */
    char transformers_version[32]; /* config.json's, "" when absent */
    char architectures[256];  /* every entry of architectures, joined by ", " ("" when absent) */
    char torch_dtype[16];     /* config.json's torch_dtype, "" when absent */
    /* set by hs_hf_load: the weight files (model.safetensors, or the index's
     * shards), their total size, and the SHA-256 of their headers (the 8-byte
     * length and the JSON, file after file): the names, dtypes, shapes and
     * offsets of every tensor, not their values (hashing a 440 MB file whole
     * costs seconds; docs/results-format.md) */
    char weights_file[64];
    long long weights_bytes;
    char weights_header_sha256[65];
    /* SHA-256 of a sample of the values: the headers, then 256 blocks of 4 KiB
     * evenly spaced over each file's data (all of it when under 1 MiB) —
     * 1 MiB read, so a resume notices a folder re-fine-tuned in place */
    char weights_sample_sha256[65];
    char tokenizer[16];       /* "wordpiece" or "bpe" */
    int pad_id, cls_id, sep_id; /* special token ids from config.json (-1 when unknown) */
    int max_positions;        /* usable positions (RoBERTa: max_position_embeddings − 2) */
} hs_hf_info;

/* Reads DIR/config.json (and the vocabulary files present: vocab.txt,
 * vocab.json, tokenizer.json — no id may reach vocab_size; they also give
 * [CLS]/[SEP]/[PAD] ids), not the weights: the family and the model settings
 * (cfg with n_out = 2, lm = 0, seq_len = max positions). has_classifier is
 * guessed from architectures here and settled by hs_hf_load from the
 * tensors. Errors name the file and the key and say what was expected
 * (HS_ERR_INPUT). */
hs_status hs_hf_read_config(const char *dir, hs_config *cfg, hs_hf_info *info);

/* Loads DIR as a classification model with n_out classes and at most
 * seq_len positions (≤ the checkpoint's; 0 = all). n_out = 0 keeps the
 * checkpoint's classifier (an error when it has none); otherwise a fresh
 * head is initialised from `key` (hs_model_init_weights' streams) and the
 * checkpoint's classifier, if any, is ignored. Heads in config.json's
 * pruned_heads load as zero weights with gate 0. *out is owned by the caller;
 * info (may be NULL) is filled as by hs_hf_read_config. */
hs_status hs_hf_load(hs_model **out, hs_hf_info *info, const char *dir, int n_out, int seq_len, uint64_t key);

/* Writes m as a Hugging Face folder DIR (created; it must not exist or be
 * empty): config.json (from_dir's, with the shape, pruned_heads, id2label),
 * model.safetensors (F32; heads whose gate is 0 removed, other gates folded
 * into the output projection) and the tokenizer files of from_dir copied.
 * id2label may be NULL (LABEL_0 ..). info may be NULL: then from_dir's
 * config.json, which is read here anyway, gives the family. */
hs_status hs_hf_export(const hs_model *m, const hs_hf_info *info, const char *from_dir, const char *dir,
                       char *const *id2label);

void hs_hf_info_free(hs_hf_info *info);

#endif
