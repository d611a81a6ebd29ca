//! Blocking calls while a stack unwinds: the outcome table of the crate
//! docs, row by row, and the pitfalls of reading `thread::panicking()`
//! (which is per thread) as "this stack is unwinding". Scenarios that hung
//! or spun before run in a child process with a generous kill limit.

mod util;

use std::cell::{Cell, RefCell};
use std::io::Read;
use std::rc::Rc;
use std::time::{Duration, Instant};

use corio::Generator;
use corio::sync::{Event, Mutex, Semaphore, channel, shared};
use util::limited::run_limited;
use util::ms;

use util::support::{OnDrop, cancel_while_holding, new_log, note};

#[test]
fn join_in_a_destructor_of_an_aborted_task_gives_up_at_once() {
    let ended = run_limited("join_in_drop_of_aborted_task");
    assert_eq!(
        ended.expect_success(),
        ["victim Err(Cancelled)", "join in drop Err(Cancelled)"]
    );
}

#[test]
fn gather_and_select_in_a_destructor_after_a_timeout_run_their_children() {
    let ended = run_limited("gather_in_drop_after_timeout");
    assert_eq!(
        ended.expect_success(),
        [
            "timeout Err(Elapsed(()))",
            "gather [1, 2] select Left(\"first\")"
        ]
    );
}

#[test]
fn a_bufwriter_flushing_in_a_cancelled_destructor_does_not_spin() {
    let ended = run_limited("bufwriter_flush_in_drop_on_full_socket");
    assert_eq!(ended.expect_success(), ["writer Err(Cancelled)"]);
}

#[test]
fn a_fresh_run_inside_an_unrelated_panics_destructor_works_normally() {
    let ended = run_limited("fresh_run_in_unrelated_panic_destructor");
    assert_eq!(
        ended.expect_success(),
        [
            "slept at least 100 ms: true",
            "received Some(5)",
            "outer panic caught: true"
        ]
    );
}

#[test]
fn a_generator_yielding_from_a_destructor_of_its_panic_is_refused() {
    let ended = run_limited("generator_yields_in_destructor_while_panicking");
    assert_eq!(ended.signal, Some(util::SIGABRT), "{ended:#?}");
    assert!(
        ended.stderr.contains(
            "corio: a generator yielded while std::thread::panicking() is true and its stack may"
        ),
        "{ended:#?}"
    );
    assert!(ended.reports().is_empty(), "the resume must not come back");
}

#[test]
fn an_accept_loop_out_of_fds_neither_spins_nor_starves_others() {
    let ended = run_limited("accept_loop_out_of_fds");
    let reports = ended.expect_success();
    assert!(
        reports.contains(&"attempts within bound: true"),
        "{reports:?}"
    );
    assert!(reports.contains(&"other task ran: true"), "{reports:?}");
}

#[test]
fn a_deadlock_among_unwinding_stacks_is_reported_and_run_still_returns() {
    let ended = run_limited("deadlock_among_unwinding_stacks");
    assert_eq!(ended.expect_success(), ["run returned"]);
    assert!(
        ended
            .stderr
            .contains("could never finish unwinding: it waits for something no task will ever do"),
        "{ended:#?}"
    );
}

// ---- The outcome table: calls in a destructor of a cancel-unwinding stack.

#[test]
fn socket_io_there_fails_with_an_error_std_does_not_retry() {
    let kind = corio::run(|| {
        let (listener, addr) = util::local_listener();
        let client = corio::net::TcpStream::connect(addr).unwrap();
        let (server, _) = listener.accept().unwrap();
        let kind = Rc::new(Cell::new(None));
        let k = Rc::clone(&kind);
        let result = cancel_while_holding(move || {
            let mut buf = [0u8; 4];
            let err = (&server).read(&mut buf).unwrap_err();
            k.set(Some(err.kind()));
        });
        assert!(result.unwrap_err().is_cancelled());
        drop(client);
        kind.get()
    });
    let kind = kind.expect("the destructor ran");
    assert_ne!(kind, std::io::ErrorKind::Interrupted);
    assert_ne!(kind, std::io::ErrorKind::WouldBlock);
}

