/* Checks, clock, buffers and the JSON reader of the test support library. */
#define _POSIX_C_SOURCE 200809L

#include "support.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int check_failures = 0;

int check_report(const char *program) {
    if (check_failures != 0) {
        fprintf(stderr, "%s: %d check(s) failed\n", program, check_failures);
        return 1;
    }
    printf("%s: all checks passed\n", program);
    return 0;
}

uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void sleep_ms(uint64_t ms) {
    struct timespec ts;
    ts.tv_sec = (time_t)(ms / 1000u);
    ts.tv_nsec = (long)(ms % 1000u) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- buffers ------------------------------------------------------------------------ */

void buf_init(buf *b) {
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void buf_free(buf *b) {
    free(b->data);
    buf_init(b);
}

void buf_clear(buf *b) {
    b->len = 0;
    if (b->data != NULL) {
        b->data[0] = '\0';
    }
}

static void buf_reserve(buf *b, size_t extra) {
    if (b->len + extra + 1 <= b->cap) {
        return;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) {
        cap *= 2;
    }
    char *data = realloc(b->data, cap);
    if (data == NULL) {
        fprintf(stderr, "out of memory\n");
        abort();
    }
    b->data = data;
    b->cap = cap;
}

void buf_append(buf *b, const void *data, size_t len) {
    buf_reserve(b, len);
    if (len > 0) {
        memcpy(b->data + b->len, data, len);
    }
    b->len += len;
    b->data[b->len] = '\0';
}

void buf_appends(buf *b, const char *text) { buf_append(b, text, strlen(text)); }

void buf_appendf(buf *b, const char *format, ...) {
    va_list args;
    va_start(args, format);
    va_list again;
    va_copy(again, args);
    int n = vsnprintf(NULL, 0, format, args);
    va_end(args);
    if (n < 0) {
        va_end(again);
        return;
    }
    buf_reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, format, again);
    va_end(again);
    b->len += (size_t)n;
}

void buf_append_json_string(buf *b, const char *text, size_t len) {
    static const char hex[] = "0123456789abcdef";
    buf_append(b, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '"' || c == '\\') {
            char escaped[2] = {'\\', (char)c};
            buf_append(b, escaped, 2);
        } else if (c == '\n') {
            buf_append(b, "\\n", 2);
        } else if (c < 0x20) {
            char escaped[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            buf_append(b, escaped, 6);
        } else {
            buf_append(b, &text[i], 1);
        }
    }
    buf_append(b, "\"", 1);
}

void buf_consume(buf *b, size_t n) {
    if (n >= b->len) {
        buf_clear(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

/* ---- JSON --------------------------------------------------------------------------- */

typedef struct parser {
    const char *p;
    const char *end;
    int depth;
} parser;

static void skip_space(parser *ps) {
    while (ps->p < ps->end &&
           (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')) {
        ps->p++;
    }
}

static json *json_new(json_type type) {
    json *v = calloc(1, sizeof *v);
    if (v == NULL) {
        fprintf(stderr, "out of memory\n");
        abort();
    }
    v->type = type;
    return v;
}

static void append_utf8(buf *b, uint32_t cp) {
    char out[4];
    size_t n;
    if (cp < 0x80) {
        out[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        out[0] = (char)(0xF0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    buf_append(b, out, n);
}

static int parse_hex4(parser *ps, uint32_t *out) {
    if (ps->end - ps->p < 4) {
        return -1;
    }
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = ps->p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') {
            v |= (uint32_t)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            v |= (uint32_t)(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            v |= (uint32_t)(c - 'A' + 10);
        } else {
            return -1;
        }
    }
    ps->p += 4;
    *out = v;
    return 0;
}

/* Parses a string literal at ps->p (the opening quote) into `out`. */
static int parse_string(parser *ps, buf *out) {
    ps->p++; /* opening quote */
    while (ps->p < ps->end) {
        unsigned char c = (unsigned char)*ps->p;
        if (c == '"') {
            ps->p++;
            if (out->data == NULL) {
                buf_append(out, "", 0);
            }
            return 0;
        }
        if (c < 0x20) {
            return -1;
        }
        if (c != '\\') {
            buf_append(out, ps->p, 1);
            ps->p++;
            continue;
        }
        ps->p++;
        if (ps->p >= ps->end) {
            return -1;
        }
        char e = *ps->p++;
        switch (e) {
        case '"': buf_append(out, "\"", 1); break;
        case '\\': buf_append(out, "\\", 1); break;
        case '/': buf_append(out, "/", 1); break;
        case 'b': buf_append(out, "\b", 1); break;
        case 'f': buf_append(out, "\f", 1); break;
        case 'n': buf_append(out, "\n", 1); break;
        case 'r': buf_append(out, "\r", 1); break;
        case 't': buf_append(out, "\t", 1); break;
        case 'u': {
            uint32_t cp;
            if (parse_hex4(ps, &cp) != 0) {
                return -1;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t low;
                if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u') {
                    return -1;
                }
                ps->p += 2;
                if (parse_hex4(ps, &low) != 0 || low < 0xDC00 || low > 0xDFFF) {
                    return -1;
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return -1;
            }
            append_utf8(out, cp);
            break;
        }
        default:
            return -1;
        }
    }
    return -1;
}

static json *parse_value(parser *ps);

static int parse_literal(parser *ps, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) {
        return -1;
    }
    ps->p += n;
    return 0;
}

static json *parse_number(parser *ps) {
    const char *start = ps->p;
    if (ps->p < ps->end && *ps->p == '-') {
        ps->p++;
    }
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') {
        return NULL;
    }
    if (*ps->p == '0') {
        ps->p++;
    } else {
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
            ps->p++;
        }
    }
    if (ps->p < ps->end && *ps->p == '.') {
        ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') {
            return NULL;
        }
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
            ps->p++;
        }
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-')) {
            ps->p++;
        }
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') {
            return NULL;
        }
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
            ps->p++;
        }
    }
    json *v = json_new(JSON_NUMBER);
    size_t n = (size_t)(ps->p - start);
    v->text = malloc(n + 1);
    if (v->text == NULL) {
        abort();
    }
    memcpy(v->text, start, n);
    v->text[n] = '\0';
    v->text_len = n;
    return v;
}

