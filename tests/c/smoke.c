/*
 * Smoke test of libbotwire from C: create a Telegram client pointed at a fake API root,
 * issue one call, read the request it hands out, answer it, read the response event, check
 * the error paths, free everything; then drive a bot (botwire_bot) one step in pull mode. Built and run by `make c-smoke` under AddressSanitizer and
 * UndefinedBehaviorSanitizer; any failure exits non-zero.
 */
#include "botwire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                             \
        }                                                                           \
    } while (0)

/* Expects `result` and, on a mismatch, prints both codes and the last error. */
static void expect(botwire_result result, botwire_result expected, const char *what) {
    if (result == expected) {
        return;
    }
    const char *detail = "";
    size_t detail_len = 0;
    botwire_last_error(&detail, &detail_len);
    fprintf(stderr, "%s: got %u (%s), expected %u (%s); last error: %.*s\n", what,
            (unsigned)result, botwire_result_message(result), (unsigned)expected,
            botwire_result_message(expected), (int)detail_len, detail);
    failures++;
}

/* Whether the JSON text [json, json + len) contains `needle`. */
static int contains(const char *json, size_t len, const char *needle) {
    size_t n = strlen(needle);
    for (size_t i = 0; n <= len && i <= len - n; i++) {
        if (memcmp(json + i, needle, n) == 0) {
            return 1;
        }
    }
    return 0;
}

#define STR(s) (s), (sizeof(s) - 1)

