/*
 * A TrueConf echo bot in C on libbotwire. The library runs in callback mode; HTTP (the login)
 * and the bot WebSocket are done by the small loopback clients of tests/c/support (plain
 * HTTP and ws:// on 127.0.0.1 only: a real server needs TLS, for example through a WebSocket
 * library of your choice behind the same callbacks). One poll() loop waits for the sockets
 * and the library's timer.
 *
 *   trueconf_echo_bot [SERVER [PORT [USERNAME [PASSWORD [MAX_UPDATES]]]]]
 *
 * Each argument falls back to the environment: BOTWIRE_TRUECONF_SERVER (127.0.0.1),
 * BOTWIRE_TRUECONF_PORT (4309), BOTWIRE_TRUECONF_USERNAME, BOTWIRE_TRUECONF_PASSWORD and
 * BOTWIRE_MAX_UPDATES (0 or unset: no limit). The bot answers /start with a greeting and
 * echoes every other text; it stops gracefully after MAX_UPDATES messages or on SIGINT.
 */
#define _POSIX_C_SOURCE 200809L

#include "botwire.h"
#include "support/support.h"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STR(s) (s), (sizeof(s) - 1)
#define MAX_REQUESTS 16
#define MAX_SOCKETS 4

typedef struct app {
    botwire_bot *bot;
    struct {
        uint64_t id;
        http_conn *conn;
    } requests[MAX_REQUESTS];
    size_t request_count;
    struct {
        uint64_t id;
        ws_conn *ws; /* NULL: the open failed, report it */
        int opened_reported;
        unsigned pongs;
    } sockets[MAX_SOCKETS];
    size_t socket_count;
    uint64_t timer_at;
    unsigned handled, max_updates;
    int stop_requested, stop_sent, stopped;
} app;

static volatile sig_atomic_t interrupted = 0;

static void on_signal(int signal) {
    (void)signal;
    interrupted = 1;
}

static void check(botwire_result result, const char *what) {
    if (result != BOTWIRE_RESULT_OK) {
        const char *detail = "";
        size_t len = 0;
        botwire_last_error(&detail, &len);
        fprintf(stderr, "trueconf_echo_bot: %s: %s (%.*s)\n", what,
                botwire_result_message(result), (int)len, detail);
    }
}

/* ---- callbacks ------------------------------------------------------------------------- */

static void send_http(void *userdata, uint64_t id, const botwire_http_request *req) {
    app *a = userdata;
    http_header headers[16];
    size_t count = req->header_count < 16 ? req->header_count : 16;
    for (size_t i = 0; i < count; i++) {
        headers[i].name = req->headers[i].name.ptr;
        headers[i].name_len = req->headers[i].name.len;
        headers[i].value = req->headers[i].value.ptr;
        headers[i].value_len = req->headers[i].value.len;
    }
    char method[8];
    snprintf(method, sizeof method, "%.*s", (int)req->method.len, req->method.ptr);
    http_conn *conn = http_start(method, req->url.ptr, req->url.len, headers, count, req->body,
                                 req->body_len, req->timeout_ms ? req->timeout_ms : 60000);
    if (conn == NULL || a->request_count == MAX_REQUESTS) {
        http_free(conn);
        /* Answering at once from inside the callback is allowed. */
        check(botwire_bot_handle_http_error(a->bot, now_ms(), id, BOTWIRE_HTTP_ERROR_KIND_OTHER),
              "answer");
        return;
    }
    a->requests[a->request_count].id = id;
    a->requests[a->request_count].conn = conn;
    a->request_count++;
}

static void abort_http(void *userdata, uint64_t id) {
    app *a = userdata;
    for (size_t i = 0; i < a->request_count; i++) {
        if (a->requests[i].id == id) {
            http_abort(a->requests[i].conn); /* reported by the loop */
        }
    }
}

