//! The Telegram adapter of the runtime: typed updates become shared [`Event`]s, shared
//! [`Action`]s become Bot API requests, and [`CAPABILITIES`] says what Telegram can do.
//!
//! ```
//! use botwire_core::runtime::model::{Action, EventKind, SendOptions};
//! use botwire_core::runtime::telegram::{event_from_update, translate};
//! use botwire_core::telegram::{types::Update, Api};
//!
//! let update: Update = serde_json::from_str(
//!     r#"{"update_id":7,"message":{"message_id":5,"date":1,"chat":{"id":42,"type":"private"},
//!        "from":{"id":42,"is_bot":false,"first_name":"Ada","last_name":"L"},"text":"hi"}}"#,
//! )
//! .unwrap();
//! let event = event_from_update(Box::new(update));
//! assert_eq!(event.kind, EventKind::Message);
//! assert_eq!(event.chat_key(), Some("telegram:42"));
//! assert_eq!(event.text.as_deref(), Some("hi"));
//! assert!(event.telegram().is_some()); // the update itself travels along
//!
//! let reply = Action::Reply {
//!     to: event.message.clone().unwrap(),
//!     text: "hello".into(),
//!     options: SendOptions::default(),
//! };
//! let call = translate(&Api::new("1:T"), &reply).unwrap();
//! assert_eq!(call.method, "sendMessage");
//! assert_eq!(call.chat_id, Some(42));
//! assert_eq!(
//!     call.request.body,
//!     br#"{"chat_id":42,"text":"hello","reply_parameters":{"message_id":5}}"#
//! );
//! ```
//!
//! ## How updates map to events
//!
//! | `Update` field | [`EventKind`] |
//! |---|---|
//! | `message`, `channel_post`, `business_message`, `guest_message` | `Message`; a service message with `new_chat_members` is `MemberJoined`, with `left_chat_member` `MemberLeft`, with `group_chat_created`, `supergroup_chat_created` or `channel_chat_created` `ChatCreated` |
//! | `edited_message`, `edited_channel_post`, `edited_business_message` | `EditedMessage` |
//! | `deleted_business_messages` | `DeletedMessage` (`message` is the first deleted message; the payload lists all) |
//! | `callback_query` | `ButtonPress` (`data` = the callback data, absent for game buttons, `query_id`, `message` = the message under the button or the inline message) |
//! | `inline_query` | `InlineQuery` (`text` = the query, `query_id`) |
//! | `chosen_inline_result` | `ChosenInlineResult` (`data` = the result id, `text` = the query, `message` = the inline message when there is one) |
//! | `my_chat_member`, `chat_member` | `MemberJoined` when the member was out and is now in, `MemberLeft` when the member was in and is now out, `MemberRoleChanged` otherwise; `from` is who made the change, the member is in the payload |
//! | `message_reaction`, `message_reaction_count` | `Reaction` |
//! | everything else | `Unknown` |
//!
//! A `chat_join_request` is **not** `MemberJoined`: the user is not in the chat until the
//! request is approved (the approval then arrives as a `chat_member` update). It is `Unknown`
//! with its chat, the requesting user and its `query_id` filled in. Likewise
//! `shipping_query` and `pre_checkout_query` are `Unknown` with `from`, `query_id` and
//! `data` = the invoice payload; `purchased_paid_media` has `data` = the paid media payload.
//!
//! For messages, `from` is the sending user when Telegram names one (channel posts have no
//! user; the payload's `sender_chat` has the channel). The content type follows the priority
//! order of [`crate::telegram::glance`], read from the typed message; the typed message does
//! not keep the deprecated `new_chat_member` field, so a join message has the content type
//! `"new_chat_members"` here.

use crate::io::HttpRequest;
use crate::runtime::model::{
    split_key, Action, ActionError, ActionKind, Button, Capabilities, Capability, Chat, ChatType,
    Event, EventKind, FileKind, MessageKey, Payload, Platform, SendOptions, TextFormat, User,
};
use crate::telegram::api::{find_method, Api, EncodeError, Method};
use crate::telegram::enums::{ChatAction, ChatType as TgChatType, ParseMode};
use crate::telegram::glance::{content_type_of_fields, ContentType};
use crate::telegram::methods::{
    AnswerCallbackQuery, AnswerInlineQuery, BanChatMember, DeleteMessage, EditMessageReplyMarkup,
    EditMessageText, ForwardMessage, LeaveChat, PinChatMessage, SendAudio, SendChatAction,
    SendDocument, SendMessage, SendPhoto, SendVideo, SendVoice, SetChatDescription, SetChatTitle,
    SetMessageReaction, UnbanChatMember, UnpinChatMessage,
};
use crate::telegram::types::{
    Chat as TgChat, ChatMember, ChatMemberUpdated, InlineKeyboardButton, InlineKeyboardMarkup,
    InlineQueryResult, LinkPreviewOptions, MaybeInaccessibleMessage, Message, ReactionType,
    ReactionTypeEmoji, ReplyMarkup, ReplyParameters, Update, UpdateKind, User as TgUser,
};
use crate::telegram::{ChatId, InputFile, Upload};
use serde::Deserialize;
use std::borrow::Cow;
use std::sync::Arc;

// ---------------------------------------------------------------------------------------------
// Updates to events
// ---------------------------------------------------------------------------------------------

/// The fields of an event read from an update before the update is moved into the payload
/// (also read from updates kept as JSON, in `telegram_json`).
pub(super) struct Parts {
    pub(super) kind: EventKind,
    pub(super) chat: Option<Chat>,
    pub(super) from: Option<User>,
    pub(super) message: Option<MessageKey>,
    pub(super) content_type: Option<Cow<'static, str>>,
    pub(super) text: Option<String>,
    pub(super) data: Option<String>,
    pub(super) query_id: Option<String>,
}

impl Parts {
    pub(super) fn new(kind: EventKind) -> Self {
        Parts {
            kind,
            chat: None,
            from: None,
            message: None,
            content_type: None,
            text: None,
            data: None,
            query_id: None,
        }
    }

    fn with_chat(mut self, chat: &TgChat) -> Self {
        self.chat = Some(chat_of(chat));
        self
    }

    fn with_from(mut self, user: &TgUser) -> Self {
        self.from = Some(user_of(user));
        self
    }
}

