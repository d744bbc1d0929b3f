/* test_sweep_grid.c — the sweep grid (src/sweep): order and ids, base-job
 * links, key recipes (distinct, stable across loads and independent of the
 * order entries are listed in), the fingerprint rule (what changes it and
 * what does not) and the diff text. Sweeps are parsed from text; no task
 * data is opened. TAP output. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/alloc.h"
#include "../src/core/rng.h"
#include "../src/sweep/config.h"
#include "tap.h"

static const char *const base_text =
    "name = \"grid\";\n"
    "seed = 7;\n"
    "seeds = [1, 2, 3];\n"
    "tasks = ( { name = \"maj\"; kind = \"synthetic\"; generator = \"majority\"; seq_len = 8; },\n"
    "          { name = \"cp\"; kind = \"synthetic\"; generator = \"copy\"; model = { layers = 1; }; } );\n"
    "methods = ( { name = \"random\"; },\n"
    "            { name = \"michel\"; },\n"
    "            { name = \"michel\"; label = \"michel-it\"; reestimate = true; } );\n"
    "ratios = [0.0, 0.25, 0.5, 0.75];\n";

/* Loads text with `from` replaced by `to` (from must occur); NULL: as is. */
static int load(hs_sweep *sw, const char *from, const char *to)
{
    char buf[4096];
    if (from) {
        const char *p = strstr(base_text, from);
        if (!p) {
            tap_diag("test bug: '%s' not in the base text", from);
            return 0;
        }
        snprintf(buf, sizeof buf, "%.*s%s%s", (int)(p - base_text), base_text, to, p + strlen(from));
    } else {
        snprintf(buf, sizeof buf, "%s", base_text);
    }
    hs_status s = hs_sweep_load_text(buf, "grid.cfg", sw);
    if (s != HS_OK) {
        tap_diag("load failed: %s", hs_error_message());
        hs_error_clear();
        return 0;
    }
    return 1;
}

static uint64_t expected_point_key(uint64_t sweep_seed, const char *task, const char *label, double ratio,
                                   long seed)
{
    uint64_t k = hs_key_str(hs_key_u64(0, sweep_seed), task);
    k = hs_key_f64(hs_key_str(k, label), ratio);
    return hs_key_str(hs_key_u64(k, (uint64_t)seed), "point");
}

