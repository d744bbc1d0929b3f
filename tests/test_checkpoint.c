/* test_checkpoint.c — checkpoint save/load round trip is exact, and every
 * kind of damaged checkpoint gives HS_ERR_INPUT with a message naming the
 * file, the dataset or attribute, and what was expected. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/core/model.h"
#include "../src/store/checkpoint.h"
#include "../src/store/h5util.h"
#include "tap.h"

static char dir[256];

static hs_model *make_model(void)
{
    hs_config cfg = {.vocab = 10, .seq_len = 6, .d_model = 8, .heads = 2, .layers = 2, .d_ff = 16,
                     .n_out = 3, .lm = 0, .causal = 0};
    hs_model *m;
    HS_ASSERT(hs_model_create(&m, &cfg) == HS_OK);
    hs_model_init_weights(m, 42);
    m->p.gates[1] = 0; /* a pruned head survives the round trip */
    return m;
}

/* Saves a fresh checkpoint to name, applies damage (an HDF5 edit on the
 * open group), and expects the load to fail with a message containing want. */
static void damaged(const char *label, void (*damage)(hid_t g), const char *want)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.h5", dir, label);
    hs_model *m = make_model(), *back = NULL;
    HS_ASSERT(hs_checkpoint_save_file(path, "/model", m, NULL, 0) == HS_OK);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t g = H5Gopen2(f, "/model", H5P_DEFAULT);
    damage(g);
    H5Gclose(g);
    H5Fclose(f);
    hs_status s = hs_checkpoint_load_file(path, "/model", &back);
    tap_ok(s == HS_ERR_INPUT && back == NULL && strstr(hs_error_message(), want) &&
               strstr(hs_error_message(), path),
           "%s: %s", label, hs_error_message());
    hs_error_clear();
    hs_model_destroy(&m);
}

