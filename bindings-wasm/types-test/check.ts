// Compiled with `tsc --noEmit` (see run.sh): uses the published declarations the way a bot
// does. Every `@ts-expect-error` line must fail to compile, so the test also proves that the
// types reject wrong parameters; an expected error that does not happen fails the test.

import type {
  ChatMember,
  InputFile,
  MaybeInaccessibleMessage,
  Message,
  MessageOrigin,
  TelegramMethodName,
  TelegramMethods,
  TelegramParams,
  TelegramResult,
  Update,
  User,
} from "../types/telegram";
import type {
  Button,
  Chat,
  ContentOf,
  Envelope,
  TextContent,
  TrueConfEventName,
  TrueConfEvents,
  TrueConfMethodName,
  TrueConfMethods,
  UndocumentedEnvelope,
} from "../types/trueconf";
import type { Bot, TelegramBotOptions, TransportRequest, WaitUntilContext } from "../index";

// Compile-time assertions.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assert<T extends true>(): T | void {}
function exhaustive(value: never): never {
  throw new Error(`unexpected ${String(value)}`);
}

// A typed front end as a package would build on the method maps.
declare function telegram<M extends TelegramMethodName>(
  method: M,
  params: TelegramMethods[M]["params"],
): Promise<TelegramMethods[M]["result"]>;
declare function trueconf<M extends TrueConfMethodName>(
  method: M,
  params: TrueConfMethods[M]["params"],
): Promise<TrueConfMethods[M]["result"]>;
declare function on<E extends TrueConfEventName>(event: E, handler: (payload: TrueConfEvents[E]) => void): void;

// ---------------------------------------------------------------------------------------------
// Telegram
// ---------------------------------------------------------------------------------------------

assert<Equal<TelegramResult<"getMe">, User>>();
assert<Equal<TelegramResult<"getUpdates">, Update[]>>();
assert<Equal<TelegramResult<"editMessageText">, Message | true>>();
assert<Equal<TelegramResult<"getChatMember">, ChatMember>>();
assert<Equal<TelegramParams<"getMe">, Record<string, never>>>();

async function telegramBot(): Promise<void> {
  const updates = await telegram("getUpdates", {
    offset: 1,
    timeout: 30,
    allowed_updates: ["message", "callback_query"],
  });
  // @ts-expect-error not an update kind
  await telegram("getUpdates", { allowed_updates: ["mesage"] });

  for (const update of updates) {
    const id: number = update.update_id;
    if (update.message) {
      const chatId: number = update.message.chat.id;
      const sent: Message = await telegram("sendMessage", {
        chat_id: chatId,
        text: `<b>echo</b> ${update.message.text ?? ""} (${id})`,
        parse_mode: "HTML",
        reply_parameters: { message_id: update.message.message_id },
        reply_markup: {
          inline_keyboard: [[{ text: "Done", callback_data: "done" }, { text: "Docs", url: "https://core.telegram.org" }]],
        },
      });
      const sentId: number = sent.message_id;
      await telegram("sendMessage", { chat_id: "@channel", text: `${sentId}`, reply_markup: { remove_keyboard: true } });
      // @ts-expect-error chat_id is a number or "@username"
      await telegram("sendMessage", { chat_id: true, text: "hi" });
      // @ts-expect-error text is required
      await telegram("sendMessage", { chat_id: chatId });
      // @ts-expect-error parse modes are case-sensitive
      await telegram("sendMessage", { chat_id: chatId, text: "*hi*", parse_mode: "markdown" });
      // @ts-expect-error unknown parameter
      await telegram("sendMessage", { chat_id: chatId, text: "hi", silent: true });

      if (update.message.forward_origin) {
        const from: string = describeOrigin(update.message.forward_origin);
        await telegram("sendMessage", { chat_id: chatId, text: from });
      }
      const reply = update.message.reply_to_message;
      if (reply?.photo) {
        const largest: string | undefined = reply.photo[reply.photo.length - 1]?.file_id;
        if (largest) await sendPhotos(chatId, largest);
      }
    }

    const query = update.callback_query;
    if (query) {
      const answered: boolean = await telegram("answerCallbackQuery", {
        callback_query_id: query.id,
        text: "Noted",
        show_alert: false,
      });
      // @ts-expect-error callback_query_id is required
      await telegram("answerCallbackQuery", { text: "Noted" });
      // @ts-expect-error cache_time is a number
      await telegram("answerCallbackQuery", { callback_query_id: query.id, cache_time: "5" });
      if (answered && query.message) {
        const edited = await telegram("editMessageText", {
          chat_id: query.message.chat.id,
          message_id: query.message.message_id,
          text: "Done",
        });
        if (edited !== true) {
          const when: number = edited.date;
          void when;
        }
        // @ts-expect-error the result may be `true` (inline messages)
        edited.message_id;
        describeMaybeInaccessible(query.message);
      }
    }
  }

  await telegram("getMe", {});
  // @ts-expect-error getMe takes no parameters
  await telegram("getMe", { chat_id: 1 });
}

