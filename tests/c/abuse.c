/*
 * The abuse suite of libbotwire: every exported function that takes a pointer is called with
 * NULL in each pointer position, every string parameter with invalid UTF-8, the ids with
 * unknown and repeated values (requests, connections, dispatches), a dispatch is completed
 * twice, and a few more contract violations (unknown enum values, bad JSON, calls from a
 * storage callback, freeing a bot from its own callback). Each call must return the
 * documented result code, leave out-parameters untouched on failure, and never crash.
 *
 * Everything runs in memory: the bots' requests are answered by the test itself.
 * `make c-test` also checks that every function of include/botwire.h is named here.
 */
#define _POSIX_C_SOURCE 200809L

#include "host.h"

#include <stdlib.h>
#include <string.h>

#define STR(s) (s), (sizeof(s) - 1)
/* Not UTF-8: a lone continuation byte, an overlong encoding, a surrogate. */
#define BAD "a\x80" "b"
#define BAD_LEN 3
static const char *const bad_utf8[] = {"\x80", "\xc0\xaf", "\xed\xa0\x80", "ok\xff"};

static const uint64_t NOW = 1000;
static const char TG_OPTIONS[] =
    "{\"platform\":\"telegram\",\"token\":\"123456:ABUSE\",\"apiRoot\":\"http://127.0.0.1:9\"}";
static const char UPDATES[] =
    "{\"ok\":true,\"result\":[{\"update_id\":900,\"message\":{\"message_id\":5,\"date\":1,"
    "\"chat\":{\"id\":42,\"type\":\"private\",\"first_name\":\"Ana\"},"
    "\"from\":{\"id\":42,\"is_bot\":false,\"first_name\":\"Ana\",\"username\":\"ana\"},"
    "\"text\":\"/start a b\",\"entities\":[{\"type\":\"bot_command\",\"offset\":0,\"length\":6}]}}]}";
static const char SENT[] =
    "{\"ok\":true,\"result\":{\"message_id\":6,\"date\":1,\"chat\":{\"id\":42,\"type\":\"private\"},"
    "\"text\":\"hi\"}}";
static const char REFUSED[] =
    "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: chat not found\"}";

static botwire_bot *new_bot(const char *options) {
    botwire_bot *bot = NULL;
    EXPECT_OK(botwire_bot_new(options, strlen(options), &bot));
    if (bot == NULL) {
        exit(check_report("abuse"));
    }
    return bot;
}

/* ---- library-wide functions and the codec-level client ----------------------------------- */

static void library_functions(void) {
    CHECK(botwire_version() != NULL && strlen(botwire_version()) > 0);
    for (uint32_t code = 0; code <= 25; code++) {
        const char *m = botwire_result_message(code);
        CHECK(m != NULL && strlen(m) > 0);
    }
    CHECK(botwire_result_message(0xFFFFFFFFu) != NULL);
    const char *p = "sentinel";
    size_t n = 7;
    EXPECT(botwire_last_error(NULL, &n), BOTWIRE_RESULT_NULL_PARAMETER);
    EXPECT(botwire_last_error(&p, NULL), BOTWIRE_RESULT_NULL_PARAMETER);
    CHECK(n == 7 && strcmp(p, "sentinel") == 0);
    /* After a failure, the last error explains it. */
    EXPECT(botwire_bot_start(NULL, NOW), BOTWIRE_RESULT_NULL_PARAMETER);
    EXPECT_OK(botwire_last_error(&p, &n));
    CHECK(n > 0 && p[n] == '\0');
}

static void telegram_client(void) {
    botwire_telegram_client *c = NULL;
    botwire_telegram_client *untouched = (botwire_telegram_client *)&c;
    botwire_telegram_client *out = untouched;
    EXPECT(botwire_telegram_client_new(NULL, 5, STR("http://x"), &out),
           BOTWIRE_RESULT_NULL_PARAMETER);
    EXPECT(botwire_telegram_client_new(STR("1:a"), STR("http://x"), NULL),
           BOTWIRE_RESULT_NULL_PARAMETER);
    EXPECT(botwire_telegram_client_new(BAD, BAD_LEN, STR("http://x"), &out),
           BOTWIRE_RESULT_INVALID_UTF8);
    EXPECT(botwire_telegram_client_new(STR("1:a"), BAD, BAD_LEN, &out),
           BOTWIRE_RESULT_INVALID_UTF8);
    CHECK(out == untouched);
    EXPECT_OK(botwire_telegram_client_new(STR("1:a"), NULL, 0, &c)); /* default root */
    botwire_telegram_client_free(c);
    c = NULL;
    EXPECT_OK(botwire_telegram_client_new(STR("1:a"), STR("http://127.0.0.1:9"), &c));

    EXPECT(botwire_telegram_client_start(NULL, NOW), BOTWIRE_RESULT_NULL_PARAMETER);
    EXPECT(botwire_telegram_client_stop(NULL, NOW), BOTWIRE_RESULT_NULL_PARAMETER);
    EXPECT(botwire_telegram_client_handle_timeout(NULL, NOW), BOTWIRE_RESULT_NULL_PARAMETER);
    uint64_t id = 77;
    EXPECT(botwire_telegram_client_call(NULL, NOW, STR("getMe"), NULL, 0, &id),
           BOTWIRE_RESULT_NULL_PARAMETER);
    EXPECT(botwire_telegram_client_call(c, NOW, NULL, 5, NULL, 0, &id),
           BOTWIRE_RESULT_NULL_PARAMETER);
    EXPECT(botwire_telegram_client_call(c, NOW, STR("getMe"), NULL, 0, NULL),
           BOTWIRE_RESULT_NULL_PARAMETER);
    for (size_t i = 0; i < sizeof bad_utf8 / sizeof bad_utf8[0]; i++) {
        EXPECT(botwire_telegram_client_call(c, NOW, bad_utf8[i], strlen(bad_utf8[i]), NULL, 0,
                                            &id),
               BOTWIRE_RESULT_INVALID_UTF8);
        EXPECT(botwire_telegram_client_call(c, NOW, STR("sendMessage"), bad_utf8[i],
                                            strlen(bad_utf8[i]), &id),
               BOTWIRE_RESULT_INVALID_UTF8);
    }
    CHECK(id == 77);
    EXPECT_OK(botwire_telegram_client_call(c, NOW, STR("getMe"), NULL, 0, &id));
    const char *json = "sentinel";
    size_t len = 3;
    EXPECT(botwire_telegram_client_poll_output(NULL, &json, &len), BOTWIRE_RESULT_NULL_PARAMETER);
    EXPECT(botwire_telegram_client_poll_output(c, NULL, &len), BOTWIRE_RESULT_NULL_PARAMETER);
    EXPECT(botwire_telegram_client_poll_output(c, &json, NULL), BOTWIRE_RESULT_NULL_PARAMETER);
    CHECK(len == 3 && strcmp(json, "sentinel") == 0);
    EXPECT_OK(botwire_telegram_client_poll_output(c, &json, &len));
    uint64_t at = 5;
    EXPECT(botwire_telegram_client_poll_timeout(NULL, &at), BOTWIRE_RESULT_NULL_PARAMETER);
    EXPECT(botwire_telegram_client_poll_timeout(c, NULL), BOTWIRE_RESULT_NULL_PARAMETER);
    CHECK(at == 5);

    /* Answers: NULL client, NULL body with a length, unknown and repeated ids. */
    EXPECT(botwire_telegram_client_handle_http_response(NULL, NOW, id, 200, NULL, 0),
           BOTWIRE_RESULT_NULL_PARAMETER);
    EXPECT(botwire_telegram_client_handle_http_response(c, NOW, id, 200, NULL, 4),
           BOTWIRE_RESULT_NULL_PARAMETER);
    EXPECT(botwire_telegram_client_handle_http_response(c, NOW, id + 1000, 200,
                                                        (const uint8_t *)STR("{}")),
           BOTWIRE_RESULT_UNKNOWN_REQUEST);
    EXPECT(botwire_telegram_client_handle_http_error(NULL, NOW, id, 1),
           BOTWIRE_RESULT_NULL_PARAMETER);
    EXPECT(botwire_telegram_client_handle_http_error(c, NOW, id, 0),
           BOTWIRE_RESULT_INVALID_PARAMETER);
    EXPECT(botwire_telegram_client_handle_http_error(c, NOW, id, 99),
           BOTWIRE_RESULT_INVALID_PARAMETER);
    /* Invalid UTF-8 and garbage in an answer body are the request's failure, not an error. */
    EXPECT_OK(botwire_telegram_client_handle_http_response(c, NOW, id, 200,
                                                           (const uint8_t *)BAD, BAD_LEN));
    EXPECT(botwire_telegram_client_handle_http_response(c, NOW, id, 200,
                                                        (const uint8_t *)STR("{}")),
           BOTWIRE_RESULT_UNKNOWN_REQUEST);
    EXPECT(botwire_telegram_client_handle_http_error(c, NOW, id, BOTWIRE_HTTP_ERROR_KIND_IO),
           BOTWIRE_RESULT_UNKNOWN_REQUEST);
    while (botwire_telegram_client_poll_output(c, &json, &len) == BOTWIRE_RESULT_OK) {
    }
    botwire_telegram_client_free(c);
    botwire_telegram_client_free(NULL);
}