static void drop_wq(hid_t g) { H5Ldelete(g, "wq", H5P_DEFAULT); }
static void reshape_w1(hid_t g)
{
    H5Ldelete(g, "w1", H5P_DEFAULT);
    hsize_t dims[3] = {2, 8, 15};
    hid_t sp = H5Screate_simple(3, dims, NULL);
    hid_t ds = H5Dcreate2(g, "w1", H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dclose(ds);
    H5Sclose(sp);
}
static void int_gates(hid_t g)
{
    H5Ldelete(g, "gates", H5P_DEFAULT);
    hsize_t dims[2] = {2, 2};
    hid_t sp = H5Screate_simple(2, dims, NULL);
    hid_t ds = H5Dcreate2(g, "gates", H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dclose(ds);
    H5Sclose(sp);
}
static void foreign_format(hid_t g) { hs_h5_attr_write_str(g, "format", "something-else"); }
static void future_version(hid_t g) { hs_h5_attr_write_long(g, "format_version", 7); }
static void no_heads(hid_t g) { H5Adelete(g, "heads"); }
static void bad_heads(hid_t g) { hs_h5_attr_write_long(g, "heads", 3); }
static void other_eps(hid_t g) { hs_h5_attr_write_double(g, "layer_norm_eps", 0.5); }
static void other_activation(hid_t g) { hs_h5_attr_write_str(g, "activation", "swish"); }
static void other_pooler(hid_t g) { hs_h5_attr_write_str(g, "pooler", "max"); }
static void bad_post_ln(hid_t g) { hs_h5_attr_write_long(g, "post_ln", 2); }
static void bad_offset(hid_t g) { hs_h5_attr_write_long(g, "pos_offset", -1); }
/* a pooler on the classifier without its tensors: the table asks for pool_w */
static void pooler_without_tensors(hid_t g) { hs_h5_attr_write_str(g, "pooler", "tanh"); }

/* Saves m, loads it back, expects the same settings and parameters. */
static void round_trip(const char *label, hs_model *m)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.h5", dir, label);
    hs_model *back = NULL;
    HS_ASSERT(hs_checkpoint_save_file(path, "/model", m, NULL, 0) == HS_OK);
    hs_status s = hs_checkpoint_load_file(path, "/model", &back);
    tap_ok(s == HS_OK && back && memcmp(&m->cfg, &back->cfg, sizeof m->cfg) == 0 &&
               back->num_params == m->num_params &&
               memcmp(m->params, back->params, sizeof(float) * m->num_params) == 0,
           "%s: settings and every parameter survive the round trip (%s)", label,
           s == HS_OK ? "loaded" : hs_error_message());
    hs_error_clear();
    hs_model_destroy(&back);
}

/* Deletes the attributes checkpoints before the pretrained families lacked. */
static void strip_family_attrs(hid_t g)
{
    const char *names[] = {"post_ln", "type_vocab", "pos_offset", "cls_last", "pooler"};
    for (int i = 0; i < 5; i++) H5Adelete(g, names[i]);
}
/* h5py writes a Python str as a variable-length UTF-8 string: must be accepted */
static void utf8_format(hid_t g)
{
    H5Adelete(g, "format");
    hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t a = H5Acreate2(g, "format", t, sp, H5P_DEFAULT, H5P_DEFAULT);
    const char *v = HS_CHECKPOINT_FORMAT;
    H5Awrite(a, t, &v);
    H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
}

int main(void)
{
    hs_h5_init();
    snprintf(dir, sizeof dir, "/tmp/hs-test-ckpt-XXXXXX");
    HS_ASSERT(mkdtemp(dir));

    char path[512];
    snprintf(path, sizeof path, "%s/ok.h5", dir);
    hs_model *m = make_model(), *back = NULL;
    const hs_attr extra[] = {{"task", HS_ATTR_STR, 0, 0, "majority"}, {"seed", HS_ATTR_LONG, 3, 0, 0}};
    tap_ok(hs_checkpoint_save_file(path, "/model", m, extra, 2) == HS_OK, "save");
    tap_ok(access(path, F_OK) == 0 && access(strcat(strcpy((char[600]){0}, path), ".tmp"), F_OK) != 0,
           "the file is in place and no temporary is left");
    hs_status s = hs_checkpoint_load_file(path, "/model", &back);
    tap_ok(s == HS_OK, "load: %s", hs_error_message());
    if (back) {
        tap_ok(memcmp(&m->cfg, &back->cfg, sizeof m->cfg) == 0, "the shape survives the round trip");
        tap_ok(back->num_params == m->num_params &&
                   memcmp(m->params, back->params, sizeof(float) * m->num_params) == 0,
               "every parameter (gates included) survives bit for bit");
    }
    hs_model_destroy(&back);
    tap_ok(hs_checkpoint_load_file(path, "/nope", &back) == HS_ERR_INPUT &&
               strstr(hs_error_message(), "no checkpoint group /nope"),
           "a missing group: %s", hs_error_message());
    hs_error_clear();
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    tap_ok(hs_checkpoint_write(f, "/model", m, NULL, 0, path) == HS_ERR_INPUT,
           "writing over an existing checkpoint group is refused: %s", hs_error_message());
    hs_error_clear();
    H5Fclose(f);
    hs_model_destroy(&m);

    damaged("missing-dataset", drop_wq, "dataset 'wq' is missing");
    damaged("wrong-shape", reshape_w1, "'w1' has shape [2][8][15], expected [2][8][16]");
    damaged("integer-dataset", int_gates, "'gates' is not floating point");
    damaged("foreign-format", foreign_format, "is not a headsweep checkpoint");
    damaged("future-version", future_version, "format version 7");
    damaged("missing-attribute", no_heads, "attribute 'heads' is missing");
    damaged("inconsistent-attribute", bad_heads, "expected a multiple of heads = 3");
    damaged("other-layer-norm-eps", other_eps, "attribute layer_norm_eps = 0.5: expected a value in (0, 0.1]");
    damaged("other-activation", other_activation,
            "attribute activation = \"swish\": expected one of \"gelu_tanh\", \"gelu\", \"relu\"");
    damaged("other-pooler", other_pooler, "attribute pooler = \"max\": expected one of \"none\", \"tanh\", \"relu\"");
    damaged("bad-post-ln", bad_post_ln, "attribute post_ln = 2: expected 0..1");
    damaged("bad-pos-offset", bad_offset, "attribute pos_offset = -1: expected 0..65536");
    damaged("pooler-without-tensors", pooler_without_tensors, "checkpoint dataset 'pool_w' is missing");

    /* the pretrained families' settings (model.h) and their tensors */
    const hs_config fam[] = {
        {.vocab = 12, .seq_len = 6, .d_model = 8, .heads = 2, .layers = 2, .d_ff = 16, .n_out = 3,
         .post_ln = 1, .act = HS_ACT_GELU_ERF, .ln_eps = 1e-12, .type_vocab = 2, .pooler = HS_POOL_TANH},
        {.vocab = 12, .seq_len = 6, .d_model = 8, .heads = 2, .layers = 1, .d_ff = 16, .n_out = 2,
         .post_ln = 1, .act = HS_ACT_RELU, .ln_eps = 1e-12, .pos_offset = 2, .pooler = HS_POOL_RELU},
        {.vocab = 12, .seq_len = 6, .d_model = 8, .heads = 2, .layers = 2, .d_ff = 16, .n_out = 2,
         .causal = 1, .cls_last = 1},
    };
    const char *fam_names[] = {"bert-like", "distilbert-like", "gpt2-like"};
    for (int i = 0; i < 3; i++) {
        hs_model *fm;
        HS_ASSERT(hs_model_create(&fm, &fam[i]) == HS_OK);
        hs_model_init_weights(fm, 9);
        round_trip(fam_names[i], fm);
        hs_model_destroy(&fm);
    }
    /* a checkpoint written before those settings existed reads as today's model */
    hs_model *old = make_model();
    snprintf(path, sizeof path, "%s/old.h5", dir);
    HS_ASSERT(hs_checkpoint_save_file(path, "/model", old, NULL, 0) == HS_OK);
    f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t og = H5Gopen2(f, "/model", H5P_DEFAULT);
    strip_family_attrs(og);
    H5Gclose(og);
    H5Fclose(f);
    s = hs_checkpoint_load_file(path, "/model", &back);
    tap_ok(s == HS_OK && back && memcmp(&old->cfg, &back->cfg, sizeof old->cfg) == 0,
           "a checkpoint without the family attributes loads as headsweep's own model (%s)",
           s == HS_OK ? "loaded" : hs_error_message());
    hs_error_clear();
    hs_model_destroy(&back);
    hs_model_destroy(&old);

    /* a variable-length UTF-8 format attribute (h5py's default for str) loads */
    hs_model *m2 = make_model();
    snprintf(path, sizeof path, "%s/utf8.h5", dir);
    HS_ASSERT(hs_checkpoint_save_file(path, "/model", m2, NULL, 0) == HS_OK);
    f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t g = H5Gopen2(f, "/model", H5P_DEFAULT);
    utf8_format(g);
    H5Gclose(g);
    H5Fclose(f);
    tap_ok(hs_checkpoint_load_file(path, "/model", &back) == HS_OK, "a UTF-8 variable-length format string loads: %s",
           hs_error_message());
    hs_error_clear();
    hs_model_destroy(&back);
    hs_model_destroy(&m2);

    /* a physically pruned checkpoint: only the kept heads stored, the removed
     * ones back as zero weights with gate 0, the kept ones bit for bit */
    {
        hs_model *pm = make_model(), *pb = NULL;
        const unsigned char hm[4] = {1, 0, 0, 0}; /* layer 0 keeps head 0, layer 1 keeps none */
        const int dh = pm->cfg.d_model / pm->cfg.heads, d = pm->cfg.d_model;
        pm->p.gates[0] = 0.5f; /* a kept head's gate value survives */
        snprintf(path, sizeof path, "%s/pruned.h5", dir);
        tap_ok(hs_checkpoint_save_file_pruned(path, "/model", pm, hm, NULL, 0) == HS_OK, "save a pruned checkpoint: %s",
               hs_error_message());
        f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        hid_t ds = H5Dopen2(f, "/model/wq", H5P_DEFAULT), sp = H5Dget_space(ds);
        hsize_t n = 0;
        H5Sget_simple_extent_dims(sp, &n, NULL);
        tap_ok(H5Sget_simple_extent_ndims(sp) == 1 && n == (hsize_t)d * dh, "wq holds the one kept head: [%d]",
               (int)n);
        H5Sclose(sp);
        H5Dclose(ds);
        H5Fclose(f);
        s = hs_checkpoint_load_file(path, "/model", &pb);
        tap_ok(s == HS_OK, "load it back: %s", hs_error_message());
        if (pb) {
            int same = 1, zero = 1;
            for (int r = 0; r < d; r++)
                for (int c = 0; c < d; c++) {
                    const size_t i0 = (size_t)r * d + c, i1 = (size_t)d * d + i0; /* layers 0 and 1 */
                    /* head 0 owns columns 0..dh-1 of wq/wk/wv and rows 0..dh-1 of wo */
                    if (c < dh) same &= pb->p.wq[i0] == pm->p.wq[i0] && pb->p.wv[i0] == pm->p.wv[i0];
                    else zero &= pb->p.wq[i0] == 0 && pb->p.wk[i0] == 0 && pb->p.wv[i0] == 0;
                    if (r < dh) same &= pb->p.wo[i0] == pm->p.wo[i0];
                    else zero &= pb->p.wo[i0] == 0;
                    zero &= pb->p.wq[i1] == 0 && pb->p.wo[i1] == 0;
                }
            for (int c = 0; c < d; c++) same &= pb->p.bo[c] == pm->p.bo[c] && pb->p.bo[d + c] == pm->p.bo[d + c];
            tap_ok(same && memcmp(pb->p.w1, pm->p.w1, sizeof(float) * pm->info[HS_P_W1].count) == 0,
                   "the kept head's weights, bo and the other tensors come back bit for bit");
            tap_ok(zero, "the removed heads come back as zero weights");
            tap_ok(pb->p.gates[0] == 0.5f && pb->p.gates[1] == 0 && pb->p.gates[2] == 0 && pb->p.gates[3] == 0,
                   "gates: the kept head's value, 0 for the removed ones");
        }
        hs_model_destroy(&pb);
        /* a head_mask value other than 0/1 is refused naming the dataset */
        f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
        ds = H5Dopen2(f, "/model/head_mask", H5P_DEFAULT);
        const unsigned char bad[4] = {1, 7, 0, 0};
        H5Dwrite(ds, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, bad);
        H5Dclose(ds);
        H5Fclose(f);
        tap_ok(hs_checkpoint_load_file(path, "/model", &pb) == HS_ERR_INPUT &&
                   strstr(hs_error_message(), "'head_mask' holds 7 at layer 0 head 1: expected 1 (kept) or 0 (removed)"),
               "a bad head_mask: %s", hs_error_message());
        hs_error_clear();
        hs_model_destroy(&pb);
        hs_model_destroy(&pm);
    }

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) tap_diag("could not remove %s", dir);
    return tap_done();
}
