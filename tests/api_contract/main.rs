//! The public API contract of /work/shared/DESIGN.md, compiled: every name
//! that exists in the crate today appears here with its signature (argument
//! and return types, generic bounds, trait impls), so renaming one or
//! changing a signature fails to build this file, and CI with it.
//!
//! Each later change of the public surface extends it: a new public name
//! gets its line, in the file of its area (a module each, below), in the
//! same change that adds it.
//!
//! Functions are pinned by coercing them to `fn` pointer types; generic
//! functions by a wrapper with the bounds the contract promises, whose body
//! must compile against the real one; traits by `assert_impl` helpers. The
//! test at the end runs a small program through the same names so this is a
//! test with assertions, not only a compile check.

// Spelling out whole signatures is the point of this file.
#![allow(clippy::type_complexity)]
// The areas' wrappers exist to pin signatures; the test below calls some.
#![allow(dead_code)]

use std::fmt::{Debug, Display};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsFd, AsRawFd};
use std::time::{Duration, Instant};

use corio::io::Registered;
use corio::net::{
    Incoming, TcpListener, TcpStream, ToSocketAddrs, UdpSocket, UnixDatagram, UnixIncoming,
    UnixListener, UnixStream,
};
use corio::stack::GuardKind;
use corio::sync::{
    Event, Mutex, MutexGuard, Receiver, Semaphore, SemaphorePermit, SendError, Sender,
    TryRecvError, TrySendError,
};
use corio::{
    AccessError, Cancelled, Either, Elapsed, Generator, GeneratorState, JoinError, JoinHandle,
    LocalKey, Scope, ScopedJoinHandle, Status, Yielder,
};

fn assert_impl<T: ?Sized>() {}
fn assert_debug<T: Debug + ?Sized>() {}
fn assert_error<T: std::error::Error + Display + Debug>() {}
fn assert_read_write<T: Read + Write>() {}
fn assert_fd<T: AsFd + AsRawFd>() {}
fn assert_iterator<I: Iterator<Item = T>, T>() {}

mod files;
mod generators;
mod many_cores;
mod net;
mod process;
mod registered;
mod runtime;
mod seeing_inside;
mod shared_sync;
mod signals;
mod stack_and_trace;
mod sync;
mod task_locals;
mod threads;
mod unix;
#[cfg(feature = "ureq")]
mod ureq_feature;
mod virtual_time;

