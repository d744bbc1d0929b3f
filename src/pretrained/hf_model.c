/* hf_model.c — Hugging Face folders ↔ hs_model (hf_model.h; the naming
 * tables are in docs/pretrained.md). Loading: config.json → hs_config, the
 * model initialised from the key (so every tensor the checkpoint lacks — a
 * fresh head, a missing pooler — is seeded as for a model of our own, and
 * what gets loaded never shifts another tensor's stream), then every
 * checkpoint tensor checked and converted in place. Export is the inverse,
 * with heads of gate 0 physically removed. */
#include "hf_model.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "../core/alloc.h"
#include "json.h"
#include "safetensors.h"
#include "sha256.h"

/* --- family names ---------------------------------------------------------- */

typedef struct {
    hs_hf_family family;
    const char *model_type, *prefix;
    const char *word, *pos, *type, *emb_ln, *layer;
    const char *q, *k, *v, *o, *ln1, *w1, *w2, *ln2, *lnf;
    const char *pool; int pool_prefixed;
    const char *out; int out_bias;
    const char *arch_cls;
} fam_names;

static const fam_names FAMS[] = {
    {HS_HF_BERT, "bert", "bert.", "embeddings.word_embeddings", "embeddings.position_embeddings",
     "embeddings.token_type_embeddings", "embeddings.LayerNorm", "encoder.layer.%d.", "attention.self.query",
     "attention.self.key", "attention.self.value", "attention.output.dense", "attention.output.LayerNorm",
     "intermediate.dense", "output.dense", "output.LayerNorm", NULL, "pooler.dense", 1, "classifier", 1,
     "BertForSequenceClassification"},
    {HS_HF_ROBERTA, "roberta", "roberta.", "embeddings.word_embeddings", "embeddings.position_embeddings",
     "embeddings.token_type_embeddings", "embeddings.LayerNorm", "encoder.layer.%d.", "attention.self.query",
     "attention.self.key", "attention.self.value", "attention.output.dense", "attention.output.LayerNorm",
     "intermediate.dense", "output.dense", "output.LayerNorm", NULL, "classifier.dense", 0,
     "classifier.out_proj", 1, "RobertaForSequenceClassification"},
    {HS_HF_DISTILBERT, "distilbert", "distilbert.", "embeddings.word_embeddings",
     "embeddings.position_embeddings", NULL, "embeddings.LayerNorm", "transformer.layer.%d.", "attention.q_lin",
     "attention.k_lin", "attention.v_lin", "attention.out_lin", "sa_layer_norm", "ffn.lin1", "ffn.lin2",
     "output_layer_norm", NULL, "pre_classifier", 0, "classifier", 1, "DistilBertForSequenceClassification"},
    {HS_HF_GPT2, "gpt2", "transformer.", "wte", "wpe", NULL, NULL, "h.%d.", NULL, NULL, NULL, "attn.c_proj",
     "ln_1", "mlp.c_fc", "mlp.c_proj", "ln_2", "ln_f", NULL, 0, "score", 0, "GPT2ForSequenceClassification"},
};

static const fam_names *fam_of(hs_hf_family f)
{
    for (size_t i = 0; i < sizeof FAMS / sizeof FAMS[0]; i++)
        if (FAMS[i].family == f) return &FAMS[i];
    return &FAMS[0];
}

/* --- files -------------------------------------------------------------------- */

/* Reads a whole (bounded) file; a missing one is bad input. */
static hs_status slurp(const char *path, char **buf, size_t *n, size_t max, const char *expect)
{
    *buf = NULL;
    *n = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return hs_error_set(errno == ENOENT ? HS_ERR_INPUT : HS_ERR_IO, "%s: cannot open (%s): expected %s", path,
                            strerror(errno), expect);
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
        fclose(fp);
        return hs_error_set(HS_ERR_INPUT, "%s: not a regular file of at most %zu bytes: expected %s", path, max,
                            expect);
    }
    size_t sz = (size_t)st.st_size;
    hs_status s = hs_calloc((void **)buf, sz + 1, 1, path);
    if (s == HS_OK && fread(*buf, 1, sz, fp) != sz) s = hs_error_set(HS_ERR_IO, "%s: read failed", path);
    fclose(fp);
    if (s != HS_OK) {
        hs_free(*buf);
        *buf = NULL;
        return s;
    }
    *n = sz;
    return HS_OK;
}

static hs_status read_json(const char *path, hs_json **out, size_t max, const char *expect)
{
    char *buf;
    size_t n;
    HS_CHECK(slurp(path, &buf, &n, max, expect));
    hs_status s = hs_json_parse(out, buf, n, path);
    hs_free(buf);
    return s;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* --- config.json ------------------------------------------------------------ */

typedef struct {
    const hs_json *j;
    const char *file;
} cfgf;

/* An integer key in lo..hi; def < lo means required. null reads as absent. */
static hs_status get_int(const cfgf *c, const char *key, long lo, long hi, long def, int *out)
{
    const hs_json *v = hs_json_get(c->j, key);
    if (!v || v->type == HS_JSON_NULL) {
        if (def < lo)
            return hs_error_set(HS_ERR_INPUT, "%s: key \"%s\" missing: expected an integer %ld..%ld", c->file, key,
                                lo, hi);
        *out = (int)def;
        return HS_OK;
    }
    if (v->type != HS_JSON_NUM || v->num != floor(v->num) || v->num < lo || v->num > hi)
        return hs_error_set(HS_ERR_INPUT, "%s: key \"%s\" (line %d): expected an integer %ld..%ld", c->file, key,
                            v->line, lo, hi);
    *out = (int)v->num;
    return HS_OK;
}

static hs_status get_num(const cfgf *c, const char *key, double lo, double hi, double def, double *out)
{
    const hs_json *v = hs_json_get(c->j, key);
    if (!v || v->type == HS_JSON_NULL) {
        *out = def;
        return HS_OK;
    }
    if (v->type != HS_JSON_NUM || !(v->num >= lo && v->num <= hi))
        return hs_error_set(HS_ERR_INPUT, "%s: key \"%s\" (line %d): expected a number %g..%g", c->file, key, v->line,
                            lo, hi);
    *out = v->num;
    return HS_OK;
}

/* A boolean key; only `want` (or absence) is supported. */
static hs_status need_bool(const cfgf *c, const char *key, int want, const char *why)
{
    const hs_json *v = hs_json_get(c->j, key);
    if (!v || v->type == HS_JSON_NULL) return HS_OK;
    if (v->type != HS_JSON_BOOL || (int)v->num != want)
        return hs_error_set(HS_ERR_INPUT, "%s: key \"%s\" (line %d): expected %s (%s)", c->file, key, v->line,
                            want ? "true" : "false", why);
    return HS_OK;
}

static hs_status get_act(const cfgf *c, const char *key, const char *def, int *act)
{
    const hs_json *v = hs_json_get(c->j, key);
    const char *a = def;
    if (v && v->type != HS_JSON_NULL) {
        if (v->type != HS_JSON_STR)
            return hs_error_set(HS_ERR_INPUT, "%s: key \"%s\" (line %d): expected a string (gelu, gelu_new, "
                                "gelu_pytorch_tanh or relu)", c->file, key, v->line);
        a = v->str;
    }
    if (strcmp(a, "gelu") == 0) *act = HS_ACT_GELU_ERF;
    else if (strcmp(a, "gelu_new") == 0 || strcmp(a, "gelu_pytorch_tanh") == 0) *act = HS_ACT_GELU_TANH;
    else if (strcmp(a, "relu") == 0) *act = HS_ACT_RELU;
    else
        return hs_error_set(HS_ERR_INPUT, "%s: key \"%s\": activation \"%.40s\" is not supported: expected gelu, "
                            "gelu_new, gelu_pytorch_tanh or relu", c->file, key, a);
    return HS_OK;
}

static char *dupstr(const char *s)
{
    char *d;
    size_t n = strlen(s);
    if (hs_calloc((void **)&d, n + 1, 1, "string") != HS_OK) return NULL;
    memcpy(d, s, n);
    return d;
}

/* id2label: keys "0".."n-1", each once, string values; sorted by id. */
static hs_status read_id2label(const cfgf *c, hs_hf_info *info)
{
    const hs_json *v = hs_json_get(c->j, "id2label");
    if (!v || v->type == HS_JSON_NULL) return HS_OK;
    if (v->type != HS_JSON_OBJ || v->len < 1 || v->len > (1 << 20))
        return hs_error_set(HS_ERR_INPUT, "%s: key \"id2label\" (line %d): expected an object {\"0\": \"label\", ...}",
                            c->file, v->line);
    HS_CHECK(hs_calloc((void **)&info->id2label, v->len, sizeof(char *), "id2label"));
    info->n_labels = (int)v->len;
    for (size_t i = 0; i < v->len; i++) {
        char *end;
        errno = 0;
        long id = strtol(v->keys[i], &end, 10);
        if (!v->keys[i][0] || *end || errno || id < 0 || (size_t)id >= v->len || info->id2label[id] ||
            v->items[i].type != HS_JSON_STR)
            return hs_error_set(HS_ERR_INPUT, "%s: key \"id2label\": entry \"%.32s\": expected ids 0..%zu, each once, "
                                "with string labels", c->file, v->keys[i], v->len - 1);
        info->id2label[id] = dupstr(v->items[i].str);
        if (!info->id2label[id]) return HS_ERR_NOMEM;
    }
    return HS_OK;
}

/* The tokenizer's vocabulary size (highest id + 1) from the files present,
 * which must not exceed vocab_size: ids past it would index no embedding row.
 * Also finds the special token ids a config does not name. */
static hs_status check_vocab(const char *dir, int vocab_size, hs_hf_info *info)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/vocab.txt", dir);
    if (file_exists(path)) {
        char *buf;
        size_t n;
        HS_CHECK(slurp(path, &buf, &n, (size_t)1 << 28, "a WordPiece vocabulary, one token a line"));
        long count = 0;
        size_t ls = 0;
        for (size_t i = 0; i <= n; i++) {
            if (i == n && ls == n) break; /* no token after a final newline */
            if (i == n || buf[i] == '\n') {
                size_t e = i;
                if (e > ls && buf[e - 1] == '\r') e--;
                if (e - ls == 5 && memcmp(buf + ls, "[CLS]", 5) == 0) info->cls_id = (int)count;
                if (e - ls == 5 && memcmp(buf + ls, "[SEP]", 5) == 0) info->sep_id = (int)count;
                if (e - ls == 5 && memcmp(buf + ls, "[PAD]", 5) == 0 && info->pad_id < 0) info->pad_id = (int)count;
                count++;
                ls = i + 1;
            }
        }
        hs_free(buf);
        if (count > vocab_size)
            return hs_error_set(HS_ERR_INPUT, "%s: %ld tokens: expected at most vocab_size = %d (config.json)", path,
                                count, vocab_size);
    }
    const char *jfiles[] = {"vocab.json", "tokenizer.json"};
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, jfiles[k]);
        if (!file_exists(path)) continue;
        hs_json *j;
        HS_CHECK(read_json(path, &j, (size_t)1 << 28, k ? "a tokenizers JSON file" : "a JSON object token → id"));
        const hs_json *voc = k ? hs_json_get(hs_json_get(j, "model"), "vocab") : j;
        double top = -1;
        if (voc && voc->type == HS_JSON_OBJ)
            for (size_t i = 0; i < voc->len; i++) {
                if (voc->items[i].type == HS_JSON_NUM && voc->items[i].num > top) top = voc->items[i].num;
                int id = voc->items[i].type == HS_JSON_NUM ? (int)voc->items[i].num : -1;
                if (!strcmp(voc->keys[i], "<s>") && info->cls_id < 0) info->cls_id = id;
                if (!strcmp(voc->keys[i], "</s>") && info->sep_id < 0) info->sep_id = id;
            }
        const hs_json *added = k ? hs_json_get(j, "added_tokens") : NULL;
        if (added && added->type == HS_JSON_ARR)
            for (size_t i = 0; i < added->len; i++) {
                const hs_json *id = hs_json_get(&added->items[i], "id");
                if (id && id->type == HS_JSON_NUM && id->num > top) top = id->num;
            }
        hs_json_free(j);
        if (top + 1 > vocab_size)
            return hs_error_set(HS_ERR_INPUT, "%s: token ids up to %.0f: expected ids below vocab_size = %d "
                                "(config.json)", path, top, vocab_size);
    }
    return HS_OK;
}

