//! `corio::process` with real processes (`sh`, `cat`, `yes`, `head`,
//! `sleep` from the system): output captured without pipe deadlocks while
//! other tasks run, streaming reads and writes, kills, early exits, many
//! children at once, the same calls outside `run`, and waiters cancelled
//! (the child runs on, or is killed, and is reaped either way).

mod util;

use std::cell::Cell;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::rc::Rc;

use corio::process::{Child, Command, Stdio};
use util::{ms, scaled};

/// `sh -c script`, with `args` as `$0`, `$1`, ...
fn sh(script: &str) -> Command {
    let mut command = Command::new("sh");
    command.args(["-c", script]);
    command
}

/// A script printing `bytes` bytes of "o\n" lines to stdout and as many of
/// "e\n" to stderr, both at once.
fn both_streams(bytes: usize) -> Command {
    sh(&format!(
        "yes o | head -c {bytes} & yes e | head -c {bytes} >&2; wait"
    ))
}

fn all_lines_of(bytes: &[u8], letter: u8) -> bool {
    bytes
        .chunks(2)
        .all(|pair| pair[0] == letter && pair.get(1).is_none_or(|&b| b == b'\n'))
}

/// Blocks the thread until process `pid` (a child) has ended, without
/// reaping it, and returns how (`si_code`, `si_status`); `None` if it has
/// been reaped already (by corio's sweep of dropped children, which a
/// concurrent test's spawn may run).
fn ended_unreaped(pid: u32) -> Option<(i32, i32)> {
    // SAFETY: an all-zero siginfo_t is a valid value to be written over.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: `info` is valid for the call; P_PID names one child.
    let done = unsafe { libc::waitid(libc::P_PID, pid, &mut info, libc::WEXITED | libc::WNOWAIT) };
    if done == -1 {
        let e = std::io::Error::last_os_error();
        assert_eq!(e.raw_os_error(), Some(libc::ECHILD), "waitid: {e}");
        return None;
    }
    // SAFETY: waitid filled in a SIGCHLD siginfo, whose status it reads.
    Some((info.si_code, unsafe { info.si_status() }))
}

/// Whether process `pid` is still a child of ours that nobody reaped
/// (running, or a zombie).
fn unreaped(pid: u32) -> bool {
    // SAFETY: as in `ended_unreaped`.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: as in `ended_unreaped`; WNOHANG returns at once.
    let done = unsafe {
        libc::waitid(
            libc::P_PID,
            pid,
            &mut info,
            libc::WEXITED | libc::WNOWAIT | libc::WNOHANG,
        )
    };
    done == 0
}

/// Whether process `pid` (a child) is still running.
fn running(pid: u32) -> bool {
    // SAFETY: as in `ended_unreaped`.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: as in `ended_unreaped`; WNOHANG returns at once.
    let done = unsafe {
        libc::waitid(
            libc::P_PID,
            pid,
            &mut info,
            libc::WEXITED | libc::WNOWAIT | libc::WNOHANG,
        )
    };
    // SAFETY: filled in (or left zero) by waitid.
    done == 0 && unsafe { info.si_pid() } == 0
}

/// Spawns a task that counts its 1 ms sleeps while `*busy` is set.
fn ticker(busy: &Rc<Cell<bool>>) -> Rc<Cell<u32>> {
    let ticks = Rc::new(Cell::new(0));
    let (t, busy) = (Rc::clone(&ticks), Rc::clone(busy));
    corio::spawn(move || {
        loop {
            corio::sleep(ms(1));
            if busy.get() {
                t.set(t.get() + 1);
            }
        }
    });
    ticks
}

#[test]
fn output_reads_megabytes_on_both_streams_at_once_while_other_tasks_run() {
    let bytes = scaled(3_000_000);
    let (out, ticks) = corio::run(|| {
        let busy = Rc::new(Cell::new(true));
        let ticks = ticker(&busy);
        // The ticker has not run yet: every tick it counts happens while
        // this task is inside `output`.
        let out = both_streams(bytes).output().unwrap();
        busy.set(false);
        (out, ticks.get())
    });
    assert!(out.status.success(), "{:?}", out.status);
    assert_eq!((out.stdout.len(), out.stderr.len()), (bytes, bytes));
    assert!(all_lines_of(&out.stdout, b'o') && all_lines_of(&out.stderr, b'e'));
    assert!(ticks > 0, "the loop ran the ticker while output() waited");
}

