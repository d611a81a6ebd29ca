//! Coverage-less, in-process fuzzing of the example servers' protocol
//! code on stable Rust: a seeded PRNG mutates a small seed corpus, and each
//! target feeds the result straight to the parsing and handling functions
//! of the examples (included below with `#[path]`, unchanged), checking
//! them against a reference model or invariants. A panic, or a check that
//! fails, is a finding. See README.md for how to run the targets.

pub mod driver;
pub mod mutate;
pub mod rng;
pub mod targets;

/// `examples/chat.rs` (with `chat/web.rs`): the line reader, the nickname
/// check, the WebSocket reader and the HTTP head answer. Its `main` and
/// the socket code are compiled but not used here.
#[allow(dead_code, clippy::all)]
#[path = "../../examples/chat.rs"]
pub mod chat;

/// `examples/common/http_routes.rs`: the HTTP server's request parser,
/// router and response writer.
#[allow(dead_code, clippy::all)]
#[path = "../../examples/common/http_routes.rs"]
pub mod http_routes;
