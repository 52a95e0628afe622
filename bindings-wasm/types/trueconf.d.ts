/**
 * Objects, methods and events of the TrueConf Chatbot Connector (TrueConf Server 5.5 and
 * later), as the npm package `botwire` exchanges them with JavaScript.
 *
 * Objects have the wire's JSON shapes (camelCase keys). Parameters are the request payloads
 * the package accepts; results and event payloads are what botwire-core parsed from the
 * server and hands on, in wire form with a few normalisations that are noted where they
 * apply (an envelope always carries both `chat` and `chatId`, `getChats` is a bare array,
 * `getFileInfo` gives the file id as `infoHash`).
 *
 * Identifiers are strings: user ids are TrueConf ids `user@server`; chat, message, file and
 * upload-task ids are opaque. Timestamps are Unix time in milliseconds. Sizes are bytes.
 *
 * Enumerations are open, as on the wire: a value a newer server adds is passed on, so each
 * enumeration type lists the documented values and also admits any other `number` or
 * `string`. Envelopes are the exception: {@link Envelope} is a union discriminated by
 * `type`, so that checking `type` narrows `content`; see {@link UndocumentedEnvelope}.
 *
 * Kept by hand beside `core/src/trueconf/` (methods.rs, types.rs, events.rs); the Rust test
 * `core/tests/trueconf_ts_types.rs` checks that every method and event is declared here.
 *
 * @packageDocumentation
 */

// ---------------------------------------------------------------------------------------------
// Open enumerations
// ---------------------------------------------------------------------------------------------

/**
 * A chat's type (`chatType`): 0 undefined (also reported when an older server sent no `chat`
 * object), 1 personal (P2P), 2 group, 3 system, 5 favourites, 6 channel.
 */
export type ChatType = 0 | 1 | 2 | 3 | 5 | 6 | (number & {});

/**
 * An envelope's type: system envelopes 1 participant added, 2 participant removed, 21 title
 * changed, 22 avatar changed, 23 history cleared, 110 role changed; user messages 200 text,
 * 201 forward, 202 attachment, 203 location, 204 survey, 205 voice (server 5.5.6 and later).
 */
export type EnvelopeType = DocumentedEnvelopeType | (number & {});

/** The envelope types this version documents (the discriminants of {@link Envelope}). */
export type DocumentedEnvelopeType = 1 | 2 | 21 | 22 | 23 | 110 | 200 | 201 | 202 | 203 | 204 | 205;

/** Who wrote an envelope (`author.type`): 0 the server itself, 1 a user or bot account. */
export type AuthorType = 0 | 1 | (number & {});

/** Whether a file can be downloaded (`readyState`): 0 gone, 1 still uploading, 2 ready. */
export type FileReadyState = 0 | 1 | 2 | (number & {});

/** How a text is formatted (`parseMode`); the default is `"text"` (shown verbatim). */
export type ParseMode = "text" | "markdown" | "html" | (string & {});

/**
 * A chat participant's role. Strings on the wire; a server that numbers roles (0–6 in the
 * order below) is read as the corresponding name.
 */
export type Role =
  | "owner"
  | "admin"
  | "user"
  | "conf_owner"
  | "conf_moderator"
  | "favorites_owner"
  | "writer"
  | (string & {});

/** An activity indicator (`activityType` of `sendChatActivity`). */
export type ActivityType = "typing" | "choosing_sticker" | "uploading_file" | (string & {});

/** What a button does (`type`); the discriminant of {@link Button}. */
export type ButtonType = "command" | "url" | "message" | "copy" | "share";

/** A button's look (`style`); `"default"` is never sent, it is the default. */
export type ButtonStyle = "default" | "primary" | "danger" | "success" | (string & {});

/** How a command ended (`answerType` of `answerCommand`). */
export type AnswerType = "complete" | "timeout" | "cancel" | "message" | (string & {});

/** The status shown with a command answer (`message.status` of `answerCommand`). */
export type CommandStatus =
  | "unknown"
  | "pending"
  | "running"
  | "ok"
  | "failed"
  | "canceled"
  | "timeout"
  | (string & {});