#[test]
fn unix_socket_and_registered_io_there_fail_with_an_error_std_does_not_retry() {
    use std::os::fd::AsRawFd;
    let path = std::env::temp_dir().join(format!("corio-unwinding-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let full = std::os::unix::net::UnixListener::bind(&path).unwrap();
    // SAFETY: `listen` takes a descriptor and an integer; `full` owns the
    // descriptor, open during the call. A backlog of 0 queues one connect.
    assert_eq!(unsafe { libc::listen(full.as_raw_fd(), 0) }, 0);
    let queued = std::os::unix::net::UnixStream::connect(&path).unwrap();
    let kinds = corio::run(|| {
        let (stream, stream_peer) = corio::net::UnixStream::pair().unwrap();
        let (datagram, datagram_peer) = corio::net::UnixDatagram::pair().unwrap();
        let (reader, writer) = std::io::pipe().unwrap();
        let reader = corio::io::Registered::new(reader).unwrap();
        let kinds = Rc::new(RefCell::new(Vec::new()));
        let (k, p) = (Rc::clone(&kinds), path.clone());
        let result = cancel_while_holding(move || {
            let mut buf = [0u8; 4];
            let mut k = k.borrow_mut();
            k.push((&stream).read(&mut buf).unwrap_err().kind());
            k.push(datagram.recv(&mut buf).unwrap_err().kind());
            k.push(
                reader
                    .read_with(|mut r| r.read(&mut buf))
                    .unwrap_err()
                    .kind(),
            );
            k.push((&reader).read(&mut buf).unwrap_err().kind());
            k.push(reader.readable().unwrap_err().kind());
            // A full backlog: no retry with back-off here.
            k.push(corio::net::UnixStream::connect(&p).unwrap_err().kind());
        });
        assert!(result.unwrap_err().is_cancelled());
        drop((stream_peer, datagram_peer, writer));
        kinds.take()
    });
    drop((queued, full));
    std::fs::remove_file(&path).unwrap();
    assert_eq!(kinds.len(), 6, "the destructor ran every call: {kinds:?}");
    for kind in kinds {
        assert_ne!(kind, std::io::ErrorKind::Interrupted);
        assert_ne!(kind, std::io::ErrorKind::WouldBlock);
    }
}

#[test]
fn child_wait_and_pipe_io_there_fail_with_an_error_std_does_not_retry() {
    use corio::process::{Command, Stdio};
    use std::io::Write;
    let kinds = corio::run(|| {
        // Killed when dropped, so none outlives the test.
        let mut child = Command::new("sleep")
            .arg("3600")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let kinds = Rc::new(RefCell::new(Vec::new()));
        let k = Rc::clone(&kinds);
        let result = cancel_while_holding(move || {
            let mut buf = [0u8; 4];
            let mut k = k.borrow_mut();
            let stdout = child.stdout.take().unwrap();
            k.push((&stdout).read(&mut buf).unwrap_err().kind());
            // More than the pipe holds: the write that would wait fails.
            let stdin = child.stdin.take().unwrap();
            k.push((&stdin).write_all(&[0; 1 << 20]).unwrap_err().kind());
            child.stdout = Some(stdout);
            k.push(child.wait().unwrap_err().kind());
            assert_eq!(child.try_wait().unwrap(), None, "try_wait never waits");
            let mut sleeper = Command::new("sleep");
            sleeper.arg("3600").kill_on_drop(true);
            k.push(sleeper.status().unwrap_err().kind());
            k.push(sleeper.output().unwrap_err().kind());
        });
        assert!(result.unwrap_err().is_cancelled());
        kinds.take()
    });
    assert_eq!(kinds.len(), 5, "the destructor ran every call: {kinds:?}");
    for kind in kinds {
        assert_ne!(kind, std::io::ErrorKind::Interrupted);
        assert_ne!(kind, std::io::ErrorKind::WouldBlock);
    }
}

#[test]
fn join_there_is_cancelled_at_once_and_the_joined_task_keeps_running() {
    let log = new_log();
    corio::run(|| {
        let l = Rc::clone(&log);
        let worker = corio::spawn(move || {
            corio::sleep(ms(20));
            note(&l, "worker finished");
        });
        let worker = Rc::new(RefCell::new(Some(worker)));
        let w = Rc::clone(&worker);
        let l = Rc::clone(&log);
        cancel_while_holding(move || {
            let h = w.borrow_mut().take().unwrap();
            let id = h.id();
            let outcome = h.join();
            note(&l, format!("join {:?}", outcome.map(|_| id)));
        })
        .unwrap_err();
        corio::sleep(ms(40));
    });
    assert_eq!(*log.borrow(), ["join Err(Cancelled)", "worker finished"]);
}

#[test]
fn channel_waits_there_give_up_at_once() {
    let got = corio::run(|| {
        let (tx, rx) = channel::<u8>(1);
        tx.send(1).unwrap(); // full now
        let (tx2, rx2) = channel::<u8>(1);
        let outcome = Rc::new(RefCell::new(String::new()));
        let o = Rc::clone(&outcome);
        cancel_while_holding(move || {
            let sent = tx.send(2).map_err(|e| e.0);
            let received = rx2.recv();
            *o.borrow_mut() = format!("send {sent:?} recv {received:?}");
        })
        .unwrap_err();
        drop((rx, tx2));
        outcome.take()
    });
    assert_eq!(got, "send Err(2) recv None");
}

#[test]
fn shared_channel_and_oneshot_waits_there_give_up_at_once() {
    // The other ends live on a plain thread that never acts: a wait there
    // could only end by giving up.
    let (far_ends, far_ends_rx) = std::sync::mpsc::channel();
    let (tx, rx) = shared::channel::<u8>(1);
    tx.send(1).unwrap(); // full
    let (tx2, rx2) = shared::channel::<u8>(1);
    let (otx, orx) = shared::oneshot::<u8>();
    let (ready_tx, ready_rx) = shared::channel::<u8>(1);
    ready_tx.send(7).unwrap();
    let holder = std::thread::spawn(move || {
        let ends: (
            shared::Receiver<u8>,
            shared::Sender<u8>,
            shared::OneshotSender<u8>,
        ) = far_ends_rx.recv().unwrap();
        drop(far_ends_rx.recv()); // until the test is done
        drop(ends);
    });
    far_ends.send((rx, tx2, otx)).unwrap();
    let got = corio::run(|| {
        let outcome = Rc::new(RefCell::new(String::new()));
        let o = Rc::clone(&outcome);
        let mut orx = Some(orx);
        cancel_while_holding(move || {
            let sent = tx.send(2).map_err(|e| e.0);
            let received = rx2.recv();
            let oneshot = orx.take().map(|orx| orx.recv());
            // Nothing to wait for: a buffered value is still received.
            let ready = ready_rx.recv();
            *o.borrow_mut() =
                format!("send {sent:?} recv {received:?} oneshot {oneshot:?} ready {ready:?}");
        })
        .unwrap_err();
        outcome.take()
    });
    drop(far_ends);
    holder.join().unwrap();
    assert_eq!(
        got,
        "send Err(2) recv None oneshot Some(None) ready Some(7)"
    );
}

#[test]
fn sleep_event_wait_and_yield_now_there_return_at_once() {
    let slept = corio::run(|| {
        let event = Rc::new(Event::new());
        let e = Rc::clone(&event);
        let took = Rc::new(Cell::new(None));
        let t = Rc::clone(&took);
        cancel_while_holding(move || {
            let start = Instant::now();
            corio::sleep(Duration::from_secs(3600));
            e.wait();
            corio::yield_now();
            t.set(Some(start.elapsed()));
        })
        .unwrap_err();
        took.get()
    });
    // It returned at all (an hour's sleep did not happen, nor an endless
    // wait for the event): that is the check; no timing is asserted.
    assert!(slept.is_some());
}

#[test]
fn mutex_and_semaphore_there_park_as_usual_so_cleanup_works() {
    let log = new_log();
    corio::run(|| {
        let room = Rc::new(Mutex::new(vec![1, 2, 3]));
        let gate = Rc::new(Semaphore::new(1));
        // Someone else holds both for a while.
        let (r, g, l) = (Rc::clone(&room), Rc::clone(&gate), Rc::clone(&log));
        let holder = corio::spawn(move || {
            let _room = r.lock();
            let _permit = g.acquire();
            corio::sleep(ms(20));
            note(&l, "holder released");
        });
        corio::yield_now();
        let (r, g, l) = (Rc::clone(&room), Rc::clone(&gate), Rc::clone(&log));
        cancel_while_holding(move || {
            let _permit = g.acquire(); // parks until the holder is done
            r.lock().retain(|&n| n != 2); // the cleanup users write
            note(&l, "cleanup done");
        })
        .unwrap_err();
        holder.join().unwrap();
        assert_eq!(*room.lock(), [1, 3]);
    });
    assert_eq!(*log.borrow(), ["holder released", "cleanup done"]);
}

#[test]
fn a_scope_there_runs_fresh_children_and_waits_for_them() {
    let got = corio::run(|| {
        let out = Rc::new(RefCell::new(Vec::new()));
        let o = Rc::clone(&out);
        cancel_while_holding(move || {
            let total = corio::scope(|s| {
                let a = s.spawn(|| {
                    corio::sleep(ms(5));
                    20
                });
                let b = s.spawn(|| 22);
                a.join().unwrap() + b.join().unwrap()
            });
            let (x, y) = corio::join(|| 1, || 2);
            let (winner, _) = corio::race([1, 30].map(|n| move || corio::sleep(ms(n))).to_vec());
            o.borrow_mut().extend([total, x + y, winner as i32]);
        })
        .unwrap_err();
        out.take()
    });
    assert_eq!(got, [42, 3, 0]);
}

#[test]
fn a_waiting_scope_whose_task_is_cancelled_unwinds_its_children_first() {
    let log = new_log();
    corio::run(|| {
        let l = Rc::clone(&log);
        let started = Rc::new(Cell::new(0));
        let st = Rc::clone(&started);
        let h = corio::spawn(move || {
            corio::scope(|s| {
                for n in 0..2 {
                    let (l, st) = (Rc::clone(&l), Rc::clone(&st));
                    s.spawn(move || {
                        let _g = OnDrop(|| {
                            // A child's destructor may itself park briefly.
                            corio::yield_now();
                        });
                        let _done = OnDrop(move || note(&l, format!("child {n} unwound")));
                        st.set(st.get() + 1);
                        corio::sleep(Duration::from_secs(3600));
                    });
                }
            });
        });
        while started.get() < 2 {
            corio::yield_now(); // until both children run and park
        }
        h.abort();
        assert!(h.join().unwrap_err().is_cancelled());
        note(&log, "scope's task joined");
    });
    assert_eq!(
        *log.borrow(),
        ["child 0 unwound", "child 1 unwound", "scope's task joined"]
    );
}

#[test]
fn on_the_loops_own_stack_waits_end_at_once_or_fail_clearly() {
    // A task aborted before it ever ran is dropped unrun by the loop: what
    // its closure captured is destroyed there, outside any task.
    let log = new_log();
    corio::run(|| {
        let l = Rc::clone(&log);
        let (tx, rx) = channel::<u8>(1);
        tx.send(0).unwrap();
        let h = corio::spawn({
            let guard = OnDrop(move || {
                corio::sleep(Duration::from_secs(3600)); // returns at once
                let sent = tx.send(1).is_err();
                note(&l, format!("sleep returned, send failed: {sent}"));
            });
            move || drop(guard)
        });
        h.abort();
        assert!(h.join().unwrap_err().is_cancelled());
        drop(rx);
    });
    assert_eq!(*log.borrow(), ["sleep returned, send failed: true"]);
}

#[test]
fn on_the_loops_own_stack_a_child_wait_fails_at_once() {
    let log = new_log();
    corio::run(|| {
        let l = Rc::clone(&log);
        let child = corio::process::Command::new("sleep")
            .arg("3600")
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        // Dropped unrun by the loop, outside any task (see above).
        let h = corio::spawn({
            let mut child = Some(child);
            let guard = OnDrop(move || {
                let mut child = child.take().unwrap();
                let waited = child.wait().map_err(|e| e.kind());
                note(&l, format!("{waited:?}"));
            });
            move || drop(guard)
        });
        h.abort();
        assert!(h.join().unwrap_err().is_cancelled());
    });
    assert_eq!(*log.borrow(), ["Err(Other)"]);
}

#[test]
fn on_the_loops_own_stack_shared_waits_end_at_once() {
    let log = new_log();
    corio::run(|| {
        let l = Rc::clone(&log);
        let (tx, rx) = shared::channel::<u8>(1);
        tx.send(0).unwrap(); // full
        let (tx2, rx2) = shared::channel::<u8>(1);
        let (otx, orx) = shared::oneshot::<u8>();
        // Dropped unrun by the loop, outside any task (see above).
        let h = corio::spawn({
            let mut ends = Some((tx, rx2, orx));
            let guard = OnDrop(move || {
                let (tx, rx2, orx) = ends.take().unwrap();
                let sent = tx.send(1).map_err(|e| e.0);
                let (received, oneshot) = (rx2.recv(), orx.recv());
                note(
                    &l,
                    format!("send {sent:?} recv {received:?} oneshot {oneshot:?}"),
                );
            });
            move || drop(guard)
        });
        h.abort();
        assert!(h.join().unwrap_err().is_cancelled());
        drop((rx, tx2, otx));
    });
    assert_eq!(*log.borrow(), ["send Err(1) recv None oneshot None"]);
}

#[test]
fn outside_any_runtime_shared_waits_block_the_thread() {
    let (tx, rx) = shared::channel::<&str>(1);
    let (otx, orx) = shared::oneshot::<&str>();
    let waiter = std::thread::spawn(move || (rx.recv(), orx.recv()));
    // Wait until the thread is queued in `recv`: an event, not a timing.
    while !format!("{tx:?}").contains("waiting_receivers: 1") {
        std::thread::yield_now();
    }
    tx.send("value").unwrap();
    otx.send("reply").unwrap();
    assert_eq!(waiter.join().unwrap(), (Some("value"), Some("reply")));
}

#[test]
fn a_remote_join_there_gives_up_at_once_and_the_job_keeps_running() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let (there, thread) = util::background_runtime();
    let log = new_log();
    let job_done = Arc::new(AtomicBool::new(false));
    corio::run(|| {
        let done = Arc::clone(&job_done);
        let remote = there.spawn(move || {
            corio::sleep(ms(30));
            done.store(true, Ordering::SeqCst);
        });
        let remote = Rc::new(RefCell::new(Some(remote)));
        let r = Rc::clone(&remote);
        let l = Rc::clone(&log);
        let victim = cancel_while_holding(move || {
            let job = r.borrow_mut().take().unwrap();
            let finished = job.is_finished();
            note(
                &l,
                format!("finished: {finished}, join in drop: {:?}", job.join()),
            );
        });
        note(&log, format!("victim {victim:?}"));
        // The job was left running on the other runtime, and finishes.
        while !job_done.load(Ordering::SeqCst) {
            corio::sleep(ms(1));
        }
    });
    assert_eq!(
        *log.borrow(),
        [
            "finished: false, join in drop: Err(Cancelled)",
            "victim Err(Cancelled)",
        ]
    );
    there.shutdown();
    thread.join().unwrap();
}

#[test]
fn block_on_there_parks_as_usual_until_a_thread_completes_the_future() {
    let log = new_log();
    corio::run(|| {
        let l = Rc::clone(&log);
        let victim = cancel_while_holding(move || {
            let (tx, rx) = futures::channel::oneshot::channel::<&str>();
            let sender = std::thread::spawn(move || {
                std::thread::sleep(ms(10));
                tx.send("cleanup value").unwrap();
            });
            note(&l, format!("block_on in drop: {:?}", corio::block_on(rx)));
            sender.join().unwrap();
        });
        note(&log, format!("victim {victim:?}"));
    });
    assert_eq!(
        *log.borrow(),
        [
            "block_on in drop: Ok(\"cleanup value\")",
            "victim Err(Cancelled)"
        ]
    );
}

#[test]
fn unblock_there_waits_for_its_job_as_usual() {
    let log = new_log();
    corio::run(|| {
        let l = Rc::clone(&log);
        let victim = cancel_while_holding(move || {
            let flushed = corio::unblock(|| {
                std::thread::sleep(ms(5));
                "flushed on the pool"
            });
            note(&l, format!("unblock in drop: {flushed}"));
        });
        note(&log, format!("victim {victim:?}"));
    });
    assert_eq!(
        *log.borrow(),
        [
            "unblock in drop: flushed on the pool",
            "victim Err(Cancelled)"
        ]
    );
}

#[test]
fn on_the_loops_own_stack_remote_join_and_block_on_do_not_wait() {
    let (there, thread) = util::background_runtime();
    let log = new_log();
    corio::run(|| {
        let l = Rc::clone(&log);
        let remote = there.spawn(|| corio::sleep(ms(30)));
        // Dropped unrun by the loop, outside any task (see above).
        let h = corio::spawn({
            let mut remote = Some(remote);
            let guard = OnDrop(move || {
                let joined = remote.take().unwrap().join();
                let inline = corio::unblock(|| std::thread::current().id());
                assert_eq!(
                    inline,
                    std::thread::current().id(),
                    "unblock runs inline there"
                );
                let ready = corio::block_on(async { "ready at once" });
                let pending =
                    util::support::caught_message(|| corio::block_on(std::future::pending::<()>()));
                note(&l, format!("{joined:?} {ready} / {pending}"));
            });
            let mut guard = Some(guard);
            move || drop(guard.take())
        });
        h.abort();
        assert!(h.join().unwrap_err().is_cancelled());
    });
    let line = log.borrow()[0].clone();
    assert!(
        line.starts_with(
            "Err(Cancelled) ready at once / corio: block_on on the event loop's own stack"
        ),
        "{line}"
    );
    there.shutdown();
    thread.join().unwrap();
}

/// SIGINT's handler as `sigaction` reports it (to see that nothing was
/// installed).
fn sigint_handler() -> libc::sighandler_t {
    // SAFETY: a zeroed sigaction is a valid value to be overwritten; a
    // null new action only queries the current one.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        assert_eq!(libc::sigaction(libc::SIGINT, std::ptr::null(), &mut old), 0);
        old.sa_sigaction
    }
}

