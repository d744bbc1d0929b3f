/* cmd_train.c — `headsweep train`: train one model on any task kind given
 * by flags, report its test metric, save an HDF5 checkpoint. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/model.h"
#include "../core/optim.h"
#include "../core/rng.h"
#include "../store/checkpoint.h"
#include "../prune/eval.h"
#include "../sweep/config.h"
#include "../tasks/task.h"
#include "cli.h"
#include "task_attrs.h"

static const char help_head[] =
    "usage: headsweep train --out FILE.h5 [options]\n\n"
    "Trains one transformer on a task, reports its metric on the test split and\n"
    "saves the checkpoint.\n\n"
    "task (see docs/tasks.md):\n";
static const char help_tail[] =
    "  --data-seed N      seed of the task's data [the training seed]\n"
    "model:\n"
    "  --d-model N [32]  --heads N [4]  --layers N [2]  --d-ff N [4*d-model]\n"
    "  --pretrained DIR   start from a Hugging Face folder (BERT, RoBERTa, DistilBERT,\n"
    "                     GPT-2; docs/pretrained.md) with a fresh classification head;\n"
    "                     with --steps 0 its own head is used as it is. The shape comes\n"
    "                     from DIR; tsv tasks take its tokenizer (--tokenizer pretrained)\n"
    "training:\n"
    "  --steps N [300]  --batch N [32]  --lr X [1e-3]  --warmup N [steps/10]\n"
    "  --weight-decay X [0.01]  --clip X [1.0]  --seed N [1]\n"
    "  --log-every N      print the loss every N steps, 0 = never [50]\n"
    "output:\n"
    "  --out FILE.h5      checkpoint file (required)\n"
    "  --group PATH       group inside it [/model]\n"
    "  --force            replace FILE.h5 if it exists\n";

/* The task flags are the kind settings of the registry (tasks/kinds.c),
 * named with '-' for '_': a setting added there is a flag here. */
enum { MAX_FIELDS = 32 };
static char field_flags[MAX_FIELDS][32];

static const char *field_flag(int i, const hs_task_field *f)
{
    char *d = field_flags[i];
    if (!d[0]) {
        snprintf(d, sizeof field_flags[i], "%s", f->name);
        for (char *c = d; *c; c++)
            if (*c == '_') *c = '-';
    }
    return d;
}

static void print_help(void)
{
    fputs(help_head, stdout);
    int nk, nf;
    const hs_task_kind *k = hs_task_kinds(&nk);
    const hs_task_field *f = hs_task_fields(&nf);
    printf("  --kind K           ");
    for (int i = 0; i < nk; i++) printf("%s%s", i ? " | " : "", k[i].name);
    printf(" [synthetic]\n");
    printf("  --name NAME        task name, part of every random stream [the generator or kind]\n");
    for (int i = 0; i < nf; i++) {
        char flag[64];
        const char *var = f[i].type == HS_TF_REAL ? "X" : f[i].type == HS_TF_STR ? "P" : f[i].type == HS_TF_CHOICE ? "NAME" : "N";
        snprintf(flag, sizeof flag, "--%.31s %s", field_flag(i, &f[i]), var);
        printf("  %-18s ", flag);
        for (int j = 0, any = 0; j < nk; j++)
            if (hs_task_kind_has(&k[j], f[i].name)) printf("%s%s", any++ ? ", " : "", k[j].name);
        printf(": ");
        if (f[i].type == HS_TF_CHOICE)
            for (int c = 0; f[i].choices[c]; c++) printf("%s%s", c ? " | " : "", f[i].choices[c]);
        printf("%s%s\n", f[i].type == HS_TF_CHOICE ? " " : "", f[i].help);
    }
    printf("  --task NAME        same as --generator [majority]\n");
    fputs(help_tail, stdout);
}

/* Reads flag value a into the spec field f. Choices are stored as given:
 * the kind checks them and names the valid ones. */
static hs_status set_field(const hs_task_field *f, const char *flag, const char *a, hs_task_spec *t)
{
    char *p = (char *)t + f->off;
    long v;
    switch (f->type) {
    case HS_TF_STR:
    case HS_TF_CHOICE: *(const char **)p = a; return HS_OK;
    case HS_TF_INT:
        HS_CHECK(hs_parse_long(flag, a, (long)f->lo, (long)f->hi, &v));
        *(int *)p = (int)v;
        return HS_OK;
    case HS_TF_LONG: return hs_parse_long(flag, a, (long)f->lo, (long)f->hi, (long *)p);
    case HS_TF_REAL: return hs_parse_double(flag, a, f->lo, f->hi, (double *)p);
    }
    return HS_OK;
}

