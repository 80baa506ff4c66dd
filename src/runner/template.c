/*
 * template.c -- trial command lines from templates; see template.h.
 *
 * One scanner (tmpl_next_token) cuts a template into literal text, ${macros} and
 * {fields}; argv expansion, shell expansion and validation all walk its tokens, so the
 * three can never disagree about what a template means.
 */
#include "runner/template.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TMPL_OOM (-2)
#define TMPL_FAIL (-1)

/* Longest text of a non-string value: "-2.2250738585072014e-308" has 24 bytes. */
#define TMPL_NUMBER_TEXT 64

/* How much of an offending word an error message quotes. */
#define TMPL_ERR_QUOTE 120

__attribute__((format(printf, 3, 4))) static void tmpl_errf(char *err, size_t errlen,
                                                            const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int tmpl_oom(char *err, size_t errlen)
{
    tmpl_errf(err, errlen, "out of memory");
    return TMPL_OOM;
}

/* ---- growable string with a hard cap ------------------------------------------------ */

typedef struct tmpl_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t limit; /* most bytes it may hold, without the NUL */
} tmpl_buf;

static void tmpl_buf_init(tmpl_buf *b, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit;
}

/* 0, TMPL_FAIL when the limit would be exceeded, TMPL_OOM. */
static int tmpl_buf_append(tmpl_buf *b, const char *s, size_t n)
{
    if (n > b->limit - b->len)
        return TMPL_FAIL;
    size_t need = b->len + n + 1;
    if (need > b->cap) {
        size_t cap = b->cap > 0 ? b->cap : 64;
        while (cap < need)
            cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        char *grown = realloc(b->data, cap);
        if (grown == NULL)
            return TMPL_OOM;
        b->data = grown;
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

static int tmpl_buf_puts(tmpl_buf *b, const char *s)
{
    return tmpl_buf_append(b, s, strlen(s));
}

/* Hands the string over (an empty buffer still yields ""). NULL on OOM. */
static char *tmpl_buf_take(tmpl_buf *b)
{
    if (b->data == NULL && tmpl_buf_append(b, "", 0) != 0)
        return NULL;
    char *s = b->data;
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

/* ---- value text ---------------------------------------------------------------------- */

/* Adds one unit in the last place to (or removes one from) a decimal digit string of
 * fixed length, carrying into the exponent. Returns 0 if it cannot go lower. */
static int tmpl_digits_step(char *d, size_t nd, int *exp10, int up)
{
    size_t i = nd;
    if (up) {
        while (i > 0 && d[i - 1] == '9')
            d[--i] = '0';
        if (i == 0) {
            d[0] = '1';
            (*exp10)++;
        } else {
            d[i - 1]++;
        }
        return 1;
    }
    while (i > 0 && d[i - 1] == '0')
        d[--i] = '9';
    if (i == 0)
        return 0;
    d[i - 1]--;
    if (d[0] == '0') {
        /* 1.000e5 - 0.001e5 = 9.999e4: one more digit of precision below a power of 10. */
        d[0] = '9';
        (*exp10)--;
    }
    return 1;
}

static int tmpl_digits_round_trip(const char *d, size_t nd, int exp10, double a)
{
    char text[48];
    size_t k = 0;
    text[k++] = d[0];
    text[k++] = '.';
    for (size_t i = 1; i < nd; i++)
        text[k++] = d[i];
    snprintf(text + k, sizeof text - k, "e%d", exp10);
    return strtod(text, NULL) == a;
}

/* Shortest decimal digits (d1 d2 ... dn, value 0.d1d2..dn * 10^(exp10+1)) that read
 * back as `a` (finite, > 0), the one closest to `a` among equals -- what Python's repr
 * prints. For each precision the correctly rounded candidate comes from printf; at a
 * power of two the rounding interval is lopsided, so the shortest round-tripping string
 * can be the neighbour one unit away, which is tried too. */
static size_t tmpl_shortest_digits(double a, char digits[20], int *exp10)
{
    char text[48];
    size_t nd = 0;
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(text, sizeof text, "%.*e", precision - 1, a);
        const char *p = text;
        nd = 0;
        for (; *p != '\0' && *p != 'e'; p++) {
            if (*p >= '0' && *p <= '9')
                digits[nd++] = *p;
        }
        *exp10 = (int)strtol(p + 1, NULL, 10);
        if (strtod(text, NULL) == a)
            break;
        for (int up = 0; up <= 1; up++) {
            char other[20];
            int other_exp = *exp10;
            memcpy(other, digits, nd);
            if (tmpl_digits_step(other, nd, &other_exp, up) &&
                tmpl_digits_round_trip(other, nd, other_exp, a)) {
                memcpy(digits, other, nd);
                *exp10 = other_exp;
                goto found;
            }
        }
    }
found:
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = '\0';
    return nd;
}

/* Python's float repr into out (>= 32 bytes); returns its length. */
static size_t tmpl_format_double(double v, char *out)
{
    char *o = out;
    if (isnan(v)) {
        strcpy(out, "nan");
        return 3;
    }
    if (signbit(v))
        *o++ = '-';
    double a = fabs(v);
    if (isinf(a)) {
        strcpy(o, "inf");
        return (size_t)(o - out) + 3;
    }
    if (a == 0.0) {
        strcpy(o, "0.0");
        return (size_t)(o - out) + 3;
    }
    char d[20];
    int exp10 = 0;
    size_t nd = tmpl_shortest_digits(a, d, &exp10);
    int decpt = exp10 + 1; /* digits before the decimal point */
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) {
            *o++ = '0';
            *o++ = '.';
            for (int i = 0; i < -decpt; i++)
                *o++ = '0';
            memcpy(o, d, nd);
            o += nd;
        } else if ((size_t)decpt < nd) {
            memcpy(o, d, (size_t)decpt);
            o += decpt;
            *o++ = '.';
            memcpy(o, d + decpt, nd - (size_t)decpt);
            o += nd - (size_t)decpt;
        } else {
            memcpy(o, d, nd);
            o += nd;
            for (int i = (int)nd; i < decpt; i++)
                *o++ = '0';
            *o++ = '.';
            *o++ = '0';
        }
        *o = '\0';
    } else {
        *o++ = d[0];
        if (nd > 1) {
            *o++ = '.';
            memcpy(o, d + 1, nd - 1);
            o += nd - 1;
        }
        o += sprintf(o, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
    }
    return (size_t)(o - out);
}

/* The text of v: strings are pointed to, everything else is written to small. */
static void tmpl_value_text(hps_value v, char small[TMPL_NUMBER_TEXT], const char **text,
                            size_t *len)
{
    switch (v.type) {
    case HPS_VALUE_STRING:
        *text = v.u.s != NULL ? v.u.s : "";
        *len = strlen(*text);
        return;
    case HPS_VALUE_INT:
        *len = (size_t)snprintf(small, TMPL_NUMBER_TEXT, "%" PRId64, v.u.i);
        break;
    case HPS_VALUE_FLOAT:
        *len = tmpl_format_double(v.u.f, small);
        break;
    case HPS_VALUE_BOOL:
        strcpy(small, v.u.b ? "True" : "False");
        *len = strlen(small);
        break;
    case HPS_VALUE_NONE:
    default:
        strcpy(small, "None");
        *len = 4;
        break;
    }
    *text = small;
}

int tmpl_format_value(hps_value v, char *buf, size_t size)
{
    char small[TMPL_NUMBER_TEXT];
    const char *text;
    size_t len;
    if (buf == NULL || size == 0)
        return -1;
    tmpl_value_text(v, small, &text, &len);
    if (len >= size || len > INT32_MAX) {
        buf[0] = '\0';
        return -1;
    }
    memcpy(buf, text, len + 1);
    return (int)len;
}

/* ---- JSON ------------------------------------------------------------------------------ */

static int tmpl_json_string(tmpl_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    int rc = tmpl_buf_append(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; rc == 0 && *p != '\0'; p++) {
        char esc[7];
        switch (*p) {
        case '"': rc = tmpl_buf_append(b, "\\\"", 2); break;
        case '\\': rc = tmpl_buf_append(b, "\\\\", 2); break;
        case '\n': rc = tmpl_buf_append(b, "\\n", 2); break;
        case '\r': rc = tmpl_buf_append(b, "\\r", 2); break;
        case '\t': rc = tmpl_buf_append(b, "\\t", 2); break;
        case '\b': rc = tmpl_buf_append(b, "\\b", 2); break;
        case '\f': rc = tmpl_buf_append(b, "\\f", 2); break;
        default:
            if (*p < 0x20) {
                memcpy(esc, "\\u00", 4);
                esc[4] = hex[*p >> 4];
                esc[5] = hex[*p & 15];
                rc = tmpl_buf_append(b, esc, 6);
            } else {
                rc = tmpl_buf_append(b, (const char *)p, 1);
            }
            break;
        }
    }
    if (rc == 0)
        rc = tmpl_buf_append(b, "\"", 1);
    return rc;
}

static int tmpl_json_value(tmpl_buf *b, hps_value v)
{
    char small[TMPL_NUMBER_TEXT];
    const char *text;
    size_t len;
    switch (v.type) {
    case HPS_VALUE_STRING:
        return tmpl_json_string(b, v.u.s != NULL ? v.u.s : "");
    case HPS_VALUE_BOOL:
        return tmpl_buf_puts(b, v.u.b ? "true" : "false");
    case HPS_VALUE_FLOAT:
        if (!isfinite(v.u.f))
            return tmpl_buf_puts(b, "null");
        break;
    case HPS_VALUE_INT:
        break;
    case HPS_VALUE_NONE:
    default:
        return tmpl_buf_puts(b, "null");
    }
    tmpl_value_text(v, small, &text, &len);
    return tmpl_buf_append(b, text, len);
}

/* ---- W&B nested parameters ------------------------------------------------------------ */
/* A nested parameter "optimizer.lr" is key "lr" of the object "optimizer"; the members of
 * one object are neighbours in the list (a W&B group is read depth first). */

/* A Python string literal as repr() writes it: single quotes unless the text holds a
 * single quote and no double one; backslashes, the quote, and control bytes escaped. */
static int tmpl_python_string(tmpl_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    char quote = strchr(s, '\'') != NULL && strchr(s, '"') == NULL ? '"' : '\'';
    int rc = tmpl_buf_append(b, &quote, 1);
    for (const unsigned char *p = (const unsigned char *)s; rc == 0 && *p != '\0'; p++) {
        char esc[4] = {'\\', (char)*p, 0, 0};
        if (*p == '\\' || *p == (unsigned char)quote)
            rc = tmpl_buf_append(b, esc, 2);
        else if (*p == '\n')
            rc = tmpl_buf_append(b, "\\n", 2);
        else if (*p == '\r')
            rc = tmpl_buf_append(b, "\\r", 2);
        else if (*p == '\t')
            rc = tmpl_buf_append(b, "\\t", 2);
        else if (*p < 0x20 || *p == 0x7f) {
            esc[1] = 'x';
            esc[2] = hex[*p >> 4];
            esc[3] = hex[*p & 15];
            rc = tmpl_buf_append(b, esc, 4);
        } else
            rc = tmpl_buf_append(b, (const char *)p, 1);
    }
    if (rc == 0)
        rc = tmpl_buf_append(b, &quote, 1);
    return rc;
}

static int tmpl_python_value(tmpl_buf *b, hps_value v)
{
    char small[TMPL_NUMBER_TEXT];
    const char *text;
    size_t len;
    if (v.type == HPS_VALUE_STRING)
        return tmpl_python_string(b, v.u.s != NULL ? v.u.s : "");
    tmpl_value_text(v, small, &text, &len);
    return tmpl_buf_append(b, text, len);
}

/* Length of the first name component of params[i] after `skip` bytes, and whether more
 * components follow (it is a member of a nested object). */
static size_t tmpl_component(const tmpl_param *p, size_t skip, int *deeper)
{
    const char *name = p->name != NULL ? p->name : "";
    const char *rest = name + skip;
    const char *dot = p->nested ? strchr(rest, '.') : NULL;
    *deeper = dot != NULL;
    return dot != NULL ? (size_t)(dot - rest) : strlen(rest);
}

/* Writes params[*i...] whose names share params[*i]'s first `skip` bytes as one object
 * (JSON, or Python's str() of a dict as W&B's agent passes a nested parameter), and
 * advances *i past them. skip 0: all the parameters, the top level. */
static int tmpl_object(tmpl_buf *b, const tmpl_param *params, size_t n, size_t *i, size_t skip,
                       int python)
{
    const char *prefix = params[*i].name != NULL ? params[*i].name : "";
    int rc = tmpl_buf_append(b, "{", 1);
    for (int first = 1; rc == 0 && *i < n; first = 0) {
        const tmpl_param *p = &params[*i];
        if (skip > 0 && (!p->nested || p->name == NULL || strncmp(p->name, prefix, skip) != 0))
            break;
        int deeper;
        size_t len = tmpl_component(p, skip, &deeper);
        char *key = strndup(p->name != NULL ? p->name + skip : "", len);
        if (key == NULL)
            return TMPL_OOM;
        rc = first ? 0 : tmpl_buf_append(b, ", ", 2);
        if (rc == 0)
            rc = python ? tmpl_python_string(b, key) : tmpl_json_string(b, key);
        free(key);
        if (rc == 0)
            rc = tmpl_buf_append(b, ": ", 2);
        if (rc == 0 && deeper) {
            rc = tmpl_object(b, params, n, i, skip + len + 1, python);
            continue;
        }
        if (rc == 0)
            rc = python ? tmpl_python_value(b, p->value) : tmpl_json_value(b, p->value);
        ++*i;
    }
    if (rc == 0)
        rc = tmpl_buf_append(b, "}", 1);
    return rc;
}

/* Appends the JSON object; 0, TMPL_FAIL (too long for the buffer's limit) or TMPL_OOM. */
static int tmpl_json_object(tmpl_buf *b, const tmpl_param *params, size_t n_params)
{
    size_t i = 0;
    if (n_params == 0)
        return tmpl_buf_append(b, "{}", 2);
    return tmpl_object(b, params, n_params, &i, 0, 0);
}

char *tmpl_params_json(const tmpl_param *params, size_t n_params)
{
    tmpl_buf b;
    tmpl_buf_init(&b, SIZE_MAX - 1);
    if (params == NULL)
        n_params = 0;
    if (tmpl_json_object(&b, params, n_params) != 0) {
        free(b.data);
        return NULL;
    }
    return tmpl_buf_take(&b);
}

/* ---- splitting ----------------------------------------------------------------------- */

void tmpl_free_words(char **words, size_t n)
{
    if (words == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(words[i]);
    free(words);
}

typedef struct tmpl_words {
    char **v;
    size_t n;
    size_t cap;
} tmpl_words;

/* Takes ownership of word (freeing it on failure); keeps v NULL-terminated. */
static int tmpl_words_push(tmpl_words *w, char *word)
{
    if (w->n + 1 >= w->cap) {
        size_t cap = w->cap > 0 ? w->cap : 8;
        while (w->n + 1 >= cap) {
            if (cap > SIZE_MAX / 2 / sizeof(char *)) {
                free(word);
                return TMPL_OOM;
            }
            cap *= 2;
        }
        char **grown = realloc(w->v, cap * sizeof(char *));
        if (grown == NULL) {
            free(word);
            return TMPL_OOM;
        }
        w->v = grown;
        w->cap = cap;
    }
    w->v[w->n++] = word;
    w->v[w->n] = NULL;
    return 0;
}

static int tmpl_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

int tmpl_split_words(const char *command, char ***words_out, size_t *n_out, char *err,
                     size_t errlen)
{
    tmpl_words w = {NULL, 0, 0};
    tmpl_buf word;
    int in_word = 0;
    int rc = 0;
    tmpl_buf_init(&word, SIZE_MAX - 1);
    *words_out = NULL;
    *n_out = 0;
    if (command == NULL) {
        tmpl_errf(err, errlen, "no command given");
        return TMPL_FAIL;
    }
    size_t i = 0;
    while (rc == 0 && command[i] != '\0') {
        char c = command[i];
        if (tmpl_is_space(c)) {
            if (in_word) {
                char *s = tmpl_buf_take(&word);
                rc = s != NULL ? tmpl_words_push(&w, s) : TMPL_OOM;
                in_word = 0;
            }
            i++;
        } else if (c == '\\') {
            if (command[i + 1] == '\n') {
                i += 2; /* line continuation */
            } else if (command[i + 1] == '\0') {
                /* A backslash ending the string stays literal, as in bash -c. */
                rc = tmpl_buf_append(&word, "\\", 1);
                in_word = 1;
                i++;
            } else {
                rc = tmpl_buf_append(&word, command + i + 1, 1);
                in_word = 1;
                i += 2;
            }
        } else if (c == '\'') {
            const char *close = strchr(command + i + 1, '\'');
            if (close == NULL) {
                tmpl_errf(err, errlen, "unterminated single quote starting at column %zu",
                          i + 1);
                rc = TMPL_FAIL;
                break;
            }
            rc = tmpl_buf_append(&word, command + i + 1, (size_t)(close - command) - i - 1);
            in_word = 1;
            i = (size_t)(close - command) + 1;
        } else if (c == '"') {
            size_t open = i;
            i++;
            in_word = 1;
            while (rc == 0 && command[i] != '\0' && command[i] != '"') {
                char n = command[i + 1];
                if (command[i] == '\\' && (n == '"' || n == '\\' || n == '$' || n == '`')) {
                    rc = tmpl_buf_append(&word, command + i + 1, 1);
                    i += 2;
                } else if (command[i] == '\\' && n == '\n') {
                    i += 2;
                } else {
                    rc = tmpl_buf_append(&word, command + i, 1);
                    i++;
                }
            }
            if (rc == 0 && command[i] != '"') {
                tmpl_errf(err, errlen, "unterminated double quote starting at column %zu",
                          open + 1);
                rc = TMPL_FAIL;
                break;
            }
            i++;
        } else {
            rc = tmpl_buf_append(&word, command + i, 1);
            in_word = 1;
            i++;
        }
    }
    if (rc == 0 && in_word) {
        char *s = tmpl_buf_take(&word);
        rc = s != NULL ? tmpl_words_push(&w, s) : TMPL_OOM;
    }
    free(word.data);
    if (rc != 0) {
        tmpl_free_words(w.v, w.n);
        return rc == TMPL_OOM ? tmpl_oom(err, errlen) : rc;
    }
    *words_out = w.v;
    *n_out = w.n;
    return 0;
}

/* ---- placeholder scanner ------------------------------------------------------------------ */

typedef enum tmpl_token_kind { TMPL_TEXT, TMPL_MACRO, TMPL_FIELD } tmpl_token_kind;

typedef struct tmpl_token {
    tmpl_token_kind kind;
    const char *text; /* literal text, or the name inside ${...} / {...} */
    size_t len;
    const char *fallback; /* a field's default, "{name:default}"; NULL: none */
    size_t fallback_len;
    size_t column;    /* 1-based byte column of the token in its word */
} tmpl_token;

/* Next token of s at *pos: 1 and the token, 0 at the end, TMPL_FAIL on bad braces. */
static int tmpl_next_token(const char *s, size_t *pos, tmpl_token *tok, char *err,
                           size_t errlen)
{
    size_t i = *pos;
    if (s[i] == '\0')
        return 0;
    tok->column = i + 1;
    tok->fallback = NULL;
    tok->fallback_len = 0;
    if (s[i] == '$' && s[i + 1] == '{' && s[i + 2] != '{') {
        const char *close = strchr(s + i + 2, '}');
        if (close == NULL) {
            tmpl_errf(err, errlen, "unterminated '${' at column %zu in '%.*s'", i + 1,
                      TMPL_ERR_QUOTE, s);
            return TMPL_FAIL;
        }
        tok->kind = TMPL_MACRO;
        tok->text = s + i + 2;
        tok->len = (size_t)(close - tok->text);
        *pos = (size_t)(close - s) + 1;
        return 1;
    }
    if (s[i] == '{' || s[i] == '}') {
        if (s[i + 1] == s[i]) {
            tok->kind = TMPL_TEXT;
            tok->text = s + i;
            tok->len = 1;
            *pos = i + 2;
            return 1;
        }
        if (s[i] == '}') {
            tmpl_errf(err, errlen,
                      "single '}' at column %zu in '%.*s' (write '}}' for a literal brace)",
                      i + 1, TMPL_ERR_QUOTE, s);
            return TMPL_FAIL;
        }
        const char *close = strchr(s + i + 1, '}');
        if (close == NULL) {
            tmpl_errf(err, errlen,
                      "unterminated '{' at column %zu in '%.*s' (write '{{' for a literal "
                      "brace)",
                      i + 1, TMPL_ERR_QUOTE, s);
            return TMPL_FAIL;
        }
        tok->kind = TMPL_FIELD;
        tok->text = s + i + 1;
        tok->len = (size_t)(close - tok->text);
        const char *colon = memchr(tok->text, ':', tok->len);
        if (colon != NULL) {
            tok->fallback = colon + 1;
            tok->fallback_len = (size_t)(close - tok->fallback);
            tok->len = (size_t)(colon - tok->text);
        }
        *pos = (size_t)(close - s) + 1;
        return 1;
    }
    size_t j = i;
    while (s[j] != '\0' && s[j] != '{' && s[j] != '}' &&
           !(s[j] == '$' && s[j + 1] == '{' && s[j + 2] != '{'))
        j++;
    if (j == i) /* "${{": the '$' is literal, the "{{" comes next */
        j = i + 1;
    tok->kind = TMPL_TEXT;
    tok->text = s + i;
    tok->len = j - i;
    *pos = j;
    return 1;
}

typedef enum tmpl_macro {
    TMPL_M_ENV,
    TMPL_M_INTERPRETER,
    TMPL_M_PROGRAM,
    TMPL_M_ARGS,
    TMPL_M_ARGS_NO_HYPHENS,
    TMPL_M_ARGS_JSON,
    TMPL_M_ARGS_JSON_FILE,
    TMPL_M_ENVVAR,
    TMPL_M_UNKNOWN
} tmpl_macro;

static int tmpl_token_is(const tmpl_token *tok, const char *name)
{
    size_t n = strlen(name);
    return tok->len == n && memcmp(tok->text, name, n) == 0;
}

static tmpl_macro tmpl_classify_macro(const tmpl_token *tok)
{
    static const struct {
        const char *name;
        tmpl_macro macro;
    } macros[] = {
        {"env", TMPL_M_ENV},
        {"interpreter", TMPL_M_INTERPRETER},
        {"program", TMPL_M_PROGRAM},
        {"args", TMPL_M_ARGS},
        {"args_no_hyphens", TMPL_M_ARGS_NO_HYPHENS},
        {"args_json", TMPL_M_ARGS_JSON},
        {"args_json_file", TMPL_M_ARGS_JSON_FILE},
    };
    for (size_t i = 0; i < sizeof macros / sizeof macros[0]; i++) {
        if (tmpl_token_is(tok, macros[i].name))
            return macros[i].macro;
    }
    if (tok->len > 7 && memcmp(tok->text, "envvar:", 7) == 0)
        return TMPL_M_ENVVAR;
    return TMPL_M_UNKNOWN;
}

static int tmpl_is_multiword(tmpl_macro m)
{
    return m == TMPL_M_ARGS || m == TMPL_M_ARGS_NO_HYPHENS;
}

static const tmpl_param *tmpl_find_param(const tmpl_context *ctx, const tmpl_token *tok)
{
    for (size_t i = 0; i < ctx->n_params; i++) {
        if (ctx->params[i].name != NULL && tmpl_token_is(tok, ctx->params[i].name))
            return &ctx->params[i];
    }
    return NULL;
}

static int tmpl_unknown_macro(const tmpl_token *tok, const char *word, char *err, size_t errlen)
{
    tmpl_errf(err, errlen,
              "unknown macro '${%.*s}' in '%.*s' (known: ${env}, ${interpreter}, ${program}, "
              "${args}, ${args_no_hyphens}, ${args_json}, ${args_json_file}, "
              "${envvar:NAME}; write '${{' for a literal '${')",
              (int)(tok->len < TMPL_ERR_QUOTE ? tok->len : TMPL_ERR_QUOTE), tok->text,
              TMPL_ERR_QUOTE, word);
    return TMPL_FAIL;
}

static int tmpl_unknown_field(const tmpl_token *tok, const char *word, char *err, size_t errlen)
{
    tmpl_errf(err, errlen,
              "unknown placeholder '{%.*s}' in '%.*s' (not a parameter, trial_number or "
              "study_name; write '{{' and '}}' for literal braces)",
              (int)(tok->len < TMPL_ERR_QUOTE ? tok->len : TMPL_ERR_QUOTE), tok->text,
              TMPL_ERR_QUOTE, word);
    return TMPL_FAIL;
}

/* The text one single-valued macro or field stands for. *owned receives a string the
 * caller frees (for ${args_json}); small holds numbers. */
static int tmpl_resolve(const tmpl_context *ctx, const tmpl_token *tok, const char *word,
                        char small[TMPL_NUMBER_TEXT], char **owned, const char **text,
                        size_t *len, char *err, size_t errlen)
{
    *owned = NULL;
    if (tok->kind == TMPL_FIELD) {
        const tmpl_param *p = tmpl_find_param(ctx, tok);
        if (p != NULL) {
            tmpl_value_text(p->value, small, text, len);
            return 0;
        }
        if (tmpl_token_is(tok, "trial_number")) {
            *len = (size_t)snprintf(small, TMPL_NUMBER_TEXT, "%" PRId64, ctx->trial_number);
            *text = small;
            return 0;
        }
        if (tmpl_token_is(tok, "study_name")) {
            if (ctx->study_name == NULL) {
                tmpl_errf(err, errlen, "{study_name} is used but no study name is set");
                return TMPL_FAIL;
            }
            *text = ctx->study_name;
            *len = strlen(*text);
            return 0;
        }
        if (tok->fallback != NULL) { /* a parameter this trial does not have */
            *text = tok->fallback;
            *len = tok->fallback_len;
            return 0;
        }
        return tmpl_unknown_field(tok, word, err, errlen);
    }

    const char *value = NULL;
    switch (tmpl_classify_macro(tok)) {
    case TMPL_M_ENV:
        value = "/usr/bin/env";
        break;
    case TMPL_M_INTERPRETER:
        value = ctx->interpreter;
        if (value == NULL) {
            tmpl_errf(err, errlen, "${interpreter} is used but no interpreter is set");
            return TMPL_FAIL;
        }
        break;
    case TMPL_M_PROGRAM:
        value = ctx->program;
        if (value == NULL) {
            tmpl_errf(err, errlen, "${program} is used but no program is set");
            return TMPL_FAIL;
        }
        break;
    case TMPL_M_ARGS_JSON_FILE:
        value = ctx->args_json_file;
        if (value == NULL) {
            tmpl_errf(err, errlen, "${args_json_file} is used but no JSON file is set");
            return TMPL_FAIL;
        }
        break;
    case TMPL_M_ARGS_JSON:
        *owned = tmpl_params_json(ctx->params, ctx->n_params);
        if (*owned == NULL)
            return tmpl_oom(err, errlen);
        value = *owned;
        break;
    case TMPL_M_ENVVAR: {
        char name[256];
        size_t n = tok->len - 7;
        if (n >= sizeof name) {
            tmpl_errf(err, errlen, "environment variable name in '${%.*s}' is too long",
                      TMPL_ERR_QUOTE, tok->text);
            return TMPL_FAIL;
        }
        memcpy(name, tok->text + 7, n);
        name[n] = '\0';
        value = getenv(name);
        if (value == NULL) {
            tmpl_errf(err, errlen,
                      "environment variable '%s' is not set (used by '${envvar:%s}')", name,
                      name);
            return TMPL_FAIL;
        }
        break;
    }
    case TMPL_M_ARGS:
    case TMPL_M_ARGS_NO_HYPHENS:
        tmpl_errf(err, errlen, "'${%.*s}' must be a word by itself (in '%.*s')", (int)tok->len,
                  tok->text, TMPL_ERR_QUOTE, word);
        return TMPL_FAIL;
    case TMPL_M_UNKNOWN:
    default:
        return tmpl_unknown_macro(tok, word, err, errlen);
    }
    *text = value;
    *len = strlen(value);
    return 0;
}

/* "--name=value" or "name=value" for ${args} / ${args_no_hyphens}, from params[*i]; a
 * W&B nested object is one word, "--optimizer={'lr': 0.01, 'name': 'adam'}", as W&B's
 * agent writes it (Python's str() of the dict). Advances *i past what it wrote. */
static int tmpl_arg_word(const tmpl_param *params, size_t n, size_t *i, int hyphens,
                         tmpl_buf *b)
{
    const tmpl_param *p = &params[*i];
    int deeper;
    size_t len = tmpl_component(p, 0, &deeper);
    int rc = hyphens ? tmpl_buf_append(b, "--", 2) : 0;
    if (rc == 0)
        rc = tmpl_buf_append(b, p->name != NULL ? p->name : "", len);
    if (rc == 0)
        rc = tmpl_buf_append(b, "=", 1);
    if (rc == 0 && deeper)
        return tmpl_object(b, params, n, i, len + 1, 1);
    char small[TMPL_NUMBER_TEXT];
    const char *text;
    tmpl_value_text(p->value, small, &text, &len);
    if (rc == 0)
        rc = tmpl_buf_append(b, text, len);
    ++*i;
    return rc;
}

static int tmpl_too_long(int rc, const char *word, char *err, size_t errlen)
{
    if (rc == TMPL_OOM)
        return tmpl_oom(err, errlen);
    tmpl_errf(err, errlen,
              "the expansion of '%.*s' is longer than %u bytes (the limit of one argument)",
              TMPL_ERR_QUOTE, word, TMPL_MAX_WORD);
    return TMPL_FAIL;
}

/* ---- argv ------------------------------------------------------------------------------ */

/* Expands one template word whose only token is ${args} or ${args_no_hyphens}. */
static int tmpl_push_args(const tmpl_context *ctx, int hyphens, tmpl_words *w,
                          const char *word, char *err, size_t errlen)
{
    for (size_t i = 0; i < ctx->n_params;) {
        tmpl_buf b;
        tmpl_buf_init(&b, TMPL_MAX_WORD);
        int rc = tmpl_arg_word(ctx->params, ctx->n_params, &i, hyphens, &b);
        if (rc != 0) {
            free(b.data);
            return tmpl_too_long(rc, word, err, errlen);
        }
        char *s = tmpl_buf_take(&b);
        rc = s != NULL ? tmpl_words_push(w, s) : TMPL_OOM;
        if (rc != 0)
            return tmpl_oom(err, errlen);
    }
    return 0;
}

static int tmpl_expand_word(const char *word, const tmpl_context *ctx, tmpl_words *w,
                            char *err, size_t errlen)
{
    tmpl_token tok;
    size_t pos = 0;
    int rc;

    /* ${args} alone in a word becomes several words. */
    rc = tmpl_next_token(word, &pos, &tok, err, errlen);
    if (rc == 1 && tok.kind == TMPL_MACRO && word[pos] == '\0' &&
        tmpl_is_multiword(tmpl_classify_macro(&tok)))
        return tmpl_push_args(ctx, tmpl_classify_macro(&tok) == TMPL_M_ARGS, w, word, err,
                              errlen);

    tmpl_buf b;
    tmpl_buf_init(&b, TMPL_MAX_WORD);
    pos = 0;
    while ((rc = tmpl_next_token(word, &pos, &tok, err, errlen)) == 1) {
        if (tok.kind == TMPL_TEXT) {
            rc = tmpl_buf_append(&b, tok.text, tok.len);
        } else {
            char small[TMPL_NUMBER_TEXT];
            char *owned = NULL;
            const char *text = NULL;
            size_t len = 0;
            rc = tmpl_resolve(ctx, &tok, word, small, &owned, &text, &len, err, errlen);
            if (rc != 0) {
                free(b.data);
                return rc;
            }
            rc = tmpl_buf_append(&b, text, len);
            free(owned);
        }
        if (rc != 0) {
            free(b.data);
            return tmpl_too_long(rc, word, err, errlen);
        }
    }
    if (rc != 0) {
        free(b.data);
        return rc;
    }
    char *s = tmpl_buf_take(&b);
    rc = s != NULL ? tmpl_words_push(w, s) : TMPL_OOM;
    return rc != 0 ? tmpl_oom(err, errlen) : 0;
}

int tmpl_expand_argv(char *const *tmpl, size_t n_tmpl, const tmpl_context *ctx,
                     char ***argv_out, size_t *argc_out, char *err, size_t errlen)
{
    tmpl_words w = {NULL, 0, 0};
    int rc = 0;
    *argv_out = NULL;
    *argc_out = 0;
    if ((tmpl == NULL && n_tmpl > 0) || ctx == NULL) {
        tmpl_errf(err, errlen, "no command template given");
        return TMPL_FAIL;
    }
    for (size_t i = 0; rc == 0 && i < n_tmpl; i++) {
        if (tmpl[i] == NULL) {
            tmpl_errf(err, errlen, "word %zu of the command template is missing", i);
            rc = TMPL_FAIL;
            break;
        }
        rc = tmpl_expand_word(tmpl[i], ctx, &w, err, errlen);
    }
    if (rc == 0 && w.n == 0) {
        tmpl_errf(err, errlen, "the command is empty");
        rc = TMPL_FAIL;
    }
    if (rc != 0) {
        tmpl_free_words(w.v, w.n);
        return rc;
    }
    *argv_out = w.v;
    *argc_out = w.n;
    return 0;
}

/* ---- shell string ----------------------------------------------------------------------- */

typedef enum tmpl_quote { TMPL_Q_NONE, TMPL_Q_SINGLE, TMPL_Q_DOUBLE } tmpl_quote;

typedef struct tmpl_shell_state {
    tmpl_quote quote;
    int escaped; /* the previous byte was a backslash that escapes this one */
} tmpl_shell_state;

static void tmpl_shell_track(tmpl_shell_state *st, const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (st->escaped) {
            st->escaped = 0;
            continue;
        }
        switch (st->quote) {
        case TMPL_Q_NONE:
            if (c == '\\')
                st->escaped = 1;
            else if (c == '\'')
                st->quote = TMPL_Q_SINGLE;
            else if (c == '"')
                st->quote = TMPL_Q_DOUBLE;
            break;
        case TMPL_Q_SINGLE:
            if (c == '\'')
                st->quote = TMPL_Q_NONE;
            break;
        case TMPL_Q_DOUBLE:
            if (c == '\\')
                st->escaped = 1;
            else if (c == '"')
                st->quote = TMPL_Q_NONE;
            break;
        }
    }
}

/* Appends text so the shell reads it back verbatim from where it lands. */
static int tmpl_shell_quote(tmpl_buf *b, tmpl_quote quote, const char *text, size_t len)
{
    int rc = 0;
    if (quote == TMPL_Q_NONE)
        rc = tmpl_buf_append(b, "'", 1);
    for (size_t i = 0; rc == 0 && i < len; i++) {
        char c = text[i];
        if (quote != TMPL_Q_DOUBLE && c == '\'')
            rc = tmpl_buf_append(b, "'\\''", 4);
        else if (quote == TMPL_Q_DOUBLE && (c == '"' || c == '\\' || c == '$' || c == '`'))
            rc = tmpl_buf_append(b, (char[2]){'\\', c}, 2);
        else
            rc = tmpl_buf_append(b, &c, 1);
    }
    if (rc == 0 && quote == TMPL_Q_NONE)
        rc = tmpl_buf_append(b, "'", 1);
    return rc;
}

static int tmpl_shell_args(const tmpl_context *ctx, int hyphens, tmpl_quote quote, tmpl_buf *b)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < ctx->n_params;) {
        tmpl_buf word;
        tmpl_buf_init(&word, TMPL_MAX_WORD);
        if (i > 0)
            rc = tmpl_buf_append(b, " ", 1);
        if (rc == 0)
            rc = tmpl_arg_word(ctx->params, ctx->n_params, &i, hyphens, &word);
        if (rc == 0)
            rc = tmpl_shell_quote(b, quote, word.data, word.len);
        free(word.data);
    }
    return rc;
}

