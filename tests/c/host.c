/* The test host of host.h: loopback HTTP and WebSocket I/O, a timer, and the bot's outputs. */
#define _POSIX_C_SOURCE 200809L

#include "host.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

/* Requests without a timeout of their own still end (tests are bounded). */
#define DEFAULT_REQUEST_TIMEOUT_MS 120000u

void expect_result(botwire_result result, botwire_result expected, const char *what, int line) {
    if (result == expected) {
        return;
    }
    const char *detail = "";
    size_t detail_len = 0;
    botwire_last_error(&detail, &detail_len);
    fprintf(stderr, "line %d: %s: got %u (%s), expected %u (%s); last error: %.*s\n", line, what,
            (unsigned)result, botwire_result_message(result), (unsigned)expected,
            botwire_result_message(expected), (int)detail_len, detail);
    check_failures++;
}

int bstr_eq(botwire_str s, const char *text) {
    size_t n = strlen(text);
    return s.ptr != NULL && s.len == n && memcmp(s.ptr, text, n) == 0;
}

static void record_call(host *h, uint64_t id, const botwire_call_result *result) {
    uint64_t call_id = 0;
    bool ok = false;
    EXPECT_OK(botwire_call_result_status(result, &call_id, &ok));
    CHECK_MSG(call_id == id, "call result id %llu for output id %llu", (unsigned long long)call_id,
              (unsigned long long)id);
    botwire_str text = {NULL, 0};
    if (ok) {
        EXPECT_OK(botwire_call_result_json(result, &text));
        /* A successful call has no error. */
        botwire_str none = {NULL, 0};
        EXPECT(botwire_call_result_error_json(result, &none), BOTWIRE_RESULT_EMPTY);
    } else {
        EXPECT_OK(botwire_call_result_error_json(result, &text));
    }
    if (h->verbose) {
        fprintf(stderr, "[host] call %llu %s: %.*s\n", (unsigned long long)id,
                ok ? "ok" : "failed", BSTR(text));
    }
    if (h->call_count == HOST_MAX_CALLS) {
        fprintf(stderr, "[host] too many calls recorded\n");
        check_failures++;
        return;
    }
    host_call *call = &h->calls[h->call_count++];
    call->id = id;
    call->ok = ok;
    call->json = malloc(text.len + 1);
    if (call->json == NULL) {
        abort();
    }
    if (text.len > 0) {
        memcpy(call->json, text.ptr, text.len);
    }
    call->json[text.len] = '\0';
}

const host_call *host_find_call(const host *h, uint64_t id) {
    for (size_t i = 0; i < h->call_count; i++) {
        if (h->calls[i].id == id) {
            return &h->calls[i];
        }
    }
    return NULL;
}

static void record_notice(host *h, botwire_output_kind kind, const char *json, size_t len) {
    if (h->verbose) {
        fprintf(stderr, "[host] notice %u: %.*s\n", (unsigned)kind, (int)len, json);
    }
    switch (kind) {
    case BOTWIRE_OUTPUT_KIND_STOPPED:
        h->stopped = 1;
        break;
    case BOTWIRE_OUTPUT_KIND_DEAD_LETTER:
        h->dead_letters++;
        break;
    default:
        h->notices++;
        break;
    }
}

/* ---- the operations both modes share -------------------------------------------------- */

static void start_http(host *h, uint64_t id, const botwire_http_request *request) {
    h->requests++;
    if (h->http_count == HOST_MAX_HTTP) {
        fprintf(stderr, "[host] too many requests in flight\n");
        check_failures++;
        return;
    }
    http_header headers[32];
    size_t count = request->header_count < 32 ? request->header_count : 32;
    for (size_t i = 0; i < count; i++) {
        headers[i].name = request->headers[i].name.ptr;
        headers[i].name_len = request->headers[i].name.len;
        headers[i].value = request->headers[i].value.ptr;
        headers[i].value_len = request->headers[i].value.len;
    }
    char method[16];
    snprintf(method, sizeof method, "%.*s", BSTR(request->method));
    uint64_t timeout = request->timeout_ms != 0 ? request->timeout_ms : DEFAULT_REQUEST_TIMEOUT_MS;
    if (h->verbose) {
        fprintf(stderr, "[host] http %llu: %s %.*s\n", (unsigned long long)id, method,
                BSTR(request->url));
    }
    http_conn *conn = http_start(method, request->url.ptr, request->url.len, headers, count,
                                 request->body, request->body_len, timeout);
    if (conn == NULL) {
        abort();
    }
    h->http[h->http_count].id = id;
    h->http[h->http_count].conn = conn;
    h->http_count++;
}

