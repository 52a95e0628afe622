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
//! [`glance`] reads the bytes once with `serde_json`, borrows strings from the input where they
//! contain no escape sequence, and skips every field it does not need with
//! [`serde::de::IgnoredAny`], so it is much cheaper than a full typed parse of the `Update`.
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

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

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
    /// or a field [`glance`] reads has the wrong JSON type or an out-of-range number.
    #[error("update is not valid JSON of the expected shape: {0}")]
    Json(#[from] serde_json::Error),
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
/// used.
///
/// # Errors
///
/// [`GlanceError::Utf8`] when the input is not UTF-8; [`GlanceError::Json`] when it is not a
/// JSON object or a field the glance reads has the wrong type;
/// [`GlanceError::MissingUpdateId`] and [`GlanceError::NoPayload`] for an
/// incomplete `Update`; [`GlanceError::MissingField`] when the payload lacks a field its
/// headline needs (a message without `chat`, `chat.id`, `chat.type`, `message_id` or `date`, a
/// query without `id` or `from.id`, ...). The function never panics.
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
    // Checking the whole input once is cheaper than letting serde_json check every string it
    // hands out, and it also rejects invalid UTF-8 inside the parts that are skipped.
    let text = std::str::from_utf8(json)?;
    let mut de = serde_json::Deserializer::from_str(text);
    let raw = de.deserialize_map(UpdateVisitor)?;
    de.end()?;
    raw.into_glance()
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

// ---------------------------------------------------------------------------------------------
// Deserialization helpers
// ---------------------------------------------------------------------------------------------

/// A string that borrows from the input when it can (serde's own `Cow<str>` always copies).
struct BStr<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for BStr<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BStrVisitor;
        impl<'de> Visitor<'de> for BStrVisitor {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v))
            }
        }
        deserializer.deserialize_str(BStrVisitor).map(BStr)
    }
}

/// `User` reduced to its `id`.
#[derive(Deserialize)]
struct UserId {
    id: Option<i64>,
}

/// `Chat` reduced to `id` and `type`.
#[derive(Deserialize)]
struct ChatHead<'a> {
    id: Option<i64>,
    #[serde(rename = "type", borrow)]
    kind: Option<BStr<'a>>,
}

#[derive(Deserialize)]
struct CallbackQueryHead<'a> {
    #[serde(borrow)]
    id: Option<BStr<'a>>,
    from: Option<UserId>,
    #[serde(borrow)]
    data: Option<BStr<'a>>,
}

#[derive(Deserialize)]
struct InlineQueryHead<'a> {
    #[serde(borrow)]
    id: Option<BStr<'a>>,
    from: Option<UserId>,
    #[serde(borrow)]
    query: Option<BStr<'a>>,
    #[serde(borrow)]
    offset: Option<BStr<'a>>,
}

#[derive(Deserialize)]
struct ChosenInlineResultHead<'a> {
    #[serde(borrow)]
    result_id: Option<BStr<'a>>,
    from: Option<UserId>,
    #[serde(borrow)]
    query: Option<BStr<'a>>,
}

#[derive(Deserialize)]
struct ShippingQueryHead<'a> {
    #[serde(borrow)]
    id: Option<BStr<'a>>,
    from: Option<UserId>,
    #[serde(borrow)]
    invoice_payload: Option<BStr<'a>>,
}

#[derive(Deserialize)]
struct PreCheckoutQueryHead<'a> {
    #[serde(borrow)]
    id: Option<BStr<'a>>,
    from: Option<UserId>,
    #[serde(borrow)]
    invoice_payload: Option<BStr<'a>>,
    #[serde(borrow)]
    currency: Option<BStr<'a>>,
    total_amount: Option<i64>,
}

/// `Message` reduced to what the chat glance needs; the content type is the highest-priority
/// content field seen among all keys.
struct MessageHead<'a> {
    message_id: Option<i64>,
    date: Option<i64>,
    chat: Option<ChatHead<'a>>,
    content_type: ContentType,
}

/// A key of a `Message` object, classified without allocating.
enum MessageKey {
    MessageId,
    Date,
    Chat,
    Content(ContentType),
    Other,
}

impl<'de> Deserialize<'de> for MessageKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = MessageKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<MessageKey, E> {
                Ok(match v {
                    "message_id" => MessageKey::MessageId,
                    "date" => MessageKey::Date,
                    "chat" => MessageKey::Chat,
                    other => ContentType::from_field(other)
                        .map_or(MessageKey::Other, MessageKey::Content),
                })
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for MessageHead<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MessageVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for MessageVisitor<'a> {
            type Value = MessageHead<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Message object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut head = MessageHead {
                    message_id: None,
                    date: None,
                    chat: None,
                    content_type: ContentType::Unknown,
                };
                while let Some(key) = map.next_key::<MessageKey>()? {
                    match key {
                        MessageKey::MessageId => head.message_id = Some(map.next_value()?),
                        MessageKey::Date => head.date = Some(map.next_value()?),
                        MessageKey::Chat => head.chat = Some(map.next_value()?),
                        MessageKey::Content(content_type) => {
                            head.content_type = head.content_type.min(content_type);
                            map.next_value::<IgnoredAny>()?;
                        }
                        MessageKey::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(head)
            }
        }
        deserializer.deserialize_map(MessageVisitor(std::marker::PhantomData))
    }
}

