/* task_attrs.h — a task spec as HDF5 attributes, so a checkpoint written by
 * `headsweep train` names the exact task it was trained on and `prune` can
 * reopen it. Attribute names are the spec fields prefixed with "task_"
 * (task_kind, task_generator, task_seq_len, …); zero / NULL fields are not
 * written. */
#ifndef HS_CLI_TASK_ATTRS_H
#define HS_CLI_TASK_ATTRS_H

#include <hdf5.h>

#include "../store/checkpoint.h"
#include "../tasks/task.h"

/* Fills out[0..cap) with the spec's attributes (pointing into t's strings);
 * returns how many. */
int hs_task_spec_attrs(const hs_task_spec *t, hs_attr *out, int cap);

/* Reads the spec back; strings are stored in buf (size n) which must outlive
 * the spec. `where` names the file in messages. */
hs_status hs_task_spec_read(hid_t obj, hs_task_spec *t, char *buf, size_t n, const char *where);

#endif
