/* cmd_prune.c — `headsweep prune`: one grid point by hand. Loads a
 * checkpoint written by `headsweep train`, reopens its task from the stored
 * task attributes, runs a method at a ratio and prints the metrics, the mask
 * and the importance scores. The sweep runner does the same per point. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/rng.h"
#include "../prune/point.h"
#include "../query/table_fmt.h"
#include "../store/checkpoint.h"
#include "../store/h5util.h"
#include "../sweep/config.h"
#include "cli.h"
#include "sweep_point.h"
#include "task_attrs.h"

static const char help[] =
    "usage: headsweep prune CHECKPOINT.h5 --method NAME --ratio R [options]\n"
    "       headsweep prune RESULTS.h5 --base TASK/SEED --method NAME --ratio R [options]\n"
    "       headsweep prune RESULTS.h5 --point N\n\n"
    "Prunes a trained model (from `headsweep train`) at one ratio and reports the\n"
    "test metric before, after pruning and after fine-tuning, FLOPs and latency.\n"
    "--base: a base model of a sweep's results file, its task from the stored\n"
    "sweep; the fine-tuning, batch and latency settings default to the sweep's,\n"
    "--method may name a method entry's label (its settings), and the point's key\n"
    "is the sweep's, so a (method, ratio) of the grid gives that point's row.\n"
    "--point N: re-runs row N of /points with everything the sweep used and\n"
    "checks it bit for bit against the stored row (all but the timing columns);\n"
    "a difference is an error (exit 1).\n\n"
    "  --method NAME       one of the methods listed below (with --base: or a label of the sweep)\n"
    "  --ratio R           fraction of heads removed, 0 <= R < 1\n"
    "  --set NAME=VALUE    a method setting (repeatable); --list-settings shows them\n"
    "  --finetune N        fine-tuning steps with the mask fixed [0; --base: the sweep's]\n"
    "  --finetune-lr X     [1e-3; --base: the sweep's]\n"
    "  --kd-alpha X        distillation weight of fine-tuning, base model as teacher, 0 = off [0]\n"
    "  --kd-temperature T  distillation temperature [2]\n"
    "  --finetune-params P what fine-tuning updates: all, bias (BitFit) or\n"
    "                      gates+output (MAE's FTG+) [all; --base: the sweep's]\n"
    "  --quantize Q        none or int8: int8 quantisation-aware fine-tuning, and the\n"
    "                      int8 model's metric and size [none; --base: the sweep's]\n"
    "  --batch N           evaluation / fine-tuning batch [64; --base: run.batch]\n"
    "  --seed N            seed of the point's random streams [1; --base: the base job's]\n"
    "  --latency-repeats N timed forward passes per model, 0 = skip [5; --base: the sweep's]\n"
    "  --group PATH        checkpoint group [/model]; /checkpoints/TASK/seed_S of a\n"
    "                      results file is --base TASK/S\n"
    "  --base TASK/SEED    the base model of that task and seed value of a results file\n"
    "  --point N           re-run row N of a results file's /points and compare\n"
    "  --list-settings     print the method's settings and exit\n";

/* The help, then every registered method with its summary. */
static void print_help(void)
{
    fputs(help, stdout);
    printf("\nmethods (--method NAME --list-settings shows one's settings):\n");
    int n;
    const hs_method *const *ms = hs_methods(&n);
    for (int i = 0; i < n; i++) printf("  %-12s %s\n", ms[i]->name, ms[i]->summary);
}