/// Turns a Telegram update into a shared [`Event`]. The update is moved into
/// [`Event::payload`] (never copied); only the few fields the event names are read out first.
///
/// See the [module documentation](self) for how every update kind maps.
pub fn event_from_update(update: Box<Update>) -> Event {
    let parts = parts_of(&update.kind);
    let update_id = update.update_id;
    Event {
        platform: Platform::Telegram,
        id: int_string(update_id),
        seq: Some(update_id),
        kind: parts.kind,
        platform_kind: static_kind_name(update.kind.name()),
        chat: parts.chat,
        from: parts.from,
        message: parts.message,
        content_type: parts.content_type,
        text: parts.text,
        data: parts.data,
        query_id: parts.query_id,
        payload: Payload::Telegram(update),
    }
}

/// The update field name without allocating for the kinds the spec knows.
fn static_kind_name(name: &str) -> Cow<'static, str> {
    match crate::telegram::types::UPDATE_KINDS
        .iter()
        .find(|k| **k == name)
    {
        Some(k) => Cow::Borrowed(k),
        None => Cow::Owned(name.to_owned()),
    }
}

fn parts_of(kind: &UpdateKind) -> Parts {
    match kind {
        UpdateKind::Message(m)
        | UpdateKind::ChannelPost(m)
        | UpdateKind::BusinessMessage(m)
        | UpdateKind::GuestMessage(m) => message_parts(m, new_message_kind(m)),
        UpdateKind::EditedMessage(m)
        | UpdateKind::EditedChannelPost(m)
        | UpdateKind::EditedBusinessMessage(m) => message_parts(m, EventKind::EditedMessage),
        UpdateKind::DeletedBusinessMessages(d) => {
            let mut p = Parts::new(EventKind::DeletedMessage).with_chat(&d.chat);
            p.message = d.message_ids.first().map(|id| in_chat(&p.chat, *id));
            p
        }
        UpdateKind::CallbackQuery(q) => {
            let mut p = Parts::new(EventKind::ButtonPress).with_from(&q.from);
            let origin = q.message.as_deref().and_then(|m| match m {
                MaybeInaccessibleMessage::Message(msg) => Some((&msg.chat, msg.message_id)),
                MaybeInaccessibleMessage::InaccessibleMessage(msg) => {
                    Some((&msg.chat, msg.message_id))
                }
                _ => None,
            });
            if let Some((chat, message_id)) = origin {
                p.chat = Some(chat_of(chat));
                p.message = Some(in_chat(&p.chat, message_id));
            } else if let Some(id) = &q.inline_message_id {
                p.message = Some(inline_key(id));
            }
            p.data = q.data.clone();
            p.query_id = Some(q.id.clone());
            p
        }
        UpdateKind::InlineQuery(q) => {
            let mut p = Parts::new(EventKind::InlineQuery).with_from(&q.from);
            p.text = Some(q.query.clone());
            p.query_id = Some(q.id.clone());
            p
        }
        UpdateKind::ChosenInlineResult(r) => {
            let mut p = Parts::new(EventKind::ChosenInlineResult).with_from(&r.from);
            p.message = r.inline_message_id.as_deref().map(inline_key);
            p.text = Some(r.query.clone());
            p.data = Some(r.result_id.clone());
            p
        }
        UpdateKind::MyChatMember(u) | UpdateKind::ChatMember(u) => member_parts(u),
        UpdateKind::MessageReaction(r) => {
            let mut p = Parts::new(EventKind::Reaction).with_chat(&r.chat);
            p.from = r.user.as_deref().map(user_of);
            p.message = Some(in_chat(&p.chat, r.message_id));
            p
        }
        UpdateKind::MessageReactionCount(r) => {
            let mut p = Parts::new(EventKind::Reaction).with_chat(&r.chat);
            p.message = Some(in_chat(&p.chat, r.message_id));
            p
        }
        UpdateKind::ChatJoinRequest(r) => {
            let mut p = Parts::new(EventKind::Unknown)
                .with_chat(&r.chat)
                .with_from(&r.from);
            p.query_id = r.query_id.clone();
            p
        }
        UpdateKind::ShippingQuery(q) => {
            let mut p = Parts::new(EventKind::Unknown).with_from(&q.from);
            p.query_id = Some(q.id.clone());
            p.data = Some(q.invoice_payload.clone());
            p
        }
        UpdateKind::PreCheckoutQuery(q) => {
            let mut p = Parts::new(EventKind::Unknown).with_from(&q.from);
            p.query_id = Some(q.id.clone());
            p.data = Some(q.invoice_payload.clone());
            p
        }
        UpdateKind::PurchasedPaidMedia(m) => {
            let mut p = Parts::new(EventKind::Unknown).with_from(&m.from);
            p.data = Some(m.paid_media_payload.clone());
            p
        }
        UpdateKind::PollAnswer(a) => {
            let mut p = Parts::new(EventKind::Unknown);
            p.from = a.user.as_deref().map(user_of);
            p.chat = a.voter_chat.as_deref().map(chat_of);
            p
        }
        UpdateKind::BusinessConnection(c) => Parts::new(EventKind::Unknown).with_from(&c.user),
        UpdateKind::ManagedBot(m) => Parts::new(EventKind::Unknown).with_from(&m.user),
        UpdateKind::ChatBoost(b) => Parts::new(EventKind::Unknown).with_chat(&b.chat),
        UpdateKind::RemovedChatBoost(b) => Parts::new(EventKind::Unknown).with_chat(&b.chat),
        _ => Parts::new(EventKind::Unknown),
    }
}

/// The kind of a new (not edited) message: service messages about members and chat creation
/// get their own kinds.
fn new_message_kind(m: &Message) -> EventKind {
    if m.new_chat_members.is_some() {
        EventKind::MemberJoined
    } else if m.left_chat_member.is_some() {
        EventKind::MemberLeft
    } else if m.group_chat_created.is_some()
        || m.supergroup_chat_created.is_some()
        || m.channel_chat_created.is_some()
    {
        EventKind::ChatCreated
    } else {
        EventKind::Message
    }
}

fn message_parts(m: &Message, kind: EventKind) -> Parts {
    let mut p = Parts::new(kind).with_chat(&m.chat);
    p.from = m.from.as_deref().map(user_of);
    p.message = Some(in_chat(&p.chat, m.message_id));
    p.content_type = Some(Cow::Borrowed(content_type_of_message(m).as_str()));
    p.text = m.text.as_ref().or(m.caption.as_ref()).cloned();
    p
}

/// Whether a chat member is in the chat (`None` for a status this version does not know).
fn is_in_chat(member: &ChatMember) -> Option<bool> {
    match member {
        ChatMember::Owner(_) | ChatMember::Administrator(_) | ChatMember::Member(_) => Some(true),
        ChatMember::Restricted(r) => Some(r.is_member),
        ChatMember::Left(_) | ChatMember::Banned(_) => Some(false),
        ChatMember::Unknown(v) => match v.get("status").and_then(serde_json::Value::as_str)? {
            "creator" | "administrator" | "member" => Some(true),
            "left" | "kicked" => Some(false),
            "restricted" => v.get("is_member").and_then(serde_json::Value::as_bool),
            _ => None,
        },
    }
}