static void abort_http(host *h, uint64_t id) {
    for (size_t i = 0; i < h->http_count; i++) {
        if (h->http[i].id == id) {
            http_abort(h->http[i].conn); /* reported as ABORTED by the loop */
            return;
        }
    }
}

static void open_ws(host *h, uint64_t id, const char *url, size_t url_len, const char *protocols) {
    if (h->ws_count == HOST_MAX_WS) {
        fprintf(stderr, "[host] too many sockets\n");
        check_failures++;
        return;
    }
    h->last_ws_id = id;
    char error[256];
    ws_conn *ws = ws_connect(url, url_len, protocols, 5000, error, sizeof error);
    if (ws == NULL && h->verbose) {
        fprintf(stderr, "[host] ws %llu failed: %s\n", (unsigned long long)id, error);
    }
    h->ws[h->ws_count].id = id;
    h->ws[h->ws_count].ws = ws;
    h->ws[h->ws_count].pongs_reported = 0;
    h->ws[h->ws_count].report = ws != NULL ? 1 : 2;
    h->ws_count++;
}

static int find_ws(const host *h, uint64_t id) {
    for (size_t i = 0; i < h->ws_count; i++) {
        if (h->ws[i].id == id) {
            return (int)i;
        }
    }
    return -1;
}

static void remove_ws(host *h, int index) {
    ws_free(h->ws[index].ws);
    h->ws[index] = h->ws[h->ws_count - 1];
    h->ws_count--;
}

static void send_ws(host *h, uint64_t id, const char *text, size_t len) {
    int i = find_ws(h, id);
    CHECK_MSG(i >= 0 && h->ws[i].ws != NULL, "ws_send on unknown socket %llu",
              (unsigned long long)id);
    if (i >= 0 && h->ws[i].ws != NULL) {
        h->ws_frames_out++;
        if (h->verbose) {
            fprintf(stderr, "[host] ws %llu >> %.*s\n", (unsigned long long)id, (int)len, text);
        }
        ws_send(h->ws[i].ws, 0, text, len, 5000); /* a failure shows up as a close */
    }
}

static void ping_ws(host *h, uint64_t id) {
    int i = find_ws(h, id);
    if (i >= 0 && h->ws[i].ws != NULL) {
        ws_send_ping(h->ws[i].ws, "botwire", 7);
    }
}

static void close_ws(host *h, uint64_t id) {
    int i = find_ws(h, id);
    if (i >= 0) {
        if (h->ws[i].ws != NULL) {
            ws_send_close(h->ws[i].ws, 1000, NULL, 0);
        }
        remove_ws(h, i);
    }
}

/* ---- callback mode -------------------------------------------------------------------- */

static void cb_send_http(void *userdata, uint64_t id, const botwire_http_request *request) {
    start_http(userdata, id, request);
}

static void cb_abort_http(void *userdata, uint64_t id) { abort_http(userdata, id); }

static void cb_ws_open(void *userdata, uint64_t id, const char *url, size_t url_len,
                       const botwire_str *protocols, size_t protocol_count) {
    buf offer;
    buf_init(&offer);
    for (size_t i = 0; i < protocol_count; i++) {
        if (i > 0) {
            buf_appends(&offer, ", ");
        }
        buf_append(&offer, protocols[i].ptr, protocols[i].len);
    }
    open_ws(userdata, id, url, url_len, offer.data);
    buf_free(&offer);
}

static void cb_ws_send(void *userdata, uint64_t id, const char *text, size_t len) {
    send_ws(userdata, id, text, len);
}

static void cb_ws_ping(void *userdata, uint64_t id) { ping_ws(userdata, id); }
static void cb_ws_close(void *userdata, uint64_t id) { close_ws(userdata, id); }

static void cb_set_timer(void *userdata, uint64_t at) {
    host *h = userdata;
    h->timer_at = at;
}

