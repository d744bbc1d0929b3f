/* eval.c — evaluation and training of a model on a task (see eval.h). */
#include "eval.h"

#include <math.h>
#include <signal.h>
#include <time.h>

static double deadline;
static volatile sig_atomic_t cancelled;

void hs_set_deadline(double t)
{
    deadline = t;
    cancelled = 0;
}

void hs_cancel_now(void) { cancelled = 1; }

static hs_status check_deadline(void)
{
    if (cancelled) return hs_error_set(HS_ERR_CANCELLED, "cancelled (the sweep is stopping)");
    if (deadline > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        if (ts.tv_sec + ts.tv_nsec * 1e-9 > deadline)
            return hs_error_set(HS_ERR_NUMERIC, "timed out (point_timeout)");
    }
    return HS_OK;
}

hs_status hs_eval_split(hs_model *m, const hs_task *t, hs_split split, hs_batch_buf *bb,
                        hs_eval_result *out)
{
    const long nb = hs_task_num_batches(t, split, bb->B);
    const int C = m->cfg.n_out, stride = hs_task_target_stride(t);
    double nll = 0;
    long correct = 0, counted = 0, seq_right = 0, seq_counted = 0;
    for (long i = 0; i < nb; i++) {
        HS_CHECK(check_deadline());
        const int n = hs_task_batch(t, split, i, bb);
        if (n == 0) break;
        HS_CHECK(hs_model_forward(m, &bb->batch));
        nll += m->loss * m->loss_count;
        for (int e = 0; e < n; e++) {
            int all_right = 1, any = 0;
            for (int k = 0; k < stride; k++) {
                const int r = e * stride + k, y = bb->targets[r];
                if (y < 0) continue;
                const hs_real *z = m->a.logits + (size_t)r * C;
                int best = 0;
                for (int c = 1; c < C; c++)
                    if (z[c] > z[best]) best = c;
                correct += best == y;
                all_right &= best == y;
                counted++;
                any = 1;
            }
            if (any) {
                seq_right += all_right;
                seq_counted++;
            }
        }
    }
    out->outputs = counted;
    out->examples = t->split[split].n;
    out->loss = counted ? nll / counted : 0;
    switch (t->metric) {
    case HS_METRIC_ACCURACY: out->metric = counted ? (double)correct / counted : 0; break;
    case HS_METRIC_EXACT_MATCH: out->metric = seq_counted ? (double)seq_right / seq_counted : 0; break;
    case HS_METRIC_PERPLEXITY: out->metric = exp(out->loss); break;
    }
    return HS_OK;
}

hs_status hs_train_task(hs_model *m, hs_adamw *opt, const hs_task *t, hs_batch_buf *bb, long steps,
                        long first_batch, long log_every, hs_train_log_fn log, void *log_ctx)
{
    double loss;
    for (long s = 0; s < steps; s++) {
        HS_CHECK(check_deadline());
        hs_task_batch(t, HS_SPLIT_TRAIN, first_batch + s, bb);
        const double lr = hs_adamw_lr(&opt->c, opt->t);
        HS_CHECK(hs_train_step(m, opt, &bb->batch, &loss));
        if (log && log_every && ((s + 1) % log_every == 0 || s + 1 == steps)) log(log_ctx, s + 1, loss, lr);
    }
    return HS_OK;
}

hs_status hs_train_task_mb(hs_model *m, hs_adamw *opt, const hs_task *t, hs_batch_buf *bb, long steps,
                           long first_batch, hs_mb *mb)
{
    double loss;
    for (long s = 0; s < steps; s++) {
        /* a cancelled rank still fails at a step boundary; its peers then
         * block in the exchange until the run is torn down (runner.c) */
        HS_CHECK(check_deadline());
        hs_task_batch(t, HS_SPLIT_TRAIN, first_batch + s, bb);
        HS_CHECK(hs_mb_train_step(mb, m, opt, &bb->batch, &loss));
    }
    return HS_OK;
}