int tmpl_expand_shell(const char *tmpl, const tmpl_context *ctx, char **out, char *err,
                      size_t errlen)
{
    tmpl_buf b;
    tmpl_shell_state st = {TMPL_Q_NONE, 0};
    tmpl_token tok;
    size_t pos = 0;
    int rc;
    *out = NULL;
    if (tmpl == NULL || ctx == NULL) {
        tmpl_errf(err, errlen, "no command template given");
        return TMPL_FAIL;
    }
    tmpl_buf_init(&b, TMPL_MAX_WORD);
    while ((rc = tmpl_next_token(tmpl, &pos, &tok, err, errlen)) == 1) {
        if (tok.kind == TMPL_TEXT) {
            tmpl_shell_track(&st, tok.text, tok.len);
            rc = tmpl_buf_append(&b, tok.text, tok.len);
        } else if (tok.kind == TMPL_MACRO && tmpl_is_multiword(tmpl_classify_macro(&tok))) {
            rc = tmpl_shell_args(ctx, tmpl_classify_macro(&tok) == TMPL_M_ARGS, st.quote, &b);
            st.escaped = 0;
        } else {
            char small[TMPL_NUMBER_TEXT];
            char *owned = NULL;
            const char *text = NULL;
            size_t len = 0;
            rc = tmpl_resolve(ctx, &tok, tmpl, small, &owned, &text, &len, err, errlen);
            if (rc != 0)
                goto out;
            rc = tmpl_shell_quote(&b, st.quote, text, len);
            st.escaped = 0;
            free(owned);
        }
        if (rc != 0) {
            rc = tmpl_too_long(rc, tmpl, err, errlen);
            goto out;
        }
    }
    if (rc != 0)
        goto out;
    *out = tmpl_buf_take(&b);
    if (*out == NULL)
        rc = tmpl_oom(err, errlen);
out:
    free(b.data);
    return rc;
}