static void cb_dispatch(void *userdata, botwire_bot *bot, uint64_t id, const botwire_event *event) {
    host *h = userdata;
    CHECK(bot == h->bot);
    if (h->on_dispatch != NULL) {
        h->on_dispatch(h, id, event);
    } else {
        EXPECT_OK(botwire_bot_complete(bot, now_ms(), id));
    }
}

static void cb_call_done(void *userdata, uint64_t id, const botwire_call_result *result) {
    record_call(userdata, id, result);
}

static void cb_notice(void *userdata, botwire_output_kind kind, const char *json, size_t len) {
    record_notice(userdata, kind, json, len);
}

/* ---- pull mode ------------------------------------------------------------------------ */

void host_drain(host *h) {
    if (h->mode != HOST_PULL) {
        return;
    }
    for (int guard = 0; guard < 100000; guard++) {
        const botwire_output *output = NULL;
        botwire_result r = botwire_bot_poll_output(h->bot, &output);
        if (r == BOTWIRE_RESULT_EMPTY) {
            uint64_t at = BOTWIRE_NO_TIMER;
            botwire_result t = botwire_bot_poll_timeout(h->bot, &at);
            CHECK_MSG(t == BOTWIRE_RESULT_OK || t == BOTWIRE_RESULT_EMPTY, "poll_timeout: %u",
                      (unsigned)t);
            h->timer_at = t == BOTWIRE_RESULT_OK ? at : BOTWIRE_NO_TIMER;
            return;
        }
        EXPECT_OK(r);
        if (r != BOTWIRE_RESULT_OK) {
            return;
        }
        botwire_output_kind kind = 0;
        EXPECT_OK(botwire_output_get_kind(output, &kind));
        uint64_t id = 0;
        botwire_result has_id = botwire_output_id(output, &id);
        switch (kind) {
        case BOTWIRE_OUTPUT_KIND_HTTP_REQUEST: {
            botwire_http_request request;
            EXPECT_OK(has_id);
            EXPECT_OK(botwire_output_http_request(output, &request));
            start_http(h, id, &request);
            break;
        }
        case BOTWIRE_OUTPUT_KIND_HTTP_ABORT:
            EXPECT_OK(has_id);
            abort_http(h, id);
            break;
        case BOTWIRE_OUTPUT_KIND_WS_OPEN: {
            botwire_str url;
            size_t count = 0;
            EXPECT_OK(botwire_output_ws_url(output, &url));
            EXPECT_OK(botwire_output_ws_protocol_count(output, &count));
            buf offer;
            buf_init(&offer);
            for (size_t i = 0; i < count; i++) {
                botwire_str protocol;
                EXPECT_OK(botwire_output_ws_protocol(output, i, &protocol));
                if (i > 0) {
                    buf_appends(&offer, ", ");
                }
                buf_append(&offer, protocol.ptr, protocol.len);
            }
            open_ws(h, id, url.ptr, url.len, offer.data);
            buf_free(&offer);
            break;
        }
        case BOTWIRE_OUTPUT_KIND_WS_SEND: {
            botwire_str text;
            EXPECT_OK(botwire_output_text(output, &text));
            send_ws(h, id, text.ptr, text.len);
            break;
        }
        case BOTWIRE_OUTPUT_KIND_WS_PING:
            ping_ws(h, id);
            break;
        case BOTWIRE_OUTPUT_KIND_WS_CLOSE:
            close_ws(h, id);
            break;
        case BOTWIRE_OUTPUT_KIND_DISPATCH: {
            const botwire_event *event = NULL;
            EXPECT_OK(botwire_output_event(output, &event));
            if (h->on_dispatch != NULL) {
                h->on_dispatch(h, id, event);
            } else {
                EXPECT_OK(botwire_bot_complete(h->bot, now_ms(), id));
            }
            break;
        }
        case BOTWIRE_OUTPUT_KIND_CALL_DONE: {
            const botwire_call_result *result = NULL;
            EXPECT_OK(botwire_output_call_result(output, &result));
            record_call(h, id, result);
            break;
        }
        default: {
            botwire_str json;
            EXPECT_OK(botwire_output_json(output, &json));
            record_notice(h, kind, json.ptr, json.len);
            break;
        }
        }
    }
    fprintf(stderr, "[host] the output queue never drained\n");
    check_failures++;
}

