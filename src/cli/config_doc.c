/*
 * config_doc.c -- one YAML document as the config reader sees it: libyaml's events
 * built into a tree of cfg_node.
 *
 * libyaml parses (it has been fuzzed by OSS-Fuzz for years); the tree is built here
 * rather than with yaml_parser_load because the reader needs what libyaml's document
 * drops: an alias stays a node of its own, with the line where it is used and its
 * target (NULL for an unknown anchor, reported with the key path where it is read).
 * Building it here also puts the caps of an untrusted file in one place:
 *   - collections nest at most CFG_YAML_MAX_DEPTH deep;
 *   - an alias cannot point into the node that contains it, so the tree is acyclic
 *     (what an alias expands to is bounded by the reader's budgets, config_internal.h);
 *   - a key given twice in one mapping is an error, as YAML says (libyaml does not
 *     check it);
 *   - exactly one document.
 * Every node and text lives in the document's arena, freed at once by cfg_yaml_close.
 */
#include "config_internal.h"

#include "base/utf8.h"

#include <limits.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define CFG_YAML_MAX_DEPTH 64

/* ---- the arena -------------------------------------------------------------------- */

#define CFG_CHUNK_BYTES (64u * 1024u)

struct cfg_chunk {
    struct cfg_chunk *next;
    size_t size, used;
    max_align_t data[];
};

static void *doc_alloc(cfg_yaml *y, size_t size)
{
    size_t align = alignof(max_align_t);
    if (size > SIZE_MAX / 2)
        return NULL;
    size = (size + align - 1) / align * align;
    struct cfg_chunk *c = y->chunks;
    if (c == NULL || c->size - c->used < size) {
        size_t want = size > CFG_CHUNK_BYTES ? size : CFG_CHUNK_BYTES;
        c = malloc(sizeof *c + want);
        if (c == NULL)
            return NULL;
        c->size = want;
        c->used = 0;
        c->next = y->chunks;
        y->chunks = c;
    }
    void *p = (unsigned char *)c->data + c->used;
    c->used += size;
    return p;
}

/* A NUL-terminated copy of text[0..len) in the arena (texts may hold NULs: the reader
 * checks). */
static const char *doc_strndup(cfg_yaml *y, const void *text, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    char *copy = doc_alloc(y, len + 1);
    if (copy == NULL)
        return NULL;
    if (len > 0)
        memcpy(copy, text, len);
    copy[len] = '\0';
    return copy;
}

void cfg_yaml_close(cfg_yaml *y)
{
    struct cfg_chunk *c = y->chunks;
    while (c != NULL) {
        struct cfg_chunk *next = c->next;
        free(c);
        c = next;
    }
    memset(y, 0, sizeof *y);
}

/* ---- anchors: name -> the latest node that carries it (open addressing) ---------- */

typedef struct doc_anchor {
    const char *name;
    cfg_node *node;
} doc_anchor;

typedef struct doc_anchors {
    doc_anchor *slots;
    size_t size, used; /* size is 0 or a power of two */
} doc_anchors;

static size_t doc_hash(const char *name)
{
    size_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *c = (const unsigned char *)name; *c != '\0'; c++)
        h = (h ^ *c) * 16777619u;
    return h;
}

static doc_anchor *doc_anchor_slot(doc_anchors *a, const char *name)
{
    size_t mask = a->size - 1;
    for (size_t k = doc_hash(name) & mask;; k = (k + 1) & mask)
        if (a->slots[k].name == NULL || strcmp(a->slots[k].name, name) == 0)
            return &a->slots[k];
}

static cfg_node *doc_anchor_find(doc_anchors *a, const char *name)
{
    if (a->size == 0)
        return NULL;
    return doc_anchor_slot(a, name)->node;
}

/* 0, or -2 when out of memory. `name` lives in the arena. */
static int doc_anchor_set(doc_anchors *a, const char *name, cfg_node *node)
{
    if (2 * (a->used + 1) > a->size) {
        doc_anchors grown = {0};
        grown.size = a->size > 0 ? 2 * a->size : 64;
        grown.slots = calloc(grown.size, sizeof *grown.slots);
        if (grown.slots == NULL)
            return -2;
        for (size_t k = 0; k < a->size; k++)
            if (a->slots[k].name != NULL)
                *doc_anchor_slot(&grown, a->slots[k].name) = a->slots[k];
        grown.used = a->used;
        free(a->slots);
        *a = grown;
    }
    doc_anchor *slot = doc_anchor_slot(a, name);
    if (slot->name == NULL)
        a->used++;
    slot->name = name; /* a later anchor of the same name takes over, as YAML says */
    slot->node = node;
    return 0;
}