static json *parse_container(parser *ps, int object) {
    json *v = json_new(object ? JSON_OBJECT : JSON_ARRAY);
    json **tail = &v->child;
    char close = object ? '}' : ']';
    ps->p++;
    skip_space(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return v;
    }
    for (;;) {
        buf key;
        buf_init(&key);
        if (object) {
            skip_space(ps);
            if (ps->p >= ps->end || *ps->p != '"' || parse_string(ps, &key) != 0) {
                buf_free(&key);
                goto fail;
            }
            skip_space(ps);
            if (ps->p >= ps->end || *ps->p != ':') {
                buf_free(&key);
                goto fail;
            }
            ps->p++;
        }
        json *item = parse_value(ps);
        if (item == NULL) {
            buf_free(&key);
            goto fail;
        }
        item->key = key.data;
        item->key_len = key.len;
        *tail = item;
        tail = &item->next;
        v->count++;
        skip_space(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            return v;
        }
        goto fail;
    }
fail:
    json_free(v);
    return NULL;
}

static json *parse_value(parser *ps) {
    skip_space(ps);
    if (ps->p >= ps->end) {
        return NULL;
    }
    switch (*ps->p) {
    case '{':
    case '[': {
        if (++ps->depth > 64) {
            return NULL;
        }
        json *v = parse_container(ps, *ps->p == '{');
        ps->depth--;
        return v;
    }
    case '"': {
        buf text;
        buf_init(&text);
        if (parse_string(ps, &text) != 0) {
            buf_free(&text);
            return NULL;
        }
        json *v = json_new(JSON_STRING);
        v->text = text.data;
        v->text_len = text.len;
        return v;
    }
    case 't':
    case 'f': {
        int value = *ps->p == 't';
        if (parse_literal(ps, value ? "true" : "false") != 0) {
            return NULL;
        }
        json *v = json_new(JSON_BOOL);
        v->boolean = value;
        return v;
    }
    case 'n':
        if (parse_literal(ps, "null") != 0) {
            return NULL;
        }
        return json_new(JSON_NULL);
    default:
        return parse_number(ps);
    }
}

json *json_parse(const char *text, size_t len) {
    if (text == NULL) {
        return NULL;
    }
    parser ps = {text, text + len, 0};
    json *v = parse_value(&ps);
    if (v == NULL) {
        return NULL;
    }
    skip_space(&ps);
    if (ps.p != ps.end) {
        json_free(v);
        return NULL;
    }
    return v;
}

void json_free(json *value) {
    while (value != NULL) {
        json *next = value->next;
        json_free(value->child);
        free(value->key);
        free(value->text);
        free(value);
        value = next;
    }
}

const json *json_get(const json *object, const char *key) {
    if (object == NULL || object->type != JSON_OBJECT) {
        return NULL;
    }
    size_t n = strlen(key);
    for (const json *m = object->child; m != NULL; m = m->next) {
        if (m->key_len == n && memcmp(m->key, key, n) == 0) {
            return m;
        }
    }
    return NULL;
}

const json *json_at(const json *array, size_t index) {
    if (array == NULL || array->type != JSON_ARRAY) {
        return NULL;
    }
    const json *e = array->child;
    while (e != NULL && index > 0) {
        e = e->next;
        index--;
    }
    return e;
}

const json *json_path(const json *value, const char *path) {
    char step[128];
    while (value != NULL && *path != '\0') {
        size_t n = strcspn(path, ".");
        if (n >= sizeof step) {
            return NULL;
        }
        memcpy(step, path, n);
        step[n] = '\0';
        path += n;
        if (*path == '.') {
            path++;
        }
        if (value->type == JSON_ARRAY) {
            char *end;
            unsigned long index = strtoul(step, &end, 10);
            if (*end != '\0' || end == step) {
                return NULL;
            }
            value = json_at(value, index);
        } else {
            value = json_get(value, step);
        }
    }
    return value;
}

const char *json_str(const json *value) {
    return value != NULL && value->type == JSON_STRING ? value->text : NULL;
}

int json_str_eq(const json *value, const char *expected) {
    const char *s = json_str(value);
    return s != NULL && strlen(expected) == value->text_len && strcmp(s, expected) == 0;
}

static int integer_literal(const json *value) {
    return value != NULL && value->type == JSON_NUMBER &&
           strpbrk(value->text, ".eE") == NULL;
}

int json_i64(const json *value, int64_t *out) {
    if (!integer_literal(value)) {
        return -1;
    }
    errno = 0;
    long long v = strtoll(value->text, NULL, 10);
    if (errno != 0) {
        return -1;
    }
    *out = (int64_t)v;
    return 0;
}

int json_u64(const json *value, uint64_t *out) {
    if (!integer_literal(value) || value->text[0] == '-') {
        return -1;
    }
    errno = 0;
    unsigned long long v = strtoull(value->text, NULL, 10);
    if (errno != 0) {
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

int json_true(const json *value) {
    return value != NULL && value->type == JSON_BOOL && value->boolean;
}