fn member_parts(u: &ChatMemberUpdated) -> Parts {
    let kind = match (
        is_in_chat(&u.old_chat_member),
        is_in_chat(&u.new_chat_member),
    ) {
        (Some(false), Some(true)) => EventKind::MemberJoined,
        (Some(true), Some(false)) => EventKind::MemberLeft,
        _ => EventKind::MemberRoleChanged,
    };
    Parts::new(kind).with_chat(&u.chat).with_from(&u.from)
}

/// `"telegram:<id>"`.
fn key(id: i64) -> String {
    let mut buf = itoa::Buffer::new();
    let digits = buf.format(id);
    let mut s = String::with_capacity(9 + digits.len());
    s.push_str("telegram:");
    s.push_str(digits);
    s
}

/// An integer as a string, without the formatting machinery.
fn int_string(n: i64) -> String {
    itoa::Buffer::new().format(n).to_owned()
}

fn chat_of(c: &TgChat) -> Chat {
    Chat {
        key: key(c.id),
        chat_type: match c.kind {
            TgChatType::Private => ChatType::Private,
            TgChatType::Group => ChatType::Group,
            TgChatType::Supergroup => ChatType::Supergroup,
            TgChatType::Channel => ChatType::Channel,
            _ => ChatType::Unknown,
        },
        title: c.title.clone(),
    }
}

fn user_of(u: &TgUser) -> User {
    let mut name =
        String::with_capacity(u.first_name.len() + u.last_name.as_ref().map_or(0, |l| l.len() + 1));
    name.push_str(&u.first_name);
    if let Some(last) = &u.last_name {
        if !last.is_empty() {
            if !name.is_empty() {
                name.push(' ');
            }
            name.push_str(last);
        }
    }
    User {
        key: key(u.id),
        name,
        username: u.username.clone(),
        is_bot: u.is_bot,
    }
}

/// The key of message `id` in the chat already read into `chat`.
fn in_chat(chat: &Option<Chat>, id: i64) -> MessageKey {
    MessageKey::InChat {
        chat: chat.as_ref().map(|c| c.key.clone()).unwrap_or_default(),
        id: int_string(id),
    }
}

fn inline_key(id: &str) -> MessageKey {
    MessageKey::Inline {
        platform: Platform::Telegram,
        inline_id: id.to_owned(),
    }
}

/// Generates [`message_has_field`] for the content fields the typed `Message` keeps, and the
/// list of those fields (checked against glance's list in the tests).
macro_rules! content_fields {
    ($($field:ident),* $(,)?) => {
        /// Whether the content field `field` is present in `m`.
        fn message_has_field(m: &Message, field: &str) -> bool {
            match field {
                $(stringify!($field) => m.$field.is_some(),)*
                _ => false,
            }
        }

        #[cfg(test)]
        const TYPED_CONTENT_FIELDS: &[&str] = &[$(stringify!($field)),*];
    };
}

content_fields!(
    text,
    audio,
    document,
    game,
    photo,
    sticker,
    video,
    voice,
    video_note,
    contact,
    location,
    venue,
    left_chat_member,
    new_chat_title,
    new_chat_photo,
    delete_chat_photo,
    group_chat_created,
    supergroup_chat_created,
    channel_chat_created,
    migrate_to_chat_id,
    migrate_from_chat_id,
    pinned_message,
    new_chat_members,
    invoice,
    successful_payment,
    rich_message,
    animation,
    live_photo,
    paid_media,
    story,
    checklist,
    dice,
    poll,
    chat_owner_left,
    chat_owner_changed,
    message_auto_delete_timer_changed,
    refunded_payment,
    users_shared,
    chat_shared,
    gift,
    unique_gift,
    gift_upgrade_sent,
    connected_website,
    write_access_allowed,
    passport_data,
    proximity_alert_triggered,
    boost_added,
    chat_background_set,
    checklist_tasks_done,
    checklist_tasks_added,
    direct_message_price_changed,
    forum_topic_created,
    forum_topic_edited,
    forum_topic_closed,
    forum_topic_reopened,
    general_forum_topic_hidden,
    general_forum_topic_unhidden,
    giveaway_created,
    giveaway,
    giveaway_winners,
    giveaway_completed,
    managed_bot_created,
    paid_message_price_changed,
    poll_option_added,
    poll_option_deleted,
    suggested_post_approved,
    suggested_post_approval_failed,
    suggested_post_declined,
    suggested_post_paid,
    suggested_post_refunded,
    video_chat_scheduled,
    video_chat_started,
    video_chat_ended,
    video_chat_participants_invited,
    web_app_data,
);

/// The content type of a typed message, in glance's priority order.
fn content_type_of_message(m: &Message) -> ContentType {
    if m.text.is_some() {
        // `text` heads the priority order; most messages stop here.
        return ContentType::Text;
    }
    content_type_of_fields(|field| message_has_field(m, field))
}

// ---------------------------------------------------------------------------------------------
// Actions to requests
// ---------------------------------------------------------------------------------------------

/// One Bot API request an [`Action`] translates to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelegramCall {
    /// The method name (`"sendMessage"`).
    pub method: &'static str,
    /// The HTTP request to perform.
    pub request: HttpRequest,
    /// The numeric id of the chat the request acts on, when it names one (flood control
    /// queues by it; `None` for `@username` chats, inline messages and queries).
    pub chat_id: Option<i64>,
    /// Whether the request posts a new message (counts against flood-control budgets).
    pub counts_as_send: bool,
}

