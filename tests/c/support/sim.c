/* The botwire-sim launcher and its control API. */
#define _POSIX_C_SOURCE 200809L

#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int is_executable(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

const char *sim_binary(void) {
    static char path[4096];
    const char *env = getenv("BOTWIRE_SIM");
    if (env != NULL && *env != '\0') {
        return is_executable(env) ? env : NULL;
    }
    const char *target = getenv("CARGO_TARGET_DIR");
    if (target != NULL && *target != '\0') {
        snprintf(path, sizeof path, "%s/debug/botwire-sim", target);
        if (is_executable(path)) {
            return path;
        }
    }
    snprintf(path, sizeof path, "target/debug/botwire-sim");
    return is_executable(path) ? path : NULL;
}

int sim_start(sim_server *sim, const char *platform, const char *const *extra_args,
              uint64_t timeout_ms) {
    memset(sim, 0, sizeof *sim);
    sim->pid = -1;
    sim->stdout_fd = -1;
    const char *binary = sim_binary();
    if (binary == NULL) {
        fprintf(stderr,
                "botwire-sim not found: build it with 'cargo build -p botwire-sim' and set "
                "BOTWIRE_SIM to its path\n");
        return -1;
    }
    snprintf(sim->platform, sizeof sim->platform, "%s", platform);

    const char *argv[32];
    size_t argc = 0;
    argv[argc++] = binary;
    argv[argc++] = "--platform";
    argv[argc++] = platform;
    argv[argc++] = "--port";
    argv[argc++] = "0";
    for (size_t i = 0; extra_args != NULL && extra_args[i] != NULL && argc < 31; i++) {
        argv[argc++] = extra_args[i];
    }
    argv[argc] = NULL;

    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) {
        perror("pipe");
        return -1;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[1]);
    pid_t pid;
    int spawned = posix_spawn(&pid, binary, &actions, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(pipe_fds[1]);
    if (spawned != 0) {
        fprintf(stderr, "cannot start %s: %s\n", binary, strerror(spawned));
        close(pipe_fds[0]);
        return -1;
    }
    sim->pid = pid;
    sim->stdout_fd = pipe_fds[0];

    /* Wait for "listening on http://127.0.0.1:PORT\n". */
    char line[256];
    size_t len = 0;
    uint64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        char *newline = memchr(line, '\n', len);
        if (newline != NULL) {
            *newline = '\0';
            const char *marker = strstr(line, "listening on http://127.0.0.1:");
            if (marker == NULL) {
                fprintf(stderr, "botwire-sim said: %s\n", line);
                sim_stop(sim);
                return -1;
            }
            sim->port = atoi(marker + strlen("listening on http://127.0.0.1:"));
            snprintf(sim->url, sizeof sim->url, "http://127.0.0.1:%d", sim->port);
            return sim->port > 0 ? 0 : -1;
        }
        uint64_t now = now_ms();
        if (now >= deadline || len + 1 >= sizeof line) {
            fprintf(stderr, "botwire-sim did not announce its port within %llu ms\n",
                    (unsigned long long)timeout_ms);
            sim_stop(sim);
            return -1;
        }
        struct pollfd pfd = {sim->stdout_fd, POLLIN, 0};
        int ready = poll(&pfd, 1, (int)(deadline - now));
        if (ready < 0 && errno != EINTR) {
            sim_stop(sim);
            return -1;
        }
        if (ready <= 0) {
            continue;
        }
        ssize_t n = read(sim->stdout_fd, line + len, sizeof line - 1 - len);
        if (n <= 0) {
            fprintf(stderr, "botwire-sim exited before listening\n");
            sim_stop(sim);
            return -1;
        }
        len += (size_t)n;
    }
}

void sim_stop(sim_server *sim) {
    if (sim->pid > 0) {
        kill(sim->pid, SIGKILL);
        int status;
        while (waitpid(sim->pid, &status, 0) < 0 && errno == EINTR) {
        }
        sim->pid = -1;
    }
    if (sim->stdout_fd >= 0) {
        close(sim->stdout_fd);
        sim->stdout_fd = -1;
    }
}

json *sim_control(const sim_server *sim, const char *route, const char *body_json,
                  uint64_t timeout_ms) {
    buf url;
    buf_init(&url);
    buf_appendf(&url, "%s%s", sim->url, route);
    http_response response;
    http_failure failure =
        http_fetch(body_json != NULL ? "POST" : "GET", url.data, body_json,
                   body_json != NULL ? strlen(body_json) : 0, timeout_ms, &response);
    buf_free(&url);
    if (failure != HTTP_FAIL_NONE) {
        fprintf(stderr, "control %s: %s\n", route, http_failure_name(failure));
        return NULL;
    }
    json *answer = json_parse(response.body, response.body_len);
    if (answer == NULL || !json_true(json_get(answer, "ok"))) {
        fprintf(stderr, "control %s: HTTP %d %s\n", route, response.status, response.body);
        json_free(answer);
        answer = NULL;
    }
    http_response_free(&response);
    return answer;
}

