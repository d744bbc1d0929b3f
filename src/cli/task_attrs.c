/* task_attrs.c — hs_task_spec ⇄ HDF5 attributes (see task_attrs.h). */
#include "task_attrs.h"

#include <stddef.h>
#include <string.h>

#include "../store/h5util.h"

typedef enum { F_STR, F_INT, F_LONG, F_U64, F_REAL } field_type;
static const struct {
    const char *name;
    field_type type;
    size_t off;
} fields[] = {
    {"task_name", F_STR, offsetof(hs_task_spec, name)},
    {"task_kind", F_STR, offsetof(hs_task_spec, kind)},
    {"task_seed", F_U64, offsetof(hs_task_spec, seed)},
    {"task_generator", F_STR, offsetof(hs_task_spec, generator)},
    {"task_seq_len", F_INT, offsetof(hs_task_spec, seq_len)},
    {"task_symbols", F_INT, offsetof(hs_task_spec, symbols)},
    {"task_brackets", F_INT, offsetof(hs_task_spec, brackets)},
    {"task_n_train", F_LONG, offsetof(hs_task_spec, n_train)},
    {"task_n_prune", F_LONG, offsetof(hs_task_spec, n_prune)},
    {"task_n_test", F_LONG, offsetof(hs_task_spec, n_test)},
    {"task_path", F_STR, offsetof(hs_task_spec, path)},
    {"task_tokenizer", F_STR, offsetof(hs_task_spec, tokenizer)},
    {"task_max_len", F_INT, offsetof(hs_task_spec, max_len)},
    {"task_vocab_size", F_INT, offsetof(hs_task_spec, vocab_size)},
    {"task_min_count", F_INT, offsetof(hs_task_spec, min_count)},
    {"task_prune_fraction", F_REAL, offsetof(hs_task_spec, prune_fraction)},
    {"task_patch", F_INT, offsetof(hs_task_spec, patch)},
};
#define NFIELDS (sizeof fields / sizeof fields[0])

int hs_task_spec_attrs(const hs_task_spec *t, hs_attr *out, int cap)
{
    const char *base = (const char *)t;
    int n = 0;
    for (size_t i = 0; i < NFIELDS && n < cap; i++) {
        const void *p = base + fields[i].off;
        hs_attr a = {fields[i].name, HS_ATTR_LONG, 0, 0, NULL};
        switch (fields[i].type) {
        case F_STR:
            if (!*(const char *const *)p) continue;
            a.type = HS_ATTR_STR;
            a.s = *(const char *const *)p;
            break;
        case F_INT:
            if (!(a.l = *(const int *)p)) continue;
            break;
        case F_LONG:
            if (!(a.l = *(const long *)p)) continue;
            break;
        case F_U64:
            a.l = (long)*(const uint64_t *)p;
            break;
        case F_REAL:
            if (!(a.d = *(const double *)p)) continue;
            a.type = HS_ATTR_DOUBLE;
            break;
        }
        out[n++] = a;
    }
    return n;
}

hs_status hs_task_spec_read(hid_t obj, hs_task_spec *t, char *buf, size_t n, const char *where)
{
    memset(t, 0, sizeof *t);
    char *base = (char *)t;
    size_t used = 0;
    for (size_t i = 0; i < NFIELDS; i++) {
        if (H5Aexists(obj, fields[i].name) <= 0) continue;
        void *p = base + fields[i].off;
        long v;
        switch (fields[i].type) {
        case F_STR:
            if (used + 1 >= n) return hs_error_set(HS_ERR_INPUT, "%s: task attributes too long", where);
            HS_CHECK(hs_h5_attr_read_str(obj, fields[i].name, buf + used, n - used, where));
            *(const char **)p = buf + used;
            used += strlen(buf + used) + 1;
            break;
        case F_INT:
            HS_CHECK(hs_h5_attr_read_long(obj, fields[i].name, &v, where));
            *(int *)p = (int)v;
            break;
        case F_LONG:
            HS_CHECK(hs_h5_attr_read_long(obj, fields[i].name, &v, where));
            *(long *)p = v;
            break;
        case F_U64:
            HS_CHECK(hs_h5_attr_read_long(obj, fields[i].name, &v, where));
            *(uint64_t *)p = (uint64_t)v;
            break;
        case F_REAL:
            HS_CHECK(hs_h5_attr_read_double(obj, fields[i].name, (double *)p, where));
            break;
        }
    }
    if (!t->name || !t->kind)
        return hs_error_set(HS_ERR_INPUT, "%s: the checkpoint does not name its task (train it with this headsweep)",
                            where);
    return HS_OK;
}
