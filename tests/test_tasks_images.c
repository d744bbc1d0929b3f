/* test_tasks_images.c — kind "images" (src/tasks/idx.c) on tiny IDX files.
 *
 * Good case: the committed fixtures $FIXTURES/images/{gz,plain} (20 train +
 * 10 test images of 8×8, written by gen_images.sh, whose pixel formula is
 * repeated here), cut into 4×4 patches: T = 5, P = 16, 3 classes. Every
 * value of every split is checked against the formula and the training
 * split's mean and std. Bad cases are written into a temporary folder; each
 * must fail with HS_ERR_INPUT and a message naming the file. */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "../src/tasks/task.h"
#include "tap.h"

enum { N_TRAIN = 20, N_TEST = 10, SIDE = 8, PATCH = 4, T_EXP = 5, P_EXP = 16 };

static const char *const names[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                     "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

/* The fixture formulas of gen_images.sh. */
static int pixel(int test, int i, int r, int c)
{
    if (r == 0 && c == 0) return 8 * i + (test ? 4 : 0);
    return (37 * i + 11 * r + 3 * c + 7 * r * c + (test ? 101 : 0)) % 256;
}
static int label(int test, int i) { return test ? (2 * i + 1) % 3 : i % 3; }

static hs_status open_images(hs_task **t, const char *path, int patch, uint64_t seed, double frac, long n_train)
{
    hs_task_spec sp = {0};
    sp.name = "img";
    sp.kind = "images";
    sp.seed = seed;
    sp.path = path;
    sp.patch = patch;
    sp.prune_fraction = frac;
    sp.n_train = n_train;
    hs_error_clear();
    return hs_task_open(t, &sp);
}

static int same_split(const hs_split_data *a, const hs_split_data *b, size_t TP)
{
    return a->n == b->n && !memcmp(a->patches, b->patches, sizeof(float) * (size_t)a->n * TP) &&
           !memcmp(a->lengths, b->lengths, sizeof(int) * (size_t)a->n) &&
           !memcmp(a->targets, b->targets, sizeof(int) * (size_t)a->n);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Checks the good fixtures in dir; returns the task (caller destroys). */
static hs_task *check_good(const char *dir, const char *label_)
{
    hs_task *t = NULL;
    hs_status s = open_images(&t, dir, PATCH, 1, 0, 0);
    if (!tap_ok(s == HS_OK, "%s: opens", label_)) {
        tap_diag("%s", hs_error_message());
        return NULL;
    }
    const hs_config *c = &t->shape;
    tap_ok(c->vocab == 0 && c->patch_dim == P_EXP && c->seq_len == T_EXP && c->n_out == 3 && !c->lm &&
               !c->causal && t->metric == HS_METRIC_ACCURACY && t->higher_is_better,
           "%s: shape vocab 0, P 16, T 5, n_out 3, classification, accuracy", label_);
    const hs_split_data *tr = &t->split[HS_SPLIT_TRAIN], *pr = &t->split[HS_SPLIT_PRUNE],
                        *te = &t->split[HS_SPLIT_TEST];
    tap_ok(tr->n == 18 && pr->n == 2 && te->n == 10, "%s: splits 18/2/10 (prune = round(20/12))", label_);
    int lengths_ok = 1;
    for (int k = 0; k < HS_NUM_SPLITS; k++)
        for (long e = 0; e < t->split[k].n; e++) lengths_ok &= t->split[k].lengths[e] == T_EXP && !t->split[k].tokens;
    tap_ok(lengths_ok, "%s: every length is T, no tokens", label_);

    /* which file record is each train/prune example? pixel (0,0) = 8·i, and
     * the normalisation is increasing, so its rank over all 20 is i */
    const size_t TP = (size_t)T_EXP * P_EXP;
    float keys[N_TRAIN], sorted[N_TRAIN];
    int rec[HS_NUM_SPLITS][N_TRAIN];
    for (long e = 0; e < tr->n; e++) keys[e] = tr->patches[e * TP + P_EXP];
    for (long e = 0; e < pr->n; e++) keys[tr->n + e] = pr->patches[e * TP + P_EXP];
    memcpy(sorted, keys, sizeof keys);
    qsort(sorted, N_TRAIN, sizeof(float), cmp_float);
    int seen[N_TRAIN] = {0}, partition = 1, ordered = 1;
    for (int k = 0; k < N_TRAIN; k++) {
        int i = (int)((const float *)bsearch(&keys[k], sorted, N_TRAIN, sizeof(float), cmp_float) - sorted);
        seen[i]++;
        rec[k < tr->n ? HS_SPLIT_TRAIN : HS_SPLIT_PRUNE][k < tr->n ? k : k - tr->n] = i;
    }
    for (int i = 0; i < N_TRAIN; i++) partition &= seen[i] == 1;
    for (long e = 1; e < tr->n; e++) ordered &= rec[HS_SPLIT_TRAIN][e] > rec[HS_SPLIT_TRAIN][e - 1];
    for (long e = 1; e < pr->n; e++) ordered &= rec[HS_SPLIT_PRUNE][e] > rec[HS_SPLIT_PRUNE][e - 1];
    tap_ok(partition, "%s: train and prune splits partition the 20 training records", label_);
    tap_ok(ordered, "%s: train and prune splits keep file order", label_);
    for (int e = 0; e < N_TEST; e++) rec[HS_SPLIT_TEST][e] = e;

    /* expected statistics: every pixel of the training split, scaled to [0,1] */
    double sum = 0, sq = 0, cnt = (double)tr->n * SIDE * SIDE;
    for (long e = 0; e < tr->n; e++)
        for (int r = 0; r < SIDE; r++)
            for (int col = 0; col < SIDE; col++) sum += pixel(0, rec[HS_SPLIT_TRAIN][e], r, col) / 255.0;
    const double mean = sum / cnt;
    for (long e = 0; e < tr->n; e++)
        for (int r = 0; r < SIDE; r++)
            for (int col = 0; col < SIDE; col++) {
                double x = pixel(0, rec[HS_SPLIT_TRAIN][e], r, col) / 255.0 - mean;
                sq += x * x;
            }
    const double sd = sqrt(sq / cnt);
    tap_diag("%s: training split mean %.6f std %.6f; %s", label_, mean, sd, t->description);

    /* every value of every split */
    double worst = 0;
    int cls_zero = 1, targets_ok = 1;
    for (int k = 0; k < HS_NUM_SPLITS; k++) {
        const hs_split_data *sd_ = &t->split[k];
        const int test = k == HS_SPLIT_TEST;
        for (long e = 0; e < sd_->n; e++) {
            const int i = rec[k][e];
            const float *x = sd_->patches + e * TP;
            for (int j = 0; j < P_EXP; j++) cls_zero &= x[j] == 0.0f;
            for (int pos = 1; pos < T_EXP; pos++)
                for (int j = 0; j < P_EXP; j++) {
                    const int gy = (pos - 1) / (SIDE / PATCH), gx = (pos - 1) % (SIDE / PATCH);
                    const int r = gy * PATCH + j / PATCH, col = gx * PATCH + j % PATCH;
                    const double want = (pixel(test, i, r, col) / 255.0 - mean) / sd;
                    worst = fmax(worst, fabs(x[pos * P_EXP + j] - want));
                }
            targets_ok &= sd_->targets[e] == label(test, i);
        }
    }
    tap_ok(cls_zero, "%s: position 0 (CLS slot) is all zero in every example", label_);
    tap_ok(worst < 2e-6, "%s: every patch value is (pixel/255 - train mean)/train std, patch grid row-major "
                         "(max error %.2e)", label_, worst);
    tap_ok(targets_ok, "%s: targets are the file labels", label_);

    /* a known image, spelled out: test image 0, patch (0,1) starts at pixel (0,4),
     * patch (1,0) holds pixel (5,1) at offset 5 */
    const float *x0 = te->patches;
    tap_ok(fabs(x0[2 * P_EXP + 0] - (pixel(1, 0, 0, 4) / 255.0 - mean) / sd) < 2e-6 &&
               fabs(x0[3 * P_EXP + 5] - (pixel(1, 0, 5, 1) / 255.0 - mean) / sd) < 2e-6 &&
               fabs(x0[1 * P_EXP + 0] - (4 / 255.0 - mean) / sd) < 2e-6,
           "%s: test image 0: positions 1..4 are patches (0,0) (0,1) (1,0) (1,1)", label_);

    /* the training split itself is standardised */
    double m2 = 0, v2 = 0, n2 = (double)tr->n * (T_EXP - 1) * P_EXP;
    for (long e = 0; e < tr->n; e++)
        for (int j = P_EXP; j < (int)TP; j++) m2 += tr->patches[e * TP + j];
    m2 /= n2;
    for (long e = 0; e < tr->n; e++)
        for (int j = P_EXP; j < (int)TP; j++) v2 += (tr->patches[e * TP + j] - m2) * (tr->patches[e * TP + j] - m2);
    v2 = sqrt(v2 / n2);
    tap_ok(fabs(m2) < 1e-5 && fabs(v2 - 1) < 1e-5, "%s: training split has mean %.2e, std %.6f after normalising",
           label_, m2, v2);
    return t;
}

/* --- bad files ---------------------------------------------------------------- */

static char tmpdir[4096];

/* The good file k as bytes (header + records); *len set. Caller frees. */
static uint8_t *good_file(int k, size_t *len)
{
    const int test = k >= 2, images = !(k & 1), n = test ? N_TEST : N_TRAIN;
    const size_t hb = images ? 16 : 8, rec = images ? SIDE * SIDE : 1;
    *len = hb + (size_t)n * rec;
    uint8_t *b = calloc(*len, 1);
    HS_ASSERT(b);
    const uint32_t hdr[4] = {images ? 0x803u : 0x801u, (uint32_t)n, SIDE, SIDE};
    for (size_t w = 0; w < hb / 4; w++)
        for (int j = 0; j < 4; j++) b[4 * w + j] = (uint8_t)(hdr[w] >> (24 - 8 * j));
    for (int i = 0; i < n; i++)
        for (size_t j = 0; j < rec; j++)
            b[hb + i * rec + j] = (uint8_t)(images ? pixel(test, i, (int)j / SIDE, (int)j % SIDE) : label(test, i));
    return b;
}

static void write_file(const char *path, const uint8_t *b, size_t len, int gz)
{
    if (gz) {
        gzFile g = gzopen(path, "wb9");
        HS_ASSERT(g && (len == 0 || gzwrite(g, b, (unsigned)len) == (int)len) && gzclose(g) == Z_OK);
    } else {
        FILE *f = fopen(path, "wb");
        HS_ASSERT(f && fwrite(b, 1, len, f) == len && fclose(f) == 0);
    }
}

static void remove_case(const char *dir)
{
    char p[4200];
    for (int k = 0; k < 4; k++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[k]);
        unlink(p);
        snprintf(p, sizeof p, "%s/%s.gz", dir, names[k]);
        unlink(p);
    }
    rmdir(dir);
}

/* A case folder with the four good plain files; returns its path. */
static const char *make_case(const char *name)
{
    static char dir[4200];
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, name);
    remove_case(dir);
    HS_ASSERT(mkdir(dir, 0755) == 0);
    for (int k = 0; k < 4; k++) {
        char p[4300];
        size_t len;
        uint8_t *b = good_file(k, &len);
        snprintf(p, sizeof p, "%s/%s", dir, names[k]);
        write_file(p, b, len, 0);
        free(b);
    }
    return dir;
}

