//! Flavor and glance of one raw `Update`, read straight from its JSON bytes.
//!
//! This is telepot's `flavor()` and `glance()` (protocol reference, sections 8.1 and 8.2) with
//! the fixes botwire makes:
//!
//! - the flavor comes from the `Update` field that carries the payload (the *kind*), not from
//!   guessing at the payload's keys, and the kind is kept next to it, so an edit or a channel
//!   post stays recognisable;
//! - content types newer than telepot's 26 keys are recognised, and a message with none of them
//!   glances as [`ContentType::Unknown`] instead of failing;
//! - `callback_query.data` is optional (game buttons send `game_short_name` instead);
//! - malformed input is an error value ([`GlanceError`]), never a panic.
//!
//! [`glance`] reads the bytes once with a hand-written JSON scanner that builds nothing it does
//! not return: it walks the update object, descends into the payload only for the fields the
//! headline needs, and skips everything else while still checking it, so it is several times
//! cheaper than a full typed parse of the `Update`. Strings borrow from the input unless they
//! contain an escape sequence.
//!
//! # What counts as a valid update
//!
//! - The whole input must be one JSON text: UTF-8 (checked once, up front), well formed
//!   everywhere, including in the parts that are only skipped (escapes, surrogate pairs,
//!   control characters, number syntax, brackets, trailing bytes). Whatever
//!   `serde_json::from_slice::<serde_json::Value>` rejects, [`glance`] rejects too, including
//!   numbers too large for an `f64` and nesting beyond serde_json's limit of 128 levels; the
//!   nesting is tracked with a counter, never with recursion.
//! - Integers must be written as integers and fit an `i64`: `1.0`, `1e3`, `-0` and
//!   `9223372036854775808` are errors where an integer is read, never rounded or wrapped.
//! - The payload is the first field other than `update_id`; every later field (another
//!   payload, or a repeat of the same one) is checked and ignored.
//! - For every other key the glance reads (`update_id`, and the fields inside the payload such
//!   as `chat`, `chat.id` or `from`), a repeated key's **last** occurrence wins, as in
//!   `serde_json::Value`; a value of the wrong type that a later duplicate replaces is not an
//!   error.
//! - `null` is a value of the wrong type for every field the glance reads, except the optional
//!   `callback_query.data`, where it means absent.
//! - The content type is the first field of [`CONTENT_FIELDS_IN_ORDER`] that is present among
//!   *all* the keys of the message, whatever their order in the document.
//!
//! ```
//! use botwire_core::telegram::glance::{glance, ContentType, Flavor, Headline};
//!
//! let json = br#"{"update_id":10,"edited_message":{"message_id":7,"date":1700000000,
//!     "chat":{"id":42,"type":"private"},"edit_date":1700000060,"text":"hi"}}"#;
//! let g = glance(json)?;
//! assert_eq!(g.update_id, 10);
//! assert_eq!(g.kind, "edited_message");
//! assert_eq!(g.flavor, Flavor::Chat);
//! match g.headline {
//!     Headline::Chat { content_type, chat_type, chat_id, date, message_id } => {
//!         assert_eq!(content_type, ContentType::Text);
//!         assert_eq!((&*chat_type, chat_id, date, message_id), ("private", 42, 1700000000, 7));
//!     }
//!     other => panic!("unexpected headline {other:?}"),
//! }
//! # Ok::<(), botwire_core::telegram::glance::GlanceError>(())
//! ```

use std::borrow::Cow;
use std::fmt;

#[cfg(test)]
mod differential;
mod read;
mod scan;
#[cfg(test)]
mod tests;

pub use scan::{JsonError, JsonErrorKind};

// ---------------------------------------------------------------------------------------------
// Flavor
// ---------------------------------------------------------------------------------------------

/// What an update is about, in telepot's vocabulary (section 8.1).
///
/// The six named flavors are the ones telepot recognised; every other `Update` field, including
/// fields newer than the vendored spec, is its own flavor named after the field.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Flavor {
    /// A message: `message`, `edited_message`, `channel_post`, `edited_channel_post`,
    /// `business_message`, `edited_business_message` or `guest_message`.
    Chat,
    /// A `callback_query` (an inline keyboard button was pressed).
    CallbackQuery,
    /// An `inline_query`.
    InlineQuery,
    /// A `chosen_inline_result`.
    ChosenInlineResult,
    /// A `shipping_query`.
    ShippingQuery,
    /// A `pre_checkout_query`.
    PreCheckoutQuery,
    /// Any other `Update` field, e.g. `my_chat_member`, `poll_answer`, `message_reaction`, or a
    /// field this version of botwire does not know; the string is the field name.
    Other(String),
}

