//! Every type and method of the vendored spec, checked against samples built from the spec
//! itself: types round-trip through serde with every optional field filled; method requests
//! carry every parameter (JSON and multipart) and their answers parse.

#[path = "support/spec_samples.rs"]
mod spec_samples;

use spec_samples::{check_method, check_type, Spec};

#[test]
fn every_type_round_trips() {
    let spec = Spec::load();
    let names = spec.type_names();
    assert_eq!(names.len(), 359);
    let failures: Vec<String> = names
        .iter()
        .filter_map(|n| check_type(&spec, n).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_method_builds_and_parses() {
    let spec = Spec::load();
    let names = spec.method_names();
    assert_eq!(names.len(), 180);
    let failures: Vec<String> = names
        .iter()
        .filter_map(|n| check_method(&spec, n).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
