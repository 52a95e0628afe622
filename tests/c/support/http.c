/*
 * A small non-blocking HTTP/1.1 client for loopback servers: one request per connection
 * (Connection: close), answers delimited by Content-Length, chunked encoding or the end of
 * the connection, a deadline per request.
 */
#define _POSIX_C_SOURCE 200809L

#include "support.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* Answers larger than this are a protocol failure (tests never need more). */
#define HTTP_MAX_ANSWER (64u * 1024u * 1024u)

typedef enum phase { PHASE_CONNECTING, PHASE_SENDING, PHASE_RECEIVING, PHASE_SETTLED } phase;

struct http_conn {
    int fd;
    phase phase;
    http_state state;
    http_failure failure;
    uint64_t deadline;
    buf out;           /* request bytes not yet written */
    size_t out_offset; /* how much of `out` was written */
    buf in;            /* raw answer bytes */
    int head_method;   /* HEAD: no body */
    /* parsed answer */
    int status;
    size_t header_end; /* offset of the body in `in` */
    buf headers;       /* header lines, "name: value\n" with lowercase names */
    buf body;
    buf header_value;  /* scratch for http_response_header */
};

const char *http_failure_name(http_failure failure) {
    switch (failure) {
    case HTTP_FAIL_NONE: return "none";
    case HTTP_FAIL_URL: return "bad URL";
    case HTTP_FAIL_CONNECT: return "connect";
    case HTTP_FAIL_TIMEOUT: return "timeout";
    case HTTP_FAIL_IO: return "io";
    case HTTP_FAIL_PROTOCOL: return "protocol";
    case HTTP_FAIL_ABORTED: return "aborted";
    }
    return "unknown";
}

static int prefix(const char *s, size_t len, const char *p) {
    size_t n = strlen(p);
    return len >= n && strncasecmp(s, p, n) == 0;
}

int http_parse_url(const char *url, size_t url_len, int *port, const char **path,
                   size_t *path_len) {
    const char *p = url;
    const char *end = url + url_len;
    int default_port;
    if (prefix(p, url_len, "http://")) {
        p += 7;
        default_port = 80;
    } else if (prefix(p, url_len, "ws://")) {
        p += 5;
        default_port = 80;
    } else {
        return -1;
    }
    const char *host = p;
    while (p < end && *p != ':' && *p != '/' && *p != '?') {
        p++;
    }
    size_t host_len = (size_t)(p - host);
    if (!((host_len == 9 && memcmp(host, "127.0.0.1", 9) == 0) ||
          (host_len == 9 && strncasecmp(host, "localhost", 9) == 0))) {
        return -1;
    }
    long number = default_port;
    if (p < end && *p == ':') {
        p++;
        number = 0;
        const char *digits = p;
        while (p < end && *p >= '0' && *p <= '9' && number <= 65535) {
            number = number * 10 + (*p - '0');
            p++;
        }
        if (p == digits || number < 1 || number > 65535) {
            return -1;
        }
    }
    if (p < end && *p != '/' && *p != '?') {
        return -1;
    }
    *port = (int)number;
    if (p == end) {
        *path = "/";
        *path_len = 1;
    } else {
        *path = p;
        *path_len = (size_t)(end - p);
    }
    return 0;
}

static void settle(http_conn *c, http_state state, http_failure failure) {
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    c->phase = PHASE_SETTLED;
    c->state = state;
    c->failure = failure;
}

/* Opens a non-blocking socket towards 127.0.0.1:port; -1 on failure. */
static int open_socket(int port, int *in_progress) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    int flags = fcntl(fd, F_GETFL, 0);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *in_progress = 0;
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        if (errno != EINPROGRESS) {
            close(fd);
            return -1;
        }
        *in_progress = 1;
    }
    return fd;
}