#[test]
fn signal_waits_there_give_up_at_once_without_installing_anything() {
    use corio::signal::{Signals, ctrl_c};
    let before = sigint_handler();
    // Made (and its handler installed) outside: making one never waits.
    let mut made_before = Signals::new([libc::SIGUSR1]).unwrap();
    let got = corio::run(|| {
        let outcome = Rc::new(RefCell::new(String::new()));
        let o = Rc::clone(&outcome);
        cancel_while_holding(move || {
            let interrupted = ctrl_c().map_err(|e| e.kind());
            let received = made_before.recv();
            let fresh = Signals::new([libc::SIGUSR2]).map(|mut s| s.recv());
            *o.borrow_mut() = format!(
                "ctrl_c {interrupted:?} recv {received:?} fresh {:?}",
                fresh.map_err(|e| e.kind())
            );
        })
        .unwrap_err();
        // On the loop's own stack, likewise: a task dropped unrun.
        let o = Rc::clone(&outcome);
        let h = corio::spawn({
            let guard = OnDrop(move || {
                let interrupted = ctrl_c().map_err(|e| e.kind());
                let fresh = Signals::new([libc::SIGUSR2]).map(|mut s| s.recv());
                o.borrow_mut().push_str(&format!(
                    " / loop: ctrl_c {interrupted:?} recv {:?}",
                    fresh.map_err(|e| e.kind())
                ));
            });
            move || drop(guard)
        });
        h.abort();
        assert!(h.join().unwrap_err().is_cancelled());
        outcome.take()
    });
    assert_eq!(
        got,
        "ctrl_c Err(Other) recv None fresh Ok(None) / loop: ctrl_c Err(Other) recv Ok(None)"
    );
    assert_eq!(
        sigint_handler(),
        before,
        "ctrl_c installed no handler there"
    );
}