#[test]
fn the_contract_compiles_and_its_names_work_together() {
    generators::methods();
    runtime::functions();
    task_locals::items();
    net::methods();
    unix::methods();
    registered::methods();
    sync::methods();
    stack_and_trace::items();
    seeing_inside::items();
    #[cfg(feature = "ureq")]
    ureq_feature::items();
    threads::items();
    shared_sync::items();
    files::methods();
    signals::items();
    process::items();
    many_cores::items();
    virtual_time::items();

    // The DESIGN.md generator example, through the pinned wrappers.
    let mut g = generators::new(|y: &Yielder<i32, u64>, first: i32| -> &'static str {
        let mut total = first as u64;
        loop {
            let next = y.yield_(total);
            if next < 0 {
                return "done";
            }
            total += next as u64;
        }
    });
    assert_eq!(g.resume(1), GeneratorState::Yielded(1));
    assert_eq!(g.resume(2), GeneratorState::Yielded(3));
    assert_eq!(g.resume(-1), GeneratorState::Complete("done"));
    assert_eq!(g.status(), Status::Complete);

    let mut outer = generators::with_stack_size(64 * 1024, |y: &Yielder<(), u8>, ()| {
        let inner = generators::r#gen(|y| y.yield_(1u8));
        generators::yield_from(y, inner);
        y.yield_(2);
    });
    assert_eq!(outer.resume(()), GeneratorState::Yielded(1));
    assert_eq!(outer.resume(()), GeneratorState::Yielded(2));
    outer.close();
    assert_eq!(outer.status(), Status::Complete);

    // The DESIGN.md runtime tour, through the pinned wrappers.
    let local = [1, 2, 3];
    let (v, all, late, sum, raced, selected) = runtime::run(|| {
        let h = runtime::spawn(|| {
            corio::sleep(Duration::from_millis(1));
            7
        });
        let v = h.join().unwrap();
        let all = runtime::gather(vec![|| 1, || 2, || 3]);
        let late = runtime::timeout(Duration::from_millis(5), || {
            corio::sleep(Duration::from_secs(60))
        })
        .is_err();
        let sum = runtime::scope(|s| {
            runtime::scope_spawn(s, || local.iter().sum::<i32>())
                .join()
                .unwrap()
        });
        let raced = runtime::race(vec![
            Box::new(|| {
                corio::sleep(Duration::from_secs(60));
                "slow"
            }) as Box<dyn FnOnce() -> &'static str>,
            Box::new(|| "fast"),
        ]);
        let selected = runtime::select(|| corio::sleep(Duration::from_secs(60)), || 'b');
        let (a, b) = runtime::join(|| 'a', corio::yield_now);
        assert_eq!((a, b), ('a', ()));
        (v, all, late, sum, raced, selected)
    });
    // Beyond one thread, through the pinned wrappers: a plain thread
    // spawns onto the runtime and blocks for the result.
    let from_thread = runtime::run(|| {
        let handle = corio::handle();
        let remote = std::thread::spawn(move || threads::handle_spawn(&handle, || 40))
            .join()
            .unwrap();
        threads::block_on(remote).unwrap() + threads::block_on(async { 1 }) + threads::unblock(|| 1)
    });
    assert_eq!(from_thread, 42);
    // Many cores, through the pinned wrappers: two loops, each with a
    // listener on one port, each telling which thread it is.
    let mut builder = corio::Builder::new();
    builder.threads(2).stack_size(512 * 1024).pin_threads(false);
    let port = std::sync::OnceLock::new();
    let seen = many_cores::run(&builder, || {
        let first = many_cores::bind_reuseport("127.0.0.1:0").unwrap();
        let listener_port = first.local_addr().unwrap().port();
        let _ = port.set(listener_port); // one loop wins; the other binds beside it
        let beside = many_cores::bind_reuseport(("127.0.0.1", *port.get().unwrap())).unwrap();
        let udp = many_cores::udp_bind_reuseport("127.0.0.1:0").unwrap();
        drop((beside, udp));
        (
            corio::thread_index(),
            corio::thread_count(),
            corio::handles().len(),
        )
    });
    assert_eq!(seen, [(0, 2, 2), (1, 2, 2)]);
    assert_eq!(many_cores::run_local(&builder, corio::thread_count), 1);

    // A shared channel and a oneshot between a plain thread and a task.
    let (tx, rx) = corio::sync::shared::channel(1);
    let (reply, answer) = corio::sync::shared::oneshot();
    let asker = std::thread::spawn(move || {
        tx.send(20).unwrap();
        answer.recv()
    });
    runtime::run(move || {
        let n: u8 = rx.recv().unwrap();
        reply.send(n + 1).unwrap();
    });
    assert_eq!(asker.join().unwrap(), Some(21));

    assert_eq!(v, 7);
    assert_eq!(all, [1, 2, 3]);
    assert!(late);
    assert_eq!(sum, 6);
    assert_eq!(raced, (1, "fast"));
    assert_eq!(selected, Either::Right('b'));

    // Each task sees its own task-local values.
    assert_eq!(
        task_locals::program(),
        [
            (1, vec!["task 1".to_string()]),
            (2, vec!["task 2".to_string()])
        ]
    );

    // A socket round trip and a channel through the pinned names.
    let echoed = runtime::run(|| -> io::Result<Vec<u8>> {
        let listener = net::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let server = runtime::spawn(move || -> io::Result<()> {
            let (mut stream, _) = listener.accept()?;
            let mut buf = [0; 5];
            stream.read_exact(&mut buf)?;
            (&stream).write_all(&buf)
        });
        let mut client = net::connect(addr)?;
        client.write_all(b"hello")?;
        let mut back = vec![0; 5];
        client.read_exact(&mut back)?;
        server.join().unwrap()?;

        let (tx, rx) = corio::sync::channel(1);
        runtime::spawn(move || tx.send(back).unwrap());
        Ok(rx.recv().expect("one message"))
    })
    .unwrap();
    assert_eq!(echoed, b"hello");

    // Unix sockets and a registered pipe through the pinned names.
    let path = std::env::temp_dir().join(format!("corio-contract-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let (unix_echo, piped) = runtime::run(|| -> io::Result<(Vec<u8>, String)> {
        let listener = unix::bind(&path)?;
        let server = runtime::spawn(move || -> io::Result<u64> {
            let (stream, _) = listener.accept()?;
            io::copy(&mut &stream, &mut &stream)
        });
        let mut client = unix::connect(&path)?;
        client.write_all(b"unix")?;
        client.shutdown(Shutdown::Write)?;
        let mut back = Vec::new();
        client.read_to_end(&mut back)?;
        assert_eq!(server.join().unwrap()?, 4);

        let (reader, writer) = io::pipe()?;
        let (reader, writer) = (registered::new(reader)?, registered::new(writer)?);
        registered::write_with(&writer, |mut w| w.write(b"piped"))?;
        drop(writer);
        let mut text = String::new();
        registered::read_with(&reader, |mut r| r.read_to_string(&mut text))?;
        Ok((back, text))
    })
    .unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(
        (unix_echo.as_slice(), piped.as_str()),
        (&b"unix"[..], "piped")
    );

    // A child process through the pinned names.
    let (through_cat, code) = runtime::run(process::program).unwrap();
    assert_eq!(
        (through_cat.as_slice(), code),
        (&b"through cat"[..], Some(6))
    );

    // Files through the pinned names.
    let dir = std::env::temp_dir().join(format!("corio-contract-fs-{}", std::process::id()));
    let (text, names) = runtime::run(|| -> io::Result<(String, usize)> {
        files::create_dir_all(dir.join("sub"))?;
        files::write(dir.join("a.txt"), "file")?;
        let append = corio::fs::OpenOptions::new().append(true).clone();
        files::open_with(&append, dir.join("a.txt"))?.write_all(b"s")?;
        let text = files::read_to_string(dir.join("a.txt"))?;
        let names = files::read_dir(&dir)?.count();
        files::remove_dir_all(&dir)?;
        Ok((text, names))
    })
    .unwrap();
    assert_eq!((text.as_str(), names), ("files", 2));
    // A signal through the pinned names.
    let mut stop = signals::new([libc::SIGUSR1]).unwrap();
    // SAFETY: kill(2) with our own pid; the handler was just installed.
    unsafe { libc::kill(libc::getpid(), libc::SIGUSR1) };
    assert_eq!(runtime::run(|| stop.recv()), Some(libc::SIGUSR1));
}