http_conn *http_start(const char *method, const char *url, size_t url_len,
                      const http_header *headers, size_t header_count, const void *body,
                      size_t body_len, uint64_t timeout_ms) {
    http_conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return NULL;
    }
    c->fd = -1;
    c->state = HTTP_PENDING;
    c->deadline = now_ms() + timeout_ms;
    buf_init(&c->out);
    buf_init(&c->in);
    buf_init(&c->headers);
    buf_init(&c->body);
    buf_init(&c->header_value);
    c->head_method = strcmp(method, "HEAD") == 0;

    int port;
    const char *path;
    size_t path_len;
    if (url == NULL || http_parse_url(url, url_len, &port, &path, &path_len) != 0) {
        settle(c, HTTP_FAILED, HTTP_FAIL_URL);
        return c;
    }
    buf_appendf(&c->out, "%s ", method);
    buf_append(&c->out, path, path_len);
    buf_appendf(&c->out, " HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n", port);
    int has_length = 0;
    for (size_t i = 0; i < header_count; i++) {
        const http_header *h = &headers[i];
        if (h->name_len == 14 && strncasecmp(h->name, "Content-Length", 14) == 0) {
            has_length = 1;
        }
        if ((h->name_len == 4 && strncasecmp(h->name, "Host", 4) == 0) ||
            (h->name_len == 10 && strncasecmp(h->name, "Connection", 10) == 0)) {
            continue; /* ours */
        }
        buf_append(&c->out, h->name, h->name_len);
        buf_append(&c->out, ": ", 2);
        buf_append(&c->out, h->value, h->value_len);
        buf_append(&c->out, "\r\n", 2);
    }
    int wants_body = body_len > 0 || strcmp(method, "POST") == 0 ||
                     strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0;
    if (!has_length && wants_body) {
        buf_appendf(&c->out, "Content-Length: %zu\r\n", body_len);
    }
    buf_append(&c->out, "\r\n", 2);
    if (body_len > 0) {
        buf_append(&c->out, body, body_len);
    }

    int in_progress;
    c->fd = open_socket(port, &in_progress);
    if (c->fd < 0) {
        settle(c, HTTP_FAILED, HTTP_FAIL_CONNECT);
        return c;
    }
    c->phase = in_progress ? PHASE_CONNECTING : PHASE_SENDING;
    return c;
}

int http_fd(const http_conn *c) { return c->fd; }

short http_events(const http_conn *c) {
    switch (c->phase) {
    case PHASE_CONNECTING:
    case PHASE_SENDING:
        return POLLOUT;
    case PHASE_RECEIVING:
        return POLLIN;
    case PHASE_SETTLED:
        break;
    }
    return 0;
}

uint64_t http_deadline(const http_conn *c) { return c->deadline; }
http_state http_state_of(const http_conn *c) { return c->state; }
http_failure http_failure_of(const http_conn *c) { return c->failure; }

void http_abort(http_conn *c) {
    if (c->state == HTTP_PENDING) {
        settle(c, HTTP_FAILED, HTTP_FAIL_ABORTED);
    }
}

int http_status(const http_conn *c) { return c->state == HTTP_DONE ? c->status : 0; }

const char *http_body(const http_conn *c, size_t *len) {
    if (c->state != HTTP_DONE) {
        if (len != NULL) {
            *len = 0;
        }
        return NULL;
    }
    if (len != NULL) {
        *len = c->body.len;
    }
    return c->body.data != NULL ? c->body.data : "";
}

const char *http_response_header(const http_conn *c, const char *name) {
    http_conn *m = (http_conn *)c;
    size_t n = strlen(name);
    const char *p = c->headers.data;
    if (p == NULL) {
        return NULL;
    }
    while (*p != '\0') {
        const char *eol = strchr(p, '\n');
        if (eol == NULL) {
            break;
        }
        if ((size_t)(eol - p) > n + 1 && strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;
            while (*v == ' ' || *v == '\t') {
                v++;
            }
            buf_clear(&m->header_value);
            buf_append(&m->header_value, v, (size_t)(eol - v));
            return m->header_value.data;
        }
        p = eol + 1;
    }
    return NULL;
}

/* Finds "\r\n\r\n" in [data, data + len); returns the offset after it, or 0. */
static size_t find_head_end(const char *data, size_t len) {
    for (size_t i = 0; i + 3 < len; i++) {
        if (data[i] == '\r' && data[i + 1] == '\n' && data[i + 2] == '\r' && data[i + 3] == '\n') {
            return i + 4;
        }
    }
    return 0;
}

