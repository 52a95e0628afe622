/*
 * The C side of the C ABI benchmark (`make c-bench`): the scenario of
 * bindings-c/examples/abi_bench.rs, driven through libbotwire in pull mode, then the ratio of
 * the two costs per update.
 *
 * Scenario, identical on both sides: a polling bot (flood budgets wide open, so no send
 * waits) is started on a virtual clock; each getUpdates request is answered from memory with
 * the next batch of the corpus (updates.json, 100 updates per batch); every dispatched event
 * runs a handler that replies with the text of text messages (botwire_bot_reply) and
 * completes; every sendMessage is answered from memory at once. A run ends when the corpus is
 * consumed and nothing is in flight; it is timed from botwire_bot_new to botwire_bot_free, in
 * CPU time of the thread (and wall time, for information).
 *
 *   abi_bench CORPUS_DIR OUT.json [RUNS]
 *
 * Writes the costs per update of RUNS runs (after a warm-up run) to OUT.json; bench/c_abi.py
 * runs it in turns with the Rust side and computes the ratio.
 */
#define _POSIX_C_SOURCE 200809L

#include "botwire.h"
#include "support/support.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STR(s) (s), (sizeof(s) - 1)

static const char OPTIONS[] =
    "{\"platform\":\"telegram\",\"token\":\"123456:BENCH\",\"apiRoot\":\"http://127.0.0.1:9\","
    "\"flood\":{\"perChat\":{\"max\":1000000,\"windowMs\":1},"
    "\"perGroup\":{\"max\":1000000,\"windowMs\":1},\"global\":{\"max\":1000000,\"windowMs\":1}}}";
static const char SENT[] =
    "{\"ok\":true,\"result\":{\"message_id\":1,\"date\":1780000000,\"chat\":{\"id\":1,"
    "\"type\":\"private\"},\"text\":\"x\"}}";

typedef struct batch {
    const char *text;
    size_t len;
} batch;

typedef struct totals {
    uint64_t dispatched;
    uint64_t replies;
} totals;

static void fail(const char *what, botwire_result r) {
    const char *detail = "";
    size_t len = 0;
    botwire_last_error(&detail, &len);
    fprintf(stderr, "abi_bench: %s: %s (%.*s)\n", what, botwire_result_message(r), (int)len,
            detail);
    exit(1);
}

#define MUST(call)                                                                         \
    do {                                                                                   \
        botwire_result r_ = (call);                                                        \
        if (r_ != BOTWIRE_RESULT_OK) {                                                     \
            fail(#call, r_);                                                               \
        }                                                                                  \
    } while (0)

static int ends_with(botwire_str s, const char *suffix) {
    size_t n = strlen(suffix);
    return s.len >= n && memcmp(s.ptr + s.len - n, suffix, n) == 0;
}

static totals run(const batch *batches, size_t batch_count) {
    totals t = {0, 0};
    uint64_t now = 1;
    botwire_bot *bot = NULL;
    MUST(botwire_bot_new(OPTIONS, sizeof OPTIONS - 1, &bot));
    MUST(botwire_bot_start(bot, now));
    size_t next_batch = 0;
    uint64_t *sends = malloc(4096 * sizeof *sends);
    size_t send_cap = 4096;
    if (sends == NULL) {
        abort();
    }
    /* The getUpdates request waiting for its batch, kept while sends are answered first. */
    uint64_t poll = 0;
    int has_poll = 0;
    for (size_t step = 0; step < batch_count * 1000 + 100; step++) {
        size_t send_count = 0;
        const botwire_output *output;
        while (botwire_bot_poll_output(bot, &output) == BOTWIRE_RESULT_OK) {
            botwire_output_kind kind = 0;
            uint64_t id = 0;
            MUST(botwire_output_get_kind(output, &kind));
            if (kind == BOTWIRE_OUTPUT_KIND_HTTP_REQUEST) {
                botwire_http_request request;
                MUST(botwire_output_id(output, &id));
                MUST(botwire_output_http_request(output, &request));
                if (ends_with(request.url, "/getUpdates")) {
                    poll = id;
                    has_poll = 1;
                } else {
                    if (send_count == send_cap) {
                        send_cap *= 2;
                        sends = realloc(sends, send_cap * sizeof *sends);
                        if (sends == NULL) {
                            abort();
                        }
                    }
                    sends[send_count++] = id;
                }
            } else if (kind == BOTWIRE_OUTPUT_KIND_DISPATCH) {
                const botwire_event *event;
                MUST(botwire_output_id(output, &id));
                MUST(botwire_output_event(output, &event));
                t.dispatched++;
                botwire_event_kind event_kind = 0;
                botwire_str text;
                MUST(botwire_event_get_kind(event, &event_kind));
                if (event_kind == BOTWIRE_EVENT_KIND_MESSAGE &&
                    botwire_event_text(event, &text) == BOTWIRE_RESULT_OK && text.len > 0) {
                    uint64_t call;
                    botwire_result r =
                        botwire_bot_reply(bot, now, event, text.ptr, text.len, NULL, 0, &call);
                    if (r == BOTWIRE_RESULT_OK) {
                        t.replies++;
                    } else if (r != BOTWIRE_RESULT_INVALID_PARAMETER) { /* no message */
                        fail("reply", r);
                    }
                }
                MUST(botwire_bot_complete(bot, now, id));
            }
        }
        now++;
        if (send_count > 0) {
            for (size_t i = 0; i < send_count; i++) {
                MUST(botwire_bot_handle_http_response(bot, now, sends[i], 200,
                                                      (const uint8_t *)SENT, sizeof SENT - 1));
            }
            continue;
        }
        if (!has_poll || next_batch == batch_count) {
            break;
        }
        has_poll = 0;
        MUST(botwire_bot_handle_http_response(bot, now, poll, 200,
                                              (const uint8_t *)batches[next_batch].text,
                                              batches[next_batch].len));
        next_batch++;
    }
    free(sends);
    botwire_bot_free(bot);
    return t;
}

/* Nanoseconds on `clock`: CLOCK_THREAD_CPUTIME_ID times the runs (time the machine spends on
 * other processes does not count), CLOCK_MONOTONIC gives the wall time for information. */
static uint64_t clock_ns(clockid_t clock) {
    struct timespec ts;
    if (clock_gettime(clock, &ts) != 0) {
        perror("clock_gettime");
        exit(1);
    }
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    buf b;
    buf_init(&b);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        buf_append(&b, chunk, n);
    }
    fclose(f);
    *len = b.len;
    return b.data;
}

