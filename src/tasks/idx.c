/* idx.c — kind "images": image classification from IDX files (the MNIST /
 * Fashion-MNIST layout), cut into patches for a ViT-style model.
 *
 * Files (folder spec.path; each gzip-compressed "NAME.gz" or plain "NAME";
 * zlib reads both, the plain one is used when both exist):
 *   train-images-idx3-ubyte  t10k-images-idx3-ubyte   magic 0x00000803, then
 *       big-endian u32 n, rows, cols, then n·rows·cols uint8 pixels [n][rows][cols]
 *   train-labels-idx1-ubyte  t10k-labels-idx1-ubyte   magic 0x00000801, then
 *       u32 n, then n uint8 labels
 * Nothing may follow the last record.
 *
 * Examples: patch side p (spec.patch, default 7) must divide rows and cols;
 * P = p·p values per patch, T = 1 + (rows/p)·(cols/p) positions. Position 0
 * is the CLS slot (all zero; the model puts its learned CLS vector there);
 * positions 1.. are the patches in row-major order of the patch grid, pixels
 * within a patch row-major. A pixel v becomes (v/255 − mean)/std, where mean
 * and std (population) are taken over every pixel of the training split
 * before the n_train cap (the train file minus the prune hold-out), so the
 * prune and test data never influence them; std = 1 if all pixels are equal.
 *
 * Splits: prune = a seeded hold-out of round(prune_fraction·n) training
 * records (default 1/12: 5000 of 60000), keyed by (seed, name, "prune-split");
 * train = the rest, optionally only its first n_train (spec.n_train > 0);
 * test = the t10k files. All splits keep file order. n_out = 1 + the largest
 * training label; a test label ≥ n_out is an error.
 *
 * Sizes: Fashion-MNIST is 60000 + 10000 images of 28×28; with patch 7,
 * T = 17, P = 49, and the splits hold ~230 MB of floats (raw files are read
 * into memory one at a time, ≤ 47 MB). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "../core/alloc.h"
#include "../core/rng.h"
#include "task.h"

enum { MAGIC_IMAGES = 0x00000803, MAGIC_LABELS = 0x00000801, MAX_SIDE = 1 << 15, DEFAULT_PATCH = 7 };

enum { F_TRAIN_IMAGES, F_TRAIN_LABELS, F_TEST_IMAGES, F_TEST_LABELS, NUM_FILES };

static const char *const file_names[NUM_FILES] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                                  "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

/* One IDX file read into memory. */
typedef struct {
    char path[4096]; /* the file actually read (with or without .gz) */
    uint8_t *data;   /* the records, header stripped: n·rows·cols or n bytes */
    long n;
    int rows, cols;  /* images; 1×1 for labels */
} idx_file;

/* Finds DIR/NAME or DIR/NAME.gz (plain preferred) and writes its path. */
static hs_status locate(const hs_task *t, const char *name, char *out, size_t cap)
{
    const char *dir = t->spec.path;
    const char *const suffixes[2] = {"", ".gz"};
    for (int k = 0; k < 2; k++) {
        int len = snprintf(out, cap, "%s/%s%s", dir, name, suffixes[k]);
        if (len < 0 || (size_t)len >= cap)
            return hs_error_set(HS_ERR_INPUT, "task %s: path %s/%s is too long: expected at most %zu bytes",
                                t->spec.name, dir, name, cap - 1);
        struct stat st;
        if (stat(out, &st) == 0) {
            if (!S_ISREG(st.st_mode))
                return hs_error_set(HS_ERR_INPUT, "task %s: %s is not a regular file: expected an IDX file",
                                    t->spec.name, out);
            return HS_OK;
        }
    }
    return hs_error_set(HS_ERR_INPUT, "task %s: missing file %s/%s: expected %s or %s.gz in the folder %s",
                        t->spec.name, dir, name, name, name, dir);
}

