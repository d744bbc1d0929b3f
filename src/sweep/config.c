/* config.c — reading and validating a sweep file (see config.h and
 * docs/sweep-file.md).
 *
 * libconfig parses the text; everything after that is ours: each group's
 * members are checked against the settings it may hold (unknown names are
 * errors: a typo must never be ignored silently), each value's type and
 * range, then the defaults are filled in and merged (per-task model/train
 * over the top-level ones over the built-in defaults). Every message has the
 * form "FILE:LINE: <setting path> = <value>: expected <what>" so the user
 * can jump to the line; a missing setting names the line of the group that
 * should hold it. Sweep files are small (tens to hundreds of lines): nothing
 * here is performance-sensitive. */
#include "config.h"

#include <errno.h>
#include <libconfig.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../core/alloc.h"

/* Paths of settings in messages ("tasks[1].model.d_model"). */
#define PATH_LEN 160

typedef struct {
    const char *file; /* for messages */
    hs_sweep *sw;
} parser;

/* --- strings owned by the sweep ------------------------------------------ */

/* Copies s[0..len) into the sweep's pool; *out is NUL-terminated. */
static hs_status pool_strndup(hs_sweep *sw, const char *s, size_t len, char **out)
{
    if (sw->n_pool == sw->cap_pool) {
        const int cap = sw->cap_pool ? 2 * sw->cap_pool : 16;
        char **p;
        HS_CHECK(hs_calloc((void **)&p, (size_t)cap, sizeof *p, "sweep strings"));
        if (sw->n_pool) memcpy(p, sw->pool, sizeof *p * (size_t)sw->n_pool);
        hs_free(sw->pool);
        sw->pool = p;
        sw->cap_pool = cap;
    }
    char *c;
    HS_CHECK(hs_calloc((void **)&c, len + 1, 1, "sweep string"));
    memcpy(c, s, len);
    sw->pool[sw->n_pool++] = c;
    *out = c;
    return HS_OK;
}

static hs_status pool_strdup(hs_sweep *sw, const char *s, char **out)
{
    return pool_strndup(sw, s, strlen(s), out);
}

/* --- messages --------------------------------------------------------------- */

/* A value as the user wrote it, on one line: strings quoted (control
 * characters as '?', long ones cut), lists abbreviated. */
static void render(const config_setting_t *s, char *buf, size_t n)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT: snprintf(buf, n, "%d", config_setting_get_int(s)); break;
    case CONFIG_TYPE_INT64: snprintf(buf, n, "%lld", (long long)config_setting_get_int64(s)); break;
    case CONFIG_TYPE_FLOAT: snprintf(buf, n, "%g", config_setting_get_float(s)); break;
    case CONFIG_TYPE_BOOL: snprintf(buf, n, "%s", config_setting_get_bool(s) ? "true" : "false"); break;
    case CONFIG_TYPE_STRING: {
        const char *v = config_setting_get_string(s);
        size_t o = 0, cut = n > 56 ? 48 : n / 2;
        if (o + 1 < n) buf[o++] = '"';
        for (size_t i = 0; v[i] && o + 5 < n; i++) {
            if (i == cut) {
                memcpy(buf + o, "...", 3);
                o += 3;
                break;
            }
            buf[o++] = (unsigned char)v[i] < 32 || v[i] == 127 ? '?' : v[i];
        }
        if (o + 1 < n) buf[o++] = '"';
        buf[o] = 0;
        break;
    }
    case CONFIG_TYPE_GROUP: snprintf(buf, n, config_setting_length(s) ? "{ ... }" : "{ }"); break;
    case CONFIG_TYPE_ARRAY:
    case CONFIG_TYPE_LIST: {
        const int list = config_setting_type(s) == CONFIG_TYPE_LIST;
        const int len = config_setting_length(s);
        size_t o = (size_t)snprintf(buf, n, "%s", list ? "(" : "[");
        for (int i = 0; i < len && o + 16 < n; i++) {
            if (i == 6) {
                o += (size_t)snprintf(buf + o, n - o, ", ...");
                break;
            }
            char el[32];
            render(config_setting_get_elem(s, (unsigned)i), el, sizeof el);
            o += (size_t)snprintf(buf + o, n - o, "%s%s", i ? ", " : "", el);
        }
        if (o + 2 < n) snprintf(buf + o, n - o, "%s", list ? ")" : "]");
        break;
    }
    default: snprintf(buf, n, "?");
    }
}

/* "FILE:LINE: PATH = VALUE: <fmt>" (VALUE NULL: "FILE:LINE: PATH: <fmt>";
 * line 0: no line). Returns HS_ERR_INPUT. */
static hs_status err_at(const parser *P, int line, const char *path, const char *value, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static hs_status err_at(const parser *P, int line, const char *path, const char *value, const char *fmt, ...)
{
    char msg[768], where[64] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line > 0) snprintf(where, sizeof where, "%d:", line);
    if (value)
        return hs_error_set(HS_ERR_INPUT, "%s:%s %s = %s: %s", P->file, where, path, value, msg);
    return hs_error_set(HS_ERR_INPUT, "%s:%s %s: %s", P->file, where, path, msg);
}

static int line_of(const config_setting_t *s) { return s ? (int)config_setting_source_line(s) : 0; }