/* Parses the status line and headers once they are complete; -1 on a malformed head. */
static int parse_head(http_conn *c) {
    const char *p = c->in.data;
    const char *end = c->in.data + c->header_end - 2;
    if (c->header_end < 12 || strncmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ') {
        return -1;
    }
    if (p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9') {
        return -1;
    }
    c->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    const char *line = strstr(p, "\r\n") + 2;
    while (line < end) {
        const char *eol = strstr(line, "\r\n");
        if (eol == NULL || eol > end) {
            return -1;
        }
        const char *colon = memchr(line, ':', (size_t)(eol - line));
        if (colon == NULL) {
            return -1;
        }
        for (const char *q = line; q < colon; q++) {
            char ch = *q;
            if (ch >= 'A' && ch <= 'Z') {
                ch = (char)(ch - 'A' + 'a');
            }
            buf_append(&c->headers, &ch, 1);
        }
        buf_append(&c->headers, colon, (size_t)(eol - colon));
        buf_append(&c->headers, "\n", 1);
        line = eol + 2;
    }
    return 0;
}

/*
 * Decodes the chunked body in [data, data + len) into c->body. Returns 1 when complete, 0
 * when more bytes are needed, -1 when malformed.
 */
static int decode_chunked(http_conn *c, const char *data, size_t len) {
    size_t i = 0;
    buf_clear(&c->body);
    for (;;) {
        size_t size = 0;
        size_t start = i;
        while (i < len && data[i] != '\r' && data[i] != ';') {
            char ch = data[i];
            int digit;
            if (ch >= '0' && ch <= '9') {
                digit = ch - '0';
            } else if (ch >= 'a' && ch <= 'f') {
                digit = ch - 'a' + 10;
            } else if (ch >= 'A' && ch <= 'F') {
                digit = ch - 'A' + 10;
            } else {
                return -1;
            }
            if (size > HTTP_MAX_ANSWER) {
                return -1;
            }
            size = size * 16 + (size_t)digit;
            i++;
        }
        while (i < len && data[i] != '\r') { /* chunk extensions */
            i++;
        }
        if (i + 1 >= len) {
            return 0;
        }
        if (i == start || data[i + 1] != '\n') {
            return -1;
        }
        i += 2;
        if (size == 0) {
            /* trailers, then an empty line */
            for (;;) {
                if (i + 1 >= len) {
                    return 0;
                }
                if (data[i] == '\r' && data[i + 1] == '\n') {
                    return 1;
                }
                while (i + 1 < len && !(data[i] == '\r' && data[i + 1] == '\n')) {
                    i++;
                }
                if (i + 1 >= len) {
                    return 0;
                }
                i += 2;
            }
        }
        if (len - i < size + 2) {
            return 0;
        }
        buf_append(&c->body, data + i, size);
        if (data[i + size] != '\r' || data[i + size + 1] != '\n') {
            return -1;
        }
        i += size + 2;
    }
}

/* Whether the answer in `in` is complete (1), incomplete (0) or malformed (-1). */
static int answer_complete(http_conn *c, int eof) {
    if (c->header_end == 0) {
        c->header_end = find_head_end(c->in.data, c->in.len);
        if (c->header_end == 0) {
            return eof ? -1 : 0;
        }
        if (parse_head(c) != 0) {
            return -1;
        }
    }
    const char *data = c->in.data + c->header_end;
    size_t len = c->in.len - c->header_end;
    if (c->head_method || c->status == 204 || c->status == 304 || c->status / 100 == 1) {
        return 1;
    }
    const char *te = http_response_header(c, "transfer-encoding");
    if (te != NULL && strstr(te, "chunked") != NULL) {
        int done = decode_chunked(c, data, len);
        return done == 0 && eof ? -1 : done;
    }
    const char *cl = http_response_header(c, "content-length");
    if (cl != NULL) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (errno != 0 || end == cl || n > HTTP_MAX_ANSWER) {
            return -1;
        }
        if (len < n) {
            return eof ? -1 : 0;
        }
        buf_clear(&c->body);
        buf_append(&c->body, data, (size_t)n);
        return 1;
    }
    if (!eof) {
        return 0;
    }
    buf_clear(&c->body);
    buf_append(&c->body, data, len);
    return 1;
}