/// The payload as read, before required fields are checked.
enum Payload<'a> {
    None,
    Chat(MessageHead<'a>),
    CallbackQuery(CallbackQueryHead<'a>),
    InlineQuery(InlineQueryHead<'a>),
    ChosenInlineResult(ChosenInlineResultHead<'a>),
    ShippingQuery(ShippingQueryHead<'a>),
    PreCheckoutQuery(PreCheckoutQueryHead<'a>),
    Other,
}

struct RawUpdate<'a> {
    update_id: Option<i64>,
    kind: Option<(Cow<'a, str>, Shape)>,
    payload: Payload<'a>,
}

struct UpdateVisitor;

impl<'de> Visitor<'de> for UpdateVisitor {
    type Value = RawUpdate<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an Update object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut raw = RawUpdate {
            update_id: None,
            kind: None,
            payload: Payload::None,
        };
        while let Some(BStr(key)) = map.next_key::<BStr<'de>>()? {
            if key == "update_id" {
                raw.update_id = Some(map.next_value()?);
            } else if raw.kind.is_some() {
                map.next_value::<IgnoredAny>()?;
            } else {
                let shape = shape_of_kind(&key);
                raw.payload = match shape {
                    Shape::Chat => Payload::Chat(map.next_value()?),
                    Shape::CallbackQuery => Payload::CallbackQuery(map.next_value()?),
                    Shape::InlineQuery => Payload::InlineQuery(map.next_value()?),
                    Shape::ChosenInlineResult => Payload::ChosenInlineResult(map.next_value()?),
                    Shape::ShippingQuery => Payload::ShippingQuery(map.next_value()?),
                    Shape::PreCheckoutQuery => Payload::PreCheckoutQuery(map.next_value()?),
                    Shape::Other => {
                        map.next_value::<IgnoredAny>()?;
                        Payload::Other
                    }
                };
                raw.kind = Some((key, shape));
            }
        }
        Ok(raw)
    }
}

fn from_id(from: Option<UserId>) -> Option<i64> {
    from.and_then(|user| user.id)
}

impl<'a> RawUpdate<'a> {
    fn into_glance(self) -> Result<Glance<'a>, GlanceError> {
        let update_id = self.update_id.ok_or(GlanceError::MissingUpdateId)?;
        let Some((kind, shape)) = self.kind else {
            return Err(GlanceError::NoPayload { update_id });
        };
        let missing = |field: &'static str| GlanceError::MissingField {
            update_id,
            kind: kind.to_string(),
            field,
        };
        let need_str = |value: Option<BStr<'a>>, field: &'static str| match value {
            Some(BStr(s)) => Ok(s),
            None => Err(missing(field)),
        };
        let need_from = |from: Option<UserId>| from_id(from).ok_or_else(|| missing("from.id"));
        let headline = match self.payload {
            Payload::Chat(message) => {
                let message_id = message.message_id.ok_or_else(|| missing("message_id"))?;
                let chat = message.chat.ok_or_else(|| missing("chat"))?;
                let chat_id = chat.id.ok_or_else(|| missing("chat.id"))?;
                let chat_type = need_str(chat.kind, "chat.type")?;
                let date = message.date.ok_or_else(|| missing("date"))?;
                Headline::Chat {
                    content_type: message.content_type,
                    chat_type,
                    chat_id,
                    date,
                    message_id,
                }
            }
            Payload::CallbackQuery(q) => Headline::CallbackQuery {
                id: need_str(q.id, "id")?,
                from_id: need_from(q.from)?,
                data: q.data.map(|BStr(s)| s),
            },
            Payload::InlineQuery(q) => Headline::InlineQuery {
                id: need_str(q.id, "id")?,
                from_id: need_from(q.from)?,
                query: need_str(q.query, "query")?,
                offset: need_str(q.offset, "offset")?,
            },
            Payload::ChosenInlineResult(r) => Headline::ChosenInlineResult {
                result_id: need_str(r.result_id, "result_id")?,
                from_id: need_from(r.from)?,
                query: need_str(r.query, "query")?,
            },
            Payload::ShippingQuery(q) => Headline::ShippingQuery {
                id: need_str(q.id, "id")?,
                from_id: need_from(q.from)?,
                invoice_payload: need_str(q.invoice_payload, "invoice_payload")?,
            },
            Payload::PreCheckoutQuery(q) => Headline::PreCheckoutQuery {
                id: need_str(q.id, "id")?,
                from_id: need_from(q.from)?,
                invoice_payload: need_str(q.invoice_payload, "invoice_payload")?,
                currency: need_str(q.currency, "currency")?,
                total_amount: q.total_amount.ok_or_else(|| missing("total_amount"))?,
            },
            Payload::Other | Payload::None => Headline::Other,
        };
        let flavor = flavor_of_shape(shape, &kind);
        Ok(Glance {
            update_id,
            kind,
            flavor,
            headline,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Realistic updates, one per kind the corpus generator produces (taken from its output).
    const SAMPLES: &[(&str, &str)] = &[
        (
            "message.text",
            r#"{"update_id":731209439,"message":{"message_id":48965,"from":{"id":7896560369,"is_bot":false,"first_name":"Jasur"},"chat":{"id":7896560369,"first_name":"Jasur","type":"private"},"date":1781515493,"text":"Where where?"}}"#,
        ),
        (
            "message.text+entities",
            r#"{"update_id":731200003,"message":{"message_id":50998,"from":{"id":581513427,"is_bot":false,"first_name":"J\u00fcrgen","username":"alex19974","language_code":"de"},"chat":{"id":581513427,"first_name":"J\u00fcrgen","username":"alex19974","type":"private"},"date":1781510401,"reply_to_message":{"message_id":50982,"from":{"id":581513427,"is_bot":false,"first_name":"J\u00fcrgen"},"chat":{"id":581513427,"first_name":"J\u00fcrgen","type":"private"},"date":1781506591,"photo":[]},"text":"\ud83d\ude0e \u0444\u0430\u0439\u043b @user67038 the new","entities":[{"offset":9,"length":10,"type":"mention"}]}}"#,
        ),
        (
            "message.command",
            r#"{"update_id":731206453,"message":{"message_id":42826,"from":{"id":7365986564,"is_bot":false,"first_name":"Emily"},"chat":{"id":7365986564,"first_name":"Emily","type":"private"},"date":1781513873,"text":"/help","entities":[{"offset":0,"length":5,"type":"bot_command"}]}}"#,
        ),
        (
            "callback_query.message",
            r#"{"update_id":731201750,"callback_query":{"id":"4540030563747934342","from":{"id":7330689363,"is_bot":false,"first_name":"Putri","language_code":"id"},"message":{"message_id":69008,"from":{"id":7412093385,"is_bot":true,"first_name":"Wire Test Bot","username":"MyBot"},"chat":{"id":7330689363,"first_name":"Putri","type":"private"},"date":1781451347,"text":"File?","reply_markup":{"inline_keyboard":[[{"text":"\u2705 Yes","callback_data":"toggle:notify"}]]}},"chat_instance":"4303818831223892688","data":"page:126"}}"#,
        ),
        (
            "callback_query.inline",
            r#"{"update_id":731202049,"callback_query":{"id":"3044517238607061232","from":{"id":1354202017,"is_bot":false,"first_name":"James","language_code":"en"},"inline_message_id":"BAAAAfa8Nni7MbMz7tUy2oQjdiV","chat_instance":"-4839629946502776633","data":"confirm:41"}}"#,
        ),
        (
            "edited_message",
            r#"{"update_id":731206674,"edited_message":{"message_id":66896,"from":{"id":1415895201,"is_bot":false,"first_name":"Otabek","language_code":"uz"},"chat":{"id":1415895201,"first_name":"Otabek","type":"private"},"date":1781512307,"edit_date":1781513985,"text":"later"}}"#,
        ),
        (
            "inline_query",
            r#"{"update_id":731203982,"inline_query":{"id":"8419447279933655119","from":{"id":6941391491,"is_bot":false,"first_name":"James"},"chat_type":"supergroup","query":"music ","offset":""}}"#,
        ),
        (
            "chosen_inline_result",
            r#"{"update_id":731200991,"chosen_inline_result":{"result_id":"42338","from":{"id":3608526191,"is_bot":false,"first_name":"Malika","last_name":"Karimov"},"query":""}}"#,
        ),
        (
            "channel_post",
            r#"{"update_id":731206458,"channel_post":{"message_id":7792,"sender_chat":{"id":-1002083661906,"title":"Crypto Alerts","type":"channel"},"chat":{"id":-1002083661906,"title":"Crypto Alerts","type":"channel"},"date":1781513877,"text":"C\u00f3mo envi\u00e9 gracias. \u26a1 can","entities":[{"offset":22,"length":3,"type":"bold"}]}}"#,
        ),
        (
            "message.photo",
            r#"{"update_id":731201554,"message":{"message_id":85254,"from":{"id":5786626685,"is_bot":false,"first_name":"Agus"},"chat":{"id":5786626685,"first_name":"Agus","type":"private"},"date":1781511199,"photo":[{"file_id":"AgACAgIAAxkBAAIuRq0MEdwMzQ4sE3tF0WpRaR","file_unique_id":"AQADVGLV890HSahfLs6r","file_size":5220,"width":90,"height":51},{"file_id":"AgACAgIAAxkBAAIuRq0MEdwMzQ4sE3tF0WpRaS","file_unique_id":"AQADwGwB-8PaIdKgZ","file_size":28321,"width":320,"height":180}],"caption":"\ud83d\udcf7 look"}}"#,
        ),
        (
            "chat_member",
            r#"{"update_id":731207830,"chat_member":{"chat":{"id":-1002316559372,"title":"Team Alpha","type":"supergroup"},"from":{"id":1581657087,"is_bot":false,"first_name":"\u82b3","last_name":"Chen"},"date":1781514582,"old_chat_member":{"user":{"id":1581657087,"is_bot":false,"first_name":"\u82b3"},"status":"left"},"new_chat_member":{"user":{"id":1581657087,"is_bot":false,"first_name":"\u82b3"},"status":"member"}}}"#,
        ),
        (
            "my_chat_member",
            r#"{"update_id":731208864,"my_chat_member":{"chat":{"id":1902331122,"first_name":"Larissa","type":"private"},"from":{"id":1902331122,"is_bot":false,"first_name":"Larissa"},"date":1781515181,"old_chat_member":{"user":{"id":7412093385,"is_bot":true,"first_name":"Wire Test Bot","username":"MyBot"},"status":"member"},"new_chat_member":{"user":{"id":7412093385,"is_bot":true,"first_name":"Wire Test Bot","username":"MyBot"},"status":"kicked","until_date":0}}}"#,
        ),
        (
            "message.sticker",
            r#"{"update_id":731208257,"message":{"message_id":48960,"from":{"id":7896560369,"is_bot":false,"first_name":"Jasur"},"chat":{"id":7896560369,"first_name":"Jasur","type":"private"},"date":1781514837,"sticker":{"width":512,"height":512,"emoji":"\ud83c\udf89","set_name":"Meowmeow","is_animated":false,"is_video":false,"type":"regular","thumbnail":{"file_id":"AAMCAgADGQEAAbEWhkcfnNVz","file_unique_id":"AQADi7rxNP6Qsnd2l","file_size":8868,"width":128,"height":128},"file_id":"CAACAgIAAxkBAAI44UMCLEPfa3Lp","file_unique_id":"AQADPNNQoS4uaCfb8fO","file_size":55243}}}"#,
        ),
        (
            "message.document",
            r#"{"update_id":731209415,"message":{"message_id":53297,"from":{"id":7727714313,"is_bot":false,"first_name":"Emre","language_code":"tr"},"chat":{"id":7727714313,"first_name":"Emre","type":"private"},"date":1781515480,"document":{"file_name":"data.csv","mime_type":"text/csv","file_id":"BQACAgIAAxkBAAIJ91FoM3sSORWGz","file_unique_id":"AQAD2chbE0_bJpi4PFfq","file_size":26207974}}}"#,
        ),
        (
            "message.voice",
            r#"{"update_id":731207068,"message":{"message_id":5039,"from":{"id":1035608212,"is_bot":false,"first_name":"Diego","language_code":"es"},"chat":{"id":1035608212,"first_name":"Diego","type":"private"},"date":1781514182,"voice":{"duration":124,"mime_type":"audio/ogg","file_id":"AwACAgIAAxkBAAIN4Z6Pftt3K2lAKIYDJm","file_unique_id":"AQADCqDlpe8mBTRVAubK","file_size":134836}}}"#,
        ),
        (
            "poll",
            r#"{"update_id":731201977,"poll":{"id":"8264060846613219388","question":"order price today?","options":[{"persistent_id":"0","text":"Maybe","voter_count":31},{"persistent_id":"1","text":"No","voter_count":38}],"total_voter_count":69,"is_closed":true,"is_anonymous":true,"type":"regular","allows_multiple_answers":false}}"#,
        ),
        (
            "poll_answer",
            r#"{"update_id":731206322,"poll_answer":{"poll_id":"8756513183918123946","user":{"id":586526202,"is_bot":false,"first_name":"Mia","language_code":"en"},"option_ids":[1],"option_persistent_ids":["1"]}}"#,
        ),
        (
            "message_reaction",
            r#"{"update_id":731203476,"message_reaction":{"chat":{"id":-1001732615672,"title":"Rust Developers","type":"supergroup"},"message_id":61185,"user":{"id":3783509539,"is_bot":false,"first_name":"Putri","language_code":"id"},"date":1781512233,"old_reaction":[],"new_reaction":[{"type":"emoji","emoji":"\ud83d\udc4f"}]}}"#,
        ),
    ];

    fn sample(name: &str) -> &'static str {
        SAMPLES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, json)| *json)
            .unwrap_or_else(|| panic!("no sample {name}"))
    }

    fn chat(
        content_type: ContentType,
        chat_type: &str,
        chat_id: i64,
        date: i64,
        message_id: i64,
    ) -> Headline<'static> {
        Headline::Chat {
            content_type,
            chat_type: Cow::Owned(chat_type.to_owned()),
            chat_id,
            date,
            message_id,
        }
    }

    fn glance_ok(json: &str) -> Glance<'_> {
        glance(json.as_bytes()).unwrap_or_else(|e| panic!("glance failed: {e}\n{json}"))
    }

    #[test]
    fn every_corpus_kind_glances() {
        let expected: &[(&str, &str, Flavor, Headline<'static>)] = &[
            (
                "message.text",
                "message",
                Flavor::Chat,
                chat(ContentType::Text, "private", 7896560369, 1781515493, 48965),
            ),
            (
                "message.text+entities",
                "message",
                Flavor::Chat,
                chat(ContentType::Text, "private", 581513427, 1781510401, 50998),
            ),
            (
                "message.command",
                "message",
                Flavor::Chat,
                chat(ContentType::Text, "private", 7365986564, 1781513873, 42826),
            ),
            (
                "callback_query.message",
                "callback_query",
                Flavor::CallbackQuery,
                Headline::CallbackQuery {
                    id: "4540030563747934342".into(),
                    from_id: 7330689363,
                    data: Some("page:126".into()),
                },
            ),
            (
                "callback_query.inline",
                "callback_query",
                Flavor::CallbackQuery,
                Headline::CallbackQuery {
                    id: "3044517238607061232".into(),
                    from_id: 1354202017,
                    data: Some("confirm:41".into()),
                },
            ),
            (
                "edited_message",
                "edited_message",
                Flavor::Chat,
                chat(ContentType::Text, "private", 1415895201, 1781512307, 66896),
            ),
            (
                "inline_query",
                "inline_query",
                Flavor::InlineQuery,
                Headline::InlineQuery {
                    id: "8419447279933655119".into(),
                    from_id: 6941391491,
                    query: "music ".into(),
                    offset: "".into(),
                },
            ),
            (
                "chosen_inline_result",
                "chosen_inline_result",
                Flavor::ChosenInlineResult,
                Headline::ChosenInlineResult {
                    result_id: "42338".into(),
                    from_id: 3608526191,
                    query: "".into(),
                },
            ),
            (
                "channel_post",
                "channel_post",
                Flavor::Chat,
                chat(
                    ContentType::Text,
                    "channel",
                    -1002083661906,
                    1781513877,
                    7792,
                ),
            ),
            (
                "message.photo",
                "message",
                Flavor::Chat,
                chat(ContentType::Photo, "private", 5786626685, 1781511199, 85254),
            ),
            (
                "chat_member",
                "chat_member",
                Flavor::Other("chat_member".into()),
                Headline::Other,
            ),
            (
                "my_chat_member",
                "my_chat_member",
                Flavor::Other("my_chat_member".into()),
                Headline::Other,
            ),
            (
                "message.sticker",
                "message",
                Flavor::Chat,
                chat(
                    ContentType::Sticker,
                    "private",
                    7896560369,
                    1781514837,
                    48960,
                ),
            ),
            (
                "message.document",
                "message",
                Flavor::Chat,
                chat(
                    ContentType::Document,
                    "private",
                    7727714313,
                    1781515480,
                    53297,
                ),
            ),
            (
                "message.voice",
                "message",
                Flavor::Chat,
                chat(ContentType::Voice, "private", 1035608212, 1781514182, 5039),
            ),
            (
                "poll",
                "poll",
                Flavor::Other("poll".into()),
                Headline::Other,
            ),
            (
                "poll_answer",
                "poll_answer",
                Flavor::Other("poll_answer".into()),
                Headline::Other,
            ),
            (
                "message_reaction",
                "message_reaction",
                Flavor::Other("message_reaction".into()),
                Headline::Other,
            ),
        ];
        assert_eq!(expected.len(), SAMPLES.len());
        for (name, kind, flavor, headline) in expected {
            let json = sample(name);
            let g = glance_ok(json);
            let expected_id: i64 = serde_json::from_str::<serde_json::Value>(json).unwrap()
                ["update_id"]
                .as_i64()
                .unwrap();
            assert_eq!(g.update_id, expected_id, "{name}");
            assert_eq!(g.kind, *kind, "{name}");
            assert_eq!(&g.flavor, flavor, "{name}");
            assert_eq!(&g.headline, headline, "{name}");
        }
    }

    #[test]
    fn strings_borrow_from_the_input_when_unescaped() {
        let g = glance_ok(sample("callback_query.message"));
        assert!(matches!(g.kind, Cow::Borrowed("callback_query")));
        match g.headline {
            Headline::CallbackQuery { id, data, .. } => {
                assert!(matches!(id, Cow::Borrowed(_)));
                assert!(matches!(data, Some(Cow::Borrowed(_))));
            }
            other => panic!("{other:?}"),
        }
        // An escaped string cannot be borrowed but decodes correctly.
        let g = glance_ok(
            r#"{"update_id":1,"inline_query":{"id":"q\u00e9","from":{"id":2},"query":"caf\u00e9 \ud83d\ude00","offset":"10"}}"#,
        );
        match g.headline {
            Headline::InlineQuery {
                id, query, offset, ..
            } => {
                assert_eq!(id, "qé");
                assert_eq!(query, "café 😀");
                assert!(matches!(offset, Cow::Borrowed("10")));
            }
            other => panic!("{other:?}"),
        }
        let owned: Glance<'static> = glance_ok(sample("message.text")).into_owned();
        assert_eq!(owned.kind, "message");
    }

    #[test]
    fn all_chat_kinds_are_chat() {
        for kind in CHAT_KINDS {
            let json = format!(
                r#"{{"update_id":3,"{kind}":{{"message_id":1,"date":2,"chat":{{"id":-5,"type":"group"}},"new_chat_title":"x"}}}}"#
            );
            let g = glance_ok(&json);
            assert_eq!(g.flavor, Flavor::Chat, "{kind}");
            assert_eq!(g.kind, *kind);
            assert_eq!(
                g.headline,
                chat(ContentType::NewChatTitle, "group", -5, 2, 1)
            );
        }
    }

    #[test]
    fn shipping_and_pre_checkout_queries() {
        let g = glance_ok(
            r#"{"update_id":9,"shipping_query":{"id":"sq1","from":{"id":11,"is_bot":false,"first_name":"B"},"invoice_payload":"order-7","shipping_address":{"country_code":"DE","state":"","city":"Berlin","street_line1":"A","street_line2":"","post_code":"10115"}}}"#,
        );
        assert_eq!(g.flavor, Flavor::ShippingQuery);
        assert_eq!(
            g.headline,
            Headline::ShippingQuery {
                id: "sq1".into(),
                from_id: 11,
                invoice_payload: "order-7".into()
            }
        );
        let g = glance_ok(
            r#"{"update_id":10,"pre_checkout_query":{"id":"pc1","from":{"id":12,"is_bot":false,"first_name":"C"},"currency":"XTR","total_amount":250,"invoice_payload":"order-8","order_info":{"name":"C"}}}"#,
        );
        assert_eq!(g.flavor, Flavor::PreCheckoutQuery);
        assert_eq!(
            g.headline,
            Headline::PreCheckoutQuery {
                id: "pc1".into(),
                from_id: 12,
                invoice_payload: "order-8".into(),
                currency: "XTR".into(),
                total_amount: 250
            }
        );
    }

    #[test]
    fn callback_query_from_a_game_button_has_no_data() {
        let g = glance_ok(
            r#"{"update_id":4,"callback_query":{"id":"1","from":{"id":8,"is_bot":false,"first_name":"G"},"inline_message_id":"AAA","chat_instance":"5","game_short_name":"snake"}}"#,
        );
        assert_eq!(
            g.headline,
            Headline::CallbackQuery {
                id: "1".into(),
                from_id: 8,
                data: None
            }
        );
    }

    fn content_of(fields: &str) -> ContentType {
        let json = format!(
            r#"{{"update_id":1,"message":{{"message_id":1,"date":1,"chat":{{"id":1,"type":"private"}}{fields}}}}}"#
        );
        match glance_ok(&json).headline {
            Headline::Chat { content_type, .. } => content_type,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn telepot_priority_consequences_are_kept() {
        // An animation also carries `document`; whatever the key order, it is a document.
        assert_eq!(
            content_of(r#","animation":{"file_id":"a"},"document":{"file_id":"a"}"#),
            ContentType::Document
        );
        assert_eq!(
            content_of(r#","document":{"file_id":"a"},"animation":{"file_id":"a"}"#),
            ContentType::Document
        );
        // A venue also carries `location`.
        assert_eq!(
            content_of(r#","venue":{"title":"x"},"location":{"latitude":1.5,"longitude":2}"#),
            ContentType::Location
        );
        // The deprecated `new_chat_member` beats `new_chat_members`, even when it comes later.
        assert_eq!(
            content_of(
                r#","new_chat_members":[{"id":1}],"new_chat_member":{"id":1},"new_chat_participant":{"id":1}"#
            ),
            ContentType::NewChatMember
        );
        // Caption is metadata: a captioned photo is a photo.
        assert_eq!(
            content_of(r#","caption":"c","photo":[]"#),
            ContentType::Photo
        );
    }

    #[test]
    fn newer_and_unknown_content_types_do_not_fail() {
        assert_eq!(
            content_of(r#","dice":{"emoji":"🎲","value":3}"#),
            ContentType::Dice
        );
        assert_eq!(
            content_of(r#","animation":{"file_id":"a"}"#),
            ContentType::Animation
        );
        assert_eq!(
            content_of(r#","story":{"chat":{"id":1,"type":"channel"},"id":3}"#),
            ContentType::Story
        );
        assert_eq!(content_of(r#","poll":{"id":"p"}"#), ContentType::Poll);
        assert_eq!(
            content_of(r#","web_app_data":{"data":"d","button_text":"b"}"#),
            ContentType::WebAppData
        );
        assert_eq!(content_of(r#","hologram":{"x":1}"#), ContentType::Unknown);
        assert_eq!(content_of(""), ContentType::Unknown);
    }

    #[test]
    fn content_type_tables_agree() {
        assert_eq!(CONTENT_FIELDS_IN_ORDER.len(), 76);
        assert_eq!(CONTENT_TYPES_IN_ORDER.len(), 76);
        assert_eq!(MESSAGE_METADATA_FIELDS.len(), 40);
        for (i, (field, content_type)) in CONTENT_FIELDS_IN_ORDER
            .iter()
            .zip(CONTENT_TYPES_IN_ORDER)
            .enumerate()
        {
            assert_eq!(content_type.as_str(), *field);
            assert_eq!(ContentType::from_field(field), Some(*content_type));
            assert_eq!(
                *content_type as usize, i,
                "variants are declared in priority order"
            );
            assert!(
                !MESSAGE_METADATA_FIELDS.contains(field),
                "{field} is in both lists"
            );
            assert_eq!(content_type_of_fields(|f| f == *field), *content_type);
        }
        assert_eq!(
            &CONTENT_FIELDS_IN_ORDER[..3],
            &["text", "audio", "document"]
        );
        assert_eq!(CONTENT_FIELDS_IN_ORDER[25], "successful_payment");
        assert_eq!(CONTENT_FIELDS_IN_ORDER[26], "rich_message");
        assert_eq!(ContentType::from_field("unknown"), None);
        assert_eq!(ContentType::from_field("reply_markup"), None);
        assert!(ContentType::Text < ContentType::Unknown);
        assert_eq!(ContentType::Unknown.to_string(), "unknown");
        // Last present field in priority order wins over none; first wins over later.
        let present = ["venue", "location", "web_app_data"];
        assert_eq!(
            content_type_of_fields(|f| present.contains(&f)),
            ContentType::Location
        );
    }

    #[test]
    fn unknown_update_kinds_are_other() {
        let g = glance_ok(r#"{"update_id":77,"quantum_entanglement":{"spooky":[1,2,{"a":null}]}}"#);
        assert_eq!(g.kind, "quantum_entanglement");
        assert_eq!(g.flavor, Flavor::Other("quantum_entanglement".into()));
        assert_eq!(g.flavor.as_str(), "quantum_entanglement");
        assert_eq!(g.headline, Headline::Other);
        // Payload first, update_id last; a second payload field is ignored.
        let g = glance_ok(
            r#"{"purchased_paid_media":{"from":{"id":1},"paid_media_payload":"p"},"poll":{},"update_id":78}"#,
        );
        assert_eq!((g.update_id, &*g.kind), (78, "purchased_paid_media"));
        // A payload of any JSON type is fine for kinds without a glance.
        let g = glance_ok(r#"{"update_id":79,"managed_bot":null}"#);
        assert_eq!(g.headline, Headline::Other);
    }

    #[test]
    fn flavor_names() {
        assert_eq!(flavor_of_kind("message"), Flavor::Chat);
        assert_eq!(flavor_of_kind("guest_message"), Flavor::Chat);
        assert_eq!(flavor_of_kind("callback_query"), Flavor::CallbackQuery);
        assert_eq!(
            flavor_of_kind("chosen_inline_result"),
            Flavor::ChosenInlineResult
        );
        assert_eq!(flavor_of_kind("shipping_query"), Flavor::ShippingQuery);
        assert_eq!(
            flavor_of_kind("pre_checkout_query"),
            Flavor::PreCheckoutQuery
        );
        assert_eq!(
            flavor_of_kind("business_connection"),
            Flavor::Other("business_connection".into())
        );
        for (flavor, name) in [
            (Flavor::Chat, "chat"),
            (Flavor::CallbackQuery, "callback_query"),
            (Flavor::InlineQuery, "inline_query"),
            (Flavor::ChosenInlineResult, "chosen_inline_result"),
            (Flavor::ShippingQuery, "shipping_query"),
            (Flavor::PreCheckoutQuery, "pre_checkout_query"),
        ] {
            assert_eq!(flavor.as_str(), name);
            assert_eq!(flavor.to_string(), name);
        }
    }

    fn err(json: &str) -> GlanceError {
        match glance(json.as_bytes()) {
            Ok(g) => panic!("expected an error for {json}, got {g:?}"),
            Err(e) => e,
        }
    }

    fn missing_field(json: &str) -> &'static str {
        match err(json) {
            GlanceError::MissingField { field, .. } => field,
            other => panic!("expected MissingField for {json}, got {other:?}"),
        }
    }

    #[test]
    fn malformed_updates_are_errors() {
        assert!(matches!(err(""), GlanceError::Json(_)));
        // Invalid UTF-8, even inside a string that is only skipped.
        let mut bytes = sample("message.photo").as_bytes().to_vec();
        let at = bytes.windows(4).position(|w| w == b"look").unwrap();
        bytes[at] = 0xff;
        assert!(matches!(glance(&bytes), Err(GlanceError::Utf8(_))));
        assert!(matches!(err("[]"), GlanceError::Json(_)));
        assert!(matches!(err("null"), GlanceError::Json(_)));
        assert!(matches!(err("{} trailing"), GlanceError::Json(_)));
        assert!(matches!(
            err(r#"{"message":{}}"#),
            GlanceError::MissingUpdateId
        ));
        assert!(matches!(
            err(r#"{"update_id":5}"#),
            GlanceError::NoPayload { update_id: 5 }
        ));
        assert!(matches!(
            err(r#"{"update_id":"5","poll":{}}"#),
            GlanceError::Json(_)
        ));
        assert!(matches!(
            err(r#"{"update_id":1e3,"poll":{}}"#),
            GlanceError::Json(_)
        ));
        assert!(matches!(
            err(r#"{"update_id":99999999999999999999999,"poll":{}}"#),
            GlanceError::Json(_)
        ));
        assert!(matches!(
            err(r#"{"update_id":1,"message":null}"#),
            GlanceError::Json(_)
        ));
        assert!(matches!(
            err(r#"{"update_id":1,"message":{"message_id":"7"}}"#),
            GlanceError::Json(_)
        ));
        assert!(matches!(
            err(r#"{"update_id":1,"message":{"chat":5}}"#),
            GlanceError::Json(_)
        ));
        assert!(matches!(
            err(r#"{"update_id":1,"message":{"chat":{"id":1.5}}}"#),
            GlanceError::Json(_)
        ));
        assert!(matches!(
            err(r#"{"update_id":1,"callback_query":{"id":7}}"#),
            GlanceError::Json(_)
        ));

        let base = r#""date":1,"chat":{"id":1,"type":"private"}"#;
        assert_eq!(
            missing_field(&format!(r#"{{"update_id":1,"message":{{{base}}}}}"#)),
            "message_id"
        );
        assert_eq!(
            missing_field(r#"{"update_id":1,"message":{"message_id":1,"date":1}}"#),
            "chat"
        );
        assert_eq!(
            missing_field(
                r#"{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"type":"group"}}}"#
            ),
            "chat.id"
        );
        assert_eq!(
            missing_field(r#"{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":1}}}"#),
            "chat.type"
        );
        assert_eq!(
            missing_field(
                r#"{"update_id":1,"message":{"message_id":1,"chat":{"id":1,"type":"group"}}}"#
            ),
            "date"
        );
        assert_eq!(
            missing_field(r#"{"update_id":1,"callback_query":{"from":{"id":1}}}"#),
            "id"
        );
        assert_eq!(
            missing_field(r#"{"update_id":1,"callback_query":{"id":"1"}}"#),
            "from.id"
        );
        assert_eq!(
            missing_field(r#"{"update_id":1,"callback_query":{"id":"1","from":{}}}"#),
            "from.id"
        );
        assert_eq!(
            missing_field(
                r#"{"update_id":1,"inline_query":{"id":"1","from":{"id":1},"query":""}}"#
            ),
            "offset"
        );
        assert_eq!(
            missing_field(r#"{"update_id":1,"chosen_inline_result":{"from":{"id":1},"query":""}}"#),
            "result_id"
        );
        assert_eq!(
            missing_field(r#"{"update_id":1,"shipping_query":{"id":"1","from":{"id":1}}}"#),
            "invoice_payload"
        );
        assert_eq!(
            missing_field(
                r#"{"update_id":1,"pre_checkout_query":{"id":"1","from":{"id":1},"invoice_payload":"p","currency":"EUR"}}"#
            ),
            "total_amount"
        );
        match err(r#"{"update_id":42,"channel_post":{"date":1}}"#) {
            e @ GlanceError::MissingField { .. } => {
                assert_eq!(
                    e.to_string(),
                    "update 42: `channel_post` has no `message_id`"
                );
                assert!(
                    matches!(e, GlanceError::MissingField { update_id: 42, ref kind, .. } if kind == "channel_post")
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn truncated_and_mutated_inputs_never_panic() {
        for (name, json) in SAMPLES {
            let bytes = json.as_bytes();
            for end in 0..bytes.len() {
                assert!(
                    glance(&bytes[..end]).is_err(),
                    "{name}: prefix of {end} bytes accepted"
                );
            }
            // Every single-byte substitution with a structural or troublesome byte.
            for i in 0..bytes.len() {
                for b in [b'{', b'}', b'"', b'\\', b',', b':', b'0', 0xff, 0x00] {
                    let mut mutated = bytes.to_vec();
                    mutated[i] = b;
                    let _ = glance(&mutated);
                }
            }
        }
    }

    #[test]
    fn deep_nesting_hits_the_recursion_limit_instead_of_the_stack() {
        for open in ["[", "{\"a\":"] {
            let json = format!(r#"{{"update_id":1,"poll":{}"#, open.repeat(100_000));
            assert!(matches!(glance(json.as_bytes()), Err(GlanceError::Json(_))));
            let json = format!(
                r#"{{"update_id":1,"message":{{"reply_to_message":{}"#,
                open.repeat(100_000)
            );
            assert!(matches!(glance(json.as_bytes()), Err(GlanceError::Json(_))));
        }
        // Moderate nesting inside skipped fields is fine.
        let json = format!(
            r#"{{"update_id":1,"poll":{}1{}}}"#,
            "[".repeat(100),
            "]".repeat(100)
        );
        assert!(glance(json.as_bytes()).is_ok());
    }

    fn spec() -> serde_json::Value {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/spec/telegram/api.json");
        let text = std::fs::read_to_string(path).expect("read spec/telegram/api.json");
        serde_json::from_str(&text).expect("parse api.json")
    }

    fn field_names(spec: &serde_json::Value, type_name: &str) -> Vec<(String, String)> {
        spec["types"][type_name]["fields"]
            .as_array()
            .unwrap_or_else(|| panic!("type {type_name} has no fields"))
            .iter()
            .map(|f| {
                let name = f["name"].as_str().expect("field name").to_owned();
                let types = f["types"].as_array().map(|t| {
                    t.iter()
                        .filter_map(|t| t.as_str())
                        .collect::<Vec<_>>()
                        .join("|")
                });
                (name, types.unwrap_or_default())
            })
            .collect()
    }

    /// When `api.json` is refreshed and `Message` gains a field, this fails until the field is
    /// classified as content or metadata on purpose.
    #[test]
    fn spec_drift_every_message_field_is_classified() {
        let spec = spec();
        let fields: Vec<String> = field_names(&spec, "Message")
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        let unclassified: Vec<&String> = fields
            .iter()
            .filter(|f| {
                !CONTENT_FIELDS_IN_ORDER.contains(&f.as_str())
                    && !MESSAGE_METADATA_FIELDS.contains(&f.as_str())
            })
            .collect();
        assert!(
            unclassified.is_empty(),
            "Message fields in none of the lists: {unclassified:?}"
        );
        // And no list names a field the spec no longer has, except the deprecated new_chat_member.
        let stale: Vec<&&str> = CONTENT_FIELDS_IN_ORDER
            .iter()
            .chain(MESSAGE_METADATA_FIELDS)
            .filter(|f| **f != "new_chat_member" && !fields.iter().any(|s| s == *f))
            .collect();
        assert!(
            stale.is_empty(),
            "listed fields missing from the spec: {stale:?}"
        );
        assert!(!fields.iter().any(|f| f == "new_chat_member"));
        assert_eq!(fields.len(), 115);
        assert_eq!(
            CONTENT_FIELDS_IN_ORDER.len() - 1 + MESSAGE_METADATA_FIELDS.len(),
            115
        );
        // The newer content fields follow the spec's Message field order, as does the metadata list.
        let order = |list: &[&str]| -> Vec<usize> {
            list.iter()
                .filter_map(|f| fields.iter().position(|s| s == f))
                .collect()
        };
        let newer = order(&CONTENT_FIELDS_IN_ORDER[26..]);
        assert!(
            newer.windows(2).all(|w| w[0] < w[1]),
            "newer content fields out of spec order"
        );
        let metadata = order(MESSAGE_METADATA_FIELDS);
        assert!(
            metadata.windows(2).all(|w| w[0] < w[1]),
            "metadata fields out of spec order"
        );
    }

    /// Every `Update` field of the spec gets the flavor its payload type implies.
    #[test]
    fn spec_drift_update_kinds_have_the_right_flavor() {
        let spec = spec();
        let fields = field_names(&spec, "Update");
        assert_eq!(fields[0].0, "update_id");
        for (name, types) in &fields[1..] {
            let expected = match types.as_str() {
                "Message" => Flavor::Chat,
                "CallbackQuery" => Flavor::CallbackQuery,
                "InlineQuery" => Flavor::InlineQuery,
                "ChosenInlineResult" => Flavor::ChosenInlineResult,
                "ShippingQuery" => Flavor::ShippingQuery,
                "PreCheckoutQuery" => Flavor::PreCheckoutQuery,
                _ => Flavor::Other(name.clone()),
            };
            assert_eq!(flavor_of_kind(name), expected, "Update.{name}: {types}");
        }
        let message_kinds: Vec<&str> = fields
            .iter()
            .filter(|(_, t)| t == "Message")
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(message_kinds, CHAT_KINDS);
    }
}
