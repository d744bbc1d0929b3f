/* checkpoint.c — model ⇄ HDF5 group (see checkpoint.h). Small: one dataset
 * per tensor, written and read whole. */
#include "checkpoint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5util.h"

#ifdef HS_REAL_DOUBLE
#define HS_H5_NATIVE_REAL H5T_NATIVE_DOUBLE
#else
#define HS_H5_NATIVE_REAL H5T_NATIVE_FLOAT
#endif

static const char *const shape_attrs[] = {"vocab", "seq_len", "d_model", "heads", "layers",
                                          "d_ff", "n_out", "lm", "causal"};

static void config_fields(hs_config *c, int *f[9])
{
    int *p[9] = {&c->vocab, &c->seq_len, &c->d_model, &c->heads, &c->layers,
                 &c->d_ff, &c->n_out, &c->lm, &c->causal};
    memcpy(f, p, sizeof p);
}

/* Names of the model settings stored as strings (index = enum value). */
static const char *const act_names[HS_NUM_ACTS] = {"gelu_tanh", "gelu", "relu"};
static const char *const pooler_names[] = {"none", "tanh", "relu"};

/* The pretrained-family settings (model.h), written by every checkpoint;
 * absent on read means 0 (files written before them). */
static const char *const family_attrs[] = {"post_ln", "type_vocab", "pos_offset", "cls_last"};

static void family_fields(hs_config *c, int *f[4])
{
    int *p[4] = {&c->post_ln, &c->type_vocab, &c->pos_offset, &c->cls_last};
    memcpy(f, p, sizeof p);
}

/* Reads the optional string attribute `name` as an index of names[n] (left
 * unchanged when absent). */
static hs_status read_name_attr(hid_t g, const char *name, const char *const *names, int n, int *out,
                                const char *where)
{
    if (H5Aexists(g, name) <= 0) return HS_OK;
    char v[64];
    HS_CHECK(hs_h5_attr_read_str(g, name, v, sizeof v, where));
    for (int i = 0; i < n; i++)
        if (!strcmp(v, names[i])) {
            *out = i;
            return HS_OK;
        }
    char list[256];
    size_t used = 0;
    list[0] = 0;
    for (int i = 0; i < n && used < sizeof list; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s\"%s\"", i ? ", " : "", names[i]);
    return hs_error_set(HS_ERR_INPUT, "%s: attribute %s = \"%s\": expected one of %s", where, name, v, list);
}

static hs_status write_extra(hid_t g, const hs_attr *a)
{
    switch (a->type) {
    case HS_ATTR_LONG: return hs_h5_attr_write_long(g, a->name, a->l);
    case HS_ATTR_DOUBLE: return hs_h5_attr_write_double(g, a->name, a->d);
    case HS_ATTR_STR: return hs_h5_attr_write_str(g, a->name, a->s);
    }
    return HS_OK;
}


/* --- physically pruned checkpoints (head_mask) ------------------------------ */

/* The attention tensors a head_mask shrinks. */
static int is_head_tensor(int id)
{
    return id == HS_P_WQ || id == HS_P_WK || id == HS_P_WV || id == HS_P_BQ || id == HS_P_BK ||
           id == HS_P_BV || id == HS_P_WO || id == HS_P_GATES;
}

/* Tensor id's shape holding only the kept heads (checkpoint.h): K kept heads
 * in all, wq/wk/wv 1-D [d·K·dh], bq/bk/bv [K·dh], wo [K·dh][d], gates [K]. */
static hs_tensor_info compact_info(const hs_config *c, int id, const hs_tensor_info *full, const unsigned char *hm)
{
    const size_t d = (size_t)c->d_model, dh = d / (size_t)c->heads;
    size_t K = 0;
    for (int i = 0; i < c->layers * c->heads; i++) K += hm[i] != 0;
    hs_tensor_info t = *full;
    t.dims[1] = t.dims[2] = 0;
    t.rank = 1;
    if (id == HS_P_WQ || id == HS_P_WK || id == HS_P_WV) t.dims[0] = d * K * dh;
    else if (id == HS_P_GATES) t.dims[0] = K;
    else if (id == HS_P_WO) t.rank = 2, t.dims[0] = K * dh, t.dims[1] = d;
    else t.dims[0] = K * dh;
    t.count = t.dims[0] * (t.rank == 2 ? t.dims[1] : 1);
    return t;
}