static void test_order(void)
{
    hs_sweep sw;
    if (!tap_ok(load(&sw, NULL, NULL), "the base sweep loads")) return;
    tap_ok(sw.n_tasks == 2 && sw.n_methods == 3 && sw.n_ratios == 4 && sw.n_seeds == 3, "axes: 2 tasks, 3 methods, 4 ratios, 3 seeds");
    tap_ok(sw.n_bases == 6 && sw.n_points == 72, "6 base jobs, 72 points (got %ld, %ld)", sw.n_bases, sw.n_points);
    int ok = 1;
    long id = 0;
    for (int t = 0; t < 2; t++)
        for (int m = 0; m < 3; m++)
            for (int r = 0; r < 4; r++)
                for (int s = 0; s < 3; s++, id++) {
                    const hs_sweep_point *p = &sw.points[id];
                    ok &= p->id == id && p->task == t && p->method == m && p->ratio == r && p->seed == s;
                    ok &= hs_sweep_point_id(&sw, t, m, r, s) == id;
                    ok &= p->base == t * 3 + s && sw.bases[p->base].task == t && sw.bases[p->base].seed == s;
                }
    tap_ok(ok, "points in order task, method, ratio, seed (seed fastest); ids 0..N-1; base = task*S + seed");
    ok = 1;
    for (long b = 0; b < sw.n_bases; b++) ok &= sw.bases[b].id == b && sw.bases[b].task == b / 3 && sw.bases[b].seed == b % 3;
    tap_ok(ok, "base jobs in order task, seed");
    tap_ok(!strcmp(sw.methods[1].label, "michel") && !strcmp(sw.methods[2].label, "michel-it") &&
               sw.methods[2].method == sw.methods[1].method,
           "the same method twice, told apart by label");
    tap_ok(!strcmp(sw.output, "results/grid.h5"), "output defaults to results/<name>.h5");
    tap_ok(sw.tasks[1].model.layers == 1 && sw.tasks[1].model.d_model == 64 && sw.tasks[1].model.d_ff == 256 &&
               sw.tasks[0].model.layers == 4,
           "per-task model override merges over the defaults");
    tap_ok(sw.tasks[0].train.steps == 2000 && sw.tasks[0].train.warmup == 200 && sw.tasks[0].train.batch == 32,
           "train defaults (steps 2000, warmup steps/10, batch 32)");

    /* keys */
    ok = 1;
    for (long i = 0; i < sw.n_points; i++) {
        const hs_sweep_point *p = &sw.points[i];
        ok &= p->key == expected_point_key(7, sw.tasks[p->task].name, sw.methods[p->method].label,
                                           sw.ratios[p->ratio], sw.seeds[p->seed]);
    }
    tap_ok(ok, "point key = key(sweep seed, task, label, ratio, seed, \"point\")");
    const uint64_t bk = hs_key_str(hs_key_u64(hs_key_str(hs_key_u64(0, 7), "cp"), 2), "base");
    tap_ok(sw.bases[4].key == bk, "base key = key(sweep seed, task, seed, \"base\")");
    int distinct = 1;
    for (long i = 0; i < sw.n_points; i++)
        for (long j = i + 1; j < sw.n_points; j++) distinct &= sw.points[i].key != sw.points[j].key;
    for (long i = 0; i < sw.n_bases; i++) {
        for (long j = i + 1; j < sw.n_bases; j++) distinct &= sw.bases[i].key != sw.bases[j].key;
        for (long j = 0; j < sw.n_points; j++) distinct &= sw.bases[i].key != sw.points[j].key;
        distinct &= hs_sweep_data_seed(&sw, sw.bases[i].task, sw.bases[i].seed) != sw.bases[i].key;
    }
    tap_ok(distinct, "all keys distinct (points, base jobs, data seeds)");
    hs_task_spec spec;
    hs_sweep_task_spec(&sw, 1, 2, &spec);
    tap_ok(spec.seed == hs_sweep_data_seed(&sw, 1, 2) && !strcmp(spec.name, "cp") && !strcmp(spec.generator, "copy"),
           "task spec of a base job carries its data seed");

    hs_sweep again;
    if (load(&again, NULL, NULL)) {
        int same = again.fingerprint == sw.fingerprint;
        for (long i = 0; i < sw.n_points; i++) same &= again.points[i].key == sw.points[i].key;
        tap_ok(same, "a second load gives the same keys and fingerprint");
        char diff[256];
        tap_ok(hs_sweep_diff(&sw, &again, diff, sizeof diff) == 0 && diff[0] == 0, "no differences to itself");
        hs_sweep_free(&again);
    }

    /* listing order changes ids but not keys */
    hs_sweep swapped;
    if (load(&swapped, "ratios = [0.0, 0.25, 0.5, 0.75]", "ratios = [0.75, 0.5, 0.25, 0.0]")) {
        const long a = hs_sweep_point_id(&sw, 1, 2, 1, 2), b = hs_sweep_point_id(&swapped, 1, 2, 2, 2);
        tap_ok(sw.points[a].key == swapped.points[b].key && a != b,
               "keys follow (task, label, ratio, seed), not the order of the file");
        tap_ok(swapped.fingerprint != sw.fingerprint, "reordering ratios (which renumbers points) changes the fingerprint");
        hs_sweep_free(&swapped);
    }
    hs_sweep_free(&sw);
    hs_sweep_free(&sw); /* a freed (zeroed) sweep may be freed again */
}

/* The fingerprint of base_text with one edit, compared with the original's. */
static void fingerprint_case(uint64_t ref, const char *from, const char *to, int should_change, const char *what,
                             const char *diff_word)
{
    hs_sweep sw, orig;
    if (!load(&sw, from, to) || !load(&orig, NULL, NULL)) {
        tap_ok(0, "%s: loads", what);
        return;
    }
    const int changed = sw.fingerprint != ref;
    tap_ok(changed == should_change, "%s %s the fingerprint", what, should_change ? "changes" : "does not change");
    char diff[512];
    const int n = hs_sweep_diff(&orig, &sw, diff, sizeof diff);
    if (should_change)
        tap_ok(n > 0 && strstr(diff, diff_word) != NULL, "%s: the diff says so (%d: %s)", what, n, diff);
    else
        tap_ok(n == 0, "%s: no difference reported (%d: %s)", what, n, diff);
    hs_sweep_free(&sw);
    hs_sweep_free(&orig);
}

