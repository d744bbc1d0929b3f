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
#include "../store/checkpoint.h"
#include "cli.h"

static const char help[] =
    "usage: headsweep infer CHECKPOINT.h5 [--group PATH] (--tokens \"ID ID ...\" | --file FILE)\n\n"
    "Prints the logits of the checkpoint's output head, one row per position it\n"
    "reads: position 0 for a classifier, every position for a language model.\n"
    "Rows are: sequence index, position, then n_out logits (tab-separated).\n\n"
    "  --group PATH   checkpoint group in the file [/model]\n"
    "  --tokens IDS   one sequence of token ids separated by spaces or commas\n"
    "  --file FILE    one sequence per line (blank lines and lines starting with # are skipped)\n";

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

static hs_status run(const char *ckpt, const char *group, const char *tokens, const char *file)
{
    hs_model *m = NULL;
    int *ids = NULL;
    FILE *f = NULL;
    char *line = NULL;
    size_t cap = 0;
    hs_status s = hs_checkpoint_load_file(ckpt, group, &m);
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
    return s;
}

int hs_cmd_infer(int argc, char **argv)
{
    enum { O_GROUP = 256, O_TOKENS, O_FILE, O_HELP };
    static const struct option opts[] = {{"group", 1, 0, O_GROUP}, {"tokens", 1, 0, O_TOKENS},
                                         {"file", 1, 0, O_FILE},   {"help", 0, 0, O_HELP},
                                         {0, 0, 0, 0}};
    const char *group = "/model", *tokens = NULL, *file = NULL;
    hs_cli_parser p = {.name = "infer", .longopts = opts, .help = O_HELP, .help_text = help, .arg = "CHECKPOINT.h5",
                       .argc = argc, .argv = argv};
    hs_status s = HS_OK;
    int c;
    while ((c = hs_cli_next_option(&p, &s)) > 0) {
        switch (c) {
        case O_GROUP: group = optarg; break;
        case O_TOKENS: tokens = optarg; break;
        case O_FILE: file = optarg; break;
        }
    }
    if (c == HS_CLI_HELP) return 0;
    if (s != HS_OK) return hs_cli_report(s);
    if (!tokens == !file)
        return hs_cli_report(hs_error_set(HS_ERR_INPUT, "infer: give exactly one of --tokens or --file"));
    s = run(argv[optind], group, tokens, file);
    return s == HS_OK ? 0 : hs_cli_report(s);
}
