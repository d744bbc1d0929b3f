/* cmd_export.c — `headsweep export`: a sweep's base model, or one point's
 * pruned model, written as a Hugging Face folder (docs/pretrained.md). The
 * results file keeps base models and each point's mask, so a point's model
 * is its base model with the mask applied, physically shrunk: heads with
 * mask 0 are removed (config.json's pruned_heads), and layers a layer-
 * dropping method removed are left out. Points' fine-tuned weights are not
 * stored: the exported point is the pruned model its metric_pruned scored. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/alloc.h"
#include "../pretrained/hf_model.h"
#include "../store/results.h"
#include "../sweep/config.h"
#include "cli.h"

static const char help[] =
    "usage: headsweep export RESULTS.h5 (--point N | --base TASK/SEED) -o DIR\n\n"
    "Writes a model of a sweep on a pretrained model (model.pretrained) as a\n"
    "Hugging Face folder DIR: config.json, model.safetensors and the tokenizer\n"
    "files of the original folder. --point N: the base model of point N with\n"
    "its mask applied and the pruned heads physically removed (pruned_heads in\n"
    "config.json; a dropped layer is left out); this is the model the row's\n"
    "metric_pruned measured (fine-tuned weights are not kept in the file).\n"
    "--base TASK/SEED: the fine-tuned base model of that task and seed value.\n\n"
    "  --point N          a row id of /points (see `headsweep query`)\n"
    "  --base TASK/SEED   a base job: task name and seed value\n"
    "  -o, --output DIR   the folder to write (must not exist, or be empty)\n";

/* A copy of m without its dropped layers (layer_off), so the folder's
 * num_hidden_layers counts only the layers that run. */
static hs_status without_dropped_layers(const hs_model *m, hs_model **out)
{
    const int L = m->cfg.layers;
    int keep = 0;
    for (int l = 0; l < L; l++) keep += !m->layer_off[l];
    if (keep == 0)
        return hs_error_set(HS_ERR_INPUT, "every layer of this point is dropped: there is no model to export");
    hs_config c = m->cfg;
    c.layers = keep;
    HS_CHECK(hs_model_create(out, &c));
    hs_model *n = *out;
    for (int i = 0; i < HS_NUM_PARAMS; i++) {
        const hs_tensor_info *a = &m->info[i], *b = &n->info[i];
        if (!a->count) continue;
        const int per_layer = a->rank >= 2 && a->dims[0] == (size_t)L && b->dims[0] == (size_t)keep &&
                              i >= HS_P_LN1_G && i <= HS_P_B2;
        if (!per_layer && i != HS_P_GATES) {
            memcpy(n->p.at[i], m->p.at[i], sizeof(hs_real) * a->count);
            continue;
        }
        const size_t slice = a->count / (size_t)L;
        for (int l = 0, k = 0; l < L; l++)
            if (!m->layer_off[l]) memcpy(n->p.at[i] + slice * k++, m->p.at[i] + slice * l, sizeof(hs_real) * slice);
    }
    return HS_OK;
}

