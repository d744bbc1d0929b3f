/* json.c — the reader of json.h: recursive descent over a byte range, depth
 * bounded, every error naming the file, line and column. */
#include "json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../core/alloc.h"

#define JSON_MAX_DEPTH 256

typedef struct {
    const char *s, *end, *file;
    const char *line_start;
    int line;
} parser;

static hs_status perr(const parser *p, const char *what)
{
    int col = (int)(p->s - p->line_start) + 1;
    if (p->s >= p->end)
        return hs_error_set(HS_ERR_INPUT, "%s: line %d, column %d: unexpected end of the file: expected %s",
                            p->file, p->line, col, what);
    unsigned char c = (unsigned char)*p->s;
    if (c >= 0x20 && c < 0x7f)
        return hs_error_set(HS_ERR_INPUT, "%s: line %d, column %d: found '%c': expected %s", p->file, p->line,
                            col, c, what);
    return hs_error_set(HS_ERR_INPUT, "%s: line %d, column %d: found byte 0x%02x: expected %s", p->file,
                        p->line, col, c, what);
}

static void skip_ws(parser *p)
{
    while (p->s < p->end) {
        char c = *p->s;
        if (c == '\n') {
            p->line++;
            p->line_start = p->s + 1;
        } else if (c != ' ' && c != '\t' && c != '\r')
            return;
        p->s++;
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int read_hex4(parser *p, unsigned *u)
{
    if (p->end - p->s < 4) return 0;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p->s[i]);
        if (h < 0) return 0;
        v = v * 16 + (unsigned)h;
    }
    p->s += 4;
    *u = v;
    return 1;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | cp >> 6); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12); o[1] = (char)(0x80 | (cp >> 6 & 0x3F)); o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18); o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A string at p->s (on the opening quote). The decoded form is never longer
 * than the source (an escape of 6 or 12 bytes gives at most 4). */
static hs_status parse_string(parser *p, char **out, size_t *out_len)
{
    p->s++;
    const char *start = p->s;
    while (p->s < p->end && *p->s != '"') {
        if (*p->s == '\\' && p->s + 1 < p->end) p->s++;
        if (*p->s == '\n') break;
        p->s++;
    }
    size_t cap = (size_t)(p->s - start) + 1;
    p->s = start;
    char *buf;
    HS_CHECK(hs_calloc((void **)&buf, cap, 1, "JSON string"));
    size_t n = 0;
    for (;;) {
        if (p->s >= p->end) {
            hs_free(buf);
            return perr(p, "'\"' closing the string");
        }
        unsigned char c = (unsigned char)*p->s;
        if (c == '"') {
            p->s++;
            break;
        }
        if (c < 0x20) {
            hs_free(buf);
            return perr(p, "no control character inside a string (escape it)");
        }
        if (c != '\\') {
            buf[n++] = (char)c;
            p->s++;
            continue;
        }
        p->s++;
        if (p->s >= p->end) {
            hs_free(buf);
            return perr(p, "an escape character");
        }
        char e = *p->s++;
        switch (e) {
        case '"': buf[n++] = '"'; break;
        case '\\': buf[n++] = '\\'; break;
        case '/': buf[n++] = '/'; break;
        case 'b': buf[n++] = '\b'; break;
        case 'f': buf[n++] = '\f'; break;
        case 'n': buf[n++] = '\n'; break;
        case 'r': buf[n++] = '\r'; break;
        case 't': buf[n++] = '\t'; break;
        case 'u': {
            unsigned u;
            if (!read_hex4(p, &u)) {
                hs_free(buf);
                return perr(p, "4 hex digits after \\u");
            }
            if (u >= 0xDC00 && u <= 0xDFFF) {
                hs_free(buf);
                p->s -= 6;
                return perr(p, "a high surrogate (\\uD800-\\uDBFF) before a low one");
            }
            if (u >= 0xD800 && u <= 0xDBFF) {
                unsigned lo;
                if (p->end - p->s < 2 || p->s[0] != '\\' || p->s[1] != 'u') {
                    hs_free(buf);
                    return perr(p, "a low surrogate \\uDC00-\\uDFFF after a high one");
                }
                p->s += 2;
                if (!read_hex4(p, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
                    hs_free(buf);
                    return perr(p, "a low surrogate \\uDC00-\\uDFFF after a high one");
                }
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            }
            n += put_utf8(buf + n, u);
            break;
        }
        default:
            p->s--;
            hs_free(buf);
            return perr(p, "one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u");
        }
    }
    buf[n] = 0;
    *out = buf;
    *out_len = n;
    return HS_OK;
}

static hs_status parse_number(parser *p, hs_json *v)
{
    const char *s = p->s;
    /* RFC 8259 grammar first (strtod alone accepts hex, inf, nan, leading +) */
    if (s < p->end && *s == '-') s++;
    if (s >= p->end || *s < '0' || *s > '9') return perr(p, "a value");
    if (*s == '0') s++;
    else
        while (s < p->end && *s >= '0' && *s <= '9') s++;
    if (s < p->end && *s == '.') {
        s++;
        if (s >= p->end || *s < '0' || *s > '9') {
            p->s = s;
            return perr(p, "a digit after '.'");
        }
        while (s < p->end && *s >= '0' && *s <= '9') s++;
    }
    if (s < p->end && (*s == 'e' || *s == 'E')) {
        s++;
        if (s < p->end && (*s == '+' || *s == '-')) s++;
        if (s >= p->end || *s < '0' || *s > '9') {
            p->s = s;
            return perr(p, "a digit in the exponent");
        }
        while (s < p->end && *s >= '0' && *s <= '9') s++;
    }
    size_t n = (size_t)(s - p->s);
    char tmp[64];
    if (n >= sizeof tmp) return perr(p, "a number of at most 63 characters");
    memcpy(tmp, p->s, n);
    tmp[n] = 0;
    v->type = HS_JSON_NUM;
    v->num = strtod(tmp, NULL);
    p->s = s;
    return HS_OK;
}

static void free_value(hs_json *v)
{
    if (v->type == HS_JSON_STR) hs_free(v->str);
    if (v->type == HS_JSON_ARR || v->type == HS_JSON_OBJ) {
        for (size_t i = 0; i < v->len; i++) {
            free_value(&v->items[i]);
            if (v->keys) hs_free(v->keys[i]);
        }
        hs_free(v->items);
        hs_free(v->keys);
    }
    memset(v, 0, sizeof *v);
}

static int match_word(parser *p, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(p->end - p->s) < n || memcmp(p->s, w, n) != 0) return 0;
    p->s += n;
    return 1;
}