/* A bad value of setting s at path: "FILE:LINE: path = value: <fmt>". */
static hs_status bad(const parser *P, const config_setting_t *s, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static hs_status bad(const parser *P, const config_setting_t *s, const char *path, const char *fmt, ...)
{
    char msg[640], value[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    render(s, value, sizeof value);
    return err_at(P, line_of(s), path, value, "%s", msg);
}

/* A setting path into out[PATH_LEN] (cut if longer: it is only for messages). */
static void set_path(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_path(char *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, PATH_LEN, fmt, ap);
    va_end(ap);
}

static void join(char *out, const char *parent, const char *name)
{
    set_path(out, "%s%s%s", parent, *parent ? "." : "", name);
}

/* "a, b, c" from a NULL-terminated list. */
static void list_names(char *buf, size_t n, const char *const *names)
{
    size_t o = 0;
    buf[0] = 0;
    for (int i = 0; names[i] && o + 1 < n; i++)
        o += (size_t)snprintf(buf + o, n - o, "%s%s", i ? ", " : "", names[i]);
}

static int in_list(const char *name, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        if (!strcmp(name, names[i])) return 1;
    return 0;
}

/* Every member of group g must be in one of the NULL-terminated lists a, b
 * (b may be NULL); `what` says whose settings they are. */
static hs_status check_members(const parser *P, config_setting_t *g, const char *gpath, const char *what,
                               const char *const *a, const char *const *b)
{
    const int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
        const char *name = config_setting_name(s);
        if (in_list(name, a) || (b && in_list(name, b))) continue;
        char path[PATH_LEN], la[512], lb[512] = "";
        join(path, gpath, name);
        list_names(la, sizeof la, a);
        if (b) list_names(lb, sizeof lb, b);
        return bad(P, s, path, "unknown setting; expected one of the settings of %s: %s%s%s", what, la,
                   b && b[0] ? ", " : "", lb);
    }
    return HS_OK;
}

/* --- typed readers: absent settings leave *out alone, *given = 0 ------------- */

static config_setting_t *member(config_setting_t *g, const char *name)
{
    return g ? config_setting_get_member(g, name) : NULL;
}

static int is_number(const config_setting_t *s)
{
    const int t = config_setting_type(s);
    return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64 || t == CONFIG_TYPE_FLOAT;
}

static double number_of(const config_setting_t *s)
{
    return config_setting_type(s) == CONFIG_TYPE_FLOAT ? config_setting_get_float(s)
                                                       : (double)config_setting_get_int64(s);
}

/* An integer in lo..hi. A float with an integral value (1e4) is accepted. */
static hs_status get_int_at(const parser *P, config_setting_t *s, const char *path, long lo, long hi, long *out)
{
    const int t = config_setting_type(s);
    long long v;
    if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) {
        v = config_setting_get_int64(s);
    } else if (t == CONFIG_TYPE_FLOAT) {
        const double d = config_setting_get_float(s);
        if (!isfinite(d) || d != floor(d) || fabs(d) > 9e18)
            return bad(P, s, path, "expected an integer in %ld..%ld", lo, hi);
        v = (long long)d;
    } else {
        return bad(P, s, path, "expected an integer in %ld..%ld", lo, hi);
    }
    if (v < lo || v > hi) return bad(P, s, path, "expected an integer in %ld..%ld", lo, hi);
    *out = (long)v;
    return HS_OK;
}

/* A number in lo..hi (hi excluded when hi_open). Integers are accepted. */
static hs_status get_real_at(const parser *P, config_setting_t *s, const char *path, double lo, double hi,
                             int hi_open, double *out)
{
    const char *close = hi_open ? ")" : "]";
    if (!is_number(s)) return bad(P, s, path, "expected a number in [%g, %g%s", lo, hi, close);
    const double v = number_of(s);
    if (!isfinite(v) || v < lo || v > hi || (hi_open && v == hi))
        return bad(P, s, path, "expected a number in [%g, %g%s", lo, hi, close);
    *out = v;
    return HS_OK;
}

static hs_status get_int(const parser *P, config_setting_t *g, const char *gpath, const char *name, long lo,
                         long hi, long *out, int *given)
{
    config_setting_t *s = member(g, name);
    if (given) *given = s != NULL;
    if (!s) return HS_OK;
    char path[PATH_LEN];
    join(path, gpath, name);
    return get_int_at(P, s, path, lo, hi, out);
}

static hs_status get_real(const parser *P, config_setting_t *g, const char *gpath, const char *name, double lo,
                          double hi, double *out, int *given)
{
    config_setting_t *s = member(g, name);
    if (given) *given = s != NULL;
    if (!s) return HS_OK;
    char path[PATH_LEN];
    join(path, gpath, name);
    return get_real_at(P, s, path, lo, hi, 0, out);
}

/* Names of tasks, labels and the sweep: they become HDF5 paths and file
 * names, so letters, digits, '_', '-', '.' only, not starting with '.'. */
static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || s[0] == '.' || s[0] == '-') return 0;
    for (size_t i = 0; i < n; i++) {
        const char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              c == '.'))
            return 0;
    }
    return 1;
}

#define NAME_RULE "a name of 1..64 letters, digits, '_', '-', '.' (not starting with '.' or '-')"

/* A string copied into the sweep; `name_rule` additionally restricts it to
 * valid_name; an empty string is never accepted. */
static hs_status get_string(const parser *P, config_setting_t *g, const char *gpath, const char *name,
                            int name_rule, char **out, int *given)
{
    config_setting_t *s = member(g, name);
    if (given) *given = s != NULL;
    if (!s) return HS_OK;
    char path[PATH_LEN];
    join(path, gpath, name);
    if (config_setting_type(s) != CONFIG_TYPE_STRING)
        return bad(P, s, path, "expected a string%s%s", name_rule ? ": " : "", name_rule ? NAME_RULE : "");
    const char *v = config_setting_get_string(s);
    if (name_rule && !valid_name(v)) return bad(P, s, path, "expected " NAME_RULE);
    if (!*v) return bad(P, s, path, "expected a non-empty string");
    return pool_strdup(P->sw, v, out);
}

/* One of the NULL-terminated choices (index into *out). */
static hs_status get_choice(const parser *P, config_setting_t *g, const char *gpath, const char *name,
                            const char *const *choices, int *out, int *given)
{
    config_setting_t *s = member(g, name);
    if (given) *given = s != NULL;
    if (!s) return HS_OK;
    char path[PATH_LEN], list[256];
    join(path, gpath, name);
    list_names(list, sizeof list, choices);
    if (config_setting_type(s) == CONFIG_TYPE_STRING)
        for (int i = 0; choices[i]; i++)
            if (!strcmp(choices[i], config_setting_get_string(s))) {
                *out = i;
                return HS_OK;
            }
    return bad(P, s, path, "expected one of the strings %s", list);
}

