//! Telegram Bot API: generated types and methods, request builders and response parsers,
//! update intake state machines and telepot's helpers.

pub mod api;
pub mod entities;
pub mod error;
pub mod generated;
pub mod glance;
pub mod identifiers;
pub mod json_update;
mod support;

pub use api::{Api, EncodeError, Method};
pub use error::{ApiError, BadRequestKind, ErrorDetails, ForbiddenKind};
pub use generated::{enums, methods, types};
pub use support::{ChatId, InputFile, MessageOrTrue, Upload};
pub mod client;
pub mod ordered;
pub mod text;
pub use client::{ClientConfig, Event, Intake, Output, TelegramClient};