/* ---- bot creation and bot-level functions ------------------------------------------------- */

static void bot_creation(void) {
    botwire_bot *sentinel = (botwire_bot *)&sentinel;
    botwire_bot *out = sentinel;
    EXPECT(botwire_bot_new(NULL, 10, &out), BOTWIRE_RESULT_NULL_PARAMETER);
    EXPECT(botwire_bot_new(STR(TG_OPTIONS), NULL), BOTWIRE_RESULT_NULL_PARAMETER);
    for (size_t i = 0; i < sizeof bad_utf8 / sizeof bad_utf8[0]; i++) {
        EXPECT(botwire_bot_new(bad_utf8[i], strlen(bad_utf8[i]), &out),
               BOTWIRE_RESULT_INVALID_UTF8);
    }
    static const char *const invalid[] = {
        "", "{", "[]", "{\"platform\":\"telegram\"}", "{\"platform\":\"icq\",\"token\":\"1:a\"}",
        "{\"platform\":\"telegram\",\"token\":\"1:a\",\"tokn\":1}",
        "{\"platform\":\"trueconf\",\"server\":\"s\"}",
        "{\"platform\":\"telegram\",\"token\":\"1:a\",\"dispatch\":{\"concurrency\":\"x\"}}",
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        botwire_result r = botwire_bot_new(invalid[i], strlen(invalid[i]), &out);
        CHECK_MSG(r == BOTWIRE_RESULT_INVALID_OPTIONS, "options %s: result %u", invalid[i],
                  (unsigned)r);
    }
    CHECK(out == sentinel);
    botwire_bot_free(NULL);
}

static void null_bot(void) {
    uint64_t id = 0;
    bool flag = false;
    size_t count = 0;
    botwire_str s = {NULL, 0};
    uint16_t status = 0;
    botwire_platform platform = 0;
    const botwire_output *output = NULL;
    const botwire_result N = BOTWIRE_RESULT_NULL_PARAMETER;
    /* Only the bot is wrong in each call (the other arguments are valid). */
    EXPECT(botwire_bot_act(NULL, NOW, STR("{\"action\":\"typing\",\"chat\":\"telegram:42\"}"), &id),
           N);
    EXPECT(botwire_bot_call(NULL, NOW, STR("getMe"), NULL, 0, &id), N);
    EXPECT(botwire_bot_send_text(NULL, NOW, STR("telegram:42"), STR("x"), NULL, 0, &id), N);
    EXPECT(botwire_bot_reply(NULL, NOW, NULL, STR("x"), NULL, 0, &id), N);
    EXPECT(botwire_bot_edit_text(NULL, NOW, STR("telegram:42"), STR("1"), STR("x"), NULL, 0, &id),
           N);
    EXPECT(botwire_bot_delete_message(NULL, NOW, STR("telegram:42"), STR("1"), &id), N);
    EXPECT(botwire_bot_answer_callback(NULL, NOW, STR("q"), NULL, 0, false, &id), N);
    EXPECT(botwire_bot_send_typing(NULL, NOW, STR("telegram:42"), &id), N);
    EXPECT(botwire_bot_send_file(NULL, NOW, STR("telegram:42"), BOTWIRE_FILE_KIND_DOCUMENT,
                                 STR("a.txt"), NULL, 0, (const uint8_t *)STR("x"), NULL, 0, &id),
           N);
    EXPECT(botwire_bot_complete(NULL, NOW, 1), N);
    EXPECT(botwire_bot_fail(NULL, NOW, 1, NULL, 0), N);
    EXPECT(botwire_bot_conversation_enter(NULL, NOW, STR("k"), &flag), N);
    EXPECT(botwire_bot_conversation_get(NULL, STR("k"), &s), N);
    EXPECT(botwire_bot_conversation_set(NULL, NOW, STR("k"), STR("1")), N);
    EXPECT(botwire_bot_conversation_leave(NULL, STR("k"), &flag), N);
    EXPECT(botwire_bot_conversations_restore(NULL, NOW, &count), N);
    EXPECT(botwire_bot_set_callbacks(NULL, NULL), N);
    EXPECT(botwire_bot_platform(NULL, &platform), N);
    EXPECT(botwire_bot_start(NULL, NOW), N);
    EXPECT(botwire_bot_stop(NULL, NOW), N);
    EXPECT(botwire_bot_is_stopped(NULL, &flag), N);
    EXPECT(botwire_bot_set_wall_clock(NULL, NOW, 0), N);
    EXPECT(botwire_bot_handle_http_response(NULL, NOW, 1, 200, NULL, 0), N);
    EXPECT(botwire_bot_handle_http_error(NULL, NOW, 1, 1), N);
    EXPECT(botwire_bot_handle_ws_opened(NULL, NOW, 1), N);
    EXPECT(botwire_bot_handle_ws_frame(NULL, NOW, 1, STR("{}")), N);
    EXPECT(botwire_bot_handle_ws_pong(NULL, NOW, 1), N);
    EXPECT(botwire_bot_handle_ws_closed(NULL, NOW, 1), N);
    EXPECT(botwire_bot_handle_timeout(NULL, NOW), N);
    EXPECT(botwire_bot_handle_webhook(NULL, NOW, NULL, 0, NULL, 0, &status, &s), N);
    EXPECT(botwire_bot_handle_update(NULL, NOW, STR("{\"update_id\":1}")), N);
    EXPECT(botwire_bot_poll_output(NULL, &output), N);
    uint64_t at = 0;
    EXPECT(botwire_bot_poll_timeout(NULL, &at), N);
    EXPECT(botwire_bot_export_state(NULL, 0, &s), N);
    EXPECT(botwire_bot_restore_state(NULL, NOW, STR("{}"), 0, &count), N);
    EXPECT(botwire_bot_set_username(NULL, STR("b")), N);
    EXPECT(botwire_bot_on_command(NULL, STR("start"), NULL, NULL), N);
    EXPECT(botwire_bot_on(NULL, BOTWIRE_EVENT_KIND_MESSAGE, NULL, 0, NULL, NULL), N);
    EXPECT(botwire_bot_on_callback_data(NULL, STR("x"), false, NULL, NULL), N);
    EXPECT(botwire_bot_on_callback_regex(NULL, STR("x"), NULL, NULL), N);
    EXPECT(botwire_bot_on_text(NULL, STR("x"), false, NULL, NULL), N);
    EXPECT(botwire_bot_on_inline_query(NULL, NULL, 0, NULL, NULL), N);
    EXPECT(botwire_bot_on_any(NULL, NULL, NULL), N);
    EXPECT(botwire_storage_value_set(NULL, NULL, 0), N);
    EXPECT(botwire_storage_keys_add(NULL, STR("k")), N);
    CHECK(id == 0 && !flag && count == 0 && s.ptr == NULL && status == 0 && platform == 0 &&
          output == NULL && at == 0);
}

static void ignore_event(void *userdata, botwire_bot *bot, uint64_t id, const botwire_event *e) {
    (void)userdata;
    (void)e;
    EXPECT_OK(botwire_bot_complete(bot, NOW, id));
}

