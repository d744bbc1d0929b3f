/* safetensors.h — .safetensors files (Hugging Face's tensor container):
 * an 8-byte little-endian header length N, N bytes of JSON
 * {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__":
 * {str: str}}, then the data (offsets relative to its start, row-major,
 * little-endian). The reader maps the file and checks every entry before
 * anything is used; tensors are converted straight from the mapping
 * (F32, F16, BF16 → hs_real). The writer writes F32. */
#ifndef HS_PRETRAINED_SAFETENSORS_H
#define HS_PRETRAINED_SAFETENSORS_H

#include <stddef.h>

#include "../core/error.h"
#include "../core/real.h"

#define HS_ST_MAX_RANK 8

typedef enum { HS_ST_F32, HS_ST_F16, HS_ST_BF16, HS_ST_OTHER } hs_st_dtype;

typedef struct {
    char *name;
    hs_st_dtype dtype;
    char dtype_name[12];   /* as in the file ("F32", "I64", ...) */
    size_t elem_size;      /* bytes per element */
    int rank;
    size_t shape[HS_ST_MAX_RANK];
    size_t count;          /* product of shape (1 for rank 0) */
    size_t begin, end;     /* byte range within the data buffer */
} hs_st_tensor;

typedef struct {
    char *path;
    unsigned char *map;    /* the whole file, read-only */
    size_t map_len;
    const unsigned char *data; /* the data buffer (after the header) */
    size_t data_len;
    size_t n;              /* tensors, in header order */
    hs_st_tensor *t;
    size_t n_meta;         /* __metadata__ entries */
    char **meta_keys, **meta_vals;
} hs_safetensors;

/* Maps and validates path: header length within the file, the header a JSON
 * object, every tensor with a known dtype, a shape of non-negative integers
 * and data_offsets in bounds, not overlapping, of shape × dtype bytes,
 * __metadata__ string → string. Errors (HS_ERR_INPUT; HS_ERR_IO when the file
 * cannot be opened) name the file, the tensor and what was expected. */
hs_status hs_st_open(hs_safetensors **out, const char *path);

/* The tensor of that name, or NULL. */
const hs_st_tensor *hs_st_find(const hs_safetensors *f, const char *name);

/* The __metadata__ value of key, or NULL. */
const char *hs_st_meta(const hs_safetensors *f, const char *key);

/* Copies a block of t, seen as a matrix [rows][cols] (rank 1: [1][n];
 * rank ≥ 2: the last dimension is cols), into dst: source rows r0..r0+nr-1,
 * columns c0..c0+nc-1. transpose = 0: dst[i·ld + j] = src[r0+i][c0+j];
 * transpose = 1: dst[j·ld + i] = src[r0+i][c0+j]. Converts F16/BF16;
 * other dtypes are refused (HS_ERR_INPUT naming the file and tensor).
 * The block must lie within the tensor (HS_ASSERT: the caller checks shapes). */
hs_status hs_st_read_block(const hs_safetensors *f, const hs_st_tensor *t, size_t r0, size_t nr, size_t c0,
                           size_t nc, hs_real *dst, size_t ld, int transpose);

/* Rows/cols of t seen as a matrix (as hs_st_read_block). */
size_t hs_st_rows(const hs_st_tensor *t);
size_t hs_st_cols(const hs_st_tensor *t);

/* Formats t's shape as "[a, b]" into buf. */
const char *hs_st_shape_str(const hs_st_tensor *t, char *buf, size_t n);

void hs_st_close(hs_safetensors **f);

/* Element conversions (exact), exposed for tests. */
float hs_st_f16_to_f32(unsigned short h);
float hs_st_bf16_to_f32(unsigned short b);

/* A tensor to write: float32 data, row-major. */
typedef struct {
    const char *name;
    int rank;
    size_t shape[HS_ST_MAX_RANK];
    const float *data;
} hs_st_out;

/* Writes tensors (sorted by name in the file, contiguous) as F32 with
 * __metadata__ {"format": "pt"}. HS_ERR_IO names the file on failure. */
hs_status hs_st_write(const char *path, const hs_st_out *tensors, size_t n);

#endif
