/*
 * The Telegram scenario of the C tests, played against botwire-sim over real HTTP, in the
 * mode the including program chooses (telegram_pull.c, telegram_callback.c):
 *
 *  1. /start            -> a greeting with an inline keyboard (reply with send options)
 *  2. button colour:red -> the press is answered and the message edited
 *  3. two texts         -> echoed, UTF-8 intact (emoji, accents)
 *  4. "fail once"       -> the handler fails its first attempt; the retry replies
 *  5. a dropped request -> sendMessage is not answered once; the action is repeated (timer)
 *  6. "later" + "next"  -> "later" is completed 300 ms after its handler returned; "next"
 *                          (same chat) is handled only after that (per-chat order)
 *  7. getMe by name     -> botwire_bot_call's outcome carries the bot's username
 *  8. stop              -> the stop output arrives, the cursor is confirmed on the server
 *
 * Every wait is bounded; any failed check makes the program exit non-zero.
 */
#ifndef BOTWIRE_TELEGRAM_SCENARIO_H
#define BOTWIRE_TELEGRAM_SCENARIO_H

#define _POSIX_C_SOURCE 200809L

#include "host.h"

#include <stdlib.h>
#include <string.h>

#define STR(s) (s), (sizeof(s) - 1)

typedef struct scenario {
    host host;
    sim_server sim;
    unsigned fail_once_attempts;
    uint64_t later_dispatch; /* 0 when none is waiting */
    uint64_t later_since;
} scenario;

static scenario *the_scenario(host *h) { return (scenario *)h->user; }

/* ---- handlers (shared by both modes) ---------------------------------------------------- */

static void reply(host *h, const botwire_event *event, const char *text, size_t len,
                  const char *options) {
    uint64_t call = 0;
    EXPECT_OK(botwire_bot_reply(h->bot, now_ms(), event, text, len, options,
                                options != NULL ? strlen(options) : 0, &call));
    CHECK(call != 0);
}

static void complete(host *h, uint64_t dispatch) {
    EXPECT_OK(botwire_bot_complete(h->bot, now_ms(), dispatch));
}

static void on_start(host *h, uint64_t dispatch, const botwire_event *event) {
    botwire_str command = {NULL, 0};
    if (h->mode == HOST_CALLBACKS) { /* a command route matched */
        EXPECT_OK(botwire_event_command(event, &command));
        CHECK(bstr_eq(command, "start"));
    }
    reply(h, event, STR("Hello! Pick a colour"),
          "{\"keyboard\":[[{\"text\":\"Red\",\"data\":\"colour:red\"},"
          "{\"text\":\"Green\",\"data\":\"colour:green\"}]]}");
    complete(h, dispatch);
}

static void on_colour(host *h, uint64_t dispatch, const botwire_event *event) {
    botwire_str data, query, chat, message;
    EXPECT_OK(botwire_event_callback_data(event, &data));
    EXPECT_OK(botwire_event_query_id(event, &query));
    EXPECT_OK(botwire_event_chat_key(event, &chat));
    EXPECT_OK(botwire_event_message_id(event, &message));
    const char *colour = data.len > 7 ? data.ptr + 7 : "?";
    if (h->mode == HOST_CALLBACKS) { /* a prefix route matched: the rest is the colour */
        botwire_str rest = {NULL, 0};
        EXPECT_OK(botwire_event_callback_rest(event, &rest));
        CHECK(bstr_eq(rest, colour));
    }
    buf text;
    buf_init(&text);
    buf_appendf(&text, "You picked %s", colour);
    uint64_t call = 0;
    EXPECT_OK(botwire_bot_answer_callback(h->bot, now_ms(), query.ptr, query.len, text.data,
                                          text.len, false, &call));
    buf_clear(&text);
    buf_appendf(&text, "You picked: %s", colour);
    EXPECT_OK(botwire_bot_edit_text(h->bot, now_ms(), chat.ptr, chat.len, message.ptr,
                                    message.len, text.data, text.len, NULL, 0, &call));
    buf_free(&text);
    complete(h, dispatch);
}

static void on_fail_once(host *h, uint64_t dispatch, const botwire_event *event) {
    scenario *s = the_scenario(h);
    uint64_t id = 0;
    uint32_t attempt = 0;
    EXPECT_OK(botwire_event_dispatch(event, &id, &attempt));
    CHECK(id == dispatch);
    s->fail_once_attempts++;
    CHECK(attempt == s->fail_once_attempts);
    if (attempt == 1) {
        EXPECT_OK(botwire_bot_fail(h->bot, now_ms(), dispatch, STR("first attempt fails")));
        return;
    }
    reply(h, event, STR("recovered on attempt 2"), NULL);
    complete(h, dispatch);
}