#[test]
fn fs_calls_there_park_as_usual_and_run_inline_on_the_loops_stack() {
    let path = std::env::temp_dir().join(format!("corio-unwinding-fs-{}", std::process::id()));
    let log = new_log();
    corio::run(|| {
        let (l, p) = (Rc::clone(&log), path.clone());
        cancel_while_holding(move || {
            corio::fs::write(&p, "cleanup state").unwrap();
            let read = corio::fs::read_to_string(&p).unwrap();
            corio::fs::remove_file(&p).unwrap();
            note(&l, format!("in a cancelled destructor: {read}"));
        })
        .unwrap_err();
        let (l, p) = (Rc::clone(&log), path.clone());
        let h = corio::spawn({
            let guard = OnDrop(move || {
                corio::fs::write(&p, "on the loop").unwrap();
                let read = corio::fs::read_to_string(&p).unwrap();
                corio::fs::remove_file(&p).unwrap();
                note(&l, format!("on the loop's stack: {read}"));
            });
            move || drop(guard)
        });
        h.abort();
        assert!(h.join().unwrap_err().is_cancelled());
    });
    assert_eq!(
        *log.borrow(),
        [
            "in a cancelled destructor: cleanup state",
            "on the loop's stack: on the loop"
        ]
    );
}

// ---- Unwinding tracked per stack.

