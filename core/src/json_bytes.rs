//! JSON read from bytes through serde_json's text reader.
//!
//! `serde_json::from_slice` and `serde_json::from_str` each instantiate a reader of their own
//! for every type they read. Reading bytes as checked UTF-8 text instead means a program (the
//! npm package's WebAssembly module, where size counts) carries the text reader only. The
//! same inputs are accepted: bytes that are not UTF-8 are not JSON either.

/// `serde_json::from_slice`, through `serde_json::from_str`.
pub(crate) fn from_bytes<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> serde_json::Result<T> {
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(e) => Err(serde::de::Error::custom(format_args!(
            "invalid UTF-8 at byte {}",
            e.valid_up_to()
        ))),
    }
}