static hs_status parse_value(parser *p, hs_json *v, int depth);

/* Grows a container's arrays (doubling). */
static hs_status grow(hs_json *v, size_t *cap, int with_keys)
{
    if (v->len < *cap) return HS_OK;
    size_t nc = *cap ? *cap * 2 : 4;
    hs_json *items;
    HS_CHECK(hs_calloc((void **)&items, nc, sizeof *items, "JSON array"));
    if (v->len) memcpy(items, v->items, v->len * sizeof *items);
    if (with_keys) {
        char **keys;
        hs_status s = hs_calloc((void **)&keys, nc, sizeof *keys, "JSON object keys");
        if (s != HS_OK) {
            hs_free(items);
            return s;
        }
        if (v->len) memcpy(keys, v->keys, v->len * sizeof *keys);
        hs_free(v->keys);
        v->keys = keys;
    }
    hs_free(v->items);
    v->items = items;
    *cap = nc;
    return HS_OK;
}

static hs_status parse_container(parser *p, hs_json *v, int depth, int obj)
{
    char close = obj ? '}' : ']';
    v->type = obj ? HS_JSON_OBJ : HS_JSON_ARR;
    p->s++;
    size_t cap = 0;
    skip_ws(p);
    if (p->s < p->end && *p->s == close) {
        p->s++;
        return HS_OK;
    }
    for (;;) {
        skip_ws(p);
        HS_CHECK(grow(v, &cap, obj));
        if (obj) {
            if (p->s >= p->end || *p->s != '"') return perr(p, "a key (a string in double quotes)");
            size_t kl;
            HS_CHECK(parse_string(p, &v->keys[v->len], &kl));
            skip_ws(p);
            if (p->s >= p->end || *p->s != ':') {
                hs_free(v->keys[v->len]);
                v->keys[v->len] = NULL;
                return perr(p, "':' after the key");
            }
            p->s++;
            skip_ws(p);
        }
        hs_status s = parse_value(p, &v->items[v->len], depth + 1);
        v->len++; /* counted even on failure so free_value frees the key */
        HS_CHECK(s);
        skip_ws(p);
        if (p->s < p->end && *p->s == ',') {
            p->s++;
            continue;
        }
        if (p->s < p->end && *p->s == close) {
            p->s++;
            return HS_OK;
        }
        return perr(p, obj ? "',' or '}'" : "',' or ']'");
    }
}

static hs_status parse_value(parser *p, hs_json *v, int depth)
{
    skip_ws(p);
    v->line = p->line;
    if (depth > JSON_MAX_DEPTH) return perr(p, "at most 256 nested arrays/objects");
    if (p->s >= p->end) return perr(p, "a value");
    switch (*p->s) {
    case '{': return parse_container(p, v, depth, 1);
    case '[': return parse_container(p, v, depth, 0);
    case '"':
        v->type = HS_JSON_STR;
        return parse_string(p, &v->str, &v->len);
    case 't':
        if (!match_word(p, "true")) return perr(p, "a value");
        v->type = HS_JSON_BOOL;
        v->num = 1;
        return HS_OK;
    case 'f':
        if (!match_word(p, "false")) return perr(p, "a value");
        v->type = HS_JSON_BOOL;
        v->num = 0;
        return HS_OK;
    case 'n':
        if (!match_word(p, "null")) return perr(p, "a value");
        v->type = HS_JSON_NULL;
        return HS_OK;
    default:
        return parse_number(p, v);
    }
}

hs_status hs_json_parse(hs_json **out, const char *text, size_t n, const char *file)
{
    *out = NULL;
    parser p = {text, text + n, file ? file : "JSON", text, 1};
    /* a UTF-8 byte-order mark is tolerated (some editors write one) */
    if (n >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) p.s += 3;
    hs_json *v;
    HS_CHECK(hs_calloc((void **)&v, 1, sizeof *v, "JSON value"));
    hs_status s = parse_value(&p, v, 0);
    if (s == HS_OK) {
        skip_ws(&p);
        if (p.s < p.end) s = perr(&p, "the end of the file after the value");
    }
    if (s != HS_OK) {
        hs_json_free(v);
        return s;
    }
    *out = v;
    return HS_OK;
}

const hs_json *hs_json_get(const hs_json *obj, const char *key)
{
    if (!obj || obj->type != HS_JSON_OBJ) return NULL;
    for (size_t i = obj->len; i-- > 0;)
        if (strcmp(obj->keys[i], key) == 0) return &obj->items[i];
    return NULL;
}

void hs_json_free(hs_json *j)
{
    if (!j) return;
    free_value(j);
    hs_free(j);
}
