// A Telegram echo bot in C++17 on libbotwire, in pull mode: the loop drains the bot's
// outputs, performs the HTTP requests with libcurl's multi interface, and arms its timer
// from botwire_bot_poll_timeout(). The C handles live in small RAII types (unique_ptr with
// deleters), strings cross as std::string_view, and handlers are lambdas.
//
//   echo_bot_cpp [TOKEN [API_ROOT [MAX_UPDATES]]]
//
// Each argument falls back to BOTWIRE_TOKEN, BOTWIRE_API_ROOT (default
// https://api.telegram.org) and BOTWIRE_MAX_UPDATES (0 or unset: no limit). It answers /start
// with a greeting and echoes every other text; it stops gracefully after MAX_UPDATES updates
// or on SIGINT/SIGTERM.
//
// Build: c++ -std=c++17 echo_bot.cpp -Iinclude libbotwire.a $(curl-config --libs) -lpthread -ldl -lm

#include "botwire.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace botwire {

// A failed library call, with the library's explanation.
class Error : public std::runtime_error {
  public:
    Error(botwire_result code, std::string_view what)
        : std::runtime_error(std::string(what) + ": " + botwire_result_message(code) + " (" +
                             last_error() + ")"),
          code_(code) {}
    botwire_result code() const { return code_; }

  private:
    static std::string last_error() {
        const char *text = "";
        size_t len = 0;
        botwire_last_error(&text, &len);
        return std::string(text, len);
    }
    botwire_result code_;
};

inline void check(botwire_result result, std::string_view what) {
    if (result != BOTWIRE_RESULT_OK) {
        throw Error(result, what);
    }
}

inline std::string_view view(botwire_str s) { return {s.ptr, s.len}; }

