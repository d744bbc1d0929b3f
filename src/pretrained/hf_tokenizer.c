/* hf_tokenizer.c — see hf_tokenizer.h. Reads the folder's files with the
 * JSON reader of json.h; the models are wordpiece.c and bpe.c. */
#include "hf_tokenizer.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/alloc.h"
#include "bpe.h"
#include "json.h"
#include "wordpiece.h"

#define TOK_MAX_FILE (64u << 20) /* the biggest tokenizer.json of common models is ~10 MB */
#define TOK_MAX_ID (1 << 24)

struct hs_hf_tokenizer {
    hs_hf_tok_info info;
    hs_wordpiece *wp;
    hs_bpe *bpe;
};

/* --- files ----------------------------------------------------------------- */

static int exists(const char *dir, const char *name)
{
    char p[4096];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static hs_status slurp(const char *dir, const char *name, char **buf, size_t *n)
{
    char p[4096];
    *buf = NULL;
    *n = 0;
    if ((size_t)snprintf(p, sizeof p, "%s/%s", dir, name) >= sizeof p)
        return hs_error_set(HS_ERR_INPUT, "%s/%s: path too long", dir, name);
    FILE *f = fopen(p, "rb");
    if (!f) return hs_error_set(HS_ERR_INPUT, "%s: cannot be opened (expected a readable tokenizer file)", p);
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || (unsigned long long)st.st_size > TOK_MAX_FILE) {
        fclose(f);
        return hs_error_set(HS_ERR_INPUT, "%s: not a regular file of at most %u MiB", p, TOK_MAX_FILE >> 20);
    }
    size_t sz = (size_t)st.st_size;
    hs_status s = hs_calloc((void **)buf, sz + 1, 1, p);
    if (s == HS_OK && sz && fread(*buf, 1, sz, f) != sz) s = hs_error_set(HS_ERR_IO, "%s: read failed", p);
    fclose(f);
    if (s != HS_OK) {
        hs_free(*buf);
        *buf = NULL;
        return s;
    }
    *n = sz;
    return HS_OK;
}

static hs_status read_json(const char *dir, const char *name, hs_json **out)
{
    char *buf, p[4096];
    size_t n;
    *out = NULL;
    HS_CHECK(slurp(dir, name, &buf, &n));
    snprintf(p, sizeof p, "%s/%s", dir, name);
    hs_status s = hs_json_parse(out, buf, n, p);
    hs_free(buf);
    return s;
}

/* --- small JSON helpers ---------------------------------------------------- */

static const char *jstr(const hs_json *o, const char *key) /* a string, or {"content": string} */
{
    const hs_json *v = hs_json_get(o, key);
    if (v && v->type == HS_JSON_OBJ) v = hs_json_get(v, "content");
    return v && v->type == HS_JSON_STR ? v->str : NULL;
}

/* -1 absent or null, else 0/1; a value of another type is refused */
static hs_status jbool(const hs_json *o, const char *key, const char *file, int *out)
{
    const hs_json *v = hs_json_get(o, key);
    if (!v || v->type == HS_JSON_NULL) return HS_OK;
    if (v->type != HS_JSON_BOOL)
        return hs_error_set(HS_ERR_INPUT, "%s: line %d: \"%s\" must be true, false or null", file, v->line, key);
    *out = v->num != 0;
    return HS_OK;
}

static hs_status jid(const hs_json *v, const char *file, const char *key, int *id)
{
    if (!v || v->type != HS_JSON_NUM || v->num < 0 || v->num >= TOK_MAX_ID || v->num != (double)(int)v->num)
        return hs_error_set(HS_ERR_INPUT, "%s: line %d: key \"%.200s\": expected an integer id in [0, %d)", file,
                            v ? v->line : 0, key, TOK_MAX_ID);
    *id = (int)v->num;
    return HS_OK;
}

/* Adds a JSON object of token → id to wp or bpe; refuses non-objects,
 * non-integer ids, repeated keys and ids. */
