/* results_cmp.c — test helper: compares two results files on everything
 * that must be bit-identical whatever the number of ranks or interruptions
 * (rows without timings, rank and host; masks, importance, curves, errors,
 * base models). The row columns compared are those src/store/columns.h
 * marks SAME. Prints the first difference; exit 0 equal, 1 different,
 * 2 unreadable. Usage: results_cmp A.h5 B.h5 [--attempts-one] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/store/h5util.h"
#include "../src/store/results.h"

/* The first SAME column (columns.h) in which rows x and y differ, or NULL:
 * numbers bit for bit, text up to its NUL. */
#define SAME_FIELD(ID, field, storage, kind, pending, same)                                           \
    if (HS_COL_SAME_##same &&                                                                        \
        (HS_COL_##storage >= HS_COL_NAME ? strncmp((const char *)&x->field, (const char *)&y->field, \
                                                   sizeof x->field) != 0                             \
                                         : memcmp(&x->field, &y->field, sizeof x->field) != 0))      \
        return #field;
static const char *point_diff(const hs_point_row *x, const hs_point_row *y)
{
    HS_POINT_COLUMNS(SAME_FIELD)
    return NULL;
}
static const char *base_diff(const hs_base_row *x, const hs_base_row *y)
{
    HS_BASE_COLUMNS(SAME_FIELD)
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: results_cmp A.h5 B.h5 [--attempts-one]\n");
        return 2;
    }
    const int attempts_one = argc > 3 && !strcmp(argv[3], "--attempts-one");
    hs_h5_init();
    hs_results *a, *b;
    if (hs_results_open(&a, argv[1], 0) || hs_results_open(&b, argv[2], 0)) {
        fprintf(stderr, "results_cmp: %s\n", hs_error_message());
        return 2;
    }
    const long n = hs_results_n_points(a), nb = hs_results_n_base(a);
    if (n != hs_results_n_points(b) || nb != hs_results_n_base(b)) {
        printf("different grid sizes\n");
        return 1;
    }
    hs_point_row *pa = calloc(n + 1, sizeof *pa), *pb = calloc(n + 1, sizeof *pb);
    hs_base_row *ba = calloc(nb + 1, sizeof *ba), *bb = calloc(nb + 1, sizeof *bb);
    hs_results_read_points(a, pa);
    hs_results_read_points(b, pb);
    hs_results_read_bases(a, ba);
    hs_results_read_bases(b, bb);
    const int lh = hs_results_max_layers(a) * hs_results_max_heads(a);
    uint8_t *ma = malloc(lh), *mb = malloc(lh);
    float *ia = malloc(lh * sizeof(float)), *ib = malloc(lh * sizeof(float));
    double ca[HS_CURVE_WIDTH], cb[HS_CURVE_WIDTH];
    int diff = 0;
    for (long i = 0; i < nb && !diff; i++) {
        const hs_base_row *x = &ba[i], *y = &bb[i];
        const char *col = base_diff(x, y);
        if (col) {
            printf("base job %ld differs in %s: status %d/%d metric %.17g/%.17g\n", i, col, x->status, y->status,
                   x->metric, y->metric);
            diff = 1;
        }
        if (attempts_one && x->status == HS_STATUS_DONE && x->attempts != 1) {
            printf("base job %ld was computed %d times in %s\n", i, x->attempts, argv[1]);
            diff = 1;
        }
        if (!diff && x->status == HS_STATUS_DONE) {
            hs_model *m1 = NULL, *m2 = NULL;
            if (hs_results_read_base_model(a, i, &m1) || hs_results_read_base_model(b, i, &m2) ||
                memcmp(m1->params, m2->params, sizeof(float) * m1->num_params)) {
                printf("base model %ld differs\n", i);
                diff = 1;
            }
            hs_model_destroy(&m1);
            hs_model_destroy(&m2);
        }
    }
    for (long i = 0; i < n && !diff; i++) {
        const hs_point_row *x = &pa[i], *y = &pb[i];
        const char *col = point_diff(x, y);
        if (col) {
            printf("point %ld differs in %s: status %d/%d metric_pruned %.17g/%.17g\n", i, col, x->status, y->status,
                   x->metric_pruned, y->metric_pruned);
            diff = 1;
            break;
        }
        if (attempts_one && x->status == HS_STATUS_DONE && x->attempts != 1) {
            printf("point %ld was computed %d times in %s\n", i, x->attempts, argv[1]);
            diff = 1;
            break;
        }
        hs_results_read_point_arrays(a, i, ma, ia, ca);
        hs_results_read_point_arrays(b, i, mb, ib, cb);
        if (memcmp(ma, mb, lh) || memcmp(ia, ib, lh * sizeof(float)) || memcmp(ca, cb, sizeof ca)) {
            printf("point %ld: masks, importance or curve differ\n", i);
            diff = 1;
        }
        char ea[HS_ERROR_LEN + 1], eb[HS_ERROR_LEN + 1];
        hs_results_read_error(a, i, 0, ea, sizeof ea);
        hs_results_read_error(b, i, 0, eb, sizeof eb);
        if (strcmp(ea, eb)) {
            printf("point %ld: error texts differ: '%s' / '%s'\n", i, ea, eb);
            diff = 1;
        }
    }
    if (!diff) printf("equal: %ld base jobs, %ld points\n", nb, n);
    hs_results_close(&a);
    hs_results_close(&b);
    return diff;
}
