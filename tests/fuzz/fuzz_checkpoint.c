/* fuzz_checkpoint.c — the checkpoint reader (src/store/checkpoint.c,
 * hs_checkpoint_load_file of group /model, as `infer` and `prune` call it)
 * on an HDF5 file image, or a base file edited by a program
 * (fuzz_h5edit.h); the mode byte picks the base file. A model that loads must match its own attributes. */
#include <stdint.h>
#include <stdlib.h>

#include "../../src/core/model.h"
#include "../../src/store/checkpoint.h"
#include "fuzz_h5edit.h"
#include "fuzz_util.h"

static const char *const objects[] = {
    "model", "model/tok_emb", "model/pos_emb", "model/patch_w", "model/patch_b", "model/cls_emb", "model/ln1_g",
    "model/ln1_b", "model/wq", "model/bq", "model/wk", "model/bk", "model/wv", "model/bv", "model/wo", "model/bo",
    "model/ln2_g", "model/ln2_b", "model/w1", "model/b1", "model/w2", "model/b2", "model/lnf_g", "model/lnf_b",
    "model/out_w", "model/out_b", "model/gates", "model/head_mask", "model/sub", "/"};
static const char *const attrs[] = {"format", "format_version", "vocab", "seq_len", "d_model", "heads",
                                    "layers", "d_ff", "n_out", "lm", "causal", "patch_dim",
                                    "layer_norm_eps", "activation", "steps", "lr"};
static const char *const strings[] = {"headsweep-checkpoint", "gelu_tanh", "headsweep-results", "", "relu",
                                      "headsweep-checkpoint\xff", "gelu_tanh "};

static char path[4096];

static void cleanup(void) { unlink(path); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0]) {
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* HDF5 would print a stack per failed call */
        snprintf(path, sizeof path, "%s/hs-fuzz-ckpt-XXXXXX", fz_tmpdir());
        int fd = mkstemp(path);
        if (fd < 0) abort();
        close(fd);
        atexit(cleanup);
        fz_load_bases(HS_FUZZ_H5BASE "/checkpoint");
    }
    fz_expect_clean();
    const fz_names nm = {objects, sizeof objects / sizeof *objects, attrs, sizeof attrs / sizeof *attrs, strings,
                         sizeof strings / sizeof *strings};
    uint8_t mode;
    if (!fz_h5_prepare(path, data, size, &nm, &mode)) return 0;
    hs_model *m = NULL;
    hs_status s = hs_checkpoint_load_file(path, "/model", &m);
    fz_check_status(s, "hs_checkpoint_load_file");
    if (s == HS_OK) {
        if (!m || hs_config_validate(&m->cfg) != HS_OK) abort();
        for (size_t i = 0; i < m->info[HS_P_GATES].count; i++)
            (void)m->p.gates[i]; /* the whole table is addressable */
    } else if (m) {
        abort();
    }
    hs_model_destroy(&m);
    hs_error_clear();
    return 0;
}