int64_t sim_tg_message(const sim_server *sim, int64_t user_id, const char *text) {
    buf body;
    buf_init(&body);
    buf_appendf(&body, "{\"user_id\":%lld,\"text\":", (long long)user_id);
    buf_append_json_string(&body, text, strlen(text));
    buf_appends(&body, "}");
    json *answer = sim_control(sim, "/control/message", body.data, 10000);
    buf_free(&body);
    int64_t message_id = -1;
    if (answer != NULL && json_i64(json_path(answer, "result.message_id"), &message_id) != 0) {
        message_id = -1;
    }
    json_free(answer);
    return message_id;
}

int sim_tg_button(const sim_server *sim, int64_t user_id, int64_t message_id, const char *data) {
    buf body;
    buf_init(&body);
    buf_appendf(&body, "{\"user_id\":%lld,\"message_id\":%lld,\"data\":", (long long)user_id,
                (long long)message_id);
    buf_append_json_string(&body, data, strlen(data));
    buf_appends(&body, "}");
    json *answer = sim_control(sim, "/control/button", body.data, 10000);
    buf_free(&body);
    int ok = answer != NULL ? 0 : -1;
    json_free(answer);
    return ok;
}

static json *transcript(const sim_server *sim, const char *route, unsigned since, unsigned min,
                        unsigned wait_ms) {
    char path[160];
    snprintf(path, sizeof path, "%s?since=%u&min=%u&wait_ms=%u", route, since, min, wait_ms);
    return sim_control(sim, path, NULL, (uint64_t)wait_ms + 10000);
}

json *sim_tg_transcript(const sim_server *sim, unsigned since, unsigned min, unsigned wait_ms) {
    return transcript(sim, "/control/transcript", since, min, wait_ms);
}

int sim_tg_has_held_poll(const sim_server *sim) {
    json *state = sim_control(sim, "/control/state", NULL, 10000);
    if (state == NULL) {
        return -1;
    }
    const json *held = json_path(state, "result.has_held_poll");
    int result = held != NULL && held->type == JSON_BOOL ? held->boolean : -1;
    json_free(state);
    return result;
}

int sim_tc_message(const sim_server *sim, const char *user, const char *text) {
    buf body;
    buf_init(&body);
    buf_appends(&body, "{\"user\":");
    buf_append_json_string(&body, user, strlen(user));
    buf_appends(&body, ",\"text\":");
    buf_append_json_string(&body, text, strlen(text));
    buf_appends(&body, "}");
    json *answer = sim_control(sim, "/_sim/trueconf/message", body.data, 10000);
    buf_free(&body);
    int ok = answer != NULL ? 0 : -1;
    json_free(answer);
    return ok;
}

json *sim_tc_transcript(const sim_server *sim, unsigned since, unsigned min, unsigned wait_ms) {
    return transcript(sim, "/_sim/trueconf/transcript", since, min, wait_ms);
}

int sim_tc_authorized_connections(const sim_server *sim, unsigned min, unsigned wait_ms) {
    char path[128];
    snprintf(path, sizeof path, "/_sim/trueconf/connections?authorized=1&min=%u&wait_ms=%u", min,
             wait_ms);
    json *answer = sim_control(sim, path, NULL, (uint64_t)wait_ms + 10000);
    if (answer == NULL) {
        return -1;
    }
    const json *list = json_get(answer, "result");
    int count = list != NULL && list->type == JSON_ARRAY ? (int)list->count : -1;
    json_free(answer);
    return count;
}

size_t transcript_texts(const json *result, const char *action, buf *out) {
    size_t count = 0;
    buf_clear(out);
    if (result == NULL || result->type != JSON_ARRAY) {
        return 0;
    }
    for (const json *entry = result->child; entry != NULL; entry = entry->next) {
        if (!json_str_eq(json_get(entry, "action"), action)) {
            continue;
        }
        const char *text = json_str(json_get(entry, "text"));
        if (count > 0) {
            buf_append(out, "\n", 1);
        }
        buf_appends(out, text != NULL ? text : "(null)");
        count++;
    }
    if (out->data == NULL) {
        buf_append(out, "", 0);
    }
    return count;
}
