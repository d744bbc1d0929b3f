/* h5_hold.c — test helper of tests/test_runlock.sh: a reader that keeps a
 * results file open, as `status`, `query` or h5py do while they read (HDF5
 * holds its file lock meanwhile, so a writing open cannot get through).
 * Not a test itself.
 *
 *   h5_hold FILE SECONDS    opens FILE read-only (SWMR read, falling back to a
 *                           plain read-only open, as results.c does), prints
 *                           "open" on stdout, sleeps SECONDS, closes
 *
 * Exit status 0, or 1 when FILE cannot be opened. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <hdf5.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: h5_hold FILE SECONDS\n");
        return 1;
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
    hid_t f = H5Fopen(argv[1], H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, fapl);
    if (f < 0) f = H5Fopen(argv[1], H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (f < 0) {
        fprintf(stderr, "h5_hold: cannot open %s\n", argv[1]);
        return 1;
    }
    printf("open\n");
    fflush(stdout);
    const double s = atof(argv[2]);
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
    H5Fclose(f);
    return 0;
}