static hs_status add_vocab(const hs_json *obj, const char *file, hs_wordpiece *wp, hs_bpe *bpe)
{
    if (!obj || obj->type != HS_JSON_OBJ)
        return hs_error_set(HS_ERR_INPUT, "%s: line %d: the vocabulary is not an object of token to id", file,
                            obj ? obj->line : 1);
    int *owner = NULL; /* key index per id, for repeated ids */
    hs_status s = hs_calloc((void **)&owner, TOK_MAX_ID / 64 + obj->len + 1, sizeof *owner, "vocabulary ids");
    size_t cap = TOK_MAX_ID / 64 + obj->len + 1;
    for (size_t i = 0; s == HS_OK && i < obj->len; i++) {
        int id, prev;
        const char *k = obj->keys[i];
        s = jid(&obj->items[i], file, k, &id);
        if (s != HS_OK) break;
        if ((size_t)id >= cap) {
            s = hs_error_set(HS_ERR_INPUT, "%s: line %d: key \"%.200s\": id %d is far past the %zu tokens (expected ids below %zu)",
                             file, obj->items[i].line, k, id, obj->len, cap);
            break;
        }
        if (owner[id])
            s = hs_error_set(HS_ERR_INPUT, "%s: line %d: key \"%.200s\" has id %d, already the id of \"%.200s\" (expected each id once)",
                             file, obj->items[i].line, k, id, obj->keys[owner[id] - 1]);
        if (s != HS_OK) break;
        owner[id] = (int)i + 1;
        s = wp ? hs_wordpiece_add(wp, k, strlen(k), id, &prev) : hs_bpe_add_token(bpe, k, strlen(k), id, &prev);
        if (s == HS_OK && prev >= 0)
            s = hs_error_set(HS_ERR_INPUT, "%s: line %d: key \"%.200s\" appears twice (expected each token once)", file,
                             obj->items[i].line, k);
    }
    hs_free(owner);
    return s;
}

static hs_status bpe_merges_json(hs_bpe *b, const hs_json *m, const char *file)
{
    if (!m || m->type != HS_JSON_ARR)
        return hs_error_set(HS_ERR_INPUT, "%s: line %d: model.merges is not an array of merges", file, m ? m->line : 1);
    for (size_t i = 0; i < m->len; i++) {
        const hs_json *e = &m->items[i];
        char where[48];
        snprintf(where, sizeof where, "line %d: model.merges[%zu]", e->line, i);
        if (e->type == HS_JSON_STR) { /* "left right" */
            const char *sp = strchr(e->str, ' ');
            if (!sp || sp == e->str || !sp[1] || strchr(sp + 1, ' ') || strlen(e->str) != e->len)
                return hs_error_set(HS_ERR_INPUT, "%s: %s: \"%.200s\" is not a merge (expected two tokens separated by one space)",
                                    file, where, e->str);
            HS_CHECK(hs_bpe_add_merge(b, e->str, (size_t)(sp - e->str), sp + 1, strlen(sp + 1), file, where));
        } else if (e->type == HS_JSON_ARR && e->len == 2 && e->items[0].type == HS_JSON_STR &&
                   e->items[1].type == HS_JSON_STR) { /* ["left", "right"] (tokenizers ≥ 0.20) */
            HS_CHECK(hs_bpe_add_merge(b, e->items[0].str, e->items[0].len, e->items[1].str, e->items[1].len, file, where));
        } else
            return hs_error_set(HS_ERR_INPUT, "%s: %s: expected a merge: \"left right\" or [\"left\", \"right\"]", file, where);
    }
    return HS_OK;
}

/* the ByteLevel pre-tokenizer (alone or in a Sequence); NULL if none */
static const hs_json *byte_level(const hs_json *pt)
{
    const hs_json *t = hs_json_get(pt, "type");
    if (!t || t->type != HS_JSON_STR) return NULL;
    if (!strcmp(t->str, "ByteLevel")) return pt;
    const hs_json *seq = hs_json_get(pt, "pretokenizers");
    if (!strcmp(t->str, "Sequence") && seq && seq->type == HS_JSON_ARR)
        for (size_t i = 0; i < seq->len; i++)
            if (byte_level(&seq->items[i])) return byte_level(&seq->items[i]);
    return NULL;
}

/* --- opening ----------------------------------------------------------------- */

typedef struct {
    const char *dir;
    hs_json *config, *tcfg, *tjson;
    char tjson_path[4200];
    int fam;                 /* -1: not known yet */
    const char *cls, *sep, *pad, *unk; /* names */
} open_ctx;

static int family_of_model_type(const char *mt)
{
    if (!mt) return -1;
    if (!strcmp(mt, "bert") || !strcmp(mt, "distilbert")) return HS_TOKFAM_BERT;
    if (!strcmp(mt, "roberta")) return HS_TOKFAM_ROBERTA;
    if (!strcmp(mt, "gpt2")) return HS_TOKFAM_GPT2;
    return -1;
}

