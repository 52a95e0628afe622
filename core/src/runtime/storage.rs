//! Byte-oriented key-value storage for runtime state (conversations and anything else a bot
//! wants to keep across restarts).
//!
//! [`Storage`] is deliberately small and object-safe: four methods over string keys and byte
//! values, so a host can back it with a database, a file, or — in the C and JS bindings —
//! host callbacks. [`MemoryStorage`] is the in-process default.
//!
//! ```
//! use botwire_core::runtime::storage::{MemoryStorage, Storage};
//! let mut s = MemoryStorage::new();
//! s.put("conv/a", b"1").unwrap();
//! s.put("conv/b", b"2").unwrap();
//! s.put("other", b"3").unwrap();
//! assert_eq!(s.get("conv/a").unwrap().as_deref(), Some(&b"1"[..]));
//! assert_eq!(s.keys_with_prefix("conv/").unwrap(), ["conv/a", "conv/b"]);
//! s.delete("conv/a").unwrap();
//! assert_eq!(s.get("conv/a").unwrap(), None);
//! ```

use std::collections::BTreeMap;
use std::ops::Bound;

/// Why a storage operation failed.
///
/// A failed operation must leave the stored data as it was before the call (a failed `put`
/// keeps the old value, a failed `delete` keeps the entry).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The backend failed (I/O error, host callback error, ...).
    #[error("storage backend failed: {0}")]
    Backend(String),
    /// A stored record cannot be read.
    #[error("record `{key}` is corrupt: {reason}")]
    Corrupt {
        /// The record's storage key.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A typed value could not be encoded or decoded (JSON).
    #[error("cannot encode or decode the value: {0}")]
    Codec(String),
}

impl StorageError {
    /// A backend failure with a message.
    pub fn backend(message: impl Into<String>) -> Self {
        StorageError::Backend(message.into())
    }
}

/// A byte-oriented key-value store.
///
/// Keys are UTF-8 strings, values are opaque bytes. Every operation takes `&mut self` so an
/// implementation may keep connections or caches without interior mutability. Each
/// operation is atomic per key: when it fails, the key keeps its previous value.
pub trait Storage {
    /// The value stored under `key`, `None` when there is none.
    ///
    /// # Errors
    /// [`StorageError`] when the backend fails.
    fn get(&mut self, key: &str) -> Result<Option<Vec<u8>>, StorageError>;

    /// Stores `value` under `key`, replacing any previous value.
    ///
    /// # Errors
    /// [`StorageError`] when the backend fails; the previous value is then kept.
    fn put(&mut self, key: &str, value: &[u8]) -> Result<(), StorageError>;

    /// Removes `key` (removing a missing key succeeds).
    ///
    /// # Errors
    /// [`StorageError`] when the backend fails; the entry is then kept.
    fn delete(&mut self, key: &str) -> Result<(), StorageError>;

    /// Every key starting with `prefix`, in any order.
    ///
    /// # Errors
    /// [`StorageError`] when the backend fails.
    fn keys_with_prefix(&mut self, prefix: &str) -> Result<Vec<String>, StorageError>;
}

impl<S: Storage + ?Sized> Storage for &mut S {
    fn get(&mut self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        (**self).get(key)
    }
    fn put(&mut self, key: &str, value: &[u8]) -> Result<(), StorageError> {
        (**self).put(key, value)
    }
    fn delete(&mut self, key: &str) -> Result<(), StorageError> {
        (**self).delete(key)
    }
    fn keys_with_prefix(&mut self, prefix: &str) -> Result<Vec<String>, StorageError> {
        (**self).keys_with_prefix(prefix)
    }
}

impl<S: Storage + ?Sized> Storage for Box<S> {
    fn get(&mut self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        (**self).get(key)
    }
    fn put(&mut self, key: &str, value: &[u8]) -> Result<(), StorageError> {
        (**self).put(key, value)
    }
    fn delete(&mut self, key: &str) -> Result<(), StorageError> {
        (**self).delete(key)
    }
    fn keys_with_prefix(&mut self, prefix: &str) -> Result<Vec<String>, StorageError> {
        (**self).keys_with_prefix(prefix)
    }
}

/// An in-memory [`Storage`]: an ordered map from key to value. It never fails.
///
/// Keys and values are kept in exactly sized boxes (no capacity slack); the map is ordered
/// so [`keys_with_prefix`](Storage::keys_with_prefix) is a range scan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryStorage {
    map: BTreeMap<Box<str>, Box<[u8]>>,
}

impl MemoryStorage {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.map.iter().map(|(k, v)| (&**k, &**v))
    }
}

impl Storage for MemoryStorage {
    fn get(&mut self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.map.get(key).map(|v| v.to_vec()))
    }

    fn put(&mut self, key: &str, value: &[u8]) -> Result<(), StorageError> {
        match self.map.get_mut(key) {
            Some(v) => *v = Box::from(value),
            None => {
                self.map.insert(Box::from(key), Box::from(value));
            }
        }
        Ok(())
    }

    fn delete(&mut self, key: &str) -> Result<(), StorageError> {
        self.map.remove(key);
        Ok(())
    }

    fn keys_with_prefix(&mut self, prefix: &str) -> Result<Vec<String>, StorageError> {
        Ok(self
            .map
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .map(|(k, _)| k)
            .take_while(|k| k.starts_with(prefix))
            .map(|k| k.to_string())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_scan_stops_at_the_prefix_end() {
        let mut s = MemoryStorage::new();
        for k in ["a", "ab", "abc", "abd", "ac", "b"] {
            s.put(k, k.as_bytes()).unwrap();
        }
        assert_eq!(s.keys_with_prefix("ab").unwrap(), ["ab", "abc", "abd"]);
        assert_eq!(s.keys_with_prefix("").unwrap().len(), 6);
        assert!(s.keys_with_prefix("z").unwrap().is_empty());
    }

    #[test]
    fn put_replaces_and_delete_of_missing_succeeds() {
        let mut s = MemoryStorage::new();
        s.put("k", b"one").unwrap();
        s.put("k", b"two").unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s.get("k").unwrap().unwrap(), b"two");
        s.delete("missing").unwrap();
        s.delete("k").unwrap();
        assert!(s.is_empty());
    }

    #[test]
    fn trait_objects_work() {
        let mut boxed: Box<dyn Storage> = Box::new(MemoryStorage::new());
        boxed.put("x", b"1").unwrap();
        assert_eq!(boxed.get("x").unwrap().unwrap(), b"1");
        fn put_through<S: Storage>(mut s: S) {
            s.put("y", b"2").unwrap();
        }
        let mut inner = MemoryStorage::new();
        put_through(&mut inner);
        put_through(&mut boxed);
        assert_eq!(inner.get("y").unwrap().unwrap(), b"2");
        assert_eq!(boxed.get("y").unwrap().unwrap(), b"2");
    }
}