/** InputFile: a file_id or URL, a Blob/File, bytes, or base64 in JSON form. */
async function sendPhotos(chatId: number, fileId: string): Promise<void> {
  const bytes = new Uint8Array([0xff, 0xd8, 0xff]);
  const blob = new Blob([bytes], { type: "image/jpeg" });
  const files: InputFile[] = [
    fileId,
    "https://example.com/cat.jpg",
    bytes,
    blob,
    new File([bytes], "cat.jpg"),
    { file_name: "cat.jpg", data_base64: "/9j/", mime_type: "image/jpeg" },
  ];
  for (const photo of files) {
    const sent = await telegram("sendPhoto", { chat_id: chatId, photo, caption: "cat", has_spoiler: true });
    const sizes: number = sent.photo?.length ?? 0;
    void sizes;
  }
  // @ts-expect-error a number is no InputFile
  await telegram("sendPhoto", { chat_id: chatId, photo: 42 });
  // @ts-expect-error the JSON form of an upload needs data_base64
  await telegram("sendPhoto", { chat_id: chatId, photo: { file_name: "cat.jpg" } });

  await telegram("sendMediaGroup", {
    chat_id: chatId,
    media: [
      { type: "photo", media: blob, caption: "one" },
      { type: "video", media: "https://example.com/clip.mp4", supports_streaming: true },
    ],
  });
  // @ts-expect-error an InputMedia needs its `type`
  await telegram("sendMediaGroup", { chat_id: chatId, media: [{ media: blob }] });
}

/** A union written once (`type MessageOrigin = ...`), narrowed by its `type`. */
function describeOrigin(origin: MessageOrigin): string {
  // @ts-expect-error only MessageOriginUser has sender_user
  origin.sender_user;
  switch (origin.type) {
    case "user":
      return origin.sender_user.first_name;
    case "hidden_user":
      return origin.sender_user_name;
    case "chat":
      return origin.sender_chat.title ?? "a chat";
    case "channel":
      return `${origin.chat.title ?? "a channel"} #${origin.message_id}`;
    default:
      return exhaustive(origin);
  }
}

/**
 * `InaccessibleMessage.date` is the literal 0, which tells the two apart. (TypeScript does not
 * narrow on it by itself: an InaccessibleMessage is also a valid Message, so a guard does.)
 */
function isAccessible(message: MaybeInaccessibleMessage): message is Message {
  return message.date !== 0;
}
function describeMaybeInaccessible(message: MaybeInaccessibleMessage): string {
  if (!isAccessible(message)) {
    const zero: 0 = message.date;
    return `message ${message.message_id} is no longer accessible (${zero})`;
  }
  const text: string | undefined = message.text;
  return text ?? "";
}

// ---------------------------------------------------------------------------------------------
// TrueConf
// ---------------------------------------------------------------------------------------------

assert<Equal<ContentOf<200>, TextContent>>();
assert<Equal<TrueConfMethods["getChats"]["result"], Chat[]>>();
assert<Equal<TrueConfEvents["sendMessage"], Envelope>>();

async function trueconfBot(): Promise<void> {
  const buttons: Button[][] = [
    [
      { type: "command", label: "Done", command: "/done", customData: "inv:88", style: "success" },
      { type: "url", url: "https://example.com/invoice/88" },
    ],
    [{ type: "copy", label: "Copy number", data: "88" }],
  ];
  const sent = await trueconf("sendMessage", {
    chatId: "5e0c1a9b",
    replyMessageId: null,
    content: { text: "Your invoice is **on its way**", parseMode: "markdown", buttons },
  });
  const messageId: string = sent.messageId;
  const at: number = sent.timestamp;
  void at;

  // @ts-expect-error a command button needs its command
  const noCommand: Button = { type: "command", label: "Done" };
  // @ts-expect-error chat ids are strings
  await trueconf("sendMessage", { chatId: 42, content: { text: "hi" } });
  // @ts-expect-error content is required
  await trueconf("sendMessage", { chatId: "5e0c1a9b" });
  // @ts-expect-error content.text is a string
  await trueconf("editMessage", { messageId, content: { text: ["hi"] } });

  const chats = await trueconf("getChats", { count: 20, page: 1 });
  for (const chat of chats) {
    const title: string = chat.title ?? "(favourites)";
    if (chat.chatType === 1 && chat.lastMessage?.type === 200) {
      const last: string = chat.lastMessage.content.text;
      void last;
    }
    void title;
  }
  // @ts-expect-error page is a number
  await trueconf("getChats", { count: 20, page: "1" });

  const history = await trueconf("getChatHistory", { chatId: "5e0c1a9b", count: 50 });
  history.messages.forEach(describeEnvelope);

  await trueconf("getFileUploadLimits", {});
  const participant = await trueconf("getChatParticipant", { chatId: "5e0c1a9b", userId: "bob@video.example.com" });
  // Open enumerations admit values a newer server may send.
  const role: string = participant.role;
  await trueconf("changeParticipantRole", { chatId: "5e0c1a9b", userId: "bob@video.example.com", role: "some_new_role" });
  // @ts-expect-error answerCommand needs its message
  await trueconf("answerCommand", { commandId: "cmd-1", answerType: "complete" });
  void role;
  void noCommand;
}