/** How a command answer is shown (`message.visibility` of `answerCommand`). */
export type CommandVisibility = "default" | "toast" | "sticky" | "alert" | (string & {});

/** The severity of a command answer (`message.level` of `answerCommand`). */
export type CommandLevel = "info" | "warning" | "error" | "critical" | (string & {});

/** How an extension list restricts uploads: only those (`"allow"`), or all but those (`"block"`). */
export type ExtensionMode = "allow" | "block" | (string & {});

// ---------------------------------------------------------------------------------------------
// Small records
// ---------------------------------------------------------------------------------------------

/** The chat an envelope belongs to. */
export interface ChatRef {
  chatId: string;
  /** The chat's title; `null` when it has none. */
  chatTitle: string | null;
  chatType: ChatType;
}

/** Who wrote an envelope, or who added or removed someone. */
export interface Author {
  /** A TrueConf id (`user@server`), or the server's own id (`trueconf.server`) for system envelopes. */
  id: string;
  type: AuthorType;
}

/** An envelope's opaque ordering record. */
export interface MessageBox {
  /** A per-chat increasing number. */
  id: number;
  /** An opaque position string. */
  position: string;
}

/** A chat participant. */
export interface Participant {
  userId: string;
  role: Role;
  /** System or user, when the server says (`getChatParticipant`). */
  type?: AuthorType;
}

// ---------------------------------------------------------------------------------------------
// Buttons (server 5.5.6 and later)
// ---------------------------------------------------------------------------------------------

/** Keys every kind of button may carry. */
export interface ButtonBase {
  /** The caption, 1–32 characters. */
  label?: string;
  /** An id returned as `commandSource.buttonId` of the `command` event. */
  id?: string;
  style?: ButtonStyle;
}

/** Sends a `command` event to the bot. */
export interface CommandButton extends ButtonBase {
  type: "command";
  label: string;
  /** 1–255 ASCII characters. */
  command: string;
  /** 1–4096 ASCII characters, returned in the `command` event. */
  customData?: string;
  /** The full TrueConf id the command is addressed to. */
  to?: string;
  /** Not yet supported by TrueConf apps: kept when received, do not send. */
  waitReply?: boolean;
}

/** Opens a URL. */
export interface UrlButton extends ButtonBase {
  type: "url";
  /** 8–8095 ASCII characters; scheme `http`, `https`, `mailto` or `trueconf`. */
  url: string;
}

/** Makes the user's app send a text (or put it into the input field). */
export interface MessageButton extends ButtonBase {
  type: "message";
  label: string;
  /** The text the user's app sends. */
  message: string;
  /** Put the text into the input field instead of sending it. */
  draft?: boolean;
}

/** Copies a text to the clipboard. */
export interface CopyButton extends ButtonBase {
  type: "copy";
  label: string;
  /** 1–4095 characters. */
  data: string;
}

/** Shares something; TrueConf documents no further keys. */
export interface ShareButton extends ButtonBase {
  type: "share";
}

/**
 * An inline button, discriminated by `type`. Buttons go only on text messages, as rows:
 * at most 8 rows, 8 buttons per row, 64 in all.
 */
export type Button = CommandButton | UrlButton | MessageButton | CopyButton | ShareButton;

// ---------------------------------------------------------------------------------------------
// Contents
// ---------------------------------------------------------------------------------------------

/** A text (envelope type 200), and what `sendMessage`/`editMessage` send. */
export interface TextContent {
  text: string;
  /** Defaults to `"text"` when sending; always present when received. */
  parseMode?: ParseMode;
  /** Rows of buttons. */
  buttons?: Button[][];
}

/**
 * A file (envelope type 202): photo, video, sticker and document are all 202 and are told
 * apart by `mimeType` (`image/*`, `video/*`, `sticker/*`, anything else).
 */
export interface AttachmentContent {
  name: string;
  size: number;
  /** The id for `getFileInfo`. */
  fileId?: string;
  mimeType?: string;
  readyState?: FileReadyState;
}

/** A location (envelope type 203). */
export interface LocationContent {
  latitude: number;
  longitude: number;
  /** An address text (empty when the server sent none). */
  title: string;
}

