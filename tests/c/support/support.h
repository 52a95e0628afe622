/*
 * Loopback-only helpers for the C test programs and examples of libbotwire (C99 + POSIX):
 *
 * - checks that count failures (CHECK, CHECK_MSG) and a monotonic clock;
 * - a growable byte buffer and JSON string escaping;
 * - a small JSON reader (parse to a tree, look up members and elements);
 * - a non-blocking HTTP/1.1 client (one request per connection, Content-Length, chunked or
 *   close-delimited answers, a deadline per request) and its blocking form;
 * - a WebSocket client (RFC 6455: handshake with Sec-WebSocket-Accept verified, masked
 *   client frames, text, ping/pong, close, fragmented messages);
 * - the botwire-sim launcher (started on a free port, killed at the end) and its control API.
 *
 * Everything is bounded: every wait has a deadline. Nothing here talks to anything but
 * 127.0.0.1 / localhost: URLs naming another host are refused.
 */
#ifndef BOTWIRE_TEST_SUPPORT_H
#define BOTWIRE_TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- checks ------------------------------------------------------------------------- */

/* Number of failed checks so far; a test program exits non-zero when it is not 0. */
extern int check_failures;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
            check_failures++;                                                          \
        }                                                                              \
    } while (0)

/* CHECK with a printf-style explanation (at least one argument after the format). */
#define CHECK_MSG(cond, ...)                                                           \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);   \
            fprintf(stderr, __VA_ARGS__);                                              \
            fputc('\n', stderr);                                                       \
            check_failures++;                                                          \
        }                                                                              \
    } while (0)

/* Prints the verdict and returns the process exit status (0 only without failures). */
int check_report(const char *program);

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t now_ms(void);

/* Sleeps for `ms` milliseconds (restarted after signals). */
void sleep_ms(uint64_t ms);

/* ---- buffers ------------------------------------------------------------------------ */

/* A growable byte buffer, always NUL-terminated once anything was appended. */
typedef struct buf {
    char *data;
    size_t len;
    size_t cap;
} buf;

void buf_init(buf *b);
void buf_free(buf *b);
void buf_clear(buf *b);
/* Aborts the program when memory runs out (tests only). */
void buf_append(buf *b, const void *data, size_t len);
void buf_appends(buf *b, const char *text);
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void buf_appendf(buf *b, const char *format, ...);
/* Appends `text` as a JSON string literal, quotes included. */
void buf_append_json_string(buf *b, const char *text, size_t len);
/* Removes the first `n` bytes. */
void buf_consume(buf *b, size_t n);

/* ---- JSON --------------------------------------------------------------------------- */

typedef enum json_type {
    JSON_NULL,
    JSON_BOOL,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT
} json_type;

typedef struct json json;
struct json {
    json_type type;
    char *key;       /* member name inside an object, else NULL */
    size_t key_len;
    char *text;      /* STRING: unescaped UTF-8 (NUL-terminated); NUMBER: the literal */
    size_t text_len;
    int boolean;     /* BOOL */
    json *child;     /* ARRAY / OBJECT: first element or member */
    json *next;      /* next sibling */
    size_t count;    /* ARRAY / OBJECT: number of children */
};

/* Parses a complete JSON text (nesting at most 64 deep); NULL when it is not valid JSON. */
json *json_parse(const char *text, size_t len);
void json_free(json *value);
/* Member `key` of an object (NULL if absent or not an object). */
const json *json_get(const json *object, const char *key);
/* Element `index` of an array (NULL if out of range or not an array). */
const json *json_at(const json *array, size_t index);
/*
 * Walks a dotted path: "result.0.text" is member result, element 0, member text. NULL when a
 * step is missing.
 */
const json *json_path(const json *value, const char *path);
/* The string of a STRING value, else NULL. */
const char *json_str(const json *value);
/* Whether `value` is the string `expected`. */
int json_str_eq(const json *value, const char *expected);
/* Integer value of a NUMBER without fraction or exponent; 0 on success, -1 otherwise. */
int json_i64(const json *value, int64_t *out);
int json_u64(const json *value, uint64_t *out);
/* Whether `value` is `true`. */
int json_true(const json *value);

/* ---- HTTP client -------------------------------------------------------------------- */

typedef struct http_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
} http_header;

typedef enum http_state { HTTP_PENDING, HTTP_DONE, HTTP_FAILED } http_state;

