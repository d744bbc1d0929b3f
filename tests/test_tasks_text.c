/* test_tasks_text.c — the text kinds on the fixtures in tests/fixtures/tasks
 * (found through $FIXTURES): kind "tsv" (byte and word tokens, pairs, label
 * mapping, truncation, CRLF / empty lines / quoting / non-UTF-8 bytes, the
 * prune split, every bad folder) and kind "lm" (windows, targets, splits,
 * bad files), then a small model learning the SST-like fixture. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/model.h"
#include "../src/core/optim.h"
#include "../src/core/rng.h"
#include "../src/prune/eval.h"
#include "../src/tasks/task.h"
#include "../src/tasks/tokenizer.h"
#include "tap.h"

static const char *fixtures;

static const char *fx(const char *name)
{
    static char buf[8][1024];
    static int k;
    char *b = buf[k++ % 8];
    snprintf(b, sizeof buf[0], "%s/tasks/%s", fixtures, name);
    return b;
}

static hs_task_spec tsv_spec(const char *folder)
{
    return (hs_task_spec){.name = folder, .kind = "tsv", .seed = 1, .path = fx(folder)};
}

/* Opens or fails the test run: the fixtures must load. */
static hs_task *must_open(const hs_task_spec *sp)
{
    hs_task *t = NULL;
    if (hs_task_open(&t, sp) != HS_OK) {
        tap_ok(0, "open %s: %s", sp->path, hs_error_message());
        hs_error_clear();
        printf("Bail out! fixture %s does not load\n", sp->path);
        exit(1);
    }
    return t;
}

/* Row e of a split equals CLS + want (ids), then PAD; length matches. */
static int row_is(const hs_task *t, hs_split k, long e, const int *want, int n)
{
    const int T = t->shape.seq_len;
    const int *tok = t->split[k].tokens + e * T;
    if (t->split[k].lengths[e] != n) return 0;
    for (int i = 0; i < T; i++)
        if (tok[i] != (i < n ? want[i] : HS_TOK_PAD)) return 0;
    return 1;
}

/* ids of CLS + bytes of a [+ SEP + bytes of b]. */
static int byte_row(int *out, const char *a, const char *b)
{
    int k = 0;
    out[k++] = HS_TOK_CLS;
    for (const char *p = a; *p; p++) out[k++] = HS_TOK_FIRST_SYMBOL + (unsigned char)*p;
    if (b) {
        out[k++] = HS_TOK_SEP;
        for (const char *p = b; *p; p++) out[k++] = HS_TOK_FIRST_SYMBOL + (unsigned char)*p;
    }
    return k;
}

static void expect_error(const hs_task_spec *sp, const char *what, const char *pattern, const char *pattern2)
{
    hs_task *t = NULL;
    hs_status s = hs_task_open(&t, sp);
    const char *msg = hs_error_message();
    tap_ok(s == HS_ERR_INPUT && !t && strstr(msg, pattern) && (!pattern2 || strstr(msg, pattern2)),
           "%s: bad input naming '%s' (got status %d: %s)", what, pattern, (int)s, msg);
    hs_error_clear();
    hs_task_destroy(&t);
}

