/* cmd_infer.c — `headsweep infer`: load a checkpoint and print the logits
 * for token-id sequences given on the command line or in a file. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/model.h"
#include "../prune/eval.h"
#include "../query/table_fmt.h"
#include "../store/checkpoint.h"
#include "../store/h5util.h"
#include "cli.h"
#include "sweep_point.h"

static const char help[] =
    "usage: headsweep infer CHECKPOINT.h5 [--group PATH] (--tokens \"ID ID ...\" | --file FILE | --eval)\n"
    "       headsweep infer RESULTS.h5 --base TASK/SEED (--tokens \"ID ID ...\" | --file FILE | --eval)\n\n"
    "Prints the logits of the checkpoint's output head, one row per position it\n"
    "reads: position 0 for a classifier, every position for a language model.\n"
    "Rows are: sequence index, position, then n_out logits (tab-separated).\n"
    "The checkpoint is one `headsweep train` or `headsweep export` wrote, or a\n"
    "sweep's base model (--base). --eval instead scores it on its task's test\n"
    "split (the task named in the checkpoint, or the sweep's) and prints the metric.\n\n"
    "  --group PATH   checkpoint group in the file [/model]\n"
    "  --base T/SEED  the base model of task T and that seed value in a sweep's results file\n"
    "  --tokens IDS   one sequence of token ids separated by spaces or commas\n"
    "  --file FILE    one sequence per line (blank lines and lines starting with # are skipped)\n"
    "  --eval         the test metric and loss (exact), over batches of --batch\n"
    "  --batch N      --eval's batch [the checkpoint's eval_batch, the sweep's run.batch, else 64]\n";

/* Parses ids from text into ids[0..*n); `where` names the source in messages. */
static hs_status parse_ids(const char *text, const hs_config *c, int *ids, int *n, const char *where)
{
    *n = 0;
    const char *p = text;
    for (;;) {
        while (*p && (isspace((unsigned char)*p) || *p == ',')) p++;
        if (!*p) break;
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || (*end && !isspace((unsigned char)*end) && *end != ',')) {
            const size_t len = strcspn(p, " \t\r\n\v\f,"); /* the token alone, not the rest of the line */
            return hs_error_set(HS_ERR_INPUT, "%s: '%.*s' is not a token id (expected integers 0..%d)",
                                where, (int)(len < 20 ? len : 20), p, c->vocab - 1);
        }
        if (v < 0 || v >= c->vocab)
            return hs_error_set(HS_ERR_INPUT, "%s: token id %ld out of range: the checkpoint's vocabulary is 0..%d",
                                where, v, c->vocab - 1);
        if (*n >= c->seq_len)
            return hs_error_set(HS_ERR_INPUT, "%s: more than %d token ids (the checkpoint's seq_len)",
                                where, c->seq_len);
        ids[(*n)++] = (int)v;
        p = end;
    }
    if (*n == 0) return hs_error_set(HS_ERR_INPUT, "%s: no token ids", where);
    return HS_OK;
}

static hs_status infer_one(hs_model *m, const int *ids, int n, long seq)
{
    const hs_batch b = {1, n, ids, NULL, NULL, NULL, NULL};
    HS_CHECK(hs_model_forward(m, &b));
    const int C = m->cfg.n_out;
    for (int r = 0; r < m->R; r++) {
        printf("%ld\t%d", seq, m->cfg.lm ? r : 0);
        for (int c = 0; c < C; c++) printf("\t%.9g", (double)m->a.logits[(size_t)r * C + c]);
        putchar('\n');
    }
    return HS_OK;
}

/* --eval: the test split of the model's task in batches of `batch`, as a
 * sweep's point evaluates (so an exported point gives its row's metric). */
static hs_status eval_test(hs_model *m, const hs_task *t, long batch)
{
    if (t->shape.seq_len != m->cfg.seq_len || t->shape.n_out != m->cfg.n_out)
        return hs_error_set(HS_ERR_INPUT, "%s: the task's shape no longer matches the checkpoint (data changed?)",
                            t->spec.name);
    hs_batch_buf bb = {0};
    hs_eval_result ev;
    hs_status s = hs_model_setup_batch(m, (int)batch, t->shape.seq_len);
    if (s == HS_OK) s = hs_batch_buf_create(&bb, t, (int)batch);
    if (s == HS_OK) s = hs_eval_split(m, t, HS_SPLIT_TEST, &bb, &ev);
    char met[40], loss[40]; /* exact, as `query --format csv` writes numbers */
    if (s == HS_OK) {
        hs_fmt_real_exact(met, sizeof met, ev.metric);
        hs_fmt_real_exact(loss, sizeof loss, ev.loss);
        printf("test %s %s loss %s (task %s, %ld examples, batch %ld)\n", hs_metric_name(t->metric), met, loss,
               t->spec.name, ev.examples, batch);
    }
    hs_batch_buf_free(&bb);
    return s;
}

typedef struct {
    const char *ckpt, *group, *base, *tokens, *file;
    int eval;
    long batch; /* 0: the default */
} infer_opts;