typedef enum http_failure {
    HTTP_FAIL_NONE = 0,
    HTTP_FAIL_URL,      /* not an http:// URL of a loopback host */
    HTTP_FAIL_CONNECT,  /* connection refused or impossible */
    HTTP_FAIL_TIMEOUT,  /* the deadline passed */
    HTTP_FAIL_IO,       /* the connection broke */
    HTTP_FAIL_PROTOCOL, /* the answer is not HTTP/1.x as expected */
    HTTP_FAIL_ABORTED   /* http_abort() */
} http_failure;

const char *http_failure_name(http_failure failure);

/* Splits http://HOST[:PORT]/PATH for HOST 127.0.0.1 or localhost; 0 on success. */
int http_parse_url(const char *url, size_t url_len, int *port, const char **path,
                   size_t *path_len);

/* One HTTP request on its own connection (Connection: close), driven by poll(). */
typedef struct http_conn http_conn;

/*
 * Starts a request: connects without blocking and queues the request bytes. The connection
 * is FAILED at once for a bad URL or a refused connection. `body` may be NULL when
 * `body_len` is 0; a Content-Length header is added when a body is given or the method is
 * POST/PUT/PATCH. The request must be settled before `now + timeout_ms`. Returns NULL only
 * when memory runs out.
 */
http_conn *http_start(const char *method, const char *url, size_t url_len,
                      const http_header *headers, size_t header_count, const void *body,
                      size_t body_len, uint64_t timeout_ms);
/* The socket and the poll() events it waits for (fd -1 once settled). */
int http_fd(const http_conn *conn);
short http_events(const http_conn *conn);
/* Absolute deadline (now_ms clock). */
uint64_t http_deadline(const http_conn *conn);
/* Makes progress without blocking; call when the socket is ready or the deadline passed. */
http_state http_step(http_conn *conn);
http_state http_state_of(const http_conn *conn);
http_failure http_failure_of(const http_conn *conn);
/* Gives up on a pending request (state FAILED, failure ABORTED). */
void http_abort(http_conn *conn);
/* Status, and body (NUL-terminated, owned by the connection) of a DONE request. */
int http_status(const http_conn *conn);
const char *http_body(const http_conn *conn, size_t *len);
/* Value of a response header (case-insensitive name), NUL-terminated, or NULL. */
const char *http_response_header(const http_conn *conn, const char *name);
void http_free(http_conn *conn);

/* A finished blocking request; `body` is malloc'd and NUL-terminated. */
typedef struct http_response {
    int status;
    char *body;
    size_t body_len;
} http_response;

/* Blocking request; 0 (HTTP_FAIL_NONE) on an answer of any status, else the failure. */
http_failure http_fetch(const char *method, const char *url, const char *body, size_t body_len,
                        uint64_t timeout_ms, http_response *out);
void http_response_free(http_response *response);

/* ---- WebSocket client --------------------------------------------------------------- */

typedef struct ws_conn ws_conn;

typedef enum ws_event_kind {
    WS_NONE = 0, /* nothing complete yet: wait for the socket to be readable */
    WS_TEXT,
    WS_BINARY,
    WS_CLOSED,   /* close frame received (answered) or connection ended */
    WS_ERROR     /* protocol violation or I/O error; the connection is unusable */
} ws_event_kind;

typedef struct ws_event {
    ws_event_kind kind;
    const char *data; /* TEXT/BINARY payload (NUL-terminated), valid until the next ws_read */
    size_t len;
    uint16_t close_code; /* CLOSED: the peer's code, 1005 without one, 1006 without a frame */
} ws_event;

/*
 * Opens ws://HOST:PORT/PATH (loopback only) and performs the handshake (blocking, bounded by
 * `timeout_ms`), checking the 101 status, Upgrade, Connection and Sec-WebSocket-Accept.
 * `protocols` (NULL for none) is the Sec-WebSocket-Protocol offer. Returns NULL on failure
 * with a reason in `error` (at least 128 bytes).
 */
ws_conn *ws_connect(const char *url, size_t url_len, const char *protocols, uint64_t timeout_ms,
                    char *error, size_t error_size);
