/* safetensors.c — reader (mmap, every entry validated before use) and F32
 * writer of safetensors.h. */
#define _DEFAULT_SOURCE /* MAP_POPULATE */
#include "safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/alloc.h"
#include "json.h"

/* the reference implementation's bound: a header beyond it is hostile */
#define ST_MAX_HEADER ((uint64_t)100 << 20)

static const struct { const char *name; hs_st_dtype dt; size_t size; } DTYPES[] = {
    {"F32", HS_ST_F32, 4},   {"F16", HS_ST_F16, 2},   {"BF16", HS_ST_BF16, 2}, {"F64", HS_ST_OTHER, 8},
    {"I64", HS_ST_OTHER, 8}, {"I32", HS_ST_OTHER, 4}, {"I16", HS_ST_OTHER, 2}, {"I8", HS_ST_OTHER, 1},
    {"U64", HS_ST_OTHER, 8}, {"U32", HS_ST_OTHER, 4}, {"U16", HS_ST_OTHER, 2}, {"U8", HS_ST_OTHER, 1},
    {"BOOL", HS_ST_OTHER, 1}, {"F8_E4M3", HS_ST_OTHER, 1}, {"F8_E5M2", HS_ST_OTHER, 1},
};

static char *dupstr(const char *s, size_t n)
{
    char *d;
    if (hs_calloc((void **)&d, n + 1, 1, "string") != HS_OK) return NULL;
    memcpy(d, s, n);
    return d;
}

/* A JSON number that is a non-negative integer below 2^53 (exactly representable). */
static int as_size(const hs_json *v, size_t *out)
{
    if (!v || v->type != HS_JSON_NUM || !(v->num >= 0) || v->num > 9007199254740992.0 ||
        v->num != floor(v->num))
        return 0;
    *out = (size_t)v->num;
    return 1;
}

static hs_status bad(const char *path, const char *tensor, const char *what)
{
    return hs_error_set(HS_ERR_INPUT, "%s: tensor %s: %s", path, tensor, what);
}