static hs_status read_config_json(const char *dir, const hs_json *j, const char *file, hs_config *cfg,
                                  hs_hf_info *info)
{
    cfgf c = {j, file};
    if (j->type != HS_JSON_OBJ)
        return hs_error_set(HS_ERR_INPUT, "%s: expected a JSON object of model settings", file);
    const hs_json *mt = hs_json_get(j, "model_type");
    const fam_names *fam = NULL;
    for (size_t i = 0; mt && mt->type == HS_JSON_STR && i < sizeof FAMS / sizeof FAMS[0]; i++)
        if (strcmp(mt->str, FAMS[i].model_type) == 0) fam = &FAMS[i];
    if (!fam)
        return hs_error_set(HS_ERR_INPUT, "%s: key \"model_type\" %s%.40s%s: expected one of bert, roberta, distilbert, "
                            "gpt2", file, mt && mt->type == HS_JSON_STR ? "\"" : "",
                            mt ? (mt->type == HS_JSON_STR ? mt->str : "not a string") : "missing",
                            mt && mt->type == HS_JSON_STR ? "\"" : "");
    info->family = fam->family;
    snprintf(info->model_type, sizeof info->model_type, "%s", fam->model_type);
    const hs_json *ar = hs_json_get(j, "architectures");
    if (ar && ar->type == HS_JSON_ARR && ar->len && ar->items[0].type == HS_JSON_STR)
        snprintf(info->architecture, sizeof info->architecture, "%s", ar->items[0].str);
    for (size_t i = 0; ar && ar->type == HS_JSON_ARR && i < ar->len; i++) {
        const size_t k = strlen(info->architectures);
        if (ar->items[i].type == HS_JSON_STR)
            snprintf(info->architectures + k, sizeof info->architectures - k, "%s%s", k ? ", " : "", ar->items[i].str);
    }
    const hs_json *tv = hs_json_get(j, "transformers_version");
    if (tv && tv->type == HS_JSON_STR) snprintf(info->transformers_version, sizeof info->transformers_version, "%s", tv->str);
    const hs_json *td = hs_json_get(j, "torch_dtype");
    if (td && td->type == HS_JSON_STR) snprintf(info->torch_dtype, sizeof info->torch_dtype, "%s", td->str);
    snprintf(info->tokenizer, sizeof info->tokenizer, "%s",
             fam->family == HS_HF_BERT || fam->family == HS_HF_DISTILBERT ? "wordpiece" : "bpe");
    memset(cfg, 0, sizeof *cfg);
    cfg->n_out = 2;
    int P = 0, pad = -1;
    switch (fam->family) {
    case HS_HF_BERT:
    case HS_HF_ROBERTA: {
        const int rob = fam->family == HS_HF_ROBERTA;
        HS_CHECK(get_int(&c, "vocab_size", 2, 1 << 24, -1, &cfg->vocab));
        HS_CHECK(get_int(&c, "hidden_size", 1, 1 << 16, -1, &cfg->d_model));
        HS_CHECK(get_int(&c, "num_hidden_layers", 1, 1024, -1, &cfg->layers));
        HS_CHECK(get_int(&c, "num_attention_heads", 1, 1024, -1, &cfg->heads));
        HS_CHECK(get_int(&c, "intermediate_size", 1, 1 << 20, -1, &cfg->d_ff));
        HS_CHECK(get_int(&c, "max_position_embeddings", 1, 1 << 16, 512, &P));
        HS_CHECK(get_int(&c, "type_vocab_size", 0, 1 << 16, rob ? 1 : 2, &cfg->type_vocab));
        HS_CHECK(get_num(&c, "layer_norm_eps", 0, 1, 1e-12, &cfg->ln_eps));
        HS_CHECK(get_act(&c, "hidden_act", "gelu", &cfg->act));
        HS_CHECK(get_int(&c, "pad_token_id", 0, 1 << 24, rob ? 1 : 0, &pad));
        const hs_json *pe = hs_json_get(j, "position_embedding_type");
        if (pe && pe->type != HS_JSON_NULL && (pe->type != HS_JSON_STR || strcmp(pe->str, "absolute") != 0))
            return hs_error_set(HS_ERR_INPUT, "%s: key \"position_embedding_type\" (line %d): expected \"absolute\" "
                                "(relative position embeddings are not supported)", file, pe->line);
        HS_CHECK(need_bool(&c, "add_cross_attention", 0, "decoder cross-attention is not supported"));
        HS_CHECK(need_bool(&c, "is_decoder", 0, "decoder BERT models are not supported"));
        cfg->post_ln = 1;
        cfg->pooler = HS_POOL_TANH;
        cfg->pos_offset = rob ? pad + 1 : 0; /* RoBERTa: positions start after padding_idx */
        break;
    }
    case HS_HF_DISTILBERT:
        HS_CHECK(get_int(&c, "vocab_size", 2, 1 << 24, -1, &cfg->vocab));
        HS_CHECK(get_int(&c, "dim", 1, 1 << 16, -1, &cfg->d_model));
        HS_CHECK(get_int(&c, "n_layers", 1, 1024, -1, &cfg->layers));
        HS_CHECK(get_int(&c, "n_heads", 1, 1024, -1, &cfg->heads));
        HS_CHECK(get_int(&c, "hidden_dim", 1, 1 << 20, -1, &cfg->d_ff));
        HS_CHECK(get_int(&c, "max_position_embeddings", 1, 1 << 16, 512, &P));
        HS_CHECK(get_act(&c, "activation", "gelu", &cfg->act));
        HS_CHECK(get_int(&c, "pad_token_id", 0, 1 << 24, 0, &pad));
        cfg->ln_eps = 1e-12; /* fixed in DistilBERT's code */
        cfg->post_ln = 1;
        cfg->pooler = HS_POOL_RELU;
        break;
    case HS_HF_GPT2: {
        HS_CHECK(get_int(&c, "vocab_size", 2, 1 << 24, -1, &cfg->vocab));
        HS_CHECK(get_int(&c, "n_embd", 1, 1 << 16, -1, &cfg->d_model));
        HS_CHECK(get_int(&c, "n_layer", 1, 1024, -1, &cfg->layers));
        HS_CHECK(get_int(&c, "n_head", 1, 1024, -1, &cfg->heads));
        HS_CHECK(get_int(&c, "n_inner", 1, 1 << 20, 4L * cfg->d_model, &cfg->d_ff));
        HS_CHECK(get_int(&c, "n_positions", 1, 1 << 16, 1024, &P));
        HS_CHECK(get_num(&c, "layer_norm_epsilon", 0, 1, 1e-5, &cfg->ln_eps));
        HS_CHECK(get_act(&c, "activation_function", "gelu_new", &cfg->act));
        const hs_json *pj = hs_json_get(j, "pad_token_id"); /* often null in GPT-2 files */
        if (pj && pj->type != HS_JSON_NULL) HS_CHECK(get_int(&c, "pad_token_id", 0, 1 << 24, -1, &pad));
        HS_CHECK(need_bool(&c, "scale_attn_weights", 1, "attention scores are always divided by sqrt(head size)"));
        HS_CHECK(need_bool(&c, "scale_attn_by_inverse_layer_idx", 0, "per-layer score scaling is not supported"));
        HS_CHECK(need_bool(&c, "add_cross_attention", 0, "decoder cross-attention is not supported"));
        int eos = -1;
        const hs_json *e = hs_json_get(j, "eos_token_id");
        if (e && e->type == HS_JSON_NUM) eos = (int)e->num;
        info->sep_id = eos;
        cfg->causal = 1;
        cfg->cls_last = 1;
        break;
    }
    }
    if (fam->family == HS_HF_ROBERTA) {
        const hs_json *b = hs_json_get(j, "bos_token_id"), *e = hs_json_get(j, "eos_token_id");
        info->cls_id = b && b->type == HS_JSON_NUM ? (int)b->num : -1;
        info->sep_id = e && e->type == HS_JSON_NUM ? (int)e->num : -1;
    }
    if (cfg->d_model % cfg->heads)
        return hs_error_set(HS_ERR_INPUT, "%s: the hidden size %d is not a multiple of the %d attention heads: "
                            "expected a multiple", file, cfg->d_model, cfg->heads);
    if (P <= cfg->pos_offset)
        return hs_error_set(HS_ERR_INPUT, "%s: %d position embeddings: expected more than the position offset %d "
                            "(pad_token_id + 1)", file, P, cfg->pos_offset);
    info->pad_id = pad;
    info->max_positions = P - cfg->pos_offset;
    cfg->seq_len = info->max_positions;
    if (!info->architecture[0] || !strstr(info->architecture, "ForSequenceClassification"))
        info->has_classifier = 0;
    else
        info->has_classifier = 1;
    HS_CHECK(read_id2label(&c, info));
    HS_CHECK(check_vocab(dir, cfg->vocab, info));
    return HS_OK;
}

