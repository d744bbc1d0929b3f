/* fuzz_sweep.c — the sweep file: hs_sweep_load (read, libconfig parse,
 * validation of every setting, grid, fingerprint), then what `run` and
 * `check` do with a valid sweep that needs no task data: the canonical
 * text, the diff against itself (must be empty) and a reload from the
 * stored text (must give the same fingerprint, as a resumed run expects). */
#include <stdint.h>
#include <stdlib.h>

#include "../../src/core/alloc.h"
#include "../../src/sweep/config.h"
#include "fuzz_util.h"

static char path[4096];

static void cleanup(void) { unlink(path); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0]) {
        snprintf(path, sizeof path, "%s/hs-fuzz-sweep-XXXXXX", fz_tmpdir());
        int fd = mkstemp(path);
        if (fd < 0) abort();
        close(fd);
        atexit(cleanup);
    }
    fz_expect_clean();
    fz_write_file(path, data, size);
    hs_sweep sw;
    hs_status s = hs_sweep_load(path, &sw);
    fz_check_status(s, "hs_sweep_load");
    if (s == HS_OK) {
        char *canon = NULL;
        s = hs_sweep_canonical(&sw, &canon);
        fz_check_status(s, "hs_sweep_canonical");
        if (s == HS_OK && hs_sweep_fingerprint_text(canon) != sw.fingerprint) abort();
        char diff[512];
        if (hs_sweep_diff(&sw, &sw, diff, sizeof diff) > 0) abort(); /* a sweep equals itself */
        hs_sweep again;
        s = hs_sweep_load_text(sw.text, sw.file, &again);
        fz_check_status(s, "hs_sweep_load_text");
        if (s == HS_OK && again.fingerprint != sw.fingerprint) abort();
        if (s == HS_OK && canon) {
            char *canon2 = NULL;
            if (hs_sweep_canonical(&again, &canon2) == HS_OK && hs_sweep_diff_text(canon, canon2, diff, sizeof diff) > 0)
                abort();
            hs_error_clear();
            hs_free(canon2);
        }
        hs_sweep_free(&again);
        hs_free(canon);
        /* the per-point helpers the runner calls for every point */
        for (long i = 0; i < sw.n_points && i < 64; i++) {
            const hs_sweep_point *p = &sw.points[i];
            if (hs_sweep_point_id(&sw, p->task, p->method, p->ratio, p->seed) != p->id) abort();
            if (hs_sweep_point_key(&sw, p->task, p->method, p->ratio, p->seed) != p->key) abort();
        }
        for (int i = 0; i < sw.n_tasks; i++) (void)hs_sweep_point_opts(&sw, i);
    }
    hs_sweep_free(&sw);
    hs_error_clear();
    return 0;
}
