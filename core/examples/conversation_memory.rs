//! Memory per idle conversation: 100,000 per-chat conversations (Telegram-like chat keys
//! `telegram:<9-10 digit id>`), each started by `on_event` and given a 16-byte state by
//! `save`, on the in-memory storage. A counting global allocator measures the live heap
//! bytes before and after; the user's state (N × 16 bytes) is subtracted.
//!
//! Prints the runtime overhead per idle conversation with the in-memory storage counted, and
//! without it (the manager's own tables only). The target (<= 256 bytes with the storage) is
//! reported, not asserted; the run fails only when it is broken (conversations missing,
//! states not read back, counters inconsistent).
//!
//! `cargo run --release -p botwire-core --example conversation_memory [-- N]`

use std::alloc::{GlobalAlloc, Layout, System};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

use botwire_core::runtime::conversation::{ConversationConfig, Conversations, Seeder};
use botwire_core::runtime::model::{Chat, ChatType, Event, EventKind, Payload, Platform};
use botwire_core::runtime::storage::MemoryStorage;

/// The system allocator, counting the bytes currently allocated (requested sizes).
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the
// counter is only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            LIVE.fetch_add(new_size, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The default number of conversations (the first argument overrides it).
const DEFAULT_N: u64 = 100_000;
const STATE_LEN: usize = 16;
const TARGET: f64 = 256.0;

fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// A distinct 9-10 digit chat id for every `i`, in scattered order (multiplication by a
/// constant prime to 9.9e9 permutes the residues), for `i < 9.9e9`.
fn chat_id(i: u64) -> u64 {
    100_000_000 + (i * 2_654_435_761) % 9_900_000_000
}

fn message(chat_key: String) -> Event {
    Event {
        platform: Platform::Telegram,
        id: "1".into(),
        seq: None,
        kind: EventKind::Message,
        platform_kind: "message".into(),
        chat: Some(Chat {
            key: chat_key,
            chat_type: ChatType::Private,
            title: None,
        }),
        from: None,
        message: None,
        content_type: Some("text".into()),
        text: Some("hi".into()),
        data: None,
        query_id: None,
        payload: Payload::Json(Box::new(serde_json::Value::Null)),
    }
}

fn state_of(i: u64) -> [u8; STATE_LEN] {
    let mut s = [0u8; STATE_LEN];
    s[..8].copy_from_slice(&i.to_le_bytes());
    s[8..].copy_from_slice(&(!i).to_le_bytes());
    s
}

fn main() -> ExitCode {
    let n_arg = std::env::args().nth(1);
    let n: u64 = match n_arg.as_deref().map(str::parse) {
        None => DEFAULT_N,
        Some(Ok(n)) if n > 0 && n <= 10_000_000 => n,
        Some(_) => {
            eprintln!("usage: conversation_memory [N (1..=10000000)]");
            return ExitCode::FAILURE;
        }
    };
    let config = ConversationConfig::new(Seeder::per_chat(), 600_000);
    let before = live();
    let mut convs = Conversations::new(MemoryStorage::new(), config);
    for i in 0..n {
        let event = message(Platform::Telegram.key(chat_id(i)));
        let turn = match convs.on_event(i, &event) {
            Ok(Some(turn)) if turn.new => turn,
            other => {
                eprintln!("conversation {i}: unexpected {other:?}");
                return ExitCode::FAILURE;
            }
        };
        if let Err(e) = convs.save(i, &turn.key, &state_of(i)) {
            eprintln!("conversation {i}: {e}");
            return ExitCode::FAILURE;
        }
    }
    let total = live().saturating_sub(before);

    // Sanity: everything is there and reads back (outside the measurement).
    if convs.len() as u64 != n || convs.storage().len() as u64 != n {
        eprintln!(
            "broken run: {} live conversations, {} stored, expected {n}",
            convs.len(),
            convs.storage().len()
        );
        return ExitCode::FAILURE;
    }
    for i in (0..n).step_by(997) {
        let key = format!("chat:{}", Platform::Telegram.key(chat_id(i)));
        match convs.load(&key) {
            Ok(Some(s)) if s == state_of(i) => {}
            other => {
                eprintln!("broken run: {key} reads back {other:?}");
                return ExitCode::FAILURE;
            }
        }
    }
    if convs.poll_timeout() != Some(600_000) {
        eprintln!("broken run: first deadline {:?}", convs.poll_timeout());
        return ExitCode::FAILURE;
    }

    // Drop the manager's own tables, keep the storage: what remains is the storage.
    let after_sanity = live();
    let storage = convs.into_storage();
    let storage_bytes = live().saturating_sub(before);
    let runtime_bytes = after_sanity.saturating_sub(live());
    let user_state = n as usize * STATE_LEN;
    if total < user_state || storage_bytes < user_state || storage_bytes > total {
        eprintln!(
            "broken run: counters inconsistent (total {total}, storage {storage_bytes}, runtime {runtime_bytes})"
        );
        return ExitCode::FAILURE;
    }
    let with_storage = (total - user_state) as f64 / n as f64;
    let without_storage = runtime_bytes as f64 / n as f64;
    let storage_only = (storage_bytes - user_state) as f64 / n as f64;
    println!(
        "conversation memory: {n} conversations, {with_storage:.1} bytes runtime overhead per idle conversation (target <= {TARGET})"
    );
    println!("  with the in-memory storage counted: {with_storage:.1} bytes per conversation ({} bytes in all, state excluded)", total - user_state);
    println!("  manager alone (storage not counted): {without_storage:.1} bytes per conversation");
    println!(
        "  in-memory storage alone (state excluded): {storage_only:.1} bytes per conversation"
    );
    println!(
        "  target {}",
        if with_storage <= TARGET {
            "met"
        } else {
            "MISSED"
        }
    );
    drop(storage);
    ExitCode::SUCCESS
}
