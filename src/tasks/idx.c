/* idx.c — kind "images" (placeholder until the loader lands). */
#include "task.h"

hs_status hs_task_open_images(hs_task *t)
{
    return hs_error_set(HS_ERR_INPUT, "task %s: kind 'images' is not available yet", t->spec.name);
}
