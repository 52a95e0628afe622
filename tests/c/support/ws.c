/*
 * A minimal WebSocket client (RFC 6455) for loopback servers: the opening handshake with the
 * Sec-WebSocket-Accept check (SHA-1 and base64 below), masked client frames, text and binary
 * messages (fragmented ones reassembled), ping/pong and the closing handshake. No extensions,
 * no TLS.
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

/* Messages larger than this are a protocol failure here. */
#define WS_MAX_MESSAGE (16u * 1024u * 1024u)

/* ---- SHA-1 (FIPS 180-4) and base64 ------------------------------------------------ */

static uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void sha1_block(uint32_t h[5], const uint8_t *p) {
    uint32_t w[80];
    for (int i = 0; i < 16; i++) {
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    }
    for (int i = 16; i < 80; i++) {
        w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) {
            f = (b & c) | (~b & d);
            k = 0x5A827999u;
        } else if (i < 40) {
            f = b ^ c ^ d;
            k = 0x6ED9EBA1u;
        } else if (i < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8F1BBCDCu;
        } else {
            f = b ^ c ^ d;
            k = 0xCA62C1D6u;
        }
        uint32_t t = rol(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = rol(b, 30);
        b = a;
        a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

void sha1_digest(const void *data, size_t len, uint8_t out[20]) {
    uint32_t h[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
    const uint8_t *p = data;
    size_t left = len;
    while (left >= 64) {
        sha1_block(h, p);
        p += 64;
        left -= 64;
    }
    uint8_t tail[128];
    memset(tail, 0, sizeof tail);
    if (left > 0) {
        memcpy(tail, p, left);
    }
    tail[left] = 0x80;
    size_t tail_len = left + 9 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8u;
    for (int i = 0; i < 8; i++) {
        tail[tail_len - 1 - i] = (uint8_t)(bits >> (8 * i));
    }
    sha1_block(h, tail);
    if (tail_len == 128) {
        sha1_block(h, tail + 64);
    }
    for (int i = 0; i < 5; i++) {
        out[4 * i] = (uint8_t)(h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(h[i] >> 8);
        out[4 * i + 3] = (uint8_t)h[i];
    }
}

void base64_encode(const uint8_t *data, size_t len, char *out) {
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    size_t i = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = alphabet[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)data[i] << 16;
        if (i + 1 < len) {
            v |= (uint32_t)data[i + 1] << 8;
        }
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
}

/* ---- randomness for keys and masks ------------------------------------------------- */

static uint64_t rng_state;

static uint64_t next_random(void) {
    if (rng_state == 0) {
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            if (read(fd, &rng_state, sizeof rng_state) != (ssize_t)sizeof rng_state) {
                rng_state = 0;
            }
            close(fd);
        }
        rng_state ^= now_ms() * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid();
        if (rng_state == 0) {
            rng_state = 0x853c49e6748fea9bull;
        }
    }
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

/* ---- the connection ---------------------------------------------------------------- */

struct ws_conn {
    int fd;
    int broken;
    int close_sent;
    buf in;           /* bytes received, not yet parsed */
    buf message;      /* the message being assembled / handed out */
    int message_opcode;
    buf frame;        /* scratch for outgoing frames */
    char *protocol;
    unsigned pongs;
};

int ws_fd(const ws_conn *c) { return c->fd; }
const char *ws_protocol(const ws_conn *c) { return c->protocol; }
unsigned ws_pongs_received(const ws_conn *c) { return c->pongs; }

/* Writes everything, waiting for the socket at most `timeout_ms` in total; 0 on success. */
static int write_all(int fd, const char *data, size_t len, uint64_t timeout_ms) {
    uint64_t deadline = now_ms() + timeout_ms;
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n > 0) {
            data += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            return -1;
        }
        uint64_t now = now_ms();
        if (now >= deadline) {
            return -1;
        }
        struct pollfd pfd = {fd, POLLOUT, 0};
        if (poll(&pfd, 1, (int)(deadline - now)) < 0 && errno != EINTR) {
            return -1;
        }
    }
    return 0;
}

static void fail(char *error, size_t size, const char *why) {
    if (error != NULL && size > 0) {
        snprintf(error, size, "%s", why);
    }
}

/* Whether a comma-separated header value contains `token` (case-insensitive). */
static int has_token(const char *value, const char *token) {
    size_t n = strlen(token);
    const char *p = value;
    while (p != NULL && *p != '\0') {
        while (*p == ' ' || *p == '\t' || *p == ',') {
            p++;
        }
        const char *end = p;
        while (*end != '\0' && *end != ',') {
            end++;
        }
        const char *trim = end;
        while (trim > p && (trim[-1] == ' ' || trim[-1] == '\t')) {
            trim--;
        }
        if ((size_t)(trim - p) == n && strncasecmp(p, token, n) == 0) {
            return 1;
        }
        p = end;
    }
    return 0;
}

/* Value of header `name` in the raw head [head, head_end) into `out`; 0 if found. */
static int head_header(const char *head, size_t head_len, const char *name, buf *out) {
    size_t n = strlen(name);
    const char *p = strstr(head, "\r\n");
    const char *end = head + head_len;
    while (p != NULL && p + 2 < end) {
        p += 2;
        const char *eol = strstr(p, "\r\n");
        if (eol == NULL || eol > end) {
            break;
        }
        if ((size_t)(eol - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;
            while (*v == ' ' || *v == '\t') {
                v++;
            }
            const char *ve = eol;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) {
                ve--;
            }
            buf_clear(out);
            buf_append(out, v, (size_t)(ve - v));
            return 0;
        }
        p = eol;
    }
    return -1;
}

ws_conn *ws_connect(const char *url, size_t url_len, const char *protocols, uint64_t timeout_ms,
                    char *error, size_t error_size) {
    int port;
    const char *path;
    size_t path_len;
    if (url == NULL || http_parse_url(url, url_len, &port, &path, &path_len) != 0) {
        fail(error, error_size, "not a ws:// or http:// URL of a loopback host");
        return NULL;
    }
    uint64_t deadline = now_ms() + timeout_ms;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        fail(error, error_size, "socket() failed");
        return NULL;
    }
    int flags = fcntl(fd, F_GETFL, 0);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        int ok = 0;
        if (errno == EINPROGRESS) {
            struct pollfd pfd = {fd, POLLOUT, 0};
            uint64_t now = now_ms();
            int wait = deadline > now ? (int)(deadline - now) : 0;
            if (poll(&pfd, 1, wait) == 1) {
                int so_error = 0;
                socklen_t n = sizeof so_error;
                ok = getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &n) == 0 && so_error == 0;
            }
        }
        if (!ok) {
            close(fd);
            fail(error, error_size, "connection failed");
            return NULL;
        }
    }

    uint8_t nonce[16];
    for (int i = 0; i < 16; i += 8) {
        uint64_t r = next_random();
        memcpy(nonce + i, &r, 8);
    }
    char key[32];
    base64_encode(nonce, sizeof nonce, key);

    buf request;
    buf_init(&request);
    buf_appends(&request, "GET ");
    buf_append(&request, path, path_len);
    buf_appendf(&request,
                " HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n",
                port, key);
    if (protocols != NULL) {
        buf_appendf(&request, "Sec-WebSocket-Protocol: %s\r\n", protocols);
    }
    buf_appends(&request, "\r\n");
    uint64_t now = now_ms();
    int sent = write_all(fd, request.data, request.len, deadline > now ? deadline - now : 0);
    buf_free(&request);
    if (sent != 0) {
        close(fd);
        fail(error, error_size, "could not send the handshake");
        return NULL;
    }

    ws_conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        close(fd);
        fail(error, error_size, "out of memory");
        return NULL;
    }
    c->fd = fd;
    buf_init(&c->in);
    buf_init(&c->message);
    buf_init(&c->frame);

    /* Read the answer head; bytes after it (early frames) stay in c->in. */
    size_t head_len = 0;
    while (head_len == 0) {
        for (size_t i = 0; c->in.len >= 4 && i + 3 < c->in.len; i++) {
            if (memcmp(c->in.data + i, "\r\n\r\n", 4) == 0) {
                head_len = i + 4;
                break;
            }
        }
        if (head_len != 0) {
            break;
        }
        if (c->in.len > 16384) {
            fail(error, error_size, "handshake answer too large");
            ws_free(c);
            return NULL;
        }
        now = now_ms();
        if (now >= deadline) {
            fail(error, error_size, "handshake timed out");
            ws_free(c);
            return NULL;
        }
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, (int)(deadline - now)) <= 0) {
            continue;
        }
        char chunk[4096];
        ssize_t n = recv(fd, chunk, sizeof chunk, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            fail(error, error_size, "connection closed during the handshake");
            ws_free(c);
            return NULL;
        }
        if (n > 0) {
            buf_append(&c->in, chunk, (size_t)n);
        }
    }

    buf value;
    buf_init(&value);
    const char *head = c->in.data;
    int status_ok = head_len >= 12 && strncmp(head, "HTTP/1.1 101", 12) == 0;
    if (!status_ok) {
        const char *eol = strstr(head, "\r\n");
        if (error != NULL && error_size > 0) {
            snprintf(error, error_size, "handshake refused: %.*s", (int)(eol - head), head);
        }
        buf_free(&value);
        ws_free(c);
        return NULL;
    }
    const char *problem = NULL;
    if (head_header(head, head_len, "Upgrade", &value) != 0 || !has_token(value.data, "websocket")) {
        problem = "no Upgrade: websocket in the answer";
    } else if (head_header(head, head_len, "Connection", &value) != 0 ||
               !has_token(value.data, "upgrade")) {
        problem = "no Connection: Upgrade in the answer";
    } else {
        static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
        char material[64];
        size_t key_len = strlen(key);
        memcpy(material, key, key_len);
        memcpy(material + key_len, guid, sizeof guid - 1);
        uint8_t digest[20];
        sha1_digest(material, key_len + sizeof guid - 1, digest);
        char expected[32];
        base64_encode(digest, sizeof digest, expected);
        if (head_header(head, head_len, "Sec-WebSocket-Accept", &value) != 0 ||
            strcmp(value.data, expected) != 0) {
            problem = "wrong Sec-WebSocket-Accept";
        } else if (head_header(head, head_len, "Sec-WebSocket-Protocol", &value) == 0) {
            if (protocols == NULL || !has_token(protocols, value.data)) {
                problem = "the server chose a subprotocol that was not offered";
            } else {
                c->protocol = malloc(value.len + 1);
                if (c->protocol == NULL) {
                    abort();
                }
                memcpy(c->protocol, value.data, value.len + 1);
            }
        }
    }
    buf_free(&value);
    if (problem != NULL) {
        fail(error, error_size, problem);
        ws_free(c);
        return NULL;
    }
    buf_consume(&c->in, head_len);
    return c;
}