static hs_status open_tokenizer_json(hs_hf_tokenizer *t, open_ctx *c)
{
    const char *file = c->tjson_path;
    const hs_json *model = hs_json_get(c->tjson, "model");
    if (!model || model->type != HS_JSON_OBJ)
        return hs_error_set(HS_ERR_INPUT, "%s: no \"model\" object (expected a Hugging Face tokenizers file)", file);
    const char *type = jstr(model, "type");
    if (!type) type = hs_json_get(model, "merges") ? "BPE" : hs_json_get(model, "continuing_subword_prefix") ? "WordPiece" : "";
    const hs_json *added = hs_json_get(c->tjson, "added_tokens");
    if (!strcmp(type, "WordPiece")) {
        hs_wordpiece_opts o;
        hs_wordpiece_opts_default(&o);
        const hs_json *nz = hs_json_get(c->tjson, "normalizer");
        const char *nt = jstr(nz, "type");
        if (nt && !strcmp(nt, "BertNormalizer")) {
            HS_CHECK(jbool(nz, "lowercase", file, &o.lowercase));
            HS_CHECK(jbool(nz, "strip_accents", file, &o.strip_accents));
            HS_CHECK(jbool(nz, "clean_text", file, &o.clean_text));
            HS_CHECK(jbool(nz, "handle_chinese_chars", file, &o.chinese_chars));
        } else if (!nz || nz->type == HS_JSON_NULL) {
            o.lowercase = o.strip_accents = o.clean_text = o.chinese_chars = 0;
        } else
            return hs_error_set(HS_ERR_INPUT, "%s: normalizer \"%s\" is not supported (expected BertNormalizer or null)", file,
                                nt ? nt : "?");
        const char *unk = jstr(model, "unk_token"), *pfx = jstr(model, "continuing_subword_prefix");
        if (unk) snprintf(o.unk, sizeof o.unk, "%s", unk);
        if (pfx) snprintf(o.prefix, sizeof o.prefix, "%s", pfx);
        const hs_json *mx = hs_json_get(model, "max_input_chars_per_word");
        if (mx && mx->type == HS_JSON_NUM) o.max_chars = mx->num < 1 ? 1 : mx->num > 100000 ? 100000 : (int)mx->num;
        HS_CHECK(hs_wordpiece_create(&t->wp, &o));
        HS_CHECK(add_vocab(hs_json_get(model, "vocab"), file, t->wp, NULL));
        HS_CHECK(hs_wordpiece_finish(t->wp, file));
        t->info.wordpiece = 1;
        t->info.lowercase = o.lowercase;
    } else if (!strcmp(type, "BPE")) {
        const hs_json *bl = byte_level(hs_json_get(c->tjson, "pre_tokenizer"));
        if (!bl)
            return hs_error_set(HS_ERR_INPUT, "%s: a BPE model without a ByteLevel pre_tokenizer (expected GPT-2's or RoBERTa's byte-level BPE)", file);
        int aps = 0;
        HS_CHECK(jbool(bl, "add_prefix_space", file, &aps));
        if (aps < 0) aps = 0;
        HS_CHECK(hs_bpe_create(&t->bpe));
        HS_CHECK(add_vocab(hs_json_get(model, "vocab"), file, NULL, t->bpe));
        HS_CHECK(bpe_merges_json(t->bpe, hs_json_get(model, "merges"), file));
        HS_CHECK(hs_bpe_finish(t->bpe, jstr(model, "unk_token"), aps, file));
    } else
        return hs_error_set(HS_ERR_INPUT, "%s: model.type \"%s\" is not supported (expected WordPiece or BPE)", file, type);
    /* added tokens: their ids (special tokens may live only here) */
    if (added && added->type == HS_JSON_ARR)
        for (size_t i = 0; i < added->len; i++) {
            const hs_json *e = &added->items[i];
            const char *content = jstr(e, "content");
            int id, have;
            if (!content) return hs_error_set(HS_ERR_INPUT, "%s: line %d: added_tokens[%zu] has no \"content\" string", file, e->line, i);
            HS_CHECK(jid(hs_json_get(e, "id"), file, "id", &id));
            have = t->wp ? hs_wordpiece_id(t->wp, content, strlen(content)) : hs_bpe_id(t->bpe, content, strlen(content));
            if (have >= 0 && have != id)
                return hs_error_set(HS_ERR_INPUT, "%s: line %d: added token \"%.200s\" has id %d but the vocabulary gives it %d (expected the same id)",
                                    file, e->line, content, id, have);
            if (have < 0) HS_CHECK(t->wp ? hs_wordpiece_add(t->wp, content, strlen(content), id, NULL)
                                         : hs_bpe_add_token(t->bpe, content, strlen(content), id, NULL));
        }
    /* the family from the post-processor when config.json did not say */
    const hs_json *pp = hs_json_get(c->tjson, "post_processor");
    const char *pt = jstr(pp, "type");
    if (c->fam < 0 && pt) {
        if (!strcmp(pt, "BertProcessing")) c->fam = HS_TOKFAM_BERT;
        else if (!strcmp(pt, "RobertaProcessing")) c->fam = HS_TOKFAM_ROBERTA;
        else if (!strcmp(pt, "ByteLevel")) c->fam = HS_TOKFAM_GPT2;
    }
    if (pt && (!strcmp(pt, "BertProcessing") || !strcmp(pt, "RobertaProcessing"))) {
        const hs_json *cl = hs_json_get(pp, "cls"), *se = hs_json_get(pp, "sep");
        if (cl && cl->type == HS_JSON_ARR && cl->len == 2 && cl->items[0].type == HS_JSON_STR) c->cls = cl->items[0].str;
        if (se && se->type == HS_JSON_ARR && se->len == 2 && se->items[0].type == HS_JSON_STR) c->sep = se->items[0].str;
    }
    snprintf(t->info.source, sizeof t->info.source, "tokenizer.json");
    return HS_OK;
}

