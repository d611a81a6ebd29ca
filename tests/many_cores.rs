//! `corio::Builder`: one loop per thread, which thread each is, every
//! loop's handle, a panic on one loop stopping the others, pinning, the
//! default stack size, and `SO_REUSEPORT` listeners spreading connections
//! over the loops.

mod util;

use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use corio::net::{TcpListener, TcpStream, UdpSocket};
use corio::sync::shared;
use corio::{Builder, Generator, GeneratorState};

#[test]
fn main_runs_once_per_thread_in_order_each_on_its_own_thread() {
    let caller = std::thread::current().id();
    let seen = Builder::new().threads(3).run(|| {
        (
            corio::thread_index(),
            corio::thread_count(),
            std::thread::current().id(),
            std::thread::current().name().map(str::to_owned),
        )
    });
    let indexes: Vec<_> = seen.iter().map(|s| (s.0, s.1)).collect();
    assert_eq!(indexes, [(0, 3), (1, 3), (2, 3)]);
    let mut threads: Vec<_> = seen.iter().map(|s| s.2).collect();
    threads.dedup();
    assert_eq!(threads.len(), 3, "three different threads");
    assert!(!threads.contains(&caller), "run starts threads of its own");
    let names: Vec<_> = seen.iter().map(|s| s.3.clone().unwrap()).collect();
    assert_eq!(names, ["corio-0", "corio-1", "corio-2"]);
}

#[test]
fn threads_zero_starts_one_loop_per_available_core() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let seen = Builder::new().threads(0).run(corio::thread_index);
    assert_eq!(seen, (0..cores).collect::<Vec<_>>());
}

#[test]
fn a_plain_run_is_thread_zero_of_one_with_its_own_handle() {
    let caller = std::thread::current().id();
    let (index, count, handles, ran_on) = corio::run(|| {
        let handles = corio::handles();
        let ran_on = handles[0]
            .spawn(|| std::thread::current().id())
            .join()
            .unwrap();
        (
            corio::thread_index(),
            corio::thread_count(),
            handles.len(),
            ran_on,
        )
    });
    assert_eq!((index, count, handles), (0, 1, 1));
    assert_eq!(ran_on, caller);
    assert_eq!(Builder::new().run_local(corio::thread_count), 1);
}

#[test]
fn outside_any_runtime_the_thread_functions_panic() {
    for (what, message) in [
        ("thread_index", util::expect_panic(corio::thread_index)),
        ("thread_count", util::expect_panic(corio::thread_count)),
        ("handles", util::expect_panic(corio::handles)),
    ] {
        assert!(
            message.contains(&format!("corio::{what} needs a runtime")),
            "{message}"
        );
    }
}

#[test]
fn builder_run_inside_a_runtime_is_refused() {
    let message = corio::run(|| util::expect_panic(|| Builder::new().threads(2).run(|| ())));
    assert!(message.contains("inside a runtime"), "{message}");
}

#[test]
fn handles_reach_every_loop_in_thread_order() {
    // Each loop asks every loop (itself included) which thread it is, and
    // loop 0 sends a count of messages to loop 1 through loop 1's handle.
    const MESSAGES: usize = 100;
    let (tx, rx) = shared::channel::<usize>(4);
    let (done_tx, done_rx) = shared::channel::<()>(1);
    let results = Builder::new().threads(2).run(|| {
        let me = corio::thread_index();
        let handles = corio::handles();
        let answers: Vec<usize> = handles
            .iter()
            .map(|h| h.spawn(corio::thread_index).join().unwrap())
            .collect();
        let received = if me == 0 {
            for i in 0..MESSAGES {
                let tx = tx.clone();
                // A task on loop 1, which sends through the shared channel.
                handles[1]
                    .spawn(move || tx.send(i).unwrap())
                    .join()
                    .unwrap();
            }
            // Loop 1 received them all; now it may end.
            done_rx.recv().unwrap();
            Vec::new()
        } else {
            let got: Vec<usize> = (0..MESSAGES).map(|_| rx.recv().unwrap()).collect();
            done_tx.send(()).unwrap();
            got
        };
        (answers, received)
    });
    assert_eq!(results[0].0, [0, 1]);
    assert_eq!(results[1].0, [0, 1]);
    assert_eq!(results[1].1, (0..MESSAGES).collect::<Vec<_>>());
}