impl Flavor {
    /// The flavor as telepot spells it: `"chat"`, `"callback_query"`, `"inline_query"`,
    /// `"chosen_inline_result"`, `"shipping_query"`, `"pre_checkout_query"`, or the field name
    /// of an [`Flavor::Other`] flavor.
    ///
    /// ```
    /// use botwire_core::telegram::glance::flavor_of_kind;
    /// assert_eq!(flavor_of_kind("channel_post").as_str(), "chat");
    /// assert_eq!(flavor_of_kind("poll_answer").as_str(), "poll_answer");
    /// ```
    pub fn as_str(&self) -> &str {
        match self {
            Flavor::Chat => "chat",
            Flavor::CallbackQuery => "callback_query",
            Flavor::InlineQuery => "inline_query",
            Flavor::ChosenInlineResult => "chosen_inline_result",
            Flavor::ShippingQuery => "shipping_query",
            Flavor::PreCheckoutQuery => "pre_checkout_query",
            Flavor::Other(name) => name,
        }
    }
}

impl fmt::Display for Flavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `Update` fields whose payload is a `Message` and whose flavor is therefore
/// [`Flavor::Chat`].
pub const CHAT_KINDS: &[&str] = &[
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
    "edited_business_message",
    "guest_message",
];

/// The payload shapes [`glance`] knows how to read; private mirror of [`Flavor`] without the
/// allocation of [`Flavor::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Chat,
    CallbackQuery,
    InlineQuery,
    ChosenInlineResult,
    ShippingQuery,
    PreCheckoutQuery,
    Other,
}

fn shape_of_kind(kind: &str) -> Shape {
    match kind {
        "message"
        | "edited_message"
        | "channel_post"
        | "edited_channel_post"
        | "business_message"
        | "edited_business_message"
        | "guest_message" => Shape::Chat,
        "callback_query" => Shape::CallbackQuery,
        "inline_query" => Shape::InlineQuery,
        "chosen_inline_result" => Shape::ChosenInlineResult,
        "shipping_query" => Shape::ShippingQuery,
        "pre_checkout_query" => Shape::PreCheckoutQuery,
        _ => Shape::Other,
    }
}

fn flavor_of_shape(shape: Shape, kind: &str) -> Flavor {
    match shape {
        Shape::Chat => Flavor::Chat,
        Shape::CallbackQuery => Flavor::CallbackQuery,
        Shape::InlineQuery => Flavor::InlineQuery,
        Shape::ChosenInlineResult => Flavor::ChosenInlineResult,
        Shape::ShippingQuery => Flavor::ShippingQuery,
        Shape::PreCheckoutQuery => Flavor::PreCheckoutQuery,
        Shape::Other => Flavor::Other(kind.to_owned()),
    }
}

/// The flavor of an update, from the name of the `Update` field that carries its payload
/// (section 8.1, "Fix").
///
/// The seven message kinds of [`CHAT_KINDS`] are [`Flavor::Chat`]; `callback_query`,
/// `inline_query`, `chosen_inline_result`, `shipping_query` and `pre_checkout_query` are their
/// own named flavor; every other name, known or not, is [`Flavor::Other`] with that name.
///
/// ```
/// use botwire_core::telegram::glance::{flavor_of_kind, Flavor};
/// assert_eq!(flavor_of_kind("edited_business_message"), Flavor::Chat);
/// assert_eq!(flavor_of_kind("inline_query"), Flavor::InlineQuery);
/// assert_eq!(flavor_of_kind("my_chat_member"), Flavor::Other("my_chat_member".into()));
/// assert_eq!(flavor_of_kind("from_the_future"), Flavor::Other("from_the_future".into()));
/// ```
pub fn flavor_of_kind(kind: &str) -> Flavor {
    flavor_of_shape(shape_of_kind(kind), kind)
}

// ---------------------------------------------------------------------------------------------
// Content types
// ---------------------------------------------------------------------------------------------