/* Sends one frame with FIN set, masked as a client must; 0 on success. */
static int send_frame(ws_conn *c, int opcode, const void *data, size_t len, uint64_t timeout_ms) {
    if (c->broken) {
        return -1;
    }
    uint8_t head[14];
    size_t n = 0;
    head[n++] = (uint8_t)(0x80 | opcode);
    if (len < 126) {
        head[n++] = (uint8_t)(0x80 | len);
    } else if (len <= 0xFFFF) {
        head[n++] = 0x80 | 126;
        head[n++] = (uint8_t)(len >> 8);
        head[n++] = (uint8_t)len;
    } else {
        head[n++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--) {
            head[n++] = (uint8_t)((uint64_t)len >> (8 * i));
        }
    }
    uint32_t mask32 = (uint32_t)next_random();
    uint8_t mask[4];
    memcpy(mask, &mask32, 4);
    memcpy(head + n, mask, 4);
    n += 4;
    buf_clear(&c->frame);
    buf_append(&c->frame, head, n);
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++) {
        uint8_t b = (uint8_t)(p[i] ^ mask[i & 3]);
        buf_append(&c->frame, &b, 1);
    }
    if (write_all(c->fd, c->frame.data, c->frame.len, timeout_ms) != 0) {
        c->broken = 1;
        return -1;
    }
    return 0;
}