/* s must be a group (or absent). */
static hs_status need_group(const parser *P, config_setting_t *s, const char *path, const char *example)
{
    if (s && config_setting_type(s) != CONFIG_TYPE_GROUP)
        return bad(P, s, path, "expected a group %s", example);
    return HS_OK;
}

/* --- model and train groups: partial values merged top → task ------------- */

typedef struct {
    const char *name;
    int is_int;
    double lo, hi;
    double def; /* < 0: derived (d_ff = 4·d_model, warmup = steps/10) */
} num_def;

enum { M_D, M_H, M_L, M_FF, M_COUNT };
static const num_def model_defs[M_COUNT] = {
    {"d_model", 1, 1, 65536, 64}, {"heads", 1, 1, 1024, 8}, {"layers", 1, 1, 1024, 4}, {"d_ff", 1, 1, 1 << 20, -1}};
static const char *const model_names[] = {"d_model", "heads", "layers", "d_ff", "pretrained", NULL};

enum { T_STEPS, T_BATCH, T_LR, T_WARMUP, T_WD, T_CLIP, T_MICRO, T_COUNT };
static const num_def train_defs[T_COUNT] = {
    {"steps", 1, 0, 1e8, 2000},    {"batch", 1, 1, 65536, 32},       {"lr", 0, 0, 10, 1e-3},
    {"warmup", 1, 0, 1e8, -1},     {"weight_decay", 0, 0, 10, 0.01}, {"clip", 0, 0, 1e9, 1.0},
    {"micro_batches", 1, 1, 65536, 1}};
static const char *const train_names[] = {"steps", "batch", "lr", "warmup", "weight_decay", "clip", "micro_batches",
                                          NULL};

#define MAX_NUM 8
/* Values of a model or train group with where each came from. */
typedef struct {
    double v[MAX_NUM];
    int given[MAX_NUM];
    int line[MAX_NUM];
    char path[MAX_NUM][PATH_LEN];
} num_group;

/* Reads group g (NULL = absent) at gpath against defs into out (only the
 * members present are marked given). */
static hs_status get_num_group(const parser *P, config_setting_t *g, const char *gpath, const num_def *defs,
                               int n, const char *const *names, const char *example, num_group *out)
{
    HS_CHECK(need_group(P, g, gpath, example));
    if (!g) return HS_OK;
    char what[PATH_LEN + 8];
    snprintf(what, sizeof what, "'%s'", gpath);
    HS_CHECK(check_members(P, g, gpath, what, names, NULL));
    for (int i = 0; i < n; i++) {
        config_setting_t *s = member(g, defs[i].name);
        if (!s) continue;
        char path[PATH_LEN];
        join(path, gpath, defs[i].name);
        if (defs[i].is_int) {
            long v;
            HS_CHECK(get_int_at(P, s, path, (long)defs[i].lo, (long)defs[i].hi, &v));
            out->v[i] = (double)v;
        } else {
            HS_CHECK(get_real_at(P, s, path, defs[i].lo, defs[i].hi, 0, &out->v[i]));
        }
        out->given[i] = 1;
        out->line[i] = line_of(s);
        set_path(out->path[i], "%s", path);
    }
    return HS_OK;
}

/* over's given values replace base's. */
static void merge_num(num_group *base, const num_group *over, int n)
{
    for (int i = 0; i < n; i++)
        if (over->given[i]) {
            base->v[i] = over->v[i];
            base->given[i] = 1;
            base->line[i] = over->line[i];
            memcpy(base->path[i], over->path[i], PATH_LEN);
        }
}

/* Fills defaults (derived ones last) and checks the cross-field rules of one
 * task's model and train; errors point at the setting the value came from,
 * or at the task (line tline) for a default. */
static hs_status resolve_model_train(const parser *P, num_group *m, num_group *t, int tline, const char *tpath,
                                     hs_sweep_shape *shape, hs_sweep_train *train)
{
    for (int i = 0; i < M_COUNT; i++)
        if (!m->given[i]) {
            m->v[i] = model_defs[i].def >= 0 ? model_defs[i].def : 4 * m->v[M_D];
            m->line[i] = tline;
            set_path(m->path[i], "%s.model.%s (default)", tpath, model_defs[i].name);
        }
    for (int i = 0; i < T_COUNT; i++)
        if (!t->given[i]) {
            t->v[i] = train_defs[i].def >= 0 ? train_defs[i].def : floor(t->v[T_STEPS] / 10);
            t->line[i] = tline;
            set_path(t->path[i], "%s.train.%s (default)", tpath, train_defs[i].name);
        }
    const long d = (long)m->v[M_D], h = (long)m->v[M_H];
    char v[32];
    if (d % h) {
        /* blame the value set closest to the task: a task's own override
         * before a top-level setting, d_model when both are equally close */
        const int d_task = m->given[M_D] && !strncmp(m->path[M_D], "tasks[", 6);
        const int h_task = m->given[M_H] && !strncmp(m->path[M_H], "tasks[", 6);
        const int at = m->given[M_H] && (!m->given[M_D] || (h_task && !d_task)) ? M_H : M_D;
        snprintf(v, sizeof v, "%ld", at == M_D ? d : h);
        return at == M_D ? err_at(P, m->line[M_D], m->path[M_D], v, "expected a multiple of heads = %ld (%s)", h,
                                  m->path[M_H])
                         : err_at(P, m->line[M_H], m->path[M_H], v, "expected a divisor of d_model = %ld (%s)", d,
                                  m->path[M_D]);
    }
    if (t->v[T_WARMUP] > t->v[T_STEPS]) {
        snprintf(v, sizeof v, "%ld", (long)t->v[T_WARMUP]);
        return err_at(P, t->line[T_WARMUP], t->path[T_WARMUP], v, "expected at most steps = %ld (%s)",
                      (long)t->v[T_STEPS], t->path[T_STEPS]);
    }
    if (t->v[T_MICRO] > t->v[T_BATCH]) {
        snprintf(v, sizeof v, "%ld", (long)t->v[T_MICRO]);
        return err_at(P, t->line[T_MICRO], t->path[T_MICRO], v,
                      "expected at most batch = %ld (%s): each micro-batch holds at least one row",
                      (long)t->v[T_BATCH], t->path[T_BATCH]);
    }
    *shape = (hs_sweep_shape){(int)m->v[M_D], (int)h, (int)m->v[M_L], (int)m->v[M_FF]};
    *train = (hs_sweep_train){(long)t->v[T_STEPS], (int)t->v[T_BATCH], t->v[T_LR], (long)t->v[T_WARMUP],
                              t->v[T_WD], t->v[T_CLIP], (int)t->v[T_MICRO]};
    return HS_OK;
}