static void info_init(hs_hf_info *info)
{
    memset(info, 0, sizeof *info);
    info->pad_id = info->cls_id = info->sep_id = -1;
}

static hs_status read_config(const char *dir, hs_config *cfg, hs_hf_info *info, hs_json **json_out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", dir);
    hs_json *j;
    info_init(info);
    HS_CHECK(read_json(path, &j, (size_t)16 << 20, "a Hugging Face model folder (config.json, model.safetensors)"));
    hs_status s = read_config_json(dir, j, path, cfg, info);
    if (s != HS_OK || !json_out) {
        hs_json_free(j);
        if (s != HS_OK) hs_hf_info_free(info);
        return s;
    }
    *json_out = j;
    return HS_OK;
}

hs_status hs_hf_read_config(const char *dir, hs_config *cfg, hs_hf_info *info)
{
    return read_config(dir, cfg, info, NULL);
}

void hs_hf_info_free(hs_hf_info *info)
{
    if (!info) return;
    for (int i = 0; info->id2label && i < info->n_labels; i++) hs_free(info->id2label[i]);
    hs_free(info->id2label);
    info->id2label = NULL;
    info->n_labels = 0;
}

/* --- pruned_heads ------------------------------------------------------------ */

/* kept[l·H + h] = 0 for each head named in config.json's pruned_heads. */
static hs_status read_pruned(const hs_json *j, const char *file, int L, int H, unsigned char *kept)
{
    memset(kept, 1, (size_t)L * H);
    const hs_json *p = hs_json_get(j, "pruned_heads");
    if (!p || p->type == HS_JSON_NULL) return HS_OK;
    if (p->type != HS_JSON_OBJ)
        return hs_error_set(HS_ERR_INPUT, "%s: key \"pruned_heads\" (line %d): expected an object {\"layer\": [heads]}",
                            file, p->line);
    for (size_t i = 0; i < p->len; i++) {
        char *end;
        errno = 0;
        long l = strtol(p->keys[i], &end, 10);
        const hs_json *hl = &p->items[i];
        if (!p->keys[i][0] || *end || errno || l < 0 || l >= L || hl->type != HS_JSON_ARR)
            return hs_error_set(HS_ERR_INPUT, "%s: key \"pruned_heads\": entry \"%.32s\": expected a layer 0..%d with "
                                "a list of heads", file, p->keys[i], L - 1);
        for (size_t k = 0; k < hl->len; k++) {
            const hs_json *h = &hl->items[k];
            if (h->type != HS_JSON_NUM || h->num != floor(h->num) || h->num < 0 || h->num >= H ||
                !kept[l * H + (int)h->num])
                return hs_error_set(HS_ERR_INPUT, "%s: key \"pruned_heads\": layer %ld: expected distinct heads 0..%d",
                                    file, l, H - 1);
            kept[l * H + (int)h->num] = 0;
        }
    }
    return HS_OK;
}

/* --- tensors ---------------------------------------------------------------- */

typedef struct {
    const char *dir;
    char where[4200];       /* the file named when a tensor is missing */
    hs_safetensors **f;
    size_t nf;
    char prefix[32];
} ld_ctx;

static const hs_st_tensor *lookup(const ld_ctx *c, const char *name, const hs_safetensors **file)
{
    for (size_t i = 0; i < c->nf; i++) {
        const hs_st_tensor *t = hs_st_find(c->f[i], name);
        if (t) {
            *file = c->f[i];
            return t;
        }
    }
    return NULL;
}

static int safe_shard_name(const char *s)
{
    return s[0] && s[0] != '.' && !strchr(s, '/') && strlen(s) < 256;
}

static hs_status open_files(ld_ctx *c)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/model.safetensors", c->dir);
    if (file_exists(path)) {
        snprintf(c->where, sizeof c->where, "%s", path);
        HS_CHECK(hs_calloc((void **)&c->f, 1, sizeof *c->f, "safetensors files"));
        HS_CHECK(hs_st_open(&c->f[0], path));
        c->nf = 1;
        return HS_OK;
    }
    snprintf(path, sizeof path, "%s/model.safetensors.index.json", c->dir);
    if (!file_exists(path)) {
        char bin[4200];
        snprintf(bin, sizeof bin, "%s/pytorch_model.bin", c->dir);
        return hs_error_set(HS_ERR_INPUT, "%s/model.safetensors: missing: expected the weights as model.safetensors "
                            "(or model.safetensors.index.json with its shards)%s", c->dir,
                            file_exists(bin) ? "; pytorch_model.bin is not read (convert it to safetensors)" : "");
    }
    snprintf(c->where, sizeof c->where, "%s", path);
    hs_json *j;
    HS_CHECK(read_json(path, &j, (size_t)64 << 20, "a safetensors index {\"weight_map\": {tensor: file}}"));
    const hs_json *wm = hs_json_get(j, "weight_map");
    hs_status s = HS_OK;
    if (!wm || wm->type != HS_JSON_OBJ || !wm->len)
        s = hs_error_set(HS_ERR_INPUT, "%s: key \"weight_map\": expected an object {tensor: file}", path);
    if (s == HS_OK) s = hs_calloc((void **)&c->f, wm->len, sizeof *c->f, "safetensors files");
    const char **names = NULL;
    if (s == HS_OK) s = hs_calloc((void **)&names, wm->len, sizeof *names, "shard names");
    size_t nn = 0;
    for (size_t i = 0; s == HS_OK && i < wm->len; i++) {
        const hs_json *v = &wm->items[i];
        if (v->type != HS_JSON_STR || !safe_shard_name(v->str)) {
            s = hs_error_set(HS_ERR_INPUT, "%s: weight_map entry \"%.100s\": expected the name of a file in the folder",
                             path, wm->keys[i]);
            break;
        }
        size_t k = 0;
        while (k < nn && strcmp(names[k], v->str) != 0) k++;
        if (k == nn) names[nn++] = v->str;
    }
    for (size_t k = 0; s == HS_OK && k < nn; k++) {
        char sp[4400];
        snprintf(sp, sizeof sp, "%s/%s", c->dir, names[k]);
        s = hs_st_open(&c->f[c->nf], sp);
        if (s == HS_OK) c->nf++;
    }
    /* every tensor must be where the index says */
    for (size_t i = 0; s == HS_OK && i < wm->len; i++) {
        const hs_safetensors *f = NULL;
        if (!lookup(c, wm->keys[i], &f) || strcmp(strrchr(f->path, '/') + 1, wm->items[i].str) != 0)
            s = hs_error_set(HS_ERR_INPUT, "%s: tensor %.100s: not in %s as the weight_map says", path, wm->keys[i],
                             wm->items[i].str);
    }
    hs_free(names);
    hs_json_free(j);
    return s;
}