/** An Envelope narrowed by its content `type`. */
function describeEnvelope(envelope: Envelope): string {
  // @ts-expect-error content is only known once `type` is
  envelope.content.text;
  switch (envelope.type) {
    case 200:
      return envelope.content.text + (envelope.content.buttons ? " [buttons]" : "");
    case 201: {
      const original = envelope.content;
      return "messageId" in original ? `forwarded: ${describeEnvelope(original)}` : `forwarded: ${original.text}`;
    }
    case 202: {
      const mime: string = envelope.content.mimeType ?? "application/octet-stream";
      return `${envelope.content.name} (${envelope.content.size} bytes, ${mime})`;
    }
    case 203:
      return `${envelope.content.latitude},${envelope.content.longitude}`;
    case 204:
      return envelope.content.title;
    case 205:
      return `voice ${envelope.content.duration ?? 0} ms`;
    case 1:
    case 110:
      return `${envelope.content.userId} is ${envelope.content.role}`;
    case 2:
      return `${envelope.content.userId} left`;
    case 21:
      return `renamed to ${envelope.content.title}`;
    case 22:
      return envelope.content.avatarUrl ?? "avatar removed";
    case 23:
      return envelope.content.forAll ? "cleared for all" : "cleared";
    default:
      return exhaustive(envelope);
  }
}

function describeAny(envelope: Envelope | UndocumentedEnvelope): string {
  const known = [1, 2, 21, 22, 23, 110, 200, 201, 202, 203, 204, 205];
  return known.includes(envelope.type) ? describeEnvelope(envelope as Envelope) : `type ${envelope.type}`;
}

on("sendMessage", (envelope) => {
  if (envelope.type === 200 && envelope.author.type === 1) {
    const text: string = envelope.content.text;
    void text;
  }
});
on("command", (event) => {
  const command: string = event.commandPayload.command;
  const chatId: string | undefined = event.commandSource.message?.chatId;
  void command;
  void chatId;
});
on("getFileUploadLimits", (limits) => {
  const max: number | null = limits.maxSize;
  void max;
});
// @ts-expect-error not an event
on("sendFile", () => {});

// A transport in place of fetch: answers from memory, or through fetch itself.
const fromMemory: TelegramBotOptions = {
  platform: "telegram",
  token: "123:abc",
  transport: async (request: TransportRequest) => {
    const method = request.url.slice(request.url.lastIndexOf("/") + 1);
    void request.signal.aborted;
    return { status: 200, body: method === "getMe" ? "{}" : new Uint8Array(0) };
  },
};
const throughFetch: TelegramBotOptions = {
  platform: "telegram",
  token: "123:abc",
  transport: (request) =>
    fetch(request.url, { method: request.method, headers: request.headers, body: request.body, signal: request.signal }),
};
const wrongTransport: TelegramBotOptions = {
  platform: "telegram",
  token: "123:abc",
  // @ts-expect-error a transport resolves with a status
  transport: async () => ({ body: "{}" }),
};

// How commands are read.
const bangCommands: TelegramBotOptions = {
  platform: "telegram",
  token: "123:abc",
  router: { prefixes: ["!", "/"], separator: ",", ignoreCase: true },
};
const wrongRouter: TelegramBotOptions = {
  platform: "telegram",
  token: "123:abc",
  // @ts-expect-error prefixes are a list
  router: { prefixes: "!" },
};

// A Cloudflare Worker: the webhook handler is its fetch handler, given the ExecutionContext.
declare const webhookBot: Bot;
const worker = { fetch: webhookBot.webhookHandler() };
const executionContext: WaitUntilContext = { waitUntil: (promise) => void promise.then(() => {}) };
const answered: Promise<Response> = worker.fetch(new Request("https://bot.example/hook"), {}, executionContext);
// @ts-expect-error waitUntil takes a promise
worker.fetch(new Request("https://bot.example/hook"), {}, { waitUntil: (_: number) => {} });

// Files: bytes with a name, or a Blob; how they are shown.
const sentFile: Promise<unknown> = webhookBot.sendFile("telegram:42", { name: "a.txt", bytes: new Uint8Array([1]) }, {
  kind: "photo",
  caption: "a picture",
});
webhookBot.sendFile("telegram:42", new Blob(["x"]), { name: "x.txt" });
// @ts-expect-error not a kind of file
webhookBot.sendFile("telegram:42", { name: "a.txt", bytes: new Uint8Array(0) }, { kind: "sticker" });
// @ts-expect-error a file has a name
webhookBot.sendFile("telegram:42", { bytes: new Uint8Array(0) });
const disposed: Promise<void> = webhookBot.dispose();
// @ts-expect-error dispose takes no argument
webhookBot.dispose(true);

void telegramBot;
void trueconfBot;
void [fromMemory, throughFetch, wrongTransport, bangCommands, wrongRouter];
void describeAny;
void answered;
void sentFile;