/**
 * A survey link (envelope type 204), and what `sendSurvey` sends. A bot sends `appVersion`
 * 1, `description` `"{{Survey}}"` or `"{{Anonymous survey}}"` and `buttonText`
 * `"{{Go to survey}}"` (placeholders the TrueConf apps localise).
 */
export interface SurveyContent {
  /** `https://<server>/webtools/survey`. */
  url: string;
  title: string;
  appVersion?: number;
  /** The survey campaign id. */
  path?: string;
  description?: string;
  buttonText?: string;
  /** 40 hexadecimal digits. */
  secret?: string;
  /** An HTML fallback for clients without survey support. */
  alt?: string;
}

/** A voice message (envelope type 205). */
export interface VoiceContent {
  fileId: string;
  size: number;
  /** `voice/m4a`, `audio/ogg`, ... (empty when the server sent none). */
  mimeType: string;
  /** The duration, apparently in milliseconds. */
  duration?: number;
}

/** A participant was added (1), or a participant's role changed (110). */
export interface ParticipantRoleContent {
  userId: string;
  role: Role;
}

/** A participant was removed (2). */
export interface ParticipantRemovedContent {
  userId: string;
}

/** The chat title changed (21). */
export interface TitleChangedContent {
  title: string;
}

/** The chat avatar changed (22). */
export interface AvatarChangedContent {
  avatarUrl: string | null;
}

/** The chat history was cleared (23), for everyone or only for the one who cleared it. */
export interface HistoryClearedContent {
  forAll: boolean;
}

/**
 * `type` and `content` of an envelope (or a last message), one member per documented type.
 * The content of a forward (201) is the forwarded original, an envelope without `box`; a
 * forward of a forward arrives flattened, its content being the original's text.
 */
export type TypedContent =
  | { type: 1; content: ParticipantRoleContent }
  | { type: 2; content: ParticipantRemovedContent }
  | { type: 21; content: TitleChangedContent }
  | { type: 22; content: AvatarChangedContent }
  | { type: 23; content: HistoryClearedContent }
  | { type: 110; content: ParticipantRoleContent }
  | { type: 200; content: TextContent }
  | { type: 201; content: Envelope | TextContent }
  | { type: 202; content: AttachmentContent }
  | { type: 203; content: LocationContent }
  | { type: 204; content: SurveyContent }
  | { type: 205; content: VoiceContent };

/** The content of an envelope of type `T`. */
export type ContentOf<T extends DocumentedEnvelopeType> = Extract<TypedContent, { type: T }>["content"];

// ---------------------------------------------------------------------------------------------
// Envelopes, chats, files
// ---------------------------------------------------------------------------------------------

/** The keys of an envelope besides `type` and `content`. */
export interface EnvelopeFields {
  chat: ChatRef;
  /** The same as `chat.chatId`. */
  chatId: string;
  messageId: string;
  timestamp: number;
  author: Author;
  /** Absent inside a forward. */
  box?: MessageBox;
  /** Present on user messages, absent on system envelopes. */
  isEdited?: boolean;
  /** The message this one replies to. */
  replyMessageId?: string;
  /** That message, expanded one level. */
  replyMessage?: Envelope;
}

/**
 * A message or a system event in a chat: the payload of the `sendMessage` event, the items of
 * `getChatHistory`, the result of `getMessageById`. Narrow it by `type`:
 *
 * ```ts
 * if (envelope.type === 200) envelope.content.text;
 * ```
 */
export type Envelope = EnvelopeFields & TypedContent;

/**
 * An envelope of a type this version does not document (or whose content does not fit its
 * type), passed on with its content as received. It is not a member of {@link Envelope},
 * whose `type` would otherwise no longer narrow `content`; code that wants to handle such
 * envelopes can declare `Envelope | UndocumentedEnvelope` and test `type` against the
 * documented values itself.
 */
export interface UndocumentedEnvelope extends EnvelopeFields {
  type: number;
  content: unknown;
}

/** The latest message of a chat: like an envelope without `box`, `isEdited` and replies. */
export type LastMessage = {
  messageId: string;
  timestamp: number;
  author: Author;
  chat?: ChatRef;
} & TypedContent;