/* NULL pointers other than the bot, invalid UTF-8 in every string, bad values. */
static void bot_parameters(botwire_bot *bot) {
    const botwire_result N = BOTWIRE_RESULT_NULL_PARAMETER;
    const botwire_result U = BOTWIRE_RESULT_INVALID_UTF8;
    uint64_t id = 0;
    bool flag = false;
    size_t count = 0;
    botwire_str s = {NULL, 0};
    static const char key[] = "telegram:42";

    EXPECT(botwire_bot_act(bot, NOW, NULL, 3, &id), N);
    EXPECT(botwire_bot_act(bot, NOW, STR("{\"action\":\"typing\",\"chat\":\"telegram:42\"}"), NULL),
           N);
    EXPECT(botwire_bot_act(bot, NOW, BAD, BAD_LEN, &id), U);
    EXPECT(botwire_bot_act(bot, NOW, STR("{\"action\":"), &id), BOTWIRE_RESULT_INVALID_JSON);
    EXPECT(botwire_bot_act(bot, NOW, STR("{\"action\":\"teleport\"}"), &id),
           BOTWIRE_RESULT_INVALID_JSON);

    EXPECT(botwire_bot_call(bot, NOW, NULL, 5, NULL, 0, &id), N);
    EXPECT(botwire_bot_call(bot, NOW, STR("getMe"), NULL, 0, NULL), N);
    EXPECT(botwire_bot_call(bot, NOW, BAD, BAD_LEN, NULL, 0, &id), U);
    EXPECT(botwire_bot_call(bot, NOW, STR("sendMessage"), BAD, BAD_LEN, &id), U);
    EXPECT(botwire_bot_call(bot, NOW, STR("sendMessage"), STR("{\"chat_id\":"), &id),
           BOTWIRE_RESULT_INVALID_JSON);
    EXPECT(botwire_bot_call(bot, NOW, STR("noSuchMethod"), NULL, 0, &id),
           BOTWIRE_RESULT_INVALID_ARGUMENTS);

    EXPECT(botwire_bot_send_text(bot, NOW, NULL, 3, STR("x"), NULL, 0, &id), N);
    EXPECT(botwire_bot_send_text(bot, NOW, STR(key), NULL, 3, NULL, 0, &id), N);
    EXPECT(botwire_bot_send_text(bot, NOW, STR(key), STR("x"), NULL, 0, NULL), N);
    EXPECT(botwire_bot_send_text(bot, NOW, BAD, BAD_LEN, STR("x"), NULL, 0, &id), U);
    EXPECT(botwire_bot_send_text(bot, NOW, STR(key), BAD, BAD_LEN, NULL, 0, &id), U);
    EXPECT(botwire_bot_send_text(bot, NOW, STR(key), STR("x"), BAD, BAD_LEN, &id), U);
    EXPECT(botwire_bot_send_text(bot, NOW, STR(key), STR("x"), STR("{\"keyboard\":"), &id),
           BOTWIRE_RESULT_INVALID_JSON);
    EXPECT(botwire_bot_send_text(bot, NOW, STR("nonsense"), STR("x"), NULL, 0, &id),
           BOTWIRE_RESULT_INVALID_ARGUMENTS);

    EXPECT(botwire_bot_reply(bot, NOW, NULL, STR("x"), NULL, 0, &id), N);

    EXPECT(botwire_bot_edit_text(bot, NOW, NULL, 3, STR("1"), STR("x"), NULL, 0, &id), N);
    EXPECT(botwire_bot_edit_text(bot, NOW, STR(key), NULL, 1, STR("x"), NULL, 0, &id), N);
    EXPECT(botwire_bot_edit_text(bot, NOW, STR(key), STR("1"), NULL, 1, NULL, 0, &id), N);
    EXPECT(botwire_bot_edit_text(bot, NOW, STR(key), STR("1"), STR("x"), NULL, 0, NULL), N);
    EXPECT(botwire_bot_edit_text(bot, NOW, BAD, BAD_LEN, STR("1"), STR("x"), NULL, 0, &id), U);
    EXPECT(botwire_bot_edit_text(bot, NOW, STR(key), BAD, BAD_LEN, STR("x"), NULL, 0, &id), U);
    EXPECT(botwire_bot_edit_text(bot, NOW, STR(key), STR("1"), BAD, BAD_LEN, NULL, 0, &id), U);
    EXPECT(botwire_bot_edit_text(bot, NOW, STR(key), STR("1"), STR("x"), BAD, BAD_LEN, &id), U);

    EXPECT(botwire_bot_delete_message(bot, NOW, NULL, 3, STR("1"), &id), N);
    EXPECT(botwire_bot_delete_message(bot, NOW, STR(key), NULL, 1, &id), N);
    EXPECT(botwire_bot_delete_message(bot, NOW, STR(key), STR("1"), NULL), N);
    EXPECT(botwire_bot_delete_message(bot, NOW, BAD, BAD_LEN, STR("1"), &id), U);
    EXPECT(botwire_bot_delete_message(bot, NOW, STR(key), BAD, BAD_LEN, &id), U);

    EXPECT(botwire_bot_answer_callback(bot, NOW, NULL, 1, NULL, 0, false, &id), N);
    EXPECT(botwire_bot_answer_callback(bot, NOW, STR("q"), NULL, 0, false, NULL), N);
    EXPECT(botwire_bot_answer_callback(bot, NOW, BAD, BAD_LEN, NULL, 0, false, &id), U);
    EXPECT(botwire_bot_answer_callback(bot, NOW, STR("q"), BAD, BAD_LEN, true, &id), U);

    EXPECT(botwire_bot_send_typing(bot, NOW, NULL, 3, &id), N);
    EXPECT(botwire_bot_send_typing(bot, NOW, STR(key), NULL), N);
    EXPECT(botwire_bot_send_typing(bot, NOW, BAD, BAD_LEN, &id), U);

    const uint8_t *data = (const uint8_t *)"xyz";
    const uint32_t doc = BOTWIRE_FILE_KIND_DOCUMENT;
    EXPECT(botwire_bot_send_file(bot, NOW, NULL, 3, doc, STR("a"), NULL, 0, data, 3, NULL, 0, &id),
           N);
    EXPECT(botwire_bot_send_file(bot, NOW, STR(key), doc, NULL, 1, NULL, 0, data, 3, NULL, 0, &id),
           N);
    EXPECT(botwire_bot_send_file(bot, NOW, STR(key), doc, STR("a"), NULL, 0, NULL, 3, NULL, 0, &id),
           N);
    EXPECT(botwire_bot_send_file(bot, NOW, STR(key), doc, STR("a"), NULL, 0, data, 3, NULL, 0,
                                 NULL),
           N);
    EXPECT(botwire_bot_send_file(bot, NOW, BAD, BAD_LEN, doc, STR("a"), NULL, 0, data, 3, NULL, 0,
                                 &id),
           U);
    EXPECT(botwire_bot_send_file(bot, NOW, STR(key), doc, BAD, BAD_LEN, NULL, 0, data, 3, NULL, 0,
                                 &id),
           U);
    EXPECT(botwire_bot_send_file(bot, NOW, STR(key), doc, STR("a"), BAD, BAD_LEN, data, 3, NULL, 0,
                                 &id),
           U);
    EXPECT(botwire_bot_send_file(bot, NOW, STR(key), doc, STR("a"), NULL, 0, data, 3, BAD, BAD_LEN,
                                 &id),
           U);
    EXPECT(botwire_bot_send_file(bot, NOW, STR(key), 0, STR("a"), NULL, 0, data, 3, NULL, 0, &id),
           BOTWIRE_RESULT_INVALID_PARAMETER);
    EXPECT(botwire_bot_send_file(bot, NOW, STR(key), 99, STR("a"), NULL, 0, data, 3, NULL, 0, &id),
           BOTWIRE_RESULT_INVALID_PARAMETER);

    /* Dispatch ids never issued. */
    EXPECT(botwire_bot_complete(bot, NOW, 0), BOTWIRE_RESULT_UNKNOWN_DISPATCH);
    EXPECT(botwire_bot_complete(bot, NOW, 987654321), BOTWIRE_RESULT_UNKNOWN_DISPATCH);
    EXPECT(botwire_bot_fail(bot, NOW, 987654321, NULL, 0), BOTWIRE_RESULT_UNKNOWN_DISPATCH);
    EXPECT(botwire_bot_fail(bot, NOW, 987654321, NULL, 5), BOTWIRE_RESULT_UNKNOWN_DISPATCH);

    /* Conversations (in memory here). */
    EXPECT(botwire_bot_conversation_enter(bot, NOW, NULL, 1, &flag), N);
    EXPECT(botwire_bot_conversation_enter(bot, NOW, STR("k"), NULL), N);
    EXPECT(botwire_bot_conversation_enter(bot, NOW, BAD, BAD_LEN, &flag), U);
    EXPECT(botwire_bot_conversation_get(bot, NULL, 1, &s), N);
    EXPECT(botwire_bot_conversation_get(bot, STR("k"), NULL), N);
    EXPECT(botwire_bot_conversation_get(bot, BAD, BAD_LEN, &s), U);
    EXPECT(botwire_bot_conversation_get(bot, STR("nobody"), &s), BOTWIRE_RESULT_EMPTY);
    EXPECT(botwire_bot_conversation_set(bot, NOW, NULL, 1, STR("1")), N);
    EXPECT(botwire_bot_conversation_set(bot, NOW, STR("k"), NULL, 1), N);
    EXPECT(botwire_bot_conversation_set(bot, NOW, BAD, BAD_LEN, STR("1")), U);
    EXPECT(botwire_bot_conversation_set(bot, NOW, STR("k"), BAD, BAD_LEN), U);
    EXPECT(botwire_bot_conversation_set(bot, NOW, STR("k"), STR("{not json")),
           BOTWIRE_RESULT_INVALID_JSON);
    EXPECT(botwire_bot_conversation_leave(bot, NULL, 1, &flag), N);
    EXPECT(botwire_bot_conversation_leave(bot, STR("k"), NULL), N);
    EXPECT(botwire_bot_conversation_leave(bot, BAD, BAD_LEN, &flag), U);
    CHECK(!flag && s.ptr == NULL);
    EXPECT_OK(botwire_bot_conversation_set(bot, NOW, STR("k"), STR("{\"n\":1}")));
    EXPECT_OK(botwire_bot_conversation_get(bot, STR("k"), &s));
    CHECK(bstr_eq(s, "{\"n\":1}"));
    EXPECT_OK(botwire_bot_conversation_leave(bot, STR("k"), &flag));
    CHECK(flag);
    EXPECT_OK(botwire_bot_conversation_leave(bot, STR("k"), &flag));
    CHECK(!flag);
    EXPECT(botwire_bot_conversations_restore(bot, NOW, NULL), N);
    EXPECT(botwire_bot_conversations_restore(bot, NOW, &count), BOTWIRE_RESULT_WRONG_STATE);

    /* Callbacks table: an unknown version. */
    botwire_io_callbacks table;
    memset(&table, 0, sizeof table);
    table.version = 999;
    EXPECT(botwire_bot_set_callbacks(bot, &table), BOTWIRE_RESULT_INVALID_PARAMETER);
    table.version = 0;
    EXPECT(botwire_bot_set_callbacks(bot, &table), BOTWIRE_RESULT_INVALID_PARAMETER);
    EXPECT_OK(botwire_bot_set_callbacks(bot, NULL));

    botwire_platform platform = 0;
    EXPECT(botwire_bot_platform(bot, NULL), N);
    EXPECT(botwire_bot_is_stopped(bot, NULL), N);
    EXPECT_OK(botwire_bot_platform(bot, &platform));
    CHECK(platform == BOTWIRE_PLATFORM_TELEGRAM);

    /* Inputs. */
    EXPECT(botwire_bot_handle_http_response(bot, NOW, 1, 200, NULL, 5), N);
    EXPECT(botwire_bot_handle_http_response(bot, NOW, 987654321, 200, NULL, 0),
           BOTWIRE_RESULT_UNKNOWN_REQUEST);
    EXPECT(botwire_bot_handle_http_error(bot, NOW, 987654321, BOTWIRE_HTTP_ERROR_KIND_IO),
           BOTWIRE_RESULT_UNKNOWN_REQUEST);
    EXPECT(botwire_bot_handle_http_error(bot, NOW, 1, 0), BOTWIRE_RESULT_INVALID_PARAMETER);
    EXPECT(botwire_bot_handle_http_error(bot, NOW, 1, 6), BOTWIRE_RESULT_INVALID_PARAMETER);
    /* WebSocket inputs do not apply to a Telegram bot. */
    EXPECT(botwire_bot_handle_ws_opened(bot, NOW, 1), BOTWIRE_RESULT_NOT_SUPPORTED);
    EXPECT(botwire_bot_handle_ws_frame(bot, NOW, 1, STR("{}")), BOTWIRE_RESULT_NOT_SUPPORTED);
    EXPECT(botwire_bot_handle_ws_frame(bot, NOW, 1, NULL, 2), N);
    EXPECT(botwire_bot_handle_ws_frame(bot, NOW, 1, BAD, BAD_LEN), U);
    EXPECT(botwire_bot_handle_ws_pong(bot, NOW, 1), BOTWIRE_RESULT_NOT_SUPPORTED);
    EXPECT(botwire_bot_handle_ws_closed(bot, NOW, 1), BOTWIRE_RESULT_NOT_SUPPORTED);

    uint16_t status = 0;
    botwire_header header = {{STR("X-Telegram-Bot-Api-Secret-Token")}, {STR("s")}};
    botwire_header bad_header = {{STR("X-Bad")}, {BAD, BAD_LEN}};
    EXPECT(botwire_bot_handle_webhook(bot, NOW, NULL, 0, NULL, 0, NULL, &s), N);
    EXPECT(botwire_bot_handle_webhook(bot, NOW, NULL, 0, NULL, 0, &status, NULL), N);
    EXPECT(botwire_bot_handle_webhook(bot, NOW, NULL, 1, NULL, 0, &status, &s), N);
    EXPECT(botwire_bot_handle_webhook(bot, NOW, &header, 1, NULL, 4, &status, &s), N);
    EXPECT(botwire_bot_handle_webhook(bot, NOW, &bad_header, 1, NULL, 0, &status, &s), U);
    botwire_header bad_name = {{BAD, BAD_LEN}, {STR("v")}};
    EXPECT(botwire_bot_handle_webhook(bot, NOW, &bad_name, 1, NULL, 0, &status, &s), U);
    CHECK(status == 0);
    /* A polling bot takes no webhook: answered 404, not an error. */
    EXPECT_OK(botwire_bot_handle_webhook(bot, NOW, &header, 1, (const uint8_t *)STR("{}"), &status,
                                         &s));
    CHECK(status == 404);

    EXPECT(botwire_bot_handle_update(bot, NOW, NULL, 2), N);
    EXPECT(botwire_bot_handle_update(bot, NOW, BAD, BAD_LEN), U);
    EXPECT(botwire_bot_handle_update(bot, NOW, STR("{\"update_id\":1}")),
           BOTWIRE_RESULT_WRONG_STATE);

    EXPECT(botwire_bot_poll_output(bot, NULL), N);
    EXPECT(botwire_bot_poll_timeout(bot, NULL), N);
    EXPECT(botwire_bot_export_state(bot, 0, NULL), N);
    EXPECT_OK(botwire_bot_export_state(bot, 0, &s));
    CHECK(s.ptr != NULL && s.len > 0 && s.ptr[s.len] == '\0');
    EXPECT(botwire_bot_restore_state(bot, NOW, NULL, 2, 0, &count), N);
    EXPECT(botwire_bot_restore_state(bot, NOW, STR("{}"), 0, NULL), N);
    EXPECT(botwire_bot_restore_state(bot, NOW, BAD, BAD_LEN, 0, &count), U);
    EXPECT(botwire_bot_restore_state(bot, NOW, STR("[1,2"), 0, &count),
           BOTWIRE_RESULT_INVALID_JSON);
    EXPECT(botwire_bot_set_username(bot, BAD, BAD_LEN), U);
    EXPECT_OK(botwire_bot_set_username(bot, NULL, 0));
    EXPECT_OK(botwire_bot_set_username(bot, STR("abuse_bot")));

    /* Routes. */
    EXPECT(botwire_bot_on_command(bot, NULL, 5, ignore_event, NULL), N);
    EXPECT(botwire_bot_on_command(bot, STR("start"), NULL, NULL), N);
    EXPECT(botwire_bot_on_command(bot, BAD, BAD_LEN, ignore_event, NULL), U);
    EXPECT(botwire_bot_on_command(bot, "", 0, ignore_event, NULL), BOTWIRE_RESULT_INVALID_PARAMETER);
    EXPECT(botwire_bot_on_command(bot, STR("two words"), ignore_event, NULL),
           BOTWIRE_RESULT_INVALID_PARAMETER);
    EXPECT(botwire_bot_on(bot, BOTWIRE_EVENT_KIND_MESSAGE, NULL, 0, NULL, NULL), N);
    EXPECT(botwire_bot_on(bot, BOTWIRE_EVENT_KIND_MESSAGE, BAD, BAD_LEN, ignore_event, NULL), U);
    EXPECT(botwire_bot_on(bot, 9999, NULL, 0, ignore_event, NULL),
           BOTWIRE_RESULT_INVALID_PARAMETER);
    EXPECT(botwire_bot_on_callback_data(bot, NULL, 1, false, ignore_event, NULL), N);
    EXPECT(botwire_bot_on_callback_data(bot, STR("x"), false, NULL, NULL), N);
    EXPECT(botwire_bot_on_callback_data(bot, BAD, BAD_LEN, true, ignore_event, NULL), U);
    EXPECT(botwire_bot_on_callback_regex(bot, NULL, 1, ignore_event, NULL), N);
    EXPECT(botwire_bot_on_callback_regex(bot, STR("x"), NULL, NULL), N);
    EXPECT(botwire_bot_on_callback_regex(bot, BAD, BAD_LEN, ignore_event, NULL), U);
    EXPECT(botwire_bot_on_callback_regex(bot, STR("(unclosed"), ignore_event, NULL),
           BOTWIRE_RESULT_INVALID_PATTERN);
    EXPECT(botwire_bot_on_text(bot, NULL, 1, false, ignore_event, NULL), N);
    EXPECT(botwire_bot_on_text(bot, STR("x"), false, NULL, NULL), N);
    EXPECT(botwire_bot_on_text(bot, BAD, BAD_LEN, true, ignore_event, NULL), U);
    EXPECT(botwire_bot_on_text(bot, STR("[z-a]"), false, ignore_event, NULL),
           BOTWIRE_RESULT_INVALID_PATTERN);
    EXPECT(botwire_bot_on_inline_query(bot, STR("x"), NULL, NULL), N);
    EXPECT(botwire_bot_on_inline_query(bot, BAD, BAD_LEN, ignore_event, NULL), U);
    EXPECT(botwire_bot_on_inline_query(bot, STR("*"), ignore_event, NULL),
           BOTWIRE_RESULT_INVALID_PATTERN);
    EXPECT(botwire_bot_on_any(bot, NULL, NULL), N);
    CHECK(id == 0 && count == 0);
}

