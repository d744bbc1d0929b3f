/* grid.c — a loaded sweep's grid, keys, canonical text, fingerprint, diff and
 * cost estimate (see config.h for the order and the key recipes,
 * docs/sweep-file.md for the cost model).
 *
 * The grid is O(T·M·R·S) records of a few words (a 10,000-point sweep is
 * under 1 MB); the canonical text is one short line per setting. */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/rng.h"
#include "../core/text.h"

/* --- keys ------------------------------------------------------------------- */

uint64_t hs_sweep_base_key(const hs_sweep *sw, int task, int seed)
{
    uint64_t k = hs_key_str(hs_key_u64(0, sw->seed), sw->tasks[task].name);
    return hs_key_str(hs_key_u64(k, (uint64_t)sw->seeds[seed]), "base");
}

uint64_t hs_sweep_data_seed(const hs_sweep *sw, int task, int seed)
{
    uint64_t k = hs_key_str(hs_key_u64(0, sw->seed), sw->tasks[task].name);
    return hs_key_str(hs_key_u64(k, (uint64_t)sw->seeds[seed]), "data");
}

uint64_t hs_sweep_point_key(const hs_sweep *sw, int task, int method, int ratio, int seed)
{
    uint64_t k = hs_key_str(hs_key_u64(0, sw->seed), sw->tasks[task].name);
    k = hs_key_f64(hs_key_str(k, sw->methods[method].label), sw->ratios[ratio]);
    return hs_key_str(hs_key_u64(k, (uint64_t)sw->seeds[seed]), "point");
}

long hs_sweep_point_id(const hs_sweep *sw, int task, int method, int ratio, int seed)
{
    HS_ASSERT(task >= 0 && task < sw->n_tasks && method >= 0 && method < sw->n_methods && ratio >= 0 &&
              ratio < sw->n_ratios && seed >= 0 && seed < sw->n_seeds);
    return (((long)task * sw->n_methods + method) * sw->n_ratios + ratio) * sw->n_seeds + seed;
}

/* --- canonical text ------------------------------------------------------------ */

/* The shortest of %.15g, %.16g, %.17g that reads back as v exactly: the
 * text is exact (for the fingerprint) and 0.1 stays "0.1" (for the diff). */
static void sb_real(hs_strbuf *b, double v)
{
    char t[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(t, sizeof t, "%.*g", prec, v);
        if (strtod(t, NULL) == v) break;
    }
    hs_strbuf_printf(b, "%s", t);
}

/* A string value quoted, with '"', '\\' and control characters escaped so
 * that every setting stays on its own line. */
static void sb_quoted(hs_strbuf *b, const char *s)
{
    hs_strbuf_printf(b, "\"");
    for (; *s; s++) {
        const unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            hs_strbuf_printf(b, "\\%c", c);
        else if (c < 32 || c == 127)
            hs_strbuf_printf(b, "\\x%02x", c);
        else
            hs_strbuf_printf(b, "%c", c);
    }
    hs_strbuf_printf(b, "\"");
}

static void canon_task(hs_strbuf *b, const hs_sweep_task *t)
{
    const hs_task_spec *s = &t->spec;
    const char *n = t->name;
    hs_strbuf_printf(b, "task %s.kind = %s\n", n, s->kind);
    /* the kind's own settings, in its registry order; 0 / absent = the
     * kind's default. A kind not in the registry is an error, never a guess. */
    const hs_task_kind *k = hs_task_kind_find(s->kind);
    if (!k) {
        if (b->st == HS_OK)
            b->st = hs_error_set(HS_ERR_INPUT, "task %s: unknown kind '%s' (expected one of %s)", n,
                                 s->kind ? s->kind : "(none)", hs_task_kind_list());
        return;
    }
    for (int i = 0; k->fields[i]; i++) {
        const hs_task_field *f = hs_task_field_find(k->fields[i]);
        HS_ASSERT(f);
        const char *p = (const char *)s + f->off;
        hs_strbuf_printf(b, "task %s.%s = ", n, f->name);
        switch (f->type) {
        case HS_TF_STR:
        case HS_TF_CHOICE: {
            const char *v = *(const char *const *)p;
            if (v) sb_quoted(b, v); else hs_strbuf_printf(b, "default");
            break;
        }
        case HS_TF_INT:
            if (*(const int *)p) hs_strbuf_printf(b, "%d", *(const int *)p); else hs_strbuf_printf(b, "default");
            break;
        case HS_TF_LONG:
            if (*(const long *)p) hs_strbuf_printf(b, "%ld", *(const long *)p); else hs_strbuf_printf(b, "default");
            break;
        case HS_TF_REAL:
            if (*(const double *)p) sb_real(b, *(const double *)p); else hs_strbuf_printf(b, "default");
            break;
        }
        hs_strbuf_printf(b, "\n");
    }
    const hs_sweep_shape *m = &t->model;
    if (t->pretrained) { /* only then: older sweeps keep their fingerprints */
        hs_strbuf_printf(b, "task %s.model.pretrained = ", n);
        sb_quoted(b, t->pretrained);
        hs_strbuf_printf(b, "\n");
    }
    hs_strbuf_printf(b, "task %s.model = d_model %d, heads %d, layers %d, d_ff %d\n", n, m->d_model, m->heads,
                     m->layers, m->d_ff);
    const hs_sweep_train *r = &t->train;
    hs_strbuf_printf(b, "task %s.train = steps %ld, batch %d, lr ", n, r->steps, r->batch);
    sb_real(b, r->lr);
    hs_strbuf_printf(b, ", warmup %ld, weight_decay ", r->warmup);
    sb_real(b, r->weight_decay);
    hs_strbuf_printf(b, ", clip ");
    sb_real(b, r->clip);
    /* only when > 1: sweeps without micro-batches keep their fingerprints */
    if (r->micro_batches > 1) hs_strbuf_printf(b, ", micro_batches %d", r->micro_batches);
    hs_strbuf_printf(b, "\n");
}

