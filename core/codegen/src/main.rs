//! Generates `core/src/telegram/generated/` and the npm package's TypeScript declarations
//! `bindings-wasm/types/telegram.d.ts` from the vendored Bot API spec.
//!
//! Usage: `botwire-codegen [--check] [--spec PATH] [--out DIR] [--ts-out FILE]`.
//! With `--check` nothing is written; the exit status is 1 when a generated file differs
//! from what is committed (CI runs this).
//!
//! The spec (`api.json`) lists methods and types with field types, but some facts live only
//! in prose: fixed tag values ("always \"user\""), enumerations ("can be either ..."), which
//! `String` fields accept `attach://` uploads. `model.rs` recovers them; `emit.rs` writes Rust
//! and `emit_ts.rs` writes TypeScript.

mod emit;
mod emit_ts;
mod model;
mod spec;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut spec_path = root.join("spec/telegram/api.json");
    let mut out_dir = root.join("src/telegram/generated");
    let mut ts_out = root.join("../bindings-wasm/types/telegram.d.ts");
    let mut check = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--spec" => spec_path = PathBuf::from(args.next().expect("--spec takes a path")),
            "--out" => out_dir = PathBuf::from(args.next().expect("--out takes a folder")),
            "--ts-out" => ts_out = PathBuf::from(args.next().expect("--ts-out takes a path")),
            "-h" | "--help" => {
                println!("botwire-codegen [--check] [--spec PATH] [--out DIR] [--ts-out FILE]");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("unknown argument {other:?}");
                return ExitCode::from(2);
            }
        }
    }
    let text = match std::fs::read_to_string(&spec_path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cannot read {}: {e}", spec_path.display());
            return ExitCode::from(2);
        }
    };
    let spec: spec::Spec = match serde_json::from_str(&text) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot parse {}: {e}", spec_path.display());
            return ExitCode::from(2);
        }
    };
    let model = model::Model::build(&spec);
    let mut files: Vec<(PathBuf, String)> = emit::emit(&model)
        .into_iter()
        .map(|(name, text)| (out_dir.join(name), rustfmt(&text)))
        .collect();
    files.push((ts_out, emit_ts::emit_ts(&spec, &model)));
    let mut stale = Vec::new();
    for (path, content) in &files {
        let current = std::fs::read_to_string(path).unwrap_or_default();
        if current != *content {
            stale.push(path.clone());
            if !check {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).expect("create output folder");
                }
                std::fs::write(path, content).expect("write generated file");
            }
        }
    }
    if check && !stale.is_empty() {
        for p in &stale {
            eprintln!("out of date: {}", p.display());
        }
        eprintln!("run `cargo run -p botwire-codegen` and commit the result");
        return ExitCode::from(1);
    }
    println!(
        "{}: {} methods, {} types; {} file(s) {}",
        spec.version,
        spec.methods.0.len(),
        spec.types.0.len(),
        if check { files.len() } else { stale.len() },
        if check { "up to date" } else { "written" }
    );
    ExitCode::SUCCESS
}

/// Formats generated source with the toolchain's rustfmt, so the committed files pass
/// `cargo fmt --check` and the `--check` comparison is stable.
fn rustfmt(text: &str) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2021", "--emit", "stdout", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run rustfmt (rustup component add rustfmt)");
    let mut stdin = child.stdin.take().expect("rustfmt stdin");
    let input = text.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("rustfmt output");
    writer
        .join()
        .expect("writer thread")
        .expect("write to rustfmt");
    assert!(out.status.success(), "rustfmt failed on generated code");
    String::from_utf8(out.stdout).expect("rustfmt output is UTF-8")
}