#[test]
fn handles_of_ended_loops_stay_usable_and_say_so() {
    let handles = Builder::new().threads(2).run(corio::handles);
    for h in handles.iter().flatten() {
        assert!(h.is_closed());
        assert!(h.spawn(|| 1).join().unwrap_err().is_cancelled());
    }
}

/// The payload the panicking loop raises.
#[derive(Debug, PartialEq)]
struct Boom(usize);

/// Sets its flag when dropped: the loop that never ends on its own was
/// unwound.
struct Unwound<'a>(&'a AtomicBool);

impl Drop for Unwound<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn a_panic_on_one_loop_stops_the_others_and_run_raises_it() {
    for panicking in [0, 1] {
        let unwound = [AtomicBool::new(false), AtomicBool::new(false)];
        let (ready_tx, ready_rx) = shared::channel::<()>(1);
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            Builder::new().threads(2).run(|| {
                let me = corio::thread_index();
                let _guard = Unwound(&unwound[me]);
                if me == panicking {
                    // Only once the other loop is in its endless loop.
                    ready_rx.recv().unwrap();
                    panic::panic_any(Boom(me));
                }
                ready_tx.send(()).unwrap();
                loop {
                    corio::sleep(Duration::from_millis(5));
                }
            })
        }));
        let payload = outcome.expect_err("run re-raises the panic");
        assert_eq!(payload.downcast_ref::<Boom>(), Some(&Boom(panicking)));
        assert!(unwound[0].load(Ordering::SeqCst) && unwound[1].load(Ordering::SeqCst));
    }
}

#[test]
fn a_loops_panic_stops_the_others_before_its_own_teardown_waits_on_them() {
    let _watchdog = util::watchdog("a_loops_panic_stops_the_others_before_its_own_teardown");
    // Loop 1's main holds the only sender until it ends; loop 0's teardown
    // (the destructor of a task cancelled when its runtime ends) waits for
    // the channel to close. So loop 0's teardown ends only once loop 1 has
    // been shut down: the group must hear of loop 0's panic before it.
    let (tx, rx) = shared::channel::<()>(1);
    let (tx, rx) = (Mutex::new(Some(tx)), Mutex::new(Some(rx)));
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        Builder::new().threads(2).run(|| {
            if corio::thread_index() == 1 {
                let _sender = tx.lock().unwrap().take();
                corio::sleep(Duration::from_secs(3600));
                return;
            }
            let mut rx = rx.lock().unwrap().take();
            corio::spawn(move || {
                let _teardown = util::support::OnDrop(move || {
                    if let Some(rx) = rx.take() {
                        assert_eq!(corio::unblock(move || rx.recv()), None);
                    }
                });
                corio::sleep(Duration::from_secs(3600));
            });
            corio::yield_now(); // it parks in its sleep
            panic::panic_any(Boom(0));
        })
    }));
    let payload = outcome.expect_err("run re-raises loop 0's panic");
    assert_eq!(payload.downcast_ref::<Boom>(), Some(&Boom(0)));
}

#[test]
fn a_loop_that_ends_early_does_not_stop_the_others() {
    // Loop 0 returns at once; loop 1 goes on after loop 0 has ended (if
    // that end stopped it, `run` would raise its cancellation instead).
    let results = Builder::new().threads(2).run(|| {
        if corio::thread_index() == 0 {
            return "returned at once";
        }
        while !corio::handles()[0].is_closed() {
            corio::sleep(Duration::from_millis(1));
        }
        corio::sleep(Duration::from_millis(1)); // still alive: parks and wakes
        "outlived loop 0"
    });
    assert_eq!(results, ["returned at once", "outlived loop 0"]);
}

/// The CPUs the calling thread may run on, read with `sched_getaffinity`.
fn affinity() -> Vec<usize> {
    // SAFETY: `cpu_set_t` is a plain bit array, valid when zeroed.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is valid for writes of the size passed; pid 0 is the
    // calling thread.
    let status = unsafe { libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set) };
    assert_eq!(status, 0, "{}", std::io::Error::last_os_error());
    (0..8 * size_of::<libc::cpu_set_t>())
        // SAFETY: every index is below the set's bit capacity.
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .collect()
}