static int cmp_begin(const void *a, const void *b)
{
    const hs_st_tensor *x = *(const hs_st_tensor *const *)a, *y = *(const hs_st_tensor *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

static hs_status parse_entry(hs_safetensors *f, const char *name, const hs_json *e, hs_st_tensor *t)
{
    const char *p = f->path;
    char msg[256];
    if (e->type != HS_JSON_OBJ) return bad(p, name, "expected an object with dtype, shape and data_offsets");
    const hs_json *dt = hs_json_get(e, "dtype"), *sh = hs_json_get(e, "shape"),
                  *off = hs_json_get(e, "data_offsets");
    if (!dt || dt->type != HS_JSON_STR) return bad(p, name, "no dtype: expected \"dtype\": a string such as \"F32\"");
    if (!sh || sh->type != HS_JSON_ARR) return bad(p, name, "no shape: expected \"shape\": an array of sizes");
    if (!off || off->type != HS_JSON_ARR || off->len != 2)
        return bad(p, name, "no data_offsets: expected \"data_offsets\": [begin, end]");
    t->dtype = HS_ST_OTHER;
    t->elem_size = 0;
    for (size_t i = 0; i < sizeof DTYPES / sizeof DTYPES[0]; i++)
        if (strcmp(dt->str, DTYPES[i].name) == 0) {
            t->dtype = DTYPES[i].dt;
            t->elem_size = DTYPES[i].size;
            snprintf(t->dtype_name, sizeof t->dtype_name, "%s", DTYPES[i].name);
        }
    if (!t->elem_size) {
        snprintf(msg, sizeof msg, "unknown dtype \"%.32s\": expected F32, F16, BF16 (or another safetensors dtype)",
                 dt->str);
        return bad(p, name, msg);
    }
    if (sh->len > HS_ST_MAX_RANK) {
        snprintf(msg, sizeof msg, "shape of rank %zu: expected at most %d dimensions", sh->len, HS_ST_MAX_RANK);
        return bad(p, name, msg);
    }
    t->rank = (int)sh->len;
    t->count = 1;
    int overflow = 0;
    for (size_t i = 0; i < sh->len; i++) {
        if (!as_size(&sh->items[i], &t->shape[i]))
            return bad(p, name, "shape: expected non-negative integer sizes");
        if (t->shape[i] && t->count > SIZE_MAX / t->shape[i]) overflow = 1;
        t->count *= t->shape[i];
    }
    if (!as_size(&off->items[0], &t->begin) || !as_size(&off->items[1], &t->end))
        return bad(p, name, "data_offsets: expected two non-negative integers [begin, end]");
    if (t->begin > t->end || t->end > f->data_len) {
        snprintf(msg, sizeof msg, "data_offsets [%zu, %zu] out of bounds: expected begin <= end <= %zu (the data size)",
                 t->begin, t->end, f->data_len);
        return bad(p, name, msg);
    }
    if (overflow || t->count > SIZE_MAX / t->elem_size || t->end - t->begin != t->count * t->elem_size) {
        char sb[128];
        snprintf(msg, sizeof msg, "data_offsets [%zu, %zu] hold %zu bytes: expected %s x %s = %zu bytes", t->begin,
                 t->end, t->end - t->begin, hs_st_shape_str(t, sb, sizeof sb), t->dtype_name,
                 overflow ? (size_t)0 : t->count * t->elem_size);
        return bad(p, name, msg);
    }
    return HS_OK;
}

static hs_status parse_header(hs_safetensors *f, const hs_json *h)
{
    const char *p = f->path;
    if (h->type != HS_JSON_OBJ)
        return hs_error_set(HS_ERR_INPUT, "%s: the header is not a JSON object: expected {\"tensor name\": {...}, ...}", p);
    size_t nt = 0;
    for (size_t i = 0; i < h->len; i++) {
        if (strcmp(h->keys[i], "__metadata__") == 0) {
            const hs_json *m = &h->items[i];
            if (m->type != HS_JSON_OBJ)
                return hs_error_set(HS_ERR_INPUT, "%s: __metadata__: expected an object of strings", p);
            for (size_t k = 0; k < m->len; k++)
                if (m->items[k].type != HS_JSON_STR)
                    return hs_error_set(HS_ERR_INPUT, "%s: __metadata__ key \"%.64s\": expected a string value", p,
                                        m->keys[k]);
            if (f->n_meta) return hs_error_set(HS_ERR_INPUT, "%s: __metadata__ given twice: expected once", p);
            HS_CHECK(hs_calloc((void **)&f->meta_keys, m->len + 1, sizeof(char *), "metadata"));
            HS_CHECK(hs_calloc((void **)&f->meta_vals, m->len + 1, sizeof(char *), "metadata"));
            for (size_t k = 0; k < m->len; k++) {
                f->meta_keys[k] = dupstr(m->keys[k], strlen(m->keys[k]));
                f->meta_vals[k] = dupstr(m->items[k].str, m->items[k].len);
                f->n_meta = k + 1;
                if (!f->meta_keys[k] || !f->meta_vals[k]) return HS_ERR_NOMEM;
            }
        } else
            nt++;
    }
    if (nt) HS_CHECK(hs_calloc((void **)&f->t, nt, sizeof *f->t, "tensor table"));
    for (size_t i = 0; i < h->len; i++) {
        if (strcmp(h->keys[i], "__metadata__") == 0) continue;
        for (size_t k = 0; k < f->n; k++)
            if (strcmp(f->t[k].name, h->keys[i]) == 0)
                return bad(p, h->keys[i], "named twice in the header: expected unique names");
        hs_st_tensor *t = &f->t[f->n];
        t->name = dupstr(h->keys[i], strlen(h->keys[i]));
        if (!t->name) return HS_ERR_NOMEM;
        f->n++;
        HS_CHECK(parse_entry(f, t->name, &h->items[i], t));
    }
    if (f->n > 1) {
        hs_st_tensor **order;
        HS_CHECK(hs_calloc((void **)&order, f->n, sizeof *order, "tensor order"));
        for (size_t i = 0; i < f->n; i++) order[i] = &f->t[i];
        qsort(order, f->n, sizeof *order, cmp_begin);
        hs_status s = HS_OK;
        const hs_st_tensor *a = order[0]; /* the one reaching furthest so far */
        for (size_t i = 1; i < f->n && s == HS_OK; i++) {
            const hs_st_tensor *b = order[i];
            if (b->end == b->begin) continue; /* empty tensors occupy nothing */
            if (b->begin < a->end) {
                char msg[256];
                snprintf(msg, sizeof msg, "data_offsets [%zu, %zu] overlap those of %.100s [%zu, %zu]: expected disjoint ranges",
                         b->begin, b->end, a->name, a->begin, a->end);
                s = bad(p, b->name, msg);
            }
            if (b->end > a->end) a = b;
        }
        hs_free(order);
        HS_CHECK(s);
    }
    return HS_OK;
}

hs_status hs_st_open(hs_safetensors **out, const char *path)
{
    *out = NULL;
    hs_safetensors *f;
    HS_CHECK(hs_calloc((void **)&f, 1, sizeof *f, "safetensors file"));
    hs_status s = HS_OK;
    f->path = dupstr(path, strlen(path));
    if (!f->path) {
        hs_st_close(&f);
        return HS_ERR_NOMEM;
    }
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        s = hs_error_set(errno == ENOENT ? HS_ERR_INPUT : HS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        hs_st_close(&f);
        return s;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        hs_st_close(&f);
        return hs_error_set(HS_ERR_INPUT, "%s: not a regular file: expected a .safetensors file", path);
    }
    if (st.st_size < 8) {
        close(fd);
        hs_st_close(&f);
        return hs_error_set(HS_ERR_INPUT, "%s: %lld bytes: expected at least the 8-byte header length", path,
                            (long long)st.st_size);
    }
    f->map_len = (size_t)st.st_size;
    /* MAP_POPULATE: the page tables filled in one pass, not one fault per
     * 4 KiB page while tensors are converted (bench_load: ~110k faults at 440 MB) */
#ifdef MAP_POPULATE
    void *m = mmap(NULL, f->map_len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
#else
    void *m = mmap(NULL, f->map_len, PROT_READ, MAP_PRIVATE, fd, 0);
#endif
    close(fd);
    if (m == MAP_FAILED) {
        s = hs_error_set(HS_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
        f->map_len = 0;
        hs_st_close(&f);
        return s;
    }
    f->map = m;
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--) hl = hl << 8 | f->map[i];
    if (hl > f->map_len - 8 || hl > ST_MAX_HEADER) {
        s = hs_error_set(HS_ERR_INPUT, "%s: header length %llu past the end of the file: expected at most %zu",
                         path, (unsigned long long)hl, f->map_len - 8 < ST_MAX_HEADER ? f->map_len - 8 : (size_t)ST_MAX_HEADER);
        hs_st_close(&f);
        return s;
    }
    f->data = f->map + 8 + hl;
    f->data_len = f->map_len - 8 - (size_t)hl;
    hs_json *h = NULL;
    s = hs_json_parse(&h, (const char *)f->map + 8, (size_t)hl, path);
    if (s == HS_OK) s = parse_header(f, h);
    hs_json_free(h);
    if (s != HS_OK) {
        hs_st_close(&f);
        return s;
    }
    *out = f;
    return HS_OK;
}

const hs_st_tensor *hs_st_find(const hs_safetensors *f, const char *name)
{
    for (size_t i = 0; f && i < f->n; i++)
        if (strcmp(f->t[i].name, name) == 0) return &f->t[i];
    return NULL;
}

const char *hs_st_meta(const hs_safetensors *f, const char *key)
{
    for (size_t i = 0; f && i < f->n_meta; i++)
        if (strcmp(f->meta_keys[i], key) == 0) return f->meta_vals[i];
    return NULL;
}

size_t hs_st_cols(const hs_st_tensor *t) { return t->rank ? t->shape[t->rank - 1] : 1; }

size_t hs_st_rows(const hs_st_tensor *t)
{
    size_t c = hs_st_cols(t);
    return c ? t->count / c : 0;
}

const char *hs_st_shape_str(const hs_st_tensor *t, char *buf, size_t n)
{
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < t->rank && k < n; i++) k += (size_t)snprintf(buf + k, n - k, i ? ", %zu" : "%zu", t->shape[i]);
    if (k < n) snprintf(buf + k, n - k, "]");
    return buf;
}

float hs_st_f16_to_f32(unsigned short h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 0x1F, m = h & 0x3FF, bits;
    if (e == 0x1F)
        bits = sign | 0x7F800000u | (m << 13); /* inf, nan (payload kept) */
    else if (e)
        bits = sign | ((e + 112) << 23) | (m << 13);
    else if (!m)
        bits = sign;
    else { /* subnormal: normalise */
        int k = -1;
        do {
            k++;
            m <<= 1;
        } while (!(m & 0x400));
        bits = sign | ((uint32_t)(112 - k) << 23) | ((m & 0x3FF) << 13);
    }
    float x;
    memcpy(&x, &bits, 4);
    return x;
}

float hs_st_bf16_to_f32(unsigned short b)
{
    uint32_t bits = (uint32_t)b << 16;
    float x;
    memcpy(&x, &bits, 4);
    return x;
}

static inline float elem(const unsigned char *p, hs_st_dtype dt)
{
    if (dt == HS_ST_F32) {
        uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        float x;
        memcpy(&x, &u, 4);
        return x;
    }
    unsigned short h = (unsigned short)(p[0] | p[1] << 8);
    return dt == HS_ST_F16 ? hs_st_f16_to_f32(h) : hs_st_bf16_to_f32(h);
}

hs_status hs_st_read_block(const hs_safetensors *f, const hs_st_tensor *t, size_t r0, size_t nr, size_t c0,
                           size_t nc, hs_real *dst, size_t ld, int transpose)
{
    if (t->dtype == HS_ST_OTHER)
        return hs_error_set(HS_ERR_INPUT, "%s: tensor %s: dtype %s: expected F32, F16 or BF16", f->path, t->name,
                            t->dtype_name);
    const size_t cols = hs_st_cols(t);
    HS_ASSERT(r0 + nr <= hs_st_rows(t) && c0 + nc <= cols);
    const unsigned char *base = f->data + t->begin;
    /* F32 on a little-endian host: the file's bytes are the floats */
    const int f32 = t->dtype == HS_ST_F32 && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
    if (f32 && !transpose) { /* straight rows from the mapping: one copy */
        for (size_t i = 0; i < nr; i++) {
            const unsigned char *row = base + ((r0 + i) * cols + c0) * 4;
#ifdef HS_REAL_DOUBLE
            for (size_t j = 0; j < nc; j++) dst[i * ld + j] = (hs_real)elem(row + j * 4, HS_ST_F32);
#else
            memcpy(dst + i * ld, row, nc * 4);
#endif
        }
        return HS_OK;
    }
    if (f32 && transpose) {
        /* in tiles, so reads and writes both stay within a few cache lines
         * (a column at a time strides by the row length on every write) */
        enum { TILE = 16 };
        for (size_t i0 = 0; i0 < nr; i0 += TILE)
            for (size_t j0 = 0; j0 < nc; j0 += TILE) {
                const size_t i1 = i0 + TILE < nr ? i0 + TILE : nr, j1 = j0 + TILE < nc ? j0 + TILE : nc;
                float tile[TILE][TILE];
                /* a whole tile's rows with a constant size: inlined, not a
                 * library call per 64 bytes (that was most of a BERT-base load) */
                if (j1 - j0 == TILE)
                    for (size_t i = i0; i < i1; i++)
                        memcpy(tile[i - i0], base + ((r0 + i) * cols + c0 + j0) * 4, sizeof tile[0]);
                else
                    for (size_t i = i0; i < i1; i++)
                        memcpy(tile[i - i0], base + ((r0 + i) * cols + c0 + j0) * 4, (j1 - j0) * 4);
                for (size_t j = j0; j < j1; j++)
                    for (size_t i = i0; i < i1; i++) dst[j * ld + i] = (hs_real)tile[i - i0][j - j0];
            }
        return HS_OK;
    }
    for (size_t i = 0; i < nr; i++) {
        const unsigned char *row = base + ((r0 + i) * cols + c0) * t->elem_size;
        if (transpose)
            for (size_t j = 0; j < nc; j++) dst[j * ld + i] = (hs_real)elem(row + j * t->elem_size, t->dtype);
        else
            for (size_t j = 0; j < nc; j++) dst[i * ld + j] = (hs_real)elem(row + j * t->elem_size, t->dtype);
    }
    return HS_OK;
}

void hs_st_close(hs_safetensors **fp)
{
    hs_safetensors *f = *fp;
    if (!f) return;
    if (f->map) munmap(f->map, f->map_len);
    for (size_t i = 0; i < f->n; i++) hs_free(f->t[i].name);
    hs_free(f->t);
    for (size_t i = 0; i < f->n_meta; i++) {
        hs_free(f->meta_keys[i]);
        hs_free(f->meta_vals[i]);
    }
    hs_free(f->meta_keys);
    hs_free(f->meta_vals);
    hs_free(f->path);
    hs_free(f);
    *fp = NULL;
}

/* --- writer ----------------------------------------------------------------- */

static int cmp_out(const void *a, const void *b)
{
    return strcmp((*(const hs_st_out *const *)a)->name, (*(const hs_st_out *const *)b)->name);
}

static void json_str(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(fp, "\\%c", c);
        else if (c < 0x20) fprintf(fp, "\\u%04x", c);
        else fputc(c, fp);
    }
    fputc('"', fp);
}

hs_status hs_st_write(const char *path, const hs_st_out *tensors, size_t n)
{
    const hs_st_out **order = NULL;
    if (n) HS_CHECK(hs_calloc((void **)&order, n, sizeof *order, "tensor order"));
    for (size_t i = 0; i < n; i++) order[i] = &tensors[i];
    if (n > 1) qsort(order, n, sizeof *order, cmp_out);
    /* the header goes through a memory stream first: its length comes first */
    char *hbuf = NULL;
    size_t hlen = 0;
    FILE *h = open_memstream(&hbuf, &hlen);
    if (!h) {
        hs_free(order);
        return hs_error_set(HS_ERR_NOMEM, "%s: no memory for the header", path);
    }
    fputc('{', h);
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        const hs_st_out *t = order[i];
        size_t cnt = 1;
        json_str(h, t->name);
        fputs(":{\"dtype\":\"F32\",\"shape\":[", h);
        for (int r = 0; r < t->rank; r++) {
            fprintf(h, r ? ",%zu" : "%zu", t->shape[r]);
            cnt *= t->shape[r];
        }
        fprintf(h, "],\"data_offsets\":[%zu,%zu]},", off, off + 4 * cnt);
        off += 4 * cnt;
    }
    fputs("\"__metadata__\":{\"format\":\"pt\"}}", h);
    fclose(h);
    while (hlen % 8) { /* pad with spaces as the reference writer does */
        char *nb = realloc(hbuf, hlen + 2);
        if (!nb) break;
        hbuf = nb;
        hbuf[hlen++] = ' ';
        hbuf[hlen] = 0;
    }
    hs_status s = HS_OK;
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        s = hs_error_set(HS_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    } else {
        unsigned char len8[8];
        for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
        int ok = fwrite(len8, 1, 8, fp) == 8 && fwrite(hbuf, 1, hlen, fp) == hlen;
        unsigned char buf[4096];
        size_t nb = 0;
        for (size_t i = 0; ok && i < n; i++) {
            const hs_st_out *t = order[i];
            size_t cnt = 1;
            for (int r = 0; r < t->rank; r++) cnt *= t->shape[r];
            for (size_t k = 0; k < cnt && ok; k++) {
                uint32_t u;
                memcpy(&u, &t->data[k], 4);
                for (int b = 0; b < 4; b++) buf[nb++] = (unsigned char)(u >> (8 * b));
                if (nb == sizeof buf) {
                    ok = fwrite(buf, 1, nb, fp) == nb;
                    nb = 0;
                }
            }
        }
        if (ok && nb) ok = fwrite(buf, 1, nb, fp) == nb;
        if (fclose(fp) != 0) ok = 0;
        if (!ok) s = hs_error_set(HS_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    }
    free(hbuf);
    hs_free(order);
    return s;
}
