/* pretrained.c — model.pretrained in a sweep: a Hugging Face folder's
 * settings, its tokenizer for the tasks layer, and a base job's starting
 * model (docs/pretrained.md). The folder is read through src/pretrained/;
 * the tasks layer sees only the hs_text_encoder callback (it cannot include
 * a higher layer). */
#define _XOPEN_SOURCE 700 /* realpath */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/alloc.h"
#include "../pretrained/hf_model.h"
#include "../pretrained/hf_tokenizer.h"
#include "config.h"

hs_status hs_sweep_pretrained_config(const char *dir, hs_config *cfg, int *has_classifier)
{
    hs_hf_info info;
    memset(&info, 0, sizeof info);
    hs_status s = hs_hf_read_config(dir, cfg, &info);
    *has_classifier = s == HS_OK && info.has_classifier;
    hs_hf_info_free(&info);
    return s;
}

typedef struct {
    hs_text_encoder enc;
    hs_hf_tokenizer *tok;
    char name[320];
} encoder_box;

static int encode(void *ctx, const char *a, size_t na, const char *b, size_t nb, int *ids, int *types, int max_len)
{
    return hs_hf_tokenizer_encode(((encoder_box *)ctx)->tok, a, na, b, nb, ids, types, max_len);
}

hs_status hs_sweep_pretrained_encoder(const char *dir, hs_text_encoder **out)
{
    *out = NULL;
    hs_hf_tokenizer *tok = NULL;
    hs_hf_tok_info ti;
    HS_CHECK(hs_hf_tokenizer_open(&tok, dir, &ti));
    encoder_box *box;
    hs_status s = hs_calloc((void **)&box, 1, sizeof *box, "tokenizer");
    if (s != HS_OK) {
        hs_hf_tokenizer_free(tok);
        return s;
    }
    box->tok = tok;
    snprintf(box->name, sizeof box->name, "%s of %s", ti.source, dir);
    box->enc = (hs_text_encoder){box, encode, hs_hf_tokenizer_vocab_size(tok), hs_hf_tokenizer_pad_id(tok),
                                 hs_hf_tokenizer_type_vocab(tok), box->name};
    *out = &box->enc;
    return HS_OK;
}

void hs_sweep_pretrained_encoder_free(hs_text_encoder **enc)
{
    if (!enc || !*enc) return;
    encoder_box *box = (encoder_box *)(*enc)->ctx;
    hs_hf_tokenizer_free(box->tok);
    hs_free(box);
    *enc = NULL;
}

/* The checkpoint's class of each task class: by name through id2label; data
 * labels 0..C-1 (GLUE's TSV files) are taken as the ids themselves when the
 * names do not match, as Hugging Face's run_glue does. */
static hs_status match_labels(const hs_hf_info *info, const hs_task *t, const char *dir, int *class_of)
{
    const int C = t->shape.n_out;
    if (info->n_labels != C)
        return hs_error_set(HS_ERR_INPUT, "%s/config.json: id2label has %d classes, task %s has %d: expected the same "
                            "(or train.steps > 0 to fine-tune a fresh head)", dir, info->n_labels, t->spec.name, C);
    int by_name = t->class_names != NULL && info->id2label != NULL;
    for (int c = 0; c < C && by_name; c++) {
        class_of[c] = -1;
        for (int k = 0; k < C; k++)
            if (!strcmp(t->class_names[c], info->id2label[k])) class_of[c] = k;
        by_name = class_of[c] >= 0;
    }
    if (by_name) return HS_OK;
    for (int c = 0; c < C; c++) {
        char want[16];
        snprintf(want, sizeof want, "%d", c);
        if (!t->class_names || strcmp(t->class_names[c], want))
            return hs_error_set(HS_ERR_INPUT,
                                "%s/config.json: the task %s's label '%s' is not among id2label's names, and the "
                                "labels are not the ids 0..%d: expected matching names (or train.steps > 0)",
                                dir, t->spec.name, t->class_names ? t->class_names[c] : "?", C - 1);
        class_of[c] = c;
    }
    return HS_OK;
}