static void test_sst_bytes(void)
{
    hs_task_spec sp = tsv_spec("sst");
    hs_task *t = must_open(&sp);
    tap_ok(t->shape.vocab == 260 && t->shape.seq_len == 128 && t->shape.n_out == 2 && !t->shape.lm &&
               !t->shape.causal && t->metric == HS_METRIC_ACCURACY && t->higher_is_better,
           "sst: byte vocab 260, max_len 128, 2 classes, classifier, accuracy");
    tap_ok(strstr(t->description, "tsv: 2 classes from") && strstr(t->description, "byte tokens"),
           "sst: description '%s'", t->description);
    /* 80 rows: 48 of class 0, 32 of class 1 → prune round(4.8) + round(3.2) = 8 */
    tap_ok(t->split[HS_SPLIT_TRAIN].n == 72 && t->split[HS_SPLIT_PRUNE].n == 8 && t->split[HS_SPLIT_TEST].n == 20,
           "sst: splits 72 / 8 / 20 (stratified 10%% hold-out)");
    int c1 = 0;
    for (long e = 0; e < 8; e++) c1 += t->split[HS_SPLIT_PRUNE].targets[e];
    tap_ok(c1 == 3, "sst: the prune split holds 5 of class 0 and 3 of class 1 (%d)", c1);
    int want[300];
    int n = byte_row(want, "the score was awful", NULL);
    tap_ok(row_is(t, HS_SPLIT_TEST, 0, want, n) && t->split[HS_SPLIT_TEST].targets[0] == 0,
           "sst: dev row 1 is CLS + byte ids (4 + byte) of 'the score was awful', PAD after, label 0");
    n = byte_row(want, "what a superb score !", NULL);
    tap_ok(row_is(t, HS_SPLIT_TEST, 1, want, n) && t->split[HS_SPLIT_TEST].targets[1] == 1,
           "sst: dev row 2 'what a superb score !' label 1");
    hs_task_destroy(&t);

    sp.max_len = 4;
    t = must_open(&sp);
    n = byte_row(want, "the", NULL);
    tap_ok(t->shape.seq_len == 4 && row_is(t, HS_SPLIT_TEST, 0, want, n),
           "sst: max_len 4 keeps CLS and the first 3 bytes");
    hs_task_destroy(&t);
}

static int same_split(const hs_task *a, const hs_task *b, hs_split k)
{
    const hs_split_data *x = &a->split[k], *y = &b->split[k];
    const size_t T = (size_t)a->shape.seq_len;
    return x->n == y->n && !memcmp(x->tokens, y->tokens, sizeof(int) * T * (size_t)x->n) &&
           !memcmp(x->targets, y->targets, sizeof(int) * (size_t)x->n) &&
           !memcmp(x->lengths, y->lengths, sizeof(int) * (size_t)x->n);
}

static void test_prune_split(void)
{
    hs_task_spec sp = tsv_spec("sst");
    hs_task *a = must_open(&sp), *b = must_open(&sp);
    tap_ok(same_split(a, b, HS_SPLIT_PRUNE) && same_split(a, b, HS_SPLIT_TRAIN),
           "prune split: the same seed and name give the same train and prune splits");
    sp.seed = 2;
    hs_task *c = must_open(&sp);
    tap_ok(!same_split(a, c, HS_SPLIT_PRUNE), "prune split: another seed holds out other rows");
    sp.seed = 1;
    sp.name = "other";
    hs_task *d = must_open(&sp);
    tap_ok(!same_split(a, d, HS_SPLIT_PRUNE), "prune split: another task name holds out other rows");
    /* train ∪ prune is the training file: every row once (compare sorted rows) */
    long found = 0;
    const int T = a->shape.seq_len;
    for (long i = 0; i < c->split[HS_SPLIT_PRUNE].n; i++) {
        const int *row = c->split[HS_SPLIT_PRUNE].tokens + i * T;
        for (long j = 0; j < a->split[HS_SPLIT_TRAIN].n; j++)
            if (!memcmp(row, a->split[HS_SPLIT_TRAIN].tokens + j * T, sizeof(int) * T)) {
                found++;
                break;
            }
    }
    tap_ok(found >= 1, "prune split: rows held out under seed 2 are training rows under seed 1 (%ld of %ld)",
           found, c->split[HS_SPLIT_PRUNE].n);
    hs_task_destroy(&a);
    hs_task_destroy(&b);
    hs_task_destroy(&c);
    hs_task_destroy(&d);
    sp.prune_fraction = 0.5;
    a = must_open(&sp);
    tap_ok(a->split[HS_SPLIT_PRUNE].n == 40 && a->split[HS_SPLIT_TRAIN].n == 40,
           "prune split: prune_fraction 0.5 holds out 24 + 16 = 40 rows");
    hs_task_destroy(&a);
}

