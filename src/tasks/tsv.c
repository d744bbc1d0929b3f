/* tsv.c — kind "tsv": GLUE-style text classification from a folder holding
 * train.tsv and dev.tsv (docs/tasks.md "tsv" is the user-facing description).
 *
 * Format. Lines end in LF or CRLF; empty lines are skipped; a UTF-8 byte-order
 * mark at the start is dropped. The first non-empty line is the header: one
 * column named `label` (any case), id columns (name `idx` or `index`, or
 * ending in `id` optionally followed by one digit: id, qid1, pairID, guid),
 * and 1 or 2 text columns (all the others). dev.tsv names the same text and
 * label columns (order may differ; other columns are ignored). Every row has
 * exactly as many tab-separated fields as its header. Quoting: a field that
 * begins and ends with `"` and whose other quotes all come in pairs `""` is a
 * quoted field (outer quotes dropped, `""` → `"`); any other field is taken
 * literally, quotes included. Tabs and line breaks cannot occur inside a field.
 * Text bytes are taken as they are (any encoding); a text field that is empty
 * or all ASCII whitespace is an error, and so is an empty label.
 *
 * Labels: the distinct values of train.tsv's label column (spaces trimmed,
 * compared as strings), sorted numerically when all are integers and
 * byte-wise otherwise, are classes 0..C-1 (2 ≤ C ≤ 256); a dev label not seen
 * in training is an error.
 *
 * Splits: test = dev.tsv in file order; prune = a stratified hold-out of
 * train.tsv: of the n_c rows of class c, round(prune_fraction × n_c) drawn
 * from the stream (seed, name, "prune-split") (classes in id order, partial
 * Fisher–Yates), kept in file order; train = the other rows, in file order
 * (hs_task_batch shuffles them). The word vocabulary is built from the train
 * split only.
 *
 * Sequences: CLS text1 [SEP text2] PAD…, at most max_len positions. Longer
 * texts are cut at their end; for pairs the longer text loses one token at a
 * time (text2 on a tie) until both fit.
 *
 * Sizes: GLUE files are ≤ ~100 MB; the file, a copy of its fields and
 * max_len ints per row are held in memory while the task is opened. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/alloc.h"
#include "../core/rng.h"
#include "task.h"
#include "tokenizer.h"

enum { MAX_COLS = 64, MAX_CLASSES = 256, DEFAULT_MAX_LEN = 128, DEFAULT_VOCAB = 10000 };

typedef struct {
    size_t off[2], len[2]; /* text fields, unquoted, in the file's store */
    long line;
    int label;             /* train: label index in order of appearance, then class id */
} tsv_row;

typedef struct {
    const char *path;      /* for messages */
    char *buf;             /* file contents */
    size_t len;
    char *store;           /* unquoted text fields and labels */
    size_t store_len, store_cap;
    tsv_row *rows;
    long n;
} tsv_file;

typedef struct {
    int n_text;                  /* 1 or 2 */
    char *text_name[2];          /* text column names (train header) */
    char *label[MAX_CLASSES];    /* train labels, order of appearance */
    int n_labels;
    int class_of[MAX_CLASSES];   /* appearance index → class id */
    int by_class[MAX_CLASSES];   /* class id → appearance index */
} tsv_schema;

static int is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

/* A field's value: unquoted per the rule above, written to dst (room for n). */
static size_t unquote(const char *f, size_t n, char *dst)
{
    int quoted = n >= 2 && f[0] == '"' && f[n - 1] == '"';
    for (size_t i = 1; quoted && i + 1 < n; i++) {
        if (f[i] != '"') continue;
        if (i + 2 < n && f[i + 1] == '"')
            i++;
        else
            quoted = 0;
    }
    if (!quoted) {
        memcpy(dst, f, n);
        return n;
    }
    size_t k = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        dst[k++] = f[i];
        if (f[i] == '"') i++;
    }
    return k;
}

/* Splits a line into tab-separated fields; fills at most max spans and
 * returns the number of fields. */
static int split_fields(const char *s, size_t n, size_t *off, size_t *len, int max)
{
    int k = 0;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '\t') continue;
        if (k < max) {
            off[k] = start;
            len[k] = i - start;
        }
        k++;
        start = i + 1;
    }
    return k;
}