static void canon_method(hs_strbuf *b, const hs_sweep_method *e)
{
    const hs_method *m = e->method;
    hs_strbuf_printf(b, "method %s.method = %s\n", e->label, m->name);
    for (int i = 0; i < m->n_settings; i++) {
        const hs_setting_def *d = &m->settings[i];
        const double v = e->set.v[i];
        hs_strbuf_printf(b, "method %s.%s = ", e->label, d->name);
        switch (d->type) {
        case HS_SET_BOOL: hs_strbuf_printf(b, "%s\n", v != 0 ? "true" : "false"); break;
        case HS_SET_CHOICE: hs_strbuf_printf(b, "%s\n", d->choices[(int)v]); break;
        default:
            sb_real(b, v);
            hs_strbuf_printf(b, "\n");
            break;
        }
    }
}

hs_status hs_sweep_canonical(const hs_sweep *sw, char **out)
{
    hs_strbuf b = {.what = "sweep text"};
    *out = NULL;
    hs_strbuf_printf(&b, "format = headsweep-sweep-1\n");
    hs_strbuf_printf(&b, "name = ");
    sb_quoted(&b, sw->name);
    hs_strbuf_printf(&b, "\nseed = %llu\nseeds = [", (unsigned long long)sw->seed);
    for (int i = 0; i < sw->n_seeds; i++) hs_strbuf_printf(&b, "%s%ld", i ? ", " : "", sw->seeds[i]);
    hs_strbuf_printf(&b, "]\nratios = [");
    for (int i = 0; i < sw->n_ratios; i++) {
        hs_strbuf_printf(&b, "%s", i ? ", " : "");
        sb_real(&b, sw->ratios[i]);
    }
    hs_strbuf_printf(&b, "]\ntasks = [");
    for (int i = 0; i < sw->n_tasks; i++) hs_strbuf_printf(&b, "%s%s", i ? ", " : "", sw->tasks[i].name);
    hs_strbuf_printf(&b, "]\nmethods = [");
    for (int i = 0; i < sw->n_methods; i++) hs_strbuf_printf(&b, "%s%s", i ? ", " : "", sw->methods[i].label);
    hs_strbuf_printf(&b, "]\nfinetune.steps = %ld\nfinetune.lr = ", sw->finetune_steps);
    /* without fine-tuning the lr is moot: the old default 1e-3 keeps the
     * fingerprints of files written before the lr was tied to train.lr */
    if (sw->finetune_lr_given || sw->finetune_steps == 0) sb_real(&b, sw->finetune_lr_given ? sw->finetune_lr : 1e-3);
    else { /* tied to each task's train.lr (in its own text) */
        hs_strbuf_printf(&b, "train.lr * ");
        sb_real(&b, HS_FINETUNE_LR_FACTOR);
    }
    hs_strbuf_printf(&b, "\n");
    /* only when not the default: existing sweeps keep their fingerprints */
    if (sw->finetune_params != HS_FT_ALL) hs_strbuf_printf(&b, "finetune.params = %s\n", hs_ft_params_names[sw->finetune_params]);
    if (sw->quantize != HS_QUANT_NONE) hs_strbuf_printf(&b, "finetune.quantize = %s\n", hs_quant_names[sw->quantize]);
    if (sw->kd_alpha > 0) { /* only when on: sweeps without distillation keep their fingerprints */
        hs_strbuf_printf(&b, "kd.alpha = ");
        sb_real(&b, sw->kd_alpha);
        hs_strbuf_printf(&b, "\nkd.temperature = ");
        sb_real(&b, sw->kd_temperature);
        hs_strbuf_printf(&b, "\n");
    }
    hs_strbuf_printf(&b, "run.batch = %d\nrun.latency_repeats = %d\n", sw->batch, sw->latency_repeats);
    for (int i = 0; i < sw->n_tasks; i++) canon_task(&b, &sw->tasks[i]);
    for (int i = 0; i < sw->n_methods; i++) canon_method(&b, &sw->methods[i]);
    if (b.st != HS_OK) {
        const hs_status st = b.st;
        hs_strbuf_free(&b);
        return st;
    }
    *out = b.s;
    return HS_OK;
}