static hs_status open_files(hs_hf_tokenizer *t, open_ctx *c)
{
    char *buf = NULL, p[4200];
    size_t n;
    hs_status s;
    if (exists(c->dir, "vocab.txt")) {
        hs_wordpiece_opts o;
        hs_wordpiece_opts_default(&o);
        snprintf(p, sizeof p, "%s/tokenizer_config.json", c->dir);
        if (c->tcfg) {
            HS_CHECK(jbool(c->tcfg, "do_lower_case", p, &o.lowercase));
            if (o.lowercase < 0) o.lowercase = 1;
            HS_CHECK(jbool(c->tcfg, "strip_accents", p, &o.strip_accents));
            HS_CHECK(jbool(c->tcfg, "tokenize_chinese_chars", p, &o.chinese_chars));
            if (o.chinese_chars < 0) o.chinese_chars = 1;
            if (c->unk) snprintf(o.unk, sizeof o.unk, "%s", c->unk);
        }
        HS_CHECK(slurp(c->dir, "vocab.txt", &buf, &n));
        snprintf(p, sizeof p, "%s/vocab.txt", c->dir);
        s = hs_wordpiece_read_vocab_txt(&t->wp, buf, n, p, &o);
        hs_free(buf);
        HS_CHECK(s);
        t->info.wordpiece = 1;
        t->info.lowercase = o.lowercase;
        snprintf(t->info.source, sizeof t->info.source, "vocab.txt");
        if (c->fam < 0) c->fam = HS_TOKFAM_BERT;
        return HS_OK;
    }
    if (exists(c->dir, "vocab.json") && exists(c->dir, "merges.txt")) {
        hs_json *v;
        HS_CHECK(read_json(c->dir, "vocab.json", &v));
        snprintf(p, sizeof p, "%s/vocab.json", c->dir);
        s = hs_bpe_create(&t->bpe);
        if (s == HS_OK) s = add_vocab(v, p, NULL, t->bpe);
        hs_json_free(v);
        HS_CHECK(s);
        HS_CHECK(slurp(c->dir, "merges.txt", &buf, &n));
        snprintf(p, sizeof p, "%s/merges.txt", c->dir);
        s = hs_bpe_read_merges_txt(t->bpe, buf, n, p);
        hs_free(buf);
        HS_CHECK(s);
        int aps = 0;
        snprintf(p, sizeof p, "%s/tokenizer_config.json", c->dir);
        if (c->tcfg) HS_CHECK(jbool(c->tcfg, "add_prefix_space", p, &aps));
        snprintf(p, sizeof p, "%s/merges.txt", c->dir);
        HS_CHECK(hs_bpe_finish(t->bpe, NULL, aps > 0, p));
        snprintf(t->info.source, sizeof t->info.source, "vocab.json + merges.txt");
        return HS_OK;
    }
    return hs_error_set(HS_ERR_INPUT, "%s: no tokenizer (expected tokenizer.json, vocab.txt, or vocab.json with merges.txt)", c->dir);
}