static void lowercase_copy(char *dst, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) dst[i] = (char)tolower((unsigned char)s[i]);
    dst[n] = 0;
}

static int is_id_column(const char *name)
{
    size_t n = strlen(name);
    if (!strcmp(name, "idx") || !strcmp(name, "index")) return 1;
    if (n >= 1 && isdigit((unsigned char)name[n - 1])) n--;
    return n >= 2 && name[n - 2] == 'i' && name[n - 1] == 'd';
}

/* Appends s[0..n) and a NUL to the file's store; returns its offset. */
static size_t store_put(tsv_file *f, const char *s, size_t n, int unq)
{
    HS_ASSERT(f->store_len + n + 1 <= f->store_cap);
    const size_t off = f->store_len;
    const size_t k = unq ? unquote(s, n, f->store + off) : (memcpy(f->store + off, s, n), n);
    f->store[off + k] = 0;
    f->store_len += k + 1;
    return off;
}

static void trim(const char **s, size_t *n)
{
    while (*n && is_space((unsigned char)**s)) (*s)++, (*n)--;
    while (*n && is_space((unsigned char)(*s)[*n - 1])) (*n)--;
}

static int all_space(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_space((unsigned char)s[i])) return 0;
    return 1;
}

/* Writes "a, b, c" (the strings, truncated to fit) into out. */
static void join_names(char *out, size_t cap, char *const *names, int n)
{
    size_t k = 0;
    out[0] = 0;
    for (int i = 0; i < n && k + 1 < cap; i++) {
        int w = snprintf(out + k, cap - k, "%s%s", i ? ", " : "", names[i]);
        if (w < 0) break;
        k += (size_t)w;
    }
    if (k >= cap && cap > 4) strcpy(out + cap - 4, "...");
}

/* The sorted label list "0, 1" for messages. */
static void label_list(char *out, size_t cap, const tsv_schema *sc)
{
    char *names[MAX_CLASSES];
    const int n = sc->n_labels < 12 ? sc->n_labels : 12;
    for (int c = 0; c < n; c++) names[c] = sc->label[sc->by_class[c]];
    join_names(out, cap, names, n);
    if (sc->n_labels > n && strlen(out) + 6 < cap) strcat(out, ", ...");
}

/* Header columns: col[0..n_text) text columns (in header order for train,
 * by the train names for dev), col[2] label. */
static hs_status parse_header(tsv_file *f, long line, const char *s, size_t n, tsv_schema *sc, int is_train,
                              int *ncols, int col[3], char *desc, size_t desc_cap)
{
    size_t off[MAX_COLS], len[MAX_COLS];
    const int k = split_fields(s, n, off, len, MAX_COLS);
    if (k > MAX_COLS)
        return hs_error_set(HS_ERR_INPUT, "%s line %ld: the header has %d columns (at most %d)", f->path, line, k,
                            MAX_COLS);
    char *names[MAX_COLS], *lower[MAX_COLS];
    hs_status st = HS_OK;
    int label = -1, text[MAX_COLS], n_text = 0, n_named = 0;
    for (int i = 0; i < k && st == HS_OK; i++) {
        const char *v = s + off[i];
        size_t vn = len[i];
        trim(&v, &vn);
        st = hs_calloc((void **)&names[i], 2 * vn + 2, 1, "column name");
        if (st != HS_OK) break;
        n_named = i + 1;
        size_t u = unquote(v, vn, names[i]);
        names[i][u] = 0;
        lower[i] = names[i] + u + 1;
        lowercase_copy(lower[i], names[i], u);
    }
    if (st == HS_OK) join_names(desc, desc_cap, names, k);
    for (int i = 0; i < k && st == HS_OK; i++) {
        if (!strcmp(lower[i], "label")) {
            if (label >= 0)
                st = hs_error_set(HS_ERR_INPUT, "%s line %ld: two 'label' columns in the header (%s)", f->path,
                                  line, desc);
            label = i;
        } else if (!is_id_column(lower[i])) {
            text[n_text++] = i;
        }
    }
    if (st == HS_OK && label < 0)
        st = hs_error_set(HS_ERR_INPUT,
                          "%s line %ld: the header (%s) has no 'label' column (expected the text column(s) "
                          "and label, e.g. sentence<TAB>label)",
                          f->path, line, desc);
    if (st == HS_OK && is_train) {
        if (n_text < 1 || n_text > 2)
            st = hs_error_set(HS_ERR_INPUT,
                              "%s line %ld: the header (%s) has %d text columns; expected 1 or 2 besides "
                              "label and id columns (idx, index, *id)",
                              f->path, line, desc, n_text);
        /* dev.tsv finds the text columns by name: two of one name would both
         * map to one dev column (and overrun the field store, found by
         * tests/fuzz/fuzz_tsv) */
        if (st == HS_OK && n_text == 2 && !strcmp(names[text[0]], names[text[1]]))
            st = hs_error_set(HS_ERR_INPUT, "%s line %ld: two '%s' columns in the header (%s): expected distinct names",
                              f->path, line, names[text[0]], desc);
        for (int j = 0; j < n_text && st == HS_OK; j++) {
            const size_t nl = strlen(names[text[j]]);
            st = hs_calloc((void **)&sc->text_name[j], nl + 1, 1, "column name");
            if (st == HS_OK) memcpy(sc->text_name[j], names[text[j]], nl + 1);
            col[j] = text[j];
        }
        sc->n_text = n_text;
    } else if (st == HS_OK) {
        for (int j = 0; j < sc->n_text && st == HS_OK; j++) {
            col[j] = -1;
            for (int i = 0; i < k; i++)
                if (!strcmp(names[i], sc->text_name[j])) col[j] = i;
            if (col[j] < 0)
                st = hs_error_set(HS_ERR_INPUT,
                                  "%s line %ld: the header (%s) has no column '%s' (expected the text and "
                                  "label columns of train.tsv)",
                                  f->path, line, desc, sc->text_name[j]);
        }
    }
    col[2] = label;
    *ncols = k;
    for (int i = 0; i < n_named; i++) hs_free(names[i]);
    return st;
}