/* --- tasks --------------------------------------------------------------- */

static const char *const task_common[] = {"name", "kind", "model", "train", NULL};

/* A kind's setting, validated by its registry entry (tasks/kinds.c). */
static hs_status read_task_field(const parser *P, config_setting_t *g, const char *gpath, const hs_task_field *f,
                                 hs_task_spec *spec)
{
    char *base = (char *)spec + f->off;
    long v;
    int given;
    switch (f->type) {
    case HS_TF_STR: {
        char *s = NULL;
        HS_CHECK(get_string(P, g, gpath, f->name, 0, &s, &given));
        if (given) *(const char **)base = s;
        return HS_OK;
    }
    case HS_TF_CHOICE: {
        int i = 0;
        HS_CHECK(get_choice(P, g, gpath, f->name, f->choices, &i, &given));
        if (given) *(const char **)base = f->choices[i];
        return HS_OK;
    }
    case HS_TF_INT:
        HS_CHECK(get_int(P, g, gpath, f->name, (long)f->lo, (long)f->hi, &v, &given));
        if (given) *(int *)base = (int)v;
        return HS_OK;
    case HS_TF_LONG:
        HS_CHECK(get_int(P, g, gpath, f->name, (long)f->lo, (long)f->hi, &v, &given));
        if (given) *(long *)base = v;
        return HS_OK;
    case HS_TF_REAL: return get_real(P, g, gpath, f->name, f->lo, f->hi, (double *)base, &given);
    }
    return HS_OK;
}

/* model.pretrained: the folder, where it was set. */
typedef struct {
    const char *dir;
    int line;
    char path[PATH_LEN];
} pretrained_ref;

static hs_status get_pretrained(const parser *P, config_setting_t *g, const char *gpath, pretrained_ref *out)
{
    char *dir = NULL;
    int given = 0;
    HS_CHECK(get_string(P, g, gpath, "pretrained", 0, &dir, &given));
    if (!given) return HS_OK;
    config_setting_t *s = member(g, "pretrained");
    out->dir = dir;
    out->line = line_of(s);
    join(out->path, gpath, "pretrained");
    return HS_OK;
}

/* A task on a pretrained model: the shape comes from the folder's
 * config.json (an explicit d_model/heads/layers/d_ff is an error: it cannot
 * change a checkpoint), the tokenizer from its vocabulary files when the
 * task asks for tokenizer = "pretrained". */
static hs_status resolve_pretrained(const parser *P, const pretrained_ref *pre, num_group *m, num_group *tr,
                                    hs_sweep_task *t, const char *gpath)
{
    for (int i = 0; i < M_COUNT; i++)
        if (m->given[i]) {
            char v[32];
            snprintf(v, sizeof v, "%g", m->v[i]);
            return err_at(P, m->line[i], m->path[i], v, "the shape of a pretrained model comes from %s/config.json "
                          "(%s, line %d): remove this setting", pre->dir, pre->path, pre->line);
        }
    hs_config c;
    int has_cls = 0;
    if (hs_sweep_pretrained_config(pre->dir, &c, &has_cls) != HS_OK) {
        char why[768];
        snprintf(why, sizeof why, "%s", hs_error_message());
        hs_error_clear();
        return err_at(P, pre->line, pre->path, NULL, "%s", why);
    }
    if (!strcmp(t->spec.kind, "images"))
        return err_at(P, pre->line, pre->path, NULL, "an images task cannot use a pretrained text model (%s)",
                      pre->dir);
    if (!strcmp(t->spec.kind, "tsv")) {
        if (!t->spec.tokenizer) t->spec.tokenizer = "pretrained"; /* the model's own ids */
        if (strcmp(t->spec.tokenizer, "pretrained"))
            return err_at(P, t->line, gpath, NULL,
                          "tokenizer = \"%s\" gives ids the pretrained model %s does not know: expected "
                          "tokenizer = \"pretrained\" (the default with model.pretrained)",
                          t->spec.tokenizer, pre->dir);
    }
    for (int i = 0; i < M_COUNT; i++) m->given[i] = 1; /* no derived defaults */
    m->v[M_D] = c.d_model;
    m->v[M_H] = c.heads;
    m->v[M_L] = c.layers;
    m->v[M_FF] = c.d_ff;
    t->pretrained = pre->dir;
    t->pre_cfg = c;
    t->pre_has_classifier = has_cls;
    HS_CHECK(resolve_model_train(P, m, tr, t->line, gpath, &t->model, &t->train));
    if (t->train.steps == 0 && !has_cls)
        return err_at(P, pre->line, pre->path, NULL,
                      "%s has no classification head, so train.steps = 0 leaves nothing to evaluate: "
                      "expected train.steps > 0 (fine-tuning a fresh head)", pre->dir);
    if (t->spec.tokenizer && !strcmp(t->spec.tokenizer, "pretrained") &&
        hs_sweep_pretrained_encoder(pre->dir, &t->encoder) != HS_OK) {
        char why[768];
        snprintf(why, sizeof why, "%s", hs_error_message());
        hs_error_clear();
        char path[PATH_LEN];
        join(path, gpath, "tokenizer");
        return err_at(P, t->line, path, "\"pretrained\"", "%s", why);
    }
    t->spec.encoder = t->encoder;
    return HS_OK;
}