static void close_files(ld_ctx *c)
{
    for (size_t i = 0; i < c->nf; i++) hs_st_close(&c->f[i]);
    hs_free(c->f);
    c->f = NULL;
    c->nf = 0;
}

/* The tensor `name` (prefixed when pfx) of rank 1 [d0] or 2 [d0][d1]; NULL
 * with HS_OK when optional and absent. */
static hs_status get_t(const ld_ctx *c, int pfx, const char *name, int rank, size_t d0, size_t d1, const char *what,
                       int optional, const hs_st_tensor **t, const hs_safetensors **f)
{
    char full[512];
    snprintf(full, sizeof full, "%s%s", pfx ? c->prefix : "", name);
    *t = lookup(c, full, f);
    char exp[64];
    if (rank == 1) snprintf(exp, sizeof exp, "[%zu]", d0);
    else snprintf(exp, sizeof exp, "[%zu, %zu]", d0, d1);
    if (!*t) {
        if (optional) return HS_OK;
        return hs_error_set(HS_ERR_INPUT, "%s: tensor %s missing: expected %s (%s)", c->where, full, exp, what);
    }
    const hs_st_tensor *x = *t;
    if (x->rank != rank || x->shape[0] != d0 || (rank == 2 && x->shape[1] != d1)) {
        char sb[128];
        return hs_error_set(HS_ERR_INPUT, "%s: tensor %s has shape %s: expected %s (%s)", (*f)->path, full,
                            hs_st_shape_str(x, sb, sizeof sb), exp, what);
    }
    if (x->dtype == HS_ST_OTHER)
        return hs_error_set(HS_ERR_INPUT, "%s: tensor %s has dtype %s: expected F32, F16 or BF16", (*f)->path, full,
                            x->dtype_name);
    return HS_OK;
}

/* A LayerNorm's gain and bias (.weight/.bias, or the older .gamma/.beta). */
static hs_status load_ln(const ld_ctx *c, int pfx, const char *base, size_t d, hs_real *g, hs_real *b)
{
    char n1[300], n2[300];
    const hs_st_tensor *t;
    const hs_safetensors *f;
    snprintf(n1, sizeof n1, "%s.gamma", base);
    HS_CHECK(get_t(c, pfx, n1, 1, d, 0, "LayerNorm gain of hidden size", 1, &t, &f));
    const char *gn = t ? ".gamma" : ".weight", *bn = t ? ".beta" : ".bias";
    snprintf(n1, sizeof n1, "%s%s", base, gn);
    snprintf(n2, sizeof n2, "%s%s", base, bn);
    HS_CHECK(get_t(c, pfx, n1, 1, d, 0, "LayerNorm gain of hidden size", 0, &t, &f));
    HS_CHECK(hs_st_read_block(f, t, 0, 1, 0, d, g, 0, 0));
    HS_CHECK(get_t(c, pfx, n2, 1, d, 0, "LayerNorm bias of hidden size", 0, &t, &f));
    return hs_st_read_block(f, t, 0, 1, 0, d, b, 0, 0);
}

/* A Linear layer (nn.Linear [out][in], or Conv1D [in][out] when conv) read
 * whole into W [in][out] (ld = out) and b (NULL: no bias tensor). */
static hs_status load_linear(const ld_ctx *c, int pfx, const char *base, size_t in, size_t out, int conv,
                             hs_real *W, hs_real *b, const char *what)
{
    char n[300];
    const hs_st_tensor *t;
    const hs_safetensors *f;
    snprintf(n, sizeof n, "%s.weight", base);
    if (conv) {
        HS_CHECK(get_t(c, pfx, n, 2, in, out, what, 0, &t, &f));
        HS_CHECK(hs_st_read_block(f, t, 0, in, 0, out, W, out, 0));
    } else {
        HS_CHECK(get_t(c, pfx, n, 2, out, in, what, 0, &t, &f));
        HS_CHECK(hs_st_read_block(f, t, 0, out, 0, in, W, out, 1));
    }
    if (!b) return HS_OK;
    snprintf(n, sizeof n, "%s.bias", base);
    HS_CHECK(get_t(c, pfx, n, 1, out, 0, what, 0, &t, &f));
    return hs_st_read_block(f, t, 0, 1, 0, out, b, 0, 0);
}

static hs_status load_layer(const ld_ctx *c, const fam_names *fn, hs_model *m, int l, const unsigned char *kept)
{
    const size_t d = m->cfg.d_model, F = m->cfg.d_ff, H = m->cfg.heads, dh = d / H;
    size_t nk = 0;
    for (size_t h = 0; h < H; h++) nk += kept[h];
    const size_t dk = nk * dh;
    char lp[64], n[300], what[160];
    snprintf(lp, sizeof lp, fn->layer, l);
    hs_real *wq = m->p.wq + l * d * d, *wk = m->p.wk + l * d * d, *wv = m->p.wv + l * d * d,
            *wo = m->p.wo + l * d * d, *bq = m->p.bq + l * d, *bk = m->p.bk + l * d, *bv = m->p.bv + l * d;
    /* pruned heads: zero weights, gate 0 (init wrote random values there) */
    for (size_t h = 0; h < H; h++) {
        if (kept[h]) continue;
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < dh; j++) wq[i * d + h * dh + j] = wk[i * d + h * dh + j] = wv[i * d + h * dh + j] = 0;
        for (size_t j = 0; j < dh; j++) bq[h * dh + j] = bk[h * dh + j] = bv[h * dh + j] = 0;
        memset(wo + h * dh * d, 0, dh * d * sizeof(hs_real));
        m->p.gates[l * H + h] = 0;
    }
    const hs_st_tensor *t;
    const hs_safetensors *f;
    if (fn->family == HS_HF_GPT2) {
        snprintf(n, sizeof n, "%sattn.c_attn.weight", lp);
        snprintf(what, sizeof what, "hidden size x 3 x (%zu kept heads x head size)", nk);
        HS_CHECK(get_t(c, 1, n, 2, d, 3 * dk, what, 0, &t, &f));
        const hs_st_tensor *tb;
        const hs_safetensors *fb;
        snprintf(n, sizeof n, "%sattn.c_attn.bias", lp);
        HS_CHECK(get_t(c, 1, n, 1, 3 * dk, 0, what, 0, &tb, &fb));
        size_t k = 0;
        for (size_t h = 0; h < H; h++) {
            if (!kept[h]) continue;
            hs_real *W[3] = {wq, wk, wv}, *B[3] = {bq, bk, bv};
            for (int s = 0; s < 3; s++) { /* columns: q of the kept heads | k | v */
                HS_CHECK(hs_st_read_block(f, t, 0, d, s * dk + k * dh, dh, W[s] + h * dh, d, 0));
                HS_CHECK(hs_st_read_block(fb, tb, 0, 1, s * dk + k * dh, dh, B[s] + h * dh, 0, 0));
            }
            k++;
        }
        snprintf(n, sizeof n, "%sattn.c_proj.weight", lp);
        snprintf(what, sizeof what, "(%zu kept heads x head size) x hidden size", nk);
        HS_CHECK(get_t(c, 1, n, 2, dk, d, what, 0, &t, &f));
        k = 0;
        for (size_t h = 0; h < H; h++)
            if (kept[h]) HS_CHECK(hs_st_read_block(f, t, k++ * dh, dh, 0, d, wo + h * dh * d, d, 0));
        snprintf(n, sizeof n, "%sattn.c_proj.bias", lp);
        HS_CHECK(get_t(c, 1, n, 1, d, 0, "hidden size", 0, &t, &f));
        HS_CHECK(hs_st_read_block(f, t, 0, 1, 0, d, m->p.bo + l * d, 0, 0));
    } else {
        const char *qkv[3] = {fn->q, fn->k, fn->v};
        hs_real *W[3] = {wq, wk, wv}, *B[3] = {bq, bk, bv};
        snprintf(what, sizeof what, "(%zu kept heads x head size) x hidden size", nk);
        for (int s = 0; s < 3; s++) {
            snprintf(n, sizeof n, "%s%s.weight", lp, qkv[s]);
            HS_CHECK(get_t(c, 1, n, 2, dk, d, what, 0, &t, &f));
            const hs_st_tensor *tb;
            const hs_safetensors *fb;
            snprintf(n, sizeof n, "%s%s.bias", lp, qkv[s]);
            HS_CHECK(get_t(c, 1, n, 1, dk, 0, what, 0, &tb, &fb));
            size_t k = 0;
            for (size_t h = 0; h < H; h++) {
                if (!kept[h]) continue;
                HS_CHECK(hs_st_read_block(f, t, k * dh, dh, 0, d, W[s] + h * dh, d, 1));
                HS_CHECK(hs_st_read_block(fb, tb, 0, 1, k * dh, dh, B[s] + h * dh, 0, 0));
                k++;
            }
        }
        snprintf(n, sizeof n, "%s%s.weight", lp, fn->o);
        snprintf(what, sizeof what, "hidden size x (%zu kept heads x head size)", nk);
        HS_CHECK(get_t(c, 1, n, 2, d, dk, what, 0, &t, &f));
        size_t k = 0;
        for (size_t h = 0; h < H; h++)
            if (kept[h]) HS_CHECK(hs_st_read_block(f, t, 0, d, k++ * dh, dh, wo + h * dh * d, d, 1));
        snprintf(n, sizeof n, "%s%s.bias", lp, fn->o);
        HS_CHECK(get_t(c, 1, n, 1, d, 0, "hidden size", 0, &t, &f));
        HS_CHECK(hs_st_read_block(f, t, 0, 1, 0, d, m->p.bo + l * d, 0, 0));
    }
    const int conv = fn->family == HS_HF_GPT2;
    snprintf(n, sizeof n, "%s%s", lp, fn->ln1);
    HS_CHECK(load_ln(c, 1, n, d, m->p.ln1_g + l * d, m->p.ln1_b + l * d));
    snprintf(n, sizeof n, "%s%s", lp, fn->ln2);
    HS_CHECK(load_ln(c, 1, n, d, m->p.ln2_g + l * d, m->p.ln2_b + l * d));
    snprintf(n, sizeof n, "%s%s", lp, fn->w1);
    HS_CHECK(load_linear(c, 1, n, d, F, conv, m->p.w1 + l * d * F, m->p.b1 + l * F,
                         conv ? "hidden size x inner size" : "intermediate size x hidden size"));
    snprintf(n, sizeof n, "%s%s", lp, fn->w2);
    HS_CHECK(load_linear(c, 1, n, F, d, conv, m->p.w2 + l * d * F, m->p.b2 + l * d,
                         conv ? "inner size x hidden size" : "hidden size x intermediate size"));
    return HS_OK;
}