static void test_pairs(void)
{
    hs_task_spec sp = tsv_spec("pair");
    hs_task *t = must_open(&sp);
    const hs_split_data *d = &t->split[HS_SPLIT_TEST];
    tap_ok(t->shape.n_out == 2 && d->n == 3 && t->split[HS_SPLIT_TRAIN].n == 8 && t->split[HS_SPLIT_PRUNE].n == 2,
           "pair: CRLF file with an empty line: 3 dev rows, 8 + 2 training rows, 2 classes");
    tap_ok(d->targets[0] == 0 && d->targets[1] == 0 && d->targets[2] == 1,
           "pair: string labels sorted: entailment = 0, not_entailment = 1");
    tap_ok(strstr(t->description, "text pairs") != NULL, "pair: description '%s'", t->description);
    int want[300];
    int n = byte_row(want, "The cat sat.", "A cat sat.");
    tap_ok(row_is(t, HS_SPLIT_TEST, 0, want, n), "pair: CLS text1 SEP text2 (id column skipped, no CR byte)");
    int cr = 0;
    for (int s = 0; s < HS_NUM_SPLITS; s++)
        for (long i = 0; i < (long)t->split[s].n * t->shape.seq_len; i++)
            cr += t->split[s].tokens[i] == HS_TOK_FIRST_SYMBOL + '\r';
    tap_ok(cr == 0, "pair: no CR byte in any split (CRLF line endings)");
    n = byte_row(want, "He said \"hi\" twice", "He spoke.");
    tap_ok(row_is(t, HS_SPLIT_TEST, 1, want, n), "pair: a quoted field with \"\" escapes is unquoted");
    n = byte_row(want, "Caf\xe9 au lait.", "\"odd\" and \"even\"");
    tap_ok(row_is(t, HS_SPLIT_TEST, 2, want, n) && d->tokens[2 * t->shape.seq_len + 4] == 4 + 0xe9,
           "pair: a Latin-1 byte is token 4 + 0xe9; '\"odd\" and \"even\"' is taken literally");
    hs_task_destroy(&t);

    /* truncation: the longer text loses a token at a time, text2 on a tie */
    sp.max_len = 8;
    t = must_open(&sp);
    n = byte_row(want, "The", "A c");
    tap_ok(row_is(t, HS_SPLIT_TEST, 0, want, n), "pair: max_len 8 → CLS 3 bytes SEP 3 bytes (12 + 10 cut to 3 + 3)");
    hs_task_destroy(&t);
    sp.max_len = 22;
    t = must_open(&sp);
    n = byte_row(want, "He said \"hi", "He spoke.");
    tap_ok(row_is(t, HS_SPLIT_TEST, 1, want, n), "pair: max_len 22 → text1 cut to 11 bytes, text2 (9) kept whole");
    hs_task_destroy(&t);
    sp.max_len = 13;
    t = must_open(&sp);
    n = byte_row(want, "He sa", "He sp");
    int n2 = byte_row(want + 20, "He sai", "He sp");
    tap_ok(!row_is(t, HS_SPLIT_TEST, 1, want, n) && row_is(t, HS_SPLIT_TEST, 1, want + 20, n2),
           "pair: max_len 13 → 18 + 9 cut to 6 + 5 (an odd budget leaves text1 the extra token)");
    hs_task_destroy(&t);
    sp.max_len = 2;
    expect_error(&sp, "pair with max_len 2", "text pairs need at least 3", NULL);
}

