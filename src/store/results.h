/* results.h — the sweep's one results file (docs/design.md "The results file";
 * layout in docs/results-format.md).
 *
 * Root attributes: format "headsweep-results", format_version, tool_version,
 * created, sweep_path, sweep_text (the whole sweep file), fingerprint.
 * Datasets, all created before any work starts (SWMR forbids creating
 * objects later): /points [N] and /base_jobs [B] (compound rows), /masks
 * [N][Lmax][Hmax] uint8 (255 = no such head in this task's model),
 * /importance [N][Lmax][Hmax] float32, /curves [N][C] float64 (NaN-padded),
 * /errors [N] and /base_errors [B] (fixed-length text), /checkpoints/<task>/
 * seed_<s> (a checkpoint group per base job, parameters written when the job
 * is done), /tasks/<name> (attributes of each task).
 *
 * One writer (the coordinator). After creation the file is switched to SWMR
 * writing; every row written is flushed, so `status`, `query` and h5py read
 * it while the sweep runs. */
#ifndef HS_STORE_RESULTS_H
#define HS_STORE_RESULTS_H

#include <hdf5.h>
#include <stdint.h>

#include "../core/model.h"
#include "checkpoint.h"
#include "columns.h"

#define HS_RESULTS_FORMAT "headsweep-results"
#define HS_RESULTS_VERSION 1
#define HS_NAME_LEN 32
#define HS_HOST_LEN 64
#define HS_ERROR_LEN 256
#define HS_CURVE_WIDTH 128
#define HS_MASK_ABSENT 255
/* Metadata read attempts of a live (SWMR) reader. HDF5's default is 100,
 * sleeping 1 ns doubled after each failed checksum, so a damaged file hung
 * `query` and `status` for ever (tests/fuzz/fuzz_results); 28 attempts wait
 * at most ~0.27 s for a writer's half-written metadata before an error. */
#define HS_RESULTS_READ_ATTEMPTS 28

enum { HS_STATUS_PENDING = 0, HS_STATUS_DONE = 1, HS_STATUS_FAILED = 2 };

/* One row of /points and of /base_jobs: members, in file order, from the
 * lists in columns.h. */
typedef struct {
    HS_POINT_COLUMNS(HS_COL_MEMBER)
} hs_point_row;

typedef struct {
    HS_BASE_COLUMNS(HS_COL_MEMBER)
} hs_base_row;

/* A row not yet computed: every column's pending value (columns.h). */
void hs_point_row_init(hs_point_row *row);
void hs_base_row_init(hs_base_row *row);

/* What the coordinator knows before any work: the grid and the shapes. */
typedef struct {
    const char *sweep_path, *sweep_text, *tool_version;
    uint64_t fingerprint;
    long n_points, n_base;
    const hs_point_row *points;   /* initial rows (pending) */
    const hs_base_row *bases;
    int n_tasks;
    const char *const *task_names;
    const hs_config *task_shapes;  /* model shape per task (checkpoint layout) */
    const hs_attr *const *task_attrs; /* per task: attributes of /tasks/<name> */
    const int *n_task_attrs;
    const hs_config *base_shapes;  /* per base job: its model shape (checkpoint layout) */
    const hs_attr *root_attrs;     /* more root attributes (the libraries' versions), or NULL */
    int n_root_attrs;
} hs_results_layout;

typedef struct hs_results hs_results;

/* Creates path (which must not exist) with every dataset, then switches to
 * SWMR writing. */
hs_status hs_results_create(hs_results **out, const char *path, const hs_results_layout *lay);

/* Opens an existing results file. write = 1: for resuming (SWMR writing; a
 * file a reader holds is waited for, ~10 s; a file whose superblock says it
 * was left open for writing is repaired with `h5clear -s --increment=0`
 * first, with a message on stderr, only while this process holds the run
 * lock (runlock.h), else refused); write = 0: read-only, live (SWMR read). */
hs_status hs_results_open(hs_results **out, const char *path, int write);

/* Closes (flushes) and frees; NULL is fine. */
hs_status hs_results_close(hs_results **r);

/* Sizes and root attributes of an open file. */
long hs_results_n_points(const hs_results *r);
long hs_results_n_base(const hs_results *r);
int hs_results_max_layers(const hs_results *r);
int hs_results_max_heads(const hs_results *r);
uint64_t hs_results_fingerprint(const hs_results *r);
/* The stored sweep text (owned by r). */
const char *hs_results_sweep_text(const hs_results *r);

/* Writes point i's row, mask/importance ([Lmax][Hmax]) and curve (NULL, or
 * a row with curve_len 0, leaves them) and its error text (NULL leaves it:
 * pass "" to clear the text of an earlier failed attempt), then flushes. */
hs_status hs_results_write_point(hs_results *r, long i, const hs_point_row *row,
                                 const uint8_t *mask, const float *importance, const double *curve,
                                 const char *error);

/* Writes base job i's row, error text, and (when m is non-NULL) its
 * parameters into its checkpoint group; flushes. */
hs_status hs_results_write_base(hs_results *r, long i, const hs_base_row *row, const hs_model *m,
                                const char *error);

/* Reads all rows (arrays of n_points / n_base owned by the caller); a column
 * the file does not have gets its pending value (columns.h). */
hs_status hs_results_read_points(hs_results *r, hs_point_row *rows);
hs_status hs_results_read_bases(hs_results *r, hs_base_row *rows);
/* Reads point i's mask and importance ([Lmax][Hmax]); curve [HS_CURVE_WIDTH] may be NULL. */
hs_status hs_results_read_point_arrays(hs_results *r, long i, uint8_t *mask, float *importance,
                                       double *curve);
/* Reads the error text of point i (or of base job i when base = 1). */
hs_status hs_results_read_error(hs_results *r, long i, int base, char *buf, size_t n);
/* Reads the attribute NAME of /tasks/<task> into buf (an integer one as
 * its decimal text); *found = 0
 * (and buf "") when the file has no such attribute (older files). */
hs_status hs_results_task_attr(hs_results *r, const char *task, const char *name, char *buf, size_t n,
                               int *found);
/* Loads base job i's model from its checkpoint group. */
hs_status hs_results_read_base_model(hs_results *r, long i, hs_model **out);

/* Makes sure everything written so far is on disk (fsync). */
hs_status hs_results_sync(hs_results *r);

/* The HDF5 compound types of a /points row (hs_point_row) and a /base_jobs
 * row (hs_base_row), as the file stores them; the caller closes them. Also
 * what the fuzz harnesses write into damaged files. */
hid_t hs_results_point_type(void);
hid_t hs_results_base_type(void);

#endif