static hs_status load_model(ld_ctx *c, const fam_names *fn, const hs_json *cj, const char *cfile,
                            hs_config *cfg, hs_hf_info *info, int n_out, int seq_len, uint64_t key, hs_model **out)
{
    const size_t d = cfg->d_model, V = cfg->vocab;
    HS_CHECK(open_files(c));
    const hs_st_tensor *t;
    const hs_safetensors *f;
    /* prefix: "bert." etc. in task-head files, none in a bare base model's */
    char word[128];
    snprintf(word, sizeof word, "%s.weight", fn->word);
    snprintf(c->prefix, sizeof c->prefix, "%s", fn->prefix);
    HS_CHECK(get_t(c, 1, word, 2, V, d, "vocab_size x hidden size of config.json", 1, &t, &f));
    if (!t) {
        c->prefix[0] = 0;
        HS_CHECK(get_t(c, 1, word, 2, V, d, "vocab_size x hidden size of config.json", 1, &t, &f));
        if (!t) {
            snprintf(c->prefix, sizeof c->prefix, "%s", fn->prefix);
            return hs_error_set(HS_ERR_INPUT, "%s: tensor %s%s missing (nor %s): expected [%zu, %zu] (vocab_size x "
                                "hidden size of config.json)", c->where, fn->prefix, word, word, V, d);
        }
    }
    /* the classification head the file holds */
    char on[128];
    snprintf(on, sizeof on, "%s.weight", fn->out);
    const hs_st_tensor *ot = lookup(c, on, &f);
    int file_labels = 0;
    if (ot) {
        if (ot->rank != 2 || ot->shape[1] != d || ot->shape[0] < 1 || ot->shape[0] > (1 << 24)) {
            char sb[128];
            return hs_error_set(HS_ERR_INPUT, "%s: tensor %s has shape %s: expected [labels, %zu] (labels x hidden "
                                "size)", f->path, on, hs_st_shape_str(ot, sb, sizeof sb), d);
        }
        file_labels = (int)ot->shape[0];
        if (info->n_labels && info->n_labels != file_labels)
            return hs_error_set(HS_ERR_INPUT, "%s: tensor %s has %d rows: expected %d, one per label of id2label in "
                                "%s", f->path, on, file_labels, info->n_labels, cfile);
    }
    info->has_classifier = ot != NULL;
    if (!ot) {
        hs_hf_info_free(info); /* id2label of a folder without a head describes nothing */
    } else if (!info->n_labels)
        info->n_labels = file_labels;
    const int keep_head = n_out == 0;
    if (keep_head && !ot)
        return hs_error_set(HS_ERR_INPUT, "%s: no classification head (tensor %s): expected a "
                            "%s checkpoint, or give the number of classes for a fresh head", c->where, on,
                            fn->arch_cls);
    if (keep_head && file_labels < 2)
        return hs_error_set(HS_ERR_INPUT, "%s: tensor %s has %d row: expected at least 2 classes (a regression head "
                            "is not supported)", f->path, on, file_labels);
    cfg->n_out = keep_head ? file_labels : n_out;
    if (seq_len < 0 || seq_len > info->max_positions)
        return hs_error_set(HS_ERR_INPUT, "%s: sequence length %d: expected at most the %d positions of the checkpoint",
                            cfile, seq_len, info->max_positions);
    if (seq_len) cfg->seq_len = seq_len;
    unsigned char *kept;
    HS_CHECK(hs_calloc((void **)&kept, (size_t)cfg->layers * cfg->heads, 1, "head flags"));
    hs_status s = read_pruned(cj, cfile, cfg->layers, cfg->heads, kept);
    hs_model *m = NULL;
    if (s == HS_OK) s = hs_model_create(&m, cfg);
    if (s == HS_OK) {
        /* every layer matrix and the token embeddings are overwritten below
         * (pruned heads with zeros): drawing them would cost more than loading */
        unsigned char skip[HS_NUM_PARAMS] = {0};
        const int loaded[] = {HS_P_TOK_EMB, HS_P_POS_EMB, HS_P_WQ, HS_P_WK, HS_P_WV, HS_P_WO, HS_P_W1, HS_P_W2};
        for (size_t i = 0; i < sizeof loaded / sizeof loaded[0]; i++) skip[loaded[i]] = 1;
        hs_model_init_weights_skip(m, key, skip);
        const size_t P = (size_t)cfg->seq_len + cfg->pos_offset, Pf = (size_t)info->max_positions + cfg->pos_offset;
        char n[300];
        s = get_t(c, 1, word, 2, V, d, "vocab_size x hidden size of config.json", 0, &t, &f);
        if (s == HS_OK) s = hs_st_read_block(f, t, 0, V, 0, d, m->p.tok_emb, d, 0);
        snprintf(n, sizeof n, "%s.weight", fn->pos);
        if (s == HS_OK) s = get_t(c, 1, n, 2, Pf, d, "max positions x hidden size of config.json", 0, &t, &f);
        if (s == HS_OK) s = hs_st_read_block(f, t, 0, P, 0, d, m->p.pos_emb, d, 0);
        if (s == HS_OK && fn->type && cfg->type_vocab) {
            snprintf(n, sizeof n, "%s.weight", fn->type);
            s = get_t(c, 1, n, 2, cfg->type_vocab, d, "type_vocab_size x hidden size of config.json", 0, &t, &f);
            if (s == HS_OK) s = hs_st_read_block(f, t, 0, cfg->type_vocab, 0, d, m->p.type_emb, d, 0);
        }
        if (s == HS_OK && fn->emb_ln) s = load_ln(c, 1, fn->emb_ln, d, m->p.emb_ln_g, m->p.emb_ln_b);
        for (int l = 0; s == HS_OK && l < cfg->layers; l++) s = load_layer(c, fn, m, l, kept + (size_t)l * cfg->heads);
        if (s == HS_OK && fn->lnf) s = load_ln(c, 1, fn->lnf, d, m->p.lnf_g, m->p.lnf_b);
        /* pooler: BERT's belongs to the pretrained body (kept under a fresh
         * head, freshly initialised only when absent); RoBERTa's and
         * DistilBERT's dense layers belong to the head */
        if (s == HS_OK && fn->pool && (keep_head || fn->pool_prefixed)) {
            char pb[128];
            snprintf(pb, sizeof pb, "%s.weight", fn->pool);
            s = get_t(c, fn->pool_prefixed, pb, 2, d, d, "hidden size x hidden size", !keep_head, &t, &f);
            if (s == HS_OK && t)
                s = load_linear(c, fn->pool_prefixed, fn->pool, d, d, 0, m->p.pool_w, m->p.pool_b,
                                "hidden size x hidden size");
        }
        if (s == HS_OK && keep_head) {
            s = load_linear(c, 0, fn->out, d, (size_t)file_labels, 0, m->p.out_w, fn->out_bias ? m->p.out_b : NULL,
                            "labels x hidden size");
            if (!fn->out_bias) memset(m->p.out_b, 0, (size_t)file_labels * sizeof(hs_real));
        }
    }
    hs_free(kept);
    if (s != HS_OK) {
        hs_model_destroy(&m);
        return s;
    }
    *out = m;
    return HS_OK;
}