typedef struct {
    hs_task_spec task;
    const char *out, *group, *pretrained;
    int shape_given; /* --d-model etc. were given (an error with --pretrained) */
    long d, heads, layers, d_ff, steps, batch, warmup, seed, data_seed, log_every;
    double lr, wd, clip;
    int force;
} train_opts;

static hs_status parse(int argc, char **argv, train_opts *o, int *help_only)
{
    enum { O_KIND = 256, O_NAME, O_GEN, O_DSEED, O_D, O_H, O_L, O_FF, O_STEPS, O_BATCH, O_LR, O_WARM, O_WD,
           O_CLIP, O_SEED, O_LOG, O_OUT, O_GROUP, O_FORCE, O_HELP, O_PRE, O_FIELD };
    static const struct option fixed[] = {
        {"kind", 1, 0, O_KIND},         {"name", 1, 0, O_NAME},        {"task", 1, 0, O_GEN},
        {"data-seed", 1, 0, O_DSEED},
        {"d-model", 1, 0, O_D},         {"heads", 1, 0, O_H},          {"layers", 1, 0, O_L},
        {"d-ff", 1, 0, O_FF},           {"steps", 1, 0, O_STEPS},      {"batch", 1, 0, O_BATCH},
        {"lr", 1, 0, O_LR},             {"warmup", 1, 0, O_WARM},      {"weight-decay", 1, 0, O_WD},
        {"clip", 1, 0, O_CLIP},         {"seed", 1, 0, O_SEED},        {"log-every", 1, 0, O_LOG},
        {"out", 1, 0, O_OUT},           {"group", 1, 0, O_GROUP},      {"force", 0, 0, O_FORCE},
        {"help", 0, 0, O_HELP},         {"pretrained", 1, 0, O_PRE}};
    enum { NFIXED = sizeof fixed / sizeof fixed[0] };
    int nf;
    const hs_task_field *fields = hs_task_fields(&nf);
    HS_ASSERT(nf <= MAX_FIELDS);
    struct option opts[NFIXED + MAX_FIELDS + 1];
    memcpy(opts, fixed, sizeof fixed);
    for (int i = 0; i < nf; i++) opts[NFIXED + i] = (struct option){field_flag(i, &fields[i]), 1, 0, O_FIELD + i};
    opts[NFIXED + nf] = (struct option){0, 0, 0, 0};
    memset(o, 0, sizeof *o);
    o->task.kind = "synthetic";
    o->group = "/model";
    o->d = 32;
    o->heads = 4;
    o->layers = 2;
    o->d_ff = -1;
    o->steps = 300;
    o->batch = 32;
    o->warmup = -1;
    o->seed = 1;
    o->data_seed = -1;
    o->log_every = 50;
    o->lr = 1e-3;
    o->wd = 0.01;
    o->clip = 1.0;
    hs_cli_parser p = {.name = "train", .longopts = opts, .help = O_HELP, .print_help = print_help,
                       .args = HS_CLI_NO_ARGS, .argc = argc, .argv = argv};
    hs_status s = HS_OK;
    int c;
    while ((c = hs_cli_next_option(&p, &s)) > 0) {
        const char *a = optarg;
        hs_task_spec *t = &o->task;
        switch (c) {
        case O_KIND:
            if (!hs_task_kind_find(a))
                return hs_error_set(HS_ERR_INPUT, "train: --kind '%s': expected one of %s", a, hs_task_kind_list());
            t->kind = a;
            break;
        case O_NAME: t->name = a; break;
        case O_GEN: t->generator = a; break;
        case O_DSEED: HS_CHECK(hs_parse_long("--data-seed", a, 0, 2147483647L, &o->data_seed)); break;
        case O_D: HS_CHECK(hs_parse_long("--d-model", a, 1, 65536, &o->d)); o->shape_given = 1; break;
        case O_H: HS_CHECK(hs_parse_long("--heads", a, 1, 1024, &o->heads)); o->shape_given = 1; break;
        case O_L: HS_CHECK(hs_parse_long("--layers", a, 1, 1024, &o->layers)); o->shape_given = 1; break;
        case O_FF: HS_CHECK(hs_parse_long("--d-ff", a, 1, 1 << 20, &o->d_ff)); o->shape_given = 1; break;
        case O_PRE: o->pretrained = a; break;
        case O_STEPS: HS_CHECK(hs_parse_long("--steps", a, 0, 100000000, &o->steps)); break;
        case O_BATCH: HS_CHECK(hs_parse_long("--batch", a, 1, 1 << 20, &o->batch)); break;
        case O_LR: HS_CHECK(hs_parse_double("--lr", a, 0, 10, &o->lr)); break;
        case O_WARM: HS_CHECK(hs_parse_long("--warmup", a, 0, 100000000, &o->warmup)); break;
        case O_WD: HS_CHECK(hs_parse_double("--weight-decay", a, 0, 10, &o->wd)); break;
        case O_CLIP: HS_CHECK(hs_parse_double("--clip", a, 0, 1e9, &o->clip)); break;
        case O_SEED: HS_CHECK(hs_parse_long("--seed", a, 0, 2147483647L, &o->seed)); break;
        case O_LOG: HS_CHECK(hs_parse_long("--log-every", a, 0, 100000000, &o->log_every)); break;
        case O_OUT: o->out = a; break;
        case O_GROUP: o->group = a; break;
        case O_FORCE: o->force = 1; break;
        default: { /* a task field (the loop has refused unknown options) */
            HS_ASSERT(c >= O_FIELD && c < O_FIELD + nf);
            char flag[40];
            snprintf(flag, sizeof flag, "--%s", field_flag(c - O_FIELD, &fields[c - O_FIELD]));
            HS_CHECK(set_field(&fields[c - O_FIELD], flag, a, t));
        }
        }
    }
    *help_only = c == HS_CLI_HELP;
    if (*help_only || s != HS_OK) return s;
    if (!o->out) return hs_error_set(HS_ERR_INPUT, "train: --out FILE.h5 is required");
    if (o->group[0] != '/') return hs_error_set(HS_ERR_INPUT, "train: --group '%s': expected a path starting with /", o->group);
    if (!strcmp(o->task.kind, "synthetic") && !o->task.generator) o->task.generator = "majority";
    if (!o->task.name) o->task.name = o->task.generator ? o->task.generator : o->task.kind;
    o->task.seed = (uint64_t)(o->data_seed >= 0 ? o->data_seed : o->seed);
    if (o->pretrained && o->shape_given)
        return hs_error_set(HS_ERR_INPUT, "train: --pretrained %s: the shape comes from its config.json; "
                            "remove --d-model/--heads/--layers/--d-ff", o->pretrained);
    if (o->pretrained && !strcmp(o->task.kind, "tsv") && !o->task.tokenizer) o->task.tokenizer = "pretrained";
    if (o->d_ff < 0) o->d_ff = 4 * o->d;
    if (o->warmup < 0) o->warmup = o->steps / 10;
    struct stat st;
    if (!o->force && stat(o->out, &st) == 0)
        return hs_error_set(HS_ERR_INPUT, "train: %s exists; pass --force to replace it", o->out);
    return HS_OK;
}

