/*
 * A Telegram echo bot in C on libbotwire, with libcurl for HTTP: the library runs in callback
 * mode (it calls send_http and set_timer itself), libcurl's multi interface performs the
 * requests, and one curl_multi_poll() loop waits for sockets and the library's timer, then
 * feeds the answers back.
 *
 *   echo_bot [TOKEN [API_ROOT [MAX_UPDATES]]]
 *
 * Each argument falls back to the environment: BOTWIRE_TOKEN, BOTWIRE_API_ROOT (default
 * https://api.telegram.org) and BOTWIRE_MAX_UPDATES (0 or unset: no limit). The bot answers
 * /start with a greeting and echoes every other text; it stops gracefully after MAX_UPDATES
 * updates or on SIGINT/SIGTERM (the last updates are confirmed to Telegram first).
 *
 * Build: cc -std=c99 -Iinclude echo_bot.c libbotwire.a $(curl-config --libs) -lpthread -ldl -lm
 * Try it without a token against the loopback simulator (see the README).
 */
#define _POSIX_C_SOURCE 200809L

#include "botwire.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STR(s) (s), (sizeof(s) - 1)

/* ---- small helpers ---------------------------------------------------------------------- */

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void die(const char *what, botwire_result result) {
    const char *detail = "";
    size_t len = 0;
    botwire_last_error(&detail, &len);
    fprintf(stderr, "echo_bot: %s: %s (%.*s)\n", what, botwire_result_message(result), (int)len,
            detail);
    exit(1);
}

/* Logs a failed call of the library; a bot keeps going after one. */
static void check(botwire_result result, const char *what) {
    if (result != BOTWIRE_RESULT_OK) {
        const char *detail = "";
        size_t len = 0;
        botwire_last_error(&detail, &len);
        fprintf(stderr, "echo_bot: %s: %s (%.*s)\n", what, botwire_result_message(result),
                (int)len, detail);
    }
}

/* Appends `text` as a JSON string literal to `out` (at least 6 * strlen + 3 bytes). */
static void json_string(char *out, const char *text) {
    char *o = out;
    *o++ = '"';
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\') {
            *o++ = '\\';
            *o++ = (char)*p;
        } else if (*p < 0x20) {
            o += sprintf(o, "\\u%04x", *p);
        } else {
            *o++ = (char)*p;
        }
    }
    *o++ = '"';
    *o = '\0';
}

/* ---- the host: requests in flight, the timer, the stop ----------------------------------- */

typedef struct request {
    uint64_t id;
    CURL *easy;
    struct curl_slist *headers;
    char *body; /* the answer */
    size_t body_len;
    int aborted;
    struct request *next;
} request;

typedef struct app {
    botwire_bot *bot;
    CURLM *multi;
    request *requests;
    uint64_t timer_at;
    unsigned handled;
    unsigned max_updates;
    int stop_requested;
    int stop_sent;
    int stopped;
} app;

static volatile sig_atomic_t interrupted = 0;

static void on_signal(int signal) {
    (void)signal;
    interrupted = 1;
}

static size_t collect(char *data, size_t size, size_t count, void *userdata) {
    request *r = userdata;
    size_t n = size * count;
    char *grown = realloc(r->body, r->body_len + n + 1);
    if (grown == NULL) {
        return 0; /* curl reports a write error */
    }
    memcpy(grown + r->body_len, data, n);
    r->body = grown;
    r->body_len += n;
    r->body[r->body_len] = '\0';
    return n;
}

/* send_http: one curl easy handle per request, added to the multi handle. */
static void send_http(void *userdata, uint64_t id, const botwire_http_request *req) {
    app *a = userdata;
    request *r = calloc(1, sizeof *r);
    CURL *easy = curl_easy_init();
    if (r == NULL || easy == NULL) {
        free(r);
        curl_easy_cleanup(easy);
        check(botwire_bot_handle_http_error(a->bot, now_ms(), id, BOTWIRE_HTTP_ERROR_KIND_OTHER),
              "report");
        return;
    }
    r->id = id;
    r->easy = easy;
    char url[4096];
    snprintf(url, sizeof url, "%.*s", (int)req->url.len, req->url.ptr);
    curl_easy_setopt(easy, CURLOPT_URL, url);
    if (req->method.len == 4 && memcmp(req->method.ptr, "POST", 4) == 0) {
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, req->body_len > 0 ? (const char *)req->body
                                                                         : "");
    }
    for (size_t i = 0; i < req->header_count; i++) {
        char line[1024];
        snprintf(line, sizeof line, "%.*s: %.*s", (int)req->headers[i].name.len,
                 req->headers[i].name.ptr, (int)req->headers[i].value.len,
                 req->headers[i].value.ptr);
        r->headers = curl_slist_append(r->headers, line);
    }
    r->headers = curl_slist_append(r->headers, "Expect:"); /* no 100-continue round trip */
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, r->headers);
    if (req->timeout_ms > 0) {
        curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)req->timeout_ms);
    }
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, r);
    r->next = a->requests;
    a->requests = r;
    curl_multi_add_handle(a->multi, easy);
}

