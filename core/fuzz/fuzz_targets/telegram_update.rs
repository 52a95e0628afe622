//! Untrusted update bytes (a webhook body, one element of a `getUpdates` answer) must never
//! make the typed parser or the zero-copy glance panic, whatever they contain.
#![no_main]

use botwire_core::telegram::glance::glance;
use botwire_core::telegram::types::Update;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let typed = serde_json::from_slice::<Update>(data);
    let glanced = glance(data);
    // A glance is a cheaper reading of the same object: whenever the full parser accepts an
    // update, the glance must at least agree on its id.
    if let (Ok(update), Ok(g)) = (&typed, &glanced) {
        assert_eq!(update.update_id, g.update_id);
    }
    if let Ok(g) = glanced {
        let _ = g.into_owned();
    }
});
