/*
 * Tests of the test support library itself: SHA-1 and base64 vectors, the JSON reader, the
 * HTTP client against the Telegram simulator's control API, and the WebSocket client against
 * the TrueConf simulator's bot socket (handshake, ping/pong, close).
 */
#define _POSIX_C_SOURCE 200809L

#include "support/support.h"

#include <poll.h>
#include <string.h>

static void hex(const uint8_t *data, size_t len, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 15];
    }
    out[2 * len] = '\0';
}

static void test_digests(void) {
    uint8_t digest[20];
    char text[41];
    sha1_digest("abc", 3, digest);
    hex(digest, 20, text);
    CHECK_MSG(strcmp(text, "a9993e364706816aba3e25717850c26c9cd0d89d") == 0, "sha1(abc) %s", text);
    sha1_digest("", 0, digest);
    hex(digest, 20, text);
    CHECK_MSG(strcmp(text, "da39a3ee5e6b4b0d3255bfef95601890afd80709") == 0, "sha1('') %s", text);
    static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha1_digest(two_blocks, sizeof two_blocks - 1, digest);
    hex(digest, 20, text);
    CHECK_MSG(strcmp(text, "84983e441c3bd26ebaae4aa1f95129e5e54670f1") == 0, "sha1(448 bits) %s",
              text);

    char b64[64];
    base64_encode((const uint8_t *)"foobar", 6, b64);
    CHECK(strcmp(b64, "Zm9vYmFy") == 0);
    base64_encode((const uint8_t *)"fooba", 5, b64);
    CHECK(strcmp(b64, "Zm9vYmE=") == 0);
    base64_encode((const uint8_t *)"foob", 4, b64);
    CHECK(strcmp(b64, "Zm9vYg==") == 0);

    /* RFC 6455 section 1.3: the accept value of the sample key. */
    static const char material[] = "dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    sha1_digest(material, sizeof material - 1, digest);
    base64_encode(digest, 20, b64);
    CHECK_MSG(strcmp(b64, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == 0, "accept %s", b64);
}

static void test_json(void) {
    static const char text[] =
        "{\"ok\":true,\"result\":[{\"seq\":0,\"text\":\"h\\u00e9 \\ud83d\\ude00\\n\",\"n\":-42},"
        "{\"big\":18446744073709551615,\"f\":1.5e3,\"z\":null,\"e\":{},\"a\":[]}]}";
    json *v = json_parse(text, sizeof text - 1);
    CHECK(v != NULL);
    CHECK(json_true(json_get(v, "ok")));
    CHECK(json_str_eq(json_path(v, "result.0.text"), "h\xc3\xa9 \xf0\x9f\x98\x80\n"));
    int64_t n = 0;
    CHECK(json_i64(json_path(v, "result.0.n"), &n) == 0 && n == -42);
    uint64_t big = 0;
    CHECK(json_u64(json_path(v, "result.1.big"), &big) == 0 && big == UINT64_MAX);
    CHECK(json_i64(json_path(v, "result.1.f"), &n) != 0);
    CHECK(json_path(v, "result.1.z") != NULL && json_path(v, "result.1.z")->type == JSON_NULL);
    CHECK(json_path(v, "result.2") == NULL);
    CHECK(json_path(v, "result.1.e")->count == 0);
    json_free(v);

    static const char *const invalid[] = {
        "", "{", "[1,]", "{\"a\"}", "{\"a\":1,}", "01", "\"\\x\"", "\"\\ud800\"", "tru",
        "[1] 2", "\"a\nb\"", "-", "1.", "1e",
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        json *bad = json_parse(invalid[i], strlen(invalid[i]));
        CHECK_MSG(bad == NULL, "accepted invalid JSON %s", invalid[i]);
        json_free(bad);
    }
    /* Nesting is bounded. */
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    json *too_deep = json_parse(deep, sizeof deep);
    CHECK(too_deep == NULL);
    json_free(too_deep);

    buf b;
    buf_init(&b);
    buf_append_json_string(&b, "a\"b\\c\n\x01", 7);
    CHECK(strcmp(b.data, "\"a\\\"b\\\\c\\n\\u0001\"") == 0);
    buf_free(&b);
}

static void test_urls(void) {
    int port;
    const char *path;
    size_t path_len;
    static const char good[] = "http://127.0.0.1:8081/bot1:x/getMe";
    CHECK(http_parse_url(good, sizeof good - 1, &port, &path, &path_len) == 0 && port == 8081 &&
          path_len == 13 && memcmp(path, "/bot1:x/getMe", 13) == 0);
    static const char bare[] = "ws://localhost:9";
    CHECK(http_parse_url(bare, sizeof bare - 1, &port, &path, &path_len) == 0 && port == 9 &&
          path_len == 1 && path[0] == '/');
    static const char *const refused[] = {
        "https://127.0.0.1/", "http://example.com/", "http://127.0.0.1:0/",
        "http://127.0.0.1:70000/", "http://127.0.0.10/", "http://127.0.0.1x/",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        CHECK_MSG(http_parse_url(refused[i], strlen(refused[i]), &port, &path, &path_len) != 0,
                  "accepted %s", refused[i]);
    }
}

static void test_http(const sim_server *sim) {
    json *state = sim_control(sim, "/control/state", NULL, 5000);
    CHECK(state != NULL);
    CHECK(json_path(state, "result.bot.id") != NULL);
    json_free(state);

    /* An unknown route is a 404 JSON answer. */
    buf url;
    buf_init(&url);
    buf_appendf(&url, "%s/control/nope", sim->url);
    http_response response;
    CHECK(http_fetch("GET", url.data, NULL, 0, 5000, &response) == HTTP_FAIL_NONE);
    CHECK_MSG(response.status == 404, "status %d", response.status);
    http_response_free(&response);

    /* A Bot API call with a JSON body. */
    buf_clear(&url);
    buf_appendf(&url, "%s/bot%s/getMe", sim->url, SIM_TELEGRAM_TOKEN);
    CHECK(http_fetch("POST", url.data, "{}", 2, 5000, &response) == HTTP_FAIL_NONE);
    CHECK(response.status == 200);
    json *me = json_parse(response.body, response.body_len);
    CHECK(json_str_eq(json_path(me, "result.username"), "botwire_bot"));
    json_free(me);
    http_response_free(&response);

    /* A held long poll runs into our deadline: a timeout, bounded. */
    buf_clear(&url);
    buf_appendf(&url, "%s/bot%s/getUpdates?timeout=5", sim->url, SIM_TELEGRAM_TOKEN);
    uint64_t started = now_ms();
    CHECK(http_fetch("GET", url.data, NULL, 0, 300, &response) == HTTP_FAIL_TIMEOUT);
    CHECK(now_ms() - started < 2000);
    http_response_free(&response);

    /* Several requests in flight at once, one of them a held poll answered by a message. */
    http_conn *poll_conn = http_start("GET", url.data, url.len, NULL, 0, NULL, 0, 8000);
    CHECK(poll_conn != NULL);
    for (int i = 0; i < 200 && sim_tg_has_held_poll(sim) != 1; i++) {
        if (http_step(poll_conn) != HTTP_PENDING) {
            break;
        }
        struct pollfd pfd = {http_fd(poll_conn), http_events(poll_conn), 0};
        poll(&pfd, 1, 10);
    }
    CHECK(sim_tg_has_held_poll(sim) == 1);
    CHECK(sim_tg_message(sim, 42, "hello from C") > 0);
    while (http_step(poll_conn) == HTTP_PENDING) {
        struct pollfd pfd = {http_fd(poll_conn), http_events(poll_conn), 0};
        poll(&pfd, 1, 100);
    }
    CHECK(http_state_of(poll_conn) == HTTP_DONE);
    size_t len;
    const char *body = http_body(poll_conn, &len);
    json *updates = json_parse(body, len);
    CHECK_MSG(json_str_eq(json_path(updates, "result.0.message.text"), "hello from C"), "%s",
              body != NULL ? body : "(none)");
    json_free(updates);
    CHECK(http_response_header(poll_conn, "content-type") != NULL);
    http_free(poll_conn);

    /* A port nobody listens on: a connection failure, not a hang. */
    http_conn *refused = http_start("GET", "http://127.0.0.1:1/", 19, NULL, 0, NULL, 0, 2000);
    while (http_step(refused) == HTTP_PENDING) {
        struct pollfd pfd = {http_fd(refused), http_events(refused), 0};
        poll(&pfd, 1, 100);
    }
    CHECK(http_failure_of(refused) == HTTP_FAIL_CONNECT);
    http_free(refused);
    buf_free(&url);
}

/* Waits for the next WebSocket message (bounded); WS_NONE on timeout. */
static ws_event_kind ws_wait(ws_conn *ws, ws_event *event, uint64_t timeout_ms) {
    uint64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        ws_event_kind kind = ws_read(ws, event);
        if (kind != WS_NONE) {
            return kind;
        }
        uint64_t now = now_ms();
        if (now >= deadline) {
            return WS_NONE;
        }
        struct pollfd pfd = {ws_fd(ws), POLLIN, 0};
        poll(&pfd, 1, (int)(deadline - now));
    }
}