/* abort_http: stop the transfer; its answer (ABORTED) is reported from the loop. */
static void abort_http(void *userdata, uint64_t id) {
    app *a = userdata;
    for (request *r = a->requests; r != NULL; r = r->next) {
        if (r->id == id && !r->aborted) {
            curl_multi_remove_handle(a->multi, r->easy);
            r->aborted = 1;
        }
    }
}

static void set_timer(void *userdata, uint64_t at) { ((app *)userdata)->timer_at = at; }

static void notice(void *userdata, botwire_output_kind kind, const char *json, size_t len) {
    app *a = userdata;
    fprintf(stderr, "echo_bot: %.*s\n", (int)len, json);
    if (kind == BOTWIRE_OUTPUT_KIND_STOPPED) {
        a->stopped = 1;
    }
}

static void call_done(void *userdata, uint64_t call_id, const botwire_call_result *result) {
    (void)userdata;
    bool ok = false;
    uint64_t id = 0;
    botwire_str message = {NULL, 0};
    if (botwire_call_result_status(result, &id, &ok) == BOTWIRE_RESULT_OK && !ok &&
        botwire_call_result_error_message(result, &message) == BOTWIRE_RESULT_OK) {
        fprintf(stderr, "echo_bot: call %llu failed: %.*s\n", (unsigned long long)call_id,
                (int)message.len, message.ptr);
    }
}

/* ---- the handlers ---------------------------------------------------------------------- */

static void counted(app *a) {
    a->handled++;
    if (a->max_updates != 0 && a->handled >= a->max_updates) {
        a->stop_requested = 1;
    }
}

static void on_start(void *userdata, botwire_bot *bot, uint64_t dispatch,
                     const botwire_event *event) {
    app *a = userdata;
    uint64_t call;
    check(botwire_bot_reply(bot, now_ms(), event, STR("Hello! I echo what you write."), NULL, 0,
                            &call),
          "reply");
    check(botwire_bot_complete(bot, now_ms(), dispatch), "complete");
    counted(a);
}

static void on_message(void *userdata, botwire_bot *bot, uint64_t dispatch,
                       const botwire_event *event) {
    app *a = userdata;
    botwire_str text;
    if (botwire_event_text(event, &text) == BOTWIRE_RESULT_OK && text.len > 0) {
        uint64_t call;
        check(botwire_bot_reply(bot, now_ms(), event, text.ptr, text.len, NULL, 0, &call),
              "reply");
    }
    check(botwire_bot_complete(bot, now_ms(), dispatch), "complete");
    counted(a);
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

static void unlink_request(app *a, request *done) {
    for (request **p = &a->requests; *p != NULL; p = &(*p)->next) {
        if (*p == done) {
            *p = done->next;
            return;
        }
    }
}

static void free_request(request *r) {
    curl_easy_cleanup(r->easy);
    curl_slist_free_all(r->headers);
    free(r->body);
    free(r);
}

static botwire_http_error_kind error_kind(CURLcode code) {
    switch (code) {
    case CURLE_OPERATION_TIMEDOUT: return BOTWIRE_HTTP_ERROR_KIND_TIMEOUT;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR: return BOTWIRE_HTTP_ERROR_KIND_CONNECT;
    default: return BOTWIRE_HTTP_ERROR_KIND_IO;
    }
}

/* Reports finished and aborted requests to the library. */
static void report_finished(app *a) {
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(a->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE) {
            continue;
        }
        request *r = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        CURLcode code = msg->data.result;
        curl_multi_remove_handle(a->multi, r->easy);
        unlink_request(a, r);
        if (code == CURLE_OK) {
            long status = 0;
            curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
            check(botwire_bot_handle_http_response(a->bot, now_ms(), r->id, (uint16_t)status,
                                                   (const uint8_t *)r->body, r->body_len),
                  "answer");
        } else {
            check(botwire_bot_handle_http_error(a->bot, now_ms(), r->id, error_kind(code)),
                  "answer");
        }
        free_request(r);
    }
    for (request *r = a->requests; r != NULL;) {
        request *next = r->next;
        if (r->aborted) {
            unlink_request(a, r);
            uint64_t id = r->id;
            free_request(r);
            check(botwire_bot_handle_http_error(a->bot, now_ms(), id,
                                                BOTWIRE_HTTP_ERROR_KIND_ABORTED),
                  "answer");
            next = a->requests; /* the library may have added or aborted requests */
        }
        r = next;
    }
}