/// Translates an action into its Bot API request.
///
/// | Action | Method |
/// |---|---|
/// | `Send` | `sendMessage` |
/// | `Reply` | `sendMessage` with `reply_parameters` |
/// | `Edit` | `editMessageText` (chat or inline message) |
/// | `EditKeyboard` | `editMessageReplyMarkup` |
/// | `Delete` | `deleteMessage` |
/// | `React` | `setMessageReaction` (`None` sends an empty list, removing the reaction) |
/// | `Forward` | `forwardMessage` |
/// | `AnswerButton` | `answerCallbackQuery` |
/// | `AnswerInline` | `answerInlineQuery` |
/// | `Upload` | `sendDocument`, `sendPhoto`, `sendVideo`, `sendAudio`, `sendVoice` (multipart) |
/// | `Typing` | `sendChatAction` with `typing` |
/// | `Pin`, `Unpin` | `pinChatMessage`, `unpinChatMessage` |
/// | `Kick` | `unbanChatMember` without `only_if_banned` (see below) |
/// | `Ban`, `Unban` | `banChatMember`, `unbanChatMember` with `only_if_banned` |
/// | `SetTitle`, `SetDescription`, `Leave` | `setChatTitle`, `setChatDescription`, `leaveChat` |
/// | `Call` | the named method, its arguments read as its parameters |
///
/// **Kick** is telepot's `kickChatMember`: remove the member, who may come back. The Bot API
/// does that in one request: `unbanChatMember` without `only_if_banned` removes a current
/// member and leaves them free to rejoin. That method works in supergroups and channels
/// only; in a basic group (ids between -999999999999 and -1) there is no ban list and
/// `banChatMember` only removes the member, so it is used there.
///
/// Options: `format` becomes `parse_mode`, the keyboard an `InlineKeyboardMarkup` (a button
/// needs exactly one of `data` and `url`), `silent` `disable_notification`,
/// `no_link_preview` `link_preview_options.is_disabled`.
///
/// # Errors
/// - [`ActionError::BadKey`] for a key of another platform or an id that cannot be read
///   (chat keys are `telegram:<id>` or `telegram:@username`, user keys `telegram:<id>`);
/// - [`ActionError::NotSupported`] for a `Call` of another platform, and for replying to,
///   deleting, reacting to, forwarding or (un)pinning an inline message;
/// - [`ActionError::Encode`] for an unknown method name, arguments that do not fit the
///   method, inline results that are not `InlineQueryResult`s, a button without exactly one
///   of `data` and `url`.
pub fn translate(api: &Api, action: &Action) -> Result<TelegramCall, ActionError> {
    let send = action.is_send();
    match action {
        Action::Send {
            chat,
            text,
            options,
        } => {
            let chat = chat_id(chat)?;
            let m = send_message(chat.clone(), text, options, None)?;
            finish(api, &m, &chat, send)
        }
        Action::Reply { to, text, options } => {
            let (chat, message_id) = chat_message(to, "reply to an inline message")?;
            let m = send_message(chat.clone(), text, options, Some(message_id))?;
            finish(api, &m, &chat, send)
        }
        Action::Edit {
            message,
            text,
            options,
        } => {
            let mut m = EditMessageText::new().text(text.as_str());
            m.parse_mode = parse_mode(options);
            m.link_preview_options = link_preview(options);
            m.reply_markup = options.keyboard.as_deref().map(keyboard).transpose()?;
            match target(message)? {
                Target::Chat(chat, id) => {
                    m.chat_id = Some(chat);
                    m.message_id = Some(id);
                }
                Target::Inline(id) => m.inline_message_id = Some(id),
            }
            let chat = numeric(m.chat_id.as_ref());
            request(api, &m, chat, send)
        }
        Action::EditKeyboard {
            message,
            keyboard: rows,
        } => {
            let mut m = EditMessageReplyMarkup::new();
            m.reply_markup = rows.as_deref().map(keyboard).transpose()?;
            match target(message)? {
                Target::Chat(chat, id) => {
                    m.chat_id = Some(chat);
                    m.message_id = Some(id);
                }
                Target::Inline(id) => m.inline_message_id = Some(id),
            }
            let chat = numeric(m.chat_id.as_ref());
            request(api, &m, chat, send)
        }
        Action::Delete { message } => {
            let (chat, id) = chat_message(message, "delete an inline message")?;
            finish(api, &DeleteMessage::new(chat.clone(), id), &chat, send)
        }
        Action::React { message, emoji } => {
            let (chat, id) = chat_message(message, "react to an inline message")?;
            let mut m = SetMessageReaction::new(chat.clone(), id);
            m.reaction = Some(
                emoji
                    .iter()
                    .map(|e| ReactionType::Emoji(Box::new(ReactionTypeEmoji::new(e.as_str()))))
                    .collect(),
            );
            finish(api, &m, &chat, send)
        }
        Action::Forward { message, to } => {
            let (from, id) = chat_message(message, "forward an inline message")?;
            let to = chat_id(to)?;
            finish(api, &ForwardMessage::new(to.clone(), from, id), &to, send)
        }
        Action::AnswerButton {
            query_id,
            text,
            alert,
        } => {
            let mut m = AnswerCallbackQuery::new(query_id.as_str());
            m.text = text.clone();
            m.show_alert = alert.then_some(true);
            request(api, &m, None, send)
        }
        Action::AnswerInline {
            query_id,
            results,
            cache_time,
        } => {
            let results = Vec::<InlineQueryResult>::deserialize(results)
                .map_err(|e| ActionError::Encode(format!("inline query results: {e}")))?;
            let mut m = AnswerInlineQuery::new(query_id.as_str(), results);
            m.cache_time = cache_time.map(i64::from);
            request(api, &m, None, send)
        }
        Action::Upload {
            chat,
            file,
            kind,
            caption,
        } => {
            let chat = chat_id(chat)?;
            let input = InputFile::Upload(Upload {
                file_name: file.name.clone(),
                mime_type: file.mime.clone(),
                data: Arc::from(file.bytes.as_slice()),
                attach_name: None,
            });
            let caption = caption.clone();
            match kind {
                FileKind::Document => {
                    let mut m = SendDocument::new(chat.clone(), input);
                    m.caption = caption;
                    finish(api, &m, &chat, send)
                }
                FileKind::Photo => {
                    let mut m = SendPhoto::new(chat.clone(), input);
                    m.caption = caption;
                    finish(api, &m, &chat, send)
                }
                FileKind::Video => {
                    let mut m = SendVideo::new(chat.clone(), input);
                    m.caption = caption;
                    finish(api, &m, &chat, send)
                }
                FileKind::Audio => {
                    let mut m = SendAudio::new(chat.clone(), input);
                    m.caption = caption;
                    finish(api, &m, &chat, send)
                }
                FileKind::Voice => {
                    let mut m = SendVoice::new(chat.clone(), input);
                    m.caption = caption;
                    finish(api, &m, &chat, send)
                }
            }
        }
        Action::Typing { chat } => {
            let chat = chat_id(chat)?;
            let m = SendChatAction::new(chat.clone(), ChatAction::Typing);
            finish(api, &m, &chat, send)
        }
        Action::Pin { message } => {
            let (chat, id) = chat_message(message, "pin an inline message")?;
            finish(api, &PinChatMessage::new(chat.clone(), id), &chat, send)
        }
        Action::Unpin { message } => {
            let (chat, id) = chat_message(message, "unpin an inline message")?;
            let mut m = UnpinChatMessage::new(chat.clone());
            m.message_id = Some(id);
            finish(api, &m, &chat, send)
        }
        Action::Kick { chat, user } => {
            let chat = chat_id(chat)?;
            let user = user_id(user)?;
            if matches!(chat, ChatId::Id(id) if is_basic_group(id)) {
                finish(api, &BanChatMember::new(chat.clone(), user), &chat, send)
            } else {
                finish(api, &UnbanChatMember::new(chat.clone(), user), &chat, send)
            }
        }
        Action::Ban { chat, user, until } => {
            let chat = chat_id(chat)?;
            let mut m = BanChatMember::new(chat.clone(), user_id(user)?);
            m.until_date = *until;
            finish(api, &m, &chat, send)
        }
        Action::Unban { chat, user } => {
            let chat = chat_id(chat)?;
            let mut m = UnbanChatMember::new(chat.clone(), user_id(user)?);
            m.only_if_banned = Some(true);
            finish(api, &m, &chat, send)
        }
        Action::SetTitle { chat, title } => {
            let chat = chat_id(chat)?;
            finish(
                api,
                &SetChatTitle::new(chat.clone(), title.as_str()),
                &chat,
                send,
            )
        }
        Action::SetDescription { chat, description } => {
            let chat = chat_id(chat)?;
            let mut m = SetChatDescription::new(chat.clone());
            m.description = Some(description.clone());
            finish(api, &m, &chat, send)
        }
        Action::Leave { chat } => {
            let chat = chat_id(chat)?;
            finish(api, &LeaveChat::new(chat.clone()), &chat, send)
        }
        Action::Call {
            platform,
            method,
            args,
        } => call(api, *platform, method, args),
    }
}

