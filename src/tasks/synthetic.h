/* synthetic.h — built-in synthetic tasks with a known solution.
 *
 *   majority  (classification) CLS x1..xn PAD…: the label is the symbol that
 *             occurs most often (a strict maximum). Solved by a CLS head that
 *             attends uniformly and reads counts. Lengths vary (padding).
 *   copy      (language model) BOS x1..xn SEP x1..xn: predict the second half;
 *             only the copied part is scored. Solved by a head that attends n+1
 *             positions back (an offset/induction pattern).
 *
 * Token ids: 0 CLS/BOS, 1 PAD, 2 SEP, symbols from 3. Every batch is drawn
 * from the caller's RNG stream, so a seed fixes the data exactly. */
#ifndef HS_TASKS_SYNTHETIC_H
#define HS_TASKS_SYNTHETIC_H

#include "../core/error.h"
#include "../core/model.h"
#include "../core/rng.h"

enum { HS_TOK_CLS = 0, HS_TOK_PAD = 1, HS_TOK_SEP = 2, HS_TOK_FIRST_SYMBOL = 3 };

typedef enum { HS_SYNTH_MAJORITY, HS_SYNTH_COPY } hs_synth_kind;

typedef struct {
    hs_synth_kind kind;
    int seq_len;   /* T */
    int symbols;   /* distinct symbols (majority: = classes) */
} hs_synth;

/* Looks up a generator by name; HS_ERR_INPUT lists the valid names. */
hs_status hs_synth_init(hs_synth *t, const char *name, int seq_len, int symbols);

/* The vocabulary, outputs, lm and causal settings this task needs. */
void hs_synth_model_shape(const hs_synth *t, hs_config *cfg);

/* Fills tokens[B][T], lengths[B] and targets (B or B·T) from r. */
void hs_synth_fill(const hs_synth *t, hs_rng *r, int B, int *tokens, int *lengths, int *targets);

/* Number of output rows per batch of B (B, or B·T for LM). */
int hs_synth_rows(const hs_synth *t, int B);

#endif
