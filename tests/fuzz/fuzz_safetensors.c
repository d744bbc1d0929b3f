/* fuzz_safetensors.c — the safetensors reader (src/pretrained/safetensors.c)
 * through hs_st_open on the input as a file. A file it accepts must describe
 * tensors that lie within the data, and every float tensor is converted in
 * full (rows × cols through hs_st_read_block, an integer one refused with a
 * message), so a bounds check that let something through shows up as an
 * ASan report. The header goes through the JSON reader (json.c). */
#include <stdint.h>
#include <stdlib.h>

#include "../../src/core/alloc.h"
#include "../../src/pretrained/safetensors.h"
#include "fuzz_util.h"

static char path[4200];

static void cleanup(void) { unlink(path); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0]) {
        snprintf(path, sizeof path, "%s/hs-fuzz-st-%ld.safetensors", fz_tmpdir(), (long)getpid());
        atexit(cleanup);
    }
    fz_expect_clean();
    fz_write_file(path, data, size);
    hs_safetensors *f = NULL;
    hs_status s = hs_st_open(&f, path);
    fz_check_status(s, "hs_st_open");
    if (s != HS_OK) return 0;
    for (size_t i = 0; i < f->n; i++) {
        const hs_st_tensor *t = &f->t[i];
        if (t->end > f->data_len || t->begin > t->end || t->end - t->begin != t->count * t->elem_size) abort();
        if (hs_st_find(f, t->name) != t) abort(); /* names are unique */
        size_t rows = hs_st_rows(t), cols = hs_st_cols(t);
        if (rows * cols != t->count && cols) abort();
        if (!t->count || t->count > (1u << 22)) continue;
        hs_real *buf = NULL;
        if (hs_calloc((void **)&buf, t->count, sizeof *buf, "fuzz tensor") != HS_OK) {
            hs_error_clear();
            continue;
        }
        s = hs_st_read_block(f, t, 0, rows, 0, cols, buf, cols, 0);
        if ((s == HS_OK) != (t->dtype != HS_ST_OTHER)) abort();
        fz_check_status(s, "hs_st_read_block");
        if (s == HS_OK && rows && cols) /* a transposed copy too */
            fz_check_status(hs_st_read_block(f, t, 0, rows, 0, cols, buf, rows, 1), "hs_st_read_block");
        hs_free(buf);
    }
    hs_st_close(&f);
    return 0;
}