/// [`translate`] without the typed model: the parameters of every action are built as a
/// JSON object and encoded as [`Api::request_json`] encodes calls by name, so a binary using
/// only this (with updates kept as JSON, [`client::Json`](crate::telegram::client::Json))
/// needs none of the typed methods' encoders nor the typed decoders. The requests are the
/// same as [`translate`]'s, up to the order of the JSON body's keys; `Call` arguments and
/// inline query results travel as given instead of being checked against the method's
/// parameters.
///
/// # Errors
/// As [`translate`], except that arguments and inline results are not checked beyond being
/// JSON objects (arrays for results) with the method's required parameters and their
/// uploads decoding.
pub fn translate_json(api: &Api, action: &Action) -> Result<TelegramCall, ActionError> {
    let send = action.is_send();
    match action {
        Action::Send {
            chat,
            text,
            options,
        } => {
            let chat = chat_id(chat)?;
            let p = send_message_json(&chat, text, options, None)?;
            finish_json(api, "sendMessage", &p, &chat, send)
        }
        Action::Reply { to, text, options } => {
            let (chat, message_id) = chat_message(to, "reply to an inline message")?;
            let p = send_message_json(&chat, text, options, Some(message_id))?;
            finish_json(api, "sendMessage", &p, &chat, send)
        }
        Action::Edit {
            message,
            text,
            options,
        } => {
            let mut p = Params::new();
            put(&mut p, "text", text.as_str().into());
            text_options_json(&mut p, options);
            if let Some(rows) = &options.keyboard {
                put(&mut p, "reply_markup", keyboard_json(rows)?);
            }
            let chat = target_json(&mut p, message)?;
            params_request(api, "editMessageText", &p, chat, send)
        }
        Action::EditKeyboard {
            message,
            keyboard: rows,
        } => {
            let mut p = Params::new();
            if let Some(rows) = rows {
                put(&mut p, "reply_markup", keyboard_json(rows)?);
            }
            let chat = target_json(&mut p, message)?;
            params_request(api, "editMessageReplyMarkup", &p, chat, send)
        }
        Action::Delete { message } => {
            let (chat, id) = chat_message(message, "delete an inline message")?;
            let p = chat_message_json(&chat, id);
            finish_json(api, "deleteMessage", &p, &chat, send)
        }
        Action::React { message, emoji } => {
            let (chat, id) = chat_message(message, "react to an inline message")?;
            let mut p = chat_message_json(&chat, id);
            let reaction = emoji.iter().map(|e| {
                let mut r = Params::new();
                put(&mut r, "type", "emoji".into());
                put(&mut r, "emoji", e.as_str().into());
                serde_json::Value::Object(r)
            });
            put(&mut p, "reaction", reaction.collect());
            finish_json(api, "setMessageReaction", &p, &chat, send)
        }
        Action::Forward { message, to } => {
            let (from, id) = chat_message(message, "forward an inline message")?;
            let to = chat_id(to)?;
            let mut p = chat_json(&to);
            put(&mut p, "from_chat_id", chat_value(&from));
            put(&mut p, "message_id", id.into());
            finish_json(api, "forwardMessage", &p, &to, send)
        }
        Action::AnswerButton {
            query_id,
            text,
            alert,
        } => {
            let mut p = Params::new();
            put(&mut p, "callback_query_id", query_id.as_str().into());
            if let Some(text) = text {
                put(&mut p, "text", text.as_str().into());
            }
            if *alert {
                put(&mut p, "show_alert", true.into());
            }
            params_request(api, "answerCallbackQuery", &p, None, send)
        }
        Action::AnswerInline {
            query_id,
            results,
            cache_time,
        } => {
            if !results.is_array() {
                return Err(ActionError::Encode(
                    "inline query results: expected an array".to_owned(),
                ));
            }
            let mut args = Params::new();
            put(&mut args, "inline_query_id", query_id.as_str().into());
            put(&mut args, "results", results.clone());
            if let Some(t) = cache_time {
                put(&mut args, "cache_time", (*t).into());
            }
            let (method, request) = api
                .request_json("answerInlineQuery", &serde_json::Value::Object(args))
                .map_err(|e| ActionError::Encode(e.to_string()))?;
            Ok(TelegramCall {
                method,
                request,
                chat_id: None,
                counts_as_send: send,
            })
        }
        Action::Upload {
            chat,
            file,
            kind,
            caption,
        } => {
            let chat = chat_id(chat)?;
            let (method, field) = match kind {
                FileKind::Document => ("sendDocument", "document"),
                FileKind::Photo => ("sendPhoto", "photo"),
                FileKind::Video => ("sendVideo", "video"),
                FileKind::Audio => ("sendAudio", "audio"),
                FileKind::Voice => ("sendVoice", "voice"),
            };
            // Named as the typed path names a single upload.
            let name = "file0";
            let mut p = chat_json(&chat);
            put(&mut p, field, format!("attach://{name}").into());
            if let Some(caption) = caption {
                put(&mut p, "caption", caption.as_str().into());
            }
            let upload = Upload {
                file_name: file.name.clone(),
                mime_type: file.mime.clone(),
                data: Arc::from(file.bytes.as_slice()),
                attach_name: Some(name.to_owned()),
            };
            let request = api.request_params(method, &[field], &p, vec![upload]);
            method_call(method, request, numeric(Some(&chat)), send)
        }
        Action::Typing { chat } => {
            let chat = chat_id(chat)?;
            let mut p = chat_json(&chat);
            put(&mut p, "action", "typing".into());
            finish_json(api, "sendChatAction", &p, &chat, send)
        }
        Action::Pin { message } => {
            let (chat, id) = chat_message(message, "pin an inline message")?;
            let p = chat_message_json(&chat, id);
            finish_json(api, "pinChatMessage", &p, &chat, send)
        }
        Action::Unpin { message } => {
            let (chat, id) = chat_message(message, "unpin an inline message")?;
            let p = chat_message_json(&chat, id);
            finish_json(api, "unpinChatMessage", &p, &chat, send)
        }
        Action::Kick { chat, user } => {
            let chat = chat_id(chat)?;
            let user = user_id(user)?;
            let mut p = chat_json(&chat);
            put(&mut p, "user_id", user.into());
            let method = if matches!(chat, ChatId::Id(id) if is_basic_group(id)) {
                "banChatMember"
            } else {
                "unbanChatMember"
            };
            finish_json(api, method, &p, &chat, send)
        }
        Action::Ban { chat, user, until } => {
            let chat = chat_id(chat)?;
            let mut p = chat_json(&chat);
            put(&mut p, "user_id", user_id(user)?.into());
            if let Some(until) = until {
                put(&mut p, "until_date", (*until).into());
            }
            finish_json(api, "banChatMember", &p, &chat, send)
        }
        Action::Unban { chat, user } => {
            let chat = chat_id(chat)?;
            let mut p = chat_json(&chat);
            put(&mut p, "user_id", user_id(user)?.into());
            put(&mut p, "only_if_banned", true.into());
            finish_json(api, "unbanChatMember", &p, &chat, send)
        }
        Action::SetTitle { chat, title } => {
            let chat = chat_id(chat)?;
            let mut p = chat_json(&chat);
            put(&mut p, "title", title.as_str().into());
            finish_json(api, "setChatTitle", &p, &chat, send)
        }
        Action::SetDescription { chat, description } => {
            let chat = chat_id(chat)?;
            let mut p = chat_json(&chat);
            put(&mut p, "description", description.as_str().into());
            finish_json(api, "setChatDescription", &p, &chat, send)
        }
        Action::Leave { chat } => {
            let chat = chat_id(chat)?;
            finish_json(api, "leaveChat", &chat_json(&chat), &chat, send)
        }
        Action::Call {
            platform,
            method,
            args,
        } => call_json(api, *platform, method, args),
    }
}

