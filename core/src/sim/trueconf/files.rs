//! File methods: `uploadFile`, `sendFile`, `getFileInfo`, `subscribeFileProgress`,
//! `unsubscribeFileProgress` (`getFileUploadLimits` is answered by the dispatcher), and the
//! stored-file helpers shared with the HTTP side and the hooks.

use serde_json::{json, Value};

use super::messages::text_content;
use super::methods::{Answer, Call, Fail};
use super::transcript::{TranscriptAction, TranscriptFile};
use super::views::attachment_content;
use super::world::{new_message, StoredFile, UploadTask, FILE_READY, MSG_ATTACHMENT, MSG_TEXT};
use super::TrueConfSim;

impl TrueConfSim {
    /// Adds a stored file and returns its id.
    pub(crate) fn store_file(
        &mut self,
        name: String,
        mime: String,
        bytes: Vec<u8>,
        size: u64,
        ready_state: u8,
    ) -> String {
        let id = self.uuid();
        let download_token = self.hex(24);
        let progress = if ready_state == FILE_READY { size } else { 0 };
        self.world.files.insert(
            id.clone(),
            StoredFile {
                id: id.clone(),
                name,
                mime,
                bytes,
                size,
                ready_state,
                progress,
                download_token,
                preview: None,
            },
        );
        id
    }

    /// Turns a temporal file (and its preview) into a ready stored file; `None` if the
    /// temporal file does not exist. Each temporal file can be used once.
    pub(crate) fn store_temporal(&mut self, temporal_id: &str) -> Option<String> {
        let temporal = self.world.temporal.remove(temporal_id)?;
        let size = temporal.bytes.len() as u64;
        let id = self.store_file(
            temporal.name,
            temporal.mime,
            temporal.bytes,
            size,
            FILE_READY,
        );
        if let Some((name, mime, bytes)) = temporal.preview {
            let size = bytes.len() as u64;
            let preview = self.store_file(name, mime, bytes, size, FILE_READY);
            if let Some(file) = self.world.files.get_mut(&id) {
                file.preview = Some(preview);
            }
        }
        Some(id)
    }

    pub(crate) fn m_upload_file(&mut self, call: &Call<'_>) -> Answer {
        let size = call
            .payload
            .get("fileSize")
            .and_then(Value::as_u64)
            .ok_or(Fail::PAYLOAD)?;
        let name = call.str("fileName")?;
        if name.trim().is_empty() || name.contains(['/', '\\', '\0']) {
            return Err(Fail::BAD_FILE_NAME);
        }
        if self.limits.max_size.is_some_and(|max| size > max) {
            return Err(Fail::TOO_LARGE);
        }
        if !self.limits.allows_name(name) {
            return Err(Fail::FORBIDDEN_FILE);
        }
        let name = name.to_owned();
        let task = self.uuid();
        self.world
            .upload_tasks
            .insert(task.clone(), UploadTask { size, name });
        Ok(json!({ "uploadTaskId": task }))
    }

    pub(crate) fn m_send_file(&mut self, call: &Call<'_>) -> Answer {
        let chat = self.member_chat(call)?;
        if !chat.can_post(call.user) {
            return Err(Fail::RIGHTS);
        }
        let chat_id = chat.id.clone();
        let reply_to = self.reply_target(call, &chat_id)?;
        let content = call.object("content")?;
        let temporal = content
            .get("temporalFileId")
            .and_then(Value::as_str)
            .ok_or(Fail::PAYLOAD)?;
        let caption = match content.get("caption") {
            None | Some(Value::Null) => None,
            Some(Value::Object(caption)) => Some(text_content(caption)?),
            Some(_) => return Err(Fail::PAYLOAD),
        };
        let file_id = self.store_temporal(temporal).ok_or(Fail::NO_FILE)?;
        let Some(file) = self.world.files.get(&file_id) else {
            return Err(Fail::INTERNAL);
        };
        let attachment = attachment_content(file);
        let summary = TranscriptFile {
            file_id: file.id.clone(),
            name: file.name.clone(),
            size: file.size,
            mime_type: file.mime.clone(),
        };
        let timestamp = self.wall_ms(call.now);
        let id = self.uuid();
        let mut message = new_message(
            id,
            &chat_id,
            timestamp,
            call.user,
            MSG_ATTACHMENT,
            attachment,
        );
        message.reply_to = reply_to.clone();
        let (id, timestamp, _) = self.post_message(message, Some(call.conn));
        let caption_id = match &caption {
            Some(caption) => {
                let caption_id = self.uuid();
                let message = new_message(
                    caption_id,
                    &chat_id,
                    timestamp,
                    call.user,
                    MSG_TEXT,
                    caption.clone(),
                );
                Some(self.post_message(message, Some(call.conn)).0)
            }
            None => None,
        };
        self.record(call, "sendFile", TranscriptAction::File, |e| {
            e.chat_id = Some(chat_id.clone());
            e.message_id = Some(id.clone());
            e.text = caption
                .as_ref()
                .and_then(|c| c["text"].as_str())
                .map(str::to_owned);
            e.parse_mode = caption
                .as_ref()
                .and_then(|c| c["parseMode"].as_str())
                .map(str::to_owned);
            e.reply_to = reply_to;
            e.file = Some(summary);
        });
        let mut answer = json!({
            "chatId": chat_id,
            "messageId": id,
            "timestamp": timestamp,
            "fileId": file_id,
        });
        if let Some(caption_id) = caption_id {
            answer["captionMessageId"] = json!(caption_id);
        }
        Ok(answer)
    }

    pub(crate) fn m_get_file_info(&mut self, call: &Call<'_>) -> Answer {
        let file = self
            .world
            .files
            .get(call.str("fileId")?)
            .ok_or(Fail::NO_FILE)?;
        Ok(super::views::file_info(
            &self.world,
            file,
            &self.config.base_url,
        ))
    }

    pub(crate) fn m_subscribe_file_progress(&mut self, call: &Call<'_>) -> Answer {
        let file_id = call.str("fileId")?;
        let file = self.world.files.get(file_id).ok_or(Fail::NO_FILE)?;
        let finished = (file.ready_state == FILE_READY).then_some(file.size);
        self.subscriptions.insert((call.conn, file_id.to_owned()));
        // A subscriber to a finished upload learns at once that it is complete.
        if let Some(size) = finished {
            let payload = json!({"fileId": file_id, "progress": size});
            self.stage_event(call.conn, "uploadFileProgress", payload, None);
        }
        Ok(json!({ "result": true }))
    }

    pub(crate) fn m_unsubscribe_file_progress(&mut self, call: &Call<'_>) -> Answer {
        let file_id = call.str("fileId")?;
        let removed = self.subscriptions.remove(&(call.conn, file_id.to_owned()));
        Ok(json!({ "result": removed }))
    }
}
