/* fuzz_h5edit.h — edits an HDF5 file the way a damaged or hand-made file
 * differs from one headsweep wrote, for the checkpoint and results-file
 * harnesses.
 *
 * Byte mutations of a whole HDF5 file mostly exercise HDF5's own parser
 * (not ours to fix); what headsweep's readers must survive is a well-formed
 * file with the wrong objects in it. So an input is
 *
 *   [mode byte][program length n][n program bytes][an HDF5 file image]
 *
 * With HS_FUZZ_H5_RAW=1, an input with an image (seeds: small real files
 * written by headsweep) is written out as it is: byte mutations. An input without one starts from a
 * base file (tests/fuzz/h5base/) and the program is applied through the
 * HDF5 API: delete a link
 * or an attribute, set an attribute to a value of another type, replace a
 * dataset by one of another type, rank or shape, create a group. Object and
 * attribute names come from per-harness tables so edits hit what the reader
 * looks for. Datasets larger than 2^16 elements are chunked and left
 * unwritten (fill values): a tiny file may declare a huge shape. */
#ifndef HS_FUZZ_H5EDIT_H
#define HS_FUZZ_H5EDIT_H

#include <hdf5.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../src/store/results.h"
#include "fuzz_util.h"

typedef struct {
    const uint8_t *p, *end;
} fz_cursor;

static uint8_t fz_u8(fz_cursor *c) { return c->p < c->end ? *c->p++ : 0; }

static uint64_t fz_u64(fz_cursor *c)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)fz_u8(c) << (8 * i);
    return v;
}

/* Names an edit may touch (object paths relative to the root, attribute
 * names, string values); the harness fills them. */
typedef struct {
    const char *const *objects;
    int n_objects;
    const char *const *attrs;
    int n_attrs;
    const char *const *strings;
    int n_strings;
} fz_names;

static hid_t fz_str_type(size_t n, H5T_str_t pad, H5T_cset_t cset)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, n ? n : 1);
    H5Tset_strpad(t, pad);
    H5Tset_cset(t, cset);
    return t;
}

/* A /points row type that lacks most fields, as an older or foreign file
 * would have (the full types are results.c's own: hs_results_point_type). */
static hid_t fz_short_point_type(void)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(hs_point_row));
    hid_t name = fz_str_type(HS_NAME_LEN, H5T_STR_NULLTERM, H5T_CSET_ASCII);
    H5Tinsert(t, "id", offsetof(hs_point_row, id), H5T_NATIVE_INT64);
    H5Tinsert(t, "task", offsetof(hs_point_row, task), name);
    H5Tinsert(t, "status", offsetof(hs_point_row, status), H5T_NATIVE_INT8);
    H5Tclose(name);
    return t;
}

/* A type for an attribute or dataset (kind from the program); *elem gets
 * its size in memory. */
static hid_t fz_pick_type(fz_cursor *c, int dataset, size_t *elem)
{
    const uint8_t k = fz_u8(c) % (dataset ? 11 : 8);
    hid_t t;
    switch (k) {
    case 0: t = H5Tcopy(H5T_NATIVE_INT64); break;
    case 1: t = H5Tcopy(H5T_NATIVE_DOUBLE); break;
    case 2: t = H5Tcopy(H5T_NATIVE_FLOAT); break;
    case 3: t = H5Tcopy(H5T_NATIVE_UINT8); break;
    case 4: t = H5Tcopy(H5T_NATIVE_INT32); break;
    case 5: t = fz_str_type(1 + fz_u8(c) % 300, H5T_STR_NULLTERM, H5T_CSET_ASCII); break;
    case 6: t = fz_str_type(1 + fz_u8(c) % 64, H5T_STR_NULLPAD, H5T_CSET_UTF8); break;
    case 7: t = fz_str_type(1 + fz_u8(c) % 64, H5T_STR_SPACEPAD, H5T_CSET_ASCII); break;
    case 8: t = hs_results_point_type(); break;
    case 9: t = fz_short_point_type(); break;
    default: t = hs_results_base_type(); break;
    }
    *elem = H5Tget_size(t);
    return t;
}

/* Fills buf (n bytes) for values of type t: a string from the table for
 * string types (0 = raw bytes), else bytes from the program, cycled. */
static void fz_fill(fz_cursor *c, const fz_names *nm, hid_t t, uint8_t *buf, size_t n)
{
    if (H5Tget_class(t) == H5T_STRING) {
        const uint8_t k = fz_u8(c);
        if (k && nm->n_strings) {
            const char *s = nm->strings[k % nm->n_strings];
            const size_t sz = H5Tget_size(t), len = strlen(s);
            for (size_t i = 0; i < n; i += sz) memcpy(buf + i, s, len < sz ? len : sz);
            return;
        }
    }
    const size_t have = (size_t)(c->end - c->p);
    const size_t take = have < 64 ? have : 64;
    for (size_t i = 0; i < n; i++) buf[i] = take ? c->p[i % take] : (uint8_t)i;
    c->p += take;
}

static const char *fz_pick(fz_cursor *c, const char *const *names, int n) { return names[fz_u8(c) % n]; }

/* Applies the program to the file at path (opened read-write). Only on a
 * pristine base file: HDF5's own write and iterate paths crash on damaged
 * headers (H5Adelete_by_name, H5Aiterate_by_name: found by fuzz_checkpoint),
 * and headsweep never writes into a damaged file. */