/* ---- events, outputs and call results of a live bot ---------------------------------------- */

typedef struct live {
    botwire_bot *bot;
    unsigned handled;
} live;

static void event_accessors(const botwire_event *event) {
    const botwire_result N = BOTWIRE_RESULT_NULL_PARAMETER;
    botwire_str s = {NULL, 0};
    botwire_event_kind kind = 0;
    botwire_platform platform = 0;
    size_t count = 0;
    uint64_t id = 0;
    uint32_t attempt = 0;
    typedef botwire_result (*str_accessor)(const botwire_event *, botwire_str *);
    static const struct {
        const char *name;
        str_accessor get;
        const char *expected; /* NULL: absent (EMPTY) for this event */
    } accessors[] = {
        {"id", botwire_event_id, "900"},
        {"platform_kind", botwire_event_platform_kind, "message"},
        {"chat_key", botwire_event_chat_key, "telegram:42"},
        {"chat_id", botwire_event_chat_id, "42"},
        {"chat_type", botwire_event_chat_type, "private"},
        {"user_key", botwire_event_user_key, "telegram:42"},
        {"user_id", botwire_event_user_id, "42"},
        {"user_name", botwire_event_user_name, "Ana"},
        {"username", botwire_event_username, "ana"},
        {"message_id", botwire_event_message_id, "5"},
        {"content_type", botwire_event_content_type, "text"},
        {"text", botwire_event_text, "/start a b"},
        {"callback_data", botwire_event_callback_data, NULL},
        {"query_id", botwire_event_query_id, NULL},
        {"command", botwire_event_command, "start"},
        {"command_rest", botwire_event_command_rest, "a b"},
        {"callback_rest", botwire_event_callback_rest, NULL},
        {"conversation_key", botwire_event_conversation_key, "chat:telegram:42"},
        {"json", botwire_event_json, ""},
        {"raw_json", botwire_event_raw_json, ""},
    };
    for (size_t i = 0; i < sizeof accessors / sizeof accessors[0]; i++) {
        EXPECT(accessors[i].get(NULL, &s), N);
        EXPECT(accessors[i].get(event, NULL), N);
        botwire_str got = {"sentinel", 8};
        botwire_result r = accessors[i].get(event, &got);
        if (accessors[i].expected == NULL) {
            CHECK_MSG(r == BOTWIRE_RESULT_EMPTY && bstr_eq(got, "sentinel"), "%s: result %u",
                      accessors[i].name, (unsigned)r);
        } else if (accessors[i].expected[0] == '\0') { /* JSON: parseable */
            json *v = r == BOTWIRE_RESULT_OK ? json_parse(got.ptr, got.len) : NULL;
            CHECK_MSG(v != NULL && v->type == JSON_OBJECT, "%s: result %u", accessors[i].name,
                      (unsigned)r);
            json_free(v);
        } else {
            CHECK_MSG(r == BOTWIRE_RESULT_OK && bstr_eq(got, accessors[i].expected) &&
                          got.ptr[got.len] == '\0',
                      "%s: result %u, %.*s", accessors[i].name, (unsigned)r,
                      r == BOTWIRE_RESULT_OK ? (int)got.len : 0, got.ptr);
        }
    }
    EXPECT(botwire_event_get_kind(NULL, &kind), N);
    EXPECT(botwire_event_get_kind(event, NULL), N);
    EXPECT_OK(botwire_event_get_kind(event, &kind));
    CHECK(kind == BOTWIRE_EVENT_KIND_MESSAGE);
    EXPECT(botwire_event_platform(NULL, &platform), N);
    EXPECT(botwire_event_platform(event, NULL), N);
    EXPECT_OK(botwire_event_platform(event, &platform));
    CHECK(platform == BOTWIRE_PLATFORM_TELEGRAM);
    EXPECT(botwire_event_dispatch(NULL, &id, &attempt), N);
    EXPECT(botwire_event_dispatch(event, NULL, &attempt), N);
    EXPECT(botwire_event_dispatch(event, &id, NULL), N);
    CHECK(id == 0 && attempt == 0);
    EXPECT(botwire_event_command_arg_count(NULL, &count), N);
    EXPECT(botwire_event_command_arg_count(event, NULL), N);
    EXPECT_OK(botwire_event_command_arg_count(event, &count));
    CHECK(count == 2);
    EXPECT(botwire_event_command_arg(NULL, 0, &s), N);
    EXPECT(botwire_event_command_arg(event, 0, NULL), N);
    EXPECT_OK(botwire_event_command_arg(event, 1, &s));
    CHECK(bstr_eq(s, "b"));
    EXPECT(botwire_event_command_arg(event, 2, &s), BOTWIRE_RESULT_EMPTY);
    EXPECT(botwire_event_command_arg(event, (size_t)-1, &s), BOTWIRE_RESULT_EMPTY);
    EXPECT(botwire_event_capture(NULL, 0, &s), N);
    EXPECT(botwire_event_capture(event, 0, NULL), N);
    EXPECT(botwire_event_capture(event, 0, &s), BOTWIRE_RESULT_EMPTY); /* no regex route */
    EXPECT(botwire_event_named_capture(NULL, STR("x"), &s), N);
    EXPECT(botwire_event_named_capture(event, NULL, 1, &s), N);
    EXPECT(botwire_event_named_capture(event, STR("x"), NULL), N);
    EXPECT(botwire_event_named_capture(event, BAD, BAD_LEN, &s), BOTWIRE_RESULT_INVALID_UTF8);
    EXPECT(botwire_event_named_capture(event, STR("x"), &s), BOTWIRE_RESULT_EMPTY);
}