/* Reads and parses one file. Train: collects labels; dev: maps them. */
static hs_status parse_file(tsv_file *f, tsv_schema *sc, int is_train)
{
    HS_CHECK(hs_text_read_file(f->path, &f->buf, &f->len));
    if (f->len == 0)
        return hs_error_set(HS_ERR_INPUT, "%s: empty file (expected a header line naming the text column(s) and label)",
                            f->path);
    const char *nul = memchr(f->buf, 0, f->len);
    if (nul)
        return hs_error_set(HS_ERR_INPUT, "%s: not a text file (a NUL byte at offset %zu; expected tab-separated text)",
                            f->path, (size_t)(nul - f->buf));
    size_t pos = 0;
    if (f->len >= 3 && !memcmp(f->buf, "\xef\xbb\xbf", 3)) pos = 3;
    long lines = 1;
    for (size_t i = pos; i < f->len; i++) lines += f->buf[i] == '\n';
    HS_CHECK(hs_calloc((void **)&f->rows, (size_t)lines, sizeof(tsv_row), "tsv rows"));
    f->store_cap = f->len + (size_t)lines * 3 + 1;
    HS_CHECK(hs_calloc((void **)&f->store, f->store_cap, 1, "tsv fields"));

    char desc[256], labels[256];
    int ncols = 0, col[3] = {-1, -1, -1}, header = 0;
    size_t off[MAX_COLS], len[MAX_COLS];
    long line = 0;
    while (pos < f->len) {
        line++;
        const char *s = f->buf + pos;
        const char *nl = memchr(s, '\n', f->len - pos);
        size_t n = nl ? (size_t)(nl - s) : f->len - pos;
        pos += n + 1;
        if (n && s[n - 1] == '\r') n--;
        if (n == 0) continue;
        if (!header) {
            HS_CHECK(parse_header(f, line, s, n, sc, is_train, &ncols, col, desc, sizeof desc));
            header = 1;
            continue;
        }
        const int k = split_fields(s, n, off, len, MAX_COLS);
        if (k != ncols)
            return hs_error_set(HS_ERR_INPUT, "%s line %ld: %d field%s, expected %d (%s) separated by tabs", f->path,
                                line, k, k == 1 ? "" : "s", ncols, desc);
        tsv_row *r = &f->rows[f->n];
        r->line = line;
        for (int j = 0; j < sc->n_text; j++) {
            r->off[j] = store_put(f, s + off[col[j]], len[col[j]], 1);
            /* from the store, not strlen: a text may hold NUL bytes */
            r->len[j] = f->store_len - 1 - r->off[j];
            if (all_space(f->store + r->off[j], r->len[j]))
                return hs_error_set(HS_ERR_INPUT, "%s line %ld: no text in column '%s' (expected a sentence)",
                                    f->path, line, sc->text_name[j]);
        }
        const size_t lo = store_put(f, s + off[col[2]], len[col[2]], 1);
        const char *lab = f->store + lo;
        size_t ln = f->store_len - 1 - lo;
        trim(&lab, &ln);
        if (ln == 0)
            return hs_error_set(HS_ERR_INPUT, "%s line %ld: missing label (the label column is empty)", f->path,
                                line);
        int found = -1;
        for (int c = 0; c < sc->n_labels && found < 0; c++)
            if (strlen(sc->label[c]) == ln && !memcmp(sc->label[c], lab, ln)) found = c;
        if (found < 0 && !is_train) {
            label_list(labels, sizeof labels, sc);
            return hs_error_set(HS_ERR_INPUT, "%s line %ld: label '%.*s' is not one of %s (the labels of train.tsv)",
                                f->path, line, (int)(ln < 40 ? ln : 40), lab, labels);
        }
        if (found < 0) {
            if (sc->n_labels == MAX_CLASSES)
                return hs_error_set(HS_ERR_INPUT,
                                    "%s line %ld: label '%.*s' is label number %d (at most %d classes; is this a "
                                    "regression task?)",
                                    f->path, line, (int)(ln < 40 ? ln : 40), lab, MAX_CLASSES + 1, MAX_CLASSES);
            HS_CHECK(hs_calloc((void **)&sc->label[sc->n_labels], ln + 1, 1, "label"));
            memcpy(sc->label[sc->n_labels], lab, ln);
            found = sc->n_labels++;
        }
        r->label = is_train ? found : sc->class_of[found];
        f->n++;
    }
    if (!header)
        return hs_error_set(HS_ERR_INPUT, "%s: only empty lines (expected a header line naming the text column(s) and label)",
                            f->path);
    if (f->n == 0) return hs_error_set(HS_ERR_INPUT, "%s: no data rows after the header", f->path);
    return HS_OK;
}