static hs_status parse_task(const parser *P, config_setting_t *g, int index, const num_group *top_model,
                            const num_group *top_train, const pretrained_ref *top_pre, hs_sweep_task *t)
{
    char gpath[PATH_LEN];
    snprintf(gpath, sizeof gpath, "tasks[%d]", index);
    HS_CHECK(need_group(P, g, gpath, "{ name = \"...\"; kind = \"...\"; ... }"));
    t->line = line_of(g);
    char *name = NULL;
    int given, kind = 0;
    HS_CHECK(get_string(P, g, gpath, "name", 1, &name, &given));
    if (!given) {
        char path[PATH_LEN];
        join(path, gpath, "name");
        return err_at(P, t->line, path, NULL, "missing: expected name = \"...\" (" NAME_RULE ")");
    }
    HS_CHECK(get_choice(P, g, gpath, "kind", hs_task_kind_names(), &kind, &given));
    if (!given) {
        char path[PATH_LEN];
        join(path, gpath, "kind");
        return err_at(P, t->line, path, NULL, "missing: expected kind = one of %s", hs_task_kind_list());
    }
    int nk;
    const hs_task_kind *k = &hs_task_kinds(&nk)[kind];
    char what[96];
    snprintf(what, sizeof what, "a %s task", k->name);
    HS_CHECK(check_members(P, g, gpath, what, task_common, k->fields));
    memset(&t->spec, 0, sizeof t->spec);
    t->name = name;
    t->spec.name = name;
    t->spec.kind = k->name;
    for (int i = 0; k->fields[i]; i++) {
        const hs_task_field *f = hs_task_field_find(k->fields[i]);
        HS_ASSERT(f);
        HS_CHECK(read_task_field(P, g, gpath, f, &t->spec));
    }
    if (!member(g, k->required)) {
        char path[PATH_LEN], need[256];
        join(path, gpath, k->required);
        const hs_task_field *f = hs_task_field_find(k->required);
        HS_ASSERT(f);
        if (f->type == HS_TF_CHOICE) {
            int len = snprintf(need, sizeof need, "%s = one of ", f->name);
            for (int i = 0; f->choices[i] && len > 0 && len < (int)sizeof need; i++)
                len += snprintf(need + len, sizeof need - (size_t)len, "%s%s", i ? ", " : "", f->choices[i]);
        } else {
            snprintf(need, sizeof need, "%s = \"...\"", f->name);
        }
        return err_at(P, t->line, path, NULL, "missing: a %s task needs %s", k->name, need);
    }
    num_group m = *top_model, tr = *top_train, mo, to;
    memset(&mo, 0, sizeof mo);
    memset(&to, 0, sizeof to);
    char sub[PATH_LEN];
    join(sub, gpath, "model");
    HS_CHECK(get_num_group(P, member(g, "model"), sub, model_defs, M_COUNT, model_names,
                           "{ d_model = ...; heads = ...; layers = ...; d_ff = ...; }", &mo));
    pretrained_ref pre = *top_pre;
    HS_CHECK(get_pretrained(P, member(g, "model"), sub, &pre));
    join(sub, gpath, "train");
    HS_CHECK(get_num_group(P, member(g, "train"), sub, train_defs, T_COUNT, train_names,
                           "{ steps = ...; batch = ...; lr = ...; ... }", &to));
    merge_num(&m, &mo, M_COUNT);
    merge_num(&tr, &to, T_COUNT);
    if (pre.dir) return resolve_pretrained(P, &pre, &m, &tr, t, gpath);
    if (t->spec.tokenizer && !strcmp(t->spec.tokenizer, "pretrained")) {
        char path[PATH_LEN];
        join(path, gpath, "tokenizer");
        return bad(P, member(g, "tokenizer"), path, "expected a model.pretrained folder to take the tokenizer from "
                                                    "(model = { pretrained = \"DIR\"; };)");
    }
    return resolve_model_train(P, &m, &tr, t->line, gpath, &t->model, &t->train);
}

/* --- methods ------------------------------------------------------------- */

static hs_status parse_method(const parser *P, config_setting_t *g, int index, hs_sweep_method *e)
{
    char gpath[PATH_LEN], path[PATH_LEN];
    snprintf(gpath, sizeof gpath, "methods[%d]", index);
    HS_CHECK(need_group(P, g, gpath, "{ name = \"...\"; <settings> }"));
    e->line = line_of(g);
    config_setting_t *ns = member(g, "name");
    join(path, gpath, "name");
    if (!ns)
        return err_at(P, e->line, path, NULL, "missing: expected name = one of %s", hs_method_names());
    if (config_setting_type(ns) != CONFIG_TYPE_STRING ||
        !(e->method = hs_method_find(config_setting_get_string(ns))))
        return bad(P, ns, path, "expected a registered method: %s", hs_method_names());
    const hs_method *m = e->method;
    const char *names[HS_MAX_SETTINGS + 1];
    for (int i = 0; i < m->n_settings; i++) names[i] = m->settings[i].name;
    names[m->n_settings] = NULL;
    static const char *const common[] = {"name", "label", NULL};
    char what[96];
    snprintf(what, sizeof what, "method %s", m->name);
    HS_CHECK(check_members(P, g, gpath, what, common, names));
    char *label = NULL;
    int given;
    HS_CHECK(get_string(P, g, gpath, "label", 1, &label, &given));
    e->label = given ? label : m->name;
    hs_settings_defaults(m, &e->set);
    for (int i = 0; i < m->n_settings; i++) {
        const hs_setting_def *d = &m->settings[i];
        config_setting_t *s = member(g, d->name);
        if (!s) continue;
        join(path, gpath, d->name);
        switch (d->type) {
        case HS_SET_INT: {
            long v;
            HS_CHECK(get_int_at(P, s, path, (long)d->lo, (long)d->hi, &v));
            e->set.v[i] = (double)v;
            break;
        }
        case HS_SET_REAL: HS_CHECK(get_real_at(P, s, path, d->lo, d->hi, 0, &e->set.v[i])); break;
        case HS_SET_BOOL:
            if (config_setting_type(s) != CONFIG_TYPE_BOOL) return bad(P, s, path, "expected true or false");
            e->set.v[i] = config_setting_get_bool(s) ? 1 : 0;
            break;
        case HS_SET_CHOICE: {
            int c = 0;
            HS_CHECK(get_choice(P, g, gpath, d->name, d->choices, &c, NULL));
            e->set.v[i] = c;
            break;
        }
        }
    }
    return HS_OK;
}