int main(int argc, char **argv) {
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: abi_bench CORPUS_DIR OUT.json [RUNS]\n");
        return 2;
    }
    long runs = argc == 4 ? strtol(argv[3], NULL, 10) : 11;
    if (runs < 1 || runs > 1000) {
        fprintf(stderr, "abi_bench: RUNS must be 1..1000\n");
        return 2;
    }
    buf path;
    buf_init(&path);
    buf_appendf(&path, "%s/updates.json", argv[1]);
    size_t corpus_len = 0;
    char *corpus = read_file(path.data, &corpus_len);
    buf_free(&path);
    if (corpus == NULL) {
        fprintf(stderr, "abi_bench: cannot read %s/updates.json\n", argv[1]);
        return 1;
    }
    /* updates.json: a JSON array with one getUpdates body per line. */
    batch *batches = NULL;
    size_t batch_count = 0, updates = 0;
    for (char *line = corpus; line != NULL && *line != '\0';) {
        char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        while (len > 0 && (line[len - 1] == ',' || line[len - 1] == ' ' || line[len - 1] == '\r')) {
            len--;
        }
        if (len > 0 && line[0] == '{') {
            batches = realloc(batches, (batch_count + 1) * sizeof *batches);
            if (batches == NULL) {
                abort();
            }
            batches[batch_count].text = line;
            batches[batch_count].len = len;
            json *body = json_parse(line, len);
            const json *result = json_get(body, "result");
            updates += result != NULL ? result->count : 0;
            json_free(body);
            batch_count++;
        }
        line = end != NULL ? end + 1 : NULL;
    }

    totals warm = run(batches, batch_count);
    if (warm.dispatched != updates) {
        fprintf(stderr, "abi_bench: %llu of %zu updates dispatched\n",
                (unsigned long long)warm.dispatched, updates);
        return 1;
    }
    double *cpu = malloc((size_t)runs * sizeof *cpu);
    double *wall = malloc((size_t)runs * sizeof *wall);
    if (cpu == NULL || wall == NULL) {
        abort();
    }
    for (long i = 0; i < runs; i++) {
        uint64_t started = clock_ns(CLOCK_MONOTONIC);
        uint64_t cpu_started = clock_ns(CLOCK_THREAD_CPUTIME_ID);
        totals t = run(batches, batch_count);
        cpu[i] = (double)(clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu_started) / (double)updates;
        wall[i] = (double)(clock_ns(CLOCK_MONOTONIC) - started) / (double)updates;
        if (t.replies != warm.replies) {
            fprintf(stderr, "abi_bench: runs differ\n");
            return 1;
        }
    }

    FILE *out = fopen(argv[2], "w");
    if (out == NULL) {
        fprintf(stderr, "abi_bench: cannot write %s\n", argv[2]);
        return 1;
    }
    fprintf(out, "{\"side\":\"c\",\"updates\":%zu,\"dispatched\":%llu,\"replies\":%llu,",
            updates, (unsigned long long)warm.dispatched, (unsigned long long)warm.replies);
    fprintf(out, "\"cpu_ns_per_update\":[");
    for (long i = 0; i < runs; i++) {
        fprintf(out, "%s%.1f", i ? "," : "", cpu[i]);
    }
    fprintf(out, "],\"wall_ns_per_update\":[");
    for (long i = 0; i < runs; i++) {
        fprintf(out, "%s%.1f", i ? "," : "", wall[i]);
    }
    fprintf(out, "]}\n");
    fclose(out);
    free(cpu);
    free(wall);
    free(batches);
    free(corpus);
    return 0;
}
