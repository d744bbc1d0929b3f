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
#include "../store/checkpoint.h"
#include "../store/h5util.h"
#include "../sweep/config.h"
#include "cli.h"
#include "task_attrs.h"

static const char help[] =
    "usage: headsweep prune CHECKPOINT.h5 --method NAME --ratio R [options]\n\n"
    "Prunes a trained model (from `headsweep train`) at one ratio and reports the\n"
    "test metric before, after pruning and after fine-tuning, FLOPs and latency.\n\n"
    "  --method NAME       one of the methods listed below\n"
    "  --ratio R           fraction of heads removed, 0 <= R < 1\n"
    "  --set NAME=VALUE    a method setting (repeatable); --list-settings shows them\n"
    "  --finetune N        fine-tuning steps with the mask fixed [0]\n"
    "  --finetune-lr X     [1e-3]\n"
    "  --kd-alpha X        distillation weight of fine-tuning, base model as teacher, 0 = off [0]\n"
    "  --kd-temperature T  distillation temperature [2]\n"
    "  --finetune-params P what fine-tuning updates: all, bias (BitFit) or\n"
    "                      gates+output (MAE's FTG+) [all]\n"
    "  --quantize Q        none or int8: int8 quantisation-aware fine-tuning, and the\n"
    "                      int8 model's metric and size [none]\n"
    "  --batch N           evaluation / fine-tuning batch [64]\n"
    "  --seed N            seed of the point's random streams [1]\n"
    "  --latency-repeats N timed forward passes per model, 0 = skip [5]\n"
    "  --group PATH        checkpoint group [/model]\n"
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
    const char *ckpt, *group;
    const hs_method *method;
    hs_settings set;
    double ratio;
    long finetune, batch, seed, latency;
    double ft_lr;
    double kd_alpha, kd_temperature;
    int ft_params, quantize;
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

static hs_status run(const prune_opts *o)
{
    hid_t f;
    HS_CHECK(hs_h5_open_read(o->ckpt, &f));
    hs_model *m = NULL;
    hs_task *task = NULL;
    hs_point_result r = {0};
    char where[4200], strbuf[4096];
    snprintf(where, sizeof where, "%s:%s", o->ckpt, o->group);
    hs_task_spec spec;
    char pre[4096] = "";
    hs_text_encoder *enc = NULL;
    hs_status s = hs_checkpoint_read(f, o->group, o->ckpt, &m);
    if (s == HS_OK) {
        hid_t g = H5Gopen2(f, o->group, H5P_DEFAULT);
        s = hs_task_spec_read(g, &spec, strbuf, sizeof strbuf, where);
        /* a model trained with --pretrained: its texts need that folder's tokenizer */
        if (s == HS_OK && H5Aexists(g, "pretrained") > 0) s = hs_h5_attr_read_str(g, "pretrained", pre, sizeof pre, where);
        H5Gclose(g);
    }
    H5Fclose(f);
    if (s == HS_OK && *pre && spec.tokenizer && !strcmp(spec.tokenizer, "pretrained")) {
        s = hs_sweep_pretrained_encoder(pre, &enc);
        spec.encoder = enc;
    }
    if (s == HS_OK) s = hs_task_open(&task, &spec);
    if (s == HS_OK && (task->shape.seq_len != m->cfg.seq_len || task->shape.n_out != m->cfg.n_out))
        s = hs_error_set(HS_ERR_INPUT, "%s: the task's shape no longer matches the checkpoint (data changed?)",
                         where);
    const int N = m ? m->cfg.layers * m->cfg.heads : 0;
    if (s == HS_OK) s = hs_calloc((void **)&r.mask, (size_t)N, 1, "mask");
    if (s == HS_OK) s = hs_calloc((void **)&r.importance, (size_t)N, sizeof(float), "importance");
    if (s != HS_OK) goto done;
    const uint64_t key = hs_key_str(hs_key_f64(hs_key_str(hs_key_str(hs_key_u64(0, (uint64_t)o->seed),
                                                                    spec.name), o->method->name),
                                               o->ratio), "point");
    const hs_point_opts po = {o->finetune, o->ft_lr, (int)o->batch, (int)o->latency, o->kd_alpha,
                              o->kd_temperature, o->ft_params, o->quantize};
    s = hs_point_run(m, task, o->method, &o->set, o->ratio, key, &po, &r);
    if (s != HS_OK) goto done;
    const char *metric = hs_metric_name(task->metric);
    printf("task %s, method %s, ratio %g: heads kept %ld of %ld, parameters kept %ld of %ld\n", spec.name,
           o->method->name, o->ratio, r.heads_kept, r.heads_total, r.params_kept, r.params_total);
    printf("%s: base %.4f  pruned %.4f  fine-tuned %.4f\n", metric, r.metric_base, r.metric_pruned,
           r.metric_finetuned);
    if (o->quantize) printf("int8 model: %s %.4f  size %ld bytes\n", metric, r.metric_int8, r.int8_bytes);
    if (r.improved >= 0) printf("removals that improved the prune-split %s: %ld\n", metric, r.improved);
    printf("flops ratio %.4f  latency ratio %.4f  shrunk-vs-masked max diff %.2e  evals %ld  %.2f s\n",
           r.flops_ratio, r.latency_ratio, r.shrink_max_diff, r.evals, r.seconds);
    printf("mask (layer x head, 1 = kept) and importance:\n");
    for (int l = 0; l < m->cfg.layers; l++) {
        printf("  layer %d:", l);
        for (int j = 0; j < m->cfg.heads; j++) printf(" %d", r.mask[l * m->cfg.heads + j]);
        printf("   ");
        for (int j = 0; j < m->cfg.heads; j++) printf(" %.4g", r.importance[l * m->cfg.heads + j]);
        printf("\n");
    }
    if (r.curve_len) {
        if (o->method->curve_label)
            printf("curve (%s):", o->method->curve_label);
        else
            printf("curve (prune-split %s per step):", metric);
        for (int i = 0; i < r.curve_len; i++) printf(" %.4f", r.curve[i]);
        printf("\n");
    }
done:
    hs_free(r.mask);
    hs_free(r.importance);
    hs_task_destroy(&task);
    hs_sweep_pretrained_encoder_free(&enc);
    hs_model_destroy(&m);
    return s;
}

