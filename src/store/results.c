/* results.c — the sweep results file (see results.h). Sizes: a sweep has
 * up to ~10⁵ points; rows are a few hundred bytes, masks L·H bytes. */
#include "results.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../core/alloc.h"
#include "h5util.h"
#include "runlock.h"

extern char **environ;

struct hs_results {
    hid_t file;
    hid_t points, bases, masks, importance, curves, errors, base_errors;
    hid_t point_type, base_type, error_type;
    long n_points, n_base;
    int lmax, hmax;
    uint64_t fingerprint;
    char *sweep_text;
    char path[4096];
    int writing;
    double last_sync;
};

/* A failed write, flush or close of the results file: the file, what failed
 * and the system's reason (strerror of the errno HDF5 recorded), with what to
 * do when the disk is full. Call right after the failing HDF5 call. */
static hs_status io_fail(const char *path, const char *what)
{
    const int e = hs_h5_errno();
    const int full = e == ENOSPC || e == EDQUOT || e == EFBIG;
    return hs_error_set(HS_ERR_IO, "%s: cannot %s: %s%s", path, what, strerror(e),
                        full ? " (the disk is full: what is flushed stays; free some space, then run the "
                               "same command again to resume)"
                             : "");
}

static hid_t str_type(size_t n)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, n);
    H5Tset_strpad(t, H5T_STR_NULLTERM);
    return t;
}

/* HDF5 type of each storage class of columns.h (name, host: the string types) */
#define H5TYPE_I8 H5T_NATIVE_INT8
#define H5TYPE_I32 H5T_NATIVE_INT32
#define H5TYPE_I64 H5T_NATIVE_INT64
#define H5TYPE_F64 H5T_NATIVE_DOUBLE
#define H5TYPE_NAME name
#define H5TYPE_HOST host

hid_t hs_results_point_type(void)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(hs_point_row));
    hid_t name = str_type(HS_NAME_LEN), host = str_type(HS_HOST_LEN);
#define F(ID, field, storage, kind, pending, same) \
    H5Tinsert(t, #field, offsetof(hs_point_row, field), H5TYPE_##storage);
    HS_POINT_COLUMNS(F)
#undef F
    H5Tclose(name);
    H5Tclose(host);
    return t;
}

hid_t hs_results_base_type(void)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(hs_base_row));
    hid_t name = str_type(HS_NAME_LEN), host = str_type(HS_HOST_LEN);
#define F(ID, field, storage, kind, pending, same) \
    H5Tinsert(t, #field, offsetof(hs_base_row, field), H5TYPE_##storage);
    HS_BASE_COLUMNS(F)
#undef F
    H5Tclose(name);
    H5Tclose(host);
    return t;
}

void hs_point_row_init(hs_point_row *row)
{
    memset(row, 0, sizeof *row);
#define F(ID, field, storage, kind, pending, same) HS_COL_SET_##storage(row->field, pending)
    HS_POINT_COLUMNS(F)
#undef F
}

void hs_base_row_init(hs_base_row *row)
{
    memset(row, 0, sizeof *row);
#define F(ID, field, storage, kind, pending, same) HS_COL_SET_##storage(row->field, pending)
    HS_BASE_COLUMNS(F)
#undef F
}

static void close_ids(hs_results *r)
{
    hid_t *ds[] = {&r->points, &r->bases, &r->masks, &r->importance, &r->curves, &r->errors,
                   &r->base_errors};
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++)
        if (*ds[i] > 0) {
            H5Dclose(*ds[i]);
            *ds[i] = 0;
        }
    hid_t *ty[] = {&r->point_type, &r->base_type, &r->error_type};
    for (size_t i = 0; i < sizeof ty / sizeof ty[0]; i++)
        if (*ty[i] > 0) {
            H5Tclose(*ty[i]);
            *ty[i] = 0;
        }
}

/* A chunked dataset of `rank` dims, 64 rows to a chunk: a chunk per row made
 * the chunk index (and the metadata every H5Dflush rewrites) as long as the
 * grid, and cost ~15 us a point in dispatch (bench/dispatch.sh). */
static hid_t create_ds(hid_t f, const char *name, hid_t type, int rank, const hsize_t *dims,
                       const void *fill)
{
    hsize_t chunk[3];
    for (int i = 0; i < rank; i++) chunk[i] = dims[i] ? dims[i] : 1;
    chunk[0] = dims[0] < 64 ? (dims[0] ? dims[0] : 1) : 64;
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, rank, chunk);
    if (fill) H5Pset_fill_value(dcpl, type, fill);
    H5Pset_fill_time(dcpl, H5D_FILL_TIME_ALLOC);
    hid_t ds = H5Dcreate2(f, name, type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    H5Sclose(sp);
    return ds;
}