#[test]
fn a_long_running_child_is_read_line_by_line_as_it_writes() {
    let (lines, still_running_midway) = corio::run(|| {
        // The child prints a line, then waits for its stdin. Only another
        // task writes that, and only after the check below, so the second
        // read can only finish if this task parked in it while that other
        // task ran: whatever the timing, no polling, no clock.
        let script = "echo \"line 1\"; read go; echo \"then $go\"";
        let mut child = sh(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let stdin = child.stdin.take().unwrap();
        let checked = Rc::new(corio::sync::Event::new());
        let writer = {
            let checked = Rc::clone(&checked);
            corio::spawn(move || {
                checked.wait();
                (&stdin).write_all(b"done\n").unwrap();
            })
        };
        let mut lines = vec![String::new(), String::new()];
        reader.read_line(&mut lines[0]).unwrap();
        // It is blocked reading its stdin: not finished, whatever the timing.
        let still_running_midway = child.try_wait().unwrap().is_none();
        checked.set();
        reader.read_line(&mut lines[1]).unwrap();
        writer.join().unwrap();
        assert!(child.wait().unwrap().success());
        (lines, still_running_midway)
    });
    assert_eq!(lines, ["line 1\n", "then done\n"]);
    assert!(still_running_midway);
}

#[test]
fn what_is_written_to_cat_comes_back_while_it_is_written() {
    let bytes = scaled(2_000_000);
    let sent: Vec<u8> = (0..bytes).map(|i| (i % 251) as u8).collect();
    let expected = sent.clone();
    let back = corio::run(move || {
        let mut cat = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = cat.stdin.take().unwrap();
        // Far more than a pipe holds: writer and reader must take turns.
        let writer = corio::spawn(move || (&stdin).write_all(&sent));
        let mut back = Vec::new();
        cat.stdout.take().unwrap().read_to_end(&mut back).unwrap();
        writer.join().unwrap().unwrap();
        assert!(cat.wait().unwrap().success());
        back
    });
    assert!(
        back == expected,
        "cat echoed {} of {bytes} bytes",
        back.len()
    );
}

#[test]
fn kill_then_wait_reports_the_signal() {
    let (status, again) = corio::run(|| {
        let mut child = Command::new("sleep").arg("3600").spawn().unwrap();
        assert_eq!(child.try_wait().unwrap(), None);
        child.kill().unwrap();
        let status = child.wait().unwrap();
        (status, child.try_wait().unwrap())
    });
    assert_eq!(status.signal(), Some(libc::SIGKILL));
    assert!(!status.success());
    assert_eq!(again, Some(status), "the status is kept once reaped");
}

#[test]
fn a_child_that_ended_before_anyone_waited_is_waited_for_at_once() {
    corio::run(|| {
        // Ended before any wait.
        let mut quick = sh("exit 7").spawn().unwrap();
        assert!(ended_unreaped(quick.id()).is_some());
        assert_eq!(quick.wait().unwrap().code(), Some(7));

        // Ended after a wait had parked (the pidfd registered) and given
        // up: its readiness came while nobody waited.
        let mut slow = Command::new("sleep").arg("3600").spawn().unwrap();
        assert!(corio::timeout(ms(5), || slow.wait()).is_err());
        slow.kill().unwrap();
        assert!(ended_unreaped(slow.id()).is_some());
        assert_eq!(slow.wait().unwrap().signal(), Some(libc::SIGKILL));
    });
}

#[test]
fn many_children_run_and_are_waited_for_at_once() {
    let count = scaled(200);
    let outputs = corio::run(|| {
        corio::gather(
            (0..count)
                .map(|n| {
                    move || {
                        let out = sh("sleep 0.05; echo $0").arg(n.to_string()).output();
                        String::from_utf8(out.unwrap().stdout).unwrap()
                    }
                })
                .collect(),
        )
    });
    let expected: Vec<String> = (0..count).map(|n| format!("{n}\n")).collect();
    assert_eq!(outputs, expected);
}

#[test]
fn outside_run_every_call_blocks_the_thread_like_std() {
    let bytes = scaled(3_000_000);
    // Both streams at once, through the poll(2) loop.
    let out = both_streams(bytes).output().unwrap();
    assert_eq!((out.stdout.len(), out.stderr.len()), (bytes, bytes));
    assert!(all_lines_of(&out.stdout, b'o') && all_lines_of(&out.stderr, b'e'));

    let mut cat = Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = cat.stdin.take().unwrap();
    stdin.write_all(b"first\nsecond\n").unwrap();
    drop(stdin);
    let lines: Vec<String> = BufReader::new(cat.stdout.take().unwrap())
        .lines()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(lines, ["first", "second"]);
    assert!(cat.wait().unwrap().success());

    let mut sleeper = Command::new("sleep").arg("0.05").spawn().unwrap();
    assert!(sleeper.wait().unwrap().success());
    assert_eq!(sh("exit 4").status().unwrap().code(), Some(4));
}

#[test]
fn a_cancelled_waiter_leaves_its_child_running_and_it_is_reaped_once_ended() {
    let pid = corio::run(|| {
        let pid = Rc::new(Cell::new(0));
        let p = Rc::clone(&pid);
        let waiter = corio::spawn(move || {
            let mut child = Command::new("sleep").arg("3600").spawn().unwrap();
            p.set(child.id());
            child.wait()
        });
        corio::yield_now(); // it spawns and parks in `wait`
        waiter.abort();
        assert!(waiter.join().unwrap_err().is_cancelled());
        pid.get()
    });
    assert!(running(pid), "dropping the Child did not stop the process");
    // SAFETY: `kill` takes a pid and a signal; `pid` is our unreaped child.
    assert_eq!(unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) }, 0);
    ended_unreaped(pid); // a zombie now (or reaped already), left to corio
    // Any spawn sweeps the ended orphans.
    assert!(Command::new("true").status().unwrap().success());
    assert!(!unreaped(pid), "the orphan was reaped");
}