static void fz_h5_edit(const char *path, const uint8_t *prog, size_t n, const fz_names *nm)
{
    if (!n) return;
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) return;
    fz_cursor c = {prog, prog + n};
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    for (int steps = 0; c.p < c.end && steps < 16; steps++) {
        const uint8_t op = fz_u8(&c) % 5;
        const char *obj = fz_pick(&c, nm->objects, nm->n_objects);
        if (op == 0) { /* delete a link */
            H5Ldelete(f, obj, H5P_DEFAULT);
        } else if (op == 1) { /* delete an attribute */
            H5Adelete_by_name(f, obj, fz_pick(&c, nm->attrs, nm->n_attrs), H5P_DEFAULT);
        } else if (op == 2) { /* set an attribute: a scalar, or a small array */
            const char *name = fz_pick(&c, nm->attrs, nm->n_attrs);
            size_t elem;
            hid_t t = fz_pick_type(&c, 0, &elem);
            const hsize_t count = 1 + (fz_u8(&c) % 4 == 0);
            hid_t sp = count == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &count, NULL);
            uint8_t buf[2 * 512];
            fz_fill(&c, nm, t, buf, (size_t)count * elem);
            if (H5Aexists_by_name(f, obj, name, H5P_DEFAULT) > 0) H5Adelete_by_name(f, obj, name, H5P_DEFAULT);
            hid_t a = H5Acreate_by_name(f, obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            if (a >= 0) {
                H5Awrite(a, t, buf);
                H5Aclose(a);
            }
            H5Sclose(sp);
            H5Tclose(t);
        } else if (op == 3) { /* replace a dataset */
            size_t elem;
            hid_t t = fz_pick_type(&c, 1, &elem);
            const int rank = fz_u8(&c) % 5;
            static const hsize_t sizes[8] = {0, 1, 2, 3, 4, 24, 1 << 17, (hsize_t)1 << 40};
            hsize_t dims[4], maxd[4], chunk[4], total = 1;
            int big = 0;
            for (int r = 0; r < rank; r++) {
                dims[r] = sizes[fz_u8(&c) % 8];
                maxd[r] = H5S_UNLIMITED;
                chunk[r] = dims[r] && dims[r] < 64 ? dims[r] : 64;
                if (dims[r] && total > ((hsize_t)1 << 16) / dims[r]) big = 1;
                total *= dims[r];
            }
            H5Ldelete(f, obj, H5P_DEFAULT);
            hid_t sp = rank ? H5Screate_simple(rank, dims, big ? maxd : NULL) : H5Screate(H5S_SCALAR);
            hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
            if (big) H5Pset_chunk(dcpl, rank, chunk);
            hid_t ds = H5Dcreate2(f, obj, t, sp, lcpl, dcpl, H5P_DEFAULT);
            if (ds >= 0 && !big && total) {
                uint8_t *buf = calloc((size_t)total, elem);
                if (buf) {
                    fz_fill(&c, nm, t, buf, (size_t)total * elem);
                    H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
                    free(buf);
                }
            }
            if (ds >= 0) H5Dclose(ds);
            H5Pclose(dcpl);
            H5Sclose(sp);
            H5Tclose(t);
        } else { /* a group where something else may be expected */
            H5Ldelete(f, obj, H5P_DEFAULT);
            hid_t g = H5Gcreate2(f, obj, lcpl, H5P_DEFAULT, H5P_DEFAULT);
            if (g >= 0) H5Gclose(g);
        }
    }
    H5Pclose(lcpl);
    H5Fclose(f);
}

/* Base files: every file of folder dir (HS_FUZZ_H5BASE/<harness>), in name order. */
#include <dirent.h>
#define FZ_MAX_BASES 8
static char fz_base_path[FZ_MAX_BASES][4096];
static int fz_n_bases;

static int fz_name_cmp(const void *a, const void *b) { return strcmp((const char *)a, (const char *)b); }

static void fz_load_bases(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        perror(dir);
        abort();
    }
    for (struct dirent *e; (e = readdir(d)) && fz_n_bases < FZ_MAX_BASES;)
        if (e->d_name[0] != '.')
            snprintf(fz_base_path[fz_n_bases++], sizeof fz_base_path[0], "%s/%s", dir, e->d_name);
    closedir(d);
    if (!fz_n_bases) abort();
    qsort(fz_base_path, (size_t)fz_n_bases, sizeof fz_base_path[0], fz_name_cmp);
}

/* Writes the file under test to path: the image when the input has one
 * and HS_FUZZ_H5_RAW=1 (byte mutations: HDF5's parser and our reader, no
 * edits), else base file mode % bases with the program applied through the
 * HDF5 API. Input:
 * [mode][program length n][n program bytes][image]. Returns 0 if too short. */
static int fz_h5_prepare(const char *path, const uint8_t *data, size_t size, const fz_names *nm, uint8_t *mode)
{
    if (size < 2) return 0;
    *mode = data[0];
    const size_t nprog = data[1] < size - 2 ? data[1] : size - 2;
    const uint8_t *image = data + 2 + nprog;
    const size_t nimage = size - 2 - nprog;
    /* byte mutations reach bugs of HDF5 1.10.8 itself within a minute
     * (README.md): only with HS_FUZZ_H5_RAW=1, so make check stays stable */
    static int raw = -1;
    if (raw < 0) raw = getenv("HS_FUZZ_H5_RAW") && !strcmp(getenv("HS_FUZZ_H5_RAW"), "1");
    if (nimage && raw) {
        fz_write_file(path, image, nimage);
        return 1;
    }
    FILE *in = fopen(fz_base_path[*mode % fz_n_bases], "rb");
    uint8_t *buf = malloc(1 << 20);
    if (!in || !buf) abort();
    const size_t got = fread(buf, 1, 1 << 20, in);
    fclose(in);
    fz_write_file(path, buf, got);
    free(buf);
    fz_h5_edit(path, data + 2, nprog, nm);
    return 1;
}

#endif