static void ws_open(void *userdata, uint64_t id, const char *url, size_t url_len,
                    const botwire_str *protocols, size_t protocol_count) {
    app *a = userdata;
    char offer[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < protocol_count && used < sizeof offer; i++) {
        used += (size_t)snprintf(offer + used, sizeof offer - used, "%s%.*s", i ? ", " : "",
                                 (int)protocols[i].len, protocols[i].ptr);
    }
    if (a->socket_count == MAX_SOCKETS) {
        check(botwire_bot_handle_ws_closed(a->bot, now_ms(), id), "report");
        return;
    }
    char error[256];
    ws_conn *ws = ws_connect(url, url_len, protocol_count ? offer : NULL, 10000, error,
                             sizeof error);
    if (ws == NULL) {
        fprintf(stderr, "trueconf_echo_bot: WebSocket: %s\n", error);
    }
    a->sockets[a->socket_count].id = id;
    a->sockets[a->socket_count].ws = ws;
    a->sockets[a->socket_count].opened_reported = 0;
    a->sockets[a->socket_count].pongs = 0;
    a->socket_count++;
}

static int find_socket(app *a, uint64_t id) {
    for (size_t i = 0; i < a->socket_count; i++) {
        if (a->sockets[i].id == id) {
            return (int)i;
        }
    }
    return -1;
}

static void drop_socket(app *a, int i) {
    ws_free(a->sockets[i].ws);
    a->sockets[i] = a->sockets[a->socket_count - 1];
    a->socket_count--;
}

static void ws_send_text(void *userdata, uint64_t id, const char *text, size_t len) {
    app *a = userdata;
    int i = find_socket(a, id);
    if (i >= 0 && a->sockets[i].ws != NULL) {
        ws_send(a->sockets[i].ws, 0, text, len, 5000); /* a failure shows up as a close */
    }
}

static void ws_ping(void *userdata, uint64_t id) {
    app *a = userdata;
    int i = find_socket(a, id);
    if (i >= 0 && a->sockets[i].ws != NULL) {
        ws_send_ping(a->sockets[i].ws, "ping", 4);
    }
}

static void ws_close(void *userdata, uint64_t id) {
    app *a = userdata;
    int i = find_socket(a, id);
    if (i >= 0) {
        if (a->sockets[i].ws != NULL) {
            ws_send_close(a->sockets[i].ws, 1000, NULL, 0);
        }
        drop_socket(a, i);
    }
}

static void set_timer(void *userdata, uint64_t at) { ((app *)userdata)->timer_at = at; }

static void notice(void *userdata, botwire_output_kind kind, const char *json, size_t len) {
    app *a = userdata;
    fprintf(stderr, "trueconf_echo_bot: %.*s\n", (int)len, json);
    if (kind == BOTWIRE_OUTPUT_KIND_STOPPED) {
        a->stopped = 1;
    }
}

/* ---- handlers -------------------------------------------------------------------------- */

static void counted(app *a) {
    if (++a->handled == a->max_updates) {
        a->stop_requested = 1;
    }
}

static void on_start(void *userdata, botwire_bot *bot, uint64_t dispatch,
                     const botwire_event *event) {
    uint64_t call;
    check(botwire_bot_reply(bot, now_ms(), event, STR("Hello! I echo what you write."), NULL, 0,
                            &call),
          "reply");
    check(botwire_bot_complete(bot, now_ms(), dispatch), "complete");
    counted(userdata);
}

static void on_message(void *userdata, botwire_bot *bot, uint64_t dispatch,
                       const botwire_event *event) {
    botwire_str text, chat;
    if (botwire_event_text(event, &text) == BOTWIRE_RESULT_OK && text.len > 0 &&
        botwire_event_chat_key(event, &chat) == BOTWIRE_RESULT_OK) {
        uint64_t call;
        check(botwire_bot_send_text(bot, now_ms(), chat.ptr, chat.len, text.ptr, text.len, NULL,
                                    0, &call),
              "send");
    }
    check(botwire_bot_complete(bot, now_ms(), dispatch), "complete");
    counted(userdata);
}

/* Everything else (joins, chat creation, edits, button presses, ...) is completed at once:
 * an event nobody completes would hold back the next events of its chat. */