uint64_t hs_sweep_fingerprint_text(const char *canonical)
{
    return hs_key_str(hs_key_str(0, "headsweep sweep fingerprint"), canonical);
}

/* --- the grid --------------------------------------------------------------- */

hs_status hs_sweep_grid_build(hs_sweep *sw)
{
    const long T = sw->n_tasks, M = sw->n_methods, R = sw->n_ratios, S = sw->n_seeds;
    sw->n_bases = T * S;
    sw->n_points = T * M * R * S;
    HS_CHECK(hs_calloc((void **)&sw->bases, (size_t)sw->n_bases, sizeof *sw->bases, "sweep base jobs"));
    HS_CHECK(hs_calloc((void **)&sw->points, (size_t)sw->n_points, sizeof *sw->points, "sweep points"));
    for (int t = 0; t < T; t++)
        for (int s = 0; s < S; s++) {
            hs_sweep_base *b = &sw->bases[t * S + s];
            *b = (hs_sweep_base){t * S + s, t, s, hs_sweep_base_key(sw, t, s)};
        }
    for (int t = 0; t < T; t++)
        for (int m = 0; m < M; m++)
            for (int r = 0; r < R; r++)
                for (int s = 0; s < S; s++) {
                    const long id = hs_sweep_point_id(sw, t, m, r, s);
                    sw->points[id] = (hs_sweep_point){id, t * S + s, t, m, r, s, hs_sweep_point_key(sw, t, m, r, s)};
                }
    char *canon;
    HS_CHECK(hs_sweep_canonical(sw, &canon));
    sw->fingerprint = hs_sweep_fingerprint_text(canon);
    hs_free(canon);
    return HS_OK;
}

/* --- diff ------------------------------------------------------------------- */

typedef struct {
    const char *key, *val; /* into a copy of the text */
    size_t klen, vlen;
} cline;

/* Splits a canonical text into "key = value" lines (pointers into text). */
static hs_status split_lines(const char *text, cline **out, int *n)
{
    int cap = 1;
    for (const char *p = text; *p; p++) cap += *p == '\n';
    HS_CHECK(hs_calloc((void **)out, (size_t)cap, sizeof **out, "sweep diff"));
    *n = 0;
    for (const char *p = text; *p;) {
        const char *e = strchr(p, '\n');
        if (!e) e = p + strlen(p);
        const char *eq = NULL;
        for (const char *q = p; q + 2 < e; q++)
            if (q[0] == ' ' && q[1] == '=' && q[2] == ' ') {
                eq = q;
                break;
            }
        if (eq) (*out)[(*n)++] = (cline){p, eq + 3, (size_t)(eq - p), (size_t)(e - eq - 3)};
        p = *e ? e + 1 : e;
    }
    return HS_OK;
}

static const cline *find_key(const cline *l, int n, const char *key, size_t klen)
{
    for (int i = 0; i < n; i++)
        if (l[i].klen == klen && !memcmp(l[i].key, key, klen)) return &l[i];
    return NULL;
}

/* For "task NAME.x" / "method LABEL.x": does the other side have that
 * entity at all? (If not, the tasks/methods line already reports it.) */
static int entity_present(const cline *key, const cline *other, int n)
{
    const char *prefix = NULL, *marker = NULL;
    if (key->klen > 5 && !memcmp(key->key, "task ", 5)) prefix = "task ", marker = ".kind";
    else if (key->klen > 7 && !memcmp(key->key, "method ", 7)) prefix = "method ", marker = ".method";
    if (!prefix) return 1;
    const char *dot = memchr(key->key + strlen(prefix), '.', key->klen - strlen(prefix));
    if (!dot) return 1;
    char k[256];
    const int len = snprintf(k, sizeof k, "%.*s%s", (int)(dot - key->key), key->key, marker);
    return len < (int)sizeof k && find_key(other, n, k, (size_t)len) != NULL;
}

