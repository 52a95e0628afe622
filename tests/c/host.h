/*
 * A test host for a botwire_bot: it performs the bot's HTTP requests and WebSocket
 * operations with the loopback clients of support/, arms its timer, and feeds every
 * completion back, in one poll() loop. Two ways to drive the bot:
 *
 * - HOST_CALLBACKS: registers a botwire_io_callbacks table; the library calls send_http,
 *   ws_open, set_timer, ... itself; completions are reported from the loop (never from inside
 *   a callback, so the test covers the asynchronous path);
 * - HOST_PULL: after every input the host drains botwire_bot_poll_output() and performs the
 *   outputs; dispatches no route handled go to `on_dispatch`.
 *
 * Every library call the host makes is checked (a failure counts in check_failures).
 */
#ifndef BOTWIRE_TEST_HOST_H
#define BOTWIRE_TEST_HOST_H

#include "botwire.h"
#include "support/support.h"

#define HOST_MAX_HTTP 64
#define HOST_MAX_WS 8
#define HOST_MAX_CALLS 256

typedef enum host_mode { HOST_CALLBACKS, HOST_PULL } host_mode;

typedef struct host host;

/* Runs for a dispatch in pull mode (the output's event); must complete or fail it. */
typedef void (*host_dispatch_fn)(host *h, uint64_t dispatch_id, const botwire_event *event);

typedef struct host_call {
    uint64_t id;
    int ok;
    char *json; /* the result or the error JSON, malloc'd */
} host_call;

struct host {
    host_mode mode;
    botwire_bot *bot;
    host_dispatch_fn on_dispatch;
    void *user;

    struct {
        uint64_t id;
        http_conn *conn;
    } http[HOST_MAX_HTTP];
    size_t http_count;

    struct {
        uint64_t id;
        ws_conn *ws;
        unsigned pongs_reported;
        int report; /* 0 none, 1 opened, 2 closed (failed to open) */
    } ws[HOST_MAX_WS];
    size_t ws_count;

    uint64_t timer_at;

    host_call calls[HOST_MAX_CALLS];
    size_t call_count;

    /* what happened */
    int stopped;
    unsigned requests;
    unsigned ws_opened;
    unsigned ws_frames_in;
    unsigned ws_frames_out;
    unsigned ws_pongs;
    uint64_t last_ws_id; /* the id of the last socket the bot asked for */
    unsigned timeouts;
    unsigned notices;
    unsigned dead_letters;
    int verbose;
};

/* Prepares a host for `bot` (callbacks are registered in HOST_CALLBACKS mode). */
void host_init(host *h, botwire_bot *bot, host_mode mode);
/* Closes every connection still open (their answers are not reported) and frees records. */
void host_close(host *h);

/* One loop iteration: waits at most `max_wait_ms` for I/O or the timer, reports completions. */
void host_step(host *h, uint64_t max_wait_ms);
/* Steps until `done(h)` holds or `timeout_ms` passes; 0 when done. */
int host_run_until(host *h, int (*done)(host *h), uint64_t timeout_ms);

/* In pull mode, drains the output queue (call after any command issued by the test). */
void host_drain(host *h);

/* The outcome of call `id`, or NULL when it has not arrived. */
const host_call *host_find_call(const host *h, uint64_t id);

/* Expects `result` to be `expected`; on a mismatch prints both and the last error. */
void expect_result(botwire_result result, botwire_result expected, const char *what, int line);
#define EXPECT(call, expected) expect_result((call), (expected), #call, __LINE__)
#define EXPECT_OK(call) expect_result((call), BOTWIRE_RESULT_OK, #call, __LINE__)

/* The library's borrowed string as a printf argument pair. */
#define BSTR(s) (int)(s).len, (s).ptr
/* Whether a botwire_str equals a C string. */
int bstr_eq(botwire_str s, const char *text);

#endif