#[test]
fn kill_on_drop_stops_the_child_of_a_cancelled_waiter() {
    let pid = corio::run(|| {
        let pid = Rc::new(Cell::new(0));
        let p = Rc::clone(&pid);
        let lost = corio::timeout(ms(10), move || {
            let mut child = Command::new("sleep")
                .arg("3600")
                .kill_on_drop(true)
                .spawn()
                .unwrap();
            p.set(child.id());
            child.wait()
        });
        assert!(lost.is_err());
        pid.get()
    });
    // A `sleep 3600` that ended was killed; reaped already is fine too.
    if let Some(how) = ended_unreaped(pid) {
        assert_eq!(how, (libc::CLD_KILLED, libc::SIGKILL));
    }
    assert!(Command::new("true").status().unwrap().success());
    assert!(!unreaped(pid));
}

#[test]
fn wait_parks_on_a_pidfd_where_the_kernel_has_one() {
    // What this process can do, asked directly.
    // SAFETY: pidfd_open of our own pid, with no flags; the descriptor is
    // closed right after.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, std::process::id(), 0) };
    let kernel_has_pidfd = fd >= 0;
    if kernel_has_pidfd {
        // SAFETY: `fd` is a descriptor we own and nothing else uses.
        unsafe { libc::close(fd as i32) };
    }
    let shown = corio::run(|| {
        let mut child = Command::new("sleep").arg("3600").spawn().unwrap();
        assert!(corio::timeout(ms(5), || child.wait()).is_err());
        let shown = format!("{child:?}");
        child.kill().unwrap();
        child.wait().unwrap();
        shown
    });
    let expected = if kernel_has_pidfd {
        "Pidfd("
    } else {
        "Polling"
    };
    eprintln!("pidfd_open available: {kernel_has_pidfd}; the child: {shown}");
    assert!(shown.contains(expected), "{shown}");
}

#[test]
fn a_child_moved_to_another_threads_runtime_is_waited_for_there() {
    let (mut child, stdin) = corio::run(|| {
        let mut child: Child = sh("read _; exit 5").stdin(Stdio::piped()).spawn().unwrap();
        // Kept out of `wait`, which would close it: the child waits for it.
        let stdin = child.stdin.take().unwrap();
        // A wait that parks once here registers the pidfd with this runtime.
        assert!(corio::timeout(ms(5), || child.wait()).is_err());
        (child, stdin)
    });
    let status = std::thread::spawn(move || {
        corio::run(move || {
            drop(stdin); // the child's `read` ends
            child.wait()
        })
    })
    .join()
    .unwrap()
    .unwrap();
    assert_eq!(status.code(), Some(5));
}

#[test]
fn one_childs_output_feeds_the_next_childs_input() {
    let out = corio::run(|| {
        let mut first = sh("printf 'b\\na\\nc\\n'")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let piped = Stdio::try_from(first.stdout.take().unwrap()).unwrap();
        let sorted = Command::new("sort").stdin(piped).output().unwrap();
        assert!(first.wait().unwrap().success());
        sorted
    });
    assert_eq!(out.stdout, b"a\nb\nc\n");
}

#[test]
fn a_missing_program_fails_to_spawn_with_not_found() {
    let spawned = corio::run(|| Command::new("/no/such/program").output());
    match spawned {
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::NotFound),
        // Under valgrind, whose emulation of posix_spawn's vfork loses the
        // exec error, the child runs on and exits as a shell would.
        Ok(out) => assert_eq!(out.status.code(), Some(127), "{out:?}"),
    }
}