/* The weight files' size and the SHA-256 of their headers (hf_model.h). */
static void weights_identity(const ld_ctx *c, hs_hf_info *info)
{
    const char *base = strrchr(c->where, '/');
    snprintf(info->weights_file, sizeof info->weights_file, "%.63s", base ? base + 1 : c->where);
    hs_sha256 h;
    hs_sha256_init(&h);
    info->weights_bytes = 0;
    for (size_t i = 0; i < c->nf; i++) {
        info->weights_bytes += (long long)c->f[i]->map_len;
        hs_sha256_update(&h, c->f[i]->map, (size_t)(c->f[i]->data - c->f[i]->map));
    }
    hs_sha256_final(&h, info->weights_header_sha256);
    enum { BLOCKS = 256, BLOCK = 4096 };
    hs_sha256_init(&h);
    for (size_t i = 0; i < c->nf; i++) {
        const unsigned char *d = c->f[i]->data;
        const size_t head = (size_t)(d - c->f[i]->map), len = c->f[i]->map_len - head;
        hs_sha256_update(&h, c->f[i]->map, head);
        if (len <= (size_t)BLOCKS * BLOCK) {
            hs_sha256_update(&h, d, len);
            continue;
        }
        for (size_t b = 0; b < BLOCKS; b++) hs_sha256_update(&h, d + b * ((len - BLOCK) / (BLOCKS - 1)), BLOCK);
    }
    hs_sha256_final(&h, info->weights_sample_sha256);
}

hs_status hs_hf_load(hs_model **out, hs_hf_info *info_out, const char *dir, int n_out, int seq_len, uint64_t key)
{
    *out = NULL;
    hs_hf_info info;
    hs_config cfg;
    hs_json *cj;
    char cfile[4200];
    snprintf(cfile, sizeof cfile, "%s/config.json", dir);
    if (n_out < 0 || n_out == 1)
        return hs_error_set(HS_ERR_INPUT, "%s: %d classes: expected 0 (the checkpoint's head) or at least 2", dir, n_out);
    HS_CHECK(read_config(dir, &cfg, &info, &cj));
    ld_ctx c;
    memset(&c, 0, sizeof c);
    c.dir = dir;
    hs_status s = load_model(&c, fam_of(info.family), cj, cfile, &cfg, &info, n_out, seq_len, key, out);
    if (s == HS_OK) weights_identity(&c, &info);
    close_files(&c);
    hs_json_free(cj);
    if (s != HS_OK || !info_out) hs_hf_info_free(&info);
    else *info_out = info;
    return s;
}

/* --- export ------------------------------------------------------------------ */

typedef struct {
    hs_st_out *t;
    size_t n, cap;
    float **bufs;
    size_t nb;
    char **names;
} out_set;

static void out_free(out_set *o)
{
    for (size_t i = 0; i < o->n; i++) {
        hs_free(o->bufs[i]);
        hs_free(o->names[i]);
    }
    hs_free(o->t);
    hs_free(o->bufs);
    hs_free(o->names);
    memset(o, 0, sizeof *o);
}

/* Adds a tensor of shape [d0] (rank 1) or [d0][d1] (rank 2); returns its buffer. */
static hs_status out_add(out_set *o, const char *prefix, const char *name, int rank, size_t d0, size_t d1,
                         float **buf)
{
    if (o->n == o->cap) {
        size_t nc = o->cap ? 2 * o->cap : 64;
        hs_st_out *t;
        float **b;
        char **nm;
        HS_CHECK(hs_calloc((void **)&t, nc, sizeof *t, "export tensors"));
        if (hs_calloc((void **)&b, nc, sizeof *b, "export tensors") != HS_OK) {
            hs_free(t);
            return HS_ERR_NOMEM;
        }
        if (hs_calloc((void **)&nm, nc, sizeof *nm, "export tensors") != HS_OK) {
            hs_free(t);
            hs_free(b);
            return HS_ERR_NOMEM;
        }
        if (o->n) {
            memcpy(t, o->t, o->n * sizeof *t);
            memcpy(b, o->bufs, o->n * sizeof *b);
            memcpy(nm, o->names, o->n * sizeof *nm);
        }
        hs_free(o->t);
        hs_free(o->bufs);
        hs_free(o->names);
        o->t = t;
        o->bufs = b;
        o->names = nm;
        o->cap = nc;
    }
    size_t cnt = rank == 2 ? d0 * d1 : d0;
    char full[512];
    snprintf(full, sizeof full, "%s%s", prefix, name);
    o->names[o->n] = dupstr(full);
    if (!o->names[o->n]) return HS_ERR_NOMEM;
    /* one spare element: a tensor of 0 elements (a layer without heads) still gets a buffer */
    if (hs_calloc((void **)&o->bufs[o->n], cnt + 1, sizeof(float), "export tensor") != HS_OK) {
        hs_free(o->names[o->n]);
        return HS_ERR_NOMEM;
    }
    hs_st_out *t = &o->t[o->n];
    t->name = o->names[o->n];
    t->rank = rank;
    t->shape[0] = d0;
    t->shape[1] = d1;
    t->data = o->bufs[o->n];
    *buf = o->bufs[o->n];
    o->n++;
    return HS_OK;
}

/* src [rows][cols] (ld) → dst [rows][cols] or its transpose [cols][rows]. */
static void put(float *dst, const hs_real *src, size_t rows, size_t cols, size_t ld, int transpose)
{
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) {
            if (transpose) dst[j * rows + i] = (float)src[i * ld + j];
            else dst[i * cols + j] = (float)src[i * ld + j];
        }
}

static hs_status add_vec(out_set *o, const char *pfx, const char *base, const char *suffix, const hs_real *v, size_t n)
{
    char name[300];
    float *b;
    snprintf(name, sizeof name, "%s%s", base, suffix);
    HS_CHECK(out_add(o, pfx, name, 1, n, 0, &b));
    put(b, v, 1, n, n, 0);
    return HS_OK;
}

/* W [in][out] as nn.Linear [out][in] (or Conv1D [in][out]) plus bias. */
static hs_status add_linear(out_set *o, const char *pfx, const char *base, const hs_real *W, const hs_real *b,
                            size_t in, size_t out, int conv)
{
    char name[300];
    float *buf;
    snprintf(name, sizeof name, "%s.weight", base);
    HS_CHECK(out_add(o, pfx, name, 2, conv ? in : out, conv ? out : in, &buf));
    put(buf, W, in, out, out, !conv);
    return b ? add_vec(o, pfx, base, ".bias", b, out) : HS_OK;
}