static void test_fingerprint(void)
{
    hs_sweep sw;
    if (!load(&sw, NULL, NULL)) return;
    const uint64_t ref = sw.fingerprint;
    char *canon = NULL;
    if (hs_sweep_canonical(&sw, &canon) == HS_OK) {
        tap_ok(hs_sweep_fingerprint_text(canon) == ref, "fingerprint = hash of the canonical text");
        tap_ok(strstr(canon, "output") == NULL && strstr(canon, "grace") == NULL, "canonical text leaves out output and grace");
        hs_free(canon);
    }
    hs_sweep_free(&sw);
    fingerprint_case(ref, "0.75]", "0.7]", 1, "a changed ratio", "ratios: [0, 0.25, 0.5, 0.75] -> [0, 0.25, 0.5, 0.7]");
    fingerprint_case(ref, "seeds = [1, 2, 3]", "seeds = [1, 2, 4]", 1, "a changed seed", "seeds: [1, 2, 3] -> [1, 2, 4]");
    fingerprint_case(ref, "seed = 7;", "seed = 8;", 1, "a changed sweep seed", "seed: 7 -> 8");
    fingerprint_case(ref, "reestimate = true;", "reestimate = true; step_fraction = 0.2;", 1,
                     "a changed method setting", "method michel-it.step_fraction: 0.1 -> 0.2");
    fingerprint_case(ref, "seq_len = 8;", "seq_len = 9;", 1, "a changed task setting", "task maj.seq_len: 8 -> 9");
    fingerprint_case(ref, "model = { layers = 1; }", "model = { layers = 2; }", 1, "a changed per-task model",
                     "task cp.model: d_model 64, heads 8, layers 1");
    fingerprint_case(ref, "label = \"michel-it\";", "label = \"mi\";", 1, "a renamed method label",
                     "methods: [random, michel, michel-it] -> [random, michel, mi]");
    fingerprint_case(ref, "name = \"grid\";", "name = \"grid\";\nfinetune = { steps = 10; };", 1,
                     "fine-tuning", "finetune.steps: 0 -> 10");
    fingerprint_case(ref, "name = \"grid\";", "name = \"grid\";\noutput = \"elsewhere/x.h5\";", 0,
                     "a different output", NULL);
    fingerprint_case(ref, "name = \"grid\";",
                     "name = \"grid\";\nrun = { grace = 5; retries = 3; point_timeout = 60; };", 0,
                     "run.grace, run.retries and run.point_timeout", NULL);
    fingerprint_case(ref, "{ name = \"random\"; }", "{ name = \"random\"; }, { name = \"magnitude\"; }", 1,
                     "an added method", "methods: [random, michel, michel-it] -> [random, magnitude,");
    fingerprint_case(ref, "name = \"grid\";", "name = \"grid\";\nfinetune = { steps = 0; lr = 1e-3; };\n"
                                              "train = { steps = 2000; };", 0,
                     "defaults written out explicitly", NULL);
    {
        hs_sweep tied, given;
        const char *cp = "model = { layers = 1; }; } );";
        if (load(&tied, cp, "model = { layers = 1; }; train = { lr = 3e-3; }; } );\nfinetune = { steps = 10; };") &&
            load(&given, cp, "model = { layers = 1; }; train = { lr = 3e-3; }; } );\nfinetune = { steps = 10; lr = 1e-4; };")) {
            /* two tasks of different train.lr: the tied lr follows each */
            int ok = tied.n_tasks == 2 && tied.tasks[1].train.lr == 3e-3 && tied.tasks[0].train.lr != 3e-3;
            for (int i = 0; i < tied.n_tasks; i++) {
                ok = ok && hs_sweep_point_opts(&tied, i).finetune_lr == HS_FINETUNE_LR_FACTOR * tied.tasks[i].train.lr &&
                     hs_sweep_point_opts(&given, i).finetune_lr == 1e-4;
                printf("# task %s: train.lr %g, fine-tuning lr %g tied, %g given\n", tied.tasks[i].name,
                       tied.tasks[i].train.lr, hs_sweep_point_opts(&tied, i).finetune_lr,
                       hs_sweep_point_opts(&given, i).finetune_lr);
            }
            tap_ok(ok, "finetune.lr left out: each task's train.lr x %g; given: that number", HS_FINETUNE_LR_FACTOR);
            char diff[512];
            const int n = hs_sweep_diff(&tied, &given, diff, sizeof diff);
            tap_ok(tied.fingerprint != given.fingerprint && n > 0 && strstr(diff, "finetune.lr: train.lr * 0.1 -> 0.0001"),
                   "a given fine-tuning lr changes the fingerprint of the tied one (%s)", diff);
        } else
            tap_ok(0, "the fine-tuning lr sweeps load");
        hs_sweep_free(&tied);
        hs_sweep_free(&given);
    }
}

