/* task_attrs.c — hs_task_spec ⇄ HDF5 attributes (see task_attrs.h). */
#include "task_attrs.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "../store/h5util.h"

/* The spec's own fields, then every kind setting of the registry
 * (tasks/kinds.c) as "task_<name>", in registry order. */
enum { NCOMMON = 3 };
static const struct {
    const char *name;
    size_t off;
} common[NCOMMON] = {
    {"task_name", offsetof(hs_task_spec, name)},
    {"task_kind", offsetof(hs_task_spec, kind)},
    {"task_seed", offsetof(hs_task_spec, seed)},
};

/* "task_" + the setting's name, kept for the life of the process (the
 * attributes point at them). */
static const char *attr_name(int i)
{
    static char names[64][40];
    int n;
    const hs_task_field *f = &hs_task_fields(&n)[i];
    HS_ASSERT(n <= 64 && strlen(f->name) + 6 <= sizeof names[i]);
    if (!names[i][0]) snprintf(names[i], sizeof names[i], "task_%s", f->name);
    return names[i];
}

int hs_task_spec_attrs(const hs_task_spec *t, hs_attr *out, int cap)
{
    const char *base = (const char *)t;
    int n = 0, nf;
    const hs_task_field *f = hs_task_fields(&nf);
    for (int i = 0; i < 2 && n < cap; i++)
        if (*(const char *const *)(base + common[i].off))
            out[n++] = (hs_attr){common[i].name, HS_ATTR_STR, 0, 0, *(const char *const *)(base + common[i].off)};
    if (n < cap) out[n++] = (hs_attr){common[2].name, HS_ATTR_LONG, (long)t->seed, 0, NULL};
    for (int i = 0; i < nf && n < cap; i++) {
        const void *p = base + f[i].off;
        hs_attr a = {attr_name(i), HS_ATTR_LONG, 0, 0, NULL};
        switch (f[i].type) {
        case HS_TF_STR:
        case HS_TF_CHOICE:
            if (!*(const char *const *)p) continue;
            a.type = HS_ATTR_STR;
            a.s = *(const char *const *)p;
            break;
        case HS_TF_INT:
            if (!(a.l = *(const int *)p)) continue;
            break;
        case HS_TF_LONG:
            if (!(a.l = *(const long *)p)) continue;
            break;
        case HS_TF_REAL:
            if (!(a.d = *(const double *)p)) continue;
            a.type = HS_ATTR_DOUBLE;
            break;
        }
        out[n++] = a;
    }
    return n;
}

/* Reads string attribute name into buf at *used, pointing *dst at it. */
static hs_status read_str(hid_t obj, const char *name, const char **dst, char *buf, size_t n, size_t *used,
                          const char *where)
{
    if (*used + 1 >= n) return hs_error_set(HS_ERR_INPUT, "%s: task attributes too long", where);
    HS_CHECK(hs_h5_attr_read_str(obj, name, buf + *used, n - *used, where));
    *dst = buf + *used;
    *used += strlen(buf + *used) + 1;
    return HS_OK;
}

hs_status hs_task_spec_read(hid_t obj, hs_task_spec *t, char *buf, size_t n, const char *where)
{
    memset(t, 0, sizeof *t);
    char *base = (char *)t;
    size_t used = 0;
    long v;
    for (int i = 0; i < 2; i++)
        if (H5Aexists(obj, common[i].name) > 0)
            HS_CHECK(read_str(obj, common[i].name, (const char **)(base + common[i].off), buf, n, &used, where));
    if (H5Aexists(obj, common[2].name) > 0) {
        HS_CHECK(hs_h5_attr_read_long(obj, common[2].name, &v, where));
        t->seed = (uint64_t)v;
    }
    int nf;
    const hs_task_field *f = hs_task_fields(&nf);
    for (int i = 0; i < nf; i++) {
        const char *name = attr_name(i);
        if (H5Aexists(obj, name) <= 0) continue;
        void *p = base + f[i].off;
        switch (f[i].type) {
        case HS_TF_STR:
        case HS_TF_CHOICE: HS_CHECK(read_str(obj, name, (const char **)p, buf, n, &used, where)); break;
        case HS_TF_INT:
            HS_CHECK(hs_h5_attr_read_long(obj, name, &v, where));
            *(int *)p = (int)v;
            break;
        case HS_TF_LONG:
            HS_CHECK(hs_h5_attr_read_long(obj, name, &v, where));
            *(long *)p = v;
            break;
        case HS_TF_REAL: HS_CHECK(hs_h5_attr_read_double(obj, name, (double *)p, where)); break;
        }
    }
    if (!t->name || !t->kind)
        return hs_error_set(HS_ERR_INPUT, "%s: the checkpoint does not name its task (train it with this headsweep)",
                            where);
    return HS_OK;
}