fn call(
    api: &Api,
    platform: Platform,
    method: &str,
    args: &serde_json::Value,
) -> Result<TelegramCall, ActionError> {
    if platform != Platform::Telegram {
        return Err(not_supported("call a method of another platform"));
    }
    let info = find_method(method)
        .ok_or_else(|| ActionError::Encode(format!("unknown Telegram method {method:?}")))?;
    let json = match args {
        serde_json::Value::Null => "{}".to_owned(),
        other => other.to_string(),
    };
    let request = info
        .build_request(api, &json)
        .map_err(|e| ActionError::Encode(e.to_string()))?;
    Ok(TelegramCall {
        method: info.name,
        request,
        chat_id: chat_id_of_args(args),
        counts_as_send: counts_as_send(info.name),
    })
}

fn call_json(
    api: &Api,
    platform: Platform,
    method: &str,
    args: &serde_json::Value,
) -> Result<TelegramCall, ActionError> {
    if platform != Platform::Telegram {
        return Err(not_supported("call a method of another platform"));
    }
    let (name, request) = api
        .request_json(method, args)
        .map_err(|e| ActionError::Encode(e.to_string()))?;
    Ok(TelegramCall {
        method: name,
        request,
        chat_id: chat_id_of_args(args),
        counts_as_send: counts_as_send(name),
    })
}

/// The numeric `chat_id` of a call's arguments (flood control queues by it).
fn chat_id_of_args(args: &serde_json::Value) -> Option<i64> {
    args.get("chat_id").and_then(|v| match v {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    })
}

/// Whether a method posts new messages (counts against flood-control budgets).
fn counts_as_send(name: &str) -> bool {
    (name.starts_with("send") && name != "sendChatAction")
        || matches!(
            name,
            "forwardMessage" | "forwardMessages" | "copyMessage" | "copyMessages"
        )
}

/// Basic groups have small negative ids; supergroups and channels are `-100…` followed by
/// at least ten digits.
fn is_basic_group(id: i64) -> bool {
    (-999_999_999_999..0).contains(&id)
}

fn not_supported(action: &'static str) -> ActionError {
    ActionError::NotSupported {
        platform: Platform::Telegram,
        action,
    }
}

fn bad_key(key: &str) -> ActionError {
    ActionError::BadKey {
        platform: Platform::Telegram,
        key: key.to_owned(),
    }
}

/// The platform id of a Telegram key.
fn telegram_id(key: &str) -> Result<&str, ActionError> {
    match split_key(key) {
        Some((Platform::Telegram, id)) => Ok(id),
        _ => Err(bad_key(key)),
    }
}

/// The chat of a chat key: `telegram:<id>` or `telegram:@username`.
fn chat_id(key: &str) -> Result<ChatId, ActionError> {
    let id = telegram_id(key)?;
    if let Ok(n) = id.parse::<i64>() {
        return Ok(ChatId::Id(n));
    }
    match id.strip_prefix('@') {
        Some(name)
            if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
        {
            Ok(ChatId::Username(id.to_owned()))
        }
        _ => Err(bad_key(key)),
    }
}

fn user_id(key: &str) -> Result<i64, ActionError> {
    telegram_id(key)?.parse().map_err(|_| bad_key(key))
}

enum Target {
    Chat(ChatId, i64),
    Inline(String),
}

fn target(m: &MessageKey) -> Result<Target, ActionError> {
    match m {
        MessageKey::InChat { chat, id } => Ok(Target::Chat(
            chat_id(chat)?,
            id.parse().map_err(|_| bad_key(id))?,
        )),
        MessageKey::Inline {
            platform: Platform::Telegram,
            inline_id,
        } => Ok(Target::Inline(inline_id.clone())),
        MessageKey::Inline { inline_id, .. } => Err(bad_key(inline_id)),
    }
}