/* ---- validation -------------------------------------------------------------------------- */

static int tmpl_validate_word(const char *word, int allow_args_inside,
                              const char *const *names, size_t n_names, char *err,
                              size_t errlen)
{
    tmpl_token tok;
    size_t pos = 0;
    int rc;
    int n_tokens = 0;
    while ((rc = tmpl_next_token(word, &pos, &tok, err, errlen)) == 1) {
        n_tokens++;
        if (tok.kind == TMPL_MACRO) {
            tmpl_macro m = tmpl_classify_macro(&tok);
            if (m == TMPL_M_UNKNOWN)
                return tmpl_unknown_macro(&tok, word, err, errlen);
            if (tmpl_is_multiword(m) && !allow_args_inside &&
                (n_tokens > 1 || word[pos] != '\0')) {
                tmpl_errf(err, errlen, "'${%.*s}' must be a word by itself (in '%.*s')",
                          (int)tok.len, tok.text, TMPL_ERR_QUOTE, word);
                return TMPL_FAIL;
            }
        } else if (tok.kind == TMPL_FIELD) {
            int known = tmpl_token_is(&tok, "trial_number") || tmpl_token_is(&tok, "study_name");
            for (size_t i = 0; !known && i < n_names; i++)
                known = names[i] != NULL && tmpl_token_is(&tok, names[i]);
            if (!known)
                return tmpl_unknown_field(&tok, word, err, errlen);
        }
    }
    return rc;
}

