/* cmd_export.c — `headsweep export`: a sweep's base model, or one point's
 * pruned model (docs/results-format.md "Re-running and exporting one
 * point"). The results file keeps base models and each point's mask, so a
 * point's model is made again: its base model with the mask applied,
 * physically shrunk (heads with mask 0 removed, layers a layer-dropping
 * method removed left out).
 *
 * On a pretrained model (model.pretrained): a Hugging Face folder
 * (docs/pretrained.md); the exported point is the pruned model its
 * metric_pruned scored (fine-tuned weights are not stored in the file).
 * Trained from scratch: a headsweep checkpoint; the point is re-run (the
 * sweep's code, checked bit for bit against its row, as `prune --point`),
 * so the exported model is the one its metric_finetuned scored, fine-tuning
 * included, and `infer OUT --eval` gives that metric again. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/alloc.h"
#include "../pretrained/hf_model.h"
#include "../prune/eval.h"
#include "../store/checkpoint.h"
#include "../store/results.h"
#include "../sweep/config.h"
#include "cli.h"
#include "sweep_point.h"
#include "task_attrs.h"

static const char help[] =
    "usage: headsweep export RESULTS.h5 (--point N | --base TASK/SEED) -o OUT\n\n"
    "Writes one model of a sweep. --point N: point N's pruned model, the pruned\n"
    "heads physically removed (a dropped layer is left out); --base TASK/SEED:\n"
    "the base model of that task and seed value.\n\n"
    "A sweep trained from scratch: OUT is a headsweep checkpoint (an HDF5 file,\n"
    "group /model, with its task's attributes) that `headsweep infer` and\n"
    "`headsweep prune` read. The point is re-run with the sweep's settings and\n"
    "checked bit for bit against its row, and OUT holds the model its\n"
    "metric_finetuned measured (fine-tuned when the sweep fine-tunes; else that\n"
    "is metric_pruned): `headsweep infer OUT --eval` prints that metric again.\n\n"
    "A sweep on a pretrained model (model.pretrained): OUT is a Hugging Face\n"
    "folder (config.json with pruned_heads, model.safetensors and the tokenizer\n"
    "files of the original folder); a point's folder is the model its\n"
    "metric_pruned measured (fine-tuned weights are not kept in the file).\n\n"
    "  --point N          a row id of /points (see `headsweep query`)\n"
    "  --base TASK/SEED   a base job: task name and seed value\n"
    "  -o, --output OUT   the checkpoint file or folder to write (nothing is overwritten)\n";

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

/* A point of a sweep trained from scratch, re-run and written as a
 * physically pruned checkpoint (see the file comment). */
