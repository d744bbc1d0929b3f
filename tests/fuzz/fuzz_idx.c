/* fuzz_idx.c — kind "images" (src/tasks/idx.c) through hs_task_open. Input:
 * one settings byte, then the four IDX files train-images, train-labels,
 * t10k-images, t10k-labels separated by IDX_SEP (a part that is not there
 * is a missing file). Settings byte: bits 0-1 the patch side; bits 2-5, one
 * per file, store it as NAME.gz instead of NAME — gzip-compressed when
 * bit 6 is set, else the raw bytes (which zlib reads through, or reports
 * as corrupt when they start like gzip); bit 7 an n_train cap. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <zlib.h>

#include "../../src/tasks/task.h"
#include "fuzz_util.h"

#define IDX_SEP "\xde\xad\xbe\xef"

static const char *const names[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                                     "t10k-labels-idx1-ubyte"};
static char dir[4096], plain[4][4200], gz[4][4200];

static void cleanup(void)
{
    for (int k = 0; k < 4; k++) {
        unlink(plain[k]);
        unlink(gz[k]);
    }
    rmdir(dir);
}

static void write_gz(const char *path, const uint8_t *data, size_t size)
{
    gzFile g = gzopen(path, "wb1");
    if (!g) abort();
    if (size && gzwrite(g, data, (unsigned)size) != (int)size) abort();
    if (gzclose(g) != Z_OK) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "%s/hs-fuzz-idx-XXXXXX", fz_tmpdir());
        if (!mkdtemp(dir)) abort();
        for (int k = 0; k < 4; k++) {
            snprintf(plain[k], sizeof plain[k], "%s/%s", dir, names[k]);
            snprintf(gz[k], sizeof gz[k], "%s/%s.gz", dir, names[k]);
        }
        atexit(cleanup);
    }
    if (size < 1) return 0;
    fz_expect_clean();
    const uint8_t opt = data[0];
    const uint8_t *part[4];
    size_t len[4];
    const int n = fz_split(data + 1, size - 1, IDX_SEP, sizeof IDX_SEP - 1, part, len, 4);
    for (int k = 0; k < 4; k++) {
        unlink(plain[k]);
        unlink(gz[k]);
        if (k >= n) continue;
        if (!(opt >> (2 + k) & 1)) fz_write_file(plain[k], part[k], len[k]);
        else if (opt & 0x40) write_gz(gz[k], part[k], len[k]);
        else fz_write_file(gz[k], part[k], len[k]);
    }
    static const int patches[4] = {0, 1, 2, 4};
    hs_task_spec spec = {0};
    spec.name = "fuzz";
    spec.kind = "images";
    spec.seed = 1;
    spec.path = dir;
    spec.patch = patches[opt & 3];
    spec.n_train = opt & 0x80 ? 3 : 0;
    hs_task *t = NULL;
    hs_status s = hs_task_open(&t, &spec);
    fz_check_status(s, "hs_task_open(images)");
    if (s == HS_OK) {
        const int T = t->shape.seq_len, P = t->shape.patch_dim;
        if (T < 2 || P < 1 || t->shape.n_out < 2) abort();
        for (int k = 0; k < HS_NUM_SPLITS; k++) {
            const hs_split_data *sp = &t->split[k];
            if (sp->n < 1 || !sp->patches) abort();
            for (long e = 0; e < sp->n; e++) {
                if (sp->lengths[e] != T || sp->targets[e] < 0 || sp->targets[e] >= t->shape.n_out) abort();
                for (int j = 0; j < P; j++) /* position 0 is the CLS slot: zero */
                    if (sp->patches[(size_t)e * T * P + j] != 0) abort();
            }
        }
    } else if (t) {
        abort();
    }
    hs_task_destroy(&t);
    return 0;
}