/* Copies the kept heads' part of tensor id between its full layout and the
 * compact one: to_compact 1: full -> c, 0: c -> full (other entries untouched).
 * The compact order is layer by layer, kept heads in order; wq/wk/wv: each
 * layer's d rows of its k·dh columns (as src/prune/shrink.c builds them). */
static void pack_heads(const hs_config *cfg, int id, const unsigned char *hm, hs_real *full, hs_real *c,
                       int to_compact)
{
    const int L = cfg->layers, H = cfg->heads;
    const size_t d = (size_t)cfg->d_model, dh = d / (size_t)H, dd = d * d;
    size_t n = 0;
#define HS_MOVE(f, cc, len)                                                                                 \
    memcpy(to_compact ? (void *)(cc) : (void *)(f), to_compact ? (const void *)(f) : (const void *)(cc),    \
           sizeof(hs_real) * (len))
    for (int l = 0; l < L; l++) {
        size_t kl = 0;
        for (int j = 0; j < H; j++) kl += hm[l * H + j] != 0;
        if (id == HS_P_WQ || id == HS_P_WK || id == HS_P_WV) {
            for (size_t r = 0; r < d; r++)
                for (size_t j = 0, k = 0; j < (size_t)H; j++) {
                    if (!hm[l * H + j]) continue;
                    HS_MOVE(full + l * dd + r * d + j * dh, c + n + r * kl * dh + k * dh, dh);
                    k++;
                }
            n += d * kl * dh;
            continue;
        }
        for (int j = 0; j < H; j++) {
            if (!hm[l * H + j]) continue;
            if (id == HS_P_GATES) HS_MOVE(full + l * H + j, c + n, 1), n += 1;
            else if (id == HS_P_WO) HS_MOVE(full + l * dd + j * dh * d, c + n, dh * d), n += dh * d;
            else HS_MOVE(full + l * d + j * dh, c + n, dh), n += dh;
        }
    }
#undef HS_MOVE
}

/* Creates the group's attributes and (empty) datasets for shape cfg; with
 * hm (head_mask [L][H]), the head tensors in their compact shapes. */