macro_rules! content_types {
    (
        telepot { $($t_variant:ident => $t_field:literal,)* }
        newer { $($n_variant:ident => $n_field:literal,)* }
    ) => {
        /// The content type of a message: the first content field present, in the priority
        /// order of [`CONTENT_FIELDS_IN_ORDER`] (section 8.2).
        ///
        /// Variants are declared in that priority order, so `Ord` compares priorities: a
        /// smaller value wins. [`ContentType::Unknown`] (no known content field) sorts last.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ContentType {
            $(
                #[doc = concat!("`", $t_field, "` (one of telepot's 26 keys).")]
                $t_variant,
            )*
            $(
                #[doc = concat!("`", $n_field, "` (a content field newer than telepot).")]
                $n_variant,
            )*
            /// None of the known content fields is present; the message is still delivered.
            Unknown,
        }

        /// The 76 content fields of `Message`, in the order that decides a message's content
        /// type: telepot's 26 keys first (so an animation glances as `document`, a venue as
        /// `location`, and a join message that carries the deprecated `new_chat_member` as
        /// `new_chat_member`), then the newer content fields in the spec's `Message` field
        /// order.
        pub const CONTENT_FIELDS_IN_ORDER: &[&str] = &[$($t_field,)* $($n_field,)*];

        /// The content types in the order of [`CONTENT_FIELDS_IN_ORDER`].
        const CONTENT_TYPES_IN_ORDER: &[ContentType] =
            &[$(ContentType::$t_variant,)* $(ContentType::$n_variant,)*];

        impl ContentType {
            /// The field name of this content type (`"text"`, `"new_chat_members"`, ...), or
            /// `"unknown"` for [`ContentType::Unknown`].
            ///
            /// ```
            /// use botwire_core::telegram::glance::ContentType;
            /// assert_eq!(ContentType::VideoNote.as_str(), "video_note");
            /// assert_eq!(ContentType::Unknown.as_str(), "unknown");
            /// ```
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ContentType::$t_variant => $t_field,)*
                    $(ContentType::$n_variant => $n_field,)*
                    ContentType::Unknown => "unknown",
                }
            }

            /// The content type of a `Message` field, or `None` when the field is metadata,
            /// unknown, or `"unknown"` itself.
            ///
            /// ```
            /// use botwire_core::telegram::glance::ContentType;
            /// assert_eq!(ContentType::from_field("dice"), Some(ContentType::Dice));
            /// assert_eq!(ContentType::from_field("caption"), None);
            /// ```
            pub fn from_field(field: &str) -> Option<ContentType> {
                match field {
                    $($t_field => Some(ContentType::$t_variant),)*
                    $($n_field => Some(ContentType::$n_variant),)*
                    _ => None,
                }
            }
        }
    };
}

