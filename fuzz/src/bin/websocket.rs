//! The `websocket` fuzz target; see README.md.

fn main() {
    corio_fuzz::driver::main(&corio_fuzz::targets::WEBSOCKET);
}