/** A chat: the result of `getChatByID`, the items of `getChats`, the `create…` events. */
export interface Chat {
  chatId: string;
  /** `null` for the favourites chat. */
  title: string | null;
  chatType: ChatType;
  unreadMessages: number;
  avatarUrl?: string;
  lastMessage: LastMessage | null;
}

/** A preview of a file. */
export interface Preview {
  name: string;
  size: number;
  mimeType: string | null;
  downloadUrl: string | null;
}

/** The result of `getFileInfo`. */
export interface FileInfo {
  name: string;
  size: number;
  mimeType: string | null;
  readyState: FileReadyState;
  /** The file's id. */
  infoHash: string;
  /** `null` unless the file is ready. */
  downloadUrl: string | null;
  previews: Preview[] | null;
}

/** Which file extensions may be uploaded. */
export interface ExtensionRule {
  mode: ExtensionMode;
  /** Extensions without the dot, compared case-insensitively. */
  list: string[];
}

/** The upload limits: the result of `getFileUploadLimits` and the payload of its event. */
export interface UploadLimits {
  /** In bytes; `null`: unlimited. */
  maxSize: number | null;
  /** `null`: any extension. */
  extensions: ExtensionRule | null;
}

// ---------------------------------------------------------------------------------------------
// Method parameters and results
// ---------------------------------------------------------------------------------------------

/** The result of methods that answer nothing but success. */
export type EmptyResult = Record<string, never>;

/** `auth` (the session sends it itself). */
export interface AuthParams {
  /** The JWT. */
  token: string;
  /** `"JWT"`. */
  tokenType: "JWT" | (string & {});
  /** Replay unread messages right after `auth`. */
  receiveUnread?: boolean;
  /** Deliver system envelopes as `sendMessage` events too. */
  receiveSystemMessageEnvelopes?: boolean;
}

/** The `auth` result. */
export interface AuthResult {
  /** The bot's id, possibly with a `/resource` suffix. */
  userId: string;
  /** This connection's id. */
  connectionId: string;
}

export interface SendMessageParams {
  chatId: string;
  /** The message replied to. */
  replyMessageId?: string | null;
  content: TextContent;
}

/** A new message (`sendMessage`, `forwardMessage`, `sendSurvey`). */
export interface SentMessage {
  chatId: string;
  messageId: string;
  timestamp: number;
}

export interface EditMessageParams {
  messageId: string;
  /** The whole new content: buttons not repeated disappear. */
  content: TextContent;
}

/** An edited message (`editMessage`, `editSurvey`). */
export interface EditedMessage {
  messageId: string;
  timestamp: number;
}

export interface ForwardMessageParams {
  messageId: string;
  /** The destination chat. */
  chatId: string;
}

export interface RemoveMessageParams {
  messageId: string;
  /** `true`: for everyone; `false`: only for the bot. */
  forAll: boolean;
}

export interface GetMessageByIdParams {
  messageId: string;
}

export interface GetChatHistoryParams {
  chatId: string;
  /** How many messages, at least 1. */
  count: number;
  /** Page from this message. */
  fromMessageId?: string;
}

/** The `getChatHistory` result. */
export interface ChatHistory {
  count: number;
  chatId: string;
  /** User and system envelopes; the order is not documented (sort by `timestamp`). */
  messages: Envelope[];
}

export interface SendChatActivityParams {
  chatId: string;
  activityType: ActivityType;
}

/** The `sendChatActivity` result. */
export interface ChatActivity {
  chatId: string;
  activityType: ActivityType;
  /** How often to repeat the indicator while the activity lasts, in milliseconds. */
  retryAfter?: number;
}

/** The `message` of `answerCommand`. */
export interface CommandMessage {
  /** 1–255 ASCII characters. */
  text: string;
  status?: CommandStatus;
  visibility?: CommandVisibility;
  level?: CommandLevel;
}

/** `answerCommand` (TrueConf apps do not show answers yet). */
export interface AnswerCommandParams {
  /** The `commandId` of the `command` event. */
  commandId: string;
  answerType: AnswerType;
  message: CommandMessage;
}