#[test]
fn pinned_loops_each_run_on_one_cpu_of_the_process() {
    let allowed = affinity();
    assert!(!allowed.is_empty());
    // Three loops: on a machine with fewer allowed CPUs the wrap-around
    // is checked too (with a single CPU, every loop is pinned to it,
    // which is what can be checked there).
    let seen = Builder::new()
        .threads(3)
        .pin_threads(true)
        .run(|| (corio::thread_index(), affinity()));
    for (index, cpus) in seen {
        assert_eq!(cpus, [allowed[index % allowed.len()]], "loop {index}");
    }
    // Without pinning, each loop keeps the process's whole set.
    let unpinned = Builder::new().threads(2).run(affinity);
    assert_eq!(unpinned, [allowed.clone(), allowed]);
}

/// Recursion whose frames the optimizer can neither fold nor shrink:
/// about 100 bytes and up per level.
#[inline(never)]
fn deep(n: u64) -> u64 {
    let frame = std::hint::black_box([n; 8]);
    if n == 0 {
        return 0;
    }
    1 + std::hint::black_box(deep as fn(u64) -> u64)(n - 1) + frame[7] - n
}

/// Live stacks of this thread's default-size pool.
fn default_stacks_live() -> usize {
    let (carved, free) = corio::stack::default_pool_counts();
    carved - free
}

#[test]
fn the_builder_stack_size_applies_to_tasks_scopes_generators_and_main() {
    // 20,000 levels take well over 2 MiB: far beyond the default 256 KiB
    // (where this would overflow and abort the process), inside 16 MiB.
    const LEVELS: u64 = 20_000;
    let results = Builder::new().threads(2).stack_size(16 << 20).run(|| {
        let before = default_stacks_live();
        let task = corio::spawn(|| (default_stacks_live(), deep(LEVELS)));
        let (during_task, task_depth) = task.join().unwrap();
        let scoped = corio::scope(|s| s.spawn(|| deep(LEVELS)).join().unwrap());
        let mut g = Generator::<(), (), u64>::new(|_, ()| deep(LEVELS));
        let generator = match g.resume(()) {
            GeneratorState::Complete(d) => d,
            GeneratorState::Yielded(()) => unreachable!("the body does not yield"),
        };
        let main = deep(LEVELS);
        // No stack of the default pool was taken by any of them.
        (before, during_task, [task_depth, scoped, generator, main])
    });
    for (before, during_task, depths) in results {
        assert_eq!((before, during_task), (0, 0));
        assert_eq!(depths, [LEVELS; 4]);
    }
    // Without the option, a task takes a default-size stack.
    let during = corio::run(|| {
        let before = default_stacks_live();
        corio::spawn(move || default_stacks_live() - before)
            .join()
            .unwrap()
    });
    assert_eq!(during, 1);
    // run_local applies it too; outside any runtime the default holds.
    let local = Builder::new()
        .stack_size(16 << 20)
        .run_local(|| (default_stacks_live(), deep(LEVELS)));
    assert_eq!(local, (0, LEVELS));
    let before = default_stacks_live();
    let g = Generator::<(), (), ()>::new(|_, ()| {});
    assert_eq!(default_stacks_live(), before + 1);
    drop(g);
}

/// Raises this process's soft descriptor limit toward `wanted`, as far
/// as the hard limit allows: the spread test holds two descriptors per
/// connection, beyond the 1024 many systems start with.
fn raise_fd_limit(wanted: u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is valid for writes.
    assert_eq!(
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) },
        0
    );
    if limit.rlim_cur < wanted {
        limit.rlim_cur = wanted.min(limit.rlim_max);
        // SAFETY: `limit` is valid for reads.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) }, 0);
    }
}

/// Accepts until told to stop, answering each connection's line with the
/// loop's index; returns how many connections this loop served.
fn serve_until_stopped(listener: TcpListener, stop: &shared::Receiver<()>) -> usize {
    let served = Rc::new(Cell::new(0));
    let counter = served.clone();
    let accept = move || {
        loop {
            let Ok((stream, _)) = listener.accept() else {
                continue; // not expected on loopback; the test's counts tell
            };
            counter.set(counter.get() + 1);
            corio::spawn(move || {
                let mut line = String::new();
                if BufReader::new(&stream).read_line(&mut line).is_ok() {
                    let _ = writeln!(&stream, "{}", corio::thread_index());
                    // Held open until the client closes.
                    let _ = BufReader::new(&stream).read_line(&mut line);
                }
            });
        }
    };
    let _ = corio::select(accept, || stop.recv());
    served.get()
}