static void test_words(void)
{
    hs_task_spec sp = tsv_spec("words");
    sp.tokenizer = "word";
    hs_task *t = must_open(&sp);
    const hs_vocab *v = t->priv;
    /* train after the hold-out: 5 × "the film was good .", 4 × "the film was bad ." */
    const char *order[] = {".", "film", "the", "was", "good", "bad"};
    int ok = v && t->priv_free && hs_vocab_size(v) == 6 && t->shape.vocab == 10;
    for (int i = 0; ok && i < 6; i++) ok = hs_vocab_word(v, 4 + i) && !strcmp(hs_vocab_word(v, 4 + i), order[i]);
    tap_ok(ok, "words: vocabulary by count, ties lexicographic: . film the was good bad = ids 4..9");
    tap_ok(t->split[HS_SPLIT_TRAIN].n == 9 && t->split[HS_SPLIT_PRUNE].n == 1 && t->split[HS_SPLIT_TEST].targets[0] == 1 &&
               t->split[HS_SPLIT_TEST].targets[1] == 0,
           "words: integer labels sorted numerically: 9 = 0, 10 = 1");
    const int r0[] = {HS_TOK_CLS, 6, HS_TOK_UNK, 7, 8, HS_TOK_UNK};
    tap_ok(row_is(t, HS_SPLIT_TEST, 0, r0, 6), "words: 'the plot was good !' → CLS the UNK was good UNK");
    const int r1[] = {HS_TOK_CLS, 6, 5, 7, 9, 4};
    tap_ok(row_is(t, HS_SPLIT_TEST, 1, r1, 6), "words: 'The FILM was Bad .' is lowercased → CLS the film was bad .");
    tap_ok(strstr(t->description, "word tokens (6 words)") != NULL, "words: description '%s'", t->description);
    hs_task_destroy(&t);

    sp.min_count = 5;
    t = must_open(&sp);
    const int r2[] = {HS_TOK_CLS, 6, 5, 7, HS_TOK_UNK, 4};
    tap_ok(t->shape.vocab == 9 && row_is(t, HS_SPLIT_TEST, 1, r2, 6),
           "words: min_count 5 drops 'bad' (4 times) → UNK, vocab 4 + 5");
    hs_task_destroy(&t);
    sp.min_count = 0;
    sp.vocab_size = 3;
    t = must_open(&sp);
    const int r3[] = {HS_TOK_CLS, 6, 5, HS_TOK_UNK, HS_TOK_UNK, 4};
    tap_ok(t->shape.vocab == 7 && row_is(t, HS_SPLIT_TEST, 1, r3, 6),
           "words: vocab_size 3 keeps . film the; other words → UNK");
    hs_task_destroy(&t);
    sp.vocab_size = 0;
    sp.min_count = 100;
    expect_error(&sp, "words with min_count 100", "no word occurs at least min_count = 100", NULL);

    /* the splitter: whitespace dropped, punctuation alone, bytes ≥ 0x80 inside words */
    const unsigned char s[] = "  Caf\xe9 au-lait!\t\x01x";
    const char *want[] = {"Caf\xe9", "au", "-", "lait", "!", "x"};
    size_t pos = 0, start, len;
    int k = 0, good = 1;
    while ((len = hs_word_next(s, sizeof s - 1, &pos, &start)) > 0) {
        good &= k < 6 && len == strlen(want[k]) && !memcmp(s + start, want[k], len);
        k++;
    }
    tap_ok(good && k == 6, "word splitter: 'Caf\\xe9 au-lait!' → Caf\\xe9 | au | - | lait | ! | x");

    /* pairs with word tokens: SEP between the texts, a Latin-1 word kept whole */
    sp = tsv_spec("pair");
    sp.tokenizer = "word";
    t = must_open(&sp);
    v = t->priv;
    const int *row = t->split[HS_SPLIT_TEST].tokens + 2 * t->shape.seq_len;
    const int cafe = hs_vocab_id(v, "caf\xe9", 4);
    tap_ok(row[0] == HS_TOK_CLS && row[1] == cafe && row[2] == hs_vocab_id(v, "au", 2) && row[5] == HS_TOK_SEP &&
               row[6] == hs_vocab_id(v, "\"", 1) && t->split[HS_SPLIT_TEST].lengths[2] == 13,
           "pair, words: 'Caf\\xe9 au lait .' SEP '\" odd \" and \" even \"' (caf\\xe9 id %d)", cafe);
    hs_task_destroy(&t);
}