int tmpl_validate(char *const *tmpl, size_t n_tmpl, const char *const *param_names,
                  size_t n_names, char *err, size_t errlen)
{
    if ((tmpl == NULL && n_tmpl > 0) || (param_names == NULL && n_names > 0)) {
        tmpl_errf(err, errlen, "no command template given");
        return TMPL_FAIL;
    }
    if (n_tmpl == 0) {
        tmpl_errf(err, errlen, "the command is empty");
        return TMPL_FAIL;
    }
    for (size_t i = 0; i < n_tmpl; i++) {
        if (tmpl[i] == NULL) {
            tmpl_errf(err, errlen, "word %zu of the command template is missing", i);
            return TMPL_FAIL;
        }
        int rc = tmpl_validate_word(tmpl[i], 0, param_names, n_names, err, errlen);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int tmpl_validate_shell(const char *tmpl, const char *const *param_names, size_t n_names,
                        char *err, size_t errlen)
{
    if (tmpl == NULL || (param_names == NULL && n_names > 0)) {
        tmpl_errf(err, errlen, "no command template given");
        return TMPL_FAIL;
    }
    return tmpl_validate_word(tmpl, 1, param_names, n_names, err, errlen);
}

unsigned tmpl_field_use(char *const *tmpl, size_t n_tmpl, const char *name)
{
    unsigned use = 0;
    for (size_t i = 0; tmpl != NULL && i < n_tmpl; i++) {
        tmpl_token tok;
        size_t pos = 0;
        while (tmpl[i] != NULL && tmpl_next_token(tmpl[i], &pos, &tok, NULL, 0) == 1)
            if (tok.kind == TMPL_FIELD && tmpl_token_is(&tok, name))
                use |= tok.fallback != NULL ? TMPL_USE_DEFAULT : TMPL_USE_BARE;
    }
    return use;
}