/* Reads up to len bytes; returns the count (short at end of data) or -1. */
static long long gz_read_full(gzFile g, uint8_t *buf, size_t len)
{
    size_t have = 0;
    while (have < len) {
        size_t chunk = len - have < (1u << 30) ? len - have : (1u << 30);
        int r = gzread(g, buf + have, (unsigned)chunk);
        if (r < 0) return -1;
        if (r == 0) break;
        have += (size_t)r;
    }
    return (long long)have;
}

/* Reports a pending zlib error on g: corrupt gzip data, a read failure, or
 * (only when `final`, i.e. no more data is expected to arrive) a gzip stream
 * that ended early, after `done` decompressed bytes. HS_OK if none. */
static hs_status gz_status(const hs_task *t, gzFile g, const char *path, size_t done, int final)
{
    int errnum = Z_OK;
    const char *msg = gzerror(g, &errnum);
    if (errnum == Z_OK || (errnum == Z_BUF_ERROR && !final)) return HS_OK;
    if (errnum == Z_BUF_ERROR)
        return hs_error_set(HS_ERR_INPUT,
                            "task %s: %s: the gzip stream ends early, after %zu decompressed bytes "
                            "(truncated .gz file): expected a complete gzip stream",
                            t->spec.name, path, done);
    if (errnum == Z_ERRNO)
        return hs_error_set(HS_ERR_INPUT, "task %s: %s: read error: %s", t->spec.name, path, strerror(errno));
    /* zlib prefixes its message with the path */
    const size_t pl = strlen(path);
    if (msg && !strncmp(msg, path, pl) && !strncmp(msg + pl, ": ", 2)) msg += pl + 2;
    return hs_error_set(HS_ERR_INPUT, "task %s: %s: gzip data is corrupt (zlib: %s): expected a valid gzip stream",
                        t->spec.name, path, msg ? msg : "?");
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Replaces *buf (holding `have` bytes) by a zeroed buffer of ncap bytes. */
static hs_status grow(uint8_t **buf, size_t *cap, size_t have, size_t ncap)
{
    uint8_t *nb;
    HS_CHECK(hs_calloc((void **)&nb, ncap, 1, "IDX file"));
    if (have) memcpy(nb, *buf, have);
    hs_free(*buf);
    *buf = nb;
    *cap = ncap;
    return HS_OK;
}

/* Reads the payload of an open file after its hb-byte header: exactly
 * `expected` bytes, nothing after. The buffer grows (from 64 MiB, doubling)
 * as data arrives, so a header that announces far more than the file holds
 * fails as truncated, not as an allocation of the announced size. */
static hs_status read_payload(const hs_task *t, gzFile g, idx_file *f, int hb, size_t expected,
                              const char *what)
{
    const char *path = f->path;
    const size_t first = (size_t)64 << 20;
    size_t cap = 0, have = 0;
    uint8_t *buf = NULL;
    hs_status s = HS_OK;
    while (have < expected) {
        if (have == cap) {
            size_t want = cap ? 2 * cap : first;
            s = grow(&buf, &cap, have, want < expected ? want : expected);
            if (s != HS_OK) break;
        }
        long long r = gz_read_full(g, buf + have, cap - have);
        if (r < 0) break; /* gz_status below names the error */
        have += (size_t)r;
        if (have < cap) break; /* end of data */
    }
    if (s == HS_OK) s = gz_status(t, g, path, (size_t)hb + have, have < expected);
    if (s == HS_OK && have < expected) {
        if (f->rows > 0)
            s = hs_error_set(HS_ERR_INPUT,
                             "task %s: %s ends early: the header announces %ld %s of %dx%d (%zu bytes after "
                             "the %d-byte header) but the data stops at byte %zu, inside record %zu",
                             t->spec.name, path, f->n, what, f->rows, f->cols, expected, hb,
                             (size_t)hb + have, have / ((size_t)f->rows * (size_t)f->cols));
        else
            s = hs_error_set(HS_ERR_INPUT,
                             "task %s: %s ends early: the header announces %ld %s but the data stops at "
                             "byte %zu, inside record %zu",
                             t->spec.name, path, f->n, what, (size_t)hb + have, have);
    }
    if (s == HS_OK) {
        uint8_t extra;
        long long r = gz_read_full(g, &extra, 1);
        s = gz_status(t, g, path, (size_t)hb + have, 1);
        if (s == HS_OK && r < 0) s = hs_error_set(HS_ERR_INPUT, "task %s: %s: read failed", t->spec.name, path);
        if (s == HS_OK && r > 0)
            s = hs_error_set(HS_ERR_INPUT,
                             "task %s: %s: data continues after the %ld %s the header announces (byte %zu): "
                             "expected exactly %zu bytes",
                             t->spec.name, path, f->n, what, (size_t)hb + expected, (size_t)hb + expected);
    }
    if (s != HS_OK) {
        hs_free(buf);
        return s;
    }
    f->data = buf;
    return HS_OK;
}

/* Reads one IDX file (images if `images`, else labels) into f; f->path is set. */
static hs_status read_idx(const hs_task *t, idx_file *f, int images)
{
    const char *path = f->path;
    const uint32_t magic = images ? MAGIC_IMAGES : MAGIC_LABELS;
    const char *what = images ? "images" : "labels";
    const int hb = images ? 16 : 8;
    errno = 0;
    gzFile g = gzopen(path, "rb");
    if (!g)
        return hs_error_set(HS_ERR_INPUT, "task %s: cannot open %s: %s", t->spec.name, path,
                            errno ? strerror(errno) : "out of memory");
    gzbuffer(g, 1u << 17);
    uint8_t hdr[16];
    hs_status s = HS_OK;
    long long got = gz_read_full(g, hdr, (size_t)hb);
    s = gz_status(t, g, path, got > 0 ? (size_t)got : 0, got < hb);
    if (s == HS_OK && got < 0) s = hs_error_set(HS_ERR_INPUT, "task %s: %s: read failed", t->spec.name, path);
    if (s == HS_OK && got == 0)
        s = hs_error_set(HS_ERR_INPUT, "task %s: %s is empty: expected an IDX %s file (magic 0x%08x)",
                         t->spec.name, path, what, magic);
    if (s == HS_OK && got < 4)
        s = hs_error_set(HS_ERR_INPUT,
                         "task %s: %s ends at byte %lld inside the magic number: expected 4 bytes 0x%08x",
                         t->spec.name, path, got, magic);
    if (s == HS_OK && be32(hdr) != magic) {
        const uint32_t m = be32(hdr);
        const char *hint = m == MAGIC_LABELS ? " (this is a labels file)"
                           : m == MAGIC_IMAGES ? " (this is an images file)"
                           : (m >> 8) == 0x08 ? " (an IDX file of another type or rank)"
                                              : "";
        s = hs_error_set(HS_ERR_INPUT,
                         "task %s: %s: magic 0x%08x at offset 0%s: expected 0x%08x (IDX uint8 %s)",
                         t->spec.name, path, m, hint, magic, images ? "images [n][rows][cols]" : "labels [n]");
    }
    if (s == HS_OK && got < hb)
        s = hs_error_set(HS_ERR_INPUT,
                         "task %s: %s ends at byte %lld inside the header: expected %d header bytes "
                         "(magic, count%s)",
                         t->spec.name, path, got, hb, images ? ", rows, cols" : "");
    if (s == HS_OK) {
        const uint32_t n = be32(hdr + 4);
        const uint32_t rows = images ? be32(hdr + 8) : 1, cols = images ? be32(hdr + 12) : 1;
        if (n == 0)
            s = hs_error_set(HS_ERR_INPUT, "task %s: %s: the header announces 0 %s: expected at least one",
                             t->spec.name, path, what);
        else if (rows < 1 || cols < 1 || rows > MAX_SIDE || cols > MAX_SIDE)
            s = hs_error_set(HS_ERR_INPUT, "task %s: %s: image size %ux%u at offset 8: expected 1..%d each",
                             t->spec.name, path, rows, cols, MAX_SIDE);
        else {
            f->n = (long)n;
            f->rows = images ? (int)rows : 0;
            f->cols = images ? (int)cols : 0;
            s = read_payload(t, g, f, hb, (size_t)n * rows * cols, what);
            if (!images) f->rows = f->cols = 1;
        }
    }
    int rc = gzclose(g);
    if (s == HS_OK && rc != Z_OK && rc != Z_BUF_ERROR)
        s = hs_error_set(HS_ERR_INPUT, "task %s: %s: closing failed (zlib error %d)", t->spec.name, path, rc);
    if (s != HS_OK) {
        hs_free(f->data);
        f->data = NULL;
    }
    return s;
}

static int gcd(int a, int b) { return b ? gcd(b, a % b) : a; }

/* Checks that the files fit together and with the spec; sets *n_out. */
static hs_status check_files(const hs_task *t, const idx_file *f, int *n_out)
{
    const char *nm = t->spec.name;
    for (int k = 0; k < NUM_FILES; k += 2)
        if (f[k].n != f[k + 1].n)
            return hs_error_set(HS_ERR_INPUT,
                                "task %s: %s holds %ld images but %s holds %ld labels: expected one label per image",
                                nm, f[k].path, f[k].n, f[k + 1].path, f[k + 1].n);
    const idx_file *tr = &f[F_TRAIN_IMAGES], *te = &f[F_TEST_IMAGES];
    if (tr->rows != te->rows || tr->cols != te->cols)
        return hs_error_set(HS_ERR_INPUT,
                            "task %s: %s holds %dx%d images but %s holds %dx%d: expected the same size in both",
                            nm, te->path, te->rows, te->cols, tr->path, tr->rows, tr->cols);
    const int p = t->spec.patch;
    if (tr->rows % p || tr->cols % p)
        return hs_error_set(HS_ERR_INPUT,
                            "task %s: patch %d does not divide the %dx%d images of %s: expected a divisor of %d",
                            nm, p, tr->rows, tr->cols, tr->path, gcd(tr->rows, tr->cols));
    const long T = 1 + (long)(tr->rows / p) * (tr->cols / p);
    if (T > 1 << 16)
        return hs_error_set(HS_ERR_INPUT,
                            "task %s: patch %d cuts the %dx%d images of %s into %ld positions: expected at most "
                            "%d (a larger patch)",
                            nm, p, tr->rows, tr->cols, tr->path, T, 1 << 16);
    if (tr->n < 2)
        return hs_error_set(HS_ERR_INPUT,
                            "task %s: %s holds %ld image: expected at least 2 (a training and a prune split)",
                            nm, tr->path, tr->n);
    int max = 0;
    const uint8_t *lab = f[F_TRAIN_LABELS].data;
    for (long i = 0; i < f[F_TRAIN_LABELS].n; i++)
        if (lab[i] > max) max = lab[i];
    if (max == 0)
        return hs_error_set(HS_ERR_INPUT, "task %s: every label in %s is 0: expected at least two classes", nm,
                            f[F_TRAIN_LABELS].path);
    lab = f[F_TEST_LABELS].data;
    for (long i = 0; i < f[F_TEST_LABELS].n; i++)
        if (lab[i] > max)
            return hs_error_set(HS_ERR_INPUT,
                                "task %s: label %d at record %ld (byte %ld) of %s: expected 0..%d "
                                "(the classes of the training labels)",
                                nm, lab[i], i, 8 + i, f[F_TEST_LABELS].path, max);
    *n_out = max + 1;
    return HS_OK;
}

/* Marks a seeded hold-out of k of the n training records (held[i] = 1). */
static hs_status hold_out(const hs_task *t, long n, long k, uint8_t *held)
{
    long *idx;
    HS_CHECK(hs_calloc((void **)&idx, (size_t)n, sizeof(long), "prune hold-out"));
    for (long i = 0; i < n; i++) idx[i] = i;
    hs_rng r;
    hs_rng_seed(&r, hs_key_str(hs_key_str(t->spec.seed, t->spec.name), "prune-split"));
    for (long i = 0; i < k; i++) { /* partial Fisher–Yates: idx[0..k) is a uniform k-subset */
        long j = i + (long)hs_rng_below(&r, (uint32_t)(n - i));
        long tmp = idx[i];
        idx[i] = idx[j];
        idx[j] = tmp;
        held[idx[i]] = 1;
    }
    hs_free(idx);
    return HS_OK;
}

/* Writes image `img` ([rows][cols] pixels) as T×P patch rows into out
 * (position 0 left as is: zero). */
static void patchify(const uint8_t *img, int rows, int cols, int p, const float *lut, float *out)
{
    const int gw = cols / p, gh = rows / p, P = p * p;
    for (int gy = 0; gy < gh; gy++)
        for (int gx = 0; gx < gw; gx++) {
            float *dst = out + (size_t)(1 + gy * gw + gx) * P;
            for (int py = 0; py < p; py++)
                for (int px = 0; px < p; px++)
                    dst[py * p + px] = lut[img[(size_t)(gy * p + py) * cols + gx * p + px]];
        }
}

/* Fills split s with the records `which` (n of them) of an image/label pair. */
static hs_status fill_split(hs_task *t, hs_split_data *s, const idx_file *im, const idx_file *lab,
                            const long *which, long n, const float *lut)
{
    HS_CHECK(hs_split_alloc(s, t, n));
    const size_t T = (size_t)t->shape.seq_len, P = (size_t)t->shape.patch_dim;
    const size_t rec = (size_t)im->rows * (size_t)im->cols;
    for (long e = 0; e < n; e++) {
        const long i = which[e];
        patchify(im->data + (size_t)i * rec, im->rows, im->cols, t->spec.patch, lut, s->patches + (size_t)e * T * P);
        s->lengths[e] = (int)T;
        s->targets[e] = lab->data[i];
    }
    return HS_OK;
}

/* Builds the three splits from the loaded files (see the file comment). */
static hs_status build_splits(hs_task *t, const idx_file *f)
{
    const hs_task_spec *sp = &t->spec;
    const idx_file *tr = &f[F_TRAIN_IMAGES];
    const long n = tr->n;
    long n_prune = (long)llround(sp->prune_fraction * (double)n);
    if (n_prune < 1) n_prune = 1;
    if (n_prune > n - 1) n_prune = n - 1;
    const long n_rest = n - n_prune;
    const long n_tr = sp->n_train > 0 && sp->n_train < n_rest ? sp->n_train : n_rest;

    uint8_t *held = NULL;
    long *order = NULL; /* [0, n_rest): training records; [n_rest, n): prune records; file order */
    hs_status s = hs_calloc((void **)&held, (size_t)n, 1, "prune hold-out");
    if (s == HS_OK) s = hs_calloc((void **)&order, (size_t)n, sizeof(long), "split order");
    if (s == HS_OK) s = hold_out(t, n, n_prune, held);
    if (s == HS_OK) {
        long a = 0, b = n_rest;
        for (long i = 0; i < n; i++) order[held[i] ? b++ : a++] = i;
        /* statistics of the training portion (before the n_train cap), exact via a histogram */
        uint64_t hist[256] = {0};
        const size_t rec = (size_t)tr->rows * (size_t)tr->cols;
        for (long e = 0; e < n_rest; e++) {
            const uint8_t *img = tr->data + (size_t)order[e] * rec;
            for (size_t j = 0; j < rec; j++) hist[img[j]]++;
        }
        const double count = (double)n_rest * (double)rec;
        double mean = 0, var = 0;
        for (int v = 0; v < 256; v++) mean += (double)hist[v] * (v / 255.0);
        mean /= count;
        for (int v = 0; v < 256; v++) var += (double)hist[v] * (v / 255.0 - mean) * (v / 255.0 - mean);
        double sd = sqrt(var / count);
        if (!(sd > 1e-12)) sd = 1; /* constant images: only centre them */
        float lut[256];
        for (int v = 0; v < 256; v++) lut[v] = (float)((v / 255.0 - mean) / sd);
        const int T = t->shape.seq_len;
        snprintf(t->description, sizeof t->description,
                 "images: %dx%d pixels as %d patches of %dx%d + CLS (T %d, P %d), %d classes; "
                 "pixels/255 normalised by train mean %.4f std %.4f",
                 tr->rows, tr->cols, T - 1, sp->patch, sp->patch, T, t->shape.patch_dim, t->shape.n_out,
                 mean, sd);
        s = fill_split(t, &t->split[HS_SPLIT_TRAIN], tr, &f[F_TRAIN_LABELS], order, n_tr, lut);
        if (s == HS_OK)
            s = fill_split(t, &t->split[HS_SPLIT_PRUNE], tr, &f[F_TRAIN_LABELS], order + n_rest, n_prune, lut);
        if (s == HS_OK) {
            /* test: every record, in file order */
            const long nt = f[F_TEST_IMAGES].n;
            long *all = NULL;
            s = hs_calloc((void **)&all, (size_t)nt, sizeof(long), "split order");
            for (long i = 0; s == HS_OK && i < nt; i++) all[i] = i;
            if (s == HS_OK)
                s = fill_split(t, &t->split[HS_SPLIT_TEST], &f[F_TEST_IMAGES], &f[F_TEST_LABELS], all, nt, lut);
            hs_free(all);
        }
    }
    hs_free(held);
    hs_free(order);
    return s;
}

/* Kind "images" (task.h): reads the four IDX files of folder spec.path,
 * fills t->shape (vocab 0, patch_dim p·p, seq_len T, n_out), the metric and
 * the three splits as described at the top of this file. Every problem with
 * the spec or the files is HS_ERR_INPUT naming the setting or the file. */
hs_status hs_task_open_images(hs_task *t)
{
    hs_task_spec *sp = &t->spec;
    if (!sp->path || !*sp->path)
        return hs_error_set(HS_ERR_INPUT,
                            "task %s: path is missing: expected a folder with the IDX files "
                            "train-images-idx3-ubyte(.gz) and the others (--path)",
                            sp->name);
    struct stat st;
    if (stat(sp->path, &st) != 0)
        return hs_error_set(HS_ERR_INPUT, "task %s: cannot open the folder %s: %s (expected a folder of IDX files)",
                            sp->name, sp->path, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return hs_error_set(HS_ERR_INPUT, "task %s: %s is not a folder: expected a folder of IDX files", sp->name,
                            sp->path);
    if (!sp->patch) sp->patch = DEFAULT_PATCH;
    if (sp->patch < 1 || sp->patch > 256)
        return hs_error_set(HS_ERR_INPUT, "task %s: patch %d: expected 1..256 pixels", sp->name, sp->patch);
    if (sp->prune_fraction == 0) sp->prune_fraction = 1.0 / 12;
    if (!(sp->prune_fraction > 0 && sp->prune_fraction < 1))
        return hs_error_set(HS_ERR_INPUT, "task %s: prune_fraction %g: expected a share between 0 and 1",
                            sp->name, sp->prune_fraction);
    if (sp->n_train < 0)
        return hs_error_set(HS_ERR_INPUT, "task %s: n_train %ld: expected 0 (all) or more", sp->name, sp->n_train);

    idx_file f[NUM_FILES];
    memset(f, 0, sizeof f);
    hs_status s = HS_OK;
    for (int k = 0; k < NUM_FILES && s == HS_OK; k++) {
        s = locate(t, file_names[k], f[k].path, sizeof f[k].path);
        if (s == HS_OK) s = read_idx(t, &f[k], k == F_TRAIN_IMAGES || k == F_TEST_IMAGES);
    }
    int n_out = 0;
    if (s == HS_OK) s = check_files(t, f, &n_out);
    if (s == HS_OK) {
        const int p = sp->patch;
        t->shape.vocab = 0;
        t->shape.patch_dim = p * p;
        t->shape.seq_len = 1 + (f[F_TRAIN_IMAGES].rows / p) * (f[F_TRAIN_IMAGES].cols / p);
        t->shape.n_out = n_out;
        t->shape.lm = t->shape.causal = 0;
        t->metric = HS_METRIC_ACCURACY;
        s = build_splits(t, f);
    }
    for (int k = 0; k < NUM_FILES; k++) hs_free(f[k].data);
    return s;
}