content_types! {
    telepot {
        Text => "text",
        Audio => "audio",
        Document => "document",
        Game => "game",
        Photo => "photo",
        Sticker => "sticker",
        Video => "video",
        Voice => "voice",
        VideoNote => "video_note",
        Contact => "contact",
        Location => "location",
        Venue => "venue",
        NewChatMember => "new_chat_member",
        LeftChatMember => "left_chat_member",
        NewChatTitle => "new_chat_title",
        NewChatPhoto => "new_chat_photo",
        DeleteChatPhoto => "delete_chat_photo",
        GroupChatCreated => "group_chat_created",
        SupergroupChatCreated => "supergroup_chat_created",
        ChannelChatCreated => "channel_chat_created",
        MigrateToChatId => "migrate_to_chat_id",
        MigrateFromChatId => "migrate_from_chat_id",
        PinnedMessage => "pinned_message",
        NewChatMembers => "new_chat_members",
        Invoice => "invoice",
        SuccessfulPayment => "successful_payment",
    }
    newer {
        RichMessage => "rich_message",
        Animation => "animation",
        LivePhoto => "live_photo",
        PaidMedia => "paid_media",
        Story => "story",
        Checklist => "checklist",
        Dice => "dice",
        Poll => "poll",
        ChatOwnerLeft => "chat_owner_left",
        ChatOwnerChanged => "chat_owner_changed",
        MessageAutoDeleteTimerChanged => "message_auto_delete_timer_changed",
        RefundedPayment => "refunded_payment",
        UsersShared => "users_shared",
        ChatShared => "chat_shared",
        Gift => "gift",
        UniqueGift => "unique_gift",
        GiftUpgradeSent => "gift_upgrade_sent",
        ConnectedWebsite => "connected_website",
        WriteAccessAllowed => "write_access_allowed",
        PassportData => "passport_data",
        ProximityAlertTriggered => "proximity_alert_triggered",
        BoostAdded => "boost_added",
        ChatBackgroundSet => "chat_background_set",
        ChecklistTasksDone => "checklist_tasks_done",
        ChecklistTasksAdded => "checklist_tasks_added",
        DirectMessagePriceChanged => "direct_message_price_changed",
        ForumTopicCreated => "forum_topic_created",
        ForumTopicEdited => "forum_topic_edited",
        ForumTopicClosed => "forum_topic_closed",
        ForumTopicReopened => "forum_topic_reopened",
        GeneralForumTopicHidden => "general_forum_topic_hidden",
        GeneralForumTopicUnhidden => "general_forum_topic_unhidden",
        GiveawayCreated => "giveaway_created",
        Giveaway => "giveaway",
        GiveawayWinners => "giveaway_winners",
        GiveawayCompleted => "giveaway_completed",
        ManagedBotCreated => "managed_bot_created",
        PaidMessagePriceChanged => "paid_message_price_changed",
        PollOptionAdded => "poll_option_added",
        PollOptionDeleted => "poll_option_deleted",
        SuggestedPostApproved => "suggested_post_approved",
        SuggestedPostApprovalFailed => "suggested_post_approval_failed",
        SuggestedPostDeclined => "suggested_post_declined",
        SuggestedPostPaid => "suggested_post_paid",
        SuggestedPostRefunded => "suggested_post_refunded",
        VideoChatScheduled => "video_chat_scheduled",
        VideoChatStarted => "video_chat_started",
        VideoChatEnded => "video_chat_ended",
        VideoChatParticipantsInvited => "video_chat_participants_invited",
        WebAppData => "web_app_data",
    }
}

impl fmt::Display for ContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The 40 `Message` fields that are metadata and never a content type (section 8.2), in the
/// spec's field order. Together with [`CONTENT_FIELDS_IN_ORDER`] (minus `new_chat_member`,
/// which the spec no longer lists) they cover all 115 `Message` fields of Bot API 10.1.
pub const MESSAGE_METADATA_FIELDS: &[&str] = &[
    "message_id",
    "message_thread_id",
    "direct_messages_topic",
    "from",
    "sender_chat",
    "sender_boost_count",
    "sender_business_bot",
    "sender_tag",
    "date",
    "guest_query_id",
    "business_connection_id",
    "chat",
    "forward_origin",
    "is_topic_message",
    "is_automatic_forward",
    "reply_to_message",
    "external_reply",
    "quote",
    "reply_to_story",
    "reply_to_checklist_task_id",
    "reply_to_poll_option_id",
    "via_bot",
    "guest_bot_caller_user",
    "guest_bot_caller_chat",
    "edit_date",
    "has_protected_content",
    "is_from_offline",
    "is_paid_post",
    "media_group_id",
    "author_signature",
    "paid_star_count",
    "entities",
    "link_preview_options",
    "suggested_post_info",
    "effect_id",
    "caption",
    "caption_entities",
    "show_caption_above_media",
    "has_media_spoiler",
    "reply_markup",
];

/// The content type of a message, given a test for which of its fields are present: the first
/// field of [`CONTENT_FIELDS_IN_ORDER`] for which `present` returns `true`, or
/// [`ContentType::Unknown`].
///
/// Typed code uses this to apply the same priority order as [`glance`].
///
/// ```
/// use botwire_core::telegram::glance::{content_type_of_fields, ContentType};
/// // An animation message also carries `document`: telepot's order makes it a document.
/// let fields = ["message_id", "animation", "document", "chat"];
/// assert_eq!(content_type_of_fields(|f| fields.contains(&f)), ContentType::Document);
/// assert_eq!(content_type_of_fields(|_| false), ContentType::Unknown);
/// ```
pub fn content_type_of_fields(present: impl Fn(&str) -> bool) -> ContentType {
    CONTENT_FIELDS_IN_ORDER
        .iter()
        .zip(CONTENT_TYPES_IN_ORDER)
        .find(|(field, _)| present(field))
        .map_or(ContentType::Unknown, |(_, content_type)| *content_type)
}