int main(int argc, char **argv) {
    const char *token = argc > 1 ? argv[1] : getenv("BOTWIRE_TOKEN");
    const char *api_root = argc > 2 ? argv[2] : getenv("BOTWIRE_API_ROOT");
    const char *max = argc > 3 ? argv[3] : getenv("BOTWIRE_MAX_UPDATES");
    if (token == NULL || *token == '\0') {
        fprintf(stderr, "usage: echo_bot TOKEN [API_ROOT [MAX_UPDATES]] (or BOTWIRE_TOKEN, "
                        "BOTWIRE_API_ROOT, BOTWIRE_MAX_UPDATES)\n");
        return 2;
    }
    if (api_root == NULL || *api_root == '\0') {
        api_root = "https://api.telegram.org";
    }
    if (strlen(token) > 200 || strlen(api_root) > 500) {
        fprintf(stderr, "echo_bot: token or API root too long\n");
        return 2;
    }

    app a;
    memset(&a, 0, sizeof a);
    a.timer_at = BOTWIRE_NO_TIMER;
    a.max_updates = max != NULL ? (unsigned)strtoul(max, NULL, 10) : 0;

    char token_json[1300], root_json[3100], options[4600];
    json_string(token_json, token);
    json_string(root_json, api_root);
    int n = snprintf(options, sizeof options,
                     "{\"platform\":\"telegram\",\"token\":%s,\"apiRoot\":%s}", token_json,
                     root_json);
    botwire_result r = botwire_bot_new(options, (size_t)n, &a.bot);
    if (r != BOTWIRE_RESULT_OK) {
        die("cannot create the bot", r);
    }

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "echo_bot: curl_global_init failed\n");
        return 1;
    }
    a.multi = curl_multi_init();

    botwire_io_callbacks io;
    memset(&io, 0, sizeof io);
    io.version = BOTWIRE_IO_CALLBACKS_VERSION;
    io.userdata = &a;
    io.send_http = send_http;
    io.abort_http = abort_http;
    io.set_timer = set_timer;
    io.notice = notice;
    io.call_done = call_done;
    check(botwire_bot_set_callbacks(a.bot, &io), "set_callbacks");
    check(botwire_bot_on_command(a.bot, STR("start"), on_start, &a), "route /start");
    check(botwire_bot_on(a.bot, BOTWIRE_EVENT_KIND_MESSAGE, NULL, 0, on_message, &a),
          "route messages");
    check(botwire_bot_on_any(a.bot, on_other, &a), "route the rest");

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    fprintf(stderr, "echo_bot: polling %s\n", api_root);
    r = botwire_bot_start(a.bot, now_ms());
    if (r != BOTWIRE_RESULT_OK) {
        die("cannot start", r);
    }
    /* The loop: sockets and the timer; a signal is noticed within 250 ms. */
    while (!a.stopped) {
        if ((interrupted || a.stop_requested) && !a.stop_sent) {
            a.stop_sent = 1;
            fprintf(stderr, "echo_bot: stopping\n");
            check(botwire_bot_stop(a.bot, now_ms()), "stop");
            continue;
        }
        uint64_t now = now_ms();
        int wait = 250;
        if (a.timer_at != BOTWIRE_NO_TIMER) {
            wait = a.timer_at <= now ? 0 : (a.timer_at - now < 250 ? (int)(a.timer_at - now) : 250);
        }
        int running = 0;
        curl_multi_poll(a.multi, NULL, 0, wait, NULL);
        curl_multi_perform(a.multi, &running);
        report_finished(&a);
        if (a.timer_at != BOTWIRE_NO_TIMER && now_ms() >= a.timer_at) {
            a.timer_at = BOTWIRE_NO_TIMER;
            check(botwire_bot_handle_timeout(a.bot, now_ms()), "timeout");
        }
    }
    fprintf(stderr, "echo_bot: stopped after %u updates\n", a.handled);

    botwire_bot_free(a.bot);
    while (a.requests != NULL) { /* none is left after a graceful stop; just in case */
        request *next = a.requests->next;
        curl_multi_remove_handle(a.multi, a.requests->easy);
        free_request(a.requests);
        a.requests = next;
    }
    curl_multi_cleanup(a.multi);
    curl_global_cleanup();
    return 0;
}
