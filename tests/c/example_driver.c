/*
 * Runs an example bot against a fresh botwire-sim and checks what it did:
 *
 *   example_driver telegram PROGRAM     users write /start and two texts; the bot must answer
 *                                       each, then stop by itself after 3 updates; a second
 *                                       run without a limit must stop cleanly on SIGINT
 *   example_driver trueconf PROGRAM     the same over the TrueConf simulator
 *
 * The program is configured through the environment (BOTWIRE_API_ROOT, BOTWIRE_TOKEN,
 * BOTWIRE_MAX_UPDATES; BOTWIRE_TRUECONF_SERVER, BOTWIRE_TRUECONF_PORT,
 * BOTWIRE_TRUECONF_USERNAME, BOTWIRE_TRUECONF_PASSWORD), as a user would from the README.
 * Every wait is bounded; a bot that does not stop is killed and the run fails.
 */
#define _POSIX_C_SOURCE 200809L

#include "support/support.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* What the bot sends in the first run of each platform. */
#define FIRST_RUN "Hello! I echo what you write.\nhello\ncaf\xc3\xa9 \xf0\x9f\x98\x80"

static pid_t spawn_bot(const char *program) {
    char *const argv[] = {(char *)program, NULL};
    pid_t pid;
    int error = posix_spawn(&pid, program, NULL, NULL, argv, environ);
    if (error != 0) {
        fprintf(stderr, "cannot start %s: %s\n", program, strerror(error));
        return -1;
    }
    return pid;
}

/* Waits up to `timeout_ms` for `pid`; its wait status, or -1 if it is still running. */
static int wait_exit(pid_t pid, uint64_t timeout_ms) {
    uint64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        int status;
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid) {
            return status;
        }
        if (done < 0 && errno != EINTR) {
            return -1;
        }
        if (now_ms() >= deadline) {
            return -1;
        }
        sleep_ms(20);
    }
}

/* Checks that the bot exits with status 0 within `timeout_ms`; kills it otherwise. */
static void expect_clean_exit(pid_t pid, uint64_t timeout_ms, const char *how) {
    int status = wait_exit(pid, timeout_ms);
    if (status == -1) {
        fprintf(stderr, "the bot did not stop (%s) within %llu ms: killed\n", how,
                (unsigned long long)timeout_ms);
        check_failures++;
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return;
    }
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: wait status 0x%x", how,
              (unsigned)status);
}

/*
 * Waits (at most 15 s) until the bot has sent as many messages as `expected` lists (texts
 * joined with '\n'), then compares them.
 */
static void expect_sent(const sim_server *sim, const char *expected) {
    size_t want = 1;
    for (const char *p = expected; *p != '\0'; p++) {
        want += *p == '\n';
    }
    buf texts;
    buf_init(&texts);
    uint64_t deadline = now_ms() + 15000;
    int telegram = strcmp(sim->platform, "telegram") == 0;
    for (;;) {
        json *t = telegram ? sim_tg_transcript(sim, 0, 0, 0) : sim_tc_transcript(sim, 0, 0, 0);
        size_t sent = transcript_texts(json_get(t, "result"), "sent", &texts);
        json_free(t);
        if (sent >= want || now_ms() >= deadline) {
            break;
        }
        sleep_ms(50);
    }
    CHECK_MSG(strcmp(texts.data, expected) == 0, "sent:\n%s\nexpected:\n%s", texts.data,
              expected);
    buf_free(&texts);
}

