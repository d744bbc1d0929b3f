/* results_hostile.c — test helper: writes a results file whose task and
 * method names and error text are attacks on the programs that draw or show
 * them (gnuplot command injection, shell substitution, HTML/script
 * injection, a newline that would end a gnuplot command). A sweep file
 * cannot hold such names (its names are [A-Za-z0-9_.-]), so the file is made
 * through the results API directly, as a damaged or foreign writer could.
 * Usage: results_hostile OUT.h5. The names are printed, one per line. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../src/store/h5util.h"
#include "../src/store/results.h"

/* each at most HS_NAME_LEN - 1 = 31 bytes */
static const char *const tasks[] = {
    "\"; system(\"touch /tmp/x\") #",   /* the issue's example, verbatim */
    "'; system('touch pwned1') #",      /* the same against single quotes */
};
static const char *const methods[] = {
    "`touch pwned2` @M $(touch p3)",    /* backquotes, a macro, shell */
    "a\nsystem('touch pwned4')",        /* a newline ends a gnuplot command */
    "<img src=x onerror=alert(1)>",     /* HTML */
};

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: results_hostile OUT.h5\n");
        return 2;
    }
    hs_h5_init();
    enum { T = 2, M = 3, R = 2, S = 2, N = T * M * R * S, L = 2, H = 2 };
    const double ratios[R] = {0.0, 0.5};
    hs_point_row rows[N];
    for (int i = 0; i < N; i++) {
        const int t = i / (M * R * S), m = i / (R * S) % M, r = i / S % R, s = i % S;
        hs_point_row *p = &rows[i];
        hs_point_row_init(p);
        p->id = i;
        snprintf(p->task, sizeof p->task, "%s", tasks[t]);
        snprintf(p->method, sizeof p->method, "%s", methods[m]);
        p->ratio = ratios[r];
        p->seed = s + 1;
    }
    const char *names[] = {"shape"};
    const hs_config shape = {.vocab = 8, .seq_len = 8, .d_model = 4, .heads = H, .layers = L, .d_ff = 8,
                             .n_out = 4};
    const hs_attr *attrs[] = {NULL};
    const int n_attrs[] = {0};
    const hs_results_layout lay = {.sweep_path = "hostile.cfg",
                                   .sweep_text = "name = \"</pre><script>alert(1)</script>\";\n",
                                   .tool_version = "test",
                                   .fingerprint = 1,
                                   .n_points = N,
                                   .n_base = 0,
                                   .points = rows,
                                   .bases = NULL,
                                   .n_tasks = 1,
                                   .task_names = names,
                                   .task_shapes = &shape,
                                   .task_attrs = attrs,
                                   .n_task_attrs = n_attrs,
                                   .base_shapes = NULL};
    hs_results *res;
    if (hs_results_create(&res, argv[1], &lay)) {
        fprintf(stderr, "results_hostile: %s\n", hs_error_message());
        return 1;
    }
    for (int i = 0; i < N; i++) {
        hs_point_row *p = &rows[i];
        const int r = i / S % R, s = i % S;
        uint8_t mask[L * H];
        float imp[L * H];
        double curve[HS_CURVE_WIDTH];
        for (int k = 0; k < L * H; k++) {
            mask[k] = r == 0 || (k + s) % 2 ? 1 : 0; /* ratio 0.5: half the heads */
            imp[k] = 0.1f * (float)(k + 1 + s);
        }
        for (int k = 0; k < HS_CURVE_WIDTH; k++) curve[k] = k < 3 ? 0.9 - 0.1 * k : NAN;
        const int failed = i == N - 1;
        p->status = failed ? HS_STATUS_FAILED : HS_STATUS_DONE;
        p->attempts = 1;
        p->rank = 0;
        snprintf(p->host, sizeof p->host, "<b>host</b>");
        p->start_time = 1.7e9 + i;
        p->end_time = p->start_time + 1;
        p->wall_seconds = 1;
        if (!failed) {
            p->metric_base = 0.9;
            p->metric_pruned = 0.9 - 0.3 * p->ratio - 0.01 * s;
            p->metric_finetuned = p->metric_pruned + 0.02;
            p->loss = 0.5;
            p->heads_total = L * H;
            p->heads_kept = 0;
            for (int k = 0; k < L * H; k++) p->heads_kept += mask[k];
            p->curve_len = i / (R * S) % M == 0 ? 3 : 0;
        }
        if (hs_results_write_point(res, i, p, failed ? NULL : mask, failed ? NULL : imp,
                                   failed ? NULL : curve, failed ? "<b>boom</b> & \"quoted\" '; system('touch pwned5') #" : "")) {
            fprintf(stderr, "results_hostile: %s\n", hs_error_message());
            return 1;
        }
    }
    if (hs_results_close(&res)) {
        fprintf(stderr, "results_hostile: %s\n", hs_error_message());
        return 1;
    }
    for (int t = 0; t < T; t++) printf("%s\n", tasks[t]);
    for (int m = 0; m < M; m++) printf("%s\n", methods[m]);
    return 0;
}
