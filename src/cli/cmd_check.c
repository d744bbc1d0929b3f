/* cmd_check.c — `headsweep check SWEEP.cfg`: validates a sweep file, opens
 * every task (so missing or bad data files are reported now, not an hour
 * into a batch job), and prints the grid and an estimated cost. Opening the
 * tasks costs what loading their data costs (seconds for a large TSV or
 * image set); nothing is trained and nothing is written. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../core/model.h"
#include "../sweep/config.h"
#include "cli.h"

static const char help[] =
    "usage: headsweep check SWEEP.cfg\n\n"
    "Validates a sweep file (docs/sweep-file.md), opens every task's data, and\n"
    "prints the tasks with their model shapes and split sizes, the methods with\n"
    "their effective settings, the grid (base jobs and points) and an estimated\n"
    "cost in core-hours. Exit status 0 if the sweep is valid, 2 if not.\n";

/* Core-hours of f FLOPs at the assumed speed of one core. */
static double core_hours(double f) { return f / HS_SWEEP_FLOPS_PER_CORE / 3600.0; }

static void print_method(const hs_sweep_method *e)
{
    const hs_method *m = e->method;
    printf("  %-16s %s", e->label, m->name);
    for (int i = 0; i < m->n_settings; i++) {
        const hs_setting_def *d = &m->settings[i];
        const double v = e->set.v[i];
        printf("%s%s = ", i ? ", " : ": ", d->name);
        if (d->type == HS_SET_BOOL) printf("%s", v != 0 ? "true" : "false");
        else if (d->type == HS_SET_CHOICE) printf("%s", d->choices[(int)v]);
        else printf("%g", v);
    }
    printf("\n");
}