#[test]
fn two_loops_share_a_thousand_connections_over_reuseport_listeners() {
    let clients = util::scaled(1000);
    raise_fd_limit(4 * clients as u64 + 256);
    // Bound before the loops start (outside any runtime), so the port is
    // known; each loop takes its own.
    let first = TcpListener::bind_reuseport("127.0.0.1:0").unwrap();
    let addr = first.local_addr().unwrap();
    let second = TcpListener::bind_reuseport(addr).unwrap();
    assert_eq!(second.local_addr().unwrap(), addr);
    // A socket without SO_REUSEPORT cannot join them.
    assert_eq!(
        corio::run(|| TcpListener::bind(addr).unwrap_err().kind()),
        std::io::ErrorKind::AddrInUse
    );
    let listeners = [Mutex::new(Some(first)), Mutex::new(Some(second))];
    let (stop_tx, stop_rx) = shared::channel::<()>(2);

    let client_side = std::thread::spawn(move || {
        let tally = corio::run(move || connect_all(addr, clients));
        // Both loops may stop now.
        stop_tx.send(()).unwrap();
        stop_tx.send(()).unwrap();
        tally
    });
    let served = Builder::new().threads(2).run(|| {
        let listener = listeners[corio::thread_index()]
            .lock()
            .unwrap()
            .take()
            .unwrap();
        serve_until_stopped(listener, &stop_rx)
    });
    let tally = client_side.join().unwrap();
    assert_eq!(served.iter().sum::<usize>(), clients);
    // The kernel hashes each connection's 4-tuple to one listener: with a
    // thousand connections (a hundred under valgrind), both get some with
    // overwhelming probability (a miss is about 2^-99 at worst).
    assert!(served.iter().all(|&n| n > 0), "{served:?}");
    // Each client was answered by the loop that accepted it.
    let by_loop: Vec<usize> = (0..2).map(|i| *tally.get(&i).unwrap_or(&0)).collect();
    assert_eq!(by_loop, served);
}

/// Opens `clients` connections at once, each sending a line and reading
/// the serving loop's index; all stay open until every one is answered.
fn connect_all(addr: SocketAddr, clients: usize) -> BTreeMap<usize, usize> {
    let all_answered = Rc::new(corio::sync::Event::new());
    let answered = Rc::new(Cell::new(0));
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let all_answered = all_answered.clone();
            let answered = answered.clone();
            corio::spawn(move || {
                let stream = TcpStream::connect(addr).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(30)))
                    .unwrap();
                writeln!(&stream, "which loop?").unwrap();
                let mut line = String::new();
                BufReader::new(&stream).read_line(&mut line).unwrap();
                answered.set(answered.get() + 1);
                if answered.get() == clients {
                    all_answered.set();
                }
                all_answered.wait(); // every connection is open at this point
                line.trim().parse::<usize>().unwrap()
            })
        })
        .collect();
    let mut tally = BTreeMap::new();
    for task in tasks {
        *tally.entry(task.join().unwrap()).or_insert(0) += 1;
    }
    tally
}

#[test]
fn reuseport_udp_sockets_share_a_port_and_its_datagrams() {
    let senders = util::scaled(200).max(40);
    let got = corio::run(|| {
        let first = UdpSocket::bind_reuseport("127.0.0.1:0").unwrap();
        let addr = first.local_addr().unwrap();
        let second = UdpSocket::bind_reuseport(addr).unwrap();
        assert_eq!(
            UdpSocket::bind(addr).unwrap_err().kind(),
            std::io::ErrorKind::AddrInUse
        );
        // Each sender is its own socket (its own source port), so the
        // kernel's hash picks a receiver per sender.
        for _ in 0..senders {
            let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
            sender.send_to(b"x", addr).unwrap();
        }
        // One receiving task per socket, counting; main waits until all
        // arrived (the receivers are cancelled as `run` ends).
        let counts = Rc::new([Cell::new(0usize), Cell::new(0usize)]);
        for (i, socket) in [first, second].into_iter().enumerate() {
            let counts = counts.clone();
            corio::spawn(move || {
                let mut buf = [0; 8];
                while socket.recv_from(&mut buf).is_ok() {
                    counts[i].set(counts[i].get() + 1);
                }
            });
        }
        while counts.iter().map(Cell::get).sum::<usize>() < senders {
            corio::sleep(Duration::from_millis(1));
        }
        [counts[0].get(), counts[1].get()]
    });
    assert_eq!(got.iter().sum::<usize>(), senders);
    assert!(got.iter().all(|&n| n > 0), "{got:?}");
}