http_state http_step(http_conn *c) {
    if (c->state != HTTP_PENDING) {
        return c->state;
    }
    for (;;) {
        if (now_ms() >= c->deadline) {
            settle(c, HTTP_FAILED, HTTP_FAIL_TIMEOUT);
            return c->state;
        }
        switch (c->phase) {
        case PHASE_CONNECTING: {
            struct pollfd pfd = {c->fd, POLLOUT, 0};
            if (poll(&pfd, 1, 0) <= 0) {
                return c->state;
            }
            int error = 0;
            socklen_t n = sizeof error;
            if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &n) != 0 || error != 0) {
                settle(c, HTTP_FAILED, HTTP_FAIL_CONNECT);
                return c->state;
            }
            c->phase = PHASE_SENDING;
            break;
        }
        case PHASE_SENDING: {
            ssize_t n = send(c->fd, c->out.data + c->out_offset, c->out.len - c->out_offset,
                             MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                    return c->state;
                }
                settle(c, HTTP_FAILED, errno == ECONNREFUSED ? HTTP_FAIL_CONNECT : HTTP_FAIL_IO);
                return c->state;
            }
            c->out_offset += (size_t)n;
            if (c->out_offset == c->out.len) {
                c->phase = PHASE_RECEIVING;
            }
            break;
        }
        case PHASE_RECEIVING: {
            char chunk[16384];
            ssize_t n = recv(c->fd, chunk, sizeof chunk, 0);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                    return c->state;
                }
                settle(c, HTTP_FAILED, HTTP_FAIL_IO);
                return c->state;
            }
            if (n > 0) {
                buf_append(&c->in, chunk, (size_t)n);
                if (c->in.len > HTTP_MAX_ANSWER) {
                    settle(c, HTTP_FAILED, HTTP_FAIL_PROTOCOL);
                    return c->state;
                }
            }
            int eof = n == 0;
            int done = answer_complete(c, eof);
            if (done < 0) {
                /* A connection closed before any byte of an answer is an I/O failure. */
                settle(c, HTTP_FAILED, c->in.len == 0 ? HTTP_FAIL_IO : HTTP_FAIL_PROTOCOL);
                return c->state;
            }
            if (done > 0) {
                settle(c, HTTP_DONE, HTTP_FAIL_NONE);
                return c->state;
            }
            break;
        }
        case PHASE_SETTLED:
            return c->state;
        }
    }
}

void http_free(http_conn *c) {
    if (c == NULL) {
        return;
    }
    if (c->fd >= 0) {
        close(c->fd);
    }
    buf_free(&c->out);
    buf_free(&c->in);
    buf_free(&c->headers);
    buf_free(&c->body);
    buf_free(&c->header_value);
    free(c);
}

http_failure http_fetch(const char *method, const char *url, const char *body, size_t body_len,
                        uint64_t timeout_ms, http_response *out) {
    static const http_header json_type = {"Content-Type", 12, "application/json", 16};
    out->status = 0;
    out->body = NULL;
    out->body_len = 0;
    http_conn *c = http_start(method, url, strlen(url), body != NULL ? &json_type : NULL,
                              body != NULL ? 1 : 0, body, body_len, timeout_ms);
    if (c == NULL) {
        return HTTP_FAIL_IO;
    }
    while (http_step(c) == HTTP_PENDING) {
        uint64_t now = now_ms();
        int wait = c->deadline > now ? (int)(c->deadline - now) : 0;
        struct pollfd pfd = {c->fd, http_events(c), 0};
        if (poll(&pfd, 1, wait) < 0 && errno != EINTR) {
            http_abort(c);
        }
    }
    http_failure failure = c->failure;
    if (c->state == HTTP_DONE) {
        out->status = c->status;
        out->body_len = c->body.len;
        out->body = malloc(c->body.len + 1);
        if (out->body == NULL) {
            abort();
        }
        if (c->body.len > 0) {
            memcpy(out->body, c->body.data, c->body.len);
        }
        out->body[c->body.len] = '\0';
    }
    http_free(c);
    return failure;
}

void http_response_free(http_response *response) {
    free(response->body);
    response->body = NULL;
    response->body_len = 0;
}