static void telegram(const char *program) {
    sim_server sim;
    if (sim_start(&sim, "telegram", NULL, 20000) != 0) {
        check_failures++;
        return;
    }
    setenv("BOTWIRE_API_ROOT", sim.url, 1);
    setenv("BOTWIRE_TOKEN", SIM_TELEGRAM_TOKEN, 1);

    /* Run 1: three updates, then the bot stops by itself. */
    setenv("BOTWIRE_MAX_UPDATES", "3", 1);
    pid_t pid = spawn_bot(program);
    CHECK(pid > 0);
    if (pid > 0) {
        int held = 0;
        for (int i = 0; i < 500 && !(held = sim_tg_has_held_poll(&sim) == 1); i++) {
            sleep_ms(20);
        }
        CHECK_MSG(held, "%s", "the bot never long-polled");
        CHECK(sim_tg_message(&sim, 42, "/start") > 0);
        CHECK(sim_tg_message(&sim, 42, "hello") > 0);
        CHECK(sim_tg_message(&sim, 42, "caf\xc3\xa9 \xf0\x9f\x98\x80") > 0);
        expect_sent(&sim, FIRST_RUN);
        expect_clean_exit(pid, 15000, "after 3 updates");
        /* It confirmed what it handled: the next bot does not see these updates again. */
        json *state = sim_control(&sim, "/control/state", NULL, 5000);
        int64_t pending = -1;
        CHECK(json_i64(json_path(state, "result.pending_update_count"), &pending) == 0 &&
              pending == 0);
        json_free(state);
    }

    /* Run 2: no limit; SIGINT stops it cleanly. */
    setenv("BOTWIRE_MAX_UPDATES", "0", 1);
    pid = spawn_bot(program);
    CHECK(pid > 0);
    if (pid > 0) {
        CHECK(sim_tg_message(&sim, 42, "still there?") > 0);
        expect_sent(&sim, FIRST_RUN "\nstill there?");
        kill(pid, SIGINT);
        expect_clean_exit(pid, 15000, "after SIGINT");
    }
    sim_stop(&sim);
}

static void trueconf(const char *program) {
    sim_server sim;
    if (sim_start(&sim, "trueconf", NULL, 20000) != 0) {
        check_failures++;
        return;
    }
    char port[16];
    snprintf(port, sizeof port, "%d", sim.port);
    setenv("BOTWIRE_TRUECONF_SERVER", "127.0.0.1", 1);
    setenv("BOTWIRE_TRUECONF_PORT", port, 1);
    setenv("BOTWIRE_TRUECONF_USERNAME", SIM_TRUECONF_USER, 1);
    setenv("BOTWIRE_TRUECONF_PASSWORD", SIM_TRUECONF_PASSWORD, 1);

    setenv("BOTWIRE_MAX_UPDATES", "3", 1);
    pid_t pid = spawn_bot(program);
    CHECK(pid > 0);
    if (pid > 0) {
        CHECK_MSG(sim_tc_authorized_connections(&sim, 1, 20000) >= 1, "%s",
                  "the bot never authorized its socket");
        CHECK(sim_tc_message(&sim, "alice", "/start") == 0);
        CHECK(sim_tc_message(&sim, "alice", "hello") == 0);
        CHECK(sim_tc_message(&sim, "alice", "caf\xc3\xa9 \xf0\x9f\x98\x80") == 0);
        expect_sent(&sim, FIRST_RUN);
        expect_clean_exit(pid, 15000, "after 3 updates");
        /* Its socket is gone before the next bot starts. */
        int open = -1;
        for (int i = 0; i < 250 && (open = sim_tc_authorized_connections(&sim, 0, 0)) != 0; i++) {
            sleep_ms(20);
        }
        CHECK_MSG(open == 0, "%d socket(s) still open", open);
    }

    setenv("BOTWIRE_MAX_UPDATES", "0", 1);
    pid = spawn_bot(program);
    CHECK(pid > 0);
    if (pid > 0) {
        CHECK(sim_tc_authorized_connections(&sim, 1, 20000) >= 1);
        CHECK(sim_tc_message(&sim, "alice", "still there?") == 0);
        expect_sent(&sim, FIRST_RUN "\nstill there?");
        kill(pid, SIGINT);
        expect_clean_exit(pid, 15000, "after SIGINT");
    }
    sim_stop(&sim);
}

int main(int argc, char **argv) {
    if (argc != 3 || (strcmp(argv[1], "telegram") != 0 && strcmp(argv[1], "trueconf") != 0)) {
        fprintf(stderr, "usage: example_driver telegram|trueconf PROGRAM\n");
        return 2;
    }
    if (strcmp(argv[1], "telegram") == 0) {
        telegram(argv[2]);
    } else {
        trueconf(argv[2]);
    }
    return check_report(argv[2]);
}
