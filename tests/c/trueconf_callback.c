/*
 * The TrueConf scenario in callback mode against botwire-sim --platform trueconf: the bot
 * logs in over HTTP (password grant), opens the bot WebSocket through the host's ws_open
 * (the test's RFC 6455 client), authorizes, and then:
 *
 *  1. /start, a text, a UTF-8 text -> a greeting and two echoes
 *  2. keep-alive                   -> WebSocket pings go out and pongs are reported
 *  3. getChats by name             -> botwire_bot_call's outcome lists the chat
 *  4. the server closes the socket -> the bot reconnects (reconnect timer) and goes on
 *  5. stop                         -> the stop notice arrives
 *
 * Every wait is bounded; any failed check makes the program exit non-zero.
 */
#define _POSIX_C_SOURCE 200809L

#include "host.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STR(s) (s), (sizeof(s) - 1)

static sim_server sim;

static void on_start(void *userdata, botwire_bot *bot, uint64_t id, const botwire_event *event) {
    host *h = userdata;
    CHECK(bot == h->bot);
    botwire_platform platform = 0;
    EXPECT_OK(botwire_event_platform(event, &platform));
    CHECK(platform == BOTWIRE_PLATFORM_TRUECONF);
    uint64_t call = 0;
    EXPECT_OK(botwire_bot_reply(bot, now_ms(), event, STR("Hello! I echo what you write."), NULL,
                                0, &call));
    EXPECT_OK(botwire_bot_complete(bot, now_ms(), id));
}

static void on_message(void *userdata, botwire_bot *bot, uint64_t id, const botwire_event *event) {
    host *h = userdata;
    CHECK(bot == h->bot);
    botwire_str text = {NULL, 0};
    if (botwire_event_text(event, &text) == BOTWIRE_RESULT_OK && text.len > 0) {
        botwire_str chat = {NULL, 0};
        EXPECT_OK(botwire_event_chat_key(event, &chat));
        CHECK(chat.len > 9 && memcmp(chat.ptr, "trueconf:", 9) == 0);
        uint64_t call = 0;
        EXPECT_OK(botwire_bot_send_text(bot, now_ms(), chat.ptr, chat.len, text.ptr, text.len,
                                        NULL, 0, &call));
    }
    EXPECT_OK(botwire_bot_complete(bot, now_ms(), id));
}

static int authorized_sockets(void) { return sim_tc_authorized_connections(&sim, 0, 0); }

static int is_connected(host *h) {
    (void)h;
    return authorized_sockets() >= 1;
}

static unsigned wanted_sent;

static unsigned sent_count(void) {
    json *t = sim_tc_transcript(&sim, 0, 0, 0);
    buf texts;
    buf_init(&texts);
    unsigned n = (unsigned)transcript_texts(json_get(t, "result"), "sent", &texts);
    buf_free(&texts);
    json_free(t);
    return n;
}

static int has_sent(host *h) {
    (void)h;
    return sent_count() >= wanted_sent;
}

static void run_until_sent(host *h, unsigned n) {
    wanted_sent = n;
    CHECK_MSG(host_run_until(h, has_sent, 15000) == 0, "waited for %u sent messages, have %u", n,
              sent_count());
}

static int has_pong(host *h) { return h->ws_pongs >= 1; }
static int is_stopped(host *h) { return h->stopped; }