static hs_status run(const infer_opts *o)
{
    const char *ckpt = o->ckpt, *group = o->group, *tokens = o->tokens, *file = o->file;
    hs_model *m = NULL;
    int *ids = NULL;
    FILE *f = NULL;
    char *line = NULL;
    size_t cap = 0;
    hs_status s = HS_OK;
    hs_cli_sweep cs;
    memset(&cs, 0, sizeof cs);
    hs_task *own = NULL;
    hs_text_encoder *enc = NULL;
    if (o->base) {
        hs_task *t = NULL;
        long b = -1;
        s = hs_cli_sweep_open(&cs, ckpt);
        if (s == HS_OK) s = hs_cli_sweep_find_base(&cs, o->base, &b);
        if (s == HS_OK) s = hs_cli_sweep_base_model(&cs, b, &m, &t);
        if (s == HS_OK && o->eval) s = eval_test(m, t, o->batch ? o->batch : cs.sw.batch);
        if (o->eval) goto done;
    } else if (o->eval) {
        s = hs_cli_checkpoint_task(ckpt, group, &m, &own, &enc);
        long batch = o->batch;
        if (s == HS_OK && !batch) {
            /* an exported point says the batch its row was evaluated with */
            hid_t h5;
            batch = 64;
            if (hs_h5_open_read(ckpt, &h5) == HS_OK) {
                hid_t g = H5Gopen2(h5, group, H5P_DEFAULT);
                if (g >= 0 && H5Aexists(g, "eval_batch") > 0 &&
                    (hs_h5_attr_read_long(g, "eval_batch", &batch, ckpt) != HS_OK || batch < 1 || batch > 65536))
                    batch = 64;
                if (g >= 0) H5Gclose(g);
                H5Fclose(h5);
            }
            hs_error_clear();
        }
        if (s == HS_OK) s = eval_test(m, own, batch);
        goto done;
    } else {
        s = hs_checkpoint_load_file(ckpt, group, &m);
    }
    if (s == HS_OK && m->cfg.patch_dim)
        s = hs_error_set(HS_ERR_INPUT, "%s:%s is an image model (patch_dim %d); infer takes token ids only",
                         ckpt, group, m->cfg.patch_dim);
    if (s == HS_OK) s = hs_model_setup_batch(m, 1, m->cfg.seq_len);
    if (s == HS_OK) s = hs_calloc((void **)&ids, (size_t)m->cfg.seq_len, sizeof(int), "token ids");
    if (s != HS_OK) goto done;
    int n;
    if (tokens) {
        s = parse_ids(tokens, &m->cfg, ids, &n, "--tokens");
        if (s == HS_OK) s = infer_one(m, ids, n, 0);
        goto done;
    }
    f = strcmp(file, "-") ? fopen(file, "r") : stdin;
    if (!f) {
        s = hs_error_set(HS_ERR_INPUT, "cannot open %s: %s", file, strerror(errno));
        goto done;
    }
    long lineno = 0, seq = 0;
    while (s == HS_OK && getline(&line, &cap, f) >= 0) {
        lineno++;
        const char *p = line;
        while (isspace((unsigned char)*p)) p++;
        if (!*p || *p == '#') continue;
        char where[4200];
        snprintf(where, sizeof where, "%s line %ld", file, lineno);
        s = parse_ids(p, &m->cfg, ids, &n, where);
        if (s == HS_OK) s = infer_one(m, ids, n, seq++);
    }
    if (s == HS_OK && ferror(f)) s = hs_error_set(HS_ERR_IO, "error reading %s", file);
done:
    if (f && f != stdin) fclose(f);
    free(line);
    hs_free(ids);
    hs_model_destroy(&m);
    hs_task_destroy(&own);
    hs_sweep_pretrained_encoder_free(&enc);
    hs_cli_sweep_close(&cs);
    return s;
}

int hs_cmd_infer(int argc, char **argv)
{
    enum { O_GROUP = 256, O_TOKENS, O_FILE, O_HELP, O_BASE, O_EVAL, O_BATCH };
    static const struct option opts[] = {{"group", 1, 0, O_GROUP}, {"tokens", 1, 0, O_TOKENS},
                                         {"file", 1, 0, O_FILE},   {"help", 0, 0, O_HELP},
                                         {"base", 1, 0, O_BASE},   {"eval", 0, 0, O_EVAL},
                                         {"batch", 1, 0, O_BATCH}, {0, 0, 0, 0}};
    infer_opts o = {.group = "/model"};
    int given_group = 0;
    hs_cli_parser p = {.name = "infer", .longopts = opts, .help = O_HELP, .help_text = help, .arg = "CHECKPOINT.h5",
                       .argc = argc, .argv = argv};
    hs_status s = HS_OK;
    int c;
    while ((c = hs_cli_next_option(&p, &s)) > 0) {
        switch (c) {
        case O_GROUP: o.group = optarg, given_group = 1; break;
        case O_TOKENS: o.tokens = optarg; break;
        case O_FILE: o.file = optarg; break;
        case O_BASE: o.base = optarg; break;
        case O_EVAL: o.eval = 1; break;
        case O_BATCH: s = hs_parse_long("--batch", optarg, 1, 1 << 16, &o.batch); break;
        }
    }
    if (c == HS_CLI_HELP) return 0;
    if (s != HS_OK) return hs_cli_report(s);
    if ((o.tokens != NULL) + (o.file != NULL) + o.eval != 1)
        return hs_cli_report(hs_error_set(HS_ERR_INPUT, o.eval ? "infer: give one of --tokens, --file or --eval"
                                                               : "infer: give exactly one of --tokens or --file"));
    if (o.base && given_group)
        return hs_cli_report(hs_error_set(HS_ERR_INPUT, "infer: --base TASK/SEED names the base model: leave out --group"));
    if (o.batch && !o.eval)
        return hs_cli_report(hs_error_set(HS_ERR_INPUT, "infer: --batch applies to --eval"));
    o.ckpt = argv[optind];
    /* a results file's base model named by its group: the sweep's task for --eval */
    char gb[512];
    if (!o.base && given_group && o.eval && hs_cli_is_results_file(o.ckpt) && hs_cli_sweep_group_base(o.group, gb, sizeof gb))
        o.base = gb;
    if (o.base && !hs_cli_is_results_file(o.ckpt)) return hs_cli_report(hs_cli_not_results_file(o.ckpt));
    s = run(&o);
    return s == HS_OK ? 0 : hs_cli_report(s);
}
