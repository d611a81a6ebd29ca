//! Comparing what the versions of an example program print (corio, tokio,
//! Python): the one output masker, shared by `tests/examples_output.rs`
//! and `examples/compare.rs` (which includes this file with `#[path]`).
//!
//! Numbers differ between runs (clock readings, measured durations, ports),
//! so every run of digits is masked. Lines the program itself says may come
//! in either order (two fetches that finish together) are compared as a
//! set, at the places such lines occupy.

/// `line` with every run of ASCII digits replaced by one `#`.
pub fn mask_numbers(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_number = false;
    for c in line.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                out.push('#');
            }
            in_number = true;
        } else {
            in_number = false;
            out.push(c);
        }
    }
    out
}

/// Whether `program` may print `line` (unmasked) in an order that depends
/// on timing: `fetch_urls`'s two fast fetches finish at the same moment,
/// so their `Done:` lines come in either order (the 2 s one never does).
pub fn order_free(program: &str, line: &str) -> bool {
    program == "fetch_urls" && line.contains("] Done: ") && !line.contains("/delay/")
}

/// Whether `other` printed the same as `reference`, for `program`: the
/// same masked lines in the same order, except that [`order_free`] lines
/// may swap places among themselves.
pub fn same_output(program: &str, reference: &[String], other: &[String]) -> bool {
    /// The masked lines with order-free ones replaced by a placeholder, and
    /// the order-free ones, masked and sorted.
    fn split(program: &str, lines: &[String]) -> (Vec<String>, Vec<String>) {
        let mut free = Vec::new();
        let fixed = lines
            .iter()
            .map(|line| {
                if order_free(program, line) {
                    free.push(mask_numbers(line));
                    "<either order>".to_string()
                } else {
                    mask_numbers(line)
                }
            })
            .collect();
        free.sort();
        (fixed, free)
    }
    split(program, reference) == split(program, other)
}