static hs_status export_scratch_point(hs_cli_sweep *cs, long p, const char *out)
{
    const hs_sweep *sw = &cs->sw;
    const hs_sweep_point *pt = &sw->points[p];
    hs_model *base = NULL, *m = NULL, *small = NULL, *back = NULL;
    hs_task *t = NULL;
    uint8_t *hm = NULL;
    int hook = 0;
    hs_cli_rerun rr;
    hs_status s = hs_cli_rerun_open(cs, p, &rr);
    const hs_point_row *const row = &rr.row;
    const uint8_t *const mask = rr.mask;
    if (s == HS_OK && rr.stored[p].status != HS_STATUS_DONE)
        s = hs_error_set(HS_ERR_INPUT, "%s: point %ld %s: nothing to export (see `headsweep query %s --where id=%ld`)",
                         cs->path, p, rr.stored[p].status == HS_STATUS_FAILED ? "failed" : "is not done yet", cs->path, p);
    if (s == HS_OK) s = hs_cli_sweep_base_model(cs, pt->base, &base, &t);
    if (s == HS_OK)
        s = hs_job_run_point_keep(&cs->tc, p, base, cs->lmax, cs->hmax, &rr.row, rr.mask, rr.imp, rr.curve, &m, &hook);
    if (s != HS_OK) goto done;
    char diff[2048];
    hs_cli_rerun_diff(&rr, diff, sizeof diff);
    if (*diff) {
        s = hs_error_set(HS_ERR_NUMERIC, "%s: point %ld re-run differs from its stored row: %s (the task data, this "
                         "binary or its libraries changed since the sweep ran?)", cs->path, p, diff);
        goto done;
    }
    const int L = m->cfg.layers, H = m->cfg.heads;
    if (hook)
        s = hs_error_set(HS_ERR_INPUT, "%s: point %ld (method %s) gates its heads per example: a checkpoint holds fixed "
                         "heads only, so it cannot be exported", cs->path, p, row->method);
    for (int i = 0; s == HS_OK && i < L * H; i++)
        if (mask[(i / H) * cs->hmax + i % H] == 2)
            s = hs_error_set(HS_ERR_INPUT, "%s: point %ld (method %s) keeps heads with constant attention (mask 2): "
                             "a checkpoint does not store them, so it cannot be exported", cs->path, p, row->method);
    /* the kept layers' head mask; dropped layers leave the model */
    int keep = 0;
    for (int l = 0; l < L; l++) keep += !m->layer_off[l];
    if (s == HS_OK) s = hs_calloc((void **)&hm, (size_t)L * H + 1, 1, "head mask");
    for (int l = 0, k = 0; s == HS_OK && l < L; l++) {
        if (m->layer_off[l]) continue;
        for (int j = 0; j < H; j++) hm[k * H + j] = mask[l * cs->hmax + j] != 0;
        k++;
    }
    if (s == HS_OK && keep < L) s = without_dropped_layers(m, &small);
    if (s != HS_OK) goto done;
    const hs_model *w = small ? small : m;
    long kept = 0;
    for (int i = 0; i < keep * H; i++) kept += hm[i];
    const hs_task_spec *ts = &t->spec;
    hs_attr extra[64] = {
        {"task", HS_ATTR_STR, 0, 0, ts->name},
        {"data_seed", HS_ATTR_LONG, (long)ts->seed, 0, 0},
        {"exported_from", HS_ATTR_STR, 0, 0, cs->path},
        {"point", HS_ATTR_LONG, p, 0, 0},
        {"method", HS_ATTR_STR, 0, 0, row->method},
        {"ratio", HS_ATTR_DOUBLE, 0, row->ratio, 0},
        {"seed", HS_ATTR_LONG, (long)row->seed, 0, 0},
        {"finetune_steps", HS_ATTR_LONG, sw->finetune_steps, 0, 0},
        {"eval_batch", HS_ATTR_LONG, sw->batch, 0, 0},
        {"test_metric_name", HS_ATTR_STR, 0, 0, hs_metric_name(t->metric)},
        {"test_metric", HS_ATTR_DOUBLE, 0, row->metric_finetuned, 0},
        {"metric_pruned", HS_ATTR_DOUBLE, 0, row->metric_pruned, 0},
        {"metric_finetuned", HS_ATTR_DOUBLE, 0, row->metric_finetuned, 0},
    };
    int n_extra = 0;
    while (extra[n_extra].name) n_extra++;
    n_extra += hs_task_spec_attrs(ts, extra + n_extra, 64 - n_extra);
    s = hs_checkpoint_save_file_pruned(out, "/model", w, hm, extra, n_extra);
    /* read back and scored as `infer OUT --eval` does: the row's metric, or no file */
    if (s == HS_OK) s = hs_checkpoint_load_file(out, "/model", &back);
    hs_batch_buf bb = {0};
    hs_eval_result ev;
    if (s == HS_OK) s = hs_model_setup_batch(back, sw->batch, t->shape.seq_len);
    if (s == HS_OK) s = hs_batch_buf_create(&bb, t, sw->batch);
    if (s == HS_OK) s = hs_eval_split(back, t, HS_SPLIT_TEST, &bb, &ev);
    hs_batch_buf_free(&bb);
    if (s == HS_OK && memcmp(&ev.metric, &row->metric_finetuned, sizeof ev.metric))
        s = hs_error_set(HS_ERR_NUMERIC, "%s: the exported model of point %ld scores %.17g, its row's metric_finetuned "
                         "is %.17g: nothing written", cs->path, p, ev.metric, row->metric_finetuned);
    if (s != HS_OK) {
        if (back) unlink(out);
        goto done;
    }
    printf("wrote %s:/model, point %ld of %s (task %s, method %s, ratio %g, seed %lld): %ld of %d heads, %d of %d layers, "
           "%zu of %zu parameters; test %s %.17g = the row's metric_finetuned (`headsweep infer %s --eval`)\n",
           out, p, cs->path, row->task, row->method, row->ratio, (long long)row->seed, kept, L * H, keep, L,
           w->num_params - (size_t)(keep * H - kept) * (4 * (size_t)(w->cfg.d_model / H) * w->cfg.d_model +
                                                       3 * (size_t)(w->cfg.d_model / H) + 1),
           m->num_params, hs_metric_name(t->metric), ev.metric, out);
done:
    hs_model_destroy(&back);
    hs_model_destroy(&small);
    hs_model_destroy(&m);
    hs_model_destroy(&base);
    hs_cli_rerun_free(&rr);
    hs_free(hm);
    return s;
}