#[test]
fn cancellation_is_sticky_for_a_task_that_swallows_it() {
    let raised = corio::run(|| {
        let count = Rc::new(Cell::new(0));
        let c = Rc::clone(&count);
        let h = corio::spawn(move || {
            for _ in 0..3 {
                let caught = std::panic::catch_unwind(|| corio::sleep(Duration::from_secs(3600)));
                if caught.as_ref().is_err_and(|p| p.is::<corio::Cancelled>()) {
                    c.set(c.get() + 1);
                }
            }
            corio::sleep(Duration::from_secs(3600)); // raised once more
        });
        corio::yield_now();
        h.abort();
        assert!(h.join().unwrap_err().is_cancelled());
        count.get()
    });
    assert_eq!(raised, 3);
}

#[test]
fn closing_a_generator_inside_a_healthy_task_unwinds_only_the_generator() {
    let log = new_log();
    corio::run(|| {
        let l = Rc::clone(&log);
        let mut g = Generator::<(), (), ()>::new(move |y, ()| {
            let _cleanup = OnDrop(move || {
                corio::sleep(ms(2)); // parks the task mid-close: allowed
                note(&l, "generator cleaned up");
            });
            y.yield_(());
        });
        g.resume(());
        g.close();
        let start = Instant::now();
        corio::sleep(ms(10)); // the task's own stack is healthy: this waits
        note(
            &log,
            format!("task slept normally: {}", start.elapsed() >= ms(10)),
        );
    });
    assert_eq!(
        *log.borrow(),
        ["generator cleaned up", "task slept normally: true"]
    );
}