/* Opens every task (seed index 0), prints it and adds up the cost. */
static hs_status run(const hs_sweep *sw)
{
    printf("sweep %s: %s -> %s (fingerprint %016llx)\n", sw->name, sw->file, sw->output,
           (unsigned long long)sw->fingerprint);
    printf("seeds: ");
    for (int i = 0; i < sw->n_seeds; i++) printf("%s%ld", i ? ", " : "", sw->seeds[i]);
    printf(" (sweep seed %llu)\nratios: ", (unsigned long long)sw->seed);
    for (int i = 0; i < sw->n_ratios; i++) printf("%s%g", i ? ", " : "", sw->ratios[i]);
    printf("\n\ntasks (%d):\n", sw->n_tasks);

    double base_flops = 0, method_flops[64] = {0}, total_points = 0, chain = 0;
    /* with groups: per task, its base job's FLOPs, its micro-batches (the most
     * ranks it can use) and its longest point */
    double gbf[256] = {0}, glong[256] = {0};
    int gm[256] = {0}, any_group = 0;
    const int nm = sw->n_methods < 64 ? sw->n_methods : 64;
    hs_status s = HS_OK;
    for (int i = 0; i < sw->n_tasks && s == HS_OK; i++) {
        const hs_sweep_task *st = &sw->tasks[i];
        hs_task *t = NULL;
        hs_model *m = NULL;
        s = hs_sweep_task_open(sw, i, 0, &t);
        if (s != HS_OK) break;
        const hs_config c = hs_sweep_model_config(sw, i, t);
        s = hs_model_create(&m, &c);
        if (s != HS_OK) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", hs_error_message());
            hs_error_clear();
            s = hs_error_set(s, "%s:%d: tasks[%d] (%s): model: %s", sw->file, st->line, i, st->name, msg);
            hs_task_destroy(&t);
            break;
        }
        hs_sweep_pretrained_prov pv;
        /* the folder loaded once in full, as its base jobs will: a broken one is refused now */
        if (st->pretrained) s = hs_sweep_pretrained_verify(st->pretrained, &c, t, st->train.steps, &pv);
        if (s != HS_OK) {
            hs_model_destroy(&m);
            hs_task_destroy(&t);
            break;
        }
        printf("  %s (%s): %s\n", st->name, st->spec.kind, t->description);
        if (st->pretrained)
            printf("      pretrained: %s (%s, %s; transformers %s, %s; %s %lld bytes, header sha256 %.16s...)\n",
                   st->pretrained, pv.model_type, pv.architectures, pv.transformers_version, pv.torch_dtype,
                   pv.weights_file, pv.weights_bytes, pv.weights_header_sha256);
        printf("      model: d_model %d, heads %d, layers %d, d_ff %d; seq_len %d, ", c.d_model, c.heads, c.layers,
               c.d_ff, c.seq_len);
        if (c.patch_dim) printf("patch_dim %d", c.patch_dim);
        else printf("vocab %d", c.vocab);
        printf(", n_out %d%s; %zu parameters\n", c.n_out, c.lm ? " (every position)" : "", m->num_params);
        printf("      splits: %ld train / %ld prune / %ld test; metric %s\n", t->split[HS_SPLIT_TRAIN].n,
               t->split[HS_SPLIT_PRUNE].n, t->split[HS_SPLIT_TEST].n, hs_metric_name(t->metric));
        if (st->train.micro_batches > 1)
            printf("      micro-batches: %d (its base job can run on up to %d ranks)\n", st->train.micro_batches,
                   st->train.micro_batches);
        printf("      train: %ld steps, batch %d, lr %g, warmup %ld, weight_decay %g, clip %g\n", st->train.steps,
               st->train.batch, st->train.lr, st->train.warmup, st->train.weight_decay, st->train.clip);
        /* ratios are distinct, but two may still remove the same number of
         * heads k = round(ratio·L·H) from this model: points that repeat work */
        const int N = c.layers * c.heads;
        for (int a = 0; a < sw->n_ratios; a++)
            for (int b = a + 1; b < sw->n_ratios; b++)
                if (lround(sw->ratios[a] * N) == lround(sw->ratios[b] * N))
                    printf("      note: ratios %g and %g both remove %ld of its %d heads\n", sw->ratios[a],
                           sw->ratios[b], lround(sw->ratios[a] * N), N);
        const double bf = hs_sweep_base_flops(sw, i, t);
        base_flops += bf * sw->n_seeds;
        double tp = 0, longest = 0;
        for (long p = 0; p < sw->n_points; p++) {
            const hs_sweep_point *pt = &sw->points[p];
            if (pt->task != i) continue;
            const double f = hs_sweep_point_flops(sw, pt, t);
            if (pt->method < nm) method_flops[pt->method] += f;
            tp += f;
            if (f > longest) longest = f;
        }
        /* a point cannot start before its base job ends: base + longest
         * point bounds the wall time from below, however many cores */
        if (bf + longest > chain) chain = bf + longest;
        if (i < 256) {
            gbf[i] = bf;
            glong[i] = longest;
            gm[i] = st->train.micro_batches;
            any_group |= gm[i] > 1;
        }
        total_points += tp;
        printf("      cost: %.3g FLOP per base job, %.3g FLOP for its %ld points\n", bf,
               tp / sw->n_seeds, (long)sw->n_methods * sw->n_ratios);
        hs_model_destroy(&m);
        hs_task_destroy(&t);
    }
    if (s != HS_OK) return s;

    printf("\nmethods (%d):\n", sw->n_methods);
    for (int i = 0; i < sw->n_methods; i++) print_method(&sw->methods[i]);
    if (sw->finetune_steps > 0 && sw->finetune_lr_given)
        printf("finetune: %ld steps, lr %g\n", sw->finetune_steps, sw->finetune_lr);
    else if (sw->finetune_steps > 0) {
        printf("finetune: %ld steps, lr %g x train.lr (", sw->finetune_steps, HS_FINETUNE_LR_FACTOR);
        for (int i = 0; i < sw->n_tasks; i++)
            printf("%s%s %g", i ? ", " : "", sw->tasks[i].name, hs_sweep_point_opts(sw, i).finetune_lr);
        printf(")\n");
    }
    else printf("finetune: none\n");
    printf("run: batch %d, latency_repeats %d, point_timeout ", sw->batch, sw->latency_repeats);
    if (sw->point_timeout > 0) printf("%g s", sw->point_timeout);
    else printf("none");
    printf(", retries %d, grace %g s", sw->retries, sw->grace);
    if (sw->threads > 1) printf(", threads %d", sw->threads);
    printf("\n");

    printf("\ngrid: %ld base jobs (%d tasks x %d seeds), %ld points (%d tasks x %d methods x %d ratios x %d seeds)\n",
           sw->n_bases, sw->n_tasks, sw->n_seeds, sw->n_points, sw->n_tasks, sw->n_methods, sw->n_ratios,
           sw->n_seeds);

    const double total = base_flops + total_points;
    printf("\nestimated cost (analytic FLOPs at an assumed %.0f GFLOP/s per core; see docs/sweep-file.md):\n",
           HS_SWEEP_FLOPS_PER_CORE / 1e9);
    printf("  %-26s %10.3g FLOP %10.4f core-hours\n", "base training", base_flops, core_hours(base_flops));
    for (int i = 0; i < nm; i++) {
        char what[64];
        snprintf(what, sizeof what, "points: %s", sw->methods[i].label);
        printf("  %-26s %10.3g FLOP %10.4f core-hours\n", what, method_flops[i], core_hours(method_flops[i]));
    }
    const double h = core_hours(total);
    printf("  %-26s %10.3g FLOP %10.4f core-hours", "total", total, h);
    if (h < 2) printf(" (%.1f min on 1 core, %.1f min on 2 cores)\n", h * 60, h * 30);
    else printf(" (%.1f h on 32 cores, %.1f h on 128 cores)\n", h / 32, h / 128);
    /* one base job runs on one core: its length bounds the wall time */
    const double ch = core_hours(chain);
    /* with micro-batches a base job may run on a group: then only a bound for one rank per base job */
    const char *bound = any_group ? "the least wall time with base jobs on one rank each"
                                  : "the least wall time, however many cores";
    if (ch < 2) printf("  %-26s %10.3g FLOP %10.1f min: %s\n", "longest base job + point", chain, ch * 60, bound);
    else printf("  %-26s %10.3g FLOP %10.2f h: %s\n", "longest base job + point", chain, ch, bound);
    if (any_group && sw->n_tasks <= 256) {
        /* base jobs on groups (docs/design.md "Base jobs on groups of ranks"):
         * with N workers, a base job gets at most min(micro_batches, N / base
         * jobs) ranks when they start together (communication not counted);
         * the wall time is at least the longer of the work spread over N and
         * the longest such base job plus its longest point */
        printf("  with base jobs on groups (train.micro_batches; communication not counted):\n");
        const int ns[3] = {8, 32, 128};
        for (int k = 0; k < 3; k++) {
            const int N = ns[k];
            double crit = 0;
            for (int i = 0; i < sw->n_tasks; i++) {
                long share = sw->n_bases > 0 ? N / sw->n_bases : 1;
                if (share < 1) share = 1;
                const long gsz = share < gm[i] ? share : gm[i];
                const double c = gbf[i] / (double)gsz + glong[i];
                if (c > crit) crit = c;
            }
            const double wall = fmax(total / N, crit);
            const double wh = core_hours(wall);
            if (wh < 2) printf("    %3d workers: %.1f min wall time at least\n", N, wh * 60);
            else printf("    %3d workers: %.2f h wall time at least\n", N, wh);
        }
    }
    return HS_OK;
}

int hs_cmd_check(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(help, stdout);
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-')
        return hs_cli_report(hs_error_set(HS_ERR_INPUT, "check: expected exactly one SWEEP.cfg argument "
                                                        "(see headsweep check --help)"));
    hs_sweep sw;
    hs_status s = hs_sweep_load(argv[1], &sw);
    if (s == HS_OK) s = run(&sw);
    hs_sweep_free(&sw);
    return s == HS_OK ? 0 : hs_cli_report(s);
}