int ws_send(ws_conn *c, int binary, const void *data, size_t len, uint64_t timeout_ms) {
    if (c->close_sent) {
        return -1;
    }
    return send_frame(c, binary ? 2 : 1, data, len, timeout_ms);
}

int ws_send_close(ws_conn *c, uint16_t code, const char *reason, size_t reason_len) {
    if (c->close_sent) {
        return 0;
    }
    uint8_t payload[125];
    size_t n = 0;
    if (code != 0) {
        payload[n++] = (uint8_t)(code >> 8);
        payload[n++] = (uint8_t)code;
        if (reason_len > 123) {
            reason_len = 123;
        }
        if (reason_len > 0) {
            memcpy(payload + n, reason, reason_len);
        }
        n += reason_len;
    }
    c->close_sent = 1;
    return send_frame(c, 8, payload, n, 1000);
}

int ws_send_ping(ws_conn *c, const void *payload, size_t len) {
    if (len > 125) {
        return -1;
    }
    return send_frame(c, 9, payload, len, 1000);
}

/*
 * Parses one frame at the start of c->in. Returns 1 with the frame's fields, 0 when more
 * bytes are needed, -1 on a protocol violation.
 */
static int parse_frame(ws_conn *c, int *fin, int *opcode, const uint8_t **payload, size_t *len,
                       size_t *frame_len) {
    const uint8_t *p = (const uint8_t *)c->in.data;
    size_t have = c->in.len;
    if (have < 2) {
        return 0;
    }
    if (p[0] & 0x70) {
        return -1; /* reserved bits without an extension */
    }
    if (p[1] & 0x80) {
        return -1; /* a server must not mask */
    }
    *fin = (p[0] & 0x80) != 0;
    *opcode = p[0] & 0x0F;
    uint64_t length = p[1] & 0x7F;
    size_t offset = 2;
    if (length == 126) {
        if (have < 4) {
            return 0;
        }
        length = (uint64_t)p[2] << 8 | p[3];
        offset = 4;
    } else if (length == 127) {
        if (have < 10) {
            return 0;
        }
        length = 0;
        for (int i = 0; i < 8; i++) {
            length = length << 8 | p[2 + i];
        }
        offset = 10;
    }
    if (length > WS_MAX_MESSAGE) {
        return -1;
    }
    if (*opcode >= 8 && (length > 125 || !*fin)) {
        return -1; /* control frames are short and never fragmented */
    }
    if (have - offset < length) {
        return 0;
    }
    *payload = p + offset;
    *len = (size_t)length;
    *frame_len = offset + (size_t)length;
    return 1;
}

