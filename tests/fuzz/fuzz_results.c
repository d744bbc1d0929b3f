/* fuzz_results.c — the results-file reader behind `query`: the query
 * command itself (src/cli/cmd_query.c over src/query/results_view.c and
 * src/store/results.c) on an HDF5 file image, or a base file edited by a
 * program (fuzz_h5edit.h). The mode byte picks the query: plain, grouped, --masks
 * of one point or of groups, filtered, sorted, in each output format. The
 * output goes to /dev/null; errors come back as exit status 2 or 1. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../src/cli/cli.h"
#include "../../src/store/h5util.h"
#include "fuzz_h5edit.h"
#include "fuzz_util.h"

static const char *const objects[] = {"points", "base_jobs", "masks", "importance", "curves", "errors",
                                      "base_errors", "tasks", "tasks/majority", "tasks/copy", "checkpoints",
                                      "checkpoints/majority/seed_1", "checkpoints/majority/seed_1/wq", "/"};
static const char *const attrs[] = {"format", "format_version", "max_layers", "max_heads", "fingerprint",
                                    "sweep_text", "tool_version", "created", "sweep_path", "metric",
                                    "layers", "heads", "mask_absent"};
static const char *const strings[] = {"headsweep-results", "00000000deadbeef", "accuracy", "exact_match",
                                      "perplexity", "", "majority", "copy", "a/b", "name = \"x\";",
                                      "0.1.0", "2024-01-01T00:00:00Z"};

static char path[4096];

static void cleanup(void) { unlink(path); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0]) {
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        snprintf(path, sizeof path, "%s/hs-fuzz-results-XXXXXX", fz_tmpdir());
        int fd = mkstemp(path);
        if (fd < 0) abort();
        close(fd);
        atexit(cleanup);
        fz_load_bases(HS_FUZZ_H5BASE "/results");
        /* the tables go nowhere; libFuzzer and the sanitizers report on stderr */
        int null = open("/dev/null", O_WRONLY);
        if (null < 0 || dup2(null, 1) < 0) abort();
        close(null);
    }
    fz_expect_clean();
    const fz_names nm = {objects, sizeof objects / sizeof *objects, attrs, sizeof attrs / sizeof *attrs, strings,
                         sizeof strings / sizeof *strings};
    uint8_t mode;
    if (!fz_h5_prepare(path, data, size, &nm, &mode)) return 0;

    static const char *const queries[8][8] = {
        {NULL},
        {"--group-by", "task,method,ratio", "--format", "csv", NULL},
        {"--masks", "--where", "id=0", NULL},
        {"--masks", "--group-by", "task", "--format", "json", NULL},
        {"--where", "status in failed,pending", "--columns", "all", "--format", "json", NULL},
        {"--sort", "-metric_pruned,task", "--where", "ratio<=0.5", NULL},
        {"--masks", NULL},
        {"--group-by", "host,status", "--columns", "metric_pruned,wall_seconds,start_time", "--sort", "n", NULL},
    };
    char *argv[16] = {"query", path};
    int argc = 2;
    for (const char *const *q = queries[mode % 8]; *q; q++) argv[argc++] = (char *)*q;
    argv[argc] = NULL;
    const int rc = hs_cmd_query(argc, argv);
    if (rc != 0 && rc != 1 && rc != 2) abort();
    fz_expect_clean(); /* the command reports and clears its error */
    fflush(stdout);
    return 0;
}