static int is_integer(const char *s)
{
    if (*s == '-' || *s == '+') s++;
    size_t n = 0;
    for (; s[n]; n++)
        if (!isdigit((unsigned char)s[n])) return 0;
    return n >= 1 && n <= 18;
}

static int label_cmp(const char *a, const char *b, int numeric_labels)
{
    if (numeric_labels) {
        long long x = strtoll(a, NULL, 10), y = strtoll(b, NULL, 10);
        if (x != y) return x < y ? -1 : 1;
    }
    return strcmp(a, b);
}

/* Sorts the train labels into class ids and relabels the train rows. */
static hs_status assign_classes(tsv_schema *sc, tsv_file *train)
{
    if (sc->n_labels < 2)
        return hs_error_set(HS_ERR_INPUT, "%s: every row has label '%s' (expected at least 2 classes)", train->path,
                            sc->label[0]);
    int numeric = 1;
    for (int c = 0; c < sc->n_labels; c++) {
        numeric &= is_integer(sc->label[c]);
        sc->by_class[c] = c;
    }
    for (int c = 1; c < sc->n_labels; c++) { /* insertion sort: C <= 256 */
        const int x = sc->by_class[c];
        int j = c;
        for (; j > 0 && label_cmp(sc->label[sc->by_class[j - 1]], sc->label[x], numeric) > 0; j--)
            sc->by_class[j] = sc->by_class[j - 1];
        sc->by_class[j] = x;
    }
    for (int c = 0; c < sc->n_labels; c++) sc->class_of[sc->by_class[c]] = c;
    for (long i = 0; i < train->n; i++) train->rows[i].label = sc->class_of[train->rows[i].label];
    return HS_OK;
}