/* The base job's model (config.h), and the folder's info (freed by the caller). */
static hs_status load_into(hs_model **out, hs_hf_info *info, const char *dir, const hs_config *cfg, const hs_task *t,
                           long steps, uint64_t key)
{
    *out = NULL;
    /* steps = 0 uses the checkpoint's own head: the sweep refused steps = 0
     * on a folder without one when it was read (and hs_hf_load refuses it
     * should the folder have changed since), so config.json is read once */
    const int own_head = steps == 0;
    memset(info, 0, sizeof *info);
    hs_model *m = NULL;
    hs_status s = hs_hf_load(&m, info, dir, own_head ? 0 : cfg->n_out, cfg->seq_len, key);
    if (s == HS_OK) {
        hs_tensor_info want[HS_NUM_PARAMS];
        size_t n_want;
        hs_model_table(cfg, want, &n_want);
        if (m->num_params != n_want && !own_head)
            s = hs_error_set(HS_ERR_INPUT, "%s: the checkpoint changed since the sweep was read (%zu parameters, "
                             "%zu expected)", dir, m->num_params, n_want);
    }
    if (s == HS_OK && own_head) {
        /* reorder the head's columns into the task's class order */
        int *class_of = NULL;
        hs_real *w = NULL, *b = NULL;
        const int C = cfg->n_out, d = m->cfg.d_model;
        s = hs_calloc((void **)&class_of, (size_t)(C > 0 ? C : 1), sizeof *class_of, "label map");
        if (s == HS_OK) s = match_labels(info, t, dir, class_of);
        if (s == HS_OK) s = hs_calloc((void **)&w, (size_t)d * C, sizeof *w, "head");
        if (s == HS_OK) s = hs_calloc((void **)&b, (size_t)C, sizeof *b, "head");
        if (s == HS_OK) {
            for (int i = 0; i < d; i++)
                for (int c = 0; c < C; c++) w[(size_t)i * C + c] = m->p.out_w[(size_t)i * C + class_of[c]];
            for (int c = 0; c < C; c++) b[c] = m->p.out_b[class_of[c]];
            memcpy(m->p.out_w, w, sizeof *w * (size_t)d * C);
            memcpy(m->p.out_b, b, sizeof *b * (size_t)C);
        }
        hs_free(class_of);
        hs_free(w);
        hs_free(b);
    }
    if (s != HS_OK) {
        hs_model_destroy(&m);
        hs_hf_info_free(info);
        return s;
    }
    *out = m;
    return HS_OK;
}

hs_status hs_sweep_pretrained_load(hs_model **out, const char *dir, const hs_config *cfg, const hs_task *t,
                                   long steps, uint64_t key)
{
    hs_hf_info info;
    hs_status s = load_into(out, &info, dir, cfg, t, steps, key);
    hs_hf_info_free(&info);
    return s;
}

static void or_unknown(char *dst, size_t n, const char *v)
{
    snprintf(dst, n, "%s", v && v[0] ? v : "unknown");
}

hs_status hs_sweep_pretrained_verify(const char *dir, const hs_config *cfg, const hs_task *t, long steps,
                                     hs_sweep_pretrained_prov *prov)
{
    hs_hf_info info;
    hs_model *m = NULL;
    HS_CHECK(load_into(&m, &info, dir, cfg, t, steps, 0));
    if (prov) {
        memset(prov, 0, sizeof *prov);
        char *abs = realpath(dir, NULL);
        snprintf(prov->abspath, sizeof prov->abspath, "%s", abs ? abs : "");
        free(abs);
        or_unknown(prov->model_type, sizeof prov->model_type, info.model_type);
        or_unknown(prov->architectures, sizeof prov->architectures, info.architectures);
        or_unknown(prov->transformers_version, sizeof prov->transformers_version, info.transformers_version);
        or_unknown(prov->torch_dtype, sizeof prov->torch_dtype, info.torch_dtype);
        prov->vocab_size = m->cfg.vocab;
        snprintf(prov->weights_file, sizeof prov->weights_file, "%s", info.weights_file);
        prov->weights_bytes = info.weights_bytes;
        snprintf(prov->weights_header_sha256, sizeof prov->weights_header_sha256, "%s", info.weights_header_sha256);
        snprintf(prov->weights_sample_sha256, sizeof prov->weights_sample_sha256, "%s", info.weights_sample_sha256);
    }
    hs_model_destroy(&m);
    hs_hf_info_free(&info);
    return HS_OK;
}