int main(void) {
    printf("libbotwire %s (header %d.%d.%d)\n", botwire_version(), BOTWIRE_VERSION_MAJOR,
           BOTWIRE_VERSION_MINOR, BOTWIRE_VERSION_PATCH);

    botwire_telegram_client *client = NULL;
    expect(botwire_telegram_client_new(STR("123:ABC"), STR("http://127.0.0.1:9"), &client),
           BOTWIRE_RESULT_OK, "new");
    if (client == NULL) {
        return 1;
    }

    /* One call goes out as one HTTP request. */
    uint64_t id = 0;
    expect(botwire_telegram_client_call(client, 1, STR("sendMessage"),
                                        STR("{\"chat_id\":42,\"text\":\"h\\u00e9llo\"}"), &id),
           BOTWIRE_RESULT_OK, "call");
    CHECK(id != 0);

    const char *json = NULL;
    size_t len = 0;
    expect(botwire_telegram_client_poll_output(client, &json, &len), BOTWIRE_RESULT_OK,
           "poll request");
    CHECK(json != NULL && len > 0 && json[len] == '\0');
    CHECK(contains(json, len, "\"type\":\"http\""));
    CHECK(contains(json, len, "\"url\":\"http://127.0.0.1:9/bot123:ABC/sendMessage\""));
    CHECK(contains(json, len, "\"body_encoding\":\"utf8\""));
    printf("request: %.*s\n", (int)len, json);

    /* Nothing else is waiting, and nothing is written then. */
    const char *untouched = "sentinel";
    expect(botwire_telegram_client_poll_output(client, &untouched, &len), BOTWIRE_RESULT_EMPTY,
           "drained");
    CHECK(strcmp(untouched, "sentinel") == 0);

    /* The answer comes back as a response event for that id. */
    static const char answer[] =
        "{\"ok\":true,\"result\":{\"message_id\":7,\"date\":1,"
        "\"chat\":{\"id\":42,\"type\":\"private\"},\"text\":\"h\\u00e9llo\"}}";
    expect(botwire_telegram_client_handle_http_response(client, 2, id, 200,
                                                        (const uint8_t *)answer,
                                                        sizeof(answer) - 1),
           BOTWIRE_RESULT_OK, "answer");
    expect(botwire_telegram_client_poll_output(client, &json, &len), BOTWIRE_RESULT_OK,
           "poll response");
    CHECK(contains(json, len, "\"kind\":\"response\""));
    CHECK(contains(json, len, "\"ok\":true"));
    CHECK(contains(json, len, "\"message_id\":7"));
    printf("event: %.*s\n", (int)len, json);

    /* Contract and parameter errors are result codes with a message, never crashes. */
    expect(botwire_telegram_client_handle_http_response(client, 3, id, 200,
                                                        (const uint8_t *)answer,
                                                        sizeof(answer) - 1),
           BOTWIRE_RESULT_UNKNOWN_REQUEST, "repeated answer");
    const char *detail = NULL;
    size_t detail_len = 0;
    expect(botwire_last_error(&detail, &detail_len), BOTWIRE_RESULT_OK, "last error");
    CHECK(detail_len > 0 && detail[detail_len] == '\0');

    expect(botwire_telegram_client_call(client, 4, STR("noSuchMethod"), NULL, 0, &id),
           BOTWIRE_RESULT_UNKNOWN_METHOD, "unknown method");
    expect(botwire_telegram_client_call(client, 4, STR("sendMessage"), STR("{\"text\":1}"), &id),
           BOTWIRE_RESULT_INVALID_ARGUMENTS, "invalid arguments");
    expect(botwire_telegram_client_call(client, 4, NULL, 3, NULL, 0, &id),
           BOTWIRE_RESULT_NULL_PARAMETER, "NULL method");
    expect(botwire_telegram_client_call(client, 4, STR("\xff"), NULL, 0, &id),
           BOTWIRE_RESULT_INVALID_UTF8, "method not UTF-8");
    expect(botwire_telegram_client_handle_http_error(client, 5, 12345,
                                                     BOTWIRE_HTTP_ERROR_KIND_TIMEOUT),
           BOTWIRE_RESULT_UNKNOWN_REQUEST, "unknown id");
    expect(botwire_telegram_client_handle_http_error(client, 5, id, 77),
           BOTWIRE_RESULT_INVALID_PARAMETER, "unknown error kind");

    /* Polling: start issues getUpdates; a failure arms a timer; the timer re-issues it. */
    expect(botwire_telegram_client_start(client, 10), BOTWIRE_RESULT_OK, "start");
    expect(botwire_telegram_client_poll_output(client, &json, &len), BOTWIRE_RESULT_OK,
           "poll getUpdates");
    CHECK(contains(json, len, "/getUpdates\""));
    uint64_t poll_id = 0;
    const char *id_field = strstr(json, "\"id\":");
    CHECK(id_field != NULL);
    if (id_field != NULL) {
        poll_id = strtoull(id_field + 5, NULL, 10);
    }
    expect(botwire_telegram_client_handle_http_error(client, 20, poll_id,
                                                     BOTWIRE_HTTP_ERROR_KIND_CONNECT),
           BOTWIRE_RESULT_OK, "poll failed");
    expect(botwire_telegram_client_poll_output(client, &json, &len), BOTWIRE_RESULT_OK,
           "poll paused event");
    CHECK(contains(json, len, "\"kind\":\"polling_paused\""));
    uint64_t at = 0;
    expect(botwire_telegram_client_poll_timeout(client, &at), BOTWIRE_RESULT_OK, "timer");
    CHECK(at > 20);
    expect(botwire_telegram_client_handle_timeout(client, at), BOTWIRE_RESULT_OK, "timeout");
    expect(botwire_telegram_client_poll_output(client, &json, &len), BOTWIRE_RESULT_OK,
           "poll getUpdates again");
    CHECK(contains(json, len, "/getUpdates\""));

    botwire_telegram_client_free(client);
    botwire_telegram_client_free(NULL);

    expect(botwire_telegram_client_start(NULL, 0), BOTWIRE_RESULT_NULL_PARAMETER, "NULL client");

    /* A bot in pull mode: its first output is the getUpdates request; a failed poll comes
     * back as a notice and a timer. */
    botwire_bot *bot = NULL;
    expect(botwire_bot_new(STR("{\"platform\":\"telegram\",\"token\":\"123:ABC\","
                               "\"apiRoot\":\"http://127.0.0.1:9\"}"),
                           &bot),
           BOTWIRE_RESULT_OK, "bot new");
    if (bot == NULL) {
        return 1;
    }
    expect(botwire_bot_start(bot, 0), BOTWIRE_RESULT_OK, "bot start");
    const botwire_output *output = NULL;
    expect(botwire_bot_poll_output(bot, &output), BOTWIRE_RESULT_OK, "bot poll");
    botwire_output_kind kind = 0;
    expect(botwire_output_get_kind(output, &kind), BOTWIRE_RESULT_OK, "output kind");
    CHECK(kind == BOTWIRE_OUTPUT_KIND_HTTP_REQUEST);
    botwire_http_request request;
    uint64_t request_id = 0;
    expect(botwire_output_http_request(output, &request), BOTWIRE_RESULT_OK, "output request");
    expect(botwire_output_id(output, &request_id), BOTWIRE_RESULT_OK, "output id");
    CHECK(contains(request.url.ptr, request.url.len, "/getUpdates"));
    CHECK(request.url.ptr[request.url.len] == '\0');
    expect(botwire_bot_handle_http_error(bot, 5, request_id, BOTWIRE_HTTP_ERROR_KIND_CONNECT),
           BOTWIRE_RESULT_OK, "bot poll failed");
    expect(botwire_bot_handle_http_error(bot, 5, request_id, BOTWIRE_HTTP_ERROR_KIND_CONNECT),
           BOTWIRE_RESULT_UNKNOWN_REQUEST, "bot repeated answer");
    expect(botwire_bot_poll_output(bot, &output), BOTWIRE_RESULT_OK, "bot notice");
    expect(botwire_output_get_kind(output, &kind), BOTWIRE_RESULT_OK, "notice kind");
    CHECK(kind == BOTWIRE_OUTPUT_KIND_NOTICE);
    botwire_str notice = {NULL, 0};
    expect(botwire_output_json(output, &notice), BOTWIRE_RESULT_OK, "notice json");
    CHECK(contains(notice.ptr, notice.len, "\"kind\":\"polling_paused\""));
    expect(botwire_bot_poll_output(bot, &output), BOTWIRE_RESULT_EMPTY, "bot drained");
    expect(botwire_bot_poll_timeout(bot, &at), BOTWIRE_RESULT_OK, "bot timer");
    CHECK(at > 5);
    expect(botwire_bot_complete(bot, 6, 42), BOTWIRE_RESULT_UNKNOWN_DISPATCH, "unknown dispatch");
    botwire_bot_free(bot);
    botwire_bot_free(NULL);

    if (failures != 0) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("C smoke test passed\n");
    return 0;
}