// ---------------------------------------------------------------------------------------------
// Glance
// ---------------------------------------------------------------------------------------------

/// The headline of one update, read by [`glance`] from its raw JSON.
///
/// Strings borrow from the input bytes when they contain no escape sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glance<'a> {
    /// `Update.update_id`.
    pub update_id: i64,
    /// The `Update` field that carries the payload, e.g. `"edited_message"`; unknown kinds are
    /// kept as they are.
    pub kind: Cow<'a, str>,
    /// The flavor of [`Glance::kind`], as [`flavor_of_kind`] gives it.
    pub flavor: Flavor,
    /// telepot's glance tuple for the flavor (short and long form together).
    pub headline: Headline<'a>,
}

/// telepot's glance tuple for each flavor (section 8.2); the fields of the short and the long
/// form are given together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Headline<'a> {
    /// A message: short form `(content_type, chat.type, chat.id)`, long form adds
    /// `(date, message_id)`.
    Chat {
        /// The first content field present, see [`CONTENT_FIELDS_IN_ORDER`].
        content_type: ContentType,
        /// `chat.type`: `"private"`, `"group"`, `"supergroup"` or `"channel"`.
        chat_type: Cow<'a, str>,
        /// `chat.id`.
        chat_id: i64,
        /// `date`.
        date: i64,
        /// `message_id`.
        message_id: i64,
    },
    /// A callback query: `(id, from.id, data)`.
    CallbackQuery {
        /// `id`.
        id: Cow<'a, str>,
        /// `from.id`.
        from_id: i64,
        /// `data`; absent for game buttons (they send `game_short_name`).
        data: Option<Cow<'a, str>>,
    },
    /// An inline query: short form `(id, from.id, query)`, long form adds `offset`.
    InlineQuery {
        /// `id`.
        id: Cow<'a, str>,
        /// `from.id`.
        from_id: i64,
        /// `query`.
        query: Cow<'a, str>,
        /// `offset`.
        offset: Cow<'a, str>,
    },
    /// A chosen inline result: `(result_id, from.id, query)`.
    ChosenInlineResult {
        /// `result_id`.
        result_id: Cow<'a, str>,
        /// `from.id`.
        from_id: i64,
        /// `query`.
        query: Cow<'a, str>,
    },
    /// A shipping query: `(id, from.id, invoice_payload)`.
    ShippingQuery {
        /// `id`.
        id: Cow<'a, str>,
        /// `from.id`.
        from_id: i64,
        /// `invoice_payload`.
        invoice_payload: Cow<'a, str>,
    },
    /// A pre-checkout query: short form `(id, from.id, invoice_payload)`, long form adds
    /// `(currency, total_amount)`.
    PreCheckoutQuery {
        /// `id`.
        id: Cow<'a, str>,
        /// `from.id`.
        from_id: i64,
        /// `invoice_payload`.
        invoice_payload: Cow<'a, str>,
        /// `currency` (ISO 4217 code or `"XTR"`).
        currency: Cow<'a, str>,
        /// `total_amount`, in the smallest units of the currency.
        total_amount: i64,
    },
    /// Any other flavor: telepot had no glance for it.
    Other,
}