/// A message in a chat; `inline` names the action refused for inline messages.
fn chat_message(m: &MessageKey, inline: &'static str) -> Result<(ChatId, i64), ActionError> {
    match target(m)? {
        Target::Chat(chat, id) => Ok((chat, id)),
        Target::Inline(_) => Err(not_supported(inline)),
    }
}

fn numeric(chat: Option<&ChatId>) -> Option<i64> {
    match chat {
        Some(ChatId::Id(id)) => Some(*id),
        _ => None,
    }
}

fn parse_mode(o: &SendOptions) -> Option<ParseMode> {
    match o.format? {
        TextFormat::Plain => None,
        TextFormat::Html => Some(ParseMode::Html),
        TextFormat::MarkdownV2 => Some(ParseMode::MarkdownV2),
        TextFormat::Markdown => Some(ParseMode::Markdown),
    }
}

fn link_preview(o: &SendOptions) -> Option<LinkPreviewOptions> {
    o.no_link_preview
        .then(|| LinkPreviewOptions::new().is_disabled(true))
}

fn keyboard(rows: &[Vec<Button>]) -> Result<InlineKeyboardMarkup, ActionError> {
    let rows = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|b| {
                    let button = InlineKeyboardButton::new(b.text.as_str());
                    match (&b.data, &b.url) {
                        (Some(data), None) => Ok(button.callback_data(data.as_str())),
                        (None, Some(url)) => Ok(button.url(url.as_str())),
                        _ => Err(bad_button(b)),
                    }
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(InlineKeyboardMarkup::new(rows))
}

fn bad_button(b: &Button) -> ActionError {
    ActionError::Encode(format!(
        "button {:?} needs exactly one of data and url",
        b.text
    ))
}

fn send_message(
    chat: ChatId,
    text: &str,
    options: &SendOptions,
    reply_to: Option<i64>,
) -> Result<SendMessage, ActionError> {
    let mut m = SendMessage::new(chat, text);
    m.parse_mode = parse_mode(options);
    m.link_preview_options = link_preview(options);
    m.disable_notification = options.silent.then_some(true);
    m.reply_parameters = reply_to.map(ReplyParameters::new);
    m.reply_markup = options
        .keyboard
        .as_deref()
        .map(keyboard)
        .transpose()?
        .map(ReplyMarkup::InlineKeyboard);
    Ok(m)
}

fn finish<M: Method>(
    api: &Api,
    m: &M,
    chat: &ChatId,
    counts_as_send: bool,
) -> Result<TelegramCall, ActionError> {
    request(api, m, numeric(Some(chat)), counts_as_send)
}

fn request<M: Method>(
    api: &Api,
    m: &M,
    chat_id: Option<i64>,
    counts_as_send: bool,
) -> Result<TelegramCall, ActionError> {
    method_call(M::NAME, api.request(m), chat_id, counts_as_send)
}

/// The call of method `method` (one function for all methods: [`request`] is instantiated for
/// each).
fn method_call(
    method: &'static str,
    request: Result<HttpRequest, EncodeError>,
    chat_id: Option<i64>,
    counts_as_send: bool,
) -> Result<TelegramCall, ActionError> {
    Ok(TelegramCall {
        method,
        request: request.map_err(|e| ActionError::Encode(e.to_string()))?,
        chat_id,
        counts_as_send,
    })
}

/// The parameters of a request built as JSON.
type Params = serde_json::Map<String, serde_json::Value>;

fn put(p: &mut Params, key: &str, value: serde_json::Value) {
    p.insert(key.to_owned(), value);
}

fn chat_value(chat: &ChatId) -> serde_json::Value {
    match chat {
        ChatId::Id(id) => (*id).into(),
        ChatId::Username(name) => name.as_str().into(),
    }
}

/// `{"chat_id": chat}`.
fn chat_json(chat: &ChatId) -> Params {
    let mut p = Params::new();
    put(&mut p, "chat_id", chat_value(chat));
    p
}

/// `{"chat_id": chat, "message_id": id}`.
fn chat_message_json(chat: &ChatId, id: i64) -> Params {
    let mut p = chat_json(chat);
    put(&mut p, "message_id", id.into());
    p
}

/// The message an edit acts on, as `chat_id` and `message_id` or `inline_message_id`; the
/// numeric chat.
fn target_json(p: &mut Params, message: &MessageKey) -> Result<Option<i64>, ActionError> {
    match target(message)? {
        Target::Chat(chat, id) => {
            put(p, "chat_id", chat_value(&chat));
            put(p, "message_id", id.into());
            Ok(numeric(Some(&chat)))
        }
        Target::Inline(id) => {
            put(p, "inline_message_id", id.into());
            Ok(None)
        }
    }
}

/// `parse_mode` and `link_preview_options` of a text.
fn text_options_json(p: &mut Params, o: &SendOptions) {
    let mode = match o.format {
        None | Some(TextFormat::Plain) => None,
        Some(TextFormat::Html) => Some("HTML"),
        Some(TextFormat::MarkdownV2) => Some("MarkdownV2"),
        Some(TextFormat::Markdown) => Some("Markdown"),
    };
    if let Some(mode) = mode {
        put(p, "parse_mode", mode.into());
    }
    if o.no_link_preview {
        let mut preview = Params::new();
        put(&mut preview, "is_disabled", true.into());
        put(p, "link_preview_options", preview.into());
    }
}

/// An `InlineKeyboardMarkup`.
fn keyboard_json(rows: &[Vec<Button>]) -> Result<serde_json::Value, ActionError> {
    let mut keyboard: Vec<serde_json::Value> = Vec::with_capacity(rows.len());
    for row in rows {
        let mut buttons: Vec<serde_json::Value> = Vec::with_capacity(row.len());
        for b in row {
            let mut button = Params::new();
            put(&mut button, "text", b.text.as_str().into());
            match (&b.data, &b.url) {
                (Some(data), None) => put(&mut button, "callback_data", data.as_str().into()),
                (None, Some(url)) => put(&mut button, "url", url.as_str().into()),
                _ => return Err(bad_button(b)),
            }
            buttons.push(button.into());
        }
        keyboard.push(buttons.into());
    }
    let mut markup = Params::new();
    put(&mut markup, "inline_keyboard", keyboard.into());
    Ok(markup.into())
}

fn send_message_json(
    chat: &ChatId,
    text: &str,
    options: &SendOptions,
    reply_to: Option<i64>,
) -> Result<Params, ActionError> {
    let mut p = chat_json(chat);
    put(&mut p, "text", text.into());
    text_options_json(&mut p, options);
    if options.silent {
        put(&mut p, "disable_notification", true.into());
    }
    if let Some(id) = reply_to {
        let mut reply = Params::new();
        put(&mut reply, "message_id", id.into());
        put(&mut p, "reply_parameters", reply.into());
    }
    if let Some(rows) = &options.keyboard {
        put(&mut p, "reply_markup", keyboard_json(rows)?);
    }
    Ok(p)
}

/// [`finish`] for parameters built as JSON.
fn finish_json(
    api: &Api,
    method: &'static str,
    p: &Params,
    chat: &ChatId,
    counts_as_send: bool,
) -> Result<TelegramCall, ActionError> {
    params_request(api, method, p, numeric(Some(chat)), counts_as_send)
}

/// [`request`] for parameters built as JSON.
fn params_request(
    api: &Api,
    method: &'static str,
    p: &Params,
    chat_id: Option<i64>,
    counts_as_send: bool,
) -> Result<TelegramCall, ActionError> {
    let request = api.request_params(method, &[], p, Vec::new());
    method_call(method, request, chat_id, counts_as_send)
}

// ---------------------------------------------------------------------------------------------
// Capabilities
// ---------------------------------------------------------------------------------------------

const fn action(kind: ActionKind, note: &'static str) -> Capability {
    Capability {
        name: kind.as_str(),
        supported: true,
        note,
    }
}

const fn event(kind: EventKind, supported: bool, note: &'static str) -> Capability {
    Capability {
        name: kind.as_str(),
        supported,
        note,
    }
}

const ACTIONS: [Capability; 20] = [
    action(ActionKind::Send, "sendMessage"),
    action(ActionKind::Reply, "sendMessage with reply_parameters"),
    action(ActionKind::Edit, "editMessageText (chat or inline message)"),
    action(ActionKind::EditKeyboard, "editMessageReplyMarkup"),
    action(
        ActionKind::Delete,
        "deleteMessage (chat messages; not inline messages)",
    ),
    action(ActionKind::React, "setMessageReaction (one emoji)"),
    action(ActionKind::Forward, "forwardMessage"),
    action(ActionKind::AnswerButton, "answerCallbackQuery"),
    action(ActionKind::AnswerInline, "answerInlineQuery"),
    action(
        ActionKind::Upload,
        "sendDocument, sendPhoto, sendVideo, sendAudio, sendVoice",
    ),
    action(ActionKind::Typing, "sendChatAction typing"),
    action(ActionKind::Pin, "pinChatMessage"),
    action(ActionKind::Unpin, "unpinChatMessage"),
    action(
        ActionKind::Kick,
        "unbanChatMember without only_if_banned (banChatMember in basic groups)",
    ),
    action(ActionKind::Ban, "banChatMember"),
    action(ActionKind::Unban, "unbanChatMember with only_if_banned"),
    action(ActionKind::SetTitle, "setChatTitle"),
    action(ActionKind::SetDescription, "setChatDescription"),
    action(ActionKind::Leave, "leaveChat"),
    action(ActionKind::Call, "any Bot API method by name"),
];

const EVENTS: [Capability; 14] = [
    event(
        EventKind::Message,
        true,
        "message, channel_post, business_message, guest_message",
    ),
    event(
        EventKind::EditedMessage,
        true,
        "edited_message, edited_channel_post, edited_business_message",
    ),
    event(
        EventKind::DeletedMessage,
        true,
        "deleted_business_messages (business chats only)",
    ),
    event(EventKind::ButtonPress, true, "callback_query"),
    event(EventKind::InlineQuery, true, "inline_query"),
    event(EventKind::ChosenInlineResult, true, "chosen_inline_result"),
    event(
        EventKind::MemberJoined,
        true,
        "new_chat_members messages; chat_member and my_chat_member",
    ),
    event(
        EventKind::MemberLeft,
        true,
        "left_chat_member messages; chat_member and my_chat_member",
    ),
    event(
        EventKind::MemberRoleChanged,
        true,
        "chat_member and my_chat_member",
    ),
    event(
        EventKind::ChatCreated,
        true,
        "group_chat_created, supergroup_chat_created, channel_chat_created messages",
    ),
    event(
        EventKind::ChatRemoved,
        false,
        "Telegram sends no such update; a bot removed from a chat gets MemberLeft",
    ),
    event(
        EventKind::Reaction,
        true,
        "message_reaction, message_reaction_count (the bot must be an administrator)",
    ),
    event(
        EventKind::UploadProgress,
        false,
        "the Bot API reports no upload progress",
    ),
    event(
        EventKind::Unknown,
        true,
        "every other update (chat_join_request, payments, polls, boosts, ...)",
    ),
];

/// What Telegram can do and deliver: one row per [`ActionKind`] and per [`EventKind`].
///
/// ```
/// use botwire_core::runtime::model::{ActionKind, EventKind};
/// use botwire_core::runtime::telegram::CAPABILITIES;
/// assert!(CAPABILITIES.supports(ActionKind::Kick));
/// assert!(!CAPABILITIES.delivers(EventKind::UploadProgress));
/// ```
pub const CAPABILITIES: Capabilities = Capabilities {
    platform: Platform::Telegram,
    actions: &ACTIONS,
    events: &EVENTS,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telegram::glance::CONTENT_FIELDS_IN_ORDER;

    #[test]
    fn every_content_field_of_the_typed_message_is_checked() {
        let expected: Vec<&str> = CONTENT_FIELDS_IN_ORDER
            .iter()
            .copied()
            .filter(|f| *f != "new_chat_member")
            .collect();
        assert_eq!(TYPED_CONTENT_FIELDS, expected.as_slice());
    }

    #[test]
    fn content_types_follow_the_priority_order() {
        let m: Message = serde_json::from_str(
            r#"{"message_id":1,"date":1,"chat":{"id":1,"type":"private"},
            "animation":{"file_id":"a","file_unique_id":"b","width":1,"height":1,"duration":1},
            "document":{"file_id":"a","file_unique_id":"b"}}"#,
        )
        .unwrap();
        assert_eq!(content_type_of_message(&m), ContentType::Document);
        let m: Message =
            serde_json::from_str(r#"{"message_id":1,"date":1,"chat":{"id":1,"type":"private"}}"#)
                .unwrap();
        assert_eq!(content_type_of_message(&m), ContentType::Unknown);
    }

    #[test]
    fn basic_groups_are_told_apart() {
        assert!(is_basic_group(-4_123_456));
        assert!(!is_basic_group(-1_001_234_567_890));
        assert!(!is_basic_group(42));
    }
}