/* Parses NAME=VALUE for method meth into set. */
static hs_status parse_setting(const hs_method *meth, const char *arg, hs_settings *set)
{
    const char *eq = strchr(arg, '=');
    if (!eq) return hs_error_set(HS_ERR_INPUT, "prune: --set '%s': expected NAME=VALUE", arg);
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(eq - arg), arg);
    int i = hs_setting_index(meth, name);
    if (i < 0) {
        char valid[512] = "";
        for (int k = 0; k < meth->n_settings; k++) {
            if (k) strcat(valid, ", ");
            strncat(valid, meth->settings[k].name, sizeof valid - strlen(valid) - 1);
        }
        return hs_error_set(HS_ERR_INPUT, "prune: method %s has no setting '%s' (valid: %s)", meth->name,
                            name, meth->n_settings ? valid : "none");
    }
    const hs_setting_def *d = &meth->settings[i];
    const char *v = eq + 1;
    char flag[80];
    snprintf(flag, sizeof flag, "setting %s", name);
    if (d->type == HS_SET_CHOICE) {
        for (int k = 0; d->choices[k]; k++)
            if (!strcmp(d->choices[k], v)) {
                set->v[i] = k;
                return HS_OK;
            }
        return hs_error_set(HS_ERR_INPUT, "prune: %s = '%s': expected one of the choices in --list-settings",
                            flag, v);
    }
    if (d->type == HS_SET_BOOL) {
        if (!strcmp(v, "true") || !strcmp(v, "1")) set->v[i] = 1;
        else if (!strcmp(v, "false") || !strcmp(v, "0")) set->v[i] = 0;
        else return hs_error_set(HS_ERR_INPUT, "prune: %s = '%s': expected true or false", flag, v);
        return HS_OK;
    }
    if (d->type == HS_SET_INT) {
        long x;
        HS_CHECK(hs_parse_long(flag, v, (long)d->lo, (long)d->hi, &x));
        set->v[i] = (double)x;
        return HS_OK;
    }
    return hs_parse_double(flag, v, d->lo, d->hi, &set->v[i]);
}

static void list_settings(const hs_method *m)
{
    printf("%s: %s\n", m->name, m->summary);
    if (!m->n_settings) printf("  (no settings)\n");
    for (int i = 0; i < m->n_settings; i++) {
        const hs_setting_def *d = &m->settings[i];
        if (d->type == HS_SET_CHOICE) {
            printf("  %-16s one of", d->name);
            for (int k = 0; d->choices[k]; k++) printf(" %s", d->choices[k]);
            printf(" [%s]  %s\n", d->choices[(int)d->def], d->help);
        } else if (d->type == HS_SET_BOOL) {
            printf("  %-16s true|false [%s]  %s\n", d->name, d->def ? "true" : "false", d->help);
        } else {
            printf("  %-16s %g..%g [%g]  %s\n", d->name, d->lo, d->hi, d->def, d->help);
        }
    }
}

typedef struct {
    const char *ckpt, *group, *base;
    long point;
    const char *method_name;
    const hs_method *method;
    hs_settings set;
    double ratio;
    long finetune, batch, seed, latency;
    double ft_lr;
    double kd_alpha, kd_temperature;
    /* which of them the command line gave (the sweep's values otherwise) */
    int ft_params, quantize;
    /* which of them the command line gave (the sweep's values otherwise) */
    int given_ft, given_ftlr, given_batch, given_seed, given_lat, given_kda, given_kdt, given_group, nsets;
    int given_ftp, given_quant;
} prune_opts;

/* One of names (NULL-terminated) by index, or an error naming the flag. */
static hs_status parse_choice(const char *flag, const char *text, const char *const *names, int *out)
{
    char list[256] = "";
    for (int i = 0; names[i]; i++) {
        if (!strcmp(names[i], text)) {
            *out = i;
            return HS_OK;
        }
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", names[i]);
    }
    return hs_error_set(HS_ERR_INPUT, "prune: %s '%s': expected one of %s", flag, text, list);
}

/* The metrics, the mask and the scores of one point; mask and importance
 * [L][H] with row stride `stride`. */
