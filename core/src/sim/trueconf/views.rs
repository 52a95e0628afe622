//! JSON views of the world as one user sees it: envelopes, chat objects, file infos.
//! Personal chats are titled with the other member's name, so most views take a viewer.

use serde_json::{json, Map, Value};

use super::world::{Chat, Message, StoredFile, World, CHAT_FAVORITES, CHAT_P2P, FILE_READY};

/// How an envelope is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EnvelopeStyle {
    /// Include `box` (absent inside forwards).
    pub with_box: bool,
    /// Expand `replyMessage` one level.
    pub expand_reply: bool,
    /// Include `isEdited` on system envelopes too (the `getMessageById` answer requires it).
    pub always_is_edited: bool,
}

impl EnvelopeStyle {
    /// Events and history.
    pub const EVENT: EnvelopeStyle = EnvelopeStyle {
        with_box: true,
        expand_reply: true,
        always_is_edited: false,
    };
    /// The `getMessageById` answer.
    pub const LOOKUP: EnvelopeStyle = EnvelopeStyle {
        with_box: true,
        expand_reply: true,
        always_is_edited: true,
    };
    /// An expanded reply.
    const REPLY: EnvelopeStyle = EnvelopeStyle {
        with_box: true,
        expand_reply: false,
        always_is_edited: false,
    };
}

/// The title a user sees: the other member's name for personal chats, none for favourites.
pub(crate) fn chat_title(world: &World, chat: &Chat, viewer: &str) -> Option<String> {
    match chat.kind {
        CHAT_P2P => {
            let other = chat
                .participants
                .iter()
                .find(|p| p.user != viewer)
                .or_else(|| chat.participants.first())?;
            Some(world.display_name(&other.user))
        }
        CHAT_FAVORITES => None,
        _ => chat.title.clone(),
    }
}

/// `{chatId, chatTitle, chatType}`.
pub(crate) fn chat_ref(world: &World, chat: &Chat, viewer: &str) -> Value {
    json!({
        "chatId": chat.id,
        "chatTitle": chat_title(world, chat, viewer),
        "chatType": chat.kind,
    })
}

fn author(message: &Message) -> Value {
    json!({"id": message.author, "type": message.author_type})
}

fn chat_ref_of(world: &World, message: &Message, viewer: &str) -> Value {
    match world.chats.get(&message.chat_id) {
        Some(chat) => chat_ref(world, chat, viewer),
        None => json!({"chatId": message.chat_id, "chatTitle": null, "chatType": 0}),
    }
}

/// A message envelope (section 8.1 of the protocol notes).
pub(crate) fn envelope(
    world: &World,
    message: &Message,
    viewer: &str,
    style: EnvelopeStyle,
) -> Value {
    let mut out = Map::new();
    out.insert("chat".into(), chat_ref_of(world, message, viewer));
    out.insert("chatId".into(), json!(message.chat_id));
    out.insert("messageId".into(), json!(message.id));
    out.insert("timestamp".into(), json!(message.timestamp));
    out.insert("author".into(), author(message));
    if style.with_box {
        out.insert(
            "box".into(),
            json!({"id": message.box_id, "position": (message.box_id - 1).to_string()}),
        );
    }
    out.insert("type".into(), json!(message.kind));
    out.insert("content".into(), message.content.clone());
    if !message.is_system() || style.always_is_edited {
        out.insert("isEdited".into(), json!(message.is_edited));
    }
    if let Some(reply) = &message.reply_to {
        out.insert("replyMessageId".into(), json!(reply));
        let original = world.messages.get(reply).filter(|m| m.visible_to(viewer));
        if let (true, Some(original)) = (style.expand_reply, original) {
            out.insert(
                "replyMessage".into(),
                envelope(world, original, viewer, EnvelopeStyle::REPLY),
            );
        }
    }
    Value::Object(out)
}

/// The envelope of a forwarded original, as the content of a forward: no `box`, no reply,
/// and a forward of a forward is flattened to the deepest original's content.
pub(crate) fn forwarded_content(world: &World, original: &Message, viewer: &str) -> Value {
    let content = if original.kind == super::world::MSG_FORWARD {
        original
            .content
            .get("content")
            .cloned()
            .unwrap_or(Value::Null)
    } else {
        original.content.clone()
    };
    json!({
        "chat": chat_ref_of(world, original, viewer),
        "chatId": original.chat_id,
        "messageId": original.id,
        "author": author(original),
        "type": original.kind,
        "timestamp": original.timestamp,
        "content": content,
        "isEdited": original.is_edited,
    })
}

/// `LastMessage`: an envelope without `box`, `isEdited` and reply fields.
pub(crate) fn last_message(world: &World, message: &Message, viewer: &str) -> Value {
    json!({
        "messageId": message.id,
        "timestamp": message.timestamp,
        "author": author(message),
        "type": message.kind,
        "content": message.content,
        "chat": chat_ref_of(world, message, viewer),
    })
}

/// A chat object (`getChatByID`, `getChats`, the `create…` events).
pub(crate) fn chat_object(world: &World, chat: &Chat, viewer: &str, with_last: bool) -> Value {
    let last = if with_last {
        world
            .visible_messages(chat, viewer)
            .last()
            .map(|m| last_message(world, m, viewer))
            .unwrap_or(Value::Null)
    } else {
        Value::Null
    };
    let mut out = json!({
        "chatId": chat.id,
        "title": chat_title(world, chat, viewer),
        "chatType": chat.kind,
        "unreadMessages": world.unread_count(chat, viewer),
        "lastMessage": last,
    });
    if let (Some(url), Some(map)) = (&chat.avatar_url, out.as_object_mut()) {
        map.insert("avatarUrl".into(), json!(url));
    }
    out
}

/// The absolute download URL of a stored file.
pub(crate) fn download_url(file: &StoredFile, base_url: &str) -> String {
    format!(
        "{base_url}/bridge/api/client/v1/files/{}?token={}",
        file.id, file.download_token
    )
}

/// The `getFileInfo` answer.
pub(crate) fn file_info(world: &World, file: &StoredFile, base_url: &str) -> Value {
    let ready = file.ready_state == FILE_READY;
    let previews = file
        .preview
        .as_ref()
        .and_then(|id| world.files.get(id))
        .map(|p| {
            json!([{
                "name": p.name,
                "size": p.size,
                "mimeType": p.mime,
                "downloadUrl": if ready { json!(download_url(p, base_url)) } else { Value::Null },
            }])
        })
        .unwrap_or(Value::Null);
    json!({
        "name": file.name,
        "size": file.size,
        "mimeType": file.mime,
        "readyState": file.ready_state,
        "infoHash": file.id,
        "downloadUrl": if ready { json!(download_url(file, base_url)) } else { Value::Null },
        "previews": previews,
    })
}

/// The content of an attachment envelope.
pub(crate) fn attachment_content(file: &StoredFile) -> Value {
    json!({
        "name": file.name,
        "size": file.size,
        "fileId": file.id,
        "mimeType": file.mime,
        "readyState": file.ready_state,
    })
}