int main(void) {
    if (sim_start(&sim, "trueconf", NULL, 20000) != 0) {
        return 1;
    }
    buf options;
    buf_init(&options);
    buf_appendf(&options,
                "{\"platform\":\"trueconf\",\"server\":\"127.0.0.1\",\"port\":%d,\"https\":false,"
                "\"username\":\"%s\",\"password\":\"%s\",\"keepAliveMs\":300,"
                "\"reconnectInitialMs\":100,\"reconnectMaxMs\":500}",
                sim.port, SIM_TRUECONF_USER, SIM_TRUECONF_PASSWORD);
    botwire_bot *bot = NULL;
    EXPECT_OK(botwire_bot_new(options.data, options.len, &bot));
    buf_free(&options);
    if (bot == NULL) {
        sim_stop(&sim);
        return 1;
    }
    host *h = calloc(1, sizeof *h);
    if (h == NULL) {
        abort();
    }
    host_init(h, bot, HOST_CALLBACKS);
    botwire_platform platform = 0;
    EXPECT_OK(botwire_bot_platform(bot, &platform));
    CHECK(platform == BOTWIRE_PLATFORM_TRUECONF);
    EXPECT_OK(botwire_bot_on_command(bot, STR("start"), on_start, h));
    EXPECT_OK(botwire_bot_on(bot, BOTWIRE_EVENT_KIND_MESSAGE, NULL, 0, on_message, h));
    /* The token's expiry is judged on the wall clock the simulator uses (Unix time). */
    EXPECT_OK(botwire_bot_set_wall_clock(bot, now_ms(), (int64_t)time(NULL) * 1000));
    EXPECT_OK(botwire_bot_start(bot, now_ms()));

    CHECK_MSG(host_run_until(h, is_connected, 15000) == 0, "%s", "the bot never authorized");
    CHECK(h->ws_opened == 1);
    uint64_t first_socket = h->last_ws_id;

    /* 1. Messages. */
    CHECK(sim_tc_message(&sim, "alice", "/start") == 0);
    CHECK(sim_tc_message(&sim, "alice", "hello") == 0);
    CHECK(sim_tc_message(&sim, "alice", "caf\xc3\xa9 \xf0\x9f\x98\x80") == 0);
    run_until_sent(h, 3);
    json *t = sim_tc_transcript(&sim, 0, 0, 0);
    buf texts;
    buf_init(&texts);
    transcript_texts(json_get(t, "result"), "sent", &texts);
    CHECK_MSG(strcmp(texts.data,
                     "Hello! I echo what you write.\nhello\ncaf\xc3\xa9 \xf0\x9f\x98\x80") == 0,
              "sent:\n%s", texts.data);
    json_free(t);

    /* 2. Keep-alive pings are answered and reported. */
    CHECK_MSG(host_run_until(h, has_pong, 5000) == 0, "%s", "no pong reported");

    /* 3. A method by name. */
    uint64_t call = 0;
    EXPECT_OK(botwire_bot_call(bot, now_ms(), STR("getChats"), STR("{\"count\":10,\"page\":1}"),
                               &call));
    uint64_t deadline = now_ms() + 10000;
    while (host_find_call(h, call) == NULL && now_ms() < deadline) {
        host_step(h, 100);
    }
    const host_call *chats = host_find_call(h, call);
    CHECK_MSG(chats != NULL && chats->ok && strstr(chats->json, "Alice") != NULL, "getChats: %s",
              chats != NULL ? chats->json : "no outcome");

    /* 4. The server drops the socket: the bot reconnects by itself. */
    json *closed = sim_control(&sim, "/_sim/trueconf/close", "{}", 5000);
    CHECK(closed != NULL);
    json_free(closed);
    deadline = now_ms() + 15000;
    while (h->ws_opened < 2 && now_ms() < deadline) {
        host_step(h, 100);
    }
    CHECK_MSG(h->ws_opened == 2, "%u sockets opened", h->ws_opened);
    CHECK_MSG(host_run_until(h, is_connected, 15000) == 0, "%s", "no authorized socket again");
    CHECK(sim_tc_message(&sim, "bob", "back again") == 0);
    run_until_sent(h, 4);
    t = sim_tc_transcript(&sim, 0, 0, 0);
    transcript_texts(json_get(t, "result"), "sent", &texts);
    CHECK_MSG(strstr(texts.data, "\nback again") != NULL, "sent:\n%s", texts.data);
    json_free(t);
    buf_free(&texts);

    /* 5. Graceful stop. */
    EXPECT_OK(botwire_bot_stop(bot, now_ms()));
    CHECK_MSG(host_run_until(h, is_stopped, 15000) == 0, "%s", "no stop notice");
    bool stopped = false;
    EXPECT_OK(botwire_bot_is_stopped(bot, &stopped));
    CHECK(stopped);
    /* The sockets' ids are spent: reports for them are refused, repeated or not. */
    uint64_t last_socket = h->last_ws_id;
    CHECK(last_socket != first_socket);
    const botwire_result C = BOTWIRE_RESULT_UNKNOWN_CONNECTION;
    EXPECT(botwire_bot_handle_ws_closed(bot, now_ms(), first_socket), C);
    EXPECT(botwire_bot_handle_ws_opened(bot, now_ms(), last_socket), C);
    EXPECT(botwire_bot_handle_ws_frame(bot, now_ms(), last_socket, STR("{}")), C);
    EXPECT(botwire_bot_handle_ws_pong(bot, now_ms(), last_socket), C);
    /* The close of the socket the bot closed itself may be reported once, not twice. */
    EXPECT_OK(botwire_bot_handle_ws_closed(bot, now_ms(), last_socket));
    EXPECT(botwire_bot_handle_ws_closed(bot, now_ms(), last_socket), C);
    EXPECT(botwire_bot_handle_ws_opened(bot, now_ms(), 987654321), C);
    unsigned failed = 0;
    for (size_t i = 0; i < h->call_count; i++) {
        failed += !h->calls[i].ok;
    }
    CHECK_MSG(failed == 0, "%u call(s) failed", failed);
    CHECK(h->dead_letters == 0);

    printf("trueconf_callback: %u HTTP requests, %u sockets, %u frames in, %u out, %u pongs\n",
           h->requests, h->ws_opened, h->ws_frames_in, h->ws_frames_out, h->ws_pongs);
    botwire_bot_free(bot);
    host_close(h);
    free(h);
    sim_stop(&sim);
    return check_report("trueconf_callback");
}
