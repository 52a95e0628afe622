//! Gives the shared library its soname on Linux, so programs linked against it record
//! `libbotwire.so.<ABI>` and keep working across compatible updates: `0.<minor>` while the
//! major version is 0 (any minor release may change the ABI), `<major>` after that. `make
//! install` installs the library under the same names.

fn main() {
    let major = env!("CARGO_PKG_VERSION_MAJOR");
    let minor = env!("CARGO_PKG_VERSION_MINOR");
    let abi = if major == "0" {
        format!("0.{minor}")
    } else {
        major.to_owned()
    };
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libbotwire.so.{abi}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