static void on_start(void *userdata, botwire_bot *bot, uint64_t dispatch, const botwire_event *e) {
    live *l = userdata;
    CHECK(bot == l->bot);
    l->handled++;
    event_accessors(e);
    uint64_t id = 0;
    uint32_t attempt = 0;
    EXPECT_OK(botwire_event_dispatch(e, &id, &attempt));
    CHECK(id == dispatch && attempt == 1);

    uint64_t call = 0;
    EXPECT(botwire_bot_reply(bot, NOW, e, NULL, 2, NULL, 0, &call), BOTWIRE_RESULT_NULL_PARAMETER);
    EXPECT(botwire_bot_reply(bot, NOW, e, STR("x"), NULL, 0, NULL), BOTWIRE_RESULT_NULL_PARAMETER);
    EXPECT(botwire_bot_reply(bot, NOW, e, BAD, BAD_LEN, NULL, 0, &call),
           BOTWIRE_RESULT_INVALID_UTF8);
    EXPECT(botwire_bot_reply(bot, NOW, e, STR("x"), BAD, BAD_LEN, &call),
           BOTWIRE_RESULT_INVALID_UTF8);
    EXPECT(botwire_bot_reply(bot, NOW, e, STR("x"), STR("{\"keyboard\":7}"), &call),
           BOTWIRE_RESULT_INVALID_JSON);
    CHECK(call == 0);
    EXPECT_OK(botwire_bot_reply(bot, NOW, e, STR("hi"), NULL, 0, &call));
    CHECK(call != 0);

    /* Freeing the bot from its own callback does nothing. */
    botwire_bot_free(bot);

    /* Fail with a bad reason, then complete, then complete and fail again. */
    EXPECT(botwire_bot_fail(bot, NOW, dispatch, BAD, BAD_LEN), BOTWIRE_RESULT_INVALID_UTF8);
    EXPECT_OK(botwire_bot_complete(bot, NOW, dispatch));
    EXPECT(botwire_bot_complete(bot, NOW, dispatch), BOTWIRE_RESULT_UNKNOWN_DISPATCH);
    EXPECT(botwire_bot_fail(bot, NOW, dispatch, STR("late")), BOTWIRE_RESULT_UNKNOWN_DISPATCH);
}