int ws_fd(const ws_conn *conn);
/* The subprotocol the server chose, or NULL. */
const char *ws_protocol(const ws_conn *conn);
/* Sends one masked text (opcode 1) or binary (2) frame; 0 on success. */
int ws_send(ws_conn *conn, int binary, const void *data, size_t len, uint64_t timeout_ms);
/* Sends a close frame (code 0: without a code); 0 on success. */
int ws_send_close(ws_conn *conn, uint16_t code, const char *reason, size_t reason_len);
/* Sends a ping with `payload` (at most 125 bytes); 0 on success. */
int ws_send_ping(ws_conn *conn, const void *payload, size_t len);
/*
 * The next complete message without blocking. Pings are answered with pongs, pongs skipped.
 * Several messages may arrive in one read: after a message, call again until WS_NONE before
 * waiting on the socket.
 */
ws_event_kind ws_read(ws_conn *conn, ws_event *event);
/* Number of pongs received so far. */
unsigned ws_pongs_received(const ws_conn *conn);
void ws_free(ws_conn *conn);

/* SHA-1 and base64, used for the handshake (exposed for their test). */
void sha1_digest(const void *data, size_t len, uint8_t out[20]);
/* Writes the base64 text (NUL-terminated) of `data` to `out` (at least 4*ceil(len/3)+1). */
void base64_encode(const uint8_t *data, size_t len, char *out);

/* ---- botwire-sim ------------------------------------------------------------------- */

typedef struct sim_server {
    pid_t pid;
    int stdout_fd;
    int port;
    char url[64];      /* http://127.0.0.1:PORT */
    char platform[16]; /* telegram or trueconf */
} sim_server;

/* The Telegram simulator's only accepted token. */
#define SIM_TELEGRAM_TOKEN "123456:TEST-TOKEN"
/* The TrueConf simulator's bot account. */
#define SIM_TRUECONF_USER "helpdesk_bot"
#define SIM_TRUECONF_PASSWORD "s3cret"

/*
 * The botwire-sim binary: $BOTWIRE_SIM, else $CARGO_TARGET_DIR/debug/botwire-sim, else
 * target/debug/botwire-sim (relative to the working directory). NULL when none exists.
 */
const char *sim_binary(void);

/*
 * Starts botwire-sim --platform PLATFORM --port 0 [extra args, NULL-terminated] and waits
 * (at most `timeout_ms`) for its "listening on" line. 0 on success.
 */
int sim_start(sim_server *sim, const char *platform, const char *const *extra_args,
              uint64_t timeout_ms);
/* Kills the server and reaps it. Safe to call twice. */
void sim_stop(sim_server *sim);

/*
 * A control API request: GET when `body_json` is NULL, POST otherwise. Returns the parsed
 * answer when it is {"ok":true,...} (the caller frees it with json_free; `result` is its
 * "result" member), NULL otherwise (the reason is printed).
 */
json *sim_control(const sim_server *sim, const char *route, const char *body_json,
                  uint64_t timeout_ms);

/* Telegram: a user writes `text` in their private chat; the new update's message id or -1. */
int64_t sim_tg_message(const sim_server *sim, int64_t user_id, const char *text);
/* Telegram: a user presses the inline button `data` on message `message_id`; 0 on success. */
int sim_tg_button(const sim_server *sim, int64_t user_id, int64_t message_id, const char *data);
/* Telegram: the transcript from `since`, waiting up to `wait_ms` for `min` entries. */
json *sim_tg_transcript(const sim_server *sim, unsigned since, unsigned min, unsigned wait_ms);
/* Telegram: whether a long poll is currently held (-1 on error). */
int sim_tg_has_held_poll(const sim_server *sim);

/* TrueConf: a user writes `text` in their personal chat with the bot; 0 on success. */
int sim_tc_message(const sim_server *sim, const char *user, const char *text);
/* TrueConf: the transcript from `since`, waiting up to `wait_ms` for `min` entries. */
json *sim_tc_transcript(const sim_server *sim, unsigned since, unsigned min, unsigned wait_ms);
/* TrueConf: number of open authorized bot sockets (-1 on error). */
int sim_tc_authorized_connections(const sim_server *sim, unsigned min, unsigned wait_ms);

/*
 * The texts of the transcript entries whose "action" is `action` (e.g. "sent"), in order,
 * joined with '\n' into `out` (cleared first). Returns how many there were.
 */
size_t transcript_texts(const json *transcript_result, const char *action, buf *out);

#ifdef __cplusplus
}
#endif

#endif