/* Replaces file k of the case folder (plain or .gz) by len bytes of b. */
static void put(const char *dir, int k, const uint8_t *b, size_t len, int gz, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", dir, names[k]);
    unlink(path);
    if (gz) snprintf(path, cap, "%s/%s.gz", dir, names[k]);
    write_file(path, b, len, gz);
}

/* Expects opening dir to fail with HS_ERR_INPUT naming `file` and containing `also`. */
static void expect_bad(const char *dir, const char *file, const char *also, const char *what)
{
    hs_task *t = NULL;
    hs_status s = open_images(&t, dir, PATCH, 1, 0, 0);
    const char *msg = hs_error_message();
    int ok = s == HS_ERR_INPUT && !t && strstr(msg, file) && (!also || strstr(msg, also));
    tap_ok(ok, "%s: HS_ERR_INPUT naming the file%s%s%s", what, also ? " and '" : "", also ? also : "",
           also ? "'" : "");
    tap_diag("%s", msg);
    hs_task_destroy(&t);
    hs_error_clear();
}

static void bad_cases(const char *fixtures)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/hs-images-XXXXXX", base && *base ? base : "/tmp");
    HS_ASSERT(mkdtemp(tmpdir));
    char path[4300], p2[4400];
    size_t len;
    uint8_t *b;
    const char *d;

    d = make_case("missing");
    snprintf(path, sizeof path, "%s/%s", d, names[3]);
    unlink(path);
    expect_bad(d, path, "missing file", "a missing t10k-labels file");
    remove_case(d);

    d = make_case("empty");
    put(d, 0, (const uint8_t *)"", 0, 0, path, sizeof path);
    expect_bad(d, path, "is empty", "an empty images file");
    remove_case(d);

    d = make_case("empty-gz");
    put(d, 2, (const uint8_t *)"", 0, 1, path, sizeof path);
    expect_bad(d, path, "is empty", "an empty .gz images file");
    remove_case(d);

    d = make_case("magic");
    b = good_file(0, &len);
    b[3] = 0x01;
    put(d, 0, b, len, 0, path, sizeof path);
    expect_bad(d, path, "magic 0x00000801 at offset 0 (this is a labels file): expected 0x00000803",
               "a wrong magic (found and expected named)");
    free(b);
    remove_case(d);

    d = make_case("magic-labels");
    b = good_file(1, &len);
    b[2] = 0x12;
    put(d, 1, b, len, 0, path, sizeof path);
    expect_bad(d, path, "magic 0x00001201 at offset 0: expected 0x00000801", "a labels file with a wrong magic");
    free(b);
    remove_case(d);

    d = make_case("short-header");
    b = good_file(0, &len);
    put(d, 0, b, 10, 0, path, sizeof path);
    expect_bad(d, path, "ends at byte 10 inside the header", "a header cut short");
    free(b);
    remove_case(d);

    d = make_case("truncated");
    b = good_file(0, &len);
    put(d, 0, b, len - 70, 0, path, sizeof path);
    expect_bad(d, path, "data stops at byte 1226, inside record 18", "a truncated images file (where it ends)");
    free(b);
    remove_case(d);

    d = make_case("truncated-labels");
    b = good_file(3, &len);
    put(d, 3, b, len - 1, 0, path, sizeof path);
    expect_bad(d, path, "announces 10 labels but the data stops at byte 17, inside record 9",
               "a truncated labels file");
    free(b);
    remove_case(d);

    d = make_case("huge-count");
    b = good_file(0, &len);
    b[4] = 0x7f; /* n = 0x7f000014 records: far more than the file holds */
    put(d, 0, b, len, 0, path, sizeof path);
    expect_bad(d, path, "ends early", "a header announcing billions of images (no huge allocation)");
    free(b);
    remove_case(d);

    d = make_case("trailing");
    b = good_file(2, &len);
    uint8_t *b2 = calloc(len + 3, 1);
    memcpy(b2, b, len);
    put(d, 2, b2, len + 3, 0, path, sizeof path);
    expect_bad(d, path, "data continues after the 10 images", "bytes after the last record");
    free(b);
    free(b2);
    remove_case(d);

    d = make_case("count");
    b = good_file(1, &len);
    b[7] = 19;
    put(d, 1, b, len - 1, 0, path, sizeof path);
    snprintf(p2, sizeof p2, "%s/%s", d, names[0]);
    expect_bad(d, path, "holds 20 images but", "image/label count mismatch (labels file named)");
    expect_bad(d, p2, "19 labels: expected one label per image", "image/label count mismatch (images file named)");
    free(b);
    remove_case(d);

    d = make_case("dims");
    b = good_file(2, &len);
    b[15] = 4; /* 10 images of 8×4 */
    put(d, 2, b, 16 + N_TEST * 32, 0, path, sizeof path);
    expect_bad(d, path, "holds 8x4 images but", "test images of another size than the training images");
    free(b);
    remove_case(d);

    d = make_case("label-range");
    b = good_file(3, &len);
    b[8 + 3] = 7;
    put(d, 3, b, len, 0, path, sizeof path);
    expect_bad(d, path, "label 7 at record 3 (byte 11) of", "a test label outside the training classes");
    expect_bad(d, "expected 0..2", NULL, "... and says which labels are expected");
    free(b);
    remove_case(d);

    d = make_case("one-class");
    b = good_file(1, &len);
    memset(b + 8, 0, N_TRAIN);
    put(d, 1, b, len, 0, path, sizeof path);
    expect_bad(d, path, "expected at least two classes", "training labels of a single class");
    free(b);
    remove_case(d);

    /* gzip: a damaged checksum, a damaged stream, a cut stream */
    const char *gzcases[3] = {"gz-crc", "gz-flip", "gz-cut"};
    for (int c = 0; c < 3; c++) {
        d = make_case(gzcases[c]);
        b = good_file(0, &len);
        put(d, 0, b, len, 1, path, sizeof path);
        free(b);
        FILE *f = fopen(path, "rb");
        HS_ASSERT(f);
        uint8_t z[8192];
        size_t zn = fread(z, 1, sizeof z, f);
        fclose(f);
        if (c == 0) z[zn - 8] ^= 0xff;     /* CRC-32 of the trailer */
        if (c == 1) z[zn / 2] ^= 0x5a;     /* inside the deflate data */
        if (c == 2) zn = zn / 2;           /* half the file */
        f = fopen(path, "wb");
        HS_ASSERT(f && fwrite(z, 1, zn, f) == zn && fclose(f) == 0);
        expect_bad(d, path, c == 0 ? "gzip data is corrupt" : c == 2 ? "gzip stream ends early" : NULL,
                   c == 0 ? "a .gz file with a wrong checksum" : c == 1 ? "a .gz file with damaged data"
                                                                        : "a .gz file cut in half");
        remove_case(d);
    }

    /* the folder itself */
    snprintf(path, sizeof path, "%s/no-such-folder", tmpdir);
    expect_bad(path, path, "cannot open the folder", "a folder that does not exist");
    d = make_case("not-a-folder");
    snprintf(path, sizeof path, "%s/%s", d, names[0]);
    expect_bad(path, path, "is not a folder", "a path that is a file");
    remove_case(d);
    snprintf(path, sizeof path, "%s/images/bad-magic", fixtures);
    snprintf(p2, sizeof p2, "%s/%s", path, names[0]);
    expect_bad(path, p2, "expected 0x00000803", "the committed bad-magic fixture (used by test_cli.sh)");
    rmdir(tmpdir);
}

