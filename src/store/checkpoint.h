/* checkpoint.h — a model as an HDF5 group (layout: docs/results-format.md).
 *
 * One float32 dataset per parameter tensor, named and shaped as in the
 * model's table (tok_emb [V][d] … gates [L][H]), and scalar attributes for
 * the shape (vocab, seq_len, d_model, heads, layers, d_ff, n_out, lm, causal,
 * patch_dim — optional on read, 0 = token input; tensors with no elements in
 * this model, e.g. tok_emb of an image model, are not stored)
 * plus format = "headsweep-checkpoint", format_version = 1 and the settings
 * of the pretrained families (model.h): layer_norm_eps (1e-5 for ours),
 * activation ("gelu_tanh", "gelu" = erf form, "relu"), pooler ("none",
 * "tanh", "relu"), post_ln, type_vocab, pos_offset, cls_last — each optional
 * on read (absent = headsweep's own model) and checked when present. */
#ifndef HS_STORE_CHECKPOINT_H
#define HS_STORE_CHECKPOINT_H

#include <hdf5.h>

#include "../core/model.h"

#define HS_CHECKPOINT_FORMAT "headsweep-checkpoint"
#define HS_CHECKPOINT_VERSION 1

/* An extra attribute to store with the checkpoint (training settings). */
typedef struct {
    const char *name;
    enum { HS_ATTR_LONG, HS_ATTR_DOUBLE, HS_ATTR_STR } type;
    long l;
    double d;
    const char *s;
} hs_attr;

/* Two phases, for files where every object must exist before writing starts
 * (SWMR): the group with its attributes and empty datasets for shape cfg,
 * then the parameters of a model of that shape. */
hs_status hs_checkpoint_create_layout(hid_t loc, const char *group, const hs_config *cfg,
                                      const hs_attr *extra, int n_extra, const char *where);
hs_status hs_checkpoint_write_params(hid_t loc, const char *group, const hs_model *m, const char *where);

/* Writes m as group `group` (created with its parents; must not exist) under loc. */
hs_status hs_checkpoint_write(hid_t loc, const char *group, const hs_model *m, const hs_attr *extra,
                              int n_extra, const char *where);

/* Reads the checkpoint group `group` under loc into a new model (*out, owned
 * by the caller). `where` names the file in messages. Every dataset's
 * presence, class and shape is checked against the attributes: a mismatch is
 * HS_ERR_INPUT naming the dataset, its shape and the expected one. */
hs_status hs_checkpoint_read(hid_t loc, const char *group, const char *where, hs_model **out);

/* Writes a new file holding only the checkpoint. The file is written beside
 * path and renamed over it at the end, so a failure never leaves a partial
 * file nor damages an existing one. */
hs_status hs_checkpoint_save_file(const char *path, const char *group, const hs_model *m,
                                  const hs_attr *extra, int n_extra);

/* The same for a pruned model, its pruned heads physically left out:
 * head_mask [L][H] (1 kept, 0 removed) is stored as dataset head_mask
 * (uint8) and the head tensors hold only the K kept heads, layer by layer,
 * heads in order: wq, wk, wv 1-D [d·K·dh] (each layer's d rows of its k·dh
 * columns, as src/prune/shrink.c lays them out), bq, bk, bv [K·dh], wo
 * [K·dh][d], gates [K]; bo stays [L][d]. hs_checkpoint_read puts removed
 * heads back as zero weights with gate 0 (the outputs are the masked
 * model's). head_mask NULL: hs_checkpoint_save_file. */
hs_status hs_checkpoint_save_file_pruned(const char *path, const char *group, const hs_model *m,
                                         const unsigned char *head_mask, const hs_attr *extra, int n_extra);

/* Opens path read-only and reads its checkpoint group. */
hs_status hs_checkpoint_load_file(const char *path, const char *group, hs_model **out);

#endif