/* ---- building the tree ----------------------------------------------------------- */

typedef struct doc_builder {
    cfg_ctx *ctx;
    cfg_yaml *y;
    doc_anchors anchors;
    cfg_node *open[CFG_YAML_MAX_DEPTH]; /* the collections being read, outermost first */
    cfg_node *last[CFG_YAML_MAX_DEPTH]; /* their last item so far */
    int depth;
    cfg_node *root;
} doc_builder;

static int doc_line(yaml_mark_t mark)
{
    return mark.line < (size_t)INT_MAX ? (int)mark.line + 1 : INT_MAX;
}

static int doc_column(yaml_mark_t mark)
{
    return mark.column < (size_t)INT_MAX ? (int)mark.column + 1 : INT_MAX;
}

static void doc_attach(doc_builder *b, cfg_node *node)
{
    if (b->depth == 0) {
        b->root = node;
        return;
    }
    cfg_node *parent = b->open[b->depth - 1];
    if (b->last[b->depth - 1] == NULL)
        parent->first = node;
    else
        b->last[b->depth - 1]->next = node;
    b->last[b->depth - 1] = node;
    parent->count++;
}

/* A new node with the event's position, tag and anchor. */
static int doc_node(doc_builder *b, const yaml_event_t *event, cfg_node_kind kind,
                    const yaml_char_t *anchor, const yaml_char_t *tag, cfg_node **out)
{
    cfg_node *node = doc_alloc(b->y, sizeof *node);
    if (node == NULL)
        return cfg_nomem(b->ctx);
    memset(node, 0, sizeof *node);
    node->kind = kind;
    node->line = b->ctx->text_not_file ? 0 : doc_line(event->start_mark);
    node->column = doc_column(event->start_mark);
    if (tag != NULL) {
        node->tag = doc_strndup(b->y, tag, strlen((const char *)tag));
        if (node->tag == NULL)
            return cfg_nomem(b->ctx);
    }
    if (anchor != NULL) {
        const char *name = doc_strndup(b->y, anchor, strlen((const char *)anchor));
        if (name == NULL || doc_anchor_set(&b->anchors, name, node) != 0)
            return cfg_nomem(b->ctx);
    }
    doc_attach(b, node);
    *out = node;
    return 0;
}

static int doc_scalar(doc_builder *b, const yaml_event_t *event)
{
    cfg_node *node;
    int rc = doc_node(b, event, CFG_NODE_SCALAR, event->data.scalar.anchor,
                      event->data.scalar.tag, &node);
    if (rc != 0)
        return rc;
    static const char styles[] = {
        [YAML_SINGLE_QUOTED_SCALAR_STYLE] = '\'', [YAML_DOUBLE_QUOTED_SCALAR_STYLE] = '"',
        [YAML_LITERAL_SCALAR_STYLE] = '|', [YAML_FOLDED_SCALAR_STYLE] = '>',
    };
    yaml_scalar_style_t style = event->data.scalar.style;
    node->style = (size_t)style < sizeof styles ? styles[style] : 0;
    node->len = event->data.scalar.length;
    node->text = doc_strndup(b->y, event->data.scalar.value, node->len);
    return node->text != NULL ? 0 : cfg_nomem(b->ctx);
}

static int doc_alias(doc_builder *b, const yaml_event_t *event)
{
    cfg_node *node;
    int rc = doc_node(b, event, CFG_NODE_ALIAS, NULL, NULL, &node);
    if (rc != 0)
        return rc;
    const char *name = (const char *)event->data.alias.anchor;
    node->len = strlen(name);
    node->text = doc_strndup(b->y, name, node->len);
    if (node->text == NULL)
        return cfg_nomem(b->ctx);
    node->target = doc_anchor_find(&b->anchors, name);
    if (node->target != NULL && node->target->open) {
        node->target = NULL; /* it would make the tree a cycle */
        node->cyclic = 1;
    }
    return 0;
}

static int doc_start(doc_builder *b, const yaml_event_t *event, cfg_node_kind kind)
{
    if (b->depth == CFG_YAML_MAX_DEPTH)
        return cfg_fail(b->ctx, doc_line(event->start_mark), "YAML syntax error: nested more "
                        "than %d levels deep (column %d)", CFG_YAML_MAX_DEPTH,
                        doc_column(event->start_mark));
    const yaml_char_t *anchor = kind == CFG_NODE_MAPPING ? event->data.mapping_start.anchor
                                                         : event->data.sequence_start.anchor;
    const yaml_char_t *tag = kind == CFG_NODE_MAPPING ? event->data.mapping_start.tag
                                                      : event->data.sequence_start.tag;
    cfg_node *node;
    int rc = doc_node(b, event, kind, anchor, tag, &node);
    if (rc != 0)
        return rc;
    node->open = 1;
    b->open[b->depth] = node;
    b->last[b->depth] = NULL;
    b->depth++;
    return 0;
}

