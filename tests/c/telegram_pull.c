/*
 * The Telegram scenario (telegram_scenario.h) in pull mode: the test drains
 * botwire_bot_poll_output() after every input, performs the requests, arms the timer from
 * botwire_bot_poll_timeout(), and routes the dispatches itself.
 */
#include "telegram_scenario.h"

int main(void) { return run_telegram_scenario(HOST_PULL, "telegram_pull"); }