export interface SendSurveyParams {
  chatId: string;
  replyMessageId?: string | null;
  content: SurveyContent;
}

/** The content of `editSurvey` (no `url`, `appVersion` or `secret`). */
export interface EditSurveyContent {
  path: string;
  title: string;
  description: string;
  buttonText: string;
  alt: string;
}

export interface EditSurveyParams {
  messageId: string;
  content: EditSurveyContent;
}

/** `uploadFile`: step 1 of an upload. */
export interface UploadFileParams {
  /** The exact byte count of the file part of the HTTP upload. */
  fileSize: number;
  /** Required since server 5.5.3. */
  fileName?: string;
}

/** The `uploadFile` result. */
export interface UploadTask {
  /** Sent as the `Upload-Task-Id` header of the HTTP upload. */
  uploadTaskId: string;
}

/** A file caption: a text delivered as a separate message. */
export interface Caption {
  text: string;
  parseMode?: ParseMode;
}

/** `sendFile`: step 3 of sending a file. */
export interface SendFileParams {
  chatId: string;
  replyMessageId?: string;
  content: {
    /** The id the HTTP upload returned. */
    temporalFileId: string;
    caption?: Caption;
  };
}

/** The `sendFile` result. */
export interface SentFile {
  chatId: string;
  messageId: string;
  timestamp: number;
  /** The stored file's id. */
  fileId: string | null;
  /** The id of the separate caption message, when a caption was sent. */
  captionMessageId?: string;
}

export interface FileIdParams {
  fileId: string;
}

/** A yes-or-no result (`subscribeFileProgress`, `unsubscribeFileProgress`, `hasChatParticipant`). */
export interface BoolResult {
  result: boolean;
}

export interface UserIdParams {
  /** A full TrueConf id, `user@server`. */
  userId: string;
}

export interface TitleParams {
  /** Keep it within 255 characters. */
  title: string;
}

/** The result of the four `create…` methods. */
export interface CreatedChat {
  chatId: string;
}

export interface ChatIdParams {
  chatId: string;
}

export interface GetChatsParams {
  /** Chats per page. */
  count: number;
  /** The page, from 1. */
  page: number;
}

export interface EditChatTitleParams {
  chatId: string;
  title: string;
}

/** The `editChatTitle` result. */
export interface ChatTitleEdited {
  chatId: string;
  timestamp: number;
}

export interface EditChatAvatarParams {
  chatId: string;
  /** The id the HTTP upload returned. */
  temporalFileId: string;
}

export interface ClearHistoryParams {
  chatId: string;
  /** For everyone, or only for the bot. */
  forAll: boolean;
}

export interface AddChatParticipantParams {
  chatId: string;
  userId: string;
  /** Whether the new member sees earlier messages (server 5.5.2 and later). */
  displayHistory?: boolean;
}

export interface RemoveChatParticipantParams {
  chatId: string;
  userId: string;
  /** Delete the user's messages too. */
  clearHistory?: boolean;
}

export interface ChangeParticipantRoleParams {
  chatId: string;
  userId: string;
  role: Role;
}

export interface GetChatParticipantsParams {
  chatId: string;
  /** Participants per page. */
  pageSize: number;
  /** The page, from 1. */
  pageNumber: number;
}

/** The `getChatParticipants` result. */
export interface ChatParticipants {
  participants: Participant[];
}

export interface ChatUserParams {
  chatId: string;
  userId: string;
}

/** The `getUserDisplayName` result. */
export interface UserDisplayName {
  displayName: string;
}

/** Methods without parameters send an empty payload. */
export type NoParams = Record<string, never>;

/**
 * The 34 methods: each method's `params` (the request payload) and the `result` of a
 * successful call. A refusal is an error carrying the server's `errorCode`.
 */
