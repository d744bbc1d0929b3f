/* model_util.h — helpers over a model and its parameter table (model.h):
 * a copy, and the parameters that remain when heads or layers are removed.
 * Used by the pruning framework, its methods and their tests. */
#ifndef HS_CORE_MODEL_UTIL_H
#define HS_CORE_MODEL_UTIL_H

#include "model.h"

/* A new model with base's shape and parameters (gates included) and its
 * dropped layers (layer_off); activations are not set up. *out is owned by
 * the caller (hs_model_destroy). */
hs_status hs_model_clone(hs_model **out, const hs_model *base);

/* Parameters that remain when the heads with mask[l·H + j] == 0 are removed
 * (their Q, K, V columns and biases and their Wo rows) and, of each layer
 * with m->layer_off[l] set, every other tensor of the layer as well; the
 * gates are not counted. */
long hs_params_kept(const hs_model *m, const unsigned char *mask);

#endif
