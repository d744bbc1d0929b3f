/* test_reference.c — the float32 core against an independent PyTorch
 * implementation (tests/fixtures/gen_reference.py, float64 autograd).
 *
 * Each fixture (classifier, causal LM, image model with patch embedding)
 * holds a checkpoint (/model, read with the real loader), a batch with padding, and the expected logits, loss and every gradient
 * including ∂L/∂gates. Tolerance: max-abs difference ≤ 1e-4 per tensor
 * (docs/design.md, "Code conventions"). Justification: the C model is float32 (unit roundoff 6e-8);
 * with values O(1) and reductions over ≤ 24 terms through ~10 dependent ops
 * the expected error is ~1e-6, and real mistakes are O(gradient) ≥ 1e-2. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/model.h"
#include "../src/store/checkpoint.h"
#include "../src/store/h5util.h"
#include "tap.h"

#define TOL 1e-4

static int read_ds(hid_t f, const char *name, hid_t memtype, void *buf, size_t n)
{
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
    if (ds < 0) return -1;
    hid_t sp = H5Dget_space(ds);
    hssize_t np = H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp);
    int rc = (np == (hssize_t)n && H5Dread(ds, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0) ? 0 : -1;
    H5Dclose(ds);
    return rc;
}

static double max_abs_diff(const float *c, const double *ref, size_t n)
{
    double e = 0;
    for (size_t i = 0; i < n; i++) e = fmax(e, fabs((double)c[i] - ref[i]));
    return e;
}

static void check_fixture(const char *dir, const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    hid_t f;
    if (!tap_ok(hs_h5_open_read(path, &f) == HS_OK, "%s: opens", file)) {
        tap_diag("%s", hs_error_message());
        return;
    }
    hs_model *m = NULL;
    if (!tap_ok(hs_checkpoint_read(f, "/model", path, &m) == HS_OK, "%s: checkpoint loads", file)) {
        tap_diag("%s", hs_error_message());
        H5Fclose(f);
        return;
    }
    const int image = m->cfg.patch_dim > 0;
    hid_t ds = H5Dopen2(f, image ? "/batch/patches" : "/batch/tokens", H5P_DEFAULT), sp = H5Dget_space(ds);
    hsize_t dims[3];
    H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp);
    H5Dclose(ds);
    const int B = (int)dims[0], T = (int)dims[1], R = m->cfg.lm ? B * T : B, C = m->cfg.n_out;
    int *tok = calloc((size_t)B * T, sizeof(int)), *len = calloc((size_t)B, sizeof(int)),
        *tgt = calloc((size_t)R, sizeof(int));
    float *patches = image ? calloc((size_t)B * T * m->cfg.patch_dim, sizeof(float)) : NULL;
    double *buf = calloc(m->num_params + (size_t)R * C, sizeof(double)), loss_ref;
    HS_ASSERT(tok && len && tgt && buf);
    if (image)
        HS_ASSERT(read_ds(f, "/batch/patches", H5T_NATIVE_FLOAT, patches,
                          (size_t)B * T * m->cfg.patch_dim) == 0);
    else
        HS_ASSERT(read_ds(f, "/batch/tokens", H5T_NATIVE_INT, tok, (size_t)B * T) == 0);
    HS_ASSERT(read_ds(f, "/batch/lengths", H5T_NATIVE_INT, len, (size_t)B) == 0);
    HS_ASSERT(read_ds(f, "/batch/targets", H5T_NATIVE_INT, tgt, (size_t)R) == 0);
    HS_ASSERT(read_ds(f, "/expected/loss", H5T_NATIVE_DOUBLE, &loss_ref, 1) == 0);

    const hs_batch b = {B, T, image ? NULL : tok, len, tgt, patches, NULL};
    HS_ASSERT(hs_model_setup_batch(m, B, T) == HS_OK);
    hs_model_zero_grad(m);
    tap_ok(hs_model_forward(m, &b) == HS_OK, "%s: forward runs", file);
    hs_model_backward(m, &b);

    HS_ASSERT(read_ds(f, "/expected/logits", H5T_NATIVE_DOUBLE, buf, (size_t)R * C) == 0);
    double e = max_abs_diff(m->a.logits, buf, (size_t)R * C);
    tap_ok(e <= TOL, "%s: logits [%d][%d] max-abs diff %.2e", file, R, C, e);
    tap_ok(fabs(m->loss - loss_ref) <= TOL, "%s: loss %.7f vs %.7f", file, m->loss, loss_ref);

    for (int i = 0; i < HS_NUM_PARAMS; i++) {
        const hs_tensor_info *ti = &m->info[i];
        if (ti->count == 0) continue; /* image-only tensors in a token model */
        char name[128];
        snprintf(name, sizeof name, "/expected/grad/%s", ti->name);
        if (!tap_ok(read_ds(f, name, H5T_NATIVE_DOUBLE, buf, ti->count) == 0, "%s: %s present", file, name))
            continue;
        double gmax = 0;
        for (size_t k = 0; k < ti->count; k++) gmax = fmax(gmax, fabs(buf[k]));
        e = max_abs_diff(m->g.at[i], buf, ti->count);
        tap_ok(e <= TOL, "%s: grad %-7s max-abs diff %.2e (max |g| %.3g)", file, ti->name, e, gmax);
        if (i == HS_P_W1) {
            /* prove the comparison can fail: one element moved by 1e-3 must be caught */
            float keep = m->g.w1[5];
            m->g.w1[5] += 1e-3f;
            double e2 = max_abs_diff(m->g.at[i], buf, ti->count);
            tap_ok(e2 > TOL, "%s: a gradient element moved by 1e-3 is reported (%.2e)", file, e2);
            m->g.w1[5] = keep;
        }
    }
    free(tok);
    free(patches);
    free(len);
    free(tgt);
    free(buf);
    hs_model_destroy(&m);
    H5Fclose(f);
}

int main(void)
{
    hs_h5_init();
    const char *dir = getenv("FIXTURES");
    if (!dir) dir = "tests/fixtures";
    check_fixture(dir, "ref_cls.h5");
    check_fixture(dir, "ref_lm.h5");
    check_fixture(dir, "ref_img.h5");
    return tap_done();
}