static void output_accessors(const botwire_output *output, botwire_output_kind expected) {
    const botwire_result N = BOTWIRE_RESULT_NULL_PARAMETER;
    const botwire_result E = BOTWIRE_RESULT_EMPTY;
    botwire_output_kind kind = 0;
    uint64_t id = 0;
    botwire_http_request request;
    botwire_str s = {NULL, 0};
    size_t count = 9;
    const botwire_event *event = NULL;
    const botwire_call_result *result = NULL;
    EXPECT(botwire_output_get_kind(NULL, &kind), N);
    EXPECT(botwire_output_get_kind(output, NULL), N);
    EXPECT_OK(botwire_output_get_kind(output, &kind));
    CHECK(kind == expected);
    EXPECT(botwire_output_id(NULL, &id), N);
    EXPECT(botwire_output_id(output, NULL), N);
    EXPECT(botwire_output_http_request(NULL, &request), N);
    EXPECT(botwire_output_http_request(output, NULL), N);
    EXPECT(botwire_output_ws_url(NULL, &s), N);
    EXPECT(botwire_output_ws_url(output, NULL), N);
    EXPECT(botwire_output_ws_url(output, &s), E);
    EXPECT(botwire_output_ws_protocol_count(NULL, &count), N);
    EXPECT(botwire_output_ws_protocol_count(output, NULL), N);
    EXPECT_OK(botwire_output_ws_protocol_count(output, &count));
    CHECK(count == 0);
    EXPECT(botwire_output_ws_protocol(NULL, 0, &s), N);
    EXPECT(botwire_output_ws_protocol(output, 0, NULL), N);
    EXPECT(botwire_output_ws_protocol(output, 0, &s), E);
    EXPECT(botwire_output_text(NULL, &s), N);
    EXPECT(botwire_output_text(output, NULL), N);
    EXPECT(botwire_output_text(output, &s), E);
    EXPECT(botwire_output_event(NULL, &event), N);
    EXPECT(botwire_output_event(output, NULL), N);
    EXPECT(botwire_output_event(output, &event), E);
    EXPECT(botwire_output_call_result(NULL, &result), N);
    EXPECT(botwire_output_call_result(output, NULL), N);
    if (expected != BOTWIRE_OUTPUT_KIND_CALL_DONE) {
        EXPECT(botwire_output_call_result(output, &result), E);
    }
    if (expected != BOTWIRE_OUTPUT_KIND_HTTP_REQUEST) {
        EXPECT(botwire_output_http_request(output, &request), E);
    }
    EXPECT(botwire_output_json(NULL, &s), N);
    EXPECT(botwire_output_json(output, NULL), N);
    EXPECT_OK(botwire_output_json(output, &s));
    json *v = json_parse(s.ptr, s.len);
    CHECK_MSG(v != NULL, "output JSON: %.*s", BSTR(s));
    json_free(v);
    CHECK(s.ptr[s.len] == '\0');
    CHECK(event == NULL && s.ptr != NULL);
}

static void call_result_accessors(const botwire_call_result *result, int ok) {
    const botwire_result N = BOTWIRE_RESULT_NULL_PARAMETER;
    const botwire_result E = BOTWIRE_RESULT_EMPTY;
    uint64_t id = 0;
    bool is_ok = !ok;
    botwire_str s = {NULL, 0};
    uint64_t retry = 0;
    int64_t code = 0;
    EXPECT(botwire_call_result_status(NULL, &id, &is_ok), N);
    EXPECT(botwire_call_result_status(result, NULL, &is_ok), N);
    EXPECT(botwire_call_result_status(result, &id, NULL), N);
    CHECK(id == 0);
    EXPECT_OK(botwire_call_result_status(result, &id, &is_ok));
    CHECK(id != 0 && is_ok == (ok != 0));
    typedef botwire_result (*str_accessor)(const botwire_call_result *, botwire_str *);
    static const str_accessor on_success[] = {botwire_call_result_json};
    static const str_accessor on_failure[] = {botwire_call_result_error_json,
                                              botwire_call_result_error_kind,
                                              botwire_call_result_error_message};
    for (size_t i = 0; i < 1; i++) {
        EXPECT(on_success[i](NULL, &s), N);
        EXPECT(on_success[i](result, NULL), N);
        EXPECT(on_success[i](result, &s), ok ? BOTWIRE_RESULT_OK : E);
    }
    for (size_t i = 0; i < 3; i++) {
        EXPECT(on_failure[i](NULL, &s), N);
        EXPECT(on_failure[i](result, NULL), N);
        EXPECT(on_failure[i](result, &s), ok ? E : BOTWIRE_RESULT_OK);
    }
    EXPECT(botwire_call_result_retry_after(NULL, &retry), N);
    EXPECT(botwire_call_result_retry_after(result, NULL), N);
    EXPECT(botwire_call_result_retry_after(result, &retry), E);
    EXPECT(botwire_call_result_error_code(NULL, &code), N);
    EXPECT(botwire_call_result_error_code(result, NULL), N);
    if (ok) {
        EXPECT(botwire_call_result_error_code(result, &code), E);
    } else {
        EXPECT_OK(botwire_call_result_error_code(result, &code));
        CHECK(code == 400);
        EXPECT_OK(botwire_call_result_error_kind(result, &s));
        CHECK(bstr_eq(s, "bad_request"));
    }
}