/* Marks held[i] = 1 for the rows of the prune split (see the file comment). */
static hs_status hold_out(const hs_task *t, const tsv_file *train, int C, char *held, long *n_held)
{
    long *idx;
    HS_CHECK(hs_calloc((void **)&idx, (size_t)train->n, sizeof(long), "prune split"));
    hs_rng r;
    hs_rng_seed(&r, hs_key_str(hs_key_str(t->spec.seed, t->spec.name), "prune-split"));
    *n_held = 0;
    for (int c = 0; c < C; c++) {
        long nc = 0;
        for (long i = 0; i < train->n; i++)
            if (train->rows[i].label == c) idx[nc++] = i;
        const long k = (long)floor(t->spec.prune_fraction * (double)nc + 0.5);
        for (long i = 0; i < k; i++) {
            const long j = i + (long)hs_rng_below(&r, (uint32_t)(nc - i));
            const long tmp = idx[i];
            idx[i] = idx[j];
            idx[j] = tmp;
            held[idx[i]] = 1;
        }
        *n_held += k;
    }
    hs_free(idx);
    if (*n_held == 0 || *n_held == train->n)
        return hs_error_set(HS_ERR_INPUT,
                            "%s: %ld rows give %s at prune_fraction %g (expected more rows, or another fraction)",
                            train->path, train->n, *n_held ? "no train split" : "no prune split",
                            t->spec.prune_fraction);
    return HS_OK;
}

/* Tokenises a row into tok[0..T) (CLS text1 [SEP text2] PAD…); returns its length.
 * With a pretrained tokenizer the model's own special tokens and truncation
 * apply and types[0..T) get the token types (types may be NULL). */
static int encode_row(const hs_task *t, const hs_vocab *v, const tsv_file *f, const tsv_row *r, int n_text,
                      int *scratch, int *tok, int *types)
{
    const hs_text_encoder *enc = t->spec.encoder;
    if (enc) {
        const int T = t->shape.seq_len;
        int *ty = types ? types : scratch;
        const int k = enc->encode(enc->ctx, f->store + r->off[0], r->len[0], n_text == 2 ? f->store + r->off[1] : NULL,
                                  n_text == 2 ? r->len[1] : 0, tok, ty, T);
        if (k < 1) return -1;
        for (int i = k; i < T; i++) {
            tok[i] = enc->pad_id;
            ty[i] = 0;
        }
        return k;
    }
    const int T = t->shape.seq_len, budget = T - n_text; /* CLS and SEP take a position each */
    int *a = scratch, *b = scratch + T, na, nb = 0;
    const unsigned char *s1 = (const unsigned char *)f->store + r->off[0];
    const unsigned char *s2 = (const unsigned char *)f->store + r->off[1];
    if (v) {
        na = hs_tok_words(v, s1, r->len[0], a, budget);
        if (n_text == 2) nb = hs_tok_words(v, s2, r->len[1], b, budget);
    } else {
        na = hs_tok_bytes(s1, r->len[0], a, budget);
        if (n_text == 2) nb = hs_tok_bytes(s2, r->len[1], b, budget);
    }
    while (na + nb > budget) { /* only pairs get here: each text alone fits */
        if (na > nb)
            na--;
        else
            nb--;
    }
    int k = 0;
    tok[k++] = HS_TOK_CLS;
    for (int i = 0; i < na; i++) tok[k++] = a[i];
    if (n_text == 2) {
        tok[k++] = HS_TOK_SEP;
        for (int i = 0; i < nb; i++) tok[k++] = b[i];
    }
    for (int i = k; i < T; i++) tok[i] = HS_TOK_PAD;
    return k;
}

static hs_status fill_split(hs_task *t, hs_split which, const hs_vocab *v, const tsv_file *f, int n_text,
                            const char *held, int want_held, long n, int *scratch)
{
    hs_split_data *s = &t->split[which];
    HS_CHECK(hs_split_alloc(s, t, n));
    const int T = t->shape.seq_len;
    long e = 0;
    for (long i = 0; i < f->n; i++) {
        if (held && held[i] != want_held) continue;
        const int k = encode_row(t, v, f, &f->rows[i], n_text, scratch, s->tokens + e * T,
                                 s->types ? s->types + e * T : NULL);
        if (k < 1) {
            char why[512];
            snprintf(why, sizeof why, "%s", hs_error_message());
            hs_error_clear();
            return hs_error_set(HS_ERR_INPUT, "%s:%ld: cannot tokenise the text with %s: %s", f->path, f->rows[i].line,
                                t->spec.encoder->name, why);
        }
        s->lengths[e] = k;
        s->targets[e] = f->rows[i].label;
        e++;
    }
    HS_ASSERT(e == n);
    return HS_OK;
}