export interface TrueConfMethods {
  /** Authorises the socket with the JWT (the session does this itself). */
  auth: { params: AuthParams; result: AuthResult };
  /** Sends a text, with optional buttons, optionally as a reply. */
  sendMessage: { params: SendMessageParams; result: SentMessage };
  /** Replaces the whole content of one of the bot's text messages. */
  editMessage: { params: EditMessageParams; result: EditedMessage };
  /** Forwards a message into a chat. */
  forwardMessage: { params: ForwardMessageParams; result: SentMessage };
  /** Deletes a message for everyone or only for the bot. */
  removeMessage: { params: RemoveMessageParams; result: EmptyResult };
  /** One message. */
  getMessageById: { params: GetMessageByIdParams; result: Envelope };
  /** A page of a chat's messages. */
  getChatHistory: { params: GetChatHistoryParams; result: ChatHistory };
  /** Shows an activity indicator ("typing…"). */
  sendChatActivity: { params: SendChatActivityParams; result: ChatActivity };
  /** Answers a `command` event. */
  answerCommand: { params: AnswerCommandParams; result: EmptyResult };
  /** Posts a link to a survey campaign. */
  sendSurvey: { params: SendSurveyParams; result: SentMessage };
  /** Changes a survey message. */
  editSurvey: { params: EditSurveyParams; result: EditedMessage };
  /** Step 1 of an upload: announces the file's size and name. */
  uploadFile: { params: UploadFileParams; result: UploadTask };
  /** Step 3 of sending a file: posts the uploaded file. */
  sendFile: { params: SendFileParams; result: SentFile };
  /** A file's name, size, state and download URL. */
  getFileInfo: { params: FileIdParams; result: FileInfo };
  /** The current upload limits (server 5.5.3 and later). */
  getFileUploadLimits: { params: NoParams; result: UploadLimits };
  /** `uploadFileProgress` events for a file still being uploaded. */
  subscribeFileProgress: { params: FileIdParams; result: BoolResult };
  /** Stops the progress events of a file. */
  unsubscribeFileProgress: { params: FileIdParams; result: BoolResult };
  /** The personal chat with a user (existing or new). */
  createP2PChat: { params: UserIdParams; result: CreatedChat };
  /** A new group chat. */
  createGroupChat: { params: TitleParams; result: CreatedChat };
  /** A new channel. */
  createChannel: { params: TitleParams; result: CreatedChat };
  /** The bot's favourites chat, created if needed (server 5.5.2 and later). */
  createFavoritesChat: { params: NoParams; result: CreatedChat };
  /** Deletes a chat. */
  removeChat: { params: ChatIdParams; result: EmptyResult };
  /** A page of the bot's chats. */
  getChats: { params: GetChatsParams; result: Chat[] };
  /** One chat (note the capital `ID`). */
  getChatByID: { params: ChatIdParams; result: Chat };
  /** Renames a chat (server 5.5.3 and later). */
  editChatTitle: { params: EditChatTitleParams; result: ChatTitleEdited };
  /** Sets an uploaded image as a chat's avatar (server 5.5.3 and later). */
  editChatAvatar: { params: EditChatAvatarParams; result: EmptyResult };
  /** Clears a chat's history (server 5.5.3 and later). */
  clearHistory: { params: ClearHistoryParams; result: EmptyResult };
  /** Adds a user to a chat. */
  addChatParticipant: { params: AddChatParticipantParams; result: EmptyResult };
  /** Removes a user from a chat. */
  removeChatParticipant: { params: RemoveChatParticipantParams; result: EmptyResult };
  /** Sets a participant's role (server 5.5.2 and later). */
  changeParticipantRole: { params: ChangeParticipantRoleParams; result: EmptyResult };
  /** A page of a chat's participants. */
  getChatParticipants: { params: GetChatParticipantsParams; result: ChatParticipants };
  /** One participant; error 305 when the user is not a member. */
  getChatParticipant: { params: ChatUserParams; result: Participant };
  /** Whether a user is a member (deprecated: prefer `getChatParticipant`). */
  hasChatParticipant: { params: ChatUserParams; result: BoolResult };
  /** A user's display name. */
  getUserDisplayName: { params: UserIdParams; result: UserDisplayName };
}

/** The name of a TrueConf method. */
export type TrueConfMethodName = keyof TrueConfMethods;

/** The parameters of method `M`. */
export type TrueConfParams<M extends TrueConfMethodName> = TrueConfMethods[M]["params"];

