/*
 * Built by `make install-check` against an installed libbotwire, through pkg-config, once
 * linked statically and once dynamically: the header and the library must agree on the
 * version, and a bot must be created, driven one step and freed.
 */
#include <botwire.h>

#include <stdio.h>
#include <string.h>

int main(void) {
    char header_version[32];
    snprintf(header_version, sizeof header_version, "%d.%d.%d", BOTWIRE_VERSION_MAJOR,
             BOTWIRE_VERSION_MINOR, BOTWIRE_VERSION_PATCH);
    if (strcmp(header_version, botwire_version()) != 0) {
        fprintf(stderr, "header %s, library %s\n", header_version, botwire_version());
        return 1;
    }
    static const char options[] = "{\"platform\":\"telegram\",\"token\":\"1:A\"}";
    botwire_bot *bot = NULL;
    if (botwire_bot_new(options, sizeof options - 1, &bot) != BOTWIRE_RESULT_OK) {
        fprintf(stderr, "botwire_bot_new failed\n");
        return 1;
    }
    const botwire_output *output = NULL;
    botwire_output_kind kind = 0;
    if (botwire_bot_start(bot, 0) != BOTWIRE_RESULT_OK ||
        botwire_bot_poll_output(bot, &output) != BOTWIRE_RESULT_OK ||
        botwire_output_get_kind(output, &kind) != BOTWIRE_RESULT_OK ||
        kind != BOTWIRE_OUTPUT_KIND_HTTP_REQUEST) {
        fprintf(stderr, "the first output is not the getUpdates request\n");
        botwire_bot_free(bot);
        return 1;
    }
    botwire_bot_free(bot);
    printf("libbotwire %s installed and usable\n", botwire_version());
    return 0;
}
