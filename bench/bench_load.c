/* bench_load.c — loading a BERT-base checkpoint against reading its file.
 *
 * Writes a Hugging Face folder of BERT-base shape (d 768, 12 layers, 12
 * heads, d_ff 3072, vocab 30522, 512 positions, 2 token types, pooler; F32:
 * a ~440 MB model.safetensors) with the repository's own writer
 * (hs_hf_export of a model with random weights), then, with the file in the
 * page cache (one untimed load and read first), alternates rounds of
 *   read:  open + read() of the whole file into a fresh malloc'd buffer,
 *          each page touched once (what "reading it" costs at least);
 *   load:  hs_hf_load(dir, 2 classes, T 128) — config.json, the mapped file
 *          validated, every tensor converted into the model's parameter
 *          buffer (BERT's [out][in] matrices transposed), a fresh head.
 * Medians of the rounds, wall and CPU time.
 *
 * usage: bench_load [ROUNDS (default 7)] [DIR (default: a temporary folder, removed)]
 * output: load_ms=… read_ms=… ratio=… (load/read; < 1 means loading is cheaper) file_mb=… */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../src/core/model.h"
#include "../src/pretrained/hf_model.h"

#include "bench_util.h"

static const char config_json[] =
    "{\n  \"architectures\": [\"BertModel\"],\n  \"model_type\": \"bert\",\n  \"hidden_act\": \"gelu\",\n"
    "  \"hidden_size\": 768,\n  \"intermediate_size\": 3072,\n  \"layer_norm_eps\": 1e-12,\n"
    "  \"max_position_embeddings\": 512,\n  \"num_attention_heads\": 12,\n  \"num_hidden_layers\": 12,\n"
    "  \"pad_token_id\": 0,\n  \"type_vocab_size\": 2,\n  \"vocab_size\": 30522\n}\n";

static void die(const char *what)
{
    fprintf(stderr, "bench_load: %s: %s\n", what, hs_error_message());
    exit(1);
}

/* read() of the whole file into a fresh buffer; returns a checksum so the
 * work is not optimised away */
static unsigned read_whole(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) {
        perror(path);
        exit(1);
    }
    unsigned char *buf = malloc((size_t)st.st_size);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r <= 0) {
            perror(path);
            exit(1);
        }
        got += (size_t)r;
    }
    close(fd);
    unsigned sum = 0;
    for (size_t i = 0; i < got; i += 4096) sum += buf[i];
    free(buf);
    *len = got;
    return sum;
}

int main(int argc, char **argv)
{
    const int rounds = argc > 1 ? atoi(argv[1]) : 7;
    char tmp[] = "/tmp/bench_load.XXXXXX";
    const char *top = argc > 2 ? argv[2] : mkdtemp(tmp);
    if (!top) {
        perror("mkdtemp");
        return 1;
    }
    char src[4096], dir[4096], file[4200];
    snprintf(src, sizeof src, "%s/src", top);
    snprintf(dir, sizeof dir, "%s/bert-base", top);
    snprintf(file, sizeof file, "%s/model.safetensors", dir);
    mkdir(top, 0755);
    mkdir(src, 0755);
    char cpath[4200];
    snprintf(cpath, sizeof cpath, "%s/config.json", src);
    FILE *fp = fopen(cpath, "w");
    if (!fp || fputs(config_json, fp) < 0 || fclose(fp)) {
        perror(cpath);
        return 1;
    }
    hs_config cfg;
    hs_hf_info info;
    if (hs_hf_read_config(src, &cfg, &info)) die(src);
    hs_model *m;
    if (hs_model_create(&m, &cfg)) die("model");
    hs_model_init_weights(m, 11);
    if (access(file, R_OK) && hs_hf_export(m, &info, src, dir, NULL)) die(dir);
    hs_model_destroy(&m);
    hs_hf_info_free(&info);

    size_t len = 0;
    unsigned sum = read_whole(file, &len); /* warm the page cache */
    if (hs_hf_load(&m, NULL, dir, 2, 128, 5)) die(dir);
    hs_model_destroy(&m);
    double tl[64], tr[64], cl[64], cr[64];
    const int n = rounds < 1 ? 1 : rounds > 64 ? 64 : rounds;
    for (int r = 0; r < n; r++) {
        double t0 = now(), c0 = (double)clock() / CLOCKS_PER_SEC;
        sum += read_whole(file, &len);
        tr[r] = now() - t0;
        cr[r] = (double)clock() / CLOCKS_PER_SEC - c0;
        t0 = now();
        c0 = (double)clock() / CLOCKS_PER_SEC;
        if (hs_hf_load(&m, NULL, dir, 2, 128, 5)) die(dir);
        tl[r] = now() - t0;
        cl[r] = (double)clock() / CLOCKS_PER_SEC - c0;
        hs_model_destroy(&m);
    }
    qsort(tl, n, sizeof *tl, cmp_double);
    qsort(tr, n, sizeof *tr, cmp_double);
    qsort(cl, n, sizeof *cl, cmp_double);
    qsort(cr, n, sizeof *cr, cmp_double);
    printf("load_ms=%.1f read_ms=%.1f ratio=%.3f load_cpu_ms=%.1f read_cpu_ms=%.1f cpu_ratio=%.3f file_mb=%.1f "
           "rounds=%d (checksum %u)\n",
           tl[n / 2] * 1e3, tr[n / 2] * 1e3, tl[n / 2] / tr[n / 2], cl[n / 2] * 1e3, cr[n / 2] * 1e3,
           cl[n / 2] / cr[n / 2], len / 1e6, n, sum & 0xff);
    if (argc <= 2) {
        char cmd[4200 + 16];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
        if (system(cmd)) fprintf(stderr, "bench_load: could not remove %s\n", top);
    }
    return 0;
}