static void print_point(const char *task, const char *label, const char *metric, double ratio,
                        const hs_point_result *r, const hs_method *meth, int L, int H, int stride)
{
    printf("task %s, method %s, ratio %g: heads kept %ld of %ld, parameters kept %ld of %ld\n", task, label, ratio,
           r->heads_kept, r->heads_total, r->params_kept, r->params_total);
    printf("%s: base %.4f  pruned %.4f  fine-tuned %.4f\n", metric, r->metric_base, r->metric_pruned,
           r->metric_finetuned);
    if (r->int8_bytes > 0) printf("int8 model: %s %.4f  size %ld bytes\n", metric, r->metric_int8, r->int8_bytes);
    if (r->improved >= 0) printf("removals that improved the prune-split %s: %ld\n", metric, r->improved);
    printf("flops ratio %.4f  latency ratio %.4f  shrunk-vs-masked max diff %.2e  evals %ld  %.2f s\n",
           r->flops_ratio, r->latency_ratio, r->shrink_max_diff, r->evals, r->seconds);
    printf("mask (layer x head, 1 = kept) and importance:\n");
    for (int l = 0; l < L; l++) {
        printf("  layer %d:", l);
        for (int j = 0; j < H; j++) printf(" %d", r->mask[l * stride + j]);
        printf("   ");
        for (int j = 0; j < H; j++) printf(" %.4g", r->importance[l * stride + j]);
        printf("\n");
    }
    if (r->curve_len) {
        if (meth->curve_label)
            printf("curve (%s):", meth->curve_label);
        else
            printf("curve (prune-split %s per step):", metric);
        for (int i = 0; i < r->curve_len; i++) printf(" %.4f", r->curve[i]);
        printf("\n");
    }
}

/* A --base run that is point p of the grid: its row as the sweep would
 * write it (hs_job_run_point's fields) against the stored one, reported. */
static hs_status compare_with_row(hs_cli_sweep *cs, long p, const hs_point_result *r, int L, int H)
{
    hs_cli_rerun rr;
    hs_status s = hs_cli_rerun_open(cs, p, &rr);
    hs_point_row row = rr.row;
    hs_job_row_from_result(&row, r);
    for (int i = 0; i < HS_CURVE_WIDTH; i++) rr.curve[i] = i < row.curve_len ? r->curve[i] : NAN;
    rr.row = row;
    if (s == HS_OK && L <= cs->lmax && H <= cs->hmax) {
        memset(rr.mask, HS_MASK_ABSENT, rr.LH);
        for (size_t i = 0; i < rr.LH; i++) rr.imp[i] = NAN;
        for (int l = 0; l < L; l++)
            for (int j = 0; j < H; j++) {
                rr.mask[l * cs->hmax + j] = r->mask[l * H + j];
                rr.imp[l * cs->hmax + j] = r->importance[l * H + j];
            }
        char diff[2048];
        hs_cli_rerun_diff(&rr, diff, sizeof diff);
        if (rr.stored[p].status != HS_STATUS_DONE)
            printf("this is point %ld of %s, whose row %s\n", p, cs->path,
                   rr.stored[p].status == HS_STATUS_FAILED ? "failed" : "is not done yet");
        else if (*diff)
            printf("this is point %ld of %s, but it differs from its row: %s\n", p, cs->path, diff);
        else
            printf("this is point %ld of %s: the same as its row, bit for bit (all but the timing columns)\n", p,
                   cs->path);
    }
    hs_cli_rerun_free(&rr);
    return s;
}

/* One point by hand: a checkpoint (its own task), or (cs) a sweep's base
 * job b, with the sweep's settings wherever the command line gives none and
 * the key a sweep point of this method label, ratio and seed would have. */