static hs_status layout_group(hid_t g, const hs_model *m, const unsigned char *hm, const hs_attr *extra,
                              int n_extra, const char *where)
{
    HS_CHECK(hs_h5_attr_write_str(g, "format", HS_CHECKPOINT_FORMAT));
    HS_CHECK(hs_h5_attr_write_long(g, "format_version", HS_CHECKPOINT_VERSION));
    hs_config c = m->cfg;
    int *f[9];
    config_fields(&c, f);
    for (int i = 0; i < 9; i++) HS_CHECK(hs_h5_attr_write_long(g, shape_attrs[i], *f[i]));
    HS_CHECK(hs_h5_attr_write_long(g, "patch_dim", c.patch_dim));
    HS_CHECK(hs_h5_attr_write_double(g, "layer_norm_eps", c.ln_eps > 0 ? c.ln_eps : 1e-5));
    HS_CHECK(hs_h5_attr_write_str(g, "activation", act_names[c.act]));
    HS_CHECK(hs_h5_attr_write_str(g, "pooler", pooler_names[c.pooler]));
    int *ff[4];
    family_fields(&c, ff);
    for (int i = 0; i < 4; i++) HS_CHECK(hs_h5_attr_write_long(g, family_attrs[i], *ff[i]));
    for (int i = 0; i < n_extra; i++) HS_CHECK(write_extra(g, &extra[i]));
    if (hm) {
        hsize_t hd[2] = {(hsize_t)c.layers, (hsize_t)c.heads};
        hid_t sp = H5Screate_simple(2, hd, NULL);
        hid_t ds = sp < 0 ? -1 : H5Dcreate2(g, "head_mask", H5T_STD_U8LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        herr_t st = ds < 0 ? -1 : H5Dwrite(ds, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, hm);
        if (ds >= 0) H5Dclose(ds);
        if (sp >= 0) H5Sclose(sp);
        if (st < 0)
            return hs_error_set(HS_ERR_IO, "%s: cannot write checkpoint dataset 'head_mask': %s", where,
                                strerror(hs_h5_errno()));
    }
    for (int i = 0; i < HS_NUM_PARAMS; i++) {
        const hs_tensor_info ci = hm && is_head_tensor(i) ? compact_info(&c, i, &m->info[i], hm) : m->info[i];
        const hs_tensor_info *ti = &ci;
        if (m->info[i].count == 0) continue; /* not part of this model (token vs image input) */
        hsize_t dims[3] = {ti->dims[0], ti->dims[1], ti->dims[2]};
        hid_t sp = H5Screate_simple(ti->rank, dims, NULL);
        hid_t ds = sp < 0 ? -1
                          : H5Dcreate2(g, ti->name, H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT,
                                       H5P_DEFAULT);
        if (ds >= 0) H5Dclose(ds);
        if (sp >= 0) H5Sclose(sp);
        if (ds < 0)
            return hs_error_set(HS_ERR_IO, "%s: cannot create checkpoint dataset '%s': %s", where, ti->name,
                                strerror(hs_h5_errno()));
    }
    return HS_OK;
}

/* Writes m's parameters into the datasets of an existing checkpoint group
 * (with hm: the head tensors' kept heads only, as layout_group made them). */
static hs_status write_params(hid_t g, const hs_model *m, const unsigned char *hm, const char *where)
{
    for (int i = 0; i < HS_NUM_PARAMS; i++) {
        const hs_tensor_info *ti = &m->info[i];
        if (ti->count == 0) continue;
        hs_real *buf = NULL;
        if (hm && is_head_tensor(i)) {
            const hs_tensor_info ci = compact_info(&m->cfg, i, ti, hm);
            buf = calloc(ci.count + 1, sizeof *buf);
            if (!buf) return hs_error_set(HS_ERR_NOMEM, "%s: out of memory for checkpoint dataset '%s'", where, ti->name);
            pack_heads(&m->cfg, i, hm, m->p.at[i], buf, 1);
        }
        hid_t ds = H5Dopen2(g, ti->name, H5P_DEFAULT);
        herr_t st = ds < 0 ? -1 : H5Dwrite(ds, HS_H5_NATIVE_REAL, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf ? buf : m->p.at[i]);
        free(buf);
        if (st >= 0) st = H5Dflush(ds);
        if (ds >= 0) H5Dclose(ds);
        if (st < 0)
            return hs_error_set(HS_ERR_IO, "%s: cannot write checkpoint dataset '%s': %s", where, ti->name,
                                strerror(hs_h5_errno()));
    }
    return HS_OK;
}

static hs_status write_group(hid_t g, const hs_model *m, const unsigned char *hm, const hs_attr *extra,
                             int n_extra, const char *where)
{
    HS_CHECK(layout_group(g, m, hm, extra, n_extra, where));
    return write_params(g, m, hm, where);
}

hs_status hs_checkpoint_create_layout(hid_t loc, const char *group, const hs_config *cfg,
                                      const hs_attr *extra, int n_extra, const char *where)
{
    hs_model *m;
    HS_CHECK(hs_model_create(&m, cfg)); /* for its parameter table */
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t g = H5Gcreate2(loc, group, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    H5Pclose(lcpl);
    hs_status s = g < 0 ? hs_error_set(HS_ERR_IO, "%s: cannot create group %s", where, group)
                        : layout_group(g, m, NULL, extra, n_extra, where);
    if (g >= 0) H5Gclose(g);
    hs_model_destroy(&m);
    return s;
}

hs_status hs_checkpoint_write_params(hid_t loc, const char *group, const hs_model *m, const char *where)
{
    hid_t g = H5Gopen2(loc, group, H5P_DEFAULT);
    if (g < 0) return hs_error_set(HS_ERR_INPUT, "%s: no checkpoint group %s", where, group);
    hs_status s = write_params(g, m, NULL, where);
    H5Gclose(g);
    return s;
}

static hs_status checkpoint_write(hid_t loc, const char *group, const hs_model *m, const unsigned char *hm,
                                  const hs_attr *extra, int n_extra, const char *where)
{
    if (hs_h5_exists(loc, group))
        return hs_error_set(HS_ERR_INPUT, "%s: group %s already exists", where, group);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t g = H5Gcreate2(loc, group, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    H5Pclose(lcpl);
    if (g < 0) return hs_error_set(HS_ERR_IO, "%s: cannot create group %s", where, group);
    hs_status s = write_group(g, m, hm, extra, n_extra, where);
    H5Gclose(g);
    return s;
}

hs_status hs_checkpoint_write(hid_t loc, const char *group, const hs_model *m, const hs_attr *extra,
                              int n_extra, const char *where)
{
    return checkpoint_write(loc, group, m, NULL, extra, n_extra, where);
}

static void dims_text(char *buf, size_t n, int rank, const hsize_t *dims)
{
    size_t used = 0;
    buf[0] = 0;
    for (int r = 0; r < rank && used < n; r++)
        used += (size_t)snprintf(buf + used, n - used, "[%llu]", (unsigned long long)dims[r]);
}

/* Checks tensor ti's dataset (presence, shape, floating point); with dst,
 * also reads it there. */
static hs_status read_tensor(hid_t g, const hs_tensor_info *ti, hs_real *dst, const char *where)
{
    if (H5Lexists(g, ti->name, H5P_DEFAULT) <= 0)
        return hs_error_set(HS_ERR_INPUT, "%s: checkpoint dataset '%s' is missing", where, ti->name);
    hid_t ds = H5Dopen2(g, ti->name, H5P_DEFAULT);
    if (ds < 0) return hs_error_set(HS_ERR_INPUT, "%s: '%s' is not a dataset", where, ti->name);
    hid_t sp = H5Dget_space(ds), ty = H5Dget_type(ds);
    int rank = H5Sget_simple_extent_ndims(sp);
    hsize_t dims[8] = {0};
    if (rank > 0 && rank <= 8) H5Sget_simple_extent_dims(sp, dims, NULL);
    H5T_class_t cls = H5Tget_class(ty);
    H5Tclose(ty);
    H5Sclose(sp);
    hsize_t want[3] = {ti->dims[0], ti->dims[1], ti->dims[2]};
    int ok = rank == ti->rank;
    for (int r = 0; ok && r < rank; r++) ok = dims[r] == want[r];
    hs_status s = HS_OK;
    if (!ok) {
        char got[128], exp[128];
        if (rank < 0 || rank > 8) snprintf(got, sizeof got, "(unreadable)");
        else if (rank == 0) snprintf(got, sizeof got, "(scalar)");
        else dims_text(got, sizeof got, rank, dims);
        dims_text(exp, sizeof exp, ti->rank, want);
        s = hs_error_set(HS_ERR_INPUT, "%s: checkpoint dataset '%s' has shape %s, expected %s", where,
                         ti->name, got, exp);
    } else if (cls != H5T_FLOAT) {
        s = hs_error_set(HS_ERR_INPUT, "%s: checkpoint dataset '%s' is not floating point", where,
                         ti->name);
    } else if (dst && H5Dread(ds, HS_H5_NATIVE_REAL, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst) < 0) {
        s = hs_error_set(HS_ERR_INPUT, "%s: cannot read checkpoint dataset '%s' (file damaged?)", where,
                         ti->name);
    }
    H5Dclose(ds);
    return s;
}

/* The head_mask [L][H] of a physically pruned checkpoint: 1 kept, 0 removed. */
static hs_status read_head_mask(hid_t g, const hs_config *c, unsigned char **out, const char *where)
{
    const size_t N = (size_t)c->layers * c->heads;
    hid_t ds = H5Dopen2(g, "head_mask", H5P_DEFAULT);
    if (ds < 0) return hs_error_set(HS_ERR_INPUT, "%s: 'head_mask' is not a dataset", where);
    hid_t sp = H5Dget_space(ds), ty = H5Dget_type(ds);
    hsize_t dims[2] = {0, 0};
    const int rank = H5Sget_simple_extent_ndims(sp);
    if (rank == 2) H5Sget_simple_extent_dims(sp, dims, NULL);
    const int integer = H5Tget_class(ty) == H5T_INTEGER;
    H5Tclose(ty);
    H5Sclose(sp);
    hs_status s = HS_OK;
    unsigned char *hm = NULL;
    if (rank != 2 || dims[0] != (hsize_t)c->layers || dims[1] != (hsize_t)c->heads || !integer)
        s = hs_error_set(HS_ERR_INPUT, "%s: checkpoint dataset 'head_mask': expected integers of shape [%d][%d] "
                         "(layers x heads, 1 = kept, 0 = removed)", where, c->layers, c->heads);
    if (s == HS_OK && !(hm = calloc(N + 1, 1))) s = hs_error_set(HS_ERR_NOMEM, "%s: out of memory", where);
    if (s == HS_OK && H5Dread(ds, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, hm) < 0)
        s = hs_error_set(HS_ERR_INPUT, "%s: cannot read checkpoint dataset 'head_mask' (file damaged?)", where);
    for (size_t i = 0; s == HS_OK && i < N; i++)
        if (hm[i] > 1)
            s = hs_error_set(HS_ERR_INPUT, "%s: checkpoint dataset 'head_mask' holds %d at layer %zu head %zu: "
                             "expected 1 (kept) or 0 (removed)", where, hm[i], i / (size_t)c->heads, i % (size_t)c->heads);
    H5Dclose(ds);
    if (s != HS_OK) free(hm);
    else *out = hm;
    return s;
}

static hs_status read_group(hid_t g, const char *where, hs_model **out)
{
    char fmt[64];
    hs_status s = hs_h5_attr_read_str(g, "format", fmt, sizeof fmt, where);
    if (s != HS_OK || strcmp(fmt, HS_CHECKPOINT_FORMAT)) {
        hs_error_clear();
        return hs_error_set(HS_ERR_INPUT, "%s is not a headsweep checkpoint (attribute format = \"%s\" expected)",
                            where, HS_CHECKPOINT_FORMAT);
    }
    long version;
    HS_CHECK(hs_h5_attr_read_long(g, "format_version", &version, where));
    if (version != HS_CHECKPOINT_VERSION)
        return hs_error_set(HS_ERR_INPUT,
                            "%s: checkpoint format version %ld, this headsweep reads version %d "
                            "(retrain with `headsweep train` to regenerate it)",
                            where, version, HS_CHECKPOINT_VERSION);
    hs_config c = {0};
    /* the family settings are optional (absent = headsweep's own model), but
     * a value outside what the core implements must not load */
    if (H5Aexists(g, "layer_norm_eps") > 0) {
        double eps;
        HS_CHECK(hs_h5_attr_read_double(g, "layer_norm_eps", &eps, where));
        if (!(eps > 0 && eps <= 0.1))
            return hs_error_set(HS_ERR_INPUT, "%s: attribute layer_norm_eps = %g: expected a value in (0, 0.1]",
                                where, eps);
        c.ln_eps = eps == 1e-5 ? 0 : eps; /* 1e-5 is the default (0) */
    }
    HS_CHECK(read_name_attr(g, "activation", act_names, HS_NUM_ACTS, &c.act, where));
    HS_CHECK(read_name_attr(g, "pooler", pooler_names, 3, &c.pooler, where));
    int *ff[4];
    family_fields(&c, ff);
    for (int i = 0; i < 4; i++) {
        if (H5Aexists(g, family_attrs[i]) <= 0) continue;
        long v;
        HS_CHECK(hs_h5_attr_read_long(g, family_attrs[i], &v, where));
        const long hi = i == 0 || i == 3 ? 1 : 65536;
        if (v < 0 || v > hi)
            return hs_error_set(HS_ERR_INPUT, "%s: attribute %s = %ld: expected 0..%ld", where, family_attrs[i],
                                v, hi);
        *ff[i] = (int)v;
    }
    int *f[9];
    config_fields(&c, f);
    if (H5Aexists(g, "patch_dim") > 0) { /* optional: absent means a token model */
        long v;
        HS_CHECK(hs_h5_attr_read_long(g, "patch_dim", &v, where));
        if (v < 0 || v > 65536)
            return hs_error_set(HS_ERR_INPUT, "%s: attribute patch_dim = %ld: expected 0..65536", where, v);
        c.patch_dim = (int)v;
    }
    for (int i = 0; i < 9; i++) {
        long v;
        HS_CHECK(hs_h5_attr_read_long(g, shape_attrs[i], &v, where));
        if (v < -1000000000L || v > 1000000000L)
            return hs_error_set(HS_ERR_INPUT, "%s: attribute %s = %ld: expected -1000000000..1000000000",
                                where, shape_attrs[i], v);
        *f[i] = (int)v;
    }
    if (hs_config_validate(&c) != HS_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", hs_error_message());
        hs_error_clear();
        return hs_error_set(HS_ERR_INPUT, "%s: %s", where, msg);
    }
    /* every tensor's shape before allocating: the attributes alone may
     * claim gigabytes (found by tests/fuzz/fuzz_checkpoint) */
    hs_tensor_info info[HS_NUM_PARAMS];
    size_t n_params;
    hs_model_table(&c, info, &n_params);
    unsigned char *hm = NULL; /* a physically pruned checkpoint: its kept heads */
    if (H5Lexists(g, "head_mask", H5P_DEFAULT) > 0) HS_CHECK(read_head_mask(g, &c, &hm, where));
    for (int i = 0; i < HS_NUM_PARAMS && s == HS_OK; i++) {
        const hs_tensor_info ci = hm && is_head_tensor(i) ? compact_info(&c, i, &info[i], hm) : info[i];
        if (info[i].count) s = read_tensor(g, &ci, NULL, where);
    }
    hs_model *m = NULL;
    if (s == HS_OK) s = hs_model_create(&m, &c);
    for (int i = 0; i < HS_NUM_PARAMS && s == HS_OK; i++) {
        if (m->info[i].count == 0) continue;
        if (!hm || !is_head_tensor(i)) {
            s = read_tensor(g, &m->info[i], m->p.at[i], where);
            continue;
        }
        /* removed heads load as zero weights with gate 0, as pruned_heads of a
         * Hugging Face folder do: the model has H heads per layer again */
        const hs_tensor_info ci = compact_info(&c, i, &m->info[i], hm);
        hs_real *buf = calloc(ci.count + 1, sizeof *buf);
        if (!buf) s = hs_error_set(HS_ERR_NOMEM, "%s: out of memory for checkpoint dataset '%s'", where, ci.name);
        if (s == HS_OK) s = read_tensor(g, &ci, buf, where);
        if (s == HS_OK) {
            memset(m->p.at[i], 0, sizeof(hs_real) * m->info[i].count);
            pack_heads(&c, i, hm, m->p.at[i], buf, 0);
        }
        free(buf);
    }
    free(hm);
    if (s != HS_OK) {
        hs_model_destroy(&m);
        return s;
    }
    *out = m;
    return HS_OK;
}

hs_status hs_checkpoint_read(hid_t loc, const char *group, const char *file, hs_model **out)
{
    *out = NULL;
    char where[1024];
    snprintf(where, sizeof where, "%s:%s", file, group);
    if (!hs_h5_exists(loc, group))
        return hs_error_set(HS_ERR_INPUT, "%s: no checkpoint group %s in the file", where, group);
    hid_t g = H5Gopen2(loc, group, H5P_DEFAULT);
    if (g < 0) return hs_error_set(HS_ERR_INPUT, "%s is not a group", where);
    hs_status s = read_group(g, where, out);
    H5Gclose(g);
    return s;
}

hs_status hs_checkpoint_save_file_pruned(const char *path, const char *group, const hs_model *m,
                                         const unsigned char *head_mask, const hs_attr *extra, int n_extra)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return hs_error_set(HS_ERR_INPUT, "output path too long: %s", path);
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) return hs_error_set(HS_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
    hs_status s = checkpoint_write(f, group, m, head_mask, extra, n_extra, path);
    if (H5Fclose(f) < 0 && s == HS_OK)
        s = hs_error_set(HS_ERR_IO, "cannot finish writing %s (disk full?)", tmp);
    if (s == HS_OK && rename(tmp, path) != 0)
        s = hs_error_set(HS_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    if (s != HS_OK) remove(tmp);
    return s;
}

hs_status hs_checkpoint_save_file(const char *path, const char *group, const hs_model *m,
                                  const hs_attr *extra, int n_extra)
{
    return hs_checkpoint_save_file_pruned(path, group, m, NULL, extra, n_extra);
}

hs_status hs_checkpoint_load_file(const char *path, const char *group, hs_model **out)
{
    *out = NULL;
    hid_t f;
    HS_CHECK(hs_h5_open_read(path, &f));
    hs_status s = hs_checkpoint_read(f, group, path, out);
    H5Fclose(f);
    return s;
}