static void test_errors(void)
{
    hs_sweep sw;
    hs_status s = hs_sweep_load_text("ratios = [0.5];\n", "x.cfg", &sw);
    tap_ok(s == HS_ERR_INPUT && strstr(hs_error_message(), "x.cfg: tasks: missing"), "missing tasks: %s",
           hs_error_message());
    hs_error_clear();
    hs_sweep_free(&sw);
    s = hs_sweep_load("/nonexistent/sweep.cfg", &sw);
    tap_ok(s == HS_ERR_INPUT && strstr(hs_error_message(), "cannot open sweep file /nonexistent/sweep.cfg"),
           "a missing file: %s", hs_error_message());
    hs_error_clear();
    hs_sweep_free(&sw);
    /* every allocation failing in turn is reported, never a crash or a leak
     * (the last successful run shows the count was large enough) */
    int all_ok = 1, n = 1;
    for (; n < 400; n++) {
        hs_alloc_fail_after(n);
        char buf[4096];
        snprintf(buf, sizeof buf, "%s", base_text);
        s = hs_sweep_load_text(buf, "grid.cfg", &sw);
        hs_alloc_fail_after(0);
        hs_sweep_free(&sw);
        if (s == HS_OK) break;
        all_ok &= s == HS_ERR_NOMEM;
        hs_error_clear();
    }
    tap_ok(all_ok && n < 400, "allocation failures 1..%d each give HS_ERR_NOMEM", n - 1);
}

/* The cost model of the training methods: `steps` batches of forward +
 * backward (3 passes each), counted in prune-split passes; mae too (it was
 * once counted as a single pass, which made `check` 100x too optimistic). */
static void test_cost(void)
{
    hs_sweep sw;
    if (!load(&sw, "            { name = \"michel\"; label = \"michel-it\"; reestimate = true; } );",
              "            { name = \"l0\"; steps = 200; }, { name = \"movement\"; steps = 100; },\n"
              "            { name = \"mae\"; steps = 600; } );\nrun = { batch = 32; };"))
        return;
    hs_config c = {.layers = 2, .heads = 8};
    const long n_prune = 500;
    const double l0 = hs_sweep_method_passes(&sw, 2, 2, &c, n_prune, 1000);
    const double mv = hs_sweep_method_passes(&sw, 3, 2, &c, n_prune, 1000);
    const double mae = hs_sweep_method_passes(&sw, 4, 2, &c, n_prune, 1000);
    tap_ok(l0 == 3.0 * 200 * 32 / 500, "l0: steps x batch x 3 / n_prune passes (%g)", l0);
    tap_ok(mv == 3.0 * 100 * 32 / 500, "movement: steps x batch x 3 / n_prune passes (%g)", mv);
    tap_ok(mae == 3.0 * 600 * 32 / 500, "mae: steps x batch x 3 / n_prune passes (%g)", mae);
    tap_ok(hs_sweep_method_passes(&sw, 2, 0, &c, n_prune, 1000) == 0, "l0 at ratio 0 costs nothing");
    hs_sweep_free(&sw);
}

/* The method registry is the one list the cost model, `prune` and the sweep
 * file read: every entry must be complete, so that no method falls to a
 * default (the cost model once charged unknown names 1 pass). */
