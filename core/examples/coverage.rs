//! Prints how much of the vendored Telegram Bot API spec the generated code covers, computed
//! by exercising the code: a type counts when samples of it (every union member, every
//! optional field filled) round-trip through serde; a method counts when its request carries
//! every parameter (JSON, and multipart for uploads) and a sample answer parses.
//!
//! Run: `cargo run -p botwire-core --example coverage` (or `make coverage`).

#[path = "../tests/support/spec_samples.rs"]
mod spec_samples;

use spec_samples::{check_method, check_type, Spec};

fn main() {
    let spec = Spec::load();
    let types = spec.type_names();
    let methods = spec.method_names();
    let mut failed = Vec::new();
    let types_ok = types
        .iter()
        .filter(|n| check_type(&spec, n).map_err(|e| failed.push(e)).is_ok())
        .count();
    let methods_ok = methods
        .iter()
        .filter(|n| check_method(&spec, n).map_err(|e| failed.push(e)).is_ok())
        .count();
    for f in &failed {
        eprintln!("not covered: {f}");
    }
    println!(
        "telegram: methods {methods_ok}/{}, types {types_ok}/{}",
        methods.len(),
        types.len()
    );
    if !failed.is_empty() {
        std::process::exit(1);
    }
}
