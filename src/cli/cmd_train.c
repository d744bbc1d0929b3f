/* cmd_train.c — `headsweep train`: train one model on a built-in synthetic
 * task with flags, report held-out accuracy, save an HDF5 checkpoint. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/alloc.h"
#include "../core/model.h"
#include "../core/optim.h"
#include "../core/rng.h"
#include "../store/checkpoint.h"
#include "../tasks/synthetic.h"
#include "cli.h"

static const char help[] =
    "usage: headsweep train --out FILE.h5 [options]\n\n"
    "Trains one transformer on a built-in synthetic task and saves its checkpoint.\n\n"
    "task:\n"
    "  --task NAME        majority (classification) or copy (language model) [majority]\n"
    "  --seq-len N        sequence length including CLS/BOS [16]\n"
    "  --symbols N        distinct symbols (majority: classes) [4]\n"
    "model:\n"
    "  --d-model N [32]  --heads N [4]  --layers N [2]  --d-ff N [4*d-model]\n"
    "training:\n"
    "  --steps N [300]  --batch N [32]  --lr X [1e-3]  --warmup N [steps/10]\n"
    "  --weight-decay X [0.01]  --clip X [1.0]  --seed N [1]\n"
    "  --eval-batches N   held-out batches for the final accuracy [8]\n"
    "  --log-every N      print the loss every N steps, 0 = never [50]\n"
    "output:\n"
    "  --out FILE.h5      checkpoint file (required)\n"
    "  --group PATH       group inside it [/model]\n"
    "  --force            replace FILE.h5 if it exists\n";

typedef struct {
    const char *task, *out, *group;
    long seq_len, symbols, d, heads, layers, d_ff, steps, batch, warmup, seed, eval_batches,
        log_every;
    double lr, wd, clip;
    int force;
} train_opts;

static hs_status parse(int argc, char **argv, train_opts *o, int *help_only)
{
    enum { O_TASK = 256, O_SEQ, O_SYM, O_D, O_H, O_L, O_FF, O_STEPS, O_BATCH, O_LR, O_WARM, O_WD,
           O_CLIP, O_SEED, O_EVAL, O_LOG, O_OUT, O_GROUP, O_FORCE, O_HELP };
    static const struct option opts[] = {
        {"task", 1, 0, O_TASK},        {"seq-len", 1, 0, O_SEQ},   {"symbols", 1, 0, O_SYM},
        {"d-model", 1, 0, O_D},        {"heads", 1, 0, O_H},       {"layers", 1, 0, O_L},
        {"d-ff", 1, 0, O_FF},          {"steps", 1, 0, O_STEPS},   {"batch", 1, 0, O_BATCH},
        {"lr", 1, 0, O_LR},            {"warmup", 1, 0, O_WARM},   {"weight-decay", 1, 0, O_WD},
        {"clip", 1, 0, O_CLIP},        {"seed", 1, 0, O_SEED},     {"eval-batches", 1, 0, O_EVAL},
        {"log-every", 1, 0, O_LOG},    {"out", 1, 0, O_OUT},       {"group", 1, 0, O_GROUP},
        {"force", 0, 0, O_FORCE},      {"help", 0, 0, O_HELP},     {0, 0, 0, 0}};
    *o = (train_opts){"majority", NULL, "/model", 16, 4, 32, 4, 2, -1, 300, 32, -1, 1, 8, 50,
                      1e-3, 0.01, 1.0, 0};
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        const char *a = optarg;
        switch (c) {
        case O_TASK: o->task = a; break;
        case O_SEQ: HS_CHECK(hs_parse_long("--seq-len", a, 3, 4096, &o->seq_len)); break;
        case O_SYM: HS_CHECK(hs_parse_long("--symbols", a, 2, 65536, &o->symbols)); break;
        case O_D: HS_CHECK(hs_parse_long("--d-model", a, 1, 65536, &o->d)); break;
        case O_H: HS_CHECK(hs_parse_long("--heads", a, 1, 1024, &o->heads)); break;
        case O_L: HS_CHECK(hs_parse_long("--layers", a, 1, 1024, &o->layers)); break;
        case O_FF: HS_CHECK(hs_parse_long("--d-ff", a, 1, 1 << 20, &o->d_ff)); break;
        case O_STEPS: HS_CHECK(hs_parse_long("--steps", a, 0, 100000000, &o->steps)); break;
        case O_BATCH: HS_CHECK(hs_parse_long("--batch", a, 1, 1 << 20, &o->batch)); break;
        case O_LR: HS_CHECK(hs_parse_double("--lr", a, 0, 10, &o->lr)); break;
        case O_WARM: HS_CHECK(hs_parse_long("--warmup", a, 0, 100000000, &o->warmup)); break;
        case O_WD: HS_CHECK(hs_parse_double("--weight-decay", a, 0, 10, &o->wd)); break;
        case O_CLIP: HS_CHECK(hs_parse_double("--clip", a, 0, 1e9, &o->clip)); break;
        case O_SEED: HS_CHECK(hs_parse_long("--seed", a, 0, 2147483647L, &o->seed)); break;
        case O_EVAL: HS_CHECK(hs_parse_long("--eval-batches", a, 1, 1000000, &o->eval_batches)); break;
        case O_LOG: HS_CHECK(hs_parse_long("--log-every", a, 0, 100000000, &o->log_every)); break;
        case O_OUT: o->out = a; break;
        case O_GROUP: o->group = a; break;
        case O_FORCE: o->force = 1; break;
        case O_HELP: *help_only = 1; return HS_OK;
        default:
            return hs_error_set(HS_ERR_INPUT, "train: unknown or incomplete option '%s' (see headsweep train --help)",
                                argv[optind - 1]);
        }
    }
    if (optind < argc)
        return hs_error_set(HS_ERR_INPUT, "train: unexpected argument '%s' (see headsweep train --help)",
                            argv[optind]);
    if (!o->out) return hs_error_set(HS_ERR_INPUT, "train: --out FILE.h5 is required");
    if (o->group[0] != '/') return hs_error_set(HS_ERR_INPUT, "train: --group '%s': expected a path starting with /", o->group);
    if (o->d_ff < 0) o->d_ff = 4 * o->d;
    if (o->warmup < 0) o->warmup = o->steps / 10;
    struct stat st;
    if (!o->force && stat(o->out, &st) == 0)
        return hs_error_set(HS_ERR_INPUT, "train: %s exists; pass --force to replace it", o->out);
    return HS_OK;
}

typedef struct {
    int *tokens, *lengths, *targets;
} batch_buf;

static hs_status run(const train_opts *o)
{
    hs_synth task;
    HS_CHECK(hs_synth_init(&task, o->task, (int)o->seq_len, (int)o->symbols));
    hs_config cfg = {0};
    hs_synth_model_shape(&task, &cfg);
    cfg.d_model = (int)o->d;
    cfg.heads = (int)o->heads;
    cfg.layers = (int)o->layers;
    cfg.d_ff = (int)o->d_ff;
    const int B = (int)o->batch, T = (int)o->seq_len, R = hs_synth_rows(&task, B);

    hs_model *m = NULL;
    hs_adamw *opt = NULL;
    batch_buf bb = {0};
    hs_status s = hs_model_create(&m, &cfg);
    if (s == HS_OK) s = hs_model_setup_batch(m, B, T);
    hs_adamw_config oc = hs_adamw_defaults(o->steps);
    oc.lr = o->lr;
    oc.warmup = o->warmup;
    oc.weight_decay = o->wd;
    oc.clip = o->clip;
    if (s == HS_OK) s = hs_adamw_create(&opt, m, &oc);
    if (s == HS_OK) s = hs_calloc((void **)&bb.tokens, (size_t)B * T, sizeof(int), "batch tokens");
    if (s == HS_OK) s = hs_calloc((void **)&bb.lengths, (size_t)B, sizeof(int), "batch lengths");
    if (s == HS_OK) s = hs_calloc((void **)&bb.targets, (size_t)R, sizeof(int), "batch targets");
    if (s != HS_OK) goto done;

    /* streams keyed by purpose: training data, evaluation data and init never overlap */
    const uint64_t base = hs_key_str(hs_key_u64(0, (uint64_t)o->seed), o->task);
    hs_model_init_weights(m, hs_key_str(base, "init"));
    hs_rng train_rng, eval_rng;
    hs_rng_seed(&train_rng, hs_key_str(base, "train-data"));
    hs_rng_seed(&eval_rng, hs_key_str(base, "eval-data"));
    const hs_batch batch = {B, T, bb.tokens, bb.lengths, bb.targets};
    printf("train: task %s, %d params (d %d, heads %d, layers %d, d_ff %d), %ld steps of batch %d\n",
           o->task, (int)m->num_params, cfg.d_model, cfg.heads, cfg.layers, cfg.d_ff, o->steps, B);
    double loss = 0;
    for (long step = 0; step < o->steps && s == HS_OK; step++) {
        hs_synth_fill(&task, &train_rng, B, bb.tokens, bb.lengths, bb.targets);
        s = hs_train_step(m, opt, &batch, &loss);
        if (s == HS_OK && o->log_every && ((step + 1) % o->log_every == 0 || step + 1 == o->steps))
            printf("step %6ld  loss %.5f  lr %.3g\n", step + 1, loss, hs_adamw_lr(&oc, step));
    }
    if (s != HS_OK) goto done;
    long correct = 0, count = 0;
    double eval_loss = 0;
    for (long i = 0; i < o->eval_batches && s == HS_OK; i++) {
        hs_synth_fill(&task, &eval_rng, B, bb.tokens, bb.lengths, bb.targets);
        s = hs_model_forward(m, &batch);
        if (s == HS_OK) {
            hs_model_count_correct(m, bb.targets, &correct, &count);
            eval_loss += m->loss;
        }
    }
    if (s != HS_OK) goto done;
    const double acc = count ? (double)correct / count : 0;
    printf("eval: accuracy %.4f (%ld of %ld outputs), loss %.5f\n", acc, correct, count,
           eval_loss / o->eval_batches);
    const hs_attr extra[] = {
        {"task", HS_ATTR_STR, 0, 0, o->task},        {"symbols", HS_ATTR_LONG, o->symbols, 0, 0},
        {"train_steps", HS_ATTR_LONG, o->steps, 0, 0}, {"train_batch", HS_ATTR_LONG, o->batch, 0, 0},
        {"lr", HS_ATTR_DOUBLE, 0, o->lr, 0},         {"warmup", HS_ATTR_LONG, o->warmup, 0, 0},
        {"weight_decay", HS_ATTR_DOUBLE, 0, o->wd, 0}, {"clip", HS_ATTR_DOUBLE, 0, o->clip, 0},
        {"seed", HS_ATTR_LONG, o->seed, 0, 0},       {"eval_accuracy", HS_ATTR_DOUBLE, 0, acc, 0},
        {"adam_beta1", HS_ATTR_DOUBLE, 0, oc.beta1, 0}, {"adam_beta2", HS_ATTR_DOUBLE, 0, oc.beta2, 0},
        {"adam_eps", HS_ATTR_DOUBLE, 0, oc.eps, 0},  {"eval_batches", HS_ATTR_LONG, o->eval_batches, 0, 0},
        {"seq_len_trained", HS_ATTR_LONG, o->seq_len, 0, 0},
    };
    s = hs_checkpoint_save_file(o->out, o->group, m, extra, (int)(sizeof extra / sizeof extra[0]));
    if (s == HS_OK) printf("wrote %s:%s\n", o->out, o->group);
done:
    hs_free(bb.tokens);
    hs_free(bb.lengths);
    hs_free(bb.targets);
    hs_adamw_destroy(&opt);
    hs_model_destroy(&m);
    return s;
}

int hs_cmd_train(int argc, char **argv)
{
    train_opts o;
    int help_only = 0;
    hs_status s = parse(argc, argv, &o, &help_only);
    if (s != HS_OK) return hs_cli_report(s);
    if (help_only) {
        fputs(help, stdout);
        return 0;
    }
    s = run(&o);
    return s == HS_OK ? 0 : hs_cli_report(s);
}