/* The text a mapping key compares by: a scalar's, or the scalar an alias names. */
static const cfg_node *doc_key_scalar(const cfg_node *key)
{
    if (key->kind == CFG_NODE_ALIAS)
        key = key->target;
    return key != NULL && key->kind == CFG_NODE_SCALAR ? key : NULL;
}

typedef struct doc_key {
    const cfg_node *text;  /* the scalar compared */
    const cfg_node *where; /* the key as written (an alias has its own line) */
    size_t index;
} doc_key;

static int doc_key_cmp(const void *pa, const void *pb)
{
    const doc_key *a = pa, *b = pb;
    if (a->text->len != b->text->len)
        return a->text->len < b->text->len ? -1 : 1;
    int c = memcmp(a->text->text, b->text->text, a->text->len);
    if (c != 0)
        return c;
    return a->index < b->index ? -1 : a->index > b->index;
}

static int doc_same_key(const doc_key *a, const doc_key *b)
{
    return a->text->len == b->text->len && memcmp(a->text->text, b->text->text, a->text->len) == 0;
}

/* A key given twice is an error at its second place (the earliest such place). Sorting
 * keeps a mapping of many keys cheap. */
static int doc_check_keys(doc_builder *b, const cfg_node *map)
{
    size_t n_pairs = map->count / 2;
    if (n_pairs < 2)
        return 0;
    doc_key *keys = malloc(n_pairs * sizeof *keys);
    if (keys == NULL)
        return cfg_nomem(b->ctx);
    size_t n = 0, index = 0;
    for (const cfg_node *k = map->first; k != NULL && k->next != NULL; k = k->next->next) {
        const cfg_node *text = doc_key_scalar(k);
        if (text != NULL)
            keys[n++] = (doc_key){text, k, index};
        index++;
    }
    qsort(keys, n, sizeof *keys, doc_key_cmp);
    const doc_key *first = NULL, *again = NULL;
    for (size_t k = 1; k < n; k++) {
        /* equal keys sort together in file order: the second of a run is the repetition */
        int repeated = doc_same_key(&keys[k - 1], &keys[k]) &&
                       (k == 1 || !doc_same_key(&keys[k - 2], &keys[k]));
        if (repeated && (again == NULL || keys[k].index < again->index)) {
            first = &keys[k - 1];
            again = &keys[k];
        }
    }
    int rc = 0;
    if (again != NULL) {
        size_t len = again->text->len;
        /* --set text has no lines (all of it is one override): the first is at a column */
        int first_line = first->where->line;
        rc = cfg_fail(b->ctx, again->where->line, "YAML syntax error: duplicate key '%.*s%s' "
                      "(column %d; first given at %s %d)", (int)(len > 64 ? 64 : len),
                      again->text->text, len > 64 ? "..." : "", again->where->column,
                      first_line > 0 ? "line" : "column",
                      first_line > 0 ? first_line : first->where->column);
    }
    free(keys);
    return rc;
}

static int doc_end(doc_builder *b)
{
    cfg_node *node = b->open[--b->depth];
    node->open = 0;
    /* A collection's line is its first item's (for `key: {a: 1}` the key's line); an
     * empty one keeps where it starts. */
    if (node->first != NULL)
        node->line = node->first->line;
    if (node->kind == CFG_NODE_MAPPING)
        return doc_check_keys(b, node);
    return 0;
}

static int doc_event(doc_builder *b, const yaml_event_t *event)
{
    switch (event->type) {
    case YAML_SCALAR_EVENT:
        return doc_scalar(b, event);
    case YAML_ALIAS_EVENT:
        return doc_alias(b, event);
    case YAML_SEQUENCE_START_EVENT:
        return doc_start(b, event, CFG_NODE_SEQUENCE);
    case YAML_MAPPING_START_EVENT:
        return doc_start(b, event, CFG_NODE_MAPPING);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return doc_end(b);
    default:
        return 0;
    }
}

/* ---- the stream ------------------------------------------------------------------- */

/* The byte of text at a mark, or -1: libyaml counts characters, not bytes (and lines
 * the way YAML 1.1 does, so a lone CR may land elsewhere: only a hint depends on it). */