inline uint64_t now_ms() {
    using namespace std::chrono;
    return static_cast<uint64_t>(
        duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

// A borrowed event: valid while its dispatch is not completed.
class Event {
  public:
    explicit Event(const botwire_event *event) : event_(event) {}
    const botwire_event *get() const { return event_; }

    botwire_event_kind kind() const {
        botwire_event_kind kind = BOTWIRE_EVENT_KIND_UNKNOWN;
        check(botwire_event_get_kind(event_, &kind), "event kind");
        return kind;
    }
    std::optional<std::string_view> text() const { return optional(botwire_event_text); }
    std::optional<std::string_view> user_name() const {
        return optional(botwire_event_user_name);
    }

  private:
    using Accessor = botwire_result (*)(const botwire_event *, botwire_str *);
    std::optional<std::string_view> optional(Accessor get) const {
        botwire_str s{};
        botwire_result r = get(event_, &s);
        if (r == BOTWIRE_RESULT_EMPTY) {
            return std::nullopt;
        }
        check(r, "event accessor");
        return view(s);
    }
    const botwire_event *event_;
};

// A bot handle: freed with botwire_bot_free when the Bot goes away.
class Bot {
  public:
    using Handler = std::function<void(Bot &, uint64_t dispatch, const Event &)>;

    explicit Bot(std::string_view options_json) {
        botwire_bot *raw = nullptr;
        check(botwire_bot_new(options_json.data(), options_json.size(), &raw), "botwire_bot_new");
        bot_.reset(raw);
    }

    void on_command(std::string_view name, Handler handler) {
        check(botwire_bot_on_command(bot_.get(), name.data(), name.size(), &trampoline,
                                     keep(std::move(handler))),
              "on_command");
    }
    void on(botwire_event_kind kind, Handler handler) {
        check(botwire_bot_on(bot_.get(), kind, nullptr, 0, &trampoline, keep(std::move(handler))),
              "on");
    }
    void on_any(Handler handler) {
        check(botwire_bot_on_any(bot_.get(), &trampoline, keep(std::move(handler))), "on_any");
    }

    void start() { check(botwire_bot_start(bot_.get(), now_ms()), "start"); }
    void stop() { check(botwire_bot_stop(bot_.get(), now_ms()), "stop"); }

    uint64_t reply(const Event &event, std::string_view text) {
        uint64_t call = 0;
        check(botwire_bot_reply(bot_.get(), now_ms(), event.get(), text.data(), text.size(),
                                nullptr, 0, &call),
              "reply");
        return call;
    }
    void complete(uint64_t dispatch) {
        check(botwire_bot_complete(bot_.get(), now_ms(), dispatch), "complete");
    }
    void fail(uint64_t dispatch, std::string_view reason) {
        check(botwire_bot_fail(bot_.get(), now_ms(), dispatch, reason.data(), reason.size()),
              "fail");
    }

    void answer(uint64_t request, long status, std::string_view body) {
        check(botwire_bot_handle_http_response(
                  bot_.get(), now_ms(), request, static_cast<uint16_t>(status),
                  reinterpret_cast<const uint8_t *>(body.data()), body.size()),
              "handle_http_response");
    }
    void answer_error(uint64_t request, botwire_http_error_kind kind) {
        check(botwire_bot_handle_http_error(bot_.get(), now_ms(), request, kind),
              "handle_http_error");
    }
    void timeout() { check(botwire_bot_handle_timeout(bot_.get(), now_ms()), "handle_timeout"); }

    // The next output (valid until the next call), or nothing.
    const botwire_output *poll_output() {
        const botwire_output *output = nullptr;
        botwire_result r = botwire_bot_poll_output(bot_.get(), &output);
        if (r == BOTWIRE_RESULT_EMPTY) {
            return nullptr;
        }
        check(r, "poll_output");
        return output;
    }
    std::optional<uint64_t> poll_timeout() {
        uint64_t at = 0;
        botwire_result r = botwire_bot_poll_timeout(bot_.get(), &at);
        if (r == BOTWIRE_RESULT_EMPTY) {
            return std::nullopt;
        }
        check(r, "poll_timeout");
        return at;
    }

  private:
    struct Deleter {
        void operator()(botwire_bot *bot) const { botwire_bot_free(bot); }
    };
    struct Route {
        Bot *bot;
        Handler handler;
    };

    void *keep(Handler handler) {
        routes_.push_back(std::make_unique<Route>(Route{this, std::move(handler)}));
        return routes_.back().get();
    }

    // Calls the lambda; an exception fails the dispatch (it must not cross the C library).
    static void trampoline(void *userdata, botwire_bot *, uint64_t dispatch,
                           const botwire_event *event) {
        auto *route = static_cast<Route *>(userdata);
        try {
            route->handler(*route->bot, dispatch, Event(event));
        } catch (const std::exception &e) {
            std::fprintf(stderr, "echo_bot_cpp: handler failed: %s\n", e.what());
            botwire_bot_fail(route->bot->bot_.get(), now_ms(), dispatch, e.what(),
                             std::char_traits<char>::length(e.what()));
        }
    }

    std::unique_ptr<botwire_bot, Deleter> bot_;
    std::vector<std::unique_ptr<Route>> routes_; // stable addresses for the userdata pointers
};

} // namespace botwire

namespace {

// libcurl handles, freed by their deleters.
struct MultiDeleter {
    void operator()(CURLM *multi) const { curl_multi_cleanup(multi); }
};
struct EasyDeleter {
    void operator()(CURL *easy) const { curl_easy_cleanup(easy); }
};
struct ListDeleter {
    void operator()(curl_slist *list) const { curl_slist_free_all(list); }
};
using Multi = std::unique_ptr<CURLM, MultiDeleter>;
using Easy = std::unique_ptr<CURL, EasyDeleter>;
using HeaderList = std::unique_ptr<curl_slist, ListDeleter>;

struct Transfer {
    uint64_t request = 0;
    Easy easy;
    HeaderList headers;
    std::string response;
};

// The HTTP requests in flight, keyed by their curl handle.
class Transfers {
  public:
    Transfers() : multi_(curl_multi_init()) {}
    ~Transfers() {
        for (auto &entry : active_) {
            curl_multi_remove_handle(multi_.get(), entry.first);
        }
    }

    void start(uint64_t request, const botwire_http_request &req) {
        auto t = std::make_unique<Transfer>();
        t->request = request;
        t->easy.reset(curl_easy_init());
        CURL *easy = t->easy.get();
        std::string url(botwire::view(req.url));
        curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
        if (botwire::view(req.method) == "POST") {
            curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body_len));
            curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS,
                             req.body_len ? reinterpret_cast<const char *>(req.body) : "");
        }
        curl_slist *list = nullptr;
        for (size_t i = 0; i < req.header_count; ++i) {
            std::string line(botwire::view(req.headers[i].name));
            line += ": ";
            line += botwire::view(req.headers[i].value);
            list = curl_slist_append(list, line.c_str());
        }
        list = curl_slist_append(list, "Expect:");
        t->headers.reset(list);
        curl_easy_setopt(easy, CURLOPT_HTTPHEADER, list);
        if (req.timeout_ms > 0) {
            curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout_ms));
        }
        curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &collect);
        curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t->response);
        curl_multi_add_handle(multi_.get(), easy);
        active_.emplace(easy, std::move(t));
    }

    // Stops a transfer; it is reported as aborted by the next finished().
    void abort(uint64_t request) {
        for (auto it = active_.begin(); it != active_.end(); ++it) {
            if (it->second->request == request) {
                curl_multi_remove_handle(multi_.get(), it->first);
                aborted_.push_back(request);
                active_.erase(it);
                return;
            }
        }
    }

    void wait(int timeout_ms) {
        int running = 0;
        curl_multi_poll(multi_.get(), nullptr, 0, timeout_ms, nullptr);
        curl_multi_perform(multi_.get(), &running);
    }

    // Reports every finished or aborted transfer to `bot`.
    void finished(botwire::Bot &bot) {
        for (uint64_t request : std::exchange(aborted_, {})) {
            bot.answer_error(request, BOTWIRE_HTTP_ERROR_KIND_ABORTED);
        }
        int left = 0;
        while (CURLMsg *msg = curl_multi_info_read(multi_.get(), &left)) {
            if (msg->msg != CURLMSG_DONE) {
                continue;
            }
            auto it = active_.find(msg->easy_handle);
            if (it == active_.end()) {
                continue;
            }
            CURLcode code = msg->data.result;
            std::unique_ptr<Transfer> t = std::move(it->second);
            active_.erase(it);
            curl_multi_remove_handle(multi_.get(), t->easy.get());
            if (code == CURLE_OK) {
                long status = 0;
                curl_easy_getinfo(t->easy.get(), CURLINFO_RESPONSE_CODE, &status);
                bot.answer(t->request, status, t->response);
            } else {
                bot.answer_error(t->request, code == CURLE_OPERATION_TIMEDOUT
                                                 ? BOTWIRE_HTTP_ERROR_KIND_TIMEOUT
                                             : code == CURLE_COULDNT_CONNECT
                                                 ? BOTWIRE_HTTP_ERROR_KIND_CONNECT
                                                 : BOTWIRE_HTTP_ERROR_KIND_IO);
            }
        }
    }

  private:
    static size_t collect(char *data, size_t size, size_t count, void *userdata) {
        static_cast<std::string *>(userdata)->append(data, size * count);
        return size * count;
    }

    Multi multi_;
    std::map<CURL *, std::unique_ptr<Transfer>> active_;
    std::vector<uint64_t> aborted_;
};