static int tok_id(const hs_hf_tokenizer *t, const char *s)
{
    if (!s) return -1;
    return t->wp ? hs_wordpiece_id(t->wp, s, strlen(s)) : hs_bpe_id(t->bpe, s, strlen(s));
}

static hs_status need_id(const hs_hf_tokenizer *t, const char *dir, const char *what, const char *name, int *id)
{
    *id = tok_id(t, name);
    if (*id < 0)
        return hs_error_set(HS_ERR_INPUT, "%s/%s: the %s token \"%s\" is not in the vocabulary (expected it for a %s tokenizer)",
                            dir, t->info.source, what, name,
                            t->info.family == HS_TOKFAM_BERT ? "BERT" : t->info.family == HS_TOKFAM_ROBERTA ? "RoBERTa" : "GPT-2");
    return HS_OK;
}

static hs_status do_open(hs_hf_tokenizer *t, open_ctx *c)
{
    if (exists(c->dir, "config.json")) {
        HS_CHECK(read_json(c->dir, "config.json", &c->config));
        c->fam = family_of_model_type(jstr(c->config, "model_type"));
    }
    if (exists(c->dir, "tokenizer_config.json")) {
        HS_CHECK(read_json(c->dir, "tokenizer_config.json", &c->tcfg));
        c->cls = jstr(c->tcfg, "cls_token");
        c->sep = jstr(c->tcfg, "sep_token");
        c->pad = jstr(c->tcfg, "pad_token");
        c->unk = jstr(c->tcfg, "unk_token");
    }
    if (exists(c->dir, "tokenizer.json")) {
        snprintf(c->tjson_path, sizeof c->tjson_path, "%s/tokenizer.json", c->dir);
        HS_CHECK(read_json(c->dir, "tokenizer.json", &c->tjson));
        HS_CHECK(open_tokenizer_json(t, c));
    } else
        HS_CHECK(open_files(t, c));
    if (c->fam < 0) c->fam = t->wp ? HS_TOKFAM_BERT : tok_id(t, "<s>") >= 0 && tok_id(t, "</s>") >= 0 ? HS_TOKFAM_ROBERTA : HS_TOKFAM_GPT2;
    hs_hf_tok_info *in = &t->info;
    in->family = (hs_tok_family)c->fam;
    in->vocab_size = t->wp ? hs_wordpiece_vocab_size(t->wp) : hs_bpe_vocab_size(t->bpe);
    in->cls_id = in->sep_id = -1;
    in->type_vocab = in->family == HS_TOKFAM_BERT ? 2 : 1;
    switch (in->family) {
    case HS_TOKFAM_BERT:
        HS_CHECK(need_id(t, c->dir, "cls", c->cls ? c->cls : "[CLS]", &in->cls_id));
        HS_CHECK(need_id(t, c->dir, "sep", c->sep ? c->sep : "[SEP]", &in->sep_id));
        HS_CHECK(need_id(t, c->dir, "pad", c->pad ? c->pad : "[PAD]", &in->pad_id));
        in->unk_id = t->wp ? hs_wordpiece_unk_id(t->wp) : tok_id(t, c->unk ? c->unk : "[UNK]");
        break;
    case HS_TOKFAM_ROBERTA:
        HS_CHECK(need_id(t, c->dir, "cls", c->cls ? c->cls : "<s>", &in->cls_id));
        HS_CHECK(need_id(t, c->dir, "sep", c->sep ? c->sep : "</s>", &in->sep_id));
        HS_CHECK(need_id(t, c->dir, "pad", c->pad ? c->pad : "<pad>", &in->pad_id));
        in->unk_id = t->wp ? hs_wordpiece_unk_id(t->wp) : tok_id(t, c->unk ? c->unk : "<unk>");
        break;
    case HS_TOKFAM_GPT2:
        HS_CHECK(need_id(t, c->dir, "unk", c->unk ? c->unk : "<|endoftext|>", &in->unk_id));
        if (c->pad) HS_CHECK(need_id(t, c->dir, "pad", c->pad, &in->pad_id));
        else in->pad_id = in->unk_id; /* GPT-2 has no pad token: <|endoftext|> as usual */
        break;
    }
    return HS_OK;
}

hs_status hs_hf_tokenizer_open(hs_hf_tokenizer **out, const char *dir, hs_hf_tok_info *info)
{
    *out = NULL;
    hs_hf_tokenizer *t;
    HS_CHECK(hs_calloc((void **)&t, 1, sizeof *t, "tokenizer"));
    open_ctx c = {.dir = dir, .fam = -1};
    hs_status s = do_open(t, &c);
    hs_json_free(c.config);
    hs_json_free(c.tcfg);
    hs_json_free(c.tjson);
    if (s != HS_OK) {
        hs_hf_tokenizer_free(t);
        return s;
    }
    if (info) *info = t->info;
    *out = t;
    return HS_OK;
}