static hs_status build_tensors(const hs_model *m, const fam_names *fn, out_set *o)
{
    const hs_config *c = &m->cfg;
    const size_t d = c->d_model, F = c->d_ff, H = c->heads, dh = d / H, V = c->vocab;
    const size_t P = (size_t)c->seq_len + c->pos_offset;
    const char *pfx = fn->prefix;
    const int conv = fn->family == HS_HF_GPT2;
    char n[300];
    float *b;
    snprintf(n, sizeof n, "%s.weight", fn->word);
    HS_CHECK(out_add(o, pfx, n, 2, V, d, &b));
    put(b, m->p.tok_emb, V, d, d, 0);
    snprintf(n, sizeof n, "%s.weight", fn->pos);
    HS_CHECK(out_add(o, pfx, n, 2, P, d, &b));
    put(b, m->p.pos_emb, P, d, d, 0);
    if (fn->type) {
        snprintf(n, sizeof n, "%s.weight", fn->type);
        HS_CHECK(out_add(o, pfx, n, 2, c->type_vocab, d, &b));
        put(b, m->p.type_emb, c->type_vocab, d, d, 0);
    }
    if (fn->emb_ln) {
        HS_CHECK(add_vec(o, pfx, fn->emb_ln, ".weight", m->p.emb_ln_g, d));
        HS_CHECK(add_vec(o, pfx, fn->emb_ln, ".bias", m->p.emb_ln_b, d));
    }
    for (size_t l = 0; l < (size_t)c->layers; l++) {
        const hs_real *g = m->p.gates + l * H;
        size_t kh[1024], nk = 0;
        for (size_t h = 0; h < H; h++)
            if (g[h] != 0) kh[nk++] = h;
        const size_t dk = nk * dh;
        char lp[64];
        snprintf(lp, sizeof lp, fn->layer, (int)l);
        const hs_real *W[3] = {m->p.wq + l * d * d, m->p.wk + l * d * d, m->p.wv + l * d * d};
        const hs_real *B[3] = {m->p.bq + l * d, m->p.bk + l * d, m->p.bv + l * d};
        const hs_real *wo = m->p.wo + l * d * d;
        float *ow, *ob;
        if (conv) {
            float *aw, *ab;
            snprintf(n, sizeof n, "%sattn.c_attn.weight", lp);
            HS_CHECK(out_add(o, pfx, n, 2, d, 3 * dk, &aw));
            snprintf(n, sizeof n, "%sattn.c_attn.bias", lp);
            HS_CHECK(out_add(o, pfx, n, 1, 3 * dk, 0, &ab));
            for (int s = 0; s < 3; s++)
                for (size_t k = 0; k < nk; k++)
                    for (size_t j = 0; j < dh; j++) {
                        size_t col = s * dk + k * dh + j, src = kh[k] * dh + j;
                        for (size_t i = 0; i < d; i++) aw[i * 3 * dk + col] = (float)W[s][i * d + src];
                        ab[col] = (float)B[s][src];
                    }
            snprintf(n, sizeof n, "%sattn.c_proj.weight", lp);
            HS_CHECK(out_add(o, pfx, n, 2, dk, d, &ow));
            for (size_t k = 0; k < nk; k++)
                for (size_t j = 0; j < dh; j++)
                    for (size_t i = 0; i < d; i++)
                        ow[(k * dh + j) * d + i] = (float)(wo[(kh[k] * dh + j) * d + i] * g[kh[k]]);
            snprintf(n, sizeof n, "%sattn.c_proj", lp);
            HS_CHECK(add_vec(o, pfx, n, ".bias", m->p.bo + l * d, d));
        } else {
            const char *qkv[3] = {fn->q, fn->k, fn->v};
            for (int s = 0; s < 3; s++) {
                float *qw, *qb;
                snprintf(n, sizeof n, "%s%s.weight", lp, qkv[s]);
                HS_CHECK(out_add(o, pfx, n, 2, dk, d, &qw));
                snprintf(n, sizeof n, "%s%s.bias", lp, qkv[s]);
                HS_CHECK(out_add(o, pfx, n, 1, dk, 0, &qb));
                for (size_t k = 0; k < nk; k++)
                    for (size_t j = 0; j < dh; j++) {
                        size_t row = k * dh + j, src = kh[k] * dh + j;
                        for (size_t i = 0; i < d; i++) qw[row * d + i] = (float)W[s][i * d + src];
                        qb[row] = (float)B[s][src];
                    }
            }
            snprintf(n, sizeof n, "%s%s.weight", lp, fn->o);
            HS_CHECK(out_add(o, pfx, n, 2, d, dk, &ow));
            for (size_t i = 0; i < d; i++)
                for (size_t k = 0; k < nk; k++)
                    for (size_t j = 0; j < dh; j++)
                        ow[i * dk + k * dh + j] = (float)(wo[(kh[k] * dh + j) * d + i] * g[kh[k]]);
            snprintf(n, sizeof n, "%s%s", lp, fn->o);
            HS_CHECK(add_vec(o, pfx, n, ".bias", m->p.bo + l * d, d));
        }
        (void)ob;
        snprintf(n, sizeof n, "%s%s", lp, fn->ln1);
        HS_CHECK(add_vec(o, pfx, n, ".weight", m->p.ln1_g + l * d, d));
        HS_CHECK(add_vec(o, pfx, n, ".bias", m->p.ln1_b + l * d, d));
        snprintf(n, sizeof n, "%s%s", lp, fn->ln2);
        HS_CHECK(add_vec(o, pfx, n, ".weight", m->p.ln2_g + l * d, d));
        HS_CHECK(add_vec(o, pfx, n, ".bias", m->p.ln2_b + l * d, d));
        snprintf(n, sizeof n, "%s%s", lp, fn->w1);
        HS_CHECK(add_linear(o, pfx, n, m->p.w1 + l * d * F, m->p.b1 + l * F, d, F, conv));
        snprintf(n, sizeof n, "%s%s", lp, fn->w2);
        HS_CHECK(add_linear(o, pfx, n, m->p.w2 + l * d * F, m->p.b2 + l * d, F, d, conv));
    }
    if (fn->lnf) {
        HS_CHECK(add_vec(o, pfx, fn->lnf, ".weight", m->p.lnf_g, d));
        HS_CHECK(add_vec(o, pfx, fn->lnf, ".bias", m->p.lnf_b, d));
    }
    if (fn->pool) HS_CHECK(add_linear(o, fn->pool_prefixed ? pfx : "", fn->pool, m->p.pool_w, m->p.pool_b, d, d, 0));
    return add_linear(o, "", fn->out, m->p.out_w, fn->out_bias ? m->p.out_b : NULL, d, (size_t)c->n_out, 0);
}

/* JSON text of a string. */
static void jstr(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') fprintf(fp, "\\%c", ch);
        else if (ch == '\n') fputs("\\n", fp);
        else if (ch == '\t') fputs("\\t", fp);
        else if (ch < 0x20) fprintf(fp, "\\u%04x", ch);
        else fputc(ch, fp);
    }
    fputc('"', fp);
}

static void jnum(FILE *fp, double x)
{
    if (x == floor(x) && fabs(x) < 9007199254740992.0) fprintf(fp, "%.0f", x);
    else fprintf(fp, "%.17g", x);
}

static void jvalue(FILE *fp, const hs_json *v, int ind)
{
    switch (v->type) {
    case HS_JSON_NULL: fputs("null", fp); break;
    case HS_JSON_BOOL: fputs(v->num ? "true" : "false", fp); break;
    case HS_JSON_NUM: jnum(fp, v->num); break;
    case HS_JSON_STR: jstr(fp, v->str); break;
    case HS_JSON_ARR:
    case HS_JSON_OBJ: {
        int obj = v->type == HS_JSON_OBJ;
        if (!v->len) {
            fputs(obj ? "{}" : "[]", fp);
            break;
        }
        fputs(obj ? "{\n" : "[\n", fp);
        for (size_t i = 0; i < v->len; i++) {
            fprintf(fp, "%*s", ind + 2, "");
            if (obj) {
                jstr(fp, v->keys[i]);
                fputs(": ", fp);
            }
            jvalue(fp, &v->items[i], ind + 2);
            fputs(i + 1 < v->len ? ",\n" : "\n", fp);
        }
        fprintf(fp, "%*s%c", ind, "", obj ? '}' : ']');
        break;
    }
    }
}

typedef struct {
    const char *key;
    char *text; /* JSON text, NULL = drop the key */
} override;

static hs_status copy_file(const char *from, const char *to)
{
    char *buf;
    size_t n;
    HS_CHECK(slurp(from, &buf, &n, (size_t)1 << 30, "a tokenizer file"));
    FILE *fp = fopen(to, "wb");
    hs_status s = HS_OK;
    if (!fp || fwrite(buf, 1, n, fp) != n) s = hs_error_set(HS_ERR_IO, "%s: cannot write: %s", to, strerror(errno));
    if (fp && fclose(fp) != 0 && s == HS_OK) s = hs_error_set(HS_ERR_IO, "%s: cannot write: %s", to, strerror(errno));
    hs_free(buf);
    return s;
}