static void on_other(void *userdata, botwire_bot *bot, uint64_t dispatch,
                     const botwire_event *event) {
    (void)userdata;
    (void)event;
    check(botwire_bot_complete(bot, now_ms(), dispatch), "complete");
}

/* ---- the loop -------------------------------------------------------------------------- */

static const char *arg(int argc, char **argv, int i, const char *env, const char *fallback) {
    const char *v = argc > i ? argv[i] : getenv(env);
    return v != NULL && *v != '\0' ? v : fallback;
}

/* Reports what the sockets and requests did since the last step. */
static void report(app *a) {
    for (size_t i = 0; i < a->socket_count;) {
        uint64_t id = a->sockets[i].id;
        ws_conn *ws = a->sockets[i].ws;
        ws_event event;
        ws_event_kind kind = WS_NONE;
        if (ws == NULL) {
            kind = WS_CLOSED;
        } else if (!a->sockets[i].opened_reported) {
            a->sockets[i].opened_reported = 1;
            check(botwire_bot_handle_ws_opened(a->bot, now_ms(), id), "opened");
            i = 0; /* callbacks may have changed the table */
            continue;
        } else {
            kind = ws_read(ws, &event);
        }
        if (kind == WS_TEXT) {
            check(botwire_bot_handle_ws_frame(a->bot, now_ms(), id, event.data, event.len),
                  "frame");
        } else if (kind == WS_CLOSED || kind == WS_ERROR) {
            drop_socket(a, (int)i);
            check(botwire_bot_handle_ws_closed(a->bot, now_ms(), id), "closed");
        } else if (ws_pongs_received(ws) > a->sockets[i].pongs) {
            a->sockets[i].pongs = ws_pongs_received(ws);
            check(botwire_bot_handle_ws_pong(a->bot, now_ms(), id), "pong");
        } else {
            i++;
            continue;
        }
        i = 0;
    }
    for (size_t i = 0; i < a->request_count;) {
        http_conn *conn = a->requests[i].conn;
        uint64_t id = a->requests[i].id;
        if (http_step(conn) == HTTP_PENDING) {
            i++;
            continue;
        }
        a->requests[i] = a->requests[a->request_count - 1];
        a->request_count--;
        if (http_state_of(conn) == HTTP_DONE) {
            size_t len;
            const char *body = http_body(conn, &len);
            check(botwire_bot_handle_http_response(a->bot, now_ms(), id,
                                                   (uint16_t)http_status(conn),
                                                   (const uint8_t *)body, len),
                  "answer");
        } else {
            http_failure f = http_failure_of(conn);
            botwire_http_error_kind kind =
                f == HTTP_FAIL_TIMEOUT   ? BOTWIRE_HTTP_ERROR_KIND_TIMEOUT
                : f == HTTP_FAIL_CONNECT ? BOTWIRE_HTTP_ERROR_KIND_CONNECT
                : f == HTTP_FAIL_ABORTED ? BOTWIRE_HTTP_ERROR_KIND_ABORTED
                                         : BOTWIRE_HTTP_ERROR_KIND_IO;
            check(botwire_bot_handle_http_error(a->bot, now_ms(), id, kind), "answer");
        }
        http_free(conn);
        i = 0;
    }
}