/* A base model of a sweep trained from scratch as a headsweep checkpoint. */
static hs_status export_scratch_base(hs_cli_sweep *cs, long b, const char *out)
{
    hs_model *m = NULL;
    hs_task *t = NULL;
    hs_status s = hs_cli_sweep_base_model(cs, b, &m, &t);
    if (s == HS_OK) {
        const hs_task_spec *ts = &t->spec;
        hs_attr extra[64] = {
            {"task", HS_ATTR_STR, 0, 0, ts->name},
            {"data_seed", HS_ATTR_LONG, (long)ts->seed, 0, 0},
            {"exported_from", HS_ATTR_STR, 0, 0, cs->path},
            {"seed", HS_ATTR_LONG, (long)cs->bases[b].seed, 0, 0},
            {"eval_batch", HS_ATTR_LONG, cs->sw.batch, 0, 0},
            {"test_metric_name", HS_ATTR_STR, 0, 0, hs_metric_name(t->metric)},
            {"test_metric", HS_ATTR_DOUBLE, 0, cs->bases[b].metric, 0},
        };
        int n_extra = 0;
        while (extra[n_extra].name) n_extra++;
        n_extra += hs_task_spec_attrs(ts, extra + n_extra, 64 - n_extra);
        s = hs_checkpoint_save_file(out, "/model", m, extra, n_extra);
    }
    if (s == HS_OK)
        printf("wrote %s:/model, the base model %s/%lld of %s\n", out, cs->bases[b].task,
               (long long)cs->bases[b].seed, cs->path);
    hs_model_destroy(&m);
    return s;
}