/// Why [`glance`] could not read an update.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GlanceError {
    /// The bytes are not JSON, are truncated, nest deeper than `serde_json`'s recursion limit,
    /// or a field [`glance`] reads has the wrong JSON type or an out-of-range number; the
    /// [`JsonError`] tells which, and at which byte offset.
    #[error("update is not valid JSON of the expected shape: {0}")]
    Json(#[from] JsonError),
    /// The bytes are not UTF-8, so not JSON text.
    #[error("update is not valid UTF-8: {0}")]
    Utf8(#[from] std::str::Utf8Error),
    /// The object has no `update_id`.
    #[error("update has no update_id")]
    MissingUpdateId,
    /// The object has an `update_id` but no payload field at all.
    #[error("update {update_id} has no payload field")]
    NoPayload {
        /// `Update.update_id`.
        update_id: i64,
    },
    /// The payload lacks a field its glance needs (for example a message without `chat` or
    /// `message_id`).
    #[error("update {update_id}: `{kind}` has no `{field}`")]
    MissingField {
        /// `Update.update_id`, so a polling loop can still move past the update.
        update_id: i64,
        /// The `Update` field that carries the payload.
        kind: String,
        /// The missing field, as a dotted path (e.g. `"chat.id"`).
        field: &'static str,
    },
}

/// Reads the flavor and headline of one `Update` from its JSON bytes, without a typed parse of
/// the whole update.
///
/// Only `update_id`, the first payload field and the few fields of the payload that the
/// headline needs are decoded; everything else is skipped. An unknown update kind gives
/// [`Flavor::Other`] with [`Headline::Other`]; a message without any known content field gives
/// [`ContentType::Unknown`]. If the object has more than one payload field, the first one is
/// used; for repeated keys inside the payload and for `update_id`, the last occurrence wins
/// (see the [module documentation](self) for the exact rules).
///
/// The only allocations are the owned strings of the result: [`Flavor::Other`]'s name, and
/// strings that contain escape sequences.
///
/// # Errors
///
/// Checked in this order: [`GlanceError::Utf8`] when the input is not UTF-8;
/// [`GlanceError::Json`] when it is not well-formed JSON, is not an object, or a field the
/// glance reads has the wrong type; [`GlanceError::MissingUpdateId`] and
/// [`GlanceError::NoPayload`] for an incomplete `Update`; [`GlanceError::MissingField`] when
/// the payload lacks a field its headline needs (a message without `chat`, `chat.id`,
/// `chat.type`, `message_id` or `date`, a query without `id` or `from.id`, ...). The function
/// never panics.
///
/// ```
/// use botwire_core::telegram::glance::{glance, Flavor, Headline};
///
/// let g = glance(br#"{"update_id":5,"callback_query":{"id":"77","from":{"id":9,"is_bot":false,
///     "first_name":"A"},"chat_instance":"1","game_short_name":"tetris"}}"#)?;
/// assert_eq!(g.flavor, Flavor::CallbackQuery);
/// assert_eq!(g.headline, Headline::CallbackQuery { id: "77".into(), from_id: 9, data: None });
///
/// assert!(glance(br#"{"update_id":5,"message":{"message_id":1}}"#).is_err());
/// # Ok::<(), botwire_core::telegram::glance::GlanceError>(())
/// ```
pub fn glance(json: &[u8]) -> Result<Glance<'_>, GlanceError> {
    // Checking the whole input once is cheaper than checking every string on the way, covers
    // the parts that are only skipped, and lets the scanner borrow any range between two ASCII
    // delimiters as a `&str`.
    let text = std::str::from_utf8(json)?;
    read::read_update(text)?.into_glance()
}

impl Glance<'_> {
    /// A copy of the glance that owns all its strings.
    pub fn into_owned(self) -> Glance<'static> {
        Glance {
            update_id: self.update_id,
            kind: Cow::Owned(self.kind.into_owned()),
            flavor: self.flavor,
            headline: self.headline.into_owned(),
        }
    }
}

fn own(s: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(s.into_owned())
}

impl Headline<'_> {
    /// A copy of the headline that owns all its strings.
    pub fn into_owned(self) -> Headline<'static> {
        match self {
            Headline::Chat {
                content_type,
                chat_type,
                chat_id,
                date,
                message_id,
            } => Headline::Chat {
                content_type,
                chat_type: own(chat_type),
                chat_id,
                date,
                message_id,
            },
            Headline::CallbackQuery { id, from_id, data } => Headline::CallbackQuery {
                id: own(id),
                from_id,
                data: data.map(own),
            },
            Headline::InlineQuery {
                id,
                from_id,
                query,
                offset,
            } => Headline::InlineQuery {
                id: own(id),
                from_id,
                query: own(query),
                offset: own(offset),
            },
            Headline::ChosenInlineResult {
                result_id,
                from_id,
                query,
            } => Headline::ChosenInlineResult {
                result_id: own(result_id),
                from_id,
                query: own(query),
            },
            Headline::ShippingQuery {
                id,
                from_id,
                invoice_payload,
            } => Headline::ShippingQuery {
                id: own(id),
                from_id,
                invoice_payload: own(invoice_payload),
            },
            Headline::PreCheckoutQuery {
                id,
                from_id,
                invoice_payload,
                currency,
                total_amount,
            } => Headline::PreCheckoutQuery {
                id: own(id),
                from_id,
                invoice_payload: own(invoice_payload),
                currency: own(currency),
                total_amount,
            },
            Headline::Other => Headline::Other,
        }
    }
}