/* Answers every request of the pull queue from memory; checks output accessors on the way. */
static unsigned drain(botwire_bot *bot, const char *answer_sends, unsigned *calls_done) {
    unsigned outputs = 0;
    uint64_t requests[32];
    size_t request_count = 0;
    for (int guard = 0; guard < 1000; guard++) {
        const botwire_output *output = NULL;
        botwire_result r = botwire_bot_poll_output(bot, &output);
        if (r == BOTWIRE_RESULT_EMPTY) {
            break;
        }
        EXPECT_OK(r);
        outputs++;
        botwire_output_kind kind = 0;
        EXPECT_OK(botwire_output_get_kind(output, &kind));
        uint64_t id = 0;
        if (kind == BOTWIRE_OUTPUT_KIND_HTTP_REQUEST) {
            output_accessors(output, kind);
            botwire_http_request request;
            EXPECT_OK(botwire_output_id(output, &id));
            EXPECT_OK(botwire_output_http_request(output, &request));
            CHECK(request.url.ptr != NULL && request.method.ptr != NULL);
            int poll = request.url.len > 11 &&
                       memcmp(request.url.ptr + request.url.len - 11, "/getUpdates", 11) == 0;
            if (!poll && request_count < 32) {
                requests[request_count++] = id;
            }
        } else if (kind == BOTWIRE_OUTPUT_KIND_CALL_DONE) {
            output_accessors(output, kind);
            const botwire_call_result *result = NULL;
            EXPECT_OK(botwire_output_call_result(output, &result));
            bool ok = false;
            EXPECT_OK(botwire_call_result_status(result, &id, &ok));
            call_result_accessors(result, ok);
            (*calls_done)++;
        }
    }
    for (size_t i = 0; i < request_count; i++) {
        EXPECT_OK(botwire_bot_handle_http_response(bot, NOW, requests[i], 200,
                                                   (const uint8_t *)answer_sends,
                                                   strlen(answer_sends)));
        /* Repeated answers are refused and change nothing. */
        EXPECT(botwire_bot_handle_http_response(bot, NOW, requests[i], 200,
                                                (const uint8_t *)answer_sends,
                                                strlen(answer_sends)),
               BOTWIRE_RESULT_UNKNOWN_REQUEST);
        EXPECT(botwire_bot_handle_http_error(bot, NOW, requests[i], BOTWIRE_HTTP_ERROR_KIND_IO),
               BOTWIRE_RESULT_UNKNOWN_REQUEST);
    }
    return outputs;
}

static void live_bot(void) {
    live l = {NULL, 0};
    l.bot = new_bot(TG_OPTIONS);
    null_bot();
    bot_parameters(l.bot);
    EXPECT_OK(botwire_bot_on_command(l.bot, STR("start"), on_start, &l));
    EXPECT_OK(botwire_bot_start(l.bot, NOW));

    /* The first getUpdates: checked, and answered with one /start update. */
    const botwire_output *output = NULL;
    EXPECT_OK(botwire_bot_poll_output(l.bot, &output));
    output_accessors(output, BOTWIRE_OUTPUT_KIND_HTTP_REQUEST);
    uint64_t poll_id = 0;
    EXPECT_OK(botwire_output_id(output, &poll_id));
    const botwire_output *untouched = output;
    EXPECT(botwire_bot_poll_output(l.bot, &output), BOTWIRE_RESULT_EMPTY);
    CHECK(output == untouched);
    EXPECT_OK(botwire_bot_handle_http_response(l.bot, NOW, poll_id, 200,
                                               (const uint8_t *)STR(UPDATES)));
    CHECK(l.handled == 1);
    EXPECT(botwire_bot_handle_http_response(l.bot, NOW, poll_id, 200,
                                            (const uint8_t *)STR(UPDATES)),
           BOTWIRE_RESULT_UNKNOWN_REQUEST);

    /* The reply's outcome: success. */
    unsigned calls_done = 0;
    drain(l.bot, SENT, &calls_done);
    drain(l.bot, SENT, &calls_done);
    CHECK_MSG(calls_done == 1, "%u outcomes", calls_done);

    /* A refused call: the outcome carries the error. */
    uint64_t call = 0;
    EXPECT_OK(botwire_bot_call(l.bot, NOW, STR("sendMessage"),
                               STR("{\"chat_id\":7,\"text\":\"to nobody\"}"), &call));
    calls_done = 0;
    drain(l.bot, REFUSED, &calls_done);
    drain(l.bot, REFUSED, &calls_done);
    CHECK_MSG(calls_done == 1, "%u outcomes", calls_done);

    /* Invalid UTF-8 and garbage as an answer are that request's failure, not a crash. */
    EXPECT_OK(botwire_bot_call(l.bot, NOW, STR("getMe"), NULL, 0, &call));
    const botwire_output *o = NULL;
    uint64_t me = 0;
    while (botwire_bot_poll_output(l.bot, &o) == BOTWIRE_RESULT_OK) {
        botwire_http_request request;
        if (botwire_output_http_request(o, &request) == BOTWIRE_RESULT_OK &&
            request.url.len > 6 && memcmp(request.url.ptr + request.url.len - 6, "/getMe", 6) == 0) {
            EXPECT_OK(botwire_output_id(o, &me));
        }
    }
    CHECK(me != 0);
    EXPECT_OK(botwire_bot_handle_http_response(l.bot, NOW, me, 200, (const uint8_t *)BAD,
                                               BAD_LEN));
    while (botwire_bot_poll_output(l.bot, &o) == BOTWIRE_RESULT_OK) {
    }
    botwire_bot_free(l.bot);
}

/* ---- storage callbacks ------------------------------------------------------------------- */

typedef struct store {
    botwire_bot *bot;
    char key[64];
    char value[64];
    size_t value_len;
    int has_value;
    unsigned reentrant_checked;
    int bad_key;
} store;

static uint32_t st_get(void *userdata, const char *key, size_t key_len,
                       botwire_storage_value *value) {
    store *st = userdata;
    EXPECT(botwire_bot_start(st->bot, NOW), BOTWIRE_RESULT_REENTRANT_CALL);
    st->reentrant_checked++;
    EXPECT(botwire_storage_value_set(NULL, (const uint8_t *)STR("1")),
           BOTWIRE_RESULT_NULL_PARAMETER);
    EXPECT(botwire_storage_value_set(value, NULL, 3), BOTWIRE_RESULT_NULL_PARAMETER);
    EXPECT_OK(botwire_storage_value_set(value, NULL, 0));
    if (!st->has_value || key_len != strlen(st->key) || memcmp(key, st->key, key_len) != 0) {
        return BOTWIRE_STORAGE_STATUS_NOT_FOUND;
    }
    EXPECT_OK(botwire_storage_value_set(value, (const uint8_t *)st->value, st->value_len));
    return BOTWIRE_STORAGE_STATUS_OK;
}

static uint32_t st_put(void *userdata, const char *key, size_t key_len, const uint8_t *value,
                       size_t value_len) {
    store *st = userdata;
    if (key_len >= sizeof st->key || value_len >= sizeof st->value) {
        return BOTWIRE_STORAGE_STATUS_FAILED;
    }
    memcpy(st->key, key, key_len);
    st->key[key_len] = '\0';
    memcpy(st->value, value, value_len);
    st->value_len = value_len;
    st->has_value = 1;
    return BOTWIRE_STORAGE_STATUS_OK;
}

static uint32_t st_delete(void *userdata, const char *key, size_t key_len) {
    store *st = userdata;
    (void)key;
    (void)key_len;
    st->has_value = 0;
    return BOTWIRE_STORAGE_STATUS_OK;
}

static uint32_t st_keys(void *userdata, const char *prefix, size_t prefix_len,
                        botwire_storage_keys *keys) {
    store *st = userdata;
    (void)prefix;
    (void)prefix_len;
    EXPECT(botwire_storage_keys_add(NULL, STR("k")), BOTWIRE_RESULT_NULL_PARAMETER);
    EXPECT(botwire_storage_keys_add(keys, NULL, 1), BOTWIRE_RESULT_NULL_PARAMETER);
    if (st->bad_key) {
        EXPECT(botwire_storage_keys_add(keys, BAD, BAD_LEN), BOTWIRE_RESULT_INVALID_UTF8);
    }
    if (st->has_value) {
        EXPECT_OK(botwire_storage_keys_add(keys, st->key, strlen(st->key)));
    }
    return 77; /* not a status: counts as a failure */
}

