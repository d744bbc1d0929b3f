/* tsv.c — kind "tsv" (placeholder until the loader lands). */
#include "task.h"

hs_status hs_task_open_tsv(hs_task *t)
{
    return hs_error_set(HS_ERR_INPUT, "task %s: kind 'tsv' is not available yet", t->spec.name);
}