static hid_t fapl_latest(void)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST); /* SWMR needs it */
    return fapl;
}

static hs_status write_rows(const char *path, hid_t ds, hid_t type, long i, const void *row)
{
    hsize_t start = (hsize_t)i, count = 1;
    hid_t fs = H5Dget_space(ds), ms = H5Screate_simple(1, &count, NULL);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &count, NULL);
    herr_t st = H5Dwrite(ds, type, ms, fs, H5P_DEFAULT, row);
    H5Sclose(ms);
    H5Sclose(fs);
    return st < 0 ? io_fail(path, "write a row") : HS_OK;
}

/* Writes a [1][a][b] slab at row i of a rank-3 dataset (or [1][a] of rank 2). */
static hs_status write_slab(const char *path, hid_t ds, hid_t memtype, long i, int rank, hsize_t a, hsize_t b,
                            const void *buf)
{
    hsize_t start[3] = {(hsize_t)i, 0, 0}, count[3] = {1, a, b};
    hid_t fs = H5Dget_space(ds), ms = H5Screate_simple(rank, count, NULL);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    herr_t st = H5Dwrite(ds, memtype, ms, fs, H5P_DEFAULT, buf);
    H5Sclose(ms);
    H5Sclose(fs);
    return st < 0 ? io_fail(path, "write a mask, importance or curve row") : HS_OK;
}

static hs_status read_slab(hid_t ds, hid_t memtype, long i, int rank, hsize_t a, hsize_t b, void *buf)
{
    hsize_t start[3] = {(hsize_t)i, 0, 0}, count[3] = {1, a, b};
    hid_t fs = H5Dget_space(ds), ms = H5Screate_simple(rank, count, NULL);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    herr_t st = H5Dread(ds, memtype, ms, fs, H5P_DEFAULT, buf);
    H5Sclose(ms);
    H5Sclose(fs);
    return st < 0 ? hs_error_set(HS_ERR_INPUT, "cannot read the results file (damaged?)") : HS_OK;
}

static void base_group(char *buf, size_t n, const char *task, long seed)
{
    snprintf(buf, n, "/checkpoints/%s/seed_%ld", task, seed);
}

