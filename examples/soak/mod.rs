//! The soak harness of `examples/soak.rs`, also run by `tests/soak.rs`:
//! a corio echo server in this process, its clients (corio tasks and std
//! threads) in a child process, checksummed frames, misbehaving clients,
//! and the report.

pub mod client;
pub mod config;
pub mod frame;
pub mod histogram;
pub mod os;
pub mod parent;
pub mod report;
pub mod server;
pub mod stats;
