/* h5_tamper.c — test helper of tests/test_errors.sh: damages an HDF5 file
 * (a checkpoint or a results file) in one precise way, so that each
 * "wrong format / version / shape" row of docs/errors.md has a file that
 * produces it without h5py. Not a test itself.
 *
 *   h5_tamper FILE attr-long   OBJECT NAME VALUE   set (replace) a 64-bit integer attribute
 *   h5_tamper FILE attr-double OBJECT NAME VALUE   set (replace) a double attribute
 *   h5_tamper FILE attr-str    OBJECT NAME VALUE   set (replace) a string attribute
 *   h5_tamper FILE attr-del    OBJECT NAME         delete an attribute
 *   h5_tamper FILE unlink      PATH                delete a dataset or group
 *   h5_tamper FILE dset        PATH float|int D... replace PATH by a zero dataset of shape D...
 *
 * OBJECT is a group path ("/", "/model"). Exit status 0, or 1 with a message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

static int fail(const char *what)
{
    fprintf(stderr, "h5_tamper: %s failed\n", what);
    return 1;
}

static int set_attr(hid_t f, const char *obj, const char *name, hid_t type, const void *v)
{
    hid_t o = H5Oopen(f, obj, H5P_DEFAULT);
    if (o < 0) return fail("H5Oopen");
    if (H5Aexists(o, name) > 0 && H5Adelete(o, name) < 0) return fail("H5Adelete");
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(o, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, type, v) < 0) return fail("H5Awrite");
    H5Aclose(a);
    H5Sclose(sp);
    H5Oclose(o);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: h5_tamper FILE attr-long|attr-double|attr-str|attr-del|unlink|dset ...\n");
        return 2;
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(argv[1], H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) return fail("H5Fopen");
    const char *op = argv[2];
    int rc = 2;
    if (!strcmp(op, "attr-long") && argc == 6) {
        long long v = strtoll(argv[5], NULL, 10);
        rc = set_attr(f, argv[3], argv[4], H5T_NATIVE_LLONG, &v);
    } else if (!strcmp(op, "attr-double") && argc == 6) {
        double v = strtod(argv[5], NULL);
        rc = set_attr(f, argv[3], argv[4], H5T_NATIVE_DOUBLE, &v);
    } else if (!strcmp(op, "attr-str") && argc == 6) {
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, strlen(argv[5]) + 1);
        rc = set_attr(f, argv[3], argv[4], t, argv[5]);
        H5Tclose(t);
    } else if (!strcmp(op, "attr-del") && argc == 5) {
        rc = H5Adelete_by_name(f, argv[3], argv[4], H5P_DEFAULT) < 0 ? fail("H5Adelete") : 0;
    } else if (!strcmp(op, "unlink") && argc == 4) {
        rc = H5Ldelete(f, argv[3], H5P_DEFAULT) < 0 ? fail("H5Ldelete") : 0;
    } else if (!strcmp(op, "dset") && argc >= 6 && argc <= 13) {
        hsize_t dims[8], n = 1;
        const int rank = argc - 5;
        for (int i = 0; i < rank; i++) n *= dims[i] = (hsize_t)strtoull(argv[5 + i], NULL, 10);
        const int is_int = !strcmp(argv[4], "int");
        void *zero = calloc(n ? n : 1, 8);
        if (H5Lexists(f, argv[3], H5P_DEFAULT) > 0) H5Ldelete(f, argv[3], H5P_DEFAULT);
        hid_t sp = H5Screate_simple(rank, dims, NULL);
        hid_t d = H5Dcreate2(f, argv[3], is_int ? H5T_STD_I32LE : H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT,
                             H5P_DEFAULT);
        rc = d < 0 || H5Dwrite(d, is_int ? H5T_NATIVE_INT : H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, zero) < 0
                 ? fail("H5Dcreate")
                 : 0;
        free(zero);
        if (d >= 0) H5Dclose(d);
        H5Sclose(sp);
    } else {
        fprintf(stderr, "h5_tamper: bad arguments for %s\n", op);
    }
    if (H5Fclose(f) < 0 && rc == 0) rc = fail("H5Fclose");
    return rc;
}