static hs_status create_all(hs_results *r, const hs_results_layout *lay)
{
    hid_t f = r->file;
    char when[64];
    time_t now = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    HS_CHECK(hs_h5_attr_write_str(f, "format", HS_RESULTS_FORMAT));
    HS_CHECK(hs_h5_attr_write_long(f, "format_version", HS_RESULTS_VERSION));
    HS_CHECK(hs_h5_attr_write_str(f, "tool_version", lay->tool_version));
    HS_CHECK(hs_h5_attr_write_str(f, "created", when));
    HS_CHECK(hs_h5_attr_write_str(f, "sweep_path", lay->sweep_path));
    HS_CHECK(hs_h5_attr_write_str(f, "sweep_text", lay->sweep_text));
    HS_CHECK(hs_h5_attr_write_str(f, "mask_absent", "255 marks a head the task's model does not have"));
    char fp[32];
    snprintf(fp, sizeof fp, "%016llx", (unsigned long long)lay->fingerprint);
    HS_CHECK(hs_h5_attr_write_str(f, "fingerprint", fp));
    for (int k = 0; k < lay->n_root_attrs; k++) {
        const hs_attr *a = &lay->root_attrs[k];
        if (a->type == HS_ATTR_STR) HS_CHECK(hs_h5_attr_write_str(f, a->name, a->s));
        else if (a->type == HS_ATTR_LONG) HS_CHECK(hs_h5_attr_write_long(f, a->name, a->l));
        else HS_CHECK(hs_h5_attr_write_double(f, a->name, a->d));
    }
    int lmax = 1, hmax = 1;
    for (int t = 0; t < lay->n_tasks; t++) {
        if (lay->task_shapes[t].layers > lmax) lmax = lay->task_shapes[t].layers;
        if (lay->task_shapes[t].heads > hmax) hmax = lay->task_shapes[t].heads;
    }
    HS_CHECK(hs_h5_attr_write_long(f, "max_layers", lmax));
    HS_CHECK(hs_h5_attr_write_long(f, "max_heads", hmax));
    r->lmax = lmax;
    r->hmax = hmax;
    r->n_points = lay->n_points;
    r->n_base = lay->n_base;
    r->fingerprint = lay->fingerprint;

    const hsize_t np = (hsize_t)lay->n_points, nb = (hsize_t)lay->n_base;
    const hsize_t dm[3] = {np, (hsize_t)lmax, (hsize_t)hmax}, dc[2] = {np, HS_CURVE_WIDTH};
    const uint8_t absent = HS_MASK_ABSENT;
    const float fnan = NAN;
    const double dnan = NAN;
    r->points = create_ds(f, "points", r->point_type, 1, &np, NULL);
    r->bases = create_ds(f, "base_jobs", r->base_type, 1, &nb, NULL);
    r->masks = create_ds(f, "masks", H5T_NATIVE_UINT8, 3, dm, &absent);
    r->importance = create_ds(f, "importance", H5T_NATIVE_FLOAT, 3, dm, &fnan);
    r->curves = create_ds(f, "curves", H5T_NATIVE_DOUBLE, 2, dc, &dnan);
    r->errors = create_ds(f, "errors", r->error_type, 1, &np, NULL);
    r->base_errors = create_ds(f, "base_errors", r->error_type, 1, &nb, NULL);
    if (r->points < 0 || r->bases < 0 || r->masks < 0 || r->importance < 0 || r->curves < 0 ||
        r->errors < 0 || r->base_errors < 0)
        return io_fail(r->path, "create the results datasets");
    for (long i = 0; i < lay->n_points; i++)
        HS_CHECK(write_rows(r->path, r->points, r->point_type, i, &lay->points[i]));
    for (long i = 0; i < lay->n_base; i++)
        HS_CHECK(write_rows(r->path, r->bases, r->base_type, i, &lay->bases[i]));

    hid_t tasks = H5Gcreate2(f, "tasks", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (tasks < 0) return hs_error_set(HS_ERR_IO, "%s: cannot create /tasks", r->path);
    hs_status s = HS_OK;
    for (int t = 0; t < lay->n_tasks && s == HS_OK; t++) {
        hid_t g = H5Gcreate2(tasks, lay->task_names[t], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (g < 0) {
            s = hs_error_set(HS_ERR_IO, "%s: cannot create /tasks/%s", r->path, lay->task_names[t]);
            break;
        }
        const hs_config *c = &lay->task_shapes[t];
        const struct { const char *n; long v; } shape[] = {
            {"vocab", c->vocab}, {"seq_len", c->seq_len}, {"d_model", c->d_model}, {"heads", c->heads},
            {"layers", c->layers}, {"d_ff", c->d_ff}, {"n_out", c->n_out}, {"lm", c->lm},
            {"causal", c->causal}, {"patch_dim", c->patch_dim}};
        for (size_t k = 0; k < sizeof shape / sizeof shape[0] && s == HS_OK; k++)
            s = hs_h5_attr_write_long(g, shape[k].n, shape[k].v);
        for (int k = 0; k < lay->n_task_attrs[t] && s == HS_OK; k++) {
            const hs_attr *a = &lay->task_attrs[t][k];
            if (a->type == HS_ATTR_STR) s = hs_h5_attr_write_str(g, a->name, a->s);
            else if (a->type == HS_ATTR_LONG) s = hs_h5_attr_write_long(g, a->name, a->l);
            else s = hs_h5_attr_write_double(g, a->name, a->d);
        }
        H5Gclose(g);
    }
    H5Gclose(tasks);
    for (long i = 0; i < lay->n_base && s == HS_OK; i++) {
        char grp[256];
        base_group(grp, sizeof grp, lay->bases[i].task, (long)lay->bases[i].seed);
        s = hs_checkpoint_create_layout(f, grp, &lay->base_shapes[i], NULL, 0, r->path);
    }
    return s;
}

hs_status hs_results_create(hs_results **out, const char *path, const hs_results_layout *lay)
{
    *out = NULL;
    if (access(path, F_OK) == 0)
        return hs_error_set(HS_ERR_INPUT, "%s already exists (it is not this sweep's file, or use --restart)", path);
    hs_results *r;
    HS_CHECK(hs_calloc((void **)&r, 1, sizeof *r, "results handle"));
    snprintf(r->path, sizeof r->path, "%s", path);
    r->point_type = hs_results_point_type();
    r->base_type = hs_results_base_type();
    r->error_type = str_type(HS_ERROR_LEN);
    /* built as PATH.tmp and renamed when complete: a kill during creation
     * (crash torture, issue 9) left a half-made PATH that every later run
     * refused ("not a headsweep results file"); a stale PATH.tmp is ours */
    char tmp[4096 + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    hid_t fapl = fapl_latest();
    errno = 0;
    r->file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    hs_status s = r->file < 0 ? io_fail(tmp, "create it") : create_all(r, lay);
    close_ids(r);
    if (r->file > 0 && H5Fclose(r->file) < 0 && s == HS_OK) s = io_fail(tmp, "close it after creating it");
    hs_free(r);
    if (s == HS_OK && rename(tmp, path) != 0)
        s = hs_error_set(HS_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    if (s != HS_OK) {
        remove(tmp); /* ours, just created: nothing of the user's is lost */
        return s;
    }
    /* every object exists: reopen it as a resumed run would, for
     * single-writer/multiple-reader writing (one path for both) */
    s = hs_results_open(out, path, 1);
    if (s != HS_OK) remove(path);
    return s;
}

/* Clears the "open for writing" mark a crash leaves (as the brief measured:
 * h5clear -s alone damaged the file, with --increment=0 it is repaired). */
static hs_status repair(const char *path, int say, int *missing)
{
    if (say)
        fprintf(stderr, "headsweep: %s was not closed cleanly (a crash or a kill); repairing it with h5clear\n",
                path);
    char *argv[] = {"h5clear", "-s", "--increment=0", (char *)path, NULL};
    pid_t pid;
    *missing = 0;
    if (posix_spawnp(&pid, "h5clear", NULL, NULL, argv, environ) != 0) {
        *missing = 1;
        return hs_error_set(HS_ERR_INPUT, "%s needs repair but h5clear is missing (install the Debian package hdf5-tools)",
                            path);
    }
    int st = 0;
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return hs_error_set(HS_ERR_INPUT, "%s: h5clear could not repair it (exit %d)", path,
                            WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return HS_OK;
}

/* The extent of dataset ds (named in messages), which must have rank `rank`
 * (at most 3); dims gets it. */
static hs_status dataset_shape(const hs_results *r, hid_t ds, const char *name, int rank, hsize_t dims[3])
{
    hid_t sp = H5Dget_space(ds);
    const int got = sp < 0 ? -1 : H5Sget_simple_extent_ndims(sp);
    if (got == rank) H5Sget_simple_extent_dims(sp, dims, NULL);
    if (sp >= 0) H5Sclose(sp);
    if (got != rank)
        return hs_error_set(HS_ERR_INPUT, "%s: /%s has %d dimension%s, expected %d (damaged file?)", r->path, name,
                            got, got == 1 ? "" : "s", rank);
    return HS_OK;
}

static hs_status open_all(hs_results *r)
{
    hid_t f = r->file;
    char fmt[64];
    hs_status s = hs_h5_attr_read_str(f, "format", fmt, sizeof fmt, r->path);
    if (s != HS_OK || strcmp(fmt, HS_RESULTS_FORMAT)) {
        hs_error_clear();
        return hs_error_set(HS_ERR_INPUT, "%s is not a headsweep results file (attribute format = \"%s\" expected)",
                            r->path, HS_RESULTS_FORMAT);
    }
    long v;
    HS_CHECK(hs_h5_attr_read_long(f, "format_version", &v, r->path));
    if (v != HS_RESULTS_VERSION)
        return hs_error_set(HS_ERR_INPUT, "%s: results format version %ld, this headsweep reads version %d",
                            r->path, v, HS_RESULTS_VERSION);
    HS_CHECK(hs_h5_attr_read_long(f, "max_layers", &v, r->path));
    r->lmax = (int)v;
    HS_CHECK(hs_h5_attr_read_long(f, "max_heads", &v, r->path));
    r->hmax = (int)v;
    char fp[32];
    HS_CHECK(hs_h5_attr_read_str(f, "fingerprint", fp, sizeof fp, r->path));
    r->fingerprint = strtoull(fp, NULL, 16);
    /* the sweep text can be long: read it through a buffer sized from the attribute */
    hid_t a = H5Aopen(f, "sweep_text", H5P_DEFAULT);
    if (a < 0) return hs_error_set(HS_ERR_INPUT, "%s: attribute sweep_text is missing (damaged file?)", r->path);
    hid_t t = H5Aget_type(a);
    size_t n = H5Tget_size(t) + 2;
    H5Tclose(t);
    H5Aclose(a);
    HS_CHECK(hs_calloc((void **)&r->sweep_text, n, 1, "sweep text"));
    HS_CHECK(hs_h5_attr_read_str(f, "sweep_text", r->sweep_text, n, r->path));
    const char *names[] = {"points", "base_jobs", "masks", "importance", "curves", "errors", "base_errors"};
    hid_t *ids[] = {&r->points, &r->bases, &r->masks, &r->importance, &r->curves, &r->errors, &r->base_errors};
    for (int i = 0; i < 7; i++) {
        *ids[i] = H5Dopen2(f, names[i], H5P_DEFAULT);
        if (*ids[i] < 0) {
            *ids[i] = 0;
            return hs_error_set(HS_ERR_INPUT, "%s: dataset /%s is missing (damaged file?)", r->path, names[i]);
        }
    }
    /* every dataset's rank and shape before any read: the readers select
     * [1][a][b] slabs and read /points whole into n_points rows, so a file
     * with a dataset of another rank or length (hand-made, or damaged) would
     * otherwise overrun their buffers (found by tests/fuzz/fuzz_results) */
    hsize_t dims[3];
    HS_CHECK(dataset_shape(r, r->points, "points", 1, dims));
    const hsize_t np = dims[0];
    HS_CHECK(dataset_shape(r, r->bases, "base_jobs", 1, dims));
    const hsize_t nb = dims[0];
    if (np > (hsize_t)LONG_MAX / 2 || nb > (hsize_t)LONG_MAX / 2)
        return hs_error_set(HS_ERR_INPUT, "%s: /points or /base_jobs is too long (damaged file?)", r->path);
    r->n_points = (long)np;
    r->n_base = (long)nb;
    const struct { hid_t ds; const char *name, *of; int rank; hsize_t d[3]; } want[] = {
        {r->masks, "masks", "/points and max_layers/max_heads", 3, {np, (hsize_t)r->lmax, (hsize_t)r->hmax}},
        {r->importance, "importance", "/points and max_layers/max_heads", 3, {np, (hsize_t)r->lmax, (hsize_t)r->hmax}},
        {r->curves, "curves", "/points", 2, {np, HS_CURVE_WIDTH, 0}},
        {r->errors, "errors", "/points", 1, {np, 0, 0}},
        {r->base_errors, "base_errors", "/base_jobs", 1, {nb, 0, 0}},
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        HS_CHECK(dataset_shape(r, want[k].ds, want[k].name, want[k].rank, dims));
        int ok = 1;
        char shape[96] = "";
        for (int d = 0; d < want[k].rank; d++) {
            ok &= dims[d] == want[k].d[d];
            snprintf(shape + strlen(shape), sizeof shape - strlen(shape), "[%lld]", (long long)want[k].d[d]);
        }
        if (!ok)
            return hs_error_set(HS_ERR_INPUT, "%s: /%s does not match %s: expected shape %s (damaged file?)",
                                r->path, want[k].name, want[k].of, shape);
    }
    return HS_OK;
}

/* The writer flushes every row, and each H5Dflush in HDF5 1.10 walks every
 * entry of the metadata cache, which base models' objects fill up (873
 * entries after 30 base jobs). A 64 KiB cache keeps ~150 entries: bench/
 * dispatch.sh went from 1.8e4 to 3.4e4 trivial points/s serially. */
static hs_status small_metadata_cache(hs_results *r)
{
    H5AC_cache_config_t mdc = {.version = H5AC__CURR_CACHE_CONFIG_VERSION};
    if (H5Fget_mdc_config(r->file, &mdc) < 0)
        return hs_error_set(HS_ERR_IO, "%s: cannot read the metadata cache settings", r->path);
    mdc.set_initial_size = 1;
    mdc.initial_size = 64 * 1024;
    mdc.min_size = 16 * 1024;
    mdc.max_size = 64 * 1024;
    if (H5Fset_mdc_config(r->file, &mdc) < 0)
        return hs_error_set(HS_ERR_IO, "%s: cannot set the metadata cache size", r->path);
    return HS_OK;
}

/* The file consistency flags of the superblock (HDF5 file format spec,
 * superblock versions 2 and 3: signature, version, size of offsets, size of
 * lengths, then this byte; versions 0 and 1 keep 4 bytes at offset 20 that
 * HDF5 1.10 does not use). Bit 0: open for writing, bit 2: open for SWMR
 * writing — set by a writer's open, cleared by its close, left set by a
 * crash, and exactly what HDF5 checks before it refuses a writing open
 * ("file is already open for write"). The superblock sits at 0 or at a
 * power of two from 512 (a user block). -1: no superblock found. Read
 * directly because every HDF5 open of the file would fail for either
 * reason alike (a reader's lock, or these flags). */
enum { SB_WRITE_ACCESS = 0x01, SB_SWMR_WRITE_ACCESS = 0x04 };
static int superblock_flags(const char *path)
{
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    int flags = -1;
    unsigned char b[24];
    for (long off = 0; off <= (1L << 30); off = off ? off * 2 : 512) {
        if (fseek(f, off, SEEK_SET) != 0 || fread(b, 1, sizeof b, f) != sizeof b) break;
        if (memcmp(b, sig, sizeof sig)) continue;
        if (b[8] >= 2) flags = b[11];
        else flags = b[20] | b[21] << 8 | b[22] << 16 | b[23] << 24;
        break;
    }
    fclose(f);
    return flags;
}

hs_status hs_results_open(hs_results **out, const char *path, int write)
{
    *out = NULL;
    hid_t probe;
    /* missing, unreadable or non-HDF5 files are reported here */
    if (!write) {
        FILE *f = fopen(path, "rb");
        if (!f) return hs_error_set(HS_ERR_INPUT, "cannot open %s: %s", path, strerror(errno));
        fclose(f);
        if (H5Fis_hdf5(path) <= 0)
            return hs_error_set(HS_ERR_INPUT, "%s is not an HDF5 file (expected a headsweep results file)", path);
    } else if (H5Fis_hdf5(path) <= 0) {
        return hs_error_set(HS_ERR_INPUT, "%s is not an HDF5 file (expected a headsweep results file)", path);
    }
    hs_results *r;
    HS_CHECK(hs_calloc((void **)&r, 1, sizeof *r, "results handle"));
    snprintf(r->path, sizeof r->path, "%s", path);
    r->point_type = hs_results_point_type();
    r->base_type = hs_results_base_type();
    r->error_type = str_type(HS_ERROR_LEN);
    hid_t fapl = fapl_latest();
    hs_status s = HS_OK;
    if (write) {
        /* Two reasons make this open fail. (a) A reader (`status`, `query`,
         * h5py) holds HDF5's file lock while it has the file open (neither
         * this open nor h5clear gets through meanwhile): readers are brief,
         * wait ~10 s (crash torture, issue 9). (b) The superblock says the
         * file is open for writing: a live writer, or a crashed one. Only
         * (b) is repaired, and only under the run lock, which proves no
         * live writer (issue 13: h5clear on a file another run was writing). */
        int missing = 0, said = 0; /* no h5clear: retrying cannot help */
        for (int attempt = 0; attempt < 20; attempt++) {
            if (attempt) {
                struct timespec ts = {0, 500000000};
                nanosleep(&ts, NULL);
                hs_error_clear();
                s = HS_OK;
            }
            probe = H5Fopen(path, H5F_ACC_RDWR, fapl);
            if (probe >= 0) break;
            const int flags = superblock_flags(path);
            if (flags < 0 || !(flags & (SB_WRITE_ACCESS | SB_SWMR_WRITE_ACCESS))) {
                /* not marked open: a reader holds it (or it is damaged) */
                s = hs_error_set(HS_ERR_INPUT, "%s: HDF5 cannot open it for writing (damaged, or another process is "
                                 "reading it?)", path);
                continue;
            }
            if (!hs_runlock_held(path)) {
                s = hs_error_set(HS_ERR_INPUT, "%s is marked open for writing and this process does not hold %s.lock: "
                                 "only `headsweep run` repairs it", path, path);
                missing = 1; /* not ours to repair: waiting cannot help */
                break;
            }
            s = repair(path, !said, &missing);
            said = 1;
            if (s == HS_OK) probe = H5Fopen(path, H5F_ACC_RDWR, fapl);
            if (probe >= 0 || missing) break;
        }
        if (probe < 0 && s == HS_OK)
            s = hs_error_set(HS_ERR_INPUT, "%s: HDF5 cannot open it for writing (damaged, or another run is using it?)",
                             path);
        else if (probe < 0 && !missing) {
            char why[512];
            snprintf(why, sizeof why, "%s", hs_error_message());
            hs_error_clear();
            s = hs_error_set(HS_ERR_INPUT, "%s; tried for 10 s: if another process is reading or writing it, run again when it is done",
                             why);
        }
        if (probe >= 0) {
            hs_error_clear();
            s = HS_OK;
        }
        r->file = probe;
    } else {
        H5Pset_metadata_read_attempts(fapl, HS_RESULTS_READ_ATTEMPTS);
        r->file = H5Fopen(path, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, fapl);
        if (r->file < 0) r->file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
        if (r->file < 0) s = hs_error_set(HS_ERR_INPUT, "%s: HDF5 cannot open it (damaged?)", path);
    }
    H5Pclose(fapl);
    if (s == HS_OK) s = open_all(r);
    if (s == HS_OK && write) s = small_metadata_cache(r);
    if (s == HS_OK && write && H5Fstart_swmr_write(r->file) < 0)
        s = hs_error_set(HS_ERR_IO, "%s: cannot start SWMR writing", path);
    if (s != HS_OK) {
        close_ids(r);
        if (r->file > 0) H5Fclose(r->file);
        hs_free(r->sweep_text);
        hs_free(r);
        return s;
    }
    r->writing = write;
    *out = r;
    return HS_OK;
}

hs_status hs_results_close(hs_results **rp)
{
    if (!rp || !*rp) return HS_OK;
    hs_results *r = *rp;
    hs_status s = HS_OK;
    if (r->writing && H5Fflush(r->file, H5F_SCOPE_GLOBAL) < 0)
        s = io_fail(r->path, "flush it");
    close_ids(r);
    if (r->file > 0 && H5Fclose(r->file) < 0 && s == HS_OK) s = io_fail(r->path, "close it");
    hs_free(r->sweep_text);
    hs_free(r);
    *rp = NULL;
    return s;
}

long hs_results_n_points(const hs_results *r) { return r->n_points; }
long hs_results_n_base(const hs_results *r) { return r->n_base; }
int hs_results_max_layers(const hs_results *r) { return r->lmax; }
int hs_results_max_heads(const hs_results *r) { return r->hmax; }
uint64_t hs_results_fingerprint(const hs_results *r) { return r->fingerprint; }
const char *hs_results_sweep_text(const hs_results *r) { return r->sweep_text; }

static hs_status write_error(hs_results *r, hid_t ds, long i, const char *error)
{
    char buf[HS_ERROR_LEN] = {0};
    if (error) snprintf(buf, sizeof buf, "%s", error);
    return write_rows(r->path, ds, r->error_type, i, buf);
}

hs_status hs_results_write_point(hs_results *r, long i, const hs_point_row *row,
                                 const uint8_t *mask, const float *importance, const double *curve,
                                 const char *error)
{
    HS_ASSERT(i >= 0 && i < r->n_points);
    /* only what changes is written and flushed: a done point's error text is
     * the fill value "" unless an earlier attempt failed (the caller passes
     * "" then), and a method without a curve leaves the NaN fill */
    hid_t flush[4];
    int nf = 0;
    if (mask) {
        HS_CHECK(write_slab(r->path, r->masks, H5T_NATIVE_UINT8, i, 3, r->lmax, r->hmax, mask));
        flush[nf++] = r->masks;
    }
    if (importance) {
        HS_CHECK(write_slab(r->path, r->importance, H5T_NATIVE_FLOAT, i, 3, r->lmax, r->hmax, importance));
        flush[nf++] = r->importance;
    }
    if (curve && row->curve_len > 0) {
        HS_CHECK(write_slab(r->path, r->curves, H5T_NATIVE_DOUBLE, i, 2, HS_CURVE_WIDTH, 1, curve));
        flush[nf++] = r->curves;
    }
    if (error) {
        HS_CHECK(write_error(r, r->errors, i, error));
        flush[nf++] = r->errors;
    }
    /* the arrays reach the file before the row is even written: when a flush
     * fails (a full disk), the row stays pending in the file. Writing the row
     * first left it "done" with no masks once the close flushed it (issue 9,
     * tests/test_diskfull.sh); a reader that sees done also sees the arrays */
    for (int k = 0; k < nf; k++)
        if (H5Dflush(flush[k]) < 0) return io_fail(r->path, "flush a point's masks, scores or curve");
    HS_CHECK(write_rows(r->path, r->points, r->point_type, i, row));
    if (H5Dflush(r->points) < 0) return io_fail(r->path, "flush a point's row");
    return HS_OK;
}

hs_status hs_results_write_base(hs_results *r, long i, const hs_base_row *row, const hs_model *m,
                                const char *error)
{
    HS_ASSERT(i >= 0 && i < r->n_base);
    if (m) {
        char grp[256];
        base_group(grp, sizeof grp, row->task, (long)row->seed);
        HS_CHECK(hs_checkpoint_write_params(r->file, grp, m, r->path));
    }
    HS_CHECK(write_error(r, r->base_errors, i, error));
    HS_CHECK(write_rows(r->path, r->bases, r->base_type, i, row));
    if (H5Dflush(r->base_errors) < 0 || H5Dflush(r->bases) < 0) return io_fail(r->path, "flush a base job's row");
    return HS_OK;
}

hs_status hs_results_read_points(hs_results *r, hs_point_row *rows)
{
    if (r->n_points == 0) return HS_OK;
    if (!r->writing) H5Drefresh(r->points);
    /* HDF5 leaves a member the file lacks as the buffer holds it: a column
     * appended after the file was written reads as its pending value */
    for (long i = 0; i < r->n_points; i++) hs_point_row_init(&rows[i]);
    if (H5Dread(r->points, r->point_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) < 0)
        return hs_error_set(HS_ERR_INPUT, "%s: cannot read /points (damaged?)", r->path);
    return HS_OK;
}

hs_status hs_results_read_bases(hs_results *r, hs_base_row *rows)
{
    if (r->n_base == 0) return HS_OK;
    if (!r->writing) H5Drefresh(r->bases);
    for (long i = 0; i < r->n_base; i++) hs_base_row_init(&rows[i]);
    if (H5Dread(r->bases, r->base_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) < 0)
        return hs_error_set(HS_ERR_INPUT, "%s: cannot read /base_jobs (damaged?)", r->path);
    return HS_OK;
}

hs_status hs_results_read_point_arrays(hs_results *r, long i, uint8_t *mask, float *importance,
                                       double *curve)
{
    if (!r->writing) {
        H5Drefresh(r->masks);
        H5Drefresh(r->importance);
        H5Drefresh(r->curves);
    }
    if (mask) HS_CHECK(read_slab(r->masks, H5T_NATIVE_UINT8, i, 3, r->lmax, r->hmax, mask));
    if (importance) HS_CHECK(read_slab(r->importance, H5T_NATIVE_FLOAT, i, 3, r->lmax, r->hmax, importance));
    if (curve) HS_CHECK(read_slab(r->curves, H5T_NATIVE_DOUBLE, i, 2, HS_CURVE_WIDTH, 1, curve));
    return HS_OK;
}

hs_status hs_results_read_error(hs_results *r, long i, int base, char *buf, size_t n)
{
    char tmp[HS_ERROR_LEN + 1] = {0};
    hid_t ds = base ? r->base_errors : r->errors;
    if (!r->writing) H5Drefresh(ds);
    hsize_t start = (hsize_t)i, count = 1;
    hid_t fs = H5Dget_space(ds), ms = H5Screate_simple(1, &count, NULL);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &count, NULL);
    herr_t st = H5Dread(ds, r->error_type, ms, fs, H5P_DEFAULT, tmp);
    H5Sclose(ms);
    H5Sclose(fs);
    if (st < 0) return hs_error_set(HS_ERR_INPUT, "%s: cannot read an error text", r->path);
    snprintf(buf, n, "%s", tmp);
    return HS_OK;
}

hs_status hs_results_task_attr(hs_results *r, const char *task, const char *name, char *buf, size_t n,
                               int *found)
{
    *found = 0;
    buf[0] = 0;
    char where[4400];
    snprintf(where, sizeof where, "%s: /tasks/%s", r->path, task);
    hid_t tasks = H5Gopen2(r->file, "tasks", H5P_DEFAULT);
    if (tasks < 0) return hs_error_set(HS_ERR_INPUT, "%s: no /tasks group: expected a headsweep results file", r->path);
    hid_t g = H5Lexists(tasks, task, H5P_DEFAULT) > 0 ? H5Gopen2(tasks, task, H5P_DEFAULT) : -1;
    H5Gclose(tasks);
    if (g < 0) return hs_error_set(HS_ERR_INPUT, "%s: no such group (the sweep names this task)", where);
    hs_status s = HS_OK;
    if (H5Aexists(g, name) > 0) {
        hid_t a = H5Aopen(g, name, H5P_DEFAULT), ty = a < 0 ? -1 : H5Aget_type(a);
        const int integer = ty >= 0 && H5Tget_class(ty) == H5T_INTEGER;
        if (ty >= 0) H5Tclose(ty);
        if (a >= 0) H5Aclose(a);
        long v = 0;
        s = integer ? hs_h5_attr_read_long(g, name, &v, where) : hs_h5_attr_read_str(g, name, buf, n, where);
        if (s == HS_OK && integer) snprintf(buf, n, "%ld", v);
        *found = s == HS_OK;
    }
    H5Gclose(g);
    return s;
}

hs_status hs_results_read_base_model(hs_results *r, long i, hs_model **out)
{
    hs_base_row row;
    HS_CHECK(read_slab(r->bases, r->base_type, i, 1, 1, 1, &row));
    char grp[256];
    base_group(grp, sizeof grp, row.task, (long)row.seed);
    return hs_checkpoint_read(r->file, grp, r->path, out);
}

hs_status hs_results_sync(hs_results *r)
{
    if (H5Fflush(r->file, H5F_SCOPE_GLOBAL) < 0) return io_fail(r->path, "flush it");
    /* HDF5 has no fsync: open the path and sync its inode */
    FILE *f = fopen(r->path, "rb");
    if (!f) return hs_error_set(HS_ERR_IO, "%s: cannot open to fsync: %s", r->path, strerror(errno));
    const int bad = fsync(fileno(f)) != 0;
    const int err = errno;
    fclose(f);
    if (bad) return hs_error_set(HS_ERR_IO, "%s: fsync failed: %s", r->path, strerror(err));
    return HS_OK;
}
