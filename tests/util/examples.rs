//! Building and finding this package's example binaries, in the target
//! directory and profile of the running binary: the one helper for it,
//! shared by the tests and `examples/compare.rs` (which includes this file
//! with `#[path]`).
//!
//! Cargo puts test binaries in `<target>/<profile>/deps/` and examples in
//! `<target>/<profile>/examples/`, so both find `<target>/<profile>` two
//! levels above their own path, wherever `CARGO_TARGET_DIR` points.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// `<target>/<profile>` of the running test or example binary.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the running binary's path");
    exe.parent()
        .and_then(Path::parent)
        .expect("cargo puts binaries in <target>/<profile>/{deps,examples}")
        .to_path_buf()
}

/// Builds every example of the package with `cargo build --examples`, in
/// the running binary's target directory and profile, once per process.
///
/// `cargo test` builds the examples anyway (then this is a quick no-op),
/// but `cargo test --test <name>` does not, and an example edited since
/// would be stale.
///
/// # Panics
///
/// If cargo cannot be run or the build fails.
pub fn build_examples() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| cargo_build(&["--examples"]))
}

/// Runs `cargo build --quiet <what>` in the running binary's target
/// directory and profile, and returns that profile's `examples/`.
fn cargo_build(what: &[&str]) -> PathBuf {
    let profile_dir = profile_dir();
    let target_dir = profile_dir.parent().expect("<target>/<profile>");
    // `cargo test` and `cargo build` both use `debug/` for `dev`.
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => "dev",
        Some(other) => other,
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["build", "--quiet"])
        .args(what)
        .args(["--profile", profile])
        .arg("--manifest-path")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir)
        .output()
        .expect("cargo can be started");
    assert!(
        output.status.success(),
        "cargo build {} failed:\n{}",
        what.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    profile_dir.join("examples")
}

/// The path of example `name`, built first by [`build_examples`].
///
/// # Panics
///
/// If the build fails or made no such binary.
pub fn example(name: &str) -> PathBuf {
    let path = build_examples().join(name);
    assert!(path.exists(), "no example binary at {}", path.display());
    path
}

/// The path of example `name` built with the cargo `features` it requires
/// (`cargo build --example name --features ...`), in the running binary's
/// target directory and profile. For examples with `required-features`,
/// which [`build_examples`] (no features) skips.
///
/// # Panics
///
/// If the build fails or made no such binary.
pub fn example_with_features(name: &str, features: &str) -> PathBuf {
    let path = cargo_build(&["--example", name, "--features", features]).join(name);
    assert!(path.exists(), "no example binary at {}", path.display());
    path
}