int main(int argc, char **argv) {
    const char *server = arg(argc, argv, 1, "BOTWIRE_TRUECONF_SERVER", "127.0.0.1");
    const char *port = arg(argc, argv, 2, "BOTWIRE_TRUECONF_PORT", "4309");
    const char *username = arg(argc, argv, 3, "BOTWIRE_TRUECONF_USERNAME", NULL);
    const char *password = arg(argc, argv, 4, "BOTWIRE_TRUECONF_PASSWORD", NULL);
    const char *max = arg(argc, argv, 5, "BOTWIRE_MAX_UPDATES", "0");
    if (username == NULL || password == NULL) {
        fprintf(stderr, "usage: trueconf_echo_bot [SERVER [PORT [USERNAME [PASSWORD "
                        "[MAX_UPDATES]]]]] (or the BOTWIRE_TRUECONF_* variables)\n");
        return 2;
    }
    app *a = calloc(1, sizeof *a);
    if (a == NULL) {
        return 1;
    }
    a->timer_at = BOTWIRE_NO_TIMER;
    a->max_updates = (unsigned)strtoul(max, NULL, 10);

    buf options;
    buf_init(&options);
    buf_appends(&options, "{\"platform\":\"trueconf\",\"https\":false,\"server\":");
    buf_append_json_string(&options, server, strlen(server));
    buf_appendf(&options, ",\"port\":%ld,\"username\":", strtol(port, NULL, 10));
    buf_append_json_string(&options, username, strlen(username));
    buf_appends(&options, ",\"password\":");
    buf_append_json_string(&options, password, strlen(password));
    buf_appends(&options, "}");
    botwire_result r = botwire_bot_new(options.data, options.len, &a->bot);
    buf_free(&options);
    if (r != BOTWIRE_RESULT_OK) {
        check(r, "cannot create the bot");
        free(a);
        return 1;
    }

    botwire_io_callbacks io;
    memset(&io, 0, sizeof io);
    io.version = BOTWIRE_IO_CALLBACKS_VERSION;
    io.userdata = a;
    io.send_http = send_http;
    io.abort_http = abort_http;
    io.ws_open = ws_open;
    io.ws_send = ws_send_text;
    io.ws_ping = ws_ping;
    io.ws_close = ws_close;
    io.set_timer = set_timer;
    io.notice = notice;
    check(botwire_bot_set_callbacks(a->bot, &io), "set_callbacks");
    check(botwire_bot_on_command(a->bot, STR("start"), on_start, a), "route /start");
    check(botwire_bot_on(a->bot, BOTWIRE_EVENT_KIND_MESSAGE, NULL, 0, on_message, a),
          "route messages");
    check(botwire_bot_on_any(a->bot, on_other, a), "route the rest");
    /* The session judges its token's expiry on the wall clock. */
    check(botwire_bot_set_wall_clock(a->bot, now_ms(), (int64_t)time(NULL) * 1000), "clock");

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    fprintf(stderr, "trueconf_echo_bot: connecting to %s:%s as %s\n", server, port, username);
    check(botwire_bot_start(a->bot, now_ms()), "start");
    while (!a->stopped) {
        if ((interrupted || a->stop_requested) && !a->stop_sent) {
            a->stop_sent = 1;
            check(botwire_bot_stop(a->bot, now_ms()), "stop");
            continue;
        }
        struct pollfd fds[MAX_REQUESTS + MAX_SOCKETS];
        size_t n = 0;
        for (size_t i = 0; i < a->request_count; i++) {
            fds[n].fd = http_fd(a->requests[i].conn);
            fds[n].events = http_events(a->requests[i].conn);
            n++;
        }
        for (size_t i = 0; i < a->socket_count; i++) {
            fds[n].fd = a->sockets[i].ws != NULL ? ws_fd(a->sockets[i].ws) : -1;
            fds[n].events = POLLIN;
            n++;
        }
        uint64_t now = now_ms();
        int wait = 250; /* a signal is noticed within 250 ms */
        if (a->timer_at != BOTWIRE_NO_TIMER) {
            wait = a->timer_at <= now ? 0 : (a->timer_at - now < 250 ? (int)(a->timer_at - now)
                                                                        : 250);
        }
        poll(fds, n, wait);
        report(a);
        if (a->timer_at != BOTWIRE_NO_TIMER && now_ms() >= a->timer_at) {
            a->timer_at = BOTWIRE_NO_TIMER;
            check(botwire_bot_handle_timeout(a->bot, now_ms()), "timeout");
        }
    }
    fprintf(stderr, "trueconf_echo_bot: stopped after %u messages\n", a->handled);
    botwire_bot_free(a->bot);
    for (size_t i = 0; i < a->request_count; i++) {
        http_free(a->requests[i].conn);
    }
    for (size_t i = 0; i < a->socket_count; i++) {
        ws_free(a->sockets[i].ws);
    }
    free(a);
    return 0;
}