static hs_status run(prune_opts *o, hs_cli_sweep *cs, long b)
{
    hs_model *m = NULL;
    hs_task *task = NULL, *own = NULL;
    hs_point_result r = {0};
    hs_text_encoder *enc = NULL;
    const hs_sweep *sw = cs ? &cs->sw : NULL;
    const hs_sweep_method *entry = NULL;
    const char *label = o->method->name;
    uint64_t key;
    hs_point_opts po = {o->finetune, o->ft_lr, (int)o->batch, (int)o->latency, o->kd_alpha, o->kd_temperature,
                        o->ft_params, o->quantize};
    hs_status s;
    if (cs) {
        s = hs_cli_sweep_base_model(cs, b, &m, &task);
        for (int i = 0; sw && i < sw->n_methods && !entry; i++)
            if (!strcmp(sw->methods[i].label, o->method_name)) entry = &sw->methods[i];
        if (entry) label = entry->label;
        const hs_point_opts d = hs_sweep_point_opts(sw, sw->bases[b].task);
        if (!o->given_ft) po.finetune_steps = d.finetune_steps;
        if (!o->given_ftlr) po.finetune_lr = d.finetune_lr;
        if (!o->given_batch) po.batch = d.batch;
        if (!o->given_lat) po.latency_repeats = d.latency_repeats;
        if (!o->given_kda) po.kd_alpha = d.kd_alpha;
        if (!o->given_kdt) po.kd_temperature = d.kd_temperature;
        if (!o->given_ftp) po.finetune_params = d.finetune_params;
        if (!o->given_quant) po.quantize = d.quantize;
        const hs_sweep_base *bj = &sw->bases[b];
        /* hs_sweep_point_key's recipe, with this label and ratio */
        key = hs_key_str(hs_key_u64(0, sw->seed), sw->tasks[bj->task].name);
        key = hs_key_f64(hs_key_str(key, label), o->ratio);
        key = hs_key_str(hs_key_u64(key, (uint64_t)sw->seeds[bj->seed]), "point");
    } else {
        s = hs_cli_checkpoint_task(o->ckpt, o->group, &m, &own, &enc);
        task = own;
        key = s == HS_OK ? hs_key_str(hs_key_f64(hs_key_str(hs_key_str(hs_key_u64(0, (uint64_t)o->seed), task->spec.name),
                                                             o->method->name), o->ratio), "point")
                         : 0;
    }
    if (s == HS_OK && po.kd_alpha > 0 && po.finetune_steps == 0)
        s = hs_error_set(HS_ERR_INPUT, "prune: --kd-alpha applies to fine-tuning: expected --finetune N > 0");
    if (s == HS_OK && po.finetune_params != HS_FT_ALL && po.finetune_steps == 0)
        s = hs_error_set(HS_ERR_INPUT, "prune: --finetune-params applies to fine-tuning: expected --finetune N > 0");
    const int N = m ? m->cfg.layers * m->cfg.heads : 0;
    if (s == HS_OK) s = hs_calloc((void **)&r.mask, (size_t)N, 1, "mask");
    if (s == HS_OK) s = hs_calloc((void **)&r.importance, (size_t)N, sizeof(float), "importance");
    if (s == HS_OK) s = hs_point_run(m, task, o->method, &o->set, o->ratio, key, &po, &r);
    if (s != HS_OK) goto done;
    print_point(task->spec.name, label, hs_metric_name(task->metric), o->ratio, &r, o->method, m->cfg.layers,
                m->cfg.heads, m->cfg.heads);
    if (cs) {
        /* is it a point of the grid? then --point N compares it with the stored row */
        const hs_point_opts d = hs_sweep_point_opts(sw, sw->bases[b].task);
        int ri = -1;
        for (int i = 0; i < sw->n_ratios; i++)
            if (sw->ratios[i] == o->ratio) ri = i;
        const int same_opts = po.finetune_steps == d.finetune_steps && po.finetune_lr == d.finetune_lr &&
                              po.batch == d.batch && po.kd_alpha == d.kd_alpha && po.kd_temperature == d.kd_temperature &&
                              po.finetune_params == d.finetune_params && po.quantize == d.quantize;
        if (entry && ri >= 0 && same_opts && entry->method == o->method &&
            !memcmp(entry->set.v, o->set.v, sizeof(double) * (size_t)o->method->n_settings)) {
            const long p = hs_sweep_point_id(sw, sw->bases[b].task, (int)(entry - sw->methods), ri, sw->bases[b].seed);
            s = compare_with_row(cs, p, &r, m->cfg.layers, m->cfg.heads);
        }
    }
done:
    hs_free(r.mask);
    hs_free(r.importance);
    hs_task_destroy(&own);
    hs_sweep_pretrained_encoder_free(&enc);
    hs_model_destroy(&m);
    return s;
}

/* ---- --point N: a row of /points re-run and compared ------------------------ */