#[test]
fn a_stale_mark_never_turns_sleep_or_recv_into_a_busy_loop() {
    let log = new_log();
    corio::run(|| {
        let lock = Rc::new(Mutex::new(()));
        let held = lock.lock();
        // A cancelled task parked mid-unwind keeps thread::panicking() true
        // for every stack of the thread while it waits for the lock.
        let l = Rc::clone(&lock);
        let victim = corio::spawn(move || {
            let _g = OnDrop(move || drop(l.lock()));
            corio::sleep(Duration::from_secs(3600));
        });
        corio::yield_now();
        victim.abort();
        corio::yield_now(); // it unwinds up to the lock and parks there
        assert!(std::thread::panicking(), "the victim is parked mid-unwind");
        // This stack caught a panic of its own earlier: its mark is stale.
        let _ = std::panic::catch_unwind(|| panic!("caught"));
        let (tx, rx) = channel(1);
        corio::spawn(move || {
            corio::sleep(ms(10));
            tx.send("late").unwrap();
        });
        let start = Instant::now();
        let mut sleeps = 0;
        while start.elapsed() < ms(30) {
            corio::sleep(ms(10));
            sleeps += 1;
        }
        note(&log, format!("sleeps {}", sleeps <= 4));
        note(&log, format!("recv {:?}", rx.recv()));
        drop(held);
        assert!(victim.join().unwrap_err().is_cancelled());
    });
    assert_eq!(*log.borrow(), ["sleeps true", "recv Some(\"late\")"]);
}

/// Parks a task mid-unwind on `lock` (held by the caller): from then on
/// `thread::panicking()` is true on every stack of the thread, until the
/// lock is released and that task finishes unwinding.
fn park_one_mid_unwind(lock: &Rc<Mutex<()>>) -> corio::JoinHandle<()> {
    let l = Rc::clone(lock);
    let paused = corio::spawn(move || {
        let _g = OnDrop(move || drop(l.lock()));
        corio::sleep(Duration::from_secs(3600));
    });
    corio::yield_now();
    paused.abort();
    corio::yield_now(); // it unwinds up to the lock and parks there
    assert!(std::thread::panicking(), "a task is parked mid-unwind");
    paused
}

#[test]
fn a_cancel_skipped_while_another_stack_unwinds_is_raised_once_it_finishes() {
    let _watchdog = util::watchdog("a_cancel_skipped_while_another_stack_unwinds");
    let log = new_log();
    corio::run(|| {
        let lock = Rc::new(Mutex::new(()));
        let held = lock.lock();
        let paused = park_one_mid_unwind(&lock);
        // The target caught a panic of its own (its stack keeps a stale
        // "may unwind" mark), then parks for an hour.
        let lg = Rc::clone(&log);
        let target = corio::spawn(move || {
            let _ = std::panic::catch_unwind(|| panic!("caught"));
            let _g = OnDrop(move || note(&lg, "target unwound"));
            corio::sleep(Duration::from_secs(3600));
        });
        corio::yield_now(); // it catches and parks
        // Cancelled while the other stack is paused mid-unwind: corio
        // cannot raise into a stack that may be unwinding, so it waits...
        target.abort();
        corio::yield_now();
        // ... until no stack unwinds any more: then the cancel is raised.
        drop(held);
        assert!(paused.join().unwrap_err().is_cancelled());
        note(
            &log,
            format!("target {:?}", target.join().map_err(|e| e.is_cancelled())),
        );
    });
    assert_eq!(*log.borrow(), ["target unwound", "target Err(true)"]);
}

