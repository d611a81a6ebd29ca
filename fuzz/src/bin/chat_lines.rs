//! The `chat_lines` fuzz target; see README.md.

fn main() {
    corio_fuzz::driver::main(&corio_fuzz::targets::CHAT_LINES);
}