/* --- lists of numbers ---------------------------------------------------- */

/* seeds / ratios: an array [..] or a list (..) of numbers, non-empty,
 * distinct. is_int: integers in 0..2^31-1; else numbers in [0, 1). */
static hs_status parse_axis(const parser *P, config_setting_t *s, const char *name, int is_int, double **reals,
                            long **ints, int *n_out)
{
    const char *what = is_int ? "a non-empty list of distinct integers in 0..2147483647, e.g. [1, 2, 3]"
                              : "a non-empty list of distinct numbers in [0, 1), e.g. [0.0, 0.25, 0.5]";
    const int t = config_setting_type(s);
    if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) return bad(P, s, name, "expected %s", what);
    const int n = config_setting_length(s);
    if (n == 0) return bad(P, s, name, "expected %s", what);
    if (is_int)
        HS_CHECK(hs_calloc((void **)ints, (size_t)n, sizeof **ints, name));
    else
        HS_CHECK(hs_calloc((void **)reals, (size_t)n, sizeof **reals, name));
    for (int i = 0; i < n; i++) {
        config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        char path[PATH_LEN];
        snprintf(path, sizeof path, "%s[%d]", name, i);
        /* array elements carry no line of their own in libconfig: use the list's */
        const config_setting_t *at = line_of(e) ? e : s;
        double v;
        if (is_int) {
            long x;
            HS_CHECK(get_int_at(P, e, path, 0, 2147483647L, &x));
            (*ints)[i] = x;
            v = (double)x;
        } else {
            HS_CHECK(get_real_at(P, e, path, 0, 1, 1, &v));
            (*reals)[i] = v;
        }
        for (int j = 0; j < i; j++)
            if ((is_int ? (double)(*ints)[j] : (*reals)[j]) == v) {
                char value[64];
                render(e, value, sizeof value);
                return err_at(P, line_of(at), path, value, "expected distinct values (%s[%d] is the same)", name, j);
            }
    }
    *n_out = n;
    return HS_OK;
}

/* --- the file --------------------------------------------------------------- */

static const char *const top_names[] = {"name", "output", "seed",    "seeds",    "model", "train",
                                        "tasks", "methods", "ratios", "finetune", "kd", "run", NULL};

/* The default sweep name: the file's base name without its extension. */
static hs_status default_name(const parser *P, char **out)
{
    const char *b = strrchr(P->file, '/');
    b = b ? b + 1 : P->file;
    const char *dot = strrchr(b, '.');
    size_t n = dot && dot != b ? (size_t)(dot - b) : strlen(b);
    HS_CHECK(pool_strndup(P->sw, b, n, out));
    if (!valid_name(*out))
        return err_at(P, 0, "name", NULL,
                      "missing, and the file name '%s' is not a valid default: expected name = \"...\" (" NAME_RULE ")",
                      *out);
    return HS_OK;
}

