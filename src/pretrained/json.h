/* json.h — a small JSON reader for Hugging Face folders (config.json,
 * tokenizer.json, vocab.json, the safetensors header). RFC 8259: objects,
 * arrays, strings (\u escapes and surrogate pairs to UTF-8), numbers, true,
 * false, null. Errors name the file and the line/column and say what was
 * expected. Depth is bounded (256) so hostile input cannot exhaust the stack. */
#ifndef HS_PRETRAINED_JSON_H
#define HS_PRETRAINED_JSON_H

#include <stddef.h>

#include "../core/error.h"

typedef enum { HS_JSON_NULL, HS_JSON_BOOL, HS_JSON_NUM, HS_JSON_STR, HS_JSON_ARR, HS_JSON_OBJ } hs_json_type;

typedef struct hs_json hs_json;
struct hs_json {
    hs_json_type type;
    double num;      /* HS_JSON_NUM (and 0/1 for HS_JSON_BOOL) */
    char *str;       /* HS_JSON_STR: NUL-terminated UTF-8 (may contain NUL: see len) */
    size_t len;      /* HS_JSON_STR: bytes; HS_JSON_ARR/OBJ: number of items */
    hs_json *items;  /* HS_JSON_ARR/OBJ: len values, in file order */
    char **keys;     /* HS_JSON_OBJ: len keys, in file order */
    int line;        /* where the value starts, for messages */
};

/* Parses text[0..n) (need not be NUL-terminated). `file` names the input in
 * messages. *out is owned by the caller (hs_json_free). */
hs_status hs_json_parse(hs_json **out, const char *text, size_t n, const char *file);

/* The value of key in an object (the last one when repeated), or NULL (also
 * when obj is NULL or not an object). */
const hs_json *hs_json_get(const hs_json *obj, const char *key);

void hs_json_free(hs_json *j);

#endif