static void test_registry(void)
{
    int n, complete = 1, unique = 1, defaults = 1, costs = 1;
    const hs_method *const *ms = hs_methods(&n);
    for (int i = 0; i < n; i++) {
        const hs_method *m = ms[i];
        complete &= m->name && *m->name && m->summary && *m->summary && m->run && m->passes &&
                    (m->n_settings == 0 || m->settings) && m->n_settings <= HS_MAX_SETTINGS;
        unique &= hs_method_find(m->name) == m;
        for (int j = 0; j < m->n_settings; j++) {
            const hs_setting_def *d = &m->settings[j];
            int nc = 0;
            if (d->type == HS_SET_CHOICE)
                while (d->choices[nc]) nc++;
            defaults &= d->name && d->help && *d->help && hs_setting_index(m, d->name) == j &&
                        (d->type == HS_SET_CHOICE ? d->def >= 0 && d->def < nc : d->def >= d->lo && d->def <= d->hi);
        }
        hs_settings set;
        hs_settings_defaults(m, &set);
        for (int k = 0; k <= 8; k += 4) {
            const hs_cost_ctx c = {m, &set, 16, k, 32, 500, 1000};
            const double p = m->passes(&c);
            costs &= isfinite(p) && p >= 0;
        }
    }
    tap_ok(n >= 10 && complete, "all %d registered methods have a name, summary, run and cost", n);
    tap_ok(unique, "method names are unique and found by name");
    tap_ok(defaults, "every setting has help and a default in its range");
    tap_ok(costs, "every method's cost with its defaults is finite and >= 0");
    tap_ok(hs_method_find("nosuch") == NULL && strstr(hs_method_names(), "random, magnitude, michel"),
           "an unknown name is not found; the names list comes from the registry: %s", hs_method_names());
}

/* The task-kind registry: what config.c, the canonical text, checkpoint
 * attributes and `train` read. A kind's settings must all be known fields
 * and its required one among them; a kind not in it is an error everywhere. */
static void test_kinds(void)
{
    int nk, nf, complete = 1, fields_ok = 1, used_all = 1;
    const hs_task_kind *k = hs_task_kinds(&nk);
    const hs_task_field *f = hs_task_fields(&nf);
    for (int i = 0; i < nk; i++) {
        complete &= k[i].name && k[i].summary && k[i].open && k[i].fields && k[i].required &&
                    hs_task_kind_find(k[i].name) == &k[i] && !strcmp(hs_task_kind_names()[i], k[i].name) &&
                    hs_task_kind_has(&k[i], k[i].required);
        for (int j = 0; k[i].fields[j]; j++) fields_ok &= hs_task_field_find(k[i].fields[j]) != NULL;
    }
    for (int i = 0; i < nf; i++) {
        int used = 0;
        for (int j = 0; j < nk; j++) used |= hs_task_kind_has(&k[j], f[i].name);
        used_all &= used && hs_task_field_find(f[i].name) == &f[i] && f[i].help &&
                    (f[i].type != HS_TF_CHOICE || (f[i].choices && f[i].choices[0]));
    }
    tap_ok(nk == 4 && complete && hs_task_kind_names()[nk] == NULL,
           "all %d kinds have a name, summary, entry point and a required setting among their own", nk);
    tap_ok(fields_ok && used_all, "every kind setting is in the field table, each field belongs to a kind");
    tap_ok(!strcmp(hs_task_kind_list(), "synthetic, tsv, images, lm") && hs_task_kind_find("video") == NULL,
           "the kind list comes from the registry: %s", hs_task_kind_list());
    hs_task *t = NULL;
    const hs_task_spec spec = {.name = "v", .kind = "video"};
    hs_status s = hs_task_open(&t, &spec);
    tap_ok(s == HS_ERR_INPUT && !t && strstr(hs_error_message(), "unknown kind 'video' (expected one of synthetic"),
           "opening an unknown kind is an error: %s", hs_error_message());
    hs_error_clear();
    /* the canonical text of a sweep whose task kind is not registered is an
     * error (it once fell through to the lm settings) */
    hs_sweep sw;
    if (!load(&sw, NULL, NULL)) return;
    char *canon = NULL;
    tap_ok(hs_sweep_canonical(&sw, &canon) == HS_OK && strstr(canon, "task maj.generator = \"majority\"\n"),
           "a registered kind's canonical text lists its settings");
    hs_free(canon);
    canon = NULL;
    const char *kind = sw.tasks[0].spec.kind;
    sw.tasks[0].spec.kind = "video";
    s = hs_sweep_canonical(&sw, &canon);
    tap_ok(s == HS_ERR_INPUT && !canon && strstr(hs_error_message(), "unknown kind 'video'"),
           "an unregistered kind in the canonical text is an error: %s", hs_error_message());
    hs_error_clear();
    sw.tasks[0].spec.kind = kind;
    hs_sweep_free(&sw);
}

int main(void)
{
    test_registry();
    test_kinds();
    test_order();
    test_fingerprint();
    test_errors();
    test_cost();
    return tap_done();
}
