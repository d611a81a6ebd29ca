//! From raw frames to what a person reads: tasks with the same frames are
//! grouped first, each distinct address is resolved to names once (for a
//! hundred thousand tasks parked in the same place, a handful of lookups),
//! and corio's own frames above the user's call into corio are trimmed.

use std::collections::HashMap;
use std::sync::Arc;

use super::report::Frame;

/// Resolves every distinct address of `traces` (one per task, innermost
/// first) and returns, per task, the index of its group and the groups'
/// frames: tasks whose raw frames are equal share one group.
pub(super) fn symbolise(traces: &[Vec<usize>]) -> (Vec<usize>, Vec<Arc<[Frame]>>) {
    let (group_of, shape_list) = shapes(traces);
    let mut resolved: HashMap<usize, Vec<Frame>> = HashMap::new();
    for shape in &shape_list {
        for &ip in shape.iter() {
            resolved.entry(ip).or_insert_with(|| resolve(ip));
        }
    }
    let frames = shape_list
        .iter()
        .map(|shape| {
            let all: Vec<Frame> = shape
                .iter()
                .flat_map(|ip| resolved[ip].iter().cloned())
                .collect();
            Arc::from(trim(all))
        })
        .collect();
    (group_of, frames)
}

/// [`symbolise`] without symbols (they could not be had in time): every
/// frame an address alone, nothing trimmed.
pub(super) fn unresolved(traces: &[Vec<usize>]) -> (Vec<usize>, Vec<Arc<[Frame]>>) {
    let (group_of, shapes) = shapes(traces);
    let frames = shapes
        .iter()
        .map(|shape| {
            let frames: Vec<Frame> = shape
                .iter()
                .map(|ip| Frame {
                    function: Some(format!("{ip:#x} (symbols unavailable)")),
                    file: None,
                    line: None,
                })
                .collect();
            Arc::from(frames)
        })
        .collect();
    (group_of, frames)
}

/// Per task, the index of its shape (distinct raw frames), and the shapes.
fn shapes(traces: &[Vec<usize>]) -> (Vec<usize>, Vec<&[usize]>) {
    let mut shapes: HashMap<&[usize], usize> = HashMap::new();
    let mut group_of = Vec::with_capacity(traces.len());
    let mut shape_list: Vec<&[usize]> = Vec::new();
    for trace in traces {
        let next = shape_list.len();
        let group = *shapes.entry(trace.as_slice()).or_insert(next);
        if group == next {
            shape_list.push(trace);
        }
        group_of.push(group);
    }
    (group_of, shape_list)
}

/// The frames at `ip`: more than one where functions were inlined into
/// each other, innermost first.
fn resolve(ip: usize) -> Vec<Frame> {
    let mut frames = Vec::new();
    backtrace::resolve(ip as *mut std::ffi::c_void, |symbol| {
        frames.push(Frame {
            function: symbol.name().map(|name| format!("{name:#}")),
            file: symbol.filename().map(|path| path.display().to_string()),
            line: symbol.lineno(),
        });
    });
    if frames.is_empty() {
        frames.push(Frame {
            function: None,
            file: None,
            line: None,
        });
    }
    frames
}

/// Who a frame belongs to, for trimming.
#[derive(PartialEq)]
enum Owner {
    Corio,
    /// std, core, the unwinder, the backtrace crate, corosensei, or no
    /// name at all: frames that may stand between corio's own.
    Plumbing,
    User,
}

fn owner(frame: &Frame) -> Owner {
    let Some(name) = frame.function.as_deref() else {
        return Owner::Plumbing;
    };
    let name = name.trim_start_matches(['<', '&', '*']);
    let name = name.strip_prefix("mut ").unwrap_or(name);
    let crate_name = name.split("::").next().unwrap_or(name);
    match crate_name {
        "corio" => Owner::Corio,
        "std" | "core" | "alloc" | "backtrace" | "corosensei" => Owner::Plumbing,
        _ if name.starts_with("_Unwind") || name.starts_with("__rust") => Owner::Plumbing,
        _ => Owner::User,
    }
}

/// True for the frames every coroutine switch and `catch_unwind` adds
/// (corosensei's, std's `catch_unwind` and its closure calls), which say
/// nothing about where a task is.
fn is_machinery(frame: &Frame) -> bool {
    let Some(name) = frame.function.as_deref() else {
        return true;
    };
    const MACHINERY: [&str; 8] = [
        "corosensei::",
        "<corosensei::",
        "stack_init_trampoline",
        "__rust_try",
        "std::panicking::catch_unwind",
        "std::panic::catch_unwind",
        "<core::panic::unwind_safe::AssertUnwindSafe<F> as core::ops::function::FnOnce<()>>::call_once",
        "core::ops::function::FnOnce::call_once",
    ];
    MACHINERY.iter().any(|m| name.starts_with(m))
}

/// True for the root of a task's stack, below which nothing is the task's.
fn is_task_root(frame: &Frame) -> bool {
    frame.function.as_deref().is_some_and(|name| {
        name.starts_with("corio::runtime::task::Task<") && name.contains("::build::")
    })
}

/// Cuts the frames of the capture and of corio's park path from the top,
/// so the first frame left is the corio function the user called (the
/// last corio frame before user code); the task's root and what is below
/// it from the bottom; and the switch and `catch_unwind` machinery
/// between generators and their resumers.
fn trim(mut frames: Vec<Frame>) -> Vec<Frame> {
    if let Some(root) = frames.iter().position(is_task_root) {
        frames.truncate(root);
    }
    let top_run = frames
        .iter()
        .position(|f| owner(f) == Owner::User)
        .unwrap_or(frames.len());
    if let Some(entry) = frames[..top_run]
        .iter()
        .rposition(|f| owner(f) == Owner::Corio)
    {
        frames.drain(..entry);
    }
    frames.retain(|f| !is_machinery(f));
    frames
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(name: &str) -> Frame {
        Frame {
            function: Some(name.to_string()),
            file: None,
            line: None,
        }
    }

    fn names(frames: &[Frame]) -> Vec<&str> {
        frames.iter().map(|f| f.function().unwrap_or("?")).collect()
    }

    #[test]
    fn the_first_frame_kept_is_the_users_call_into_corio() {
        let frames = vec![
            frame("backtrace::backtrace::trace_unsynchronized"),
            frame("corio::debug::capture::answer"),
            frame("corio::runtime::park::park_on::{{closure}}"),
            frame("std::thread::local::LocalKey<T>::with"),
            frame("<corio::net::tcp::TcpStream as std::io::Read>::read"),
            frame("std::io::default_read_exact"),
            frame("app::handle"),
            frame("corio::runtime::task::Task<_>::build::{{closure}}::{{closure}}"),
            frame("std::panicking::catch_unwind"),
            frame("corio::runtime::task::Task<_>::build::{{closure}}"),
            frame("corosensei::coroutine::on_stack"),
        ];
        assert_eq!(
            names(&trim(frames)),
            [
                "<corio::net::tcp::TcpStream as std::io::Read>::read",
                "std::io::default_read_exact",
                "app::handle",
            ]
        );
    }

    #[test]
    fn frames_without_any_corio_frame_on_top_are_kept() {
        let frames = vec![frame("app::a"), frame("app::b")];
        assert_eq!(names(&trim(frames)), ["app::a", "app::b"]);
    }
}