static void test_bad_tsv(void)
{
    hs_task_spec sp = tsv_spec("bad_nolabel");
    expect_error(&sp, "a row with an empty label", "bad_nolabel/train.tsv line 4: missing label", NULL);
    sp = tsv_spec("bad_devlabel");
    expect_error(&sp, "a dev label unseen in training", "bad_devlabel/dev.tsv line 3: label 'maybe' is not one of 0, 1",
                 NULL);
    sp = tsv_spec("bad_notext");
    expect_error(&sp, "a row with no text", "bad_notext/train.tsv line 3: no text in column 'sentence'", NULL);
    sp = tsv_spec("bad_fields");
    expect_error(&sp, "a row with 3 fields", "bad_fields/train.tsv line 5: 3 fields, expected 2", NULL);
    sp = tsv_spec("bad_empty");
    expect_error(&sp, "an empty train.tsv", "bad_empty/train.tsv: empty file", NULL);
    sp = tsv_spec("bad_nodev");
    expect_error(&sp, "a folder without dev.tsv", "bad_nodev/dev.tsv: cannot open", NULL);
    sp = tsv_spec("nosuch");
    expect_error(&sp, "a missing folder", "tasks/nosuch: cannot open", NULL);
    sp = tsv_spec("lm.txt");
    expect_error(&sp, "a file as the folder", "lm.txt is not a folder", NULL);
    sp = tsv_spec("sst");
    sp.path = NULL;
    expect_error(&sp, "no path", "path is missing", NULL);
    sp = tsv_spec("sst");
    sp.tokenizer = "bpe";
    expect_error(&sp, "an unknown tokenizer", "tokenizer 'bpe': expected byte, word or pretrained", NULL);
    sp = tsv_spec("sst");
    sp.prune_fraction = 1.5;
    expect_error(&sp, "prune_fraction 1.5", "prune_fraction 1.5", NULL);
    sp = tsv_spec("pair");
    sp.prune_fraction = 0.01;
    expect_error(&sp, "a hold-out of no rows", "pair/train.tsv: 10 rows give no prune split", NULL);
}

static void test_lm(void)
{
    const char *path = fx("lm.txt");
    FILE *f = fopen(path, "rb");
    static unsigned char text[1 << 16];
    const size_t N = f ? fread(text, 1, sizeof text, f) : 0;
    if (f) fclose(f);
    hs_task_spec sp = {.name = "lm", .kind = "lm", .seed = 1, .path = path, .seq_len = 16};
    hs_task *t = must_open(&sp);
    tap_ok(t->shape.vocab == 260 && t->shape.n_out == 260 && t->shape.lm && t->shape.causal && t->shape.seq_len == 16 &&
               t->metric == HS_METRIC_PERPLEXITY && !t->higher_is_better && hs_task_target_stride(t) == 16,
           "lm: bytes, vocab 260, causal LM, perplexity (lower is better)");
    const size_t b1 = N * 90 / 100, b2 = N * 95 / 100, w = 15;
    const size_t start[3] = {0, b1, b2}, end[3] = {b1, b2, N};
    int ok = N > 2000;
    for (int k = 0; k < 3 && ok; k++) {
        const hs_split_data *s = &t->split[k];
        ok = s->n == (long)((end[k] - start[k]) / w);
        for (long e = 0; e < s->n && ok; e++) {
            const int *tok = s->tokens + e * 16, *tgt = s->targets + e * 16;
            const unsigned char *src = text + start[k] + (size_t)e * w;
            ok = tok[0] == HS_TOK_CLS && s->lengths[e] == 16 && tgt[15] == -1;
            for (int p = 1; p < 16 && ok; p++) ok = tok[p] == 4 + src[p - 1];
            for (int p = 0; p < 15 && ok; p++) ok = tgt[p] == tok[p + 1];
        }
    }
    tap_ok(ok, "lm: %zu bytes → %ld / %ld / %ld windows: BOS + 15 bytes, stride 15, from bytes 0, 90%%, 95%%; "
               "position p predicts p+1, the last is not scored",
           N, t->split[0].n, t->split[1].n, t->split[2].n);
    hs_task_destroy(&t);
    sp.n_train = 10;
    sp.n_test = 3;
    t = must_open(&sp);
    tap_ok(t->split[HS_SPLIT_TRAIN].n == 10 && t->split[HS_SPLIT_TEST].n == 3 && t->split[HS_SPLIT_PRUNE].n == 7,
           "lm: n_train 10, n_test 3 cap the windows (prune keeps its 7)");
    hs_task_destroy(&t);

    hs_task_spec bad = {.name = "lm", .kind = "lm", .path = fx("nosuch.txt")};
    expect_error(&bad, "lm: a missing file", "nosuch.txt: cannot open", NULL);
    bad.path = fx("empty.txt");
    expect_error(&bad, "lm: an empty file", "empty.txt: empty file", NULL);
    bad.path = fx("lm_short.txt");
    expect_error(&bad, "lm: a 10-byte file for seq_len 128", "lm_short.txt: 10 bytes is too short for seq_len 128",
                 "at least 2531 bytes");
    bad.path = fx("lm.txt");
    bad.seq_len = 4096;
    expect_error(&bad, "lm: seq_len 4096 on 2 KB", "is too short for seq_len 4096", NULL);
    bad.path = fx("sst");
    bad.seq_len = 0;
    expect_error(&bad, "lm: a folder", "sst: not a regular file", NULL);
}