static hs_status run_point(prune_opts *o, hs_cli_sweep *cs)
{
    const hs_sweep *sw = &cs->sw;
    const long p = o->point;
    const hs_sweep_point *pt = &sw->points[p];
    const hs_sweep_method *me = &sw->methods[pt->method];
    hs_model *m = NULL;
    hs_task *task = NULL;
    hs_cli_rerun rr;
    hs_status s = hs_cli_rerun_open(cs, p, &rr);
    if (s == HS_OK) s = hs_cli_sweep_base_model(cs, pt->base, &m, &task);
    /* the sweep's own code for a point, on the stored base model */
    if (s == HS_OK) s = hs_job_run_point(&cs->tc, p, m, cs->lmax, cs->hmax, &rr.row, rr.mask, rr.imp, rr.curve);
    if (s != HS_OK) goto done;
    const int L = m->cfg.layers, H = m->cfg.heads;
    hs_point_result r = {.mask = rr.mask, .importance = rr.imp, .metric_base = rr.row.metric_base,
                         .metric_pruned = rr.row.metric_pruned, .metric_finetuned = rr.row.metric_finetuned,
                         .heads_kept = rr.row.heads_kept, .heads_total = rr.row.heads_total,
                         .params_kept = rr.row.params_kept,
                         .params_total = rr.row.params_total, .flops_ratio = rr.row.flops_ratio,
                         .latency_ratio = rr.row.latency_ratio, .shrink_max_diff = rr.row.shrink_max_diff,
                         .curve_len = rr.row.curve_len, .evals = rr.row.evals, .seconds = rr.row.wall_seconds,
                         .metric_int8 = rr.row.metric_int8, .int8_bytes = rr.row.int8_bytes,
                         .improved = rr.row.improved};
    memcpy(r.curve, rr.curve, sizeof(double) * (size_t)rr.row.curve_len);
    printf("point %ld of %s re-run (seed %lld, fine-tuning %ld steps):\n", p, cs->path, (long long)rr.row.seed,
           sw->finetune_steps);
    print_point(rr.row.task, rr.row.method, hs_metric_name(task->metric), rr.row.ratio, &r, me->method, L, H, cs->hmax);
    /* the shortest text that reads back exactly, as `query --format csv` writes it */
    char ex[4][40];
    hs_fmt_real_exact(ex[0], sizeof ex[0], rr.row.metric_base);
    hs_fmt_real_exact(ex[1], sizeof ex[1], rr.row.metric_pruned);
    hs_fmt_real_exact(ex[2], sizeof ex[2], rr.row.metric_finetuned);
    hs_fmt_real_exact(ex[3], sizeof ex[3], rr.row.loss);
    printf("exact: metric_base %s metric_pruned %s metric_finetuned %s loss %s\n", ex[0], ex[1], ex[2], ex[3]);
    const hs_point_row *st = &rr.stored[p];
    if (st->status != HS_STATUS_DONE) {
        printf("the stored row is %s: nothing to compare with\n", st->status == HS_STATUS_FAILED ? "failed" : "pending");
        goto done;
    }
    char diff[2048];
    hs_cli_rerun_diff(&rr, diff, sizeof diff);
    if (*diff)
        s = hs_error_set(HS_ERR_NUMERIC, "%s: point %ld re-run differs from its stored row: %s (the task data, this "
                         "binary or its libraries changed since the sweep ran?)", cs->path, p, diff);
    else
        printf("same as the stored row, bit for bit: every column but attempts, rank, host, the times and "
               "latency_ratio; the mask, the importance scores and the curve\n");
done:
    hs_cli_rerun_free(&rr);
    hs_model_destroy(&m);
    return s;
}