volatile std::sig_atomic_t interrupted = 0;

std::string json_string(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
            out += escaped;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

const char *setting(int argc, char **argv, int index, const char *env) {
    const char *value = argc > index ? argv[index] : std::getenv(env);
    return value != nullptr && *value != '\0' ? value : nullptr;
}

} // namespace

int main(int argc, char **argv) {
    const char *token = setting(argc, argv, 1, "BOTWIRE_TOKEN");
    const char *root = setting(argc, argv, 2, "BOTWIRE_API_ROOT");
    const char *max = setting(argc, argv, 3, "BOTWIRE_MAX_UPDATES");
    if (token == nullptr) {
        std::fprintf(stderr, "usage: echo_bot_cpp TOKEN [API_ROOT [MAX_UPDATES]]\n");
        return 2;
    }
    const std::string api_root = root != nullptr ? root : "https://api.telegram.org";
    const unsigned long max_updates = max != nullptr ? std::strtoul(max, nullptr, 10) : 0;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        return 1;
    }
    int status = 0;
    try {
        botwire::Bot bot("{\"platform\":\"telegram\",\"token\":" + json_string(token) +
                         ",\"apiRoot\":" + json_string(api_root) + "}");
        unsigned long handled = 0;
        bool stop_wanted = false;
        auto counted = [&] {
            if (++handled == max_updates) {
                stop_wanted = true;
            }
        };
        bot.on_command("start", [&](botwire::Bot &b, uint64_t dispatch, const botwire::Event &e) {
            b.reply(e, "Hello! I echo what you write.");
            b.complete(dispatch);
            counted();
        });
        bot.on(BOTWIRE_EVENT_KIND_MESSAGE,
               [&](botwire::Bot &b, uint64_t dispatch, const botwire::Event &e) {
                   if (auto text = e.text(); text && !text->empty()) {
                       b.reply(e, *text);
                   }
                   b.complete(dispatch);
                   counted();
               });
        // Anything else is completed at once, so that it does not hold back its chat.
        bot.on_any([](botwire::Bot &b, uint64_t dispatch, const botwire::Event &) {
            b.complete(dispatch);
        });

        std::signal(SIGINT, [](int) { interrupted = 1; });
        std::signal(SIGTERM, [](int) { interrupted = 1; });

        Transfers transfers;
        bool stopped = false, stop_sent = false;
        std::fprintf(stderr, "echo_bot_cpp: polling %s\n", api_root.c_str());
        bot.start();
        while (!stopped) {
            // Pull mode: perform what the bot asks for, until nothing is left.
            while (const botwire_output *output = bot.poll_output()) {
                botwire_output_kind kind{};
                botwire::check(botwire_output_get_kind(output, &kind), "output kind");
                uint64_t id = 0;
                botwire_output_id(output, &id);
                botwire_str json{};
                switch (kind) {
                case BOTWIRE_OUTPUT_KIND_HTTP_REQUEST: {
                    botwire_http_request request{};
                    botwire::check(botwire_output_http_request(output, &request), "request");
                    transfers.start(id, request);
                    break;
                }
                case BOTWIRE_OUTPUT_KIND_HTTP_ABORT:
                    transfers.abort(id);
                    break;
                case BOTWIRE_OUTPUT_KIND_DISPATCH: // no route took it (the catch-all does)
                    bot.complete(id);
                    break;
                case BOTWIRE_OUTPUT_KIND_CALL_DONE:
                    break; // replies' outcomes; a failure is also in the library's notices
                default:
                    botwire::check(botwire_output_json(output, &json), "output");
                    std::fprintf(stderr, "echo_bot_cpp: %.*s\n", static_cast<int>(json.len),
                                 json.ptr);
                    stopped = stopped || kind == BOTWIRE_OUTPUT_KIND_STOPPED;
                    break;
                }
            }
            if (stopped) {
                break;
            }
            if ((interrupted || stop_wanted) && !stop_sent) {
                stop_sent = true;
                bot.stop();
                continue;
            }
            int wait = 250; // a signal is noticed within 250 ms
            if (auto at = bot.poll_timeout()) {
                uint64_t now = botwire::now_ms();
                wait = *at <= now ? 0 : static_cast<int>(std::min<uint64_t>(*at - now, 250));
            }
            transfers.wait(wait);
            transfers.finished(bot);
            if (auto at = bot.poll_timeout(); at && *at <= botwire::now_ms()) {
                bot.timeout();
            }
        }
        std::fprintf(stderr, "echo_bot_cpp: stopped after %lu updates\n", handled);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "echo_bot_cpp: %s\n", e.what());
        status = 1;
    }
    curl_global_cleanup();
    return status;
}