/* ---- the loop ------------------------------------------------------------------------- */

void host_init(host *h, botwire_bot *bot, host_mode mode) {
    memset(h, 0, sizeof *h);
    h->mode = mode;
    h->bot = bot;
    h->timer_at = BOTWIRE_NO_TIMER;
    const char *verbose = getenv("BOTWIRE_TEST_VERBOSE");
    h->verbose = verbose != NULL && *verbose != '\0' && *verbose != '0';
    if (mode == HOST_CALLBACKS) {
        botwire_io_callbacks table;
        memset(&table, 0, sizeof table);
        table.version = BOTWIRE_IO_CALLBACKS_VERSION;
        table.userdata = h;
        table.send_http = cb_send_http;
        table.abort_http = cb_abort_http;
        table.ws_open = cb_ws_open;
        table.ws_send = cb_ws_send;
        table.ws_ping = cb_ws_ping;
        table.ws_close = cb_ws_close;
        table.set_timer = cb_set_timer;
        table.dispatch = cb_dispatch;
        table.call_done = cb_call_done;
        table.notice = cb_notice;
        EXPECT_OK(botwire_bot_set_callbacks(bot, &table));
    }
}

void host_close(host *h) {
    for (size_t i = 0; i < h->http_count; i++) {
        http_free(h->http[i].conn);
    }
    h->http_count = 0;
    for (size_t i = 0; i < h->ws_count; i++) {
        ws_free(h->ws[i].ws);
    }
    h->ws_count = 0;
    for (size_t i = 0; i < h->call_count; i++) {
        free(h->calls[i].json);
    }
    h->call_count = 0;
}

static botwire_http_error_kind error_kind(http_failure failure) {
    switch (failure) {
    case HTTP_FAIL_CONNECT: return BOTWIRE_HTTP_ERROR_KIND_CONNECT;
    case HTTP_FAIL_TIMEOUT: return BOTWIRE_HTTP_ERROR_KIND_TIMEOUT;
    case HTTP_FAIL_IO: return BOTWIRE_HTTP_ERROR_KIND_IO;
    case HTTP_FAIL_ABORTED: return BOTWIRE_HTTP_ERROR_KIND_ABORTED;
    default: return BOTWIRE_HTTP_ERROR_KIND_OTHER;
    }
}