/* A model of a sweep on a pretrained model as a Hugging Face folder. */
static hs_status export_pretrained(hs_cli_sweep *cs, long point, long b, const char *dir)
{
    const char *path = cs->path;
    hs_sweep *sw = &cs->sw;
    hs_results *r = cs->res;
    hs_model *m = NULL, *small = NULL;
    uint8_t *mask = NULL;
    float *imp = NULL;
    double curve[HS_CURVE_WIDTH];
    hs_point_row *rows = NULL;
    const hs_sweep_task *task = &sw->tasks[sw->bases[b].task];
    hs_status s = HS_OK;
    if (point >= 0) {
        s = hs_calloc((void **)&rows, (size_t)cs->n_points, sizeof *rows, "rows");
        if (s == HS_OK) s = hs_results_read_points(r, rows);
        if (s == HS_OK && rows[point].status != HS_STATUS_DONE)
            s = hs_error_set(HS_ERR_INPUT, "%s: point %ld is not done (status %d): nothing to export yet", path, point,
                             rows[point].status);
    }
    if (s == HS_OK && cs->bases[b].status != HS_STATUS_DONE)
        s = hs_error_set(HS_ERR_INPUT, "%s: base job %ld (%s, seed %lld) is not done: nothing to export yet", path, b,
                         cs->bases[b].task, (long long)cs->bases[b].seed);
    if (s == HS_OK) s = hs_results_read_base_model(r, b, &m);
    if (s == HS_OK && point >= 0) {
        const int L = cs->lmax, H = cs->hmax;
        s = hs_calloc((void **)&mask, (size_t)L * H, 1, "mask");
        if (s == HS_OK) s = hs_calloc((void **)&imp, (size_t)L * H, sizeof *imp, "importance");
        if (s == HS_OK) s = hs_results_read_point_arrays(r, point, mask, imp, curve);
        const int drops_layers = s == HS_OK && !strcmp(sw->methods[sw->points[point].method].method->name, "layerdrop");
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
    if (s == HS_OK && hs_sweep_task_open(sw, sw->bases[b].task, sw->bases[b].seed, &t) != HS_OK) {
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
    hs_free(mask);
    hs_free(imp);
    return s;
}

int hs_cmd_export(int argc, char **argv)
{
    static const struct option longopts[] = {{"point", required_argument, NULL, 'p'},
                                             {"base", required_argument, NULL, 'b'},
                                             {"output", required_argument, NULL, 'o'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    long point = -1;
    const char *base = NULL, *out = NULL;
    hs_cli_parser p = {.name = "export", .shortopts = "o:h", .longopts = longopts, .help = 'h', .help_text = help,
                       .args = HS_CLI_ONE_ARG_LATER, .arg = "RESULTS.h5", .argc = argc, .argv = argv};
    hs_status s = HS_OK;
    int c;
    while ((c = hs_cli_next_option(&p, &s)) > 0) {
        switch (c) {
        case 'p': s = hs_parse_long("--point", optarg, 0, 1L << 40, &point); break;
        case 'b': base = optarg; break;
        case 'o': out = optarg; break;
        }
    }
    if (c == HS_CLI_HELP) return 0;
    if (s == HS_OK) s = hs_cli_check_args(&p);
    if (s == HS_OK && (point < 0) == (base == NULL))
        s = hs_error_set(HS_ERR_INPUT, "export: give one of --point N or --base TASK/SEED (see headsweep export --help)");
    if (s == HS_OK && !out)
        s = hs_error_set(HS_ERR_INPUT, "export: -o OUT is required (the checkpoint or folder to write)");
    if (s != HS_OK) return hs_cli_report(s);
    const char *path = argv[optind];
    hs_cli_sweep cs;
    memset(&cs, 0, sizeof cs);
    long b = -1;
    s = hs_cli_sweep_open(&cs, path);
    if (s == HS_OK && point >= 0) s = hs_cli_sweep_check_point(&cs, point);
    if (s == HS_OK && point >= 0) b = cs.sw.points[point].base;
    if (s == HS_OK && base) s = hs_cli_sweep_find_base(&cs, base, &b);
    if (s == HS_OK) {
        const hs_sweep_task *task = &cs.sw.tasks[cs.sw.bases[b].task];
        if (task->pretrained) s = export_pretrained(&cs, point, b, out);
        else if (access(out, F_OK) == 0)
            s = hs_error_set(HS_ERR_INPUT, "export: %s exists: expected a new file (nothing is overwritten)", out);
        else if (point >= 0) s = export_scratch_point(&cs, point, out);
        else s = export_scratch_base(&cs, b, out);
    }
    hs_cli_sweep_close(&cs);
    return s == HS_OK ? 0 : hs_cli_report(s);
}