static void on_later(host *h, uint64_t dispatch, const botwire_event *event) {
    scenario *s = the_scenario(h);
    reply(h, event, STR("later"), NULL);
    s->later_dispatch = dispatch; /* completed by the scenario, 300 ms from now */
    s->later_since = now_ms();
}

static void on_echo(host *h, uint64_t dispatch, const botwire_event *event) {
    botwire_str text = {NULL, 0};
    if (botwire_event_text(event, &text) == BOTWIRE_RESULT_OK && text.len > 0) {
        reply(h, event, text.ptr, text.len, NULL);
    }
    complete(h, dispatch);
}

/* Pull mode: the scenario routes dispatches itself. */
static void route_by_hand(host *h, uint64_t dispatch, const botwire_event *event) {
    botwire_event_kind kind = 0;
    EXPECT_OK(botwire_event_get_kind(event, &kind));
    uint64_t id = 0;
    uint32_t attempt = 0;
    EXPECT_OK(botwire_event_dispatch(event, &id, &attempt));
    CHECK(id == dispatch);
    botwire_str text = {NULL, 0};
    int has_text = botwire_event_text(event, &text) == BOTWIRE_RESULT_OK;
    if (kind == BOTWIRE_EVENT_KIND_BUTTON_PRESS) {
        on_colour(h, dispatch, event);
    } else if (kind == BOTWIRE_EVENT_KIND_MESSAGE && has_text && bstr_eq(text, "/start")) {
        on_start(h, dispatch, event);
    } else if (has_text && bstr_eq(text, "fail once")) {
        on_fail_once(h, dispatch, event);
    } else if (has_text && bstr_eq(text, "later")) {
        on_later(h, dispatch, event);
    } else if (kind == BOTWIRE_EVENT_KIND_MESSAGE) {
        on_echo(h, dispatch, event);
    } else {
        complete(h, dispatch);
    }
}

/* Callback mode: routes registered with the bot call the handlers. */
static void route_start(void *userdata, botwire_bot *bot, uint64_t id, const botwire_event *e) {
    host *h = userdata;
    CHECK(bot == h->bot);
    on_start(h, id, e);
}
static void route_colour(void *userdata, botwire_bot *bot, uint64_t id, const botwire_event *e) {
    host *h = userdata;
    CHECK(bot == h->bot);
    on_colour(h, id, e);
}
static void route_fail_once(void *userdata, botwire_bot *bot, uint64_t id,
                            const botwire_event *e) {
    host *h = userdata;
    CHECK(bot == h->bot);
    on_fail_once(h, id, e);
}
static void route_later(void *userdata, botwire_bot *bot, uint64_t id, const botwire_event *e) {
    host *h = userdata;
    CHECK(bot == h->bot);
    on_later(h, id, e);
}
static void route_echo(void *userdata, botwire_bot *bot, uint64_t id, const botwire_event *e) {
    host *h = userdata;
    CHECK(bot == h->bot);
    on_echo(h, id, e);
}

/* ---- the scenario ----------------------------------------------------------------------- */

static scenario *waiting_scenario; /* for the predicates below */
static unsigned wanted_entries;

static unsigned transcript_len(const sim_server *sim) {
    json *state = sim_control(sim, "/control/state", NULL, 5000);
    int64_t len = -1;
    if (state == NULL || json_i64(json_path(state, "result.transcript_len"), &len) != 0) {
        len = -1;
    }
    json_free(state);
    return len < 0 ? 0 : (unsigned)len;
}

static int has_entries(host *h) {
    (void)h;
    return transcript_len(&waiting_scenario->sim) >= wanted_entries;
}

/* Runs the bot until the simulator's transcript has `n` entries (at most 15 s). */
static void run_until_transcript(scenario *s, unsigned n, const char *what) {
    waiting_scenario = s;
    wanted_entries = n;
    if (host_run_until(&s->host, has_entries, 15000) != 0) {
        fprintf(stderr, "timed out waiting for %s (%u transcript entries, have %u)\n", what, n,
                transcript_len(&s->sim));
        check_failures++;
    }
}

static int is_stopped(host *h) { return h->stopped; }