static int doc_byte_at(const char *text, size_t len, yaml_mark_t mark)
{
    size_t k = 0;
    for (size_t line = 0; line < mark.line && k < len; k++)
        line += text[k] == '\n';
    for (size_t column = 0; k < len; k++) {
        if (((unsigned char)text[k] & 0xc0) == 0x80)
            continue; /* a UTF-8 continuation byte */
        if (column++ == mark.column)
            return (unsigned char)text[k];
    }
    return -1;
}

/* libyaml's error as "LINE: YAML syntax error: problem (column C)". Where the file ends
 * inside something (a quoted string, say) the line is where that something starts; a
 * context on an earlier line is named. */
static int doc_syntax_error(cfg_ctx *ctx, const yaml_parser_t *parser, const char *text,
                            size_t len)
{
    if (parser->error == YAML_MEMORY_ERROR)
        return cfg_nomem(ctx);
    const char *problem = parser->problem != NULL ? parser->problem : "invalid YAML";
    if (parser->error == YAML_READER_ERROR) {
        size_t at = parser->problem_offset < len ? parser->problem_offset : len;
        int line = 1;
        const char *line_start = text;
        for (const char *c = text; c < text + at; c++) {
            if (*c == '\n') {
                line++;
                line_start = c + 1;
            }
        }
        if (parser->problem_value >= 0)
            return cfg_fail(ctx, line, "YAML syntax error: %s (character U+%04X, column %d)",
                            problem, (unsigned)parser->problem_value,
                            (int)(text + at - line_start) + 1);
        return cfg_fail(ctx, line, "YAML syntax error: %s", problem);
    }
    yaml_mark_t at = parser->problem_mark, from = parser->context_mark;
    const char *context = parser->context;
    if (context != NULL && strstr(problem, "end of stream") != NULL)
        return cfg_fail(ctx, doc_line(from), "YAML syntax error: %s %s (column %d)", problem,
                        context, doc_column(from));
    if (context != NULL && from.line < at.line)
        return cfg_fail(ctx, doc_line(at), "YAML syntax error: %s (column %d) %s that starts at "
                        "line %d", problem, doc_column(at), context, doc_line(from));
    /* libyaml's word for a tab where indentation goes is a token that cannot start */
    if (strcmp(problem, "found character that cannot start any token") == 0 &&
        doc_byte_at(text, len, at) == '\t')
        problem = "tab character may not be used as indentation";
    return cfg_fail(ctx, doc_line(at), "YAML syntax error: %s (column %d)", problem,
                    doc_column(at));
}

/* The line (1-based) of the first byte of text[0..len) that is not UTF-8, 0 when all
 * is: a message naming the encoding says more than a parser's complaint about a byte. */
static int cfg_invalid_utf8_line(const char *text, size_t len)
{
    size_t at = hps_utf8_invalid_at(text, len);
    if (at == len)
        return 0;
    int line = 1;
    for (const char *p = text; (p = memchr(p, '\n', (size_t)(text + at - p))) != NULL; p++)
        line++;
    return line;
}

int cfg_yaml_open(cfg_ctx *ctx, const char *text, size_t len, cfg_yaml *y)
{
    memset(y, 0, sizeof *y);
    int bad_line = cfg_invalid_utf8_line(text, len);
    if (bad_line > 0)
        return cfg_fail(ctx, bad_line, "not UTF-8 text (YAML must be UTF-8); is it a text file?");
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return cfg_nomem(ctx);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    doc_builder b;
    memset(&b, 0, sizeof b);
    b.ctx = ctx;
    b.y = y;
    int rc = 0, documents = 0, done = 0;
    while (rc == 0 && !done) {
        yaml_event_t event;
        if (!yaml_parser_parse(&parser, &event)) {
            rc = doc_syntax_error(ctx, &parser, text, len);
            break;
        }
        if (event.type == YAML_DOCUMENT_START_EVENT && ++documents == 2) {
            y->root = b.root; /* the second document is read only to be refused */
            b.root = NULL;
        } else if (event.type == YAML_DOCUMENT_END_EVENT && documents == 2) {
            /* read to its end, so that its syntax errors come first */
            rc = cfg_fail(ctx, b.root != NULL ? b.root->line : 0, "only one YAML document is "
                          "allowed; remove the second '---' section");
        } else if (event.type == YAML_STREAM_END_EVENT) {
            done = 1;
        } else {
            rc = doc_event(&b, &event);
        }
        yaml_event_delete(&event);
    }
    if (documents < 2)
        y->root = b.root;
    yaml_parser_delete(&parser);
    free(b.anchors.slots);
    return rc;
}