void hs_hf_tokenizer_free(hs_hf_tokenizer *t)
{
    if (!t) return;
    hs_wordpiece_free(t->wp);
    hs_bpe_free(t->bpe);
    hs_free(t);
}

/* --- encoding ---------------------------------------------------------------- */

static hs_status model_encode(const hs_hf_tokenizer *t, const char *s, size_t n, int *ids, size_t cap, size_t *count)
{
    return t->wp ? hs_wordpiece_encode(t->wp, s, n, ids, cap, count) : hs_bpe_encode(t->bpe, s, n, ids, cap, count);
}

int hs_hf_tokenizer_encode(const hs_hf_tokenizer *t, const char *a, size_t na, const char *b, size_t nb, int *ids,
                           int *types, int max_len)
{
    const hs_hf_tok_info *in = &t->info;
    const int pair = b != NULL;
    const int added = in->family == HS_TOKFAM_BERT ? (pair ? 3 : 2) : in->family == HS_TOKFAM_ROBERTA ? (pair ? 4 : 2) : 0;
    if (max_len < added || max_len < 1) {
        hs_error_set(HS_ERR_INPUT, "max_len %d leaves no room for the %d special tokens of a %s", max_len, added,
                     pair ? "sentence pair" : "text");
        return -1;
    }
    const size_t m = (size_t)(max_len - added);
    int *ta = NULL, *tb = NULL;
    size_t la = 0, lb = 0;
    if (hs_calloc((void **)&ta, 2 * m + 2, sizeof *ta, "token ids") != HS_OK) return -1;
    tb = ta + m + 1;
    if (model_encode(t, a, na, ta, m, &la) != HS_OK || (pair && model_encode(t, b, nb, tb, m, &lb) != HS_OK)) {
        hs_free(ta);
        return -1;
    }
    if (!pair) {
        if (la > m) la = m;
    } else if (la + lb > m) {
        /* Hugging Face tokenizers' LongestFirst (truncate_encodings) */
        size_t n1 = la, n2 = lb;
        int swap = n1 > n2;
        if (swap) { size_t x = n1; n1 = n2; n2 = x; }
        n2 = n1 > m ? n1 : (n1 > m - n1 ? n1 : m - n1);
        if (n1 + n2 > m) {
            n1 = m / 2;
            n2 = n1 + m % 2;
        }
        if (swap) { size_t x = n1; n1 = n2; n2 = x; }
        if (la > n1) la = n1;
        if (lb > n2) lb = n2;
    }
    int k = 0;
#define PUT(id, ty) do { ids[k] = (id); if (types) types[k] = (ty); k++; } while (0)
    const int t2 = in->family == HS_TOKFAM_BERT; /* RoBERTa and GPT-2 have one token type */
    if (added) PUT(in->cls_id, 0);
    for (size_t i = 0; i < la; i++) PUT(ta[i], 0);
    if (added) PUT(in->sep_id, 0);
    if (pair) {
        if (in->family == HS_TOKFAM_ROBERTA) PUT(in->sep_id, 0);
        for (size_t i = 0; i < lb; i++) PUT(tb[i], t2);
        if (added) PUT(in->sep_id, t2);
    }
#undef PUT
    hs_free(ta);
    return k;
}

int hs_hf_tokenizer_token_id(const hs_hf_tokenizer *t, const char *token) { return tok_id(t, token); }
int hs_hf_tokenizer_vocab_size(const hs_hf_tokenizer *t) { return t->info.vocab_size; }
int hs_hf_tokenizer_pad_id(const hs_hf_tokenizer *t) { return t->info.pad_id; }
int hs_hf_tokenizer_unk_id(const hs_hf_tokenizer *t) { return t->info.unk_id; }
int hs_hf_tokenizer_cls_id(const hs_hf_tokenizer *t) { return t->info.cls_id; }
int hs_hf_tokenizer_sep_id(const hs_hf_tokenizer *t) { return t->info.sep_id; }
int hs_hf_tokenizer_type_vocab(const hs_hf_tokenizer *t) { return t->info.type_vocab; }
const hs_hf_tok_info *hs_hf_tokenizer_info(const hs_hf_tokenizer *t) { return &t->info; }