/* The transcript entry `index` (the caller frees `*doc`). */
static const json *entry(scenario *s, unsigned index, json **doc) {
    *doc = sim_tg_transcript(&s->sim, index, 1, 0);
    return json_path(*doc, "result.0");
}

static void expect_entry(scenario *s, unsigned index, const char *action, const char *text) {
    json *doc;
    const json *e = entry(s, index, &doc);
    CHECK_MSG(json_str_eq(json_get(e, "action"), action), "entry %u: action %s, expected %s",
              index, json_str(json_get(e, "action")) ? json_str(json_get(e, "action")) : "none",
              action);
    CHECK_MSG(json_str_eq(json_get(e, "text"), text), "entry %u: text %s, expected %s", index,
              json_str(json_get(e, "text")) ? json_str(json_get(e, "text")) : "none", text);
    json_free(doc);
}

static int run_telegram_scenario(host_mode mode, const char *program) {
    scenario *s = calloc(1, sizeof *s);
    if (s == NULL) {
        return 1;
    }
    if (sim_start(&s->sim, "telegram", NULL, 20000) != 0) {
        free(s);
        return 1;
    }
    buf options;
    buf_init(&options);
    buf_appendf(&options,
                "{\"platform\":\"telegram\",\"token\":\"%s\",\"apiRoot\":\"%s\","
                "\"polling\":{\"timeoutSecs\":5},\"dispatch\":{\"retryDelayMs\":50},"
                "\"actionRetryDelayMs\":100,\"callTimeoutMs\":3000}",
                SIM_TELEGRAM_TOKEN, s->sim.url);
    botwire_bot *bot = NULL;
    EXPECT_OK(botwire_bot_new(options.data, options.len, &bot));
    buf_free(&options);
    if (bot == NULL) {
        sim_stop(&s->sim);
        free(s);
        return 1;
    }
    host *h = &s->host;
    host_init(h, bot, mode);
    h->user = s;
    botwire_platform platform = 0;
    EXPECT_OK(botwire_bot_platform(bot, &platform));
    CHECK(platform == BOTWIRE_PLATFORM_TELEGRAM);
    if (mode == HOST_PULL) {
        h->on_dispatch = route_by_hand;
    } else {
        EXPECT_OK(botwire_bot_on_command(bot, STR("start"), route_start, h));
        EXPECT_OK(botwire_bot_on_callback_data(bot, STR("colour:"), true, route_colour, h));
        EXPECT_OK(botwire_bot_on_text(bot, STR("fail once"), true, route_fail_once, h));
        EXPECT_OK(botwire_bot_on_text(bot, STR("^lat(er)$"), false, route_later, h));
        EXPECT_OK(botwire_bot_on(bot, BOTWIRE_EVENT_KIND_MESSAGE, NULL, 0, route_echo, h));
    }
    EXPECT_OK(botwire_bot_start(bot, now_ms()));
    host_drain(h);

    /* 1. /start: a greeting with a keyboard. */
    CHECK(sim_tg_message(&s->sim, 42, "/start") > 0);
    run_until_transcript(s, 1, "the greeting");
    json *doc;
    const json *greeting = entry(s, 0, &doc);
    CHECK(json_str_eq(json_get(greeting, "text"), "Hello! Pick a colour"));
    CHECK(json_str_eq(json_path(greeting, "reply_markup.inline_keyboard.0.0.callback_data"),
                      "colour:red"));
    int64_t greeting_id = -1;
    CHECK(json_i64(json_get(greeting, "message_id"), &greeting_id) == 0);
    json_free(doc);

    /* 2. The button: answered, and the message edited (in either order). */
    CHECK(sim_tg_button(&s->sim, 42, greeting_id, "colour:red") == 0);
    run_until_transcript(s, 3, "the button's answer and edit");
    json *t = sim_tg_transcript(&s->sim, 1, 2, 0);
    int answered = 0, edited = 0;
    for (const json *e = json_get(t, "result") ? json_get(t, "result")->child : NULL; e != NULL;
         e = e->next) {
        answered += json_str_eq(json_get(e, "action"), "answered") &&
                    json_str_eq(json_get(e, "text"), "You picked red");
        int64_t id = -1;
        edited += json_str_eq(json_get(e, "action"), "edited") &&
                  json_str_eq(json_get(e, "text"), "You picked: red") &&
                  json_i64(json_get(e, "message_id"), &id) == 0 && id == greeting_id;
    }
    json_free(t);
    CHECK_MSG(answered == 1 && edited == 1, "answered %d, edited %d", answered, edited);

    /* 3. Echoes, UTF-8 intact. */
    CHECK(sim_tg_message(&s->sim, 42, "hello") > 0);
    CHECK(sim_tg_message(&s->sim, 42, "caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x82\xac") > 0);
    run_until_transcript(s, 5, "two echoes");
    expect_entry(s, 3, "sent", "hello");
    expect_entry(s, 4, "sent", "caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x82\xac");

    /* 4. A handler that fails once is retried. */
    CHECK(sim_tg_message(&s->sim, 42, "fail once") > 0);
    run_until_transcript(s, 6, "the retried handler's reply");
    expect_entry(s, 5, "sent", "recovered on attempt 2");
    CHECK_MSG(s->fail_once_attempts == 2, "%u attempts", s->fail_once_attempts);

    /* 5. A send whose request is dropped is repeated after the retry delay (a timer). */
    json *fault = sim_control(&s->sim, "/control/fault",
                              "{\"kind\":\"drop_request\",\"method\":\"sendMessage\",\"times\":1}",
                              5000);
    CHECK(fault != NULL);
    json_free(fault);
    unsigned timeouts_before = h->timeouts;
    CHECK(sim_tg_message(&s->sim, 42, "retry me") > 0);
    run_until_transcript(s, 7, "the repeated send");
    expect_entry(s, 6, "sent", "retry me");
    CHECK(h->timeouts > timeouts_before);

    /* 6. Completion later; the chat's next event waits for it. */
    CHECK(sim_tg_message(&s->sim, 42, "later") > 0);
    CHECK(sim_tg_message(&s->sim, 42, "next") > 0);
    run_until_transcript(s, 8, "the deferred handler's reply");
    CHECK(s->later_dispatch != 0);
    uint64_t until = now_ms() + 300;
    while (now_ms() < until) {
        host_step(h, until - now_ms());
    }
    CHECK_MSG(transcript_len(&s->sim) == 8, "%s", "the next event of the chat ran too early");
    if (s->later_dispatch != 0) {
        complete(h, s->later_dispatch);
        /* Completing the same dispatch again is an error, not a crash. */
        EXPECT(botwire_bot_complete(bot, now_ms(), s->later_dispatch),
               BOTWIRE_RESULT_UNKNOWN_DISPATCH);
        s->later_dispatch = 0;
        host_drain(h);
    }
    run_until_transcript(s, 9, "the chat's next event");
    expect_entry(s, 8, "sent", "next");

    /* 7. Any method by name. */
    uint64_t call = 0;
    EXPECT_OK(botwire_bot_call(bot, now_ms(), STR("getMe"), NULL, 0, &call));
    host_drain(h);
    uint64_t deadline = now_ms() + 10000;
    while (host_find_call(h, call) == NULL && now_ms() < deadline) {
        host_step(h, 100);
    }
    const host_call *me = host_find_call(h, call);
    CHECK_MSG(me != NULL && me->ok && strstr(me->json, "\"botwire_bot\"") != NULL, "getMe: %s",
              me != NULL ? me->json : "no outcome");
    /* The sends' outcomes came back too, all successful but the dropped one's retry. */
    unsigned failed = 0;
    for (size_t i = 0; i < h->call_count; i++) {
        failed += !h->calls[i].ok;
    }
    CHECK_MSG(failed == 0, "%u call(s) failed", failed);
    CHECK(h->call_count >= 9);

    /* 8. Graceful stop: the server has no update left for the next bot. */
    EXPECT_OK(botwire_bot_stop(bot, now_ms()));
    host_drain(h);
    CHECK_MSG(host_run_until(h, is_stopped, 15000) == 0, "%s", "no stop output");
    bool stopped = false;
    EXPECT_OK(botwire_bot_is_stopped(bot, &stopped));
    CHECK(stopped);
    json *state = sim_control(&s->sim, "/control/state", NULL, 5000);
    int64_t pending = -1;
    CHECK(json_i64(json_path(state, "result.pending_update_count"), &pending) == 0 &&
          pending == 0);
    json_free(state);
    CHECK(h->dead_letters == 0);

    printf("%s: %u requests, %u timer firings, %zu call outcomes\n", program, h->requests,
           h->timeouts, h->call_count);
    botwire_bot_free(bot);
    host_close(h);
    sim_stop(&s->sim);
    free(s);
    return check_report(program);
}

#endif