/* Appends "; text" to buf, ending it with "..." once it is full. */
static void append(char *buf, size_t n, int *full, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t n, int *full, const char *fmt, ...)
{
    if (*full || n == 0) return;
    char item[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(item, sizeof item, fmt, ap);
    va_end(ap);
    const size_t len = strlen(buf), need = strlen(item) + (len ? 2 : 0);
    if (len + need + 4 <= n) {
        snprintf(buf + len, n - len, "%s%s", len ? "; " : "", item);
    } else {
        *full = 1;
        if (len + 4 <= n) strcat(buf, "...");
    }
}

int hs_sweep_diff_text(const char *a, const char *b, char *buf, size_t n)
{
    cline *la = NULL, *lb = NULL;
    int na = 0, nb = 0, count = 0, full = 0;
    if (n) buf[0] = 0;
    if (split_lines(a, &la, &na) != HS_OK || split_lines(b, &lb, &nb) != HS_OK) {
        hs_free(la);
        return -1;
    }
    for (int i = 0; i < na; i++) {
        const cline *o = find_key(lb, nb, la[i].key, la[i].klen);
        if (o && o->vlen == la[i].vlen && !memcmp(o->val, la[i].val, o->vlen)) continue;
        if (!o && !entity_present(&la[i], lb, nb)) continue;
        count++;
        if (o)
            append(buf, n, &full, "%.*s: %.*s -> %.*s", (int)la[i].klen, la[i].key, (int)la[i].vlen, la[i].val,
                   (int)o->vlen, o->val);
        else
            append(buf, n, &full, "%.*s: %.*s -> (not set)", (int)la[i].klen, la[i].key, (int)la[i].vlen,
                   la[i].val);
    }
    for (int i = 0; i < nb; i++) {
        if (find_key(la, na, lb[i].key, lb[i].klen) || !entity_present(&lb[i], la, na)) continue;
        count++;
        append(buf, n, &full, "%.*s: (not set) -> %.*s", (int)lb[i].klen, lb[i].key, (int)lb[i].vlen, lb[i].val);
    }
    hs_free(la);
    hs_free(lb);
    return count;
}

int hs_sweep_diff(const hs_sweep *a, const hs_sweep *b, char *buf, size_t n)
{
    char *ca = NULL, *cb = NULL;
    int r = -1;
    if (hs_sweep_canonical(a, &ca) == HS_OK && hs_sweep_canonical(b, &cb) == HS_OK)
        r = hs_sweep_diff_text(ca, cb, buf, n);
    hs_free(ca);
    hs_free(cb);
    return r;
}

/* --- cost -------------------------------------------------------------------- */

/* Each method states its own passes (method.h); the registry test checks
 * that every registered method has them, so no name falls to a default. */
double hs_sweep_method_passes(const hs_sweep *sw, int method, int ratio, const hs_config *cfg, long n_prune,
                              long n_train)
{
    const hs_sweep_method *e = &sw->methods[method];
    const double N = (double)cfg->layers * cfg->heads;
    const hs_cost_ctx c = {e->method, &e->set, N, (double)lround(sw->ratios[ratio] * N), sw->batch, n_prune,
                           n_train, cfg->layers};
    HS_ASSERT(e->method->passes);
    return e->method->passes(&c);
}

double hs_sweep_base_flops(const hs_sweep *sw, int task, const hs_task *t)
{
    const hs_config c = hs_sweep_model_config(sw, task, t);
    const hs_sweep_train *tr = &sw->tasks[task].train;
    const double ex = hs_model_forward_flops(&c, 1, c.seq_len);
    return (double)tr->steps * 3 * ex * tr->batch + ex * (double)t->split[HS_SPLIT_TEST].n;
}

double hs_sweep_point_flops(const hs_sweep *sw, const hs_sweep_point *p, const hs_task *t)
{
    const hs_config c = hs_sweep_model_config(sw, p->task, t);
    const double ex = hs_model_forward_flops(&c, 1, c.seq_len);
    const double test = ex * (double)t->split[HS_SPLIT_TEST].n, prune = ex * (double)t->split[HS_SPLIT_PRUNE].n;
    const double batch = ex * sw->batch;
    /* test split before and after pruning (and after fine-tuning, and of
     * the int8 model); the shrunk-vs-masked check (2 batches); latency
     * (2 × repeats batches). Fake quantisation's own passes are not counted. */
    double f = test * (2 + (sw->finetune_steps > 0) + (sw->quantize != HS_QUANT_NONE)) +
               batch * (2 + 2.0 * sw->latency_repeats);
    f += (double)sw->finetune_steps * (sw->kd_alpha > 0 ? 4 : 3) * batch; /* + the teacher's forward */
    return f + prune * hs_sweep_method_passes(sw, p->method, p->ratio, &c, t->split[HS_SPLIT_PRUNE].n,
                                              t->split[HS_SPLIT_TRAIN].n);
}
