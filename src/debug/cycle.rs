//! The wait-for graph of a dump, and the cycle in it, if any: a task
//! that joins another points at it, and a task that wants a `Mutex`
//! points at the task holding it. Each task waits for one thing, so each
//! has at most one edge and a cycle is found by walking from each task.

use std::collections::HashMap;

use super::report::{TaskDump, WaitsOn};

/// The task `task` waits for, if it waits for a task.
fn waits_for(task: &TaskDump) -> Option<u64> {
    match task.waits_on()? {
        WaitsOn::Task { id } => Some(*id),
        WaitsOn::Mutex { holder } => *holder,
        _ => None,
    }
}

/// A cycle of the wait-for graph of `tasks`, as task ids (each waits for
/// the next, the last for the first), starting at its lowest id.
pub(super) fn find(tasks: &[TaskDump]) -> Option<Vec<u64>> {
    let edges: HashMap<u64, u64> = tasks
        .iter()
        .filter_map(|t| Some((t.id(), waits_for(t)?)))
        .collect();
    // 0: unvisited; 1: on the current walk; 2: done, in no cycle.
    let mut mark: HashMap<u64, u8> = HashMap::new();
    for start in tasks.iter().map(TaskDump::id) {
        if mark.contains_key(&start) {
            continue;
        }
        let mut path = Vec::new();
        let mut at = start;
        loop {
            match mark.get(&at) {
                Some(1) => {
                    let from = path.iter().position(|&id| id == at)?;
                    let mut cycle = path[from..].to_vec();
                    let lowest = (0..cycle.len()).min_by_key(|&i| cycle[i])?;
                    cycle.rotate_left(lowest);
                    return Some(cycle);
                }
                Some(_) => break,
                None => {}
            }
            mark.insert(at, 1);
            path.push(at);
            match edges.get(&at) {
                Some(&next) => at = next,
                None => break,
            }
        }
        for id in path {
            mark.insert(id, 2);
        }
    }
    None
}