static void storage(void) {
    store st;
    memset(&st, 0, sizeof st);
    st.bot = new_bot(TG_OPTIONS);
    botwire_io_callbacks table;
    memset(&table, 0, sizeof table);
    table.version = BOTWIRE_IO_CALLBACKS_VERSION;
    table.userdata = &st;
    table.storage_get = st_get;
    table.storage_put = st_put;
    table.storage_delete = st_delete;
    table.storage_keys = st_keys;
    EXPECT_OK(botwire_bot_set_callbacks(st.bot, &table));
    size_t count = 5;
    /* A listing that fails (an unknown status, an invalid key) changes nothing. */
    st.bad_key = 1;
    EXPECT(botwire_bot_conversations_restore(st.bot, NOW, &count), BOTWIRE_RESULT_STORAGE_FAILED);
    CHECK(count == 5);
    EXPECT_OK(botwire_bot_conversation_set(st.bot, NOW, STR("telegram:42"), STR("[1]")));
    CHECK(st.has_value);
    botwire_str s = {NULL, 0};
    EXPECT_OK(botwire_bot_conversation_get(st.bot, STR("telegram:42"), &s));
    CHECK(bstr_eq(s, "[1]"));
    CHECK(st.reentrant_checked >= 1);
    /* A stored record that is not what the library wrote is a storage failure. */
    memcpy(st.value, "\xff\xfe", 2);
    st.value_len = 2;
    botwire_result r = botwire_bot_conversation_get(st.bot, STR("telegram:42"), &s);
    CHECK_MSG(r == BOTWIRE_RESULT_STORAGE_FAILED || r == BOTWIRE_RESULT_OK, "corrupt record: %u",
              (unsigned)r);
    /* The store cannot change while a conversation is live (the same table again is fine). */
    EXPECT_OK(botwire_bot_set_callbacks(st.bot, &table));
    botwire_io_callbacks in_memory = table;
    in_memory.storage_get = NULL;
    EXPECT(botwire_bot_set_callbacks(st.bot, &in_memory), BOTWIRE_RESULT_WRONG_STATE);
    EXPECT(botwire_bot_set_callbacks(st.bot, NULL), BOTWIRE_RESULT_WRONG_STATE);
    bool was_live = false;
    EXPECT_OK(botwire_bot_conversation_leave(st.bot, STR("telegram:42"), &was_live));
    CHECK(was_live);
    botwire_bot_free(st.bot);
}

/* ---- other platforms and intakes ---------------------------------------------------------- */

static void trueconf_bot(void) {
    botwire_bot *bot = new_bot("{\"platform\":\"trueconf\",\"server\":\"127.0.0.1\",\"port\":9,"
                               "\"https\":false,\"username\":\"b\",\"password\":\"p\"}");
    const botwire_result C = BOTWIRE_RESULT_UNKNOWN_CONNECTION;
    EXPECT(botwire_bot_handle_ws_opened(bot, NOW, 1), C);
    EXPECT(botwire_bot_handle_ws_frame(bot, NOW, 1, STR("{}")), C);
    EXPECT(botwire_bot_handle_ws_frame(bot, NOW, 1, BAD, BAD_LEN), BOTWIRE_RESULT_INVALID_UTF8);
    EXPECT(botwire_bot_handle_ws_pong(bot, NOW, 1), C);
    EXPECT(botwire_bot_handle_ws_closed(bot, NOW, 1), C);
    uint16_t status = 0;
    botwire_str s = {NULL, 0};
    EXPECT(botwire_bot_handle_webhook(bot, NOW, NULL, 0, NULL, 0, &status, &s),
           BOTWIRE_RESULT_NOT_SUPPORTED);
    EXPECT(botwire_bot_handle_update(bot, NOW, STR("{\"update_id\":1}")),
           BOTWIRE_RESULT_NOT_SUPPORTED);
    uint64_t id = 0;
    EXPECT(botwire_bot_call(bot, NOW, STR("auth"), NULL, 0, &id), BOTWIRE_RESULT_NOT_SUPPORTED);
    EXPECT(botwire_bot_set_wall_clock(bot, NOW, -5), BOTWIRE_RESULT_OK);
    /* Started, its login request goes out; a repeated answer is refused. */
    EXPECT_OK(botwire_bot_start(bot, NOW));
    const botwire_output *o = NULL;
    uint64_t login = 0;
    while (botwire_bot_poll_output(bot, &o) == BOTWIRE_RESULT_OK) {
        botwire_output_kind kind = 0;
        EXPECT_OK(botwire_output_get_kind(o, &kind));
        if (kind == BOTWIRE_OUTPUT_KIND_HTTP_REQUEST) {
            EXPECT_OK(botwire_output_id(o, &login));
        }
    }
    CHECK(login != 0);
    EXPECT_OK(botwire_bot_handle_http_error(bot, NOW, login, BOTWIRE_HTTP_ERROR_KIND_CONNECT));
    EXPECT(botwire_bot_handle_http_error(bot, NOW, login, BOTWIRE_HTTP_ERROR_KIND_CONNECT),
           BOTWIRE_RESULT_UNKNOWN_REQUEST);
    while (botwire_bot_poll_output(bot, &o) == BOTWIRE_RESULT_OK) {
    }
    botwire_bot_free(bot);
}

static void update_intake(void) {
    botwire_bot *bot = new_bot("{\"platform\":\"telegram\",\"token\":\"1:a\",\"intake\":\"none\"}");
    unsigned handled = 0;
    EXPECT(botwire_bot_handle_update(bot, NOW, STR("{\"update_id\":")),
           BOTWIRE_RESULT_INVALID_JSON);
    EXPECT(botwire_bot_handle_update(bot, NOW, STR("[]")), BOTWIRE_RESULT_INVALID_JSON);
    EXPECT(botwire_bot_handle_update(bot, NOW, BAD, BAD_LEN), BOTWIRE_RESULT_INVALID_UTF8);
    EXPECT_OK(botwire_bot_start(bot, NOW));
    static const char update[] =
        "{\"update_id\":5,\"message\":{\"message_id\":1,\"date\":1,"
        "\"chat\":{\"id\":3,\"type\":\"private\"},\"text\":\"hi\"}}";
    EXPECT_OK(botwire_bot_handle_update(bot, NOW, STR(update)));
    /* The same update again is dropped as a duplicate (a notice), not dispatched twice. */
    EXPECT_OK(botwire_bot_handle_update(bot, NOW, STR(update)));
    const botwire_output *o = NULL;
    uint64_t first = 0;
    while (botwire_bot_poll_output(bot, &o) == BOTWIRE_RESULT_OK) {
        botwire_output_kind kind = 0;
        EXPECT_OK(botwire_output_get_kind(o, &kind));
        if (kind == BOTWIRE_OUTPUT_KIND_DISPATCH) {
            handled++;
            EXPECT_OK(botwire_output_id(o, &first));
        }
    }
    CHECK_MSG(handled == 1, "dispatched %u times", handled);
    /* Completing a dispatch twice. */
    EXPECT_OK(botwire_bot_complete(bot, NOW, first));
    EXPECT(botwire_bot_complete(bot, NOW, first), BOTWIRE_RESULT_UNKNOWN_DISPATCH);
    EXPECT(botwire_bot_fail(bot, NOW, first, NULL, 0), BOTWIRE_RESULT_UNKNOWN_DISPATCH);
    EXPECT(botwire_bot_complete(bot, NOW, first + 1), BOTWIRE_RESULT_UNKNOWN_DISPATCH);
    while (botwire_bot_poll_output(bot, &o) == BOTWIRE_RESULT_OK) {
    }
    EXPECT_OK(botwire_bot_stop(bot, NOW));
    while (botwire_bot_poll_output(bot, &o) == BOTWIRE_RESULT_OK) {
    }
    EXPECT(botwire_bot_handle_update(bot, NOW, STR(update)), BOTWIRE_RESULT_WRONG_STATE);
    botwire_bot_free(bot);
}

int main(void) {
    library_functions();
    telegram_client();
    bot_creation();
    live_bot();
    storage();
    trueconf_bot();
    update_intake();
    return check_report("abuse");
}