int hs_cmd_prune(int argc, char **argv)
{
    enum { O_METHOD = 256, O_RATIO, O_SET, O_FT, O_FTLR, O_BATCH, O_SEED, O_LAT, O_GROUP, O_LIST, O_HELP,
           O_KDA, O_KDT, O_BASE, O_POINT, O_FTP, O_QUANT };
    static const struct option opts[] = {
        {"method", 1, 0, O_METHOD}, {"ratio", 1, 0, O_RATIO},   {"set", 1, 0, O_SET},
        {"finetune", 1, 0, O_FT},   {"finetune-lr", 1, 0, O_FTLR}, {"batch", 1, 0, O_BATCH},
        {"seed", 1, 0, O_SEED},     {"latency-repeats", 1, 0, O_LAT}, {"group", 1, 0, O_GROUP},
        {"list-settings", 0, 0, O_LIST}, {"help", 0, 0, O_HELP}, {"kd-alpha", 1, 0, O_KDA},
        {"kd-temperature", 1, 0, O_KDT}, {"base", 1, 0, O_BASE}, {"point", 1, 0, O_POINT},
        {"finetune-params", 1, 0, O_FTP}, {"quantize", 1, 0, O_QUANT}, {0, 0, 0, 0}};
    prune_opts o = {.group = "/model", .point = -1, .ratio = -1, .batch = 64, .seed = 1, .latency = 5,
                    .ft_lr = 1e-3, .kd_temperature = 2, .ft_params = HS_FT_ALL, .quantize = HS_QUANT_NONE};
    const char *sets[HS_MAX_SETTINGS * 2];
    int list = 0;
    hs_cli_parser p = {.name = "prune", .longopts = opts, .help = O_HELP, .print_help = print_help,
                       .args = HS_CLI_ONE_ARG_LATER, .arg = "CHECKPOINT.h5", .argc = argc, .argv = argv};
    int c;
    hs_status s = HS_OK;
    while ((c = hs_cli_next_option(&p, &s)) > 0) {
        switch (c) {
        case O_METHOD: o.method_name = optarg; break;
        case O_RATIO: s = hs_parse_double("--ratio", optarg, 0, 0.999999, &o.ratio); break;
        case O_SET:
            if (o.nsets < (int)(sizeof sets / sizeof sets[0])) sets[o.nsets++] = optarg;
            break;
        case O_FT: s = hs_parse_long("--finetune", optarg, 0, 100000000, &o.finetune), o.given_ft = 1; break;
        case O_FTLR: s = hs_parse_double("--finetune-lr", optarg, 0, 10, &o.ft_lr), o.given_ftlr = 1; break;
        case O_KDA: s = hs_parse_double("--kd-alpha", optarg, 0, 1, &o.kd_alpha), o.given_kda = 1; break;
        case O_KDT: s = hs_parse_double("--kd-temperature", optarg, 0.01, 100, &o.kd_temperature), o.given_kdt = 1; break;
        case O_BATCH: s = hs_parse_long("--batch", optarg, 1, 1 << 16, &o.batch), o.given_batch = 1; break;
        case O_SEED: s = hs_parse_long("--seed", optarg, 0, 2147483647L, &o.seed), o.given_seed = 1; break;
        case O_LAT: s = hs_parse_long("--latency-repeats", optarg, 0, 64, &o.latency), o.given_lat = 1; break;
        case O_GROUP: o.group = optarg, o.given_group = 1; break;
        case O_FTP: s = parse_choice("--finetune-params", optarg, hs_ft_params_names, &o.ft_params), o.given_ftp = 1; break;
        case O_QUANT: s = parse_choice("--quantize", optarg, hs_quant_names, &o.quantize), o.given_quant = 1; break;
        case O_LIST: list = 1; break;
        case O_BASE: o.base = optarg; break;
        case O_POINT: s = hs_parse_long("--point", optarg, 0, 1L << 40, &o.point); break;
        }
    }
    if (c == HS_CLI_HELP) return 0;
    if (s != HS_OK) return hs_cli_report(s);
    if (o.point >= 0) {
        /* the row says everything: a flag that would change it is refused */
        const char *extra = o.method_name ? "--method" : o.ratio >= 0 ? "--ratio" : o.nsets ? "--set"
                            : o.given_ft ? "--finetune" : o.given_ftlr ? "--finetune-lr" : o.given_kda ? "--kd-alpha"
                            : o.given_kdt ? "--kd-temperature" : o.given_batch ? "--batch" : o.given_seed ? "--seed"
                            : o.given_lat ? "--latency-repeats" : o.given_group ? "--group" : o.base ? "--base"
                            : list ? "--list-settings" : NULL;
        if (extra)
            s = hs_error_set(HS_ERR_INPUT, "prune: --point N re-runs that row with the sweep's own settings: leave out %s",
                             extra);
        if (s == HS_OK) s = hs_cli_check_args(&p);
        hs_cli_sweep cs;
        memset(&cs, 0, sizeof cs);
        if (s == HS_OK) s = hs_cli_sweep_open(&cs, argv[optind]);
        if (s == HS_OK) s = hs_cli_sweep_check_point(&cs, o.point);
        if (s == HS_OK) s = run_point(&o, &cs);
        hs_cli_sweep_close(&cs);
        return s == HS_OK ? 0 : hs_cli_report(s);
    }
    if (!o.method_name)
        return hs_cli_report(hs_error_set(HS_ERR_INPUT, "prune: --method is required (valid: %s)", hs_method_names()));
    o.method = hs_method_find(o.method_name);
    /* a label of a sweep's method entry is a --method only with --base */
    if (!o.method && (list || (!o.base && !o.given_group)))
        return hs_cli_report(hs_error_set(HS_ERR_INPUT, "prune: unknown method '%s' (valid: %s)", o.method_name,
                                          hs_method_names()));
    if (list) {
        list_settings(o.method);
        return 0;
    }
    if (s == HS_OK && o.ratio < 0) s = hs_error_set(HS_ERR_INPUT, "prune: --ratio is required (0 <= R < 1)");
    if (s == HS_OK && o.base && o.given_seed)
        s = hs_error_set(HS_ERR_INPUT, "prune: --base TASK/SEED names the seed: leave out --seed");
    if (s == HS_OK && o.base && o.given_group)
        s = hs_error_set(HS_ERR_INPUT, "prune: --base TASK/SEED names the base model: leave out --group");
    if (s == HS_OK) s = hs_cli_check_args(&p);
    if (s != HS_OK) return hs_cli_report(s);
    o.ckpt = argv[optind];
    /* a results file: --base, or --group naming one of its base models */
    char gb[512];
    const int results = hs_cli_is_results_file(o.ckpt);
    if (results && !o.base && o.given_group && hs_cli_sweep_group_base(o.group, gb, sizeof gb)) o.base = gb;
    if (o.base && !results) return hs_cli_report(hs_cli_not_results_file(o.ckpt));
    if (results && !o.base)
        return hs_cli_report(hs_error_set(HS_ERR_INPUT, "%s is a sweep's results file: name a base model with --base "
                                          "TASK/SEED or a point with --point N", o.ckpt));
    hs_cli_sweep cs;
    memset(&cs, 0, sizeof cs);
    long b = -1;
    if (o.base) {
        s = hs_cli_sweep_open(&cs, o.ckpt);
        if (s == HS_OK) s = hs_cli_sweep_find_base(&cs, o.base, &b);
        /* --method may name an entry of the sweep by its label: its method and settings */
        for (int i = 0; s == HS_OK && i < cs.sw.n_methods; i++)
            if (!strcmp(cs.sw.methods[i].label, o.method_name)) {
                o.method = cs.sw.methods[i].method;
                o.set = cs.sw.methods[i].set;
            }
        if (s == HS_OK && !o.method)
            s = hs_error_set(HS_ERR_INPUT, "prune: unknown method '%s' (valid: %s)", o.method_name, hs_method_names());
        if (s != HS_OK) {
            hs_cli_sweep_close(&cs);
            return hs_cli_report(s);
        }
    }
    if (!o.method)
        return hs_cli_report(hs_error_set(HS_ERR_INPUT, "prune: unknown method '%s' (valid: %s)", o.method_name,
                                          hs_method_names()));
    int from_entry = 0;
    for (int i = 0; o.base && i < cs.sw.n_methods; i++) from_entry |= !strcmp(cs.sw.methods[i].label, o.method_name);
    if (!from_entry) hs_settings_defaults(o.method, &o.set);
    for (int i = 0; i < o.nsets && s == HS_OK; i++) s = parse_setting(o.method, sets[i], &o.set);
    if (s == HS_OK) s = run(&o, o.base ? &cs : NULL, b);
    if (o.base) hs_cli_sweep_close(&cs);
    return s == HS_OK ? 0 : hs_cli_report(s);
}
