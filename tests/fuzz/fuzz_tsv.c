/* fuzz_tsv.c — kind "tsv" (src/tasks/tsv.c) through hs_task_open, as a sweep
 * or `headsweep train` opens it. Input: one settings byte, then train.tsv,
 * then (after the separator TSV_SEP) dev.tsv; without a separator dev.tsv
 * is missing. Settings byte: bit 0 word tokenizer; bits 1-3 max_len;
 * bits 4-5 prune_fraction; bits 6-7 vocab_size / min_count. On success the
 * splits are checked against the task's declared shape. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "../../src/tasks/task.h"
#include "fuzz_util.h"

#define TSV_SEP "\n==dev==\n"

static char dir[4096], train[4200], dev[4200];

static void cleanup(void)
{
    unlink(train);
    unlink(dev);
    rmdir(dir);
}

static void check_split(const hs_task *t, const hs_split_data *s)
{
    const int T = t->shape.seq_len;
    for (long e = 0; e < s->n; e++) {
        if (s->lengths[e] < 1 || s->lengths[e] > T) abort();
        if (s->targets[e] < 0 || s->targets[e] >= t->shape.n_out) abort();
        for (int i = 0; i < T; i++)
            if (s->tokens[e * T + i] < 0 || s->tokens[e * T + i] >= t->shape.vocab) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "%s/hs-fuzz-tsv-XXXXXX", fz_tmpdir());
        if (!mkdtemp(dir)) abort();
        snprintf(train, sizeof train, "%s/train.tsv", dir);
        snprintf(dev, sizeof dev, "%s/dev.tsv", dir);
        atexit(cleanup);
    }
    if (size < 1) return 0;
    fz_expect_clean();
    const uint8_t opt = data[0];
    const uint8_t *part[2];
    size_t len[2];
    const int n = fz_split(data + 1, size - 1, TSV_SEP, sizeof TSV_SEP - 1, part, len, 2);
    fz_write_file(train, part[0], len[0]);
    if (n == 2) fz_write_file(dev, part[1], len[1]);
    else unlink(dev);

    static const int max_lens[8] = {0, 2, 3, 4, 8, 16, 64, 4096};
    static const double fractions[4] = {0, 0.5, 0.01, 0.99};
    static const int vocabs[4] = {0, 1, 3, 50};
    hs_task_spec spec = {0};
    spec.name = "fuzz";
    spec.kind = "tsv";
    spec.seed = 1;
    spec.path = dir;
    spec.tokenizer = opt & 1 ? "word" : "byte";
    spec.max_len = max_lens[(opt >> 1) & 7];
    spec.prune_fraction = fractions[(opt >> 4) & 3];
    spec.vocab_size = vocabs[(opt >> 6) & 3];
    spec.min_count = (opt >> 6) == 3 ? 2 : 0;
    hs_task *t = NULL;
    hs_status s = hs_task_open(&t, &spec);
    fz_check_status(s, "hs_task_open(tsv)");
    if (s == HS_OK) {
        if (t->shape.n_out < 2 || t->shape.vocab < 1) abort();
        for (int k = 0; k < HS_NUM_SPLITS; k++) check_split(t, &t->split[k]);
    } else if (t) {
        abort(); /* a failed open hands back nothing */
    }
    hs_task_destroy(&t);
    return 0;
}