static void test_websocket(const sim_server *sim) {
    char error[256] = "";
    buf url;
    buf_init(&url);
    buf_appendf(&url, "ws://127.0.0.1:%d/websocket/chat_bot", sim->port);
    ws_conn *ws = ws_connect(url.data, url.len, "json.v1", 5000, error, sizeof error);
    CHECK_MSG(ws != NULL, "%s", error);
    if (ws != NULL) {
        CHECK(ws_protocol(ws) != NULL && strcmp(ws_protocol(ws), "json.v1") == 0);
        CHECK(ws_send_ping(ws, "p", 1) == 0);
        ws_event event;
        uint64_t deadline = now_ms() + 5000;
        while (ws_pongs_received(ws) == 0 && now_ms() < deadline) {
            if (ws_wait(ws, &event, 100) != WS_NONE) {
                break;
            }
        }
        CHECK(ws_pongs_received(ws) == 1);
        /* An unauthenticated call is answered with an error. */
        static const char call[] = "{\"type\":1,\"id\":1,\"method\":\"getChats\",\"payload\":{}}";
        CHECK(ws_send(ws, 0, call, sizeof call - 1, 1000) == 0);
        ws_event_kind kind = ws_wait(ws, &event, 5000);
        CHECK_MSG(kind == WS_TEXT, "kind %d", (int)kind);
        if (kind == WS_TEXT) {
            json *answer = json_parse(event.data, event.len);
            CHECK_MSG(json_path(answer, "payload.errorCode") != NULL, "%s", event.data);
            json_free(answer);
            CHECK(ws_send_close(ws, 1000, "bye", 3) == 0);
            kind = ws_wait(ws, &event, 5000);
            CHECK_MSG(kind == WS_CLOSED, "kind %d", (int)kind);
        }
        ws_free(ws);
    }

    /* A path the server refuses is a handshake error, not a crash. */
    buf_clear(&url);
    buf_appendf(&url, "ws://127.0.0.1:%d/control/state", sim->port);
    ws = ws_connect(url.data, url.len, NULL, 5000, error, sizeof error);
    CHECK(ws == NULL);
    ws_free(ws);
    buf_free(&url);
}

int main(void) {
    test_digests();
    test_json();
    test_urls();

    sim_server telegram;
    CHECK(sim_start(&telegram, "telegram", NULL, 20000) == 0);
    if (telegram.pid > 0) {
        test_http(&telegram);
    }
    sim_stop(&telegram);

    sim_server trueconf;
    CHECK(sim_start(&trueconf, "trueconf", NULL, 20000) == 0);
    if (trueconf.pid > 0) {
        test_websocket(&trueconf);
    }
    sim_stop(&trueconf);
    return check_report("support_test");
}