/* DIR must not exist (it is created) or be an empty folder. */
static hs_status make_out_dir(const char *dir)
{
    if (mkdir(dir, 0777) == 0) return HS_OK;
    if (errno != EEXIST) return hs_error_set(HS_ERR_IO, "%s: cannot create the folder: %s", dir, strerror(errno));
    DIR *dp = opendir(dir);
    if (!dp) return hs_error_set(HS_ERR_INPUT, "%s: exists and is not a folder: expected a new or empty folder", dir);
    struct dirent *e;
    int empty = 1;
    while ((e = readdir(dp)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = 0;
    closedir(dp);
    if (!empty) return hs_error_set(HS_ERR_INPUT, "%s: the folder is not empty: expected a new or empty folder "
                                    "(nothing is overwritten)", dir);
    return HS_OK;
}

static char *memtext(FILE *fp, char **buf)
{
    fclose(fp);
    char *d = dupstr(*buf);
    free(*buf);
    return d;
}

static hs_status export_json(const hs_model *m, const hs_hf_info *info, const hs_json *src, const char *from_dir,
                             const char *dir, char *const *id2label);

hs_status hs_hf_export(const hs_model *m, const hs_hf_info *info, const char *from_dir, const char *dir,
                       char *const *id2label)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/config.json", from_dir);
    hs_json *src;
    HS_CHECK(read_json(path, &src, (size_t)16 << 20, "the source folder's config.json"));
    hs_status s = HS_OK;
    hs_hf_info own;
    info_init(&own);
    if (src->type != HS_JSON_OBJ)
        s = hs_error_set(HS_ERR_INPUT, "%s: expected a JSON object", path);
    if (s == HS_OK && !info) {
        /* the folder's settings from the config.json read here (not a second read) */
        hs_config cfg;
        s = read_config_json(from_dir, src, path, &cfg, &own);
        info = &own;
    }
    if (s == HS_OK) s = export_json(m, info, src, from_dir, dir, id2label);
    hs_hf_info_free(&own);
    hs_json_free(src);
    return s;
}

static hs_status export_json(const hs_model *m, const hs_hf_info *info, const hs_json *src, const char *from_dir,
                             const char *dir, char *const *id2label)
{
    const hs_config *c = &m->cfg;
    char path[4200];
    const fam_names *fn = fam_of(info->family);
    if (c->lm || c->patch_dim)
        return hs_error_set(HS_ERR_INPUT, "%s: only classification models of the four families export: expected "
                            "lm = 0 and a token model", dir);
    const int want_post = info->family != HS_HF_GPT2;
    if (c->post_ln != want_post || (info->family == HS_HF_GPT2) != (c->cls_last != 0))
        return hs_error_set(HS_ERR_INPUT, "%s: the model's settings do not match a %s model: expected one loaded "
                            "from such a folder", dir, info->model_type);
    for (int l = 0; l < c->layers; l++) {
        if (m->layer_off && m->layer_off[l])
            return hs_error_set(HS_ERR_INPUT, "%s: layer %d is dropped: a Hugging Face folder cannot express a "
                                "dropped layer (expected a model with every layer)", dir, l);
        for (int h = 0; m->is_static && h < c->heads; h++)
            if (m->is_static[l * c->heads + h])
                return hs_error_set(HS_ERR_INPUT, "%s: layer %d head %d has a constant attention matrix (PAPA): "
                                    "expected ordinary heads only", dir, l, h);
    }
    out_set o;
    memset(&o, 0, sizeof o);
    hs_status s = build_tensors(m, fn, &o);
    /* the overrides of config.json */
    override ov[24];
    int no = 0;
    char *buf = NULL;
    size_t blen = 0;
    FILE *mf;
#define OV_NUM(k, x)                                                  \
    do {                                                              \
        mf = open_memstream(&buf, &blen);                             \
        jnum(mf, (double)(x));                                        \
        ov[no].key = (k);                                             \
        ov[no++].text = memtext(mf, &buf);                            \
    } while (0)
    const int P = c->seq_len + c->pos_offset;
    switch (info->family) {
    case HS_HF_BERT:
    case HS_HF_ROBERTA:
        OV_NUM("vocab_size", c->vocab); OV_NUM("hidden_size", c->d_model);
        OV_NUM("num_hidden_layers", c->layers); OV_NUM("num_attention_heads", c->heads);
        OV_NUM("intermediate_size", c->d_ff); OV_NUM("max_position_embeddings", P);
        OV_NUM("type_vocab_size", c->type_vocab);
        break;
    case HS_HF_DISTILBERT:
        OV_NUM("vocab_size", c->vocab); OV_NUM("dim", c->d_model); OV_NUM("n_layers", c->layers);
        OV_NUM("n_heads", c->heads); OV_NUM("hidden_dim", c->d_ff); OV_NUM("max_position_embeddings", P);
        break;
    case HS_HF_GPT2:
        OV_NUM("vocab_size", c->vocab); OV_NUM("n_embd", c->d_model); OV_NUM("n_layer", c->layers);
        OV_NUM("n_head", c->heads); OV_NUM("n_inner", c->d_ff); OV_NUM("n_positions", P); OV_NUM("n_ctx", P);
        break;
    }
    /* labels: given, else the folder's when the count matches, else LABEL_i */
    char *const *labels = id2label ? id2label : (info->n_labels == c->n_out ? info->id2label : NULL);
    mf = open_memstream(&buf, &blen);
    for (int pass = 0; pass < 2; pass++) {
        if (pass) mf = open_memstream(&buf, &blen);
        fputs("{\n", mf);
        for (int i = 0; i < c->n_out; i++) {
            char lb[32];
            snprintf(lb, sizeof lb, "LABEL_%d", i);
            const char *name = labels && labels[i] ? labels[i] : lb;
            fputs("    ", mf);
            if (pass) {
                jstr(mf, name);
                fprintf(mf, ": %d", i);
            } else {
                fprintf(mf, "\"%d\": ", i);
                jstr(mf, name);
            }
            fputs(i + 1 < c->n_out ? ",\n" : "\n", mf);
        }
        fputs("  }", mf);
        ov[no].key = pass ? "label2id" : "id2label";
        ov[no++].text = memtext(mf, &buf);
    }
    /* pruned_heads: every head of gate 0, in original indices */
    mf = open_memstream(&buf, &blen);
    int any = 0;
    fputs("{", mf);
    for (int l = 0; l < c->layers; l++) {
        int first = 1;
        for (int h = 0; h < c->heads; h++) {
            if (m->p.gates[l * c->heads + h] != 0) continue;
            if (first) fprintf(mf, "%s\n    \"%d\": [", any ? "," : "", l);
            fprintf(mf, first ? "%d" : ", %d", h);
            first = 0;
            any = 1;
        }
        if (!first) fputs("]", mf);
    }
    fputs(any ? "\n  }" : "}", mf);
    ov[no].key = "pruned_heads";
    ov[no++].text = memtext(mf, &buf);
    if (!any) {
        hs_free(ov[no - 1].text);
        ov[no - 1].text = NULL;
    }
    mf = open_memstream(&buf, &blen);
    fputs("[\n    ", mf);
    jstr(mf, fn->arch_cls);
    fputs("\n  ]", mf);
    ov[no].key = "architectures";
    ov[no++].text = memtext(mf, &buf);
    ov[no].key = "torch_dtype";
    ov[no++].text = dupstr("\"float32\"");
    ov[no].key = "headsweep_version";
    ov[no++].text = dupstr("\"" PACKAGE_VERSION "\"");
    for (int i = 0; i < no; i++)
        if (!ov[i].text && strcmp(ov[i].key, "pruned_heads") != 0 && s == HS_OK) s = HS_ERR_NOMEM;
    if (s == HS_OK) s = make_out_dir(dir);
    if (s == HS_OK) {
        snprintf(path, sizeof path, "%s/config.json", dir);
        FILE *fp = fopen(path, "w");
        if (!fp) s = hs_error_set(HS_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
        else {
            unsigned char done[24] = {0};
            fputs("{\n", fp);
            int first = 1;
            for (size_t i = 0; i < src->len; i++) {
                int k = -1;
                for (int q = 0; q < no; q++)
                    if (strcmp(src->keys[i], ov[q].key) == 0) k = q;
                if (k >= 0 && (done[k] || !ov[k].text)) continue; /* dropped, or a repeated key */
                fputs(first ? "  " : ",\n  ", fp);
                first = 0;
                jstr(fp, src->keys[i]);
                fputs(": ", fp);
                if (k >= 0) {
                    fputs(ov[k].text, fp);
                    done[k] = 1;
                } else
                    jvalue(fp, &src->items[i], 2);
            }
            for (int q = 0; q < no; q++) {
                if (done[q] || !ov[q].text) continue;
                fputs(first ? "  " : ",\n  ", fp);
                first = 0;
                jstr(fp, ov[q].key);
                fprintf(fp, ": %s", ov[q].text);
            }
            fputs("\n}\n", fp);
            if (ferror(fp) | (fclose(fp) != 0)) s = hs_error_set(HS_ERR_IO, "%s: write failed", path);
        }
    }
    if (s == HS_OK) {
        snprintf(path, sizeof path, "%s/model.safetensors", dir);
        s = hs_st_write(path, o.t, o.n);
    }
    static const char *tok_files[] = {"vocab.txt", "vocab.json", "merges.txt", "tokenizer.json",
                                      "tokenizer_config.json", "special_tokens_map.json"};
    for (size_t i = 0; s == HS_OK && i < sizeof tok_files / sizeof tok_files[0]; i++) {
        char from[4200];
        snprintf(from, sizeof from, "%s/%s", from_dir, tok_files[i]);
        snprintf(path, sizeof path, "%s/%s", dir, tok_files[i]);
        if (file_exists(from)) s = copy_file(from, path);
    }
    for (int i = 0; i < no; i++) hs_free(ov[i].text);
    out_free(&o);
    return s;
}