static hs_status join_path(char **out, const char *dir, const char *file)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    HS_CHECK(hs_calloc((void **)out, n + strlen(file) + 2, 1, "path"));
    memcpy(*out, dir, n);
    (*out)[n] = '/';
    strcpy(*out + n + 1, file);
    return HS_OK;
}

static hs_status validate(hs_task *t, int *word)
{
    hs_task_spec *sp = &t->spec;
    if (!sp->tokenizer) sp->tokenizer = "byte";
    if (!sp->max_len) sp->max_len = DEFAULT_MAX_LEN;
    if (!sp->vocab_size) sp->vocab_size = DEFAULT_VOCAB;
    if (!sp->min_count) sp->min_count = 1;
    if (sp->prune_fraction == 0) sp->prune_fraction = 0.1;
    *word = !strcmp(sp->tokenizer, "word");
    if (!strcmp(sp->tokenizer, "pretrained")) {
        if (!sp->encoder)
            return hs_error_set(HS_ERR_INPUT,
                                "task %s: tokenizer 'pretrained' needs a pretrained model (model.pretrained = \"DIR\")",
                                sp->name);
    } else if (!*word && strcmp(sp->tokenizer, "byte")) {
        return hs_error_set(HS_ERR_INPUT, "task %s: tokenizer '%s': expected byte, word or pretrained", sp->name,
                            sp->tokenizer);
    }
    if (sp->max_len < 2 || sp->max_len > 4096)
        return hs_error_set(HS_ERR_INPUT, "task %s: max_len %d: expected 2..4096", sp->name, sp->max_len);
    if (sp->vocab_size < 1 || sp->vocab_size > (1 << 24))
        return hs_error_set(HS_ERR_INPUT, "task %s: vocab_size %d: expected 1..16777216", sp->name, sp->vocab_size);
    if (sp->min_count < 1)
        return hs_error_set(HS_ERR_INPUT, "task %s: min_count %d: expected at least 1", sp->name, sp->min_count);
    if (!(sp->prune_fraction > 0 && sp->prune_fraction < 1))
        return hs_error_set(HS_ERR_INPUT, "task %s: prune_fraction %g: expected a number between 0 and 1", sp->name,
                            sp->prune_fraction);
    if (!sp->path || !*sp->path)
        return hs_error_set(HS_ERR_INPUT, "task %s: path is missing (expected a folder with train.tsv and dev.tsv)",
                            sp->name);
    struct stat st;
    if (stat(sp->path, &st) != 0)
        return hs_error_set(HS_ERR_INPUT, "task %s: path %s: cannot open (%s; expected a folder with train.tsv and dev.tsv)",
                            sp->name, sp->path, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return hs_error_set(HS_ERR_INPUT, "task %s: path %s is not a folder (expected a folder with train.tsv and dev.tsv)",
                            sp->name, sp->path);
    return HS_OK;
}

static hs_status open_tsv(hs_task *t, tsv_file *train, tsv_file *dev, tsv_schema *sc, char **held, int **scratch,
                          hs_vocab **vocab)
{
    int word;
    HS_CHECK(validate(t, &word));
    hs_task_spec *sp = &t->spec;
    HS_CHECK(parse_file(train, sc, 1));
    HS_CHECK(assign_classes(sc, train));
    HS_CHECK(parse_file(dev, sc, 0));
    if (sc->n_text == 2 && sp->max_len < 3)
        return hs_error_set(HS_ERR_INPUT, "task %s: max_len %d: text pairs need at least 3 (CLS, SEP and a token)",
                            sp->name, sp->max_len);
    const int C = sc->n_labels;
    long n_held;
    HS_CHECK(hs_calloc((void **)held, (size_t)train->n, 1, "prune split"));
    HS_CHECK(hold_out(t, train, C, *held, &n_held));

    if (word) {
        HS_CHECK(hs_vocab_create(vocab));
        for (long i = 0; i < train->n; i++) {
            if ((*held)[i]) continue;
            for (int j = 0; j < sc->n_text; j++)
                HS_CHECK(hs_vocab_count(*vocab, (const unsigned char *)train->store + train->rows[i].off[j],
                                        train->rows[i].len[j]));
        }
        HS_CHECK(hs_vocab_finish(*vocab, sp->vocab_size, sp->min_count));
        if (hs_vocab_size(*vocab) == 0)
            return hs_error_set(HS_ERR_INPUT,
                                "task %s: no word occurs at least min_count = %d times in the train split of %s",
                                sp->name, sp->min_count, train->path);
    }
    const hs_text_encoder *enc = sp->encoder && !strcmp(sp->tokenizer, "pretrained") ? sp->encoder : NULL;
    sp->encoder = enc; /* encode_row uses it only when asked for */
    t->shape.vocab = enc ? enc->vocab : word ? HS_TOK_FIRST_SYMBOL + hs_vocab_size(*vocab) : HS_TOK_BYTE_VOCAB;
    t->has_types = enc && sc->n_text == 2 && enc->type_vocab > 1;
    t->shape.n_out = C; /* before class_names: hs_task_destroy frees n_out names */
    HS_CHECK(hs_calloc((void **)&t->class_names, (size_t)C, sizeof *t->class_names, "class names"));
    for (int c = 0; c < C; c++) {
        const char *lab = sc->label[sc->by_class[c]];
        HS_CHECK(hs_calloc((void **)&t->class_names[c], strlen(lab) + 1, 1, "class name"));
        strcpy(t->class_names[c], lab);
    }
    t->shape.seq_len = sp->max_len;
    t->shape.n_out = C;
    t->shape.lm = t->shape.causal = 0;
    t->metric = HS_METRIC_ACCURACY;
    char vdesc[48] = "";
    if (word) snprintf(vdesc, sizeof vdesc, " (%d word%s)", hs_vocab_size(*vocab), hs_vocab_size(*vocab) == 1 ? "" : "s");
    snprintf(t->description, sizeof t->description, "tsv: %d classes from %s, %s%s tokens%s", C, sp->path,
             sc->n_text == 2 ? "text pairs, " : "", enc ? enc->name : word ? "word" : "byte", vdesc);

    HS_CHECK(hs_calloc((void **)scratch, 2 * (size_t)sp->max_len, sizeof(int), "tsv tokens"));
    HS_CHECK(fill_split(t, HS_SPLIT_TRAIN, *vocab, train, sc->n_text, *held, 0, train->n - n_held, *scratch));
    HS_CHECK(fill_split(t, HS_SPLIT_PRUNE, *vocab, train, sc->n_text, *held, 1, n_held, *scratch));
    HS_CHECK(fill_split(t, HS_SPLIT_TEST, *vocab, dev, sc->n_text, NULL, 0, dev->n, *scratch));
    return HS_OK;
}

static void file_free(tsv_file *f)
{
    hs_free(f->buf);
    hs_free(f->store);
    hs_free(f->rows);
}

hs_status hs_task_open_tsv(hs_task *t)
{
    tsv_file train = {0}, dev = {0};
    tsv_schema sc = {0};
    char *train_path = NULL, *dev_path = NULL, *held = NULL;
    int *scratch = NULL;
    hs_vocab *vocab = NULL;
    hs_status s = HS_OK;
    if (t->spec.path && *t->spec.path) {
        s = join_path(&train_path, t->spec.path, "train.tsv");
        if (s == HS_OK) s = join_path(&dev_path, t->spec.path, "dev.tsv");
    }
    train.path = train_path;
    dev.path = dev_path;
    if (s == HS_OK) s = open_tsv(t, &train, &dev, &sc, &held, &scratch, &vocab);
    if (s == HS_OK && vocab) {
        t->priv = vocab;
        t->priv_free = hs_vocab_destroy;
        vocab = NULL;
    }
    hs_vocab_destroy(vocab);
    hs_free(scratch);
    hs_free(held);
    file_free(&train);
    file_free(&dev);
    for (int j = 0; j < 2; j++) hs_free(sc.text_name[j]);
    for (int c = 0; c < sc.n_labels; c++) hs_free(sc.label[c]);
    hs_free(train_path);
    hs_free(dev_path);
    return s;
}