static hs_status parse_root(const parser *P, config_setting_t *root)
{
    hs_sweep *sw = P->sw;
    int given;
    HS_CHECK(check_members(P, root, "", "a sweep file", top_names, NULL));

    HS_CHECK(get_string(P, root, "", "name", 1, &sw->name, &given));
    if (!given) HS_CHECK(default_name(P, &sw->name));
    HS_CHECK(get_string(P, root, "", "output", 0, &sw->output, &given));
    if (!given) {
        char buf[128];
        snprintf(buf, sizeof buf, "results/%s.h5", sw->name);
        HS_CHECK(pool_strdup(sw, buf, &sw->output));
    }
    long seed = 0;
    HS_CHECK(get_int(P, root, "", "seed", 0, 2147483647L, &seed, NULL));
    sw->seed = (uint64_t)seed;

    config_setting_t *s = member(root, "seeds");
    if (s) {
        HS_CHECK(parse_axis(P, s, "seeds", 1, NULL, &sw->seeds, &sw->n_seeds));
    } else {
        HS_CHECK(hs_calloc((void **)&sw->seeds, 1, sizeof *sw->seeds, "seeds"));
        sw->seeds[0] = 1;
        sw->n_seeds = 1;
    }

    num_group top_model, top_train;
    memset(&top_model, 0, sizeof top_model);
    memset(&top_train, 0, sizeof top_train);
    HS_CHECK(get_num_group(P, member(root, "model"), "model", model_defs, M_COUNT, model_names,
                           "{ d_model = ...; heads = ...; layers = ...; d_ff = ...; }", &top_model));
    HS_CHECK(get_num_group(P, member(root, "train"), "train", train_defs, T_COUNT, train_names,
                           "{ steps = ...; batch = ...; lr = ...; ... }", &top_train));
    pretrained_ref top_pre = {0};
    HS_CHECK(get_pretrained(P, member(root, "model"), "model", &top_pre));

    s = member(root, "tasks");
    if (!s) return err_at(P, 0, "tasks", NULL, "missing: expected tasks = ( { name = ...; kind = ...; }, ... )");
    if (config_setting_type(s) != CONFIG_TYPE_LIST || config_setting_length(s) == 0)
        return bad(P, s, "tasks", "expected a non-empty list ( { name = ...; kind = ...; }, ... )");
    sw->n_tasks = config_setting_length(s);
    HS_CHECK(hs_calloc((void **)&sw->tasks, (size_t)sw->n_tasks, sizeof *sw->tasks, "sweep tasks"));
    for (int i = 0; i < sw->n_tasks; i++) {
        config_setting_t *g = config_setting_get_elem(s, (unsigned)i);
        HS_CHECK(parse_task(P, g, i, &top_model, &top_train, &top_pre, &sw->tasks[i]));
        for (int j = 0; j < i; j++)
            if (!strcmp(sw->tasks[j].name, sw->tasks[i].name)) {
                char path[PATH_LEN];
                snprintf(path, sizeof path, "tasks[%d].name", i);
                return bad(P, member(g, "name"), path, "expected a unique task name (tasks[%d] on line %d has it)", j,
                           sw->tasks[j].line);
            }
    }

    s = member(root, "methods");
    if (!s) return err_at(P, 0, "methods", NULL, "missing: expected methods = ( { name = ...; }, ... )");
    if (config_setting_type(s) != CONFIG_TYPE_LIST || config_setting_length(s) == 0)
        return bad(P, s, "methods", "expected a non-empty list ( { name = \"random\"; }, ... )");
    sw->n_methods = config_setting_length(s);
    HS_CHECK(hs_calloc((void **)&sw->methods, (size_t)sw->n_methods, sizeof *sw->methods, "sweep methods"));
    for (int i = 0; i < sw->n_methods; i++) {
        config_setting_t *g = config_setting_get_elem(s, (unsigned)i);
        HS_CHECK(parse_method(P, g, i, &sw->methods[i]));
        for (int j = 0; j < i; j++)
            if (!strcmp(sw->methods[j].label, sw->methods[i].label)) {
                char path[PATH_LEN];
                config_setting_t *ls = member(g, "label");
                snprintf(path, sizeof path, "methods[%d].%s", i, ls ? "label" : "name");
                return bad(P, ls ? ls : member(g, "name"), path, "expected a unique label (methods[%d] on line %d has it%s)",
                           j, sw->methods[j].line,
                           ls ? "" : "; add label = \"...\" to tell entries of one method apart");
            }
    }

    s = member(root, "ratios");
    if (!s) return err_at(P, 0, "ratios", NULL, "missing: expected ratios = [0.0, 0.25, 0.5] (fractions of heads removed)");
    HS_CHECK(parse_axis(P, s, "ratios", 0, &sw->ratios, NULL, &sw->n_ratios));

    s = member(root, "finetune");
    static const char *const ft_names[] = {"steps", "lr", "params", "quantize", NULL};
    HS_CHECK(need_group(P, s, "finetune", "{ steps = ...; lr = ...; }"));
    if (s) HS_CHECK(check_members(P, s, "finetune", "'finetune'", ft_names, NULL));
    sw->finetune_steps = 0;
    sw->finetune_lr = 0;
    sw->finetune_params = HS_FT_ALL;
    sw->quantize = HS_QUANT_NONE;
    HS_CHECK(get_int(P, s, "finetune", "steps", 0, 100000000L, &sw->finetune_steps, NULL));
    HS_CHECK(get_real(P, s, "finetune", "lr", 0, 10, &sw->finetune_lr, &sw->finetune_lr_given));
    HS_CHECK(get_choice(P, s, "finetune", "params", hs_ft_params_names, &sw->finetune_params, NULL));
    HS_CHECK(get_choice(P, s, "finetune", "quantize", hs_quant_names, &sw->quantize, NULL));
    if (sw->finetune_params != HS_FT_ALL && sw->finetune_steps == 0)
        return bad(P, member(s, "params"), "finetune.params",
                   "chooses what fine-tuning updates: expected finetune.steps > 0 (or params = \"all\")");

    s = member(root, "kd");
    static const char *const kd_names[] = {"alpha", "temperature", NULL};
    HS_CHECK(need_group(P, s, "kd", "{ alpha = ...; temperature = ...; }"));
    if (s) HS_CHECK(check_members(P, s, "kd", "'kd'", kd_names, NULL));
    sw->kd_alpha = 0;
    sw->kd_temperature = 2;
    HS_CHECK(get_real(P, s, "kd", "alpha", 0, 1, &sw->kd_alpha, NULL));
    HS_CHECK(get_real(P, s, "kd", "temperature", 0.01, 100, &sw->kd_temperature, NULL));
    if (sw->kd_alpha > 0 && sw->finetune_steps == 0)
        return bad(P, member(s, "alpha"), "kd.alpha",
                   "distillation applies to fine-tuning: expected finetune.steps > 0 (or kd.alpha = 0)");

    s = member(root, "run");
    static const char *const run_names[] = {"batch", "latency_repeats", "point_timeout", "retries", "grace", "threads",
                                            NULL};
    HS_CHECK(need_group(P, s, "run", "{ batch = ...; latency_repeats = ...; ... }"));
    if (s) HS_CHECK(check_members(P, s, "run", "'run'", run_names, NULL));
    long batch = 64, lat = 5, retries = 1, threads = 1;
    sw->point_timeout = 0;
    sw->grace = 30;
    HS_CHECK(get_int(P, s, "run", "batch", 1, 65536, &batch, NULL));
    HS_CHECK(get_int(P, s, "run", "latency_repeats", 0, 64, &lat, NULL));
    HS_CHECK(get_real(P, s, "run", "point_timeout", 0, 1e7, &sw->point_timeout, NULL));
    HS_CHECK(get_int(P, s, "run", "retries", 0, 100, &retries, NULL));
    HS_CHECK(get_real(P, s, "run", "grace", 0, 86400, &sw->grace, NULL));
    HS_CHECK(get_int(P, s, "run", "threads", 1, 1024, &threads, NULL));
    sw->threads = (int)threads;
    sw->batch = (int)batch;
    sw->latency_repeats = (int)lat;
    sw->retries = (int)retries;
    return HS_OK;
}