#[test]
fn a_deadline_skipped_while_another_stack_unwinds_fires_once_it_finishes() {
    let _watchdog = util::watchdog("a_deadline_skipped_while_another_stack_unwinds");
    let log = new_log();
    corio::run(|| {
        let lock = Rc::new(Mutex::new(()));
        let held = lock.lock();
        let paused = park_one_mid_unwind(&lock);
        let lg = Rc::clone(&log);
        let (entered_tx, entered) = channel(1);
        let target = corio::spawn(move || {
            let _ = std::panic::catch_unwind(|| panic!("caught"));
            let timed = corio::timeout(ms(10), || {
                entered_tx.try_send(()).unwrap();
                corio::sleep(Duration::from_secs(3600))
            });
            note(&lg, format!("timeout {timed:?}"));
        });
        // The target's deadline passes (and is skipped) while this task
        // sleeps longer, the other stack still paused mid-unwind. (The
        // wait for `entered` keeps the slow print of the caught panic's
        // backtrace from reordering the two.)
        entered.recv().unwrap();
        corio::sleep(ms(100));
        drop(held);
        assert!(paused.join().unwrap_err().is_cancelled());
        target.join().unwrap();
    });
    assert_eq!(*log.borrow(), ["timeout Err(Elapsed(()))"]);
}

/// A panic caught while no stack of the thread unwound leaves a mark that
/// the task's next park clears: a later cancel, made while another stack
/// is paused mid-unwind, is raised at once. (Before, the old mark read as
/// live, the cancel waited for the other stack, which waited for `held`,
/// which this task holds until the join: a deadlock.)
#[test]
fn a_panic_caught_before_any_stack_unwinds_does_not_hold_back_a_later_cancel() {
    let _watchdog = util::watchdog("a_panic_caught_before_any_stack_unwinds");
    let log = new_log();
    corio::run(|| {
        let lg = Rc::clone(&log);
        let target = corio::spawn(move || {
            let _ = std::panic::catch_unwind(|| panic!("caught before anything unwinds"));
            let _g = OnDrop(move || note(&lg, "target unwound"));
            corio::sleep(Duration::from_secs(3600));
        });
        corio::yield_now(); // it catches and parks; no stack unwinds yet
        let lock = Rc::new(Mutex::new(()));
        let held = lock.lock();
        let paused = park_one_mid_unwind(&lock);
        target.abort();
        note(
            &log,
            format!("target {:?}", target.join().map_err(|e| e.is_cancelled())),
        );
        drop(held);
        assert!(paused.join().unwrap_err().is_cancelled());
    });
    assert_eq!(*log.borrow(), ["target unwound", "target Err(true)"]);
}

/// The same for a generator's yield: a body that caught a panic while no
/// stack unwound, then parked, may yield while another stack is paused
/// mid-unwind. (Before, the old mark made the yield look like one from a
/// destructor during unwinding, and it was refused with a panic.)
#[test]
fn a_generator_that_caught_a_panic_before_any_stack_unwound_yields_while_one_does() {
    let _watchdog = util::watchdog("a_generator_that_caught_a_panic_before");
    corio::run(|| {
        let go = Rc::new(Event::new());
        let g = Rc::clone(&go);
        let target = corio::spawn(move || {
            let mut body = Generator::new(move |y: &corio::Yielder<(), u32>, _: ()| {
                let _ = std::panic::catch_unwind(|| panic!("caught before anything unwinds"));
                g.wait(); // parks; no stack unwinds yet
                y.yield_(1);
            });
            matches!(body.resume(()), corio::GeneratorState::Yielded(1))
        });
        corio::yield_now(); // it catches and parks on `go`
        let lock = Rc::new(Mutex::new(()));
        let held = lock.lock();
        let paused = park_one_mid_unwind(&lock);
        go.set(); // it yields while `paused` is mid-unwind
        assert!(target.join().expect("the yield is not refused"));
        drop(held);
        assert!(paused.join().unwrap_err().is_cancelled());
    });
}

#[test]
fn aborting_a_task_paused_mid_unwind_does_nothing_more() {
    let log = new_log();
    corio::run(|| {
        let lock = Rc::new(Mutex::new(()));
        let held = lock.lock();
        let (l, lg) = (Rc::clone(&lock), Rc::clone(&log));
        let victim = corio::spawn(move || {
            let _g = OnDrop(move || {
                drop(l.lock());
                note(&lg, "victim finished unwinding");
            });
            corio::sleep(Duration::from_secs(3600));
        });
        corio::yield_now();
        victim.abort();
        corio::yield_now(); // parked mid-unwind on the lock
        victim.abort(); // must not raise into the paused destructor
        corio::yield_now();
        drop(held);
        assert!(victim.join().unwrap_err().is_cancelled());
    });
    assert_eq!(*log.borrow(), ["victim finished unwinding"]);
}