/* A small model on the SST-like fixture (word tokens): the sentiment word
 * decides the label, and the dev rows are unseen sentences. */
static void test_learnable(void)
{
    hs_task_spec sp = tsv_spec("sst");
    sp.tokenizer = "word";
    sp.max_len = 8;
    hs_task *t = must_open(&sp);
    hs_config cfg = t->shape;
    cfg.d_model = 32;
    cfg.heads = 4;
    cfg.layers = 2;
    cfg.d_ff = 64;
    const int B = 16;
    const long steps = 300;
    hs_model *m;
    HS_ASSERT(hs_model_create(&m, &cfg) == HS_OK);
    HS_ASSERT(hs_model_setup_batch(m, B, cfg.seq_len) == HS_OK);
    hs_model_init_weights(m, hs_key_str(1, "init"));
    hs_adamw_config oc = hs_adamw_defaults(steps);
    oc.lr = 3e-3;
    oc.warmup = steps / 10;
    hs_adamw *o;
    HS_ASSERT(hs_adamw_create(&o, m, &oc) == HS_OK);
    hs_batch_buf bb;
    HS_ASSERT(hs_batch_buf_create(&bb, t, B) == HS_OK);
    HS_ASSERT(hs_train_task(m, o, t, &bb, steps, 0, 0, NULL, NULL) == HS_OK);
    hs_eval_result ev, pv;
    HS_ASSERT(hs_eval_split(m, t, HS_SPLIT_TEST, &bb, &ev) == HS_OK);
    HS_ASSERT(hs_eval_split(m, t, HS_SPLIT_PRUNE, &bb, &pv) == HS_OK);
    tap_ok(ev.metric >= 0.8 && ev.examples == 20,
           "learnable: 2-layer d=32 model, %ld steps on 72 SST-like rows (word tokens): dev accuracy %.2f >= 0.8 "
           "(chance 0.5; prune split %.2f)",
           steps, ev.metric, pv.metric);
    hs_batch_buf_free(&bb);
    hs_adamw_destroy(&o);
    hs_model_destroy(&m);
    hs_task_destroy(&t);
}

int main(void)
{
    fixtures = getenv("FIXTURES");
    if (!fixtures) fixtures = "tests/fixtures";
    test_sst_bytes();
    test_prune_split();
    test_pairs();
    test_words();
    test_bad_tsv();
    test_lm();
    test_learnable();
    return tap_done();
}