hs_status hs_sweep_load_text(const char *text, const char *file, hs_sweep *sw)
{
    memset(sw, 0, sizeof *sw);
    HS_CHECK(pool_strdup(sw, file, &sw->file));
    HS_CHECK(pool_strdup(sw, text, &sw->text));
    parser P = {sw->file, sw};
    config_t cfg;
    config_init(&cfg);
    hs_status s = HS_OK;
    if (!config_read_string(&cfg, sw->text)) {
        const char *efile = config_error_file(&cfg);
        const char *etext = config_error_text(&cfg);
        const char *hint = strstr(etext, "mismatched element type")
                               ? " (an array [..] holds one type: write 0.0, not 0, among numbers like 0.25)"
                               : "";
        /* libconfig's own text is often just "syntax error" */
        const int plain = !strcmp(etext, "syntax error");
        s = hs_error_set(HS_ERR_INPUT, "%s:%d: syntax error%s%s%s", efile ? efile : sw->file,
                         config_error_line(&cfg), plain ? "" : ": ", plain ? "" : etext, hint);
    } else {
        s = parse_root(&P, config_root_setting(&cfg));
    }
    config_destroy(&cfg);
    if (s == HS_OK) s = hs_sweep_grid_build(sw);
    return s;
}

hs_status hs_sweep_load(const char *path, hs_sweep *sw)
{
    memset(sw, 0, sizeof *sw);
    FILE *f = fopen(path, "rb");
    if (!f) return hs_error_set(HS_ERR_INPUT, "cannot open sweep file %s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    hs_status s = HS_OK;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            size_t ncap = cap ? 2 * cap : 16384;
            char *nb;
            s = hs_calloc((void **)&nb, ncap, 1, "sweep file text");
            if (s != HS_OK) break;
            if (len) memcpy(nb, buf, len);
            hs_free(buf);
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0) break;
    }
    if (s == HS_OK && ferror(f)) s = hs_error_set(HS_ERR_INPUT, "cannot read sweep file %s: %s", path, strerror(errno));
    fclose(f);
    if (s == HS_OK && memchr(buf, 0, len))
        s = hs_error_set(HS_ERR_INPUT, "%s: not a text file (contains a NUL byte)", path);
    if (s == HS_OK) {
        buf[len] = 0;
        s = hs_sweep_load_text(buf, path, sw);
    }
    hs_free(buf);
    return s;
}

void hs_sweep_free(hs_sweep *sw)
{
    if (!sw) return;
    for (int i = 0; i < sw->n_pool; i++) hs_free(sw->pool[i]);
    for (int i = 0; i < sw->n_tasks && sw->tasks; i++) hs_sweep_pretrained_encoder_free(&sw->tasks[i].encoder);
    hs_free(sw->pool);
    hs_free(sw->seeds);
    hs_free(sw->tasks);
    hs_free(sw->methods);
    hs_free(sw->ratios);
    hs_free(sw->bases);
    hs_free(sw->points);
    memset(sw, 0, sizeof *sw);
}

/* --- helpers for the runner ----------------------------------------------- */

void hs_sweep_task_spec(const hs_sweep *sw, int task, int seed, hs_task_spec *out)
{
    HS_ASSERT(task >= 0 && task < sw->n_tasks && seed >= 0 && seed < sw->n_seeds);
    *out = sw->tasks[task].spec;
    out->seed = hs_sweep_data_seed(sw, task, seed);
}

hs_status hs_sweep_task_open(const hs_sweep *sw, int task, int seed, hs_task **out)
{
    hs_task_spec spec;
    hs_sweep_task_spec(sw, task, seed, &spec);
    hs_status s = hs_task_open(out, &spec);
    if (s != HS_OK) {
        char msg[1024], own[160];
        snprintf(msg, sizeof msg, "%s", hs_error_message());
        hs_error_clear();
        /* the task layer names the task itself: say it once */
        snprintf(own, sizeof own, "task %s: ", sw->tasks[task].name);
        const char *m = strncmp(msg, own, strlen(own)) ? msg : msg + strlen(own);
        hs_error_set(s, "%s:%d: tasks[%d] (%s): %s", sw->file, sw->tasks[task].line, task, sw->tasks[task].name, m);
    }
    return s;
}

hs_config hs_sweep_model_config(const hs_sweep *sw, int task, const hs_task *t)
{
    if (sw->tasks[task].pretrained) { /* the checkpoint's settings; the task gives classes and positions */
        hs_config c = sw->tasks[task].pre_cfg;
        c.n_out = t->shape.n_out;
        c.seq_len = t->shape.seq_len;
        return c;
    }
    hs_config c = t->shape;
    const hs_sweep_shape *m = &sw->tasks[task].model;
    c.d_model = m->d_model;
    c.heads = m->heads;
    c.layers = m->layers;
    c.d_ff = m->d_ff;
    return c;
}

hs_adamw_config hs_sweep_adamw(const hs_sweep *sw, int task)
{
    const hs_sweep_train *t = &sw->tasks[task].train;
    hs_adamw_config c = hs_adamw_defaults(t->steps);
    c.lr = t->lr;
    c.warmup = t->warmup;
    c.weight_decay = t->weight_decay;
    c.clip = t->clip;
    return c;
}

hs_point_opts hs_sweep_point_opts(const hs_sweep *sw, int task)
{
    const double lr = sw->finetune_lr_given ? sw->finetune_lr : HS_FINETUNE_LR_FACTOR * sw->tasks[task].train.lr;
    hs_point_opts o = {sw->finetune_steps, lr, sw->batch, sw->latency_repeats, sw->kd_alpha,
                       sw->kd_temperature, sw->finetune_params, sw->quantize};
    return o;
}