void host_step(host *h, uint64_t max_wait_ms) {
    /* Socket opens decided in a callback are reported from here. */
    for (size_t i = 0; i < h->ws_count;) {
        int report = h->ws[i].report;
        uint64_t id = h->ws[i].id;
        h->ws[i].report = 0;
        if (report == 1) {
            h->ws_opened++;
            EXPECT_OK(botwire_bot_handle_ws_opened(h->bot, now_ms(), id));
            host_drain(h);
            i = 0; /* the table may have changed */
            continue;
        }
        if (report == 2) {
            remove_ws(h, (int)i);
            EXPECT_OK(botwire_bot_handle_ws_closed(h->bot, now_ms(), id));
            host_drain(h);
            i = 0;
            continue;
        }
        i++;
    }

    struct pollfd fds[HOST_MAX_HTTP + HOST_MAX_WS];
    size_t n = 0;
    uint64_t now = now_ms();
    uint64_t wake = now + max_wait_ms;
    if (h->timer_at < wake) {
        wake = h->timer_at;
    }
    for (size_t i = 0; i < h->http_count; i++) {
        fds[n].fd = http_fd(h->http[i].conn);
        fds[n].events = http_events(h->http[i].conn);
        fds[n].revents = 0;
        n++;
        if (http_deadline(h->http[i].conn) < wake) {
            wake = http_deadline(h->http[i].conn);
        }
        if (http_state_of(h->http[i].conn) != HTTP_PENDING) {
            wake = now; /* aborted: report at once */
        }
    }
    for (size_t i = 0; i < h->ws_count; i++) {
        fds[n].fd = h->ws[i].ws != NULL ? ws_fd(h->ws[i].ws) : -1;
        fds[n].events = POLLIN;
        fds[n].revents = 0;
        n++;
    }
    int wait = wake > now ? (int)(wake - now) : 0;
    if (poll(fds, n, wait) < 0 && errno != EINTR) {
        perror("poll");
        check_failures++;
    }

    /* Finished requests leave the table before they are reported (reports may add more). */
    struct {
        uint64_t id;
        http_conn *conn;
    } done[HOST_MAX_HTTP];
    size_t done_count = 0;
    for (size_t i = 0; i < h->http_count;) {
        if (http_step(h->http[i].conn) == HTTP_PENDING) {
            i++;
            continue;
        }
        done[done_count].id = h->http[i].id;
        done[done_count].conn = h->http[i].conn;
        done_count++;
        h->http[i] = h->http[h->http_count - 1];
        h->http_count--;
    }
    for (size_t i = 0; i < done_count; i++) {
        http_conn *conn = done[i].conn;
        if (http_state_of(conn) == HTTP_DONE) {
            size_t len;
            const char *body = http_body(conn, &len);
            if (h->verbose) {
                fprintf(stderr, "[host] http %llu: %d %.*s\n", (unsigned long long)done[i].id,
                        http_status(conn), (int)(len < 300 ? len : 300), body);
            }
            EXPECT_OK(botwire_bot_handle_http_response(h->bot, now_ms(), done[i].id,
                                                       (uint16_t)http_status(conn),
                                                       (const uint8_t *)body, len));
        } else {
            if (h->verbose) {
                fprintf(stderr, "[host] http %llu failed: %s\n", (unsigned long long)done[i].id,
                        http_failure_name(http_failure_of(conn)));
            }
            EXPECT_OK(botwire_bot_handle_http_error(h->bot, now_ms(), done[i].id,
                                                    error_kind(http_failure_of(conn))));
        }
        http_free(conn);
        host_drain(h);
    }

    /* WebSocket messages, pongs and closes. */
    for (size_t i = 0; i < h->ws_count;) {
        ws_conn *ws = h->ws[i].ws;
        uint64_t id = h->ws[i].id;
        if (ws == NULL) {
            i++;
            continue;
        }
        ws_event event;
        ws_event_kind kind = ws_read(ws, &event);
        if (kind == WS_TEXT || kind == WS_BINARY) {
            h->ws_frames_in++;
            if (h->verbose) {
                fprintf(stderr, "[host] ws %llu << %.*s\n", (unsigned long long)id,
                        (int)(event.len < 300 ? event.len : 300), event.data);
            }
            EXPECT_OK(botwire_bot_handle_ws_frame(h->bot, now_ms(), id, event.data, event.len));
            host_drain(h);
            i = 0; /* read on: more messages may be buffered; the table may have changed */
            continue;
        }
        if (kind == WS_CLOSED || kind == WS_ERROR) {
            if (h->verbose) {
                fprintf(stderr, "[host] ws %llu closed (%u)\n", (unsigned long long)id,
                        (unsigned)event.close_code);
            }
            remove_ws(h, (int)i);
            EXPECT_OK(botwire_bot_handle_ws_closed(h->bot, now_ms(), id));
            host_drain(h);
            i = 0;
            continue;
        }
        if (ws_pongs_received(ws) > h->ws[i].pongs_reported) {
            h->ws[i].pongs_reported = ws_pongs_received(ws);
            h->ws_pongs++;
            EXPECT_OK(botwire_bot_handle_ws_pong(h->bot, now_ms(), id));
            host_drain(h);
            i = 0;
            continue;
        }
        i++;
    }

    if (h->timer_at != BOTWIRE_NO_TIMER && now_ms() >= h->timer_at) {
        h->timer_at = BOTWIRE_NO_TIMER;
        h->timeouts++;
        EXPECT_OK(botwire_bot_handle_timeout(h->bot, now_ms()));
        host_drain(h);
    }
}

int host_run_until(host *h, int (*done)(host *h), uint64_t timeout_ms) {
    uint64_t deadline = now_ms() + timeout_ms;
    while (!done(h)) {
        uint64_t now = now_ms();
        if (now >= deadline) {
            return -1;
        }
        host_step(h, deadline - now < 200 ? deadline - now : 200);
    }
    return 0;
}