int hs_cmd_prune(int argc, char **argv)
{
    enum { O_METHOD = 256, O_RATIO, O_SET, O_FT, O_FTLR, O_BATCH, O_SEED, O_LAT, O_GROUP, O_LIST, O_HELP,
           O_KDA, O_KDT, O_FTP, O_QUANT };
    static const struct option opts[] = {
        {"method", 1, 0, O_METHOD}, {"ratio", 1, 0, O_RATIO},   {"set", 1, 0, O_SET},
        {"finetune", 1, 0, O_FT},   {"finetune-lr", 1, 0, O_FTLR}, {"batch", 1, 0, O_BATCH},
        {"seed", 1, 0, O_SEED},     {"latency-repeats", 1, 0, O_LAT}, {"group", 1, 0, O_GROUP},
        {"list-settings", 0, 0, O_LIST}, {"help", 0, 0, O_HELP}, {"kd-alpha", 1, 0, O_KDA},
        {"kd-temperature", 1, 0, O_KDT}, {"finetune-params", 1, 0, O_FTP}, {"quantize", 1, 0, O_QUANT},
        {0, 0, 0, 0}};
    prune_opts o = {NULL, "/model", NULL, {{0}}, -1, 0, 64, 1, 5, 1e-3, 0, 2, HS_FT_ALL, HS_QUANT_NONE};
    const char *sets[HS_MAX_SETTINGS * 2];
    int nsets = 0, list = 0;
    hs_cli_parser p = {.name = "prune", .longopts = opts, .help = O_HELP, .print_help = print_help,
                       .args = HS_CLI_ONE_ARG_LATER, .arg = "CHECKPOINT.h5", .argc = argc, .argv = argv};
    int c;
    hs_status s = HS_OK;
    while ((c = hs_cli_next_option(&p, &s)) > 0) {
        switch (c) {
        case O_METHOD:
            o.method = hs_method_find(optarg);
            if (!o.method)
                s = hs_error_set(HS_ERR_INPUT, "prune: unknown method '%s' (valid: %s)", optarg, hs_method_names());
            break;
        case O_RATIO: s = hs_parse_double("--ratio", optarg, 0, 0.999999, &o.ratio); break;
        case O_SET:
            if (nsets < (int)(sizeof sets / sizeof sets[0])) sets[nsets++] = optarg;
            break;
        case O_FT: s = hs_parse_long("--finetune", optarg, 0, 100000000, &o.finetune); break;
        case O_FTLR: s = hs_parse_double("--finetune-lr", optarg, 0, 10, &o.ft_lr); break;
        case O_KDA: s = hs_parse_double("--kd-alpha", optarg, 0, 1, &o.kd_alpha); break;
        case O_KDT: s = hs_parse_double("--kd-temperature", optarg, 0.01, 100, &o.kd_temperature); break;
        case O_FTP: s = parse_choice("--finetune-params", optarg, hs_ft_params_names, &o.ft_params); break;
        case O_QUANT: s = parse_choice("--quantize", optarg, hs_quant_names, &o.quantize); break;
        case O_BATCH: s = hs_parse_long("--batch", optarg, 1, 1 << 16, &o.batch); break;
        case O_SEED: s = hs_parse_long("--seed", optarg, 0, 2147483647L, &o.seed); break;
        case O_LAT: s = hs_parse_long("--latency-repeats", optarg, 0, 64, &o.latency); break;
        case O_GROUP: o.group = optarg; break;
        case O_LIST: list = 1; break;
        }
    }
    if (c == HS_CLI_HELP) return 0;
    if (s != HS_OK) return hs_cli_report(s);
    if (!o.method)
        return hs_cli_report(hs_error_set(HS_ERR_INPUT, "prune: --method is required (valid: %s)", hs_method_names()));
    if (list) {
        list_settings(o.method);
        return 0;
    }
    hs_settings_defaults(o.method, &o.set);
    for (int i = 0; i < nsets && s == HS_OK; i++) s = parse_setting(o.method, sets[i], &o.set);
    if (s == HS_OK && o.ratio < 0) s = hs_error_set(HS_ERR_INPUT, "prune: --ratio is required (0 <= R < 1)");
    if (s == HS_OK && o.kd_alpha > 0 && o.finetune == 0)
        s = hs_error_set(HS_ERR_INPUT, "prune: --kd-alpha applies to fine-tuning: expected --finetune N > 0");
    if (s == HS_OK && o.ft_params != HS_FT_ALL && o.finetune == 0)
        s = hs_error_set(HS_ERR_INPUT, "prune: --finetune-params applies to fine-tuning: expected --finetune N > 0");
    if (s == HS_OK) s = hs_cli_check_args(&p);
    if (s != HS_OK) return hs_cli_report(s);
    o.ckpt = argv[optind];
    s = run(&o);
    return s == HS_OK ? 0 : hs_cli_report(s);
}
