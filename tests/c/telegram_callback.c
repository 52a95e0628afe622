/*
 * The Telegram scenario (telegram_scenario.h) in callback mode: a botwire_io_callbacks table
 * (send_http, set_timer, call_done, notice, dispatch) and handlers registered as routes
 * (command, callback-data prefix, exact text, regex, event kind); the test feeds the HTTP
 * answers and timer firings back from its poll() loop.
 */
#include "telegram_scenario.h"

int main(void) { return run_telegram_scenario(HOST_CALLBACKS, "telegram_callback"); }