int hs_cmd_export(int argc, char **argv)
{
    static const struct option longopts[] = {{"point", required_argument, NULL, 'p'},
                                             {"base", required_argument, NULL, 'b'},
                                             {"output", required_argument, NULL, 'o'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    long point = -1;
    const char *base = NULL, *dir = NULL;
    hs_cli_parser p = {.name = "export", .shortopts = "o:h", .longopts = longopts, .help = 'h', .help_text = help,
                       .args = HS_CLI_OWN_ERRORS, .argc = argc, .argv = argv};
    hs_status s = HS_OK;
    int c;
    while ((c = hs_cli_next_option(&p, &s)) > 0) {
        switch (c) {
        case 'p': s = hs_parse_long("--point", optarg, 0, 1L << 40, &point); break;
        case 'b': base = optarg; break;
        case 'o': dir = optarg; break;
        default:
            fprintf(stderr, "headsweep export: unknown option or missing value: %s\n%s", argv[optind - 1], help);
            return 2;
        }
        if (s != HS_OK) return hs_cli_report(s);
    }
    if (c == HS_CLI_HELP) return 0;
    if (optind != argc - 1 || !dir || (point < 0) == (base == NULL)) {
        fprintf(stderr, "headsweep export: expected RESULTS.h5, one of --point N or --base TASK/SEED, and -o DIR\n%s",
                help);
        return 2;
    }
    const char *path = argv[optind];
    hs_results *r = NULL;
    hs_sweep sw;
    memset(&sw, 0, sizeof sw);
    hs_model *m = NULL, *small = NULL;
    hs_point_row *rows = NULL;
    hs_base_row *brows = NULL;
    uint8_t *mask = NULL;
    float *imp = NULL;
    double curve[HS_CURVE_WIDTH];
    s = hs_results_open(&r, path, 0);
    if (s == HS_OK) s = hs_sweep_load_text(hs_results_sweep_text(r), path, &sw);
    long b = -1;
    const long np = s == HS_OK ? hs_results_n_points(r) : 0, nb = s == HS_OK ? hs_results_n_base(r) : 0;
    if (s == HS_OK) s = hs_calloc((void **)&brows, (size_t)nb + 1, sizeof *brows, "rows");
    if (s == HS_OK) s = hs_results_read_bases(r, brows);
    if (s == HS_OK && point >= 0) {
        if (point >= np)
            s = hs_error_set(HS_ERR_INPUT, "%s: --point %ld: expected a point id 0..%ld", path, point, np - 1);
        if (s == HS_OK) s = hs_calloc((void **)&rows, (size_t)np, sizeof *rows, "rows");
        if (s == HS_OK) s = hs_results_read_points(r, rows);
        if (s == HS_OK && rows[point].status != HS_STATUS_DONE)
            s = hs_error_set(HS_ERR_INPUT, "%s: point %ld is not done (status %d): nothing to export yet", path, point,
                             rows[point].status);
        if (s == HS_OK) b = rows[point].base;
    } else if (s == HS_OK) {
        const char *slash = strrchr(base, '/');
        long seed = 0;
        if (!slash) s = hs_error_set(HS_ERR_INPUT, "--base %s: expected TASK/SEED (e.g. mnli/1)", base);
        if (s == HS_OK) s = hs_parse_long("--base's seed", slash + 1, -(1L << 40), 1L << 40, &seed);
        for (long i = 0; s == HS_OK && i < nb && b < 0; i++)
            if (brows[i].seed == seed && strlen(brows[i].task) == (size_t)(slash - base) &&
                !strncmp(brows[i].task, base, (size_t)(slash - base)))
                b = i;
        if (s == HS_OK && b < 0)
            s = hs_error_set(HS_ERR_INPUT, "%s: no base job %s (see `headsweep query %s --bases`)", path, base, path);
    }
    if (s == HS_OK && (b < 0 || b >= nb || b >= sw.n_bases))
        s = hs_error_set(HS_ERR_INPUT, "%s: base job %ld is not in the file (damaged file?)", path, b);
    if (s == HS_OK && brows[b].status != HS_STATUS_DONE)
        s = hs_error_set(HS_ERR_INPUT, "%s: base job %ld (%s, seed %lld) is not done: nothing to export yet", path, b,
                         brows[b].task, (long long)brows[b].seed);
    const hs_sweep_task *task = s == HS_OK ? &sw.tasks[sw.bases[b].task] : NULL;
    if (s == HS_OK && !task->pretrained)
        s = hs_error_set(HS_ERR_INPUT, "%s: task %s does not start from a pretrained model (model.pretrained): "
                         "export writes Hugging Face folders of such models only", path, task->name);
    if (s == HS_OK) s = hs_results_read_base_model(r, b, &m);
    if (s == HS_OK && point >= 0) {
        const int L = hs_results_max_layers(r), H = hs_results_max_heads(r);
        s = hs_calloc((void **)&mask, (size_t)L * H, 1, "mask");
        if (s == HS_OK) s = hs_calloc((void **)&imp, (size_t)L * H, sizeof *imp, "importance");
        if (s == HS_OK) s = hs_results_read_point_arrays(r, point, mask, imp, curve);
        const int drops_layers = s == HS_OK && !strcmp(sw.methods[sw.points[point].method].method->name, "layerdrop");
        for (int l = 0; s == HS_OK && l < m->cfg.layers; l++) {
            int kept = 0;
            for (int j = 0; j < m->cfg.heads; j++) {
                const uint8_t k = mask[l * H + j];
                if (k == HS_MASK_ABSENT) s = hs_error_set(HS_ERR_INPUT, "%s: point %ld has no mask for layer %d head %d "
                                                          "(damaged file?)", path, point, l, j);
                m->p.gates[l * m->cfg.heads + j] = k == 1;
                kept += k == 1;
            }
            m->layer_off[l] = drops_layers && kept == 0;
        }
        if (s == HS_OK && drops_layers) {
            s = without_dropped_layers(m, &small);
            if (s == HS_OK) {
                hs_model_destroy(&m);
                m = small;
                small = NULL;
            }
        }
    }
    /* the labels in the model's class order are the task's (hs_sweep_pretrained_load
     * puts a checkpoint's own head into that order too) */
    hs_task *t = NULL;
    if (s == HS_OK && hs_sweep_task_open(&sw, sw.bases[b].task, sw.bases[b].seed, &t) != HS_OK) {
        fprintf(stderr, "headsweep export: warning: cannot open task %s for its label names (%s); "
                        "id2label gets LABEL_0..\n", task->name, hs_error_message());
        hs_error_clear();
    }
    /* NULL info: export reads the folder's config.json once, for its keys and family */
    if (s == HS_OK) s = hs_hf_export(m, NULL, task->pretrained, dir, t ? t->class_names : NULL);
    hs_task_destroy(&t);
    if (s == HS_OK)
        printf("wrote %s (%s, %d layers, %s) from %s\n", dir, task->pretrained, m->cfg.layers,
               point >= 0 ? "pruned" : "base model", path);
    hs_model_destroy(&m);
    hs_model_destroy(&small);
    hs_free(rows);
    hs_free(brows);
    hs_free(mask);
    hs_free(imp);
    hs_sweep_free(&sw);
    if (r) hs_results_close(&r);
    return s == HS_OK ? 0 : hs_cli_report(s);
}
