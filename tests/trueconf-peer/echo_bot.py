"""An echo bot on the unmodified python-trueconf-bot 1.5.x client, for the TrueConf peer check.

It answers every text message with "echo: <text>" and every document with a copy of it,
captioned "got <name>: <size> bytes". The text "/probe" makes it call most API methods and
answer "probe ok: <n> calls" (or what failed).

    python3 echo_bot.py PORT                       log in with user name and password, run
    python3 echo_bot.py PORT --oauth CLIENT_ID     log in through the OAuth application,
                                                   authorise the socket, then exit 0

run.py starts it against botwire-sim on 127.0.0.1:PORT.
"""

import argparse
import asyncio
import logging
import sys

from trueconf import Bot, Dispatcher, F, Message, ParseMode, Router
from trueconf.types.input_file import BufferedInputFile

SERVER = "127.0.0.1"
USERNAME = "helpdesk_bot"
PASSWORD = "s3cret"

router = Router()


@router.message(F.text == "/probe")
async def probe(message: Message) -> None:
    """Calls most API methods, so that the client's strict parsers read every answer shape."""
    bot = message.bot
    chat_id = message.chat.chat_id
    user_id = message.author.id
    steps = 0

    async def step(call):
        nonlocal steps
        result = await call
        steps += 1
        return result

    try:
        await step(bot.get_chat_by_id(chat_id))
        await step(bot.get_chats(count=10, page=1))
        await step(bot.get_chat_history(chat_id, count=20))
        await step(bot.get_message_by_id(message.message_id))
        await step(bot.get_user_display_name(user_id))
        await step(bot.send_chat_activity(chat_id, "typing"))
        await step(bot.get_file_info_upload_limits())
        await step(bot.create_favorites_chat())
        await step(bot.create_personal_chat(user_id))
        group = (await step(bot.create_group_chat("Probe group"))).chat_id
        await step(bot.add_participant_to_chat(group, user_id, display_history=True))
        await step(bot.get_chat_participants(group, 50, 1))
        await step(bot.get_chat_participant(group, user_id))
        await step(bot.has_chat_participant(group, user_id))
        await step(bot.change_participant_role(group, user_id, "admin"))
        await step(bot.edit_chat_title(group, "Probe group, renamed"))
        await step(bot.forward_message(group, message.message_id))
        sent = await step(bot.send_message(group, "to be edited"))
        await step(bot.edit_message(sent.message_id, "edited"))
        survey = await step(bot.send_survey(group, "Lunch", "c0ffee12"))
        await step(bot.edit_survey(survey.message_id, "Lunch at noon", "c0ffee12"))
        await step(bot.get_chat_history(group, count=50))
        await step(bot.get_message_by_id(sent.message_id))
        await step(bot.remove_message(sent.message_id, for_all=True))
        await step(bot.clear_chat_history(group, for_all=True))
        await step(bot.remove_participant_from_chat(group, user_id))
        await step(bot.delete_chat(group))
    except Exception as error:  # reported to the driver through the transcript
        text = f"probe failed after {steps} calls: {type(error).__name__}: {error}"
        await message.answer(text[:4000], parse_mode=ParseMode.TEXT)
        return
    await message.answer(f"probe ok: {steps} calls", parse_mode=ParseMode.TEXT)


@router.message(F.text)
async def echo(message: Message) -> None:
    await message.answer(f"echo: {message.text}", parse_mode=ParseMode.TEXT)


@router.message(F.document)
async def copy_back(message: Message) -> None:
    document = message.document
    data = await document.download()
    if not isinstance(data, bytes):
        await message.answer("download failed", parse_mode=ParseMode.TEXT)
        return
    await message.answer_document(
        BufferedInputFile(data, file_name=f"copy-{document.file_name}"),
        caption=f"got {document.file_name}: {len(data)} bytes",
    )


async def oauth_check(port: int, client_id: str) -> int:
    bot = Bot.from_oauth(
        SERVER, USERNAME, PASSWORD, client_id, https=False, web_port=port, timeout=3
    )
    await bot.start()
    try:
        await asyncio.wait_for(bot.authorized_event.wait(), timeout=15)
    finally:
        await bot.shutdown(timeout=5)
    print(f"oauth: authorised as {bot.me_id}", flush=True)
    return 0


async def run(port: int) -> int:
    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    bot = Bot.from_credentials(
        SERVER,
        USERNAME,
        PASSWORD,
        https=False,
        web_port=port,
        dispatcher=dispatcher,
        timeout=3,
    )
    await bot.run()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int)
    parser.add_argument("--oauth", metavar="CLIENT_ID")
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
    )
    # The HTTP library logs whole URLs, and download URLs carry a token.
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    if args.oauth:
        return asyncio.run(oauth_check(args.port, args.oauth))
    return asyncio.run(run(args.port))


if __name__ == "__main__":
    sys.exit(main())
