/* h5util.c — HDF5 helpers (see h5util.h). */
#include "h5util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void hs_h5_init(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

static herr_t find_errno(unsigned n, const H5E_error2_t *e, void *data)
{
    (void)n;
    const char *at = e->desc ? strstr(e->desc, "errno = ") : NULL;
    if (at && *(int *)data == 0) *(int *)data = atoi(at + 8);
    return 0;
}

int hs_h5_errno(void)
{
    const int saved = errno;
    int e = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, find_errno, &e);
    if (e <= 0) e = saved;
    return e > 0 ? e : EIO;
}

hs_status hs_h5_open_read(const char *path, hid_t *file)
{
    *file = H5I_INVALID_HID;
    FILE *f = fopen(path, "rb");
    if (!f) return hs_error_set(HS_ERR_INPUT, "cannot open %s: %s", path, strerror(errno));
    fclose(f);
    if (H5Fis_hdf5(path) <= 0)
        return hs_error_set(HS_ERR_INPUT, "%s is not an HDF5 file (expected a file written by headsweep)",
                            path);
    hid_t fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (fid < 0)
        return hs_error_set(HS_ERR_INPUT, "%s: HDF5 cannot open it (damaged, or still open for writing?)",
                            path);
    *file = fid;
    return HS_OK;
}

int hs_h5_exists(hid_t loc, const char *path)
{
    char buf[1024];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf) return 0;
    memcpy(buf, path, n + 1);
    /* check each prefix: H5Lexists fails on a missing intermediate group */
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == 0) {
            char c = buf[i];
            buf[i] = 0;
            if (strcmp(buf, "/") && H5Lexists(loc, buf, H5P_DEFAULT) <= 0) return 0;
            buf[i] = c;
        }
    }
    return 1;
}

static hs_status attr_write(hid_t obj, const char *name, hid_t ftype, hid_t mtype, const void *v)
{
    if (H5Aexists(obj, name) > 0) HS_H5(H5Adelete(obj, name), "attribute delete", name);
    hid_t sp = H5Screate(H5S_SCALAR);
    if (sp < 0) return hs_error_set(HS_ERR_INTERNAL, "HDF5 dataspace create failed (%s)", name);
    hid_t a = H5Acreate2(obj, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = a < 0 ? -1 : H5Awrite(a, mtype, v);
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    if (st < 0) return hs_error_set(HS_ERR_IO, "cannot write HDF5 attribute %s", name);
    return HS_OK;
}

hs_status hs_h5_attr_write_long(hid_t obj, const char *name, long v)
{
    long long x = v;
    return attr_write(obj, name, H5T_STD_I64LE, H5T_NATIVE_LLONG, &x);
}

hs_status hs_h5_attr_write_double(hid_t obj, const char *name, double v)
{
    return attr_write(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v);
}

hs_status hs_h5_attr_write_str(hid_t obj, const char *name, const char *v)
{
    /* fixed-length, null-terminated ASCII: readable by h5py without decoding tricks */
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0) return hs_error_set(HS_ERR_INTERNAL, "HDF5 string type failed (%s)", name);
    H5Tset_size(t, strlen(v) + 1);
    H5Tset_strpad(t, H5T_STR_NULLTERM);
    hs_status s = attr_write(obj, name, t, t, v);
    H5Tclose(t);
    return s;
}

static hs_status attr_open(hid_t obj, const char *name, const char *where, hid_t *a, H5T_class_t want,
                           const char *expected)
{
    if (H5Aexists(obj, name) <= 0)
        return hs_error_set(HS_ERR_INPUT, "%s: attribute '%s' is missing (expected %s)", where, name,
                            expected);
    *a = H5Aopen(obj, name, H5P_DEFAULT);
    if (*a < 0) return hs_error_set(HS_ERR_INPUT, "%s: cannot open attribute '%s'", where, name);
    hid_t t = H5Aget_type(*a), sp = H5Aget_space(*a);
    H5T_class_t cls = H5Tget_class(t);
    hssize_t npts = H5Sget_simple_extent_npoints(sp);
    H5Tclose(t);
    H5Sclose(sp);
    if (cls != want || npts != 1) {
        H5Aclose(*a);
        return hs_error_set(HS_ERR_INPUT, "%s: attribute '%s' has the wrong type (expected %s)", where,
                            name, expected);
    }
    return HS_OK;
}

hs_status hs_h5_attr_read_long(hid_t obj, const char *name, long *v, const char *where)
{
    hid_t a;
    HS_CHECK(attr_open(obj, name, where, &a, H5T_INTEGER, "a scalar integer"));
    long long x = 0;
    herr_t st = H5Aread(a, H5T_NATIVE_LLONG, &x);
    H5Aclose(a);
    if (st < 0) return hs_error_set(HS_ERR_INPUT, "%s: cannot read attribute '%s'", where, name);
    *v = (long)x;
    return HS_OK;
}

hs_status hs_h5_attr_read_double(hid_t obj, const char *name, double *v, const char *where)
{
    hid_t a;
    HS_CHECK(attr_open(obj, name, where, &a, H5T_FLOAT, "a scalar number"));
    herr_t st = H5Aread(a, H5T_NATIVE_DOUBLE, v);
    H5Aclose(a);
    if (st < 0) return hs_error_set(HS_ERR_INPUT, "%s: cannot read attribute '%s'", where, name);
    return HS_OK;
}

hs_status hs_h5_attr_read_str(hid_t obj, const char *name, char *buf, size_t n, const char *where)
{
    hid_t a;
    HS_CHECK(attr_open(obj, name, where, &a, H5T_STRING, "a string"));
    hid_t ft = H5Aget_type(a);
    herr_t st;
    if (H5Tis_variable_str(ft) > 0) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(ft)); /* h5py writes str as UTF-8: no ASCII conversion path */
        char *s = NULL;
        st = H5Aread(a, mt, &s);
        if (st >= 0) {
            snprintf(buf, n, "%s", s ? s : "");
            H5free_memory(s);
        }
        H5Tclose(mt);
    } else {
        size_t sz = H5Tget_size(ft);
        char *tmp = malloc(sz + 1);
        st = -1;
        if (tmp) {
            /* one byte more than stored, null-terminated: a NULLPAD string
             * that fills its size keeps its last character */
            hid_t mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, sz + 1);
            H5Tset_strpad(mt, H5T_STR_NULLTERM);
            H5Tset_cset(mt, H5Tget_cset(ft));
            st = H5Aread(a, mt, tmp);
            H5Tclose(mt);
            tmp[sz] = 0;
            if (st >= 0) snprintf(buf, n, "%s", tmp);
            free(tmp);
        }
    }
    H5Tclose(ft);
    H5Aclose(a);
    if (st < 0) return hs_error_set(HS_ERR_INPUT, "%s: cannot read attribute '%s'", where, name);
    return HS_OK;
}
