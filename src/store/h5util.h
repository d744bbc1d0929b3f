/* h5util.h — the HDF5 boundary: every HDF5 call's failure becomes an
 * hs_status with a message naming the file/object (docs/design.md, "Code conventions"). HDF5's own
 * error stack printing is switched off by hs_h5_init; we report instead. */
#ifndef HS_STORE_H5UTIL_H
#define HS_STORE_H5UTIL_H

#include <hdf5.h>
#include <stddef.h>

#include "../core/error.h"

/* Silences HDF5's automatic error printing (call once at start-up). */
void hs_h5_init(void);

/* Wraps a call returning herr_t/hid_t/htri_t: a negative value records
 * HS_ERR_INTERNAL "HDF5 <what> failed (<file>)" and returns it. */
#define HS_H5(call, what, where)                                                             \
    do {                                                                                     \
        if ((call) < 0)                                                                      \
            return hs_error_set(HS_ERR_INTERNAL, "HDF5 %s failed (%s)", (what), (where));    \
    } while (0)

/* Why the HDF5 call that just failed could not do its I/O: the errno its
 * POSIX driver recorded in the error stack ("errno = 28" after a write on a
 * full disk), else errno if set, else EIO. Call right after the failure. */
int hs_h5_errno(void);

/* Opens an existing HDF5 file read-only. Missing file, unreadable file or a
 * file that is not HDF5 → HS_ERR_INPUT naming path and what was expected. */
hs_status hs_h5_open_read(const char *path, hid_t *file);

/* 1 if every component of the absolute or relative path exists under loc. */
int hs_h5_exists(hid_t loc, const char *path);

/* Scalar attribute writers (replace an existing attribute of that name). */
hs_status hs_h5_attr_write_long(hid_t obj, const char *name, long v);
hs_status hs_h5_attr_write_double(hid_t obj, const char *name, double v);
hs_status hs_h5_attr_write_str(hid_t obj, const char *name, const char *v);

/* Scalar attribute readers. A missing attribute or one of the wrong class is
 * HS_ERR_INPUT naming `where` (e.g. "ckpt.h5:/model") and the attribute. */
hs_status hs_h5_attr_read_long(hid_t obj, const char *name, long *v, const char *where);
hs_status hs_h5_attr_read_double(hid_t obj, const char *name, double *v, const char *where);
/* Fixed-length or variable-length strings; truncates to n-1 bytes. */
hs_status hs_h5_attr_read_str(hid_t obj, const char *name, char *buf, size_t n, const char *where);

#endif