int main(void)
{
    const char *fixtures = getenv("FIXTURES");
    if (!fixtures) fixtures = "tests/fixtures";
    char gz[4096], plain[4096];
    snprintf(gz, sizeof gz, "%s/images/gz", fixtures);
    snprintf(plain, sizeof plain, "%s/images/plain", fixtures);

    hs_task *a = check_good(gz, "gz"), *b = check_good(plain, "plain");
    if (a && b) {
        const size_t TP = (size_t)T_EXP * P_EXP;
        int same = 1;
        for (int k = 0; k < HS_NUM_SPLITS; k++) same &= same_split(&a->split[k], &b->split[k], TP);
        tap_ok(same, "gzip and plain files give identical splits");

        /* the hold-out: same key, same split; other seeds, other splits */
        hs_task *c = NULL;
        HS_ASSERT(open_images(&c, gz, PATCH, 1, 0, 0) == HS_OK);
        tap_ok(same_split(&a->split[HS_SPLIT_PRUNE], &c->split[HS_SPLIT_PRUNE], TP) &&
                   same_split(&a->split[HS_SPLIT_TRAIN], &c->split[HS_SPLIT_TRAIN], TP),
               "the prune hold-out is deterministic for a given (seed, name)");
        hs_task_destroy(&c);
        int differs = 0;
        for (uint64_t seed = 2; seed <= 6; seed++) {
            HS_ASSERT(open_images(&c, gz, PATCH, seed, 0, 0) == HS_OK);
            differs += !same_split(&a->split[HS_SPLIT_PRUNE], &c->split[HS_SPLIT_PRUNE], TP);
            hs_task_destroy(&c);
        }
        tap_ok(differs >= 4, "other seeds hold out other records (%d of 5 differ)", differs);

        HS_ASSERT(open_images(&c, gz, PATCH, 1, 0.25, 0) == HS_OK);
        tap_ok(c->split[HS_SPLIT_TRAIN].n == 15 && c->split[HS_SPLIT_PRUNE].n == 5,
               "prune_fraction 0.25 holds out 5 of 20");
        hs_task_destroy(&c);

        HS_ASSERT(open_images(&c, gz, PATCH, 1, 0, 7) == HS_OK);
        const hs_split_data *t7 = &c->split[HS_SPLIT_TRAIN], *tr = &a->split[HS_SPLIT_TRAIN];
        tap_ok(t7->n == 7 && !memcmp(t7->patches, tr->patches, sizeof(float) * 7 * TP) &&
                   !memcmp(t7->targets, tr->targets, sizeof(int) * 7) &&
                   same_split(&c->split[HS_SPLIT_PRUNE], &a->split[HS_SPLIT_PRUNE], TP) &&
                   same_split(&c->split[HS_SPLIT_TEST], &a->split[HS_SPLIT_TEST], TP),
               "n_train 7 keeps the first 7 training examples, same normalisation, same prune and test");
        hs_task_destroy(&c);

        /* batches come out of the patches */
        hs_batch_buf bb;
        HS_ASSERT(hs_batch_buf_create(&bb, a, 4) == HS_OK);
        int got = hs_task_batch(a, HS_SPLIT_TEST, 2, &bb);
        tap_ok(got == 2 && bb.batch.patches && !bb.batch.tokens && bb.batch.T == T_EXP &&
                   !memcmp(bb.patches, a->split[HS_SPLIT_TEST].patches + 8 * TP, sizeof(float) * 2 * TP) &&
                   bb.targets[1] == label(1, 9),
               "test batch 2 of size 4 holds test images 8 and 9");
        hs_batch_buf_free(&bb);
    }
    hs_task_destroy(&a);
    hs_task_destroy(&b);

    /* patch settings */
    hs_task *t = NULL;
    tap_ok(open_images(&t, gz, 8, 1, 0, 0) == HS_OK && t->shape.seq_len == 2 && t->shape.patch_dim == 64,
           "patch 8: one patch of 64 + CLS");
    hs_task_destroy(&t);
    tap_ok(open_images(&t, gz, 1, 1, 0, 0) == HS_OK && t->shape.seq_len == 65 && t->shape.patch_dim == 1,
           "patch 1: 64 single pixels + CLS");
    hs_task_destroy(&t);
    char want[4400];
    snprintf(want, sizeof want, "patch 3 does not divide the 8x8 images of %s/train-images-idx3-ubyte.gz", gz);
    tap_ok(open_images(&t, gz, 3, 1, 0, 0) == HS_ERR_INPUT && strstr(hs_error_message(), want) &&
               strstr(hs_error_message(), "expected a divisor of 8"),
           "patch 3 on 8x8 images is refused, naming the setting and the file");
    tap_diag("%s", hs_error_message());
    tap_ok(open_images(&t, gz, 0, 1, 0, 0) == HS_ERR_INPUT && strstr(hs_error_message(), "patch 7 does not divide"),
           "the default patch is 7");
    tap_ok(open_images(&t, NULL, 4, 1, 0, 0) == HS_ERR_INPUT && strstr(hs_error_message(), "path is missing"),
           "a missing path is refused");
    tap_ok(open_images(&t, gz, 4, 1, 1.5, 0) == HS_ERR_INPUT && strstr(hs_error_message(), "prune_fraction 1.5"),
           "prune_fraction outside (0, 1) is refused");
    hs_error_clear();

    bad_cases(fixtures);
    return tap_done();
}