#[test]
fn runs_end_waits_for_a_task_parked_mid_unwind() {
    let log = new_log();
    corio::run(|| {
        let lock = Rc::new(Mutex::new(()));
        // Cancelled first at the end of run, this one parks mid-unwind on
        // the lock ...
        let (l, lg) = (Rc::clone(&lock), Rc::clone(&log));
        corio::spawn(move || {
            let _g = OnDrop(move || {
                drop(l.lock());
                note(&lg, "cleanup under the lock done");
            });
            corio::sleep(Duration::from_secs(3600));
        });
        // ... which this one holds until its own cancellation unwinds it.
        let l = Rc::clone(&lock);
        corio::spawn(move || {
            let _held = l.lock();
            corio::sleep(Duration::from_secs(3600));
        });
        corio::yield_now(); // both start and park
    });
    assert_eq!(*log.borrow(), ["cleanup under the lock done"]);
}

// ---- Fairness and messages.

#[test]
fn a_task_that_never_parks_still_lets_others_run() {
    let (others_ran, sent) = corio::run(|| {
        let ticks = Rc::new(Cell::new(0u32));
        let t = Rc::clone(&ticks);
        corio::spawn(move || {
            loop {
                t.set(t.get() + 1);
                corio::yield_now();
            }
        });
        let (tx, rx) = channel(10_000);
        for n in 0..1_000 {
            tx.send(n).unwrap(); // never full: never parks
        }
        drop(rx);
        (ticks.get(), 1_000)
    });
    assert!(
        others_ran >= 1,
        "the sender's budget ran out and it yielded"
    );
    assert_eq!(sent, 1_000);
}

#[test]
fn misuse_panics_name_the_call_that_was_misused() {
    let gather = util::expect_panic(|| corio::gather(vec![|| 1]));
    assert!(gather.contains("corio::gather needs a runtime"), "{gather}");
    let select = util::expect_panic(|| corio::select(|| 1, || 2));
    assert!(select.contains("corio::select needs a runtime"), "{select}");
    let timeout = util::expect_panic(|| corio::timeout(ms(1), || ()));
    assert!(
        timeout.contains("corio::timeout needs a runtime"),
        "{timeout}"
    );
}

#[test]
fn a_scope_child_closing_the_generator_that_owns_the_scope_is_named() {
    let ended = run_limited("scope_child_closes_its_generator");
    assert_eq!(ended.signal, Some(util::SIGABRT), "{ended:#?}");
    assert!(
        ended
            .stderr
            .contains("resumed, closed or dropped the generator that owns that scope"),
        "{ended:#?}"
    );
}

#[test]
fn a_gather_in_a_destructor_finishes_even_when_run_ends_meanwhile() {
    let log = new_log();
    corio::run(|| {
        let l = Rc::clone(&log);
        let h = corio::spawn(move || {
            let _flush = OnDrop(move || {
                let done = corio::gather(vec![|| {
                    corio::sleep(ms(50));
                    "flushed"
                }]);
                note(&l, format!("{done:?}"));
            });
            corio::sleep(Duration::from_secs(3600));
        });
        corio::yield_now();
        h.abort(); // its destructor's gather outlives main
        corio::sleep(ms(10));
    });
    assert_eq!(*log.borrow(), ["[\"flushed\"]"]);
}

#[test]
fn a_cancellation_raised_inside_a_generator_leaves_its_resumer_cancel_unwinding() {
    let log = new_log();
    corio::run(|| {
        let l = Rc::clone(&log);
        let h = corio::spawn(move || {
            // On the task's own stack, below the generator.
            let _cleanup = OnDrop(move || {
                corio::sleep(Duration::from_secs(3600)); // returns at once
                note(&l, "task cleanup ran");
            });
            let mut g = Generator::<(), (), ()>::new(|_, ()| {
                corio::sleep(Duration::from_secs(3600)); // cancelled here
            });
            g.resume(());
        });
        corio::yield_now(); // it runs until the generator parks it
        h.abort();
        assert!(h.join().unwrap_err().is_cancelled());
        // The same through a deadline.
        let l = Rc::clone(&log);
        let outcome = corio::timeout(ms(5), move || {
            let _cleanup = OnDrop(move || {
                corio::sleep(Duration::from_secs(3600));
                note(&l, "timeout cleanup ran");
            });
            let mut g = Generator::<(), (), ()>::new(|_, ()| {
                corio::sleep(Duration::from_secs(3600));
            });
            g.resume(());
        });
        assert!(outcome.is_err());
    });
    assert_eq!(*log.borrow(), ["task cleanup ran", "timeout cleanup ran"]);
}

#[test]
fn a_generator_run_by_a_cancelled_destructor_shares_its_outcomes() {
    let got = corio::run(|| {
        let out = Rc::new(RefCell::new(Vec::new()));
        let o = Rc::clone(&out);
        cancel_while_holding(move || {
            // Its sleeps return at once, as the destructor's own would.
            let items: Vec<u32> = corio::r#gen(|y| {
                for i in 0..3 {
                    corio::sleep(Duration::from_secs(3600));
                    y.yield_(i);
                }
            })
            .collect();
            o.borrow_mut().extend(items);
        })
        .unwrap_err();
        out.take()
    });
    assert_eq!(got, [0, 1, 2]);
}