static ws_event_kind closed(ws_conn *c, ws_event *event, uint16_t code) {
    event->kind = WS_CLOSED;
    event->data = NULL;
    event->len = 0;
    event->close_code = code;
    c->broken = 1;
    return WS_CLOSED;
}

static ws_event_kind error_event(ws_conn *c, ws_event *event) {
    event->kind = WS_ERROR;
    event->data = NULL;
    event->len = 0;
    event->close_code = 1002;
    c->broken = 1;
    return WS_ERROR;
}

ws_event_kind ws_read(ws_conn *c, ws_event *event) {
    memset(event, 0, sizeof *event);
    if (c->broken) {
        return closed(c, event, 1006);
    }
    if (c->message_opcode == -1) { /* the previous message was handed out */
        buf_clear(&c->message);
        c->message_opcode = 0;
    }
    for (int reads = 0; reads < 64; reads++) {
        int fin, opcode;
        const uint8_t *payload;
        size_t len, frame_len;
        int parsed;
        while ((parsed = parse_frame(c, &fin, &opcode, &payload, &len, &frame_len)) == 1) {
            switch (opcode) {
            case 0: /* continuation */
            case 1:
            case 2:
                if ((opcode == 0) != (c->message_opcode != 0)) {
                    return error_event(c, event);
                }
                if (opcode != 0) {
                    c->message_opcode = opcode;
                }
                if (c->message.len + len > WS_MAX_MESSAGE) {
                    return error_event(c, event);
                }
                buf_append(&c->message, payload, len);
                buf_consume(&c->in, frame_len);
                if (fin) {
                    event->kind = c->message_opcode == 1 ? WS_TEXT : WS_BINARY;
                    event->data = c->message.data != NULL ? c->message.data : "";
                    event->len = c->message.len;
                    c->message_opcode = -1;
                    return event->kind;
                }
                break;
            case 8: { /* close: answer with the same code, then report */
                uint16_t code = 1005;
                if (len >= 2) {
                    code = (uint16_t)(payload[0] << 8 | payload[1]);
                } else if (len == 1) {
                    return error_event(c, event);
                }
                buf_consume(&c->in, frame_len);
                if (!c->close_sent) {
                    ws_send_close(c, code == 1005 ? 1000 : code, NULL, 0);
                }
                return closed(c, event, code);
            }
            case 9: { /* ping */
                uint8_t copy[125];
                memcpy(copy, payload, len);
                buf_consume(&c->in, frame_len);
                if (send_frame(c, 10, copy, len, 1000) != 0) {
                    return closed(c, event, 1006);
                }
                break;
            }
            case 10: /* pong */
                c->pongs++;
                buf_consume(&c->in, frame_len);
                break;
            default:
                return error_event(c, event);
            }
        }
        if (parsed < 0) {
            return error_event(c, event);
        }
        char chunk[16384];
        ssize_t n = recv(c->fd, chunk, sizeof chunk, 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                return WS_NONE;
            }
            return closed(c, event, 1006);
        }
        if (n == 0) {
            return closed(c, event, 1006);
        }
        buf_append(&c->in, chunk, (size_t)n);
    }
    return WS_NONE;
}

void ws_free(ws_conn *c) {
    if (c == NULL) {
        return;
    }
    if (c->fd >= 0) {
        close(c->fd);
    }
    buf_free(&c->in);
    buf_free(&c->message);
    buf_free(&c->frame);
    free(c->protocol);
    free(c);
}