/** The result of method `M`. */
export type TrueConfResult<M extends TrueConfMethodName> = TrueConfMethods[M]["result"];

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/** The `editMessage` event. */
export interface MessageEditedEvent {
  chatId: string;
  /** Some servers omit it; the edited message cannot always be identified. */
  messageId?: string;
  timestamp: number;
  content: TextContent;
}

/** The `removeMessage` event. */
export interface MessageRemovedEvent {
  chatId: string;
  messageId: string;
  removedBy: Author;
}

/** The `removeChat` event. */
export interface ChatRemovedEvent {
  chatId: string;
}

/** The `addChatParticipant` event. */
export interface ParticipantAddedEvent {
  timestamp: number;
  chatId: string;
  /** Who joined. */
  userId: string;
  addedBy: Author;
}

/** The `removeChatParticipant` event. */
export interface ParticipantRemovedEvent {
  timestamp: number;
  chatId: string;
  /** Who left. */
  userId: string;
  removedBy: Author;
}

/** The `changeParticipantRole` event. */
export interface RoleChangedEvent {
  timestamp: number;
  chatId: string;
  userId: string;
  role: Role;
}

/** The `editChatTitle` event. */
export interface TitleChangedEvent {
  chatId: string;
  title: string;
}

/** The `editChatAvatar` event. */
export interface AvatarChangedEvent {
  chatId: string;
  avatarUrl: string | null;
}

/** The `clearHistory` event. */
export interface HistoryClearedEvent {
  chatId: string;
  /** For everyone, or only for the one who cleared it. */
  forAll: boolean;
}

/** The `uploadFileProgress` event (the documentation calls it `uploadingProgress`). */
export interface UploadProgressEvent {
  fileId: string;
  /** Bytes uploaded so far. */
  progress: number;
}

/** The `command` event: a command button was pressed (server 5.5.6 and later). */
export interface CommandEvent {
  /** The id to answer with; absent on some servers (then no answer is possible). */
  commandId?: string;
  commandSource: {
    type: "inlineKeyboard" | (string & {});
    /** The message carrying the button. */
    message?: Envelope;
    /** The button's `id`, when it had one. */
    buttonId?: string;
    waitReply?: boolean;
  };
  commandPayload: {
    type: "userCommand" | (string & {});
    /** The button's `command`. */
    command: string;
    /** The button's `customData`. */
    customData?: string;
  };
}

/**
 * The 17 events the server pushes, by their `method`, with their payloads. Any other method
 * is a future event, passed on raw.
 */
export interface TrueConfEvents {
  /** A new message (system envelopes only when the session asked for them). */
  sendMessage: Envelope;
  /** A message was edited. */
  editMessage: MessageEditedEvent;
  /** A message was deleted. */
  removeMessage: MessageRemovedEvent;
  /** A personal chat with the bot was created. */
  createP2PChat: Chat;
  /** The bot was put into a new group chat. */
  createGroupChat: Chat;
  /** The bot was put into a new channel. */
  createChannel: Chat;
  /** The bot's favourites chat was created (`title` is `null`). */
  createFavoritesChat: Chat;
  /** A chat was deleted. */
  removeChat: ChatRemovedEvent;
  /** Someone joined a chat. */
  addChatParticipant: ParticipantAddedEvent;
  /** Someone left or was removed. */
  removeChatParticipant: ParticipantRemovedEvent;
  /** A role changed. */
  changeParticipantRole: RoleChangedEvent;
  /** A chat was renamed. */
  editChatTitle: TitleChangedEvent;
  /** A chat's avatar changed. */
  editChatAvatar: AvatarChangedEvent;
  /** A chat's history was cleared. */
  clearHistory: HistoryClearedEvent;
  /** The upload limits, at connect and when an administrator changes them. */
  getFileUploadLimits: UploadLimits;
  /** Progress of a subscribed upload. */
  uploadFileProgress: UploadProgressEvent;
  /** A command button was pressed. */
  command: CommandEvent;
}

/** The name of a TrueConf event. */
export type TrueConfEventName = keyof TrueConfEvents;