static void log_step(void *ctx, long step, double loss, double lr)
{
    (void)ctx;
    printf("step %6ld  loss %.5f  lr %.3g\n", step, loss, lr);
    fflush(stdout);
}

static hs_status run(const train_opts *o)
{
    hs_task *task = NULL;
    hs_text_encoder *enc = NULL;
    hs_task_spec spec = o->task;
    hs_config cfg;
    int has_cls = 0;
    if (o->pretrained) {
        HS_CHECK(hs_sweep_pretrained_config(o->pretrained, &cfg, &has_cls));
        if (spec.tokenizer && !strcmp(spec.tokenizer, "pretrained"))
            HS_CHECK(hs_sweep_pretrained_encoder(o->pretrained, &enc));
        spec.encoder = enc;
    }
    hs_status s = hs_task_open(&task, &spec);
    if (s != HS_OK) {
        hs_sweep_pretrained_encoder_free(&enc);
        return s;
    }
    if (o->pretrained) {
        cfg.n_out = task->shape.n_out;
        cfg.seq_len = task->shape.seq_len;
    } else {
        cfg = task->shape;
        cfg.d_model = (int)o->d;
        cfg.heads = (int)o->heads;
        cfg.layers = (int)o->layers;
        cfg.d_ff = (int)o->d_ff;
    }
    const int B = (int)o->batch;

    hs_model *m = NULL;
    hs_adamw *opt = NULL;
    hs_batch_buf bb = {0};
    const uint64_t key = hs_key_str(hs_key_str(hs_key_u64(0, (uint64_t)o->seed), task->spec.name), "init");
    if (o->pretrained && o->steps == 0 && !has_cls)
        s = hs_error_set(HS_ERR_INPUT, "train: --pretrained %s has no classification head: expected --steps > 0",
                         o->pretrained);
    else if (o->pretrained)
        s = hs_sweep_pretrained_load(&m, o->pretrained, &cfg, task, o->steps, key);
    else
        s = hs_model_create(&m, &cfg);
    if (s == HS_OK) s = hs_model_setup_batch(m, B, cfg.seq_len);
    hs_adamw_config oc = hs_adamw_defaults(o->steps);
    oc.lr = o->lr;
    oc.warmup = o->warmup;
    oc.weight_decay = o->wd;
    oc.clip = o->clip;
    if (s == HS_OK) s = hs_adamw_create(&opt, m, &oc);
    if (s == HS_OK) s = hs_batch_buf_create(&bb, task, B);
    if (s != HS_OK) goto done;

    if (!o->pretrained) hs_model_init_weights(m, key);
    printf("train: task %s (%s; %s), %zu params (d %d, heads %d, layers %d, d_ff %d), %ld steps of batch %d\n",
           task->spec.name, task->spec.kind, task->description, m->num_params, cfg.d_model, cfg.heads,
           cfg.layers, cfg.d_ff, o->steps, B);
    printf("train: splits %ld / %ld / %ld examples (train / prune / test), metric %s\n",
           task->split[HS_SPLIT_TRAIN].n, task->split[HS_SPLIT_PRUNE].n, task->split[HS_SPLIT_TEST].n,
           hs_metric_name(task->metric));
    s = hs_train_task(m, opt, task, &bb, o->steps, 0, o->log_every, log_step, NULL);
    if (s != HS_OK) goto done;
    hs_eval_result ev;
    s = hs_eval_split(m, task, HS_SPLIT_TEST, &bb, &ev);
    if (s != HS_OK) goto done;
    printf("eval: test %s %.4f, loss %.5f (%ld examples, %ld outputs)\n", hs_metric_name(task->metric),
           ev.metric, ev.loss, ev.examples, ev.outputs);
    const hs_task_spec *ts = &task->spec;
    hs_attr extra[64] = {
        {"task", HS_ATTR_STR, 0, 0, ts->name},
        {"train_steps", HS_ATTR_LONG, o->steps, 0, 0}, {"train_batch", HS_ATTR_LONG, o->batch, 0, 0},
        {"lr", HS_ATTR_DOUBLE, 0, o->lr, 0},          {"warmup", HS_ATTR_LONG, o->warmup, 0, 0},
        {"weight_decay", HS_ATTR_DOUBLE, 0, o->wd, 0}, {"clip", HS_ATTR_DOUBLE, 0, o->clip, 0},
        {"seed", HS_ATTR_LONG, o->seed, 0, 0},        {"data_seed", HS_ATTR_LONG, (long)ts->seed, 0, 0},
        {"adam_beta1", HS_ATTR_DOUBLE, 0, oc.beta1, 0}, {"adam_beta2", HS_ATTR_DOUBLE, 0, oc.beta2, 0},
        {"adam_eps", HS_ATTR_DOUBLE, 0, oc.eps, 0},
        {"test_metric_name", HS_ATTR_STR, 0, 0, hs_metric_name(task->metric)},
        {"test_metric", HS_ATTR_DOUBLE, 0, ev.metric, 0}, {"test_loss", HS_ATTR_DOUBLE, 0, ev.loss, 0},
        {o->pretrained ? "pretrained" : NULL, HS_ATTR_STR, 0, 0, o->pretrained},
    };
    int n_extra = 0;
    while (extra[n_extra].name) n_extra++;
    n_extra += hs_task_spec_attrs(ts, extra + n_extra, 64 - n_extra);
    s = hs_checkpoint_save_file(o->out, o->group, m, extra, n_extra);
    if (s == HS_OK) printf("wrote %s:%s\n", o->out, o->group);
done:
    hs_batch_buf_free(&bb);
    hs_adamw_destroy(&opt);
    hs_model_destroy(&m);
    hs_task_destroy(&task);
    hs_sweep_pretrained_encoder_free(&enc);
    return s;
}

int hs_cmd_train(int argc, char **argv)
{
    train_opts o;
    int help_only = 0;
    hs_status s = parse(argc, argv, &o, &help_only);
    if (s != HS_OK) return hs_cli_report(s);
    if (help_only) return 0; /* printed by the option loop */
    s = run(&o);
    return s == HS_OK ? 0 : hs_cli_report(s);
}
