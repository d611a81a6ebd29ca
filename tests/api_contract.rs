//! The public API contract of /work/shared/DESIGN.md, compiled: every name
//! that exists in the crate today appears here with its signature (argument
//! and return types, generic bounds, trait impls), so renaming one or
//! changing a signature fails to build this file, and CI with it.
//!
//! Each later change of the public surface extends this file: a new public
//! name gets its line here in the same change that adds it.
//!
//! Functions are pinned by coercing them to `fn` pointer types; generic
//! functions by a wrapper with the bounds the contract promises, whose body
//! must compile against the real one; traits by `assert_impl` helpers. The
//! test at the end runs a small program through the same names so this is a
//! test with assertions, not only a compile check.

// Spelling out whole signatures is the point of this file.
#![allow(clippy::type_complexity)]

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

/// Generators: construction, resume, status, close, delegation, `gen`.
#[allow(dead_code)]
mod generators {
    use super::*;

    pub fn new<I: 'static, Y: 'static, R: 'static, F>(body: F) -> Generator<I, Y, R>
    where
        F: FnOnce(&Yielder<I, Y>, I) -> R + 'static,
    {
        Generator::new(body)
    }

    pub fn with_stack_size<I: 'static, Y: 'static, R: 'static, F>(
        bytes: usize,
        body: F,
    ) -> Generator<I, Y, R>
    where
        F: FnOnce(&Yielder<I, Y>, I) -> R + 'static,
    {
        Generator::with_stack_size(bytes, body)
    }

    pub fn try_with_stack_size<I: 'static, Y: 'static, R: 'static, F>(
        bytes: usize,
        body: F,
    ) -> io::Result<Generator<I, Y, R>>
    where
        F: FnOnce(&Yielder<I, Y>, I) -> R + 'static,
    {
        Generator::try_with_stack_size(bytes, body)
    }

    pub fn r#gen<Y: 'static, F>(body: F) -> Generator<(), Y, ()>
    where
        F: FnOnce(&Yielder<(), Y>) + 'static,
    {
        corio::r#gen(body)
    }

    pub fn yield_from<I: Default, Y, R2>(y: &Yielder<I, Y>, inner: Generator<I, Y, R2>) -> R2 {
        y.yield_from(inner)
    }

    pub fn methods() {
        let _: fn(
            &mut Generator<i32, u64, &'static str>,
            i32,
        ) -> GeneratorState<u64, &'static str> = Generator::resume;
        let _: fn(&Generator<i32, u64, ()>) -> Status = Generator::status;
        let _: fn(&mut Generator<i32, u64, ()>) = Generator::close;
        let _: fn(
            &mut Generator<i32, u64, &'static str>,
            Box<dyn std::any::Any + Send>,
        ) -> GeneratorState<u64, &'static str> = Generator::throw;
        let _: fn(&Yielder<i32, u64>, u64) -> i32 = Yielder::yield_;
        // Default type parameters: `Generator` is `Generator<(), (), ()>`.
        let _: fn(&mut Generator, ()) -> GeneratorState<(), ()> = Generator::resume;
        let _ = [
            Status::Created,
            Status::Suspended,
            Status::Running,
            Status::Complete,
        ];
        let _: [GeneratorState<u8, bool>; 2] =
            [GeneratorState::Yielded(1), GeneratorState::Complete(true)];
        assert_iterator::<Generator<(), u8, ()>, u8>();
        assert_impl::<Generator<(), u8, ()>>();
        assert_debug::<Generator<i32, u64, ()>>();
        assert_debug::<Yielder<i32, u64>>();
        assert_impl::<GeneratorState<u8, u8>>();
        fn copy_eq_hash<T: Copy + Eq + std::hash::Hash + Debug>() {}
        copy_eq_hash::<Status>();
        copy_eq_hash::<GeneratorState<u8, u8>>();
    }
}

/// The runtime: run, spawn, handles, combinators, time.
#[allow(dead_code)]
mod runtime {
    use super::*;

    pub fn run<T, F: FnOnce() -> T>(f: F) -> T {
        corio::run(f)
    }

    pub fn spawn<T: 'static, F: FnOnce() -> T + 'static>(f: F) -> JoinHandle<T> {
        corio::spawn(f)
    }

    pub fn spawn_with_stack_size<T: 'static, F: FnOnce() -> T + 'static>(
        bytes: usize,
        f: F,
    ) -> JoinHandle<T> {
        corio::spawn_with_stack_size(bytes, f)
    }

    pub fn gather<T, F: FnOnce() -> T>(work: Vec<F>) -> Vec<T> {
        corio::gather(work)
    }

    pub fn join<A, B, FA: FnOnce() -> A, FB: FnOnce() -> B>(a: FA, b: FB) -> (A, B) {
        corio::join(a, b)
    }

    pub fn race<T, F: FnOnce() -> T>(work: Vec<F>) -> (usize, T) {
        corio::race(work)
    }

    pub fn select<A, B, FA: FnOnce() -> A, FB: FnOnce() -> B>(a: FA, b: FB) -> Either<A, B> {
        corio::select(a, b)
    }

    pub fn timeout<T>(limit: Duration, f: impl FnOnce() -> T) -> Result<T, Elapsed> {
        corio::timeout(limit, f)
    }

    pub fn scope<'env, T, F>(f: F) -> T
    where
        F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> T,
    {
        corio::scope(f)
    }

    pub fn scope_spawn<'scope, 'env, T: 'scope, F: FnOnce() -> T + 'scope>(
        s: &'scope Scope<'scope, 'env>,
        f: F,
    ) -> ScopedJoinHandle<'scope, T> {
        s.spawn(f)
    }

    pub fn functions() {
        let _: fn(Duration) = corio::sleep;
        let _: fn(Instant) = corio::sleep_until;
        let _: fn() = corio::yield_now;

        let _: fn(JoinHandle<u8>) -> Result<u8, JoinError> = JoinHandle::join;
        let _: fn(&JoinHandle<u8>) = JoinHandle::abort;
        let _: fn(&JoinHandle<u8>) -> bool = JoinHandle::is_finished;
        let _: fn(&JoinHandle<u8>) -> u64 = JoinHandle::id;
        let _: fn(ScopedJoinHandle<'static, u8>) -> Result<u8, JoinError> = ScopedJoinHandle::join;
        let _: fn(&ScopedJoinHandle<'static, u8>) = ScopedJoinHandle::abort;
        let _: fn(&ScopedJoinHandle<'static, u8>) -> bool = ScopedJoinHandle::is_finished;

        let _: fn(&JoinError) -> bool = JoinError::is_cancelled;
        let _: fn(&JoinError) -> Option<&str> = JoinError::panic_message;
        let _ = |payload: Box<dyn std::any::Any + Send>| {
            [JoinError::Panicked(payload), JoinError::Cancelled]
        };
        let _: [Either<u8, bool>; 2] = [Either::Left(1), Either::Right(true)];

        assert_error::<JoinError>();
        assert_error::<Elapsed>();
        // The payload a cancelled task unwinds with: recognisable after
        // catch_unwind, Send like every payload, with the task it was for.
        assert_error::<Cancelled>();
        fn assert_payload<T: std::any::Any + Send>() {}
        assert_payload::<Cancelled>();
        let _: fn(&Cancelled) -> u64 = Cancelled::task_id;
        assert_debug::<JoinHandle<u8>>();
        assert_debug::<ScopedJoinHandle<'_, u8>>();
        assert_debug::<Scope<'_, '_>>();
        fn eq_debug<T: Copy + Eq + Debug>() {}
        eq_debug::<Either<u8, u8>>();
    }
}

/// Seeing inside: task names and spawn sites, `dump`, `dump_on_sigquit`.
#[allow(dead_code)]
mod seeing_inside {
    use super::*;
    use corio::TaskBuilder;
    use corio::debug::{Direction, Dump, Frame, State, TaskDump, WaitsOn};
    use std::panic::Location;

    pub fn builder_spawn<T: 'static, F: FnOnce() -> T + 'static>(
        b: TaskBuilder,
        f: F,
    ) -> JoinHandle<T> {
        b.spawn(f)
    }

    pub fn builder_spawn_scoped<'scope, 'env, T: 'scope, F: FnOnce() -> T + 'scope>(
        b: TaskBuilder,
        s: &'scope Scope<'scope, 'env>,
        f: F,
    ) -> ScopedJoinHandle<'scope, T> {
        b.spawn_scoped(s, f)
    }

    pub fn items() {
        let _: fn() -> TaskBuilder = TaskBuilder::new;
        let _ = |b: TaskBuilder| -> TaskBuilder { b.name("n").name(String::from("m")) };
        let _: fn(TaskBuilder, usize) -> TaskBuilder = TaskBuilder::stack_size;
        fn builder<T: Clone + Default + Debug>() {}
        builder::<TaskBuilder>();

        let _: fn() -> Dump = corio::dump;
        let _: fn() -> corio::Dump = corio::debug::dump;
        let _: fn() -> io::Result<()> = corio::dump_on_sigquit;
        let _: fn() -> io::Result<()> = corio::debug::dump_on_sigquit;

        let _: fn(&Dump) -> &[TaskDump] = Dump::tasks;
        let _: for<'a> fn(&'a Dump, u64) -> Option<&'a TaskDump> = Dump::task;
        let _: fn(&Dump) -> Option<&[u64]> = Dump::cycle;
        let _: fn(&Dump) -> Option<String> = Dump::describe_cycle;
        let _: fn(&Dump) -> Instant = Dump::taken_at;
        fn report<T: Display + Debug + Clone>() {}
        report::<Dump>();
        report::<TaskDump>();
        // A dump can be handed to another thread to print or ship.
        fn shareable<T: Send + Sync>() {}
        shareable::<Dump>();

        let _: fn(&TaskDump) -> u64 = TaskDump::id;
        let _: fn(&TaskDump) -> Option<&str> = TaskDump::name;
        let _: fn(&TaskDump) -> State = TaskDump::state;
        let _: fn(&TaskDump) -> bool = TaskDump::cancelled;
        let _: fn(&TaskDump) -> Option<&WaitsOn> = TaskDump::waits_on;
        let _: fn(&TaskDump) -> Option<Duration> = TaskDump::waiting_for;
        let _: fn(&TaskDump) -> &'static Location<'static> = TaskDump::spawned_at;
        let _: fn(&TaskDump) -> Option<u64> = TaskDump::parent;
        let _: fn(&TaskDump) -> bool = TaskDump::scope_child;
        let _: fn(&TaskDump) -> Option<usize> = TaskDump::stack_resident;
        let _: fn(&TaskDump) -> usize = TaskDump::generators;
        let _: fn(&TaskDump) -> &[Frame] = TaskDump::backtrace;

        let _: fn(&Frame) -> Option<&str> = Frame::function;
        let _: fn(&Frame) -> Option<&str> = Frame::file;
        let _: fn(&Frame) -> Option<u32> = Frame::line;
        fn frame<T: Clone + Debug + Eq + std::hash::Hash>() {}
        frame::<Frame>();

        fn state<T: Copy + Eq + Debug + std::hash::Hash>() {}
        state::<State>();
        let _ = [
            State::Running,
            State::Ready,
            State::Parked,
            State::NotStarted,
        ];
        fn waits<T: Clone + Eq + Debug + Display>() {}
        waits::<WaitsOn>();
        let _ = [
            WaitsOn::Socket {
                fd: 3,
                direction: Direction::Read,
                peer: None::<SocketAddr>,
                local: None,
            },
            WaitsOn::Timer {
                deadline: Instant::now(),
            },
            WaitsOn::Task { id: 1 },
            WaitsOn::Channel {
                channel: 0,
                sending: true,
            },
            WaitsOn::Semaphore { semaphore: 0 },
            WaitsOn::Mutex { holder: Some(1) },
            WaitsOn::Event { event: 0 },
            WaitsOn::Future,
            WaitsOn::Race,
            WaitsOn::FreeFd,
            WaitsOn::Yield,
            WaitsOn::Other,
        ];

        // A named task, in a dump, through the pinned names.
        corio::run(|| {
            let h = builder_spawn(TaskBuilder::new().name("pinned"), || 5);
            let dump = corio::dump();
            assert_eq!(dump.task(h.id()).and_then(TaskDump::name), Some("pinned"));
            let n = corio::scope(|s| {
                builder_spawn_scoped(TaskBuilder::new().stack_size(64 * 1024), s, || 6)
                    .join()
                    .unwrap()
            });
            assert_eq!(h.join().unwrap() + n, 11);
        });
    }
}

/// Beyond one thread: handles, remote joins, `block_on`.
#[allow(dead_code)]
mod threads {
    use super::*;
    use corio::{Handle, RemoteJoinHandle};
    use std::future::{Future, IntoFuture};

    pub fn handle_spawn<T: Send + 'static, F: FnOnce() -> T + Send + 'static>(
        handle: &Handle,
        f: F,
    ) -> RemoteJoinHandle<T> {
        handle.spawn(f)
    }

    pub fn block_on<F: IntoFuture>(future: F) -> F::Output {
        corio::block_on(future)
    }

    pub fn unblock<T: Send + 'static, F: FnOnce() -> T + Send + 'static>(f: F) -> T {
        corio::unblock(f)
    }

    pub fn items() {
        let _: fn() -> Handle = corio::handle;
        let _: fn(&Handle) -> bool = Handle::is_closed;
        let _: fn(&Handle) = Handle::shutdown;
        let _: fn(RemoteJoinHandle<u8>) -> Result<u8, JoinError> = RemoteJoinHandle::join;
        let _: fn(&RemoteJoinHandle<u8>) = RemoteJoinHandle::abort;
        let _: fn(&RemoteJoinHandle<u8>) -> bool = RemoteJoinHandle::is_finished;
        fn send_sync_clone<T: Send + Sync + Clone + Debug>() {}
        send_sync_clone::<Handle>();
        fn send_future<T: Send + Debug + Future<Output = Result<u8, JoinError>>>() {}
        send_future::<RemoteJoinHandle<u8>>();
    }
}

/// Many cores: `Builder`, one loop per thread, which thread this is,
/// every loop's handle, `SO_REUSEPORT` listeners.
#[allow(dead_code)]
mod many_cores {
    use super::*;
    use corio::{Builder, Handle};

    pub fn run<T: Send, F: Fn() -> T + Send + Sync>(b: &Builder, main: F) -> Vec<T> {
        b.run(main)
    }

    pub fn run_local<T, F: FnOnce() -> T>(b: &Builder, main: F) -> T {
        b.run_local(main)
    }

    pub fn bind_reuseport<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        TcpListener::bind_reuseport(addr)
    }

    pub fn udp_bind_reuseport<A: ToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
        UdpSocket::bind_reuseport(addr)
    }

    pub fn items() {
        let _: fn() -> Builder = Builder::new;
        let _: fn(&mut Builder, usize) -> &mut Builder = Builder::threads;
        let _: fn(&mut Builder, usize) -> &mut Builder = Builder::stack_size;
        let _: fn(&mut Builder, bool) -> &mut Builder = Builder::pin_threads;
        let _: fn(&mut Builder, Duration) -> &mut Builder = Builder::stall_threshold;
        let _: fn() -> usize = corio::thread_index;
        let _: fn() -> usize = corio::thread_count;
        let _: fn() -> Vec<Handle> = corio::handles;
        fn clone_debug_default<T: Clone + Debug + Default>() {}
        clone_debug_default::<Builder>();
    }
}

/// Task-local storage: `task_local!` (std's `thread_local!` syntax),
/// `LocalKey` and its `Cell` / `RefCell` conveniences, `AccessError`.
#[allow(dead_code)]
mod task_locals {
    use super::*;
    use std::cell::{Cell, RefCell};

    corio::task_local! {
        /// Attributes, visibility, several items, no trailing `;`.
        pub static NUMBER: Cell<u64> = Cell::new(0);
        static WORDS: RefCell<Vec<String>> = RefCell::new(Vec::new())
    }

    pub fn with<T: 'static, R, F: FnOnce(&T) -> R>(key: &'static LocalKey<T>, f: F) -> R {
        key.with(f)
    }

    pub fn try_with<T: 'static, R, F: FnOnce(&T) -> R>(
        key: &'static LocalKey<T>,
        f: F,
    ) -> Result<R, AccessError> {
        key.try_with(f)
    }

    pub fn with_borrow<T: 'static, R, F: FnOnce(&T) -> R>(
        key: &'static LocalKey<RefCell<T>>,
        f: F,
    ) -> R {
        key.with_borrow(f)
    }

    pub fn with_borrow_mut<T: 'static, R, F: FnOnce(&mut T) -> R>(
        key: &'static LocalKey<RefCell<T>>,
        f: F,
    ) -> R {
        key.with_borrow_mut(f)
    }

    pub fn items() {
        let _: &'static LocalKey<Cell<u64>> = &NUMBER;
        let _: &'static LocalKey<RefCell<Vec<String>>> = &WORDS;
        let _: fn(&'static LocalKey<Cell<u64>>, u64) = LocalKey::<Cell<u64>>::set;
        let _: fn(&'static LocalKey<Cell<u64>>) -> u64 = LocalKey::<Cell<u64>>::get;
        let _: fn(&'static LocalKey<Cell<u64>>) -> u64 = LocalKey::<Cell<u64>>::take;
        let _: fn(&'static LocalKey<Cell<u64>>, u64) -> u64 = LocalKey::<Cell<u64>>::replace;
        let _: fn(&'static LocalKey<RefCell<u8>>, u8) = LocalKey::<RefCell<u8>>::set;
        let _: fn(&'static LocalKey<RefCell<u8>>) -> u8 = LocalKey::<RefCell<u8>>::take;
        let _: fn(&'static LocalKey<RefCell<u8>>, u8) -> u8 = LocalKey::<RefCell<u8>>::replace;
        assert_error::<AccessError>();
        fn copy_eq<T: Copy + Eq + Debug>() {}
        copy_eq::<AccessError>();
        assert_debug::<LocalKey<Cell<u64>>>();
        // A key is a `static`, so it is `Sync` whatever its value type.
        fn sync<T: Sync>() {}
        sync::<LocalKey<std::rc::Rc<u8>>>();
    }

    /// Two tasks, each with its own number and words.
    pub fn program() -> Vec<(u64, Vec<String>)> {
        corio::run(|| {
            let tasks: Vec<_> = (1..=2u64)
                .map(|n| {
                    runtime::spawn(move || {
                        NUMBER.set(n);
                        corio::yield_now();
                        with_borrow_mut(&WORDS, |words| words.push(format!("task {n}")));
                        let number = with(&NUMBER, Cell::get);
                        let words = try_with(&WORDS, |w| w.borrow().clone()).unwrap();
                        assert_eq!(with_borrow(&WORDS, Vec::len), 1);
                        (number, words)
                    })
                })
                .collect();
            tasks.into_iter().map(|t| t.join().unwrap()).collect()
        })
    }
}

/// Sockets: std-like constructors and accessors, `Read`/`Write` also
/// through `&TcpStream`, file descriptors.
#[allow(dead_code)]
mod net {
    use super::*;

    pub fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        TcpListener::bind(addr)
    }

    pub fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        TcpStream::connect(addr)
    }

    pub fn udp_bind<A: ToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
        UdpSocket::bind(addr)
    }

    pub fn udp_send_to<A: ToSocketAddrs>(
        socket: &UdpSocket,
        buf: &[u8],
        addr: A,
    ) -> io::Result<usize> {
        socket.send_to(buf, addr)
    }

    pub fn udp_connect<A: ToSocketAddrs>(socket: &UdpSocket, addr: A) -> io::Result<()> {
        socket.connect(addr)
    }

    pub fn methods() {
        let _: fn(std::net::TcpListener) -> io::Result<TcpListener> = TcpListener::from_std;
        let _: fn(&TcpListener) -> io::Result<(TcpStream, SocketAddr)> = TcpListener::accept;
        let _: fn(&TcpListener) -> Incoming<'_> = TcpListener::incoming;
        let _: fn(&TcpListener) -> io::Result<SocketAddr> = TcpListener::local_addr;

        let _: fn(std::net::TcpStream) -> io::Result<TcpStream> = TcpStream::from_std;
        let _: fn(&TcpStream) -> io::Result<SocketAddr> = TcpStream::peer_addr;
        let _: fn(&TcpStream) -> io::Result<SocketAddr> = TcpStream::local_addr;
        let _: fn(&TcpStream, Shutdown) -> io::Result<()> = TcpStream::shutdown;
        let _: fn(&TcpStream, bool) -> io::Result<()> = TcpStream::set_nodelay;
        let _: fn(&TcpStream) -> io::Result<bool> = TcpStream::nodelay;
        let _: fn(&TcpStream, Option<Duration>) -> io::Result<()> = TcpStream::set_read_timeout;
        let _: fn(&TcpStream, Option<Duration>) -> io::Result<()> = TcpStream::set_write_timeout;
        let _: fn(&TcpStream) -> io::Result<Option<Duration>> = TcpStream::read_timeout;
        let _: fn(&TcpStream) -> io::Result<Option<Duration>> = TcpStream::write_timeout;
        let _: fn(&TcpStream, &mut [u8]) -> io::Result<usize> = TcpStream::peek;
        let _: fn(&SocketAddr, Duration) -> io::Result<TcpStream> = TcpStream::connect_timeout;
        let _: fn(&TcpStream) -> io::Result<TcpStream> = TcpStream::try_clone;
        let _: fn(&TcpStream, &mut [u8]) -> io::Result<usize> = TcpStream::try_peek;
        let _: fn(&TcpStream) -> io::Result<Option<io::Error>> = TcpStream::take_error;
        let _: fn(&TcpStream, u32) -> io::Result<()> = TcpStream::set_ttl;
        let _: fn(&TcpStream) -> io::Result<u32> = TcpStream::ttl;
        let _: fn(&TcpStream, Option<Duration>) -> io::Result<()> = TcpStream::set_linger;
        let _: fn(&TcpStream) -> io::Result<Option<Duration>> = TcpStream::linger;

        let _: fn(std::net::UdpSocket) -> io::Result<UdpSocket> = UdpSocket::from_std;
        let _: fn(&UdpSocket, &mut [u8]) -> io::Result<(usize, SocketAddr)> = UdpSocket::recv_from;
        let _: fn(&UdpSocket, &[u8]) -> io::Result<usize> = UdpSocket::send;
        let _: fn(&UdpSocket, &mut [u8]) -> io::Result<usize> = UdpSocket::recv;
        let _: fn(&UdpSocket, Option<Duration>) -> io::Result<()> = UdpSocket::set_read_timeout;
        let _: fn(&UdpSocket) -> io::Result<SocketAddr> = UdpSocket::local_addr;
        let _: fn(&UdpSocket) -> io::Result<SocketAddr> = UdpSocket::peer_addr;
        let _: fn(&UdpSocket) -> io::Result<UdpSocket> = UdpSocket::try_clone;
        let _: fn(&UdpSocket) -> io::Result<Option<io::Error>> = UdpSocket::take_error;
        let _: fn(&UdpSocket, u32) -> io::Result<()> = UdpSocket::set_ttl;
        let _: fn(&UdpSocket) -> io::Result<u32> = UdpSocket::ttl;
        let _: fn(&UdpSocket, bool) -> io::Result<()> = UdpSocket::set_broadcast;
        let _: fn(&UdpSocket) -> io::Result<bool> = UdpSocket::broadcast;
        let _: fn(&UdpSocket) -> io::Result<Option<Duration>> = UdpSocket::read_timeout;

        // `ToSocketAddrs` takes what std's trait takes.
        fn addrs<A: ToSocketAddrs + ?Sized>() {}
        use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
        addrs::<SocketAddr>();
        addrs::<SocketAddrV4>();
        addrs::<SocketAddrV6>();
        addrs::<(IpAddr, u16)>();
        addrs::<(Ipv4Addr, u16)>();
        addrs::<(Ipv6Addr, u16)>();
        addrs::<(&str, u16)>();
        addrs::<(String, u16)>();
        addrs::<str>();
        addrs::<&str>();
        addrs::<String>();
        addrs::<&String>();
        addrs::<&[SocketAddr]>();
        addrs::<&SocketAddr>();
        addrs::<&(&str, u16)>();

        assert_read_write::<TcpStream>();
        assert_read_write::<&TcpStream>();
        assert_iterator::<Incoming<'_>, io::Result<TcpStream>>();
        assert_fd::<TcpListener>();
        assert_fd::<TcpStream>();
        assert_fd::<UdpSocket>();
        assert_debug::<TcpListener>();
        assert_debug::<TcpStream>();
        assert_debug::<UdpSocket>();
        assert_debug::<Incoming<'_>>();
    }
}

/// Unix sockets: std-like constructors (paths and `SocketAddr`s),
/// `Read`/`Write` also through `&UnixStream`, datagrams, descriptors.
#[allow(dead_code)]
mod unix {
    use super::*;
    use std::os::unix::net::SocketAddr;
    use std::path::Path;

    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        UnixListener::bind(path)
    }

    pub fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        UnixStream::connect(path)
    }

    pub fn datagram_bind<P: AsRef<Path>>(path: P) -> io::Result<UnixDatagram> {
        UnixDatagram::bind(path)
    }

    pub fn datagram_connect<P: AsRef<Path>>(socket: &UnixDatagram, path: P) -> io::Result<()> {
        socket.connect(path)
    }

    pub fn datagram_send_to<P: AsRef<Path>>(
        socket: &UnixDatagram,
        buf: &[u8],
        path: P,
    ) -> io::Result<usize> {
        socket.send_to(buf, path)
    }

    pub fn methods() {
        let _: fn(&SocketAddr) -> io::Result<UnixListener> = UnixListener::bind_addr;
        let _: fn(std::os::unix::net::UnixListener) -> io::Result<UnixListener> =
            UnixListener::from_std;
        let _: fn(&UnixListener) -> io::Result<(UnixStream, SocketAddr)> = UnixListener::accept;
        let _: fn(&UnixListener) -> UnixIncoming<'_> = UnixListener::incoming;
        let _: fn(&UnixListener) -> io::Result<SocketAddr> = UnixListener::local_addr;
        let _: fn(&UnixListener) -> io::Result<Option<io::Error>> = UnixListener::take_error;
        let _: fn(&UnixListener) -> io::Result<UnixListener> = UnixListener::try_clone;

        let _: fn(&SocketAddr) -> io::Result<UnixStream> = UnixStream::connect_addr;
        let _: fn() -> io::Result<(UnixStream, UnixStream)> = UnixStream::pair;
        let _: fn(std::os::unix::net::UnixStream) -> io::Result<UnixStream> = UnixStream::from_std;
        let _: fn(&UnixStream) -> io::Result<UnixStream> = UnixStream::try_clone;
        let _: fn(&UnixStream) -> io::Result<SocketAddr> = UnixStream::local_addr;
        let _: fn(&UnixStream) -> io::Result<SocketAddr> = UnixStream::peer_addr;
        let _: fn(&UnixStream, Shutdown) -> io::Result<()> = UnixStream::shutdown;
        let _: fn(&UnixStream) -> io::Result<Option<io::Error>> = UnixStream::take_error;
        let _: fn(&UnixStream, Option<Duration>) -> io::Result<()> = UnixStream::set_read_timeout;
        let _: fn(&UnixStream, Option<Duration>) -> io::Result<()> = UnixStream::set_write_timeout;
        let _: fn(&UnixStream) -> io::Result<Option<Duration>> = UnixStream::read_timeout;
        let _: fn(&UnixStream) -> io::Result<Option<Duration>> = UnixStream::write_timeout;

        let _: fn(&SocketAddr) -> io::Result<UnixDatagram> = UnixDatagram::bind_addr;
        let _: fn() -> io::Result<UnixDatagram> = UnixDatagram::unbound;
        let _: fn() -> io::Result<(UnixDatagram, UnixDatagram)> = UnixDatagram::pair;
        let _: fn(std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> =
            UnixDatagram::from_std;
        let _: fn(&UnixDatagram) -> io::Result<UnixDatagram> = UnixDatagram::try_clone;
        let _: fn(&UnixDatagram, &SocketAddr) -> io::Result<()> = UnixDatagram::connect_addr;
        let _: fn(&UnixDatagram, &[u8]) -> io::Result<usize> = UnixDatagram::send;
        let _: fn(&UnixDatagram, &[u8], &SocketAddr) -> io::Result<usize> =
            UnixDatagram::send_to_addr;
        let _: fn(&UnixDatagram, &mut [u8]) -> io::Result<usize> = UnixDatagram::recv;
        let _: fn(&UnixDatagram, &mut [u8]) -> io::Result<(usize, SocketAddr)> =
            UnixDatagram::recv_from;
        let _: fn(&UnixDatagram) -> io::Result<SocketAddr> = UnixDatagram::local_addr;
        let _: fn(&UnixDatagram) -> io::Result<SocketAddr> = UnixDatagram::peer_addr;
        let _: fn(&UnixDatagram, Shutdown) -> io::Result<()> = UnixDatagram::shutdown;
        let _: fn(&UnixDatagram) -> io::Result<Option<io::Error>> = UnixDatagram::take_error;
        let _: fn(&UnixDatagram, Option<Duration>) -> io::Result<()> =
            UnixDatagram::set_read_timeout;
        let _: fn(&UnixDatagram, Option<Duration>) -> io::Result<()> =
            UnixDatagram::set_write_timeout;
        let _: fn(&UnixDatagram) -> io::Result<Option<Duration>> = UnixDatagram::read_timeout;
        let _: fn(&UnixDatagram) -> io::Result<Option<Duration>> = UnixDatagram::write_timeout;

        assert_read_write::<UnixStream>();
        assert_read_write::<&UnixStream>();
        assert_iterator::<UnixIncoming<'_>, io::Result<UnixStream>>();
        assert_fd::<UnixListener>();
        assert_fd::<UnixStream>();
        assert_fd::<UnixDatagram>();
        assert_debug::<UnixListener>();
        assert_debug::<UnixStream>();
        assert_debug::<UnixDatagram>();
        assert_debug::<UnixIncoming<'_>>();
        // Sockets are `Send` (registration is per runtime), not `Sync`.
        fn send<T: Send>() {}
        send::<UnixListener>();
        send::<UnixStream>();
        send::<UnixDatagram>();
        send::<TcpListener>();
        send::<TcpStream>();
        send::<UdpSocket>();
    }
}

/// Any descriptor, parked on: `corio::io::Registered`.
#[allow(dead_code)]
mod registered {
    use super::*;
    use std::io::{PipeReader, PipeWriter};
    use std::os::fd::AsFd;

    pub fn new<T: AsFd>(io: T) -> io::Result<Registered<T>> {
        Registered::new(io)
    }

    pub fn read_with<T: AsFd, R>(
        r: &Registered<T>,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        r.read_with(op)
    }

    pub fn write_with<T: AsFd, R>(
        r: &Registered<T>,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        r.write_with(op)
    }

    pub fn methods() {
        let _: fn(&Registered<PipeReader>) -> &PipeReader = Registered::get_ref;
        let _: fn(Registered<PipeReader>) -> PipeReader = Registered::into_inner;
        let _: fn(&Registered<PipeReader>) -> io::Result<()> = Registered::readable;
        let _: fn(&Registered<PipeWriter>) -> io::Result<()> = Registered::writable;
        // `Read` / `Write` where `&T` has them.
        fn read<T: Read>() {}
        fn write<T: Write>() {}
        read::<Registered<PipeReader>>();
        read::<&Registered<PipeReader>>();
        write::<Registered<PipeWriter>>();
        write::<&Registered<PipeWriter>>();
        assert_fd::<Registered<PipeReader>>();
        assert_debug::<Registered<PipeReader>>();
        fn send<T: Send>() {}
        send::<Registered<PipeReader>>();
    }
}

/// Files through the blocking pool: `corio::fs`, std's shapes.
#[allow(dead_code)]
mod files {
    use super::*;
    use corio::fs::{DirEntry, File, FileType, Metadata, OpenOptions, Permissions, ReadDir};
    use std::ffi::OsString;
    use std::io::{Seek, SeekFrom};
    use std::path::{Path, PathBuf};

    pub fn read<P: AsRef<Path>>(path: P) -> io::Result<Vec<u8>> {
        corio::fs::read(path)
    }

    pub fn read_to_string<P: AsRef<Path>>(path: P) -> io::Result<String> {
        corio::fs::read_to_string(path)
    }

    pub fn write<P: AsRef<Path>, C: AsRef<[u8]>>(path: P, contents: C) -> io::Result<()> {
        corio::fs::write(path, contents)
    }

    pub fn create_dir<P: AsRef<Path>>(path: P) -> io::Result<()> {
        corio::fs::create_dir(path)
    }

    pub fn create_dir_all<P: AsRef<Path>>(path: P) -> io::Result<()> {
        corio::fs::create_dir_all(path)
    }

    pub fn remove_file<P: AsRef<Path>>(path: P) -> io::Result<()> {
        corio::fs::remove_file(path)
    }

    pub fn remove_dir<P: AsRef<Path>>(path: P) -> io::Result<()> {
        corio::fs::remove_dir(path)
    }

    pub fn remove_dir_all<P: AsRef<Path>>(path: P) -> io::Result<()> {
        corio::fs::remove_dir_all(path)
    }

    pub fn rename<P: AsRef<Path>, Q: AsRef<Path>>(from: P, to: Q) -> io::Result<()> {
        corio::fs::rename(from, to)
    }

    pub fn copy<P: AsRef<Path>, Q: AsRef<Path>>(from: P, to: Q) -> io::Result<u64> {
        corio::fs::copy(from, to)
    }

    pub fn metadata<P: AsRef<Path>>(path: P) -> io::Result<Metadata> {
        corio::fs::metadata(path)
    }

    pub fn symlink_metadata<P: AsRef<Path>>(path: P) -> io::Result<Metadata> {
        corio::fs::symlink_metadata(path)
    }

    pub fn canonicalize<P: AsRef<Path>>(path: P) -> io::Result<PathBuf> {
        corio::fs::canonicalize(path)
    }

    pub fn read_dir<P: AsRef<Path>>(path: P) -> io::Result<ReadDir> {
        corio::fs::read_dir(path)
    }

    pub fn open<P: AsRef<Path>>(path: P) -> io::Result<File> {
        File::open(path)
    }

    pub fn create<P: AsRef<Path>>(path: P) -> io::Result<File> {
        File::create(path)
    }

    pub fn create_new<P: AsRef<Path>>(path: P) -> io::Result<File> {
        File::create_new(path)
    }

    pub fn open_with<P: AsRef<Path>>(options: &OpenOptions, path: P) -> io::Result<File> {
        options.open(path)
    }

    pub fn methods() {
        let _: fn() -> OpenOptions = File::options;
        let _: fn(&File) -> io::Result<()> = File::sync_all;
        let _: fn(&File) -> io::Result<()> = File::sync_data;
        let _: fn(&File, u64) -> io::Result<()> = File::set_len;
        let _: fn(&File) -> io::Result<Metadata> = File::metadata;
        let _: fn(&File, Permissions) -> io::Result<()> = File::set_permissions;
        let _: fn(&File) -> io::Result<File> = File::try_clone;
        let _: fn(std::fs::File) -> File = File::from;
        fn read_write_seek<T: Read + Write + Seek>() {}
        read_write_seek::<File>();
        read_write_seek::<&File>();
        assert_fd::<File>();
        assert_debug::<File>();
        fn send_sync<T: Send + Sync>() {}
        send_sync::<File>();
        let _ = SeekFrom::Start(0);

        let _: fn() -> OpenOptions = OpenOptions::new;
        let _: fn(&mut OpenOptions, bool) -> &mut OpenOptions = OpenOptions::read;
        let _: fn(&mut OpenOptions, bool) -> &mut OpenOptions = OpenOptions::write;
        let _: fn(&mut OpenOptions, bool) -> &mut OpenOptions = OpenOptions::append;
        let _: fn(&mut OpenOptions, bool) -> &mut OpenOptions = OpenOptions::truncate;
        let _: fn(&mut OpenOptions, bool) -> &mut OpenOptions = OpenOptions::create;
        let _: fn(&mut OpenOptions, bool) -> &mut OpenOptions = OpenOptions::create_new;
        let _: fn(&mut OpenOptions, u32) -> &mut OpenOptions = OpenOptions::mode;
        let _: fn(std::fs::OpenOptions) -> OpenOptions = OpenOptions::from;
        fn clone_debug_default<T: Clone + Debug + Default>() {}
        clone_debug_default::<OpenOptions>();

        assert_iterator::<ReadDir, io::Result<DirEntry>>();
        assert_debug::<ReadDir>();
        let _: fn(&DirEntry) -> PathBuf = DirEntry::path;
        let _: fn(&DirEntry) -> OsString = DirEntry::file_name;
        let _: fn(&DirEntry) -> FileType = DirEntry::file_type;
        let _: fn(&DirEntry) -> io::Result<Metadata> = DirEntry::metadata;
        fn clone_debug<T: Clone + Debug>() {}
        clone_debug::<DirEntry>();
        // std's own metadata types, re-exported.
        let _: fn(&Metadata) -> u64 = std::fs::Metadata::len;
        let _: fn(&Permissions) -> bool = std::fs::Permissions::readonly;
        let _: fn(&FileType) -> bool = std::fs::FileType::is_dir;
    }
}

/// Unix signals: `corio::signal`.
#[allow(dead_code)]
mod signals {
    use super::*;
    use corio::signal::Signals;

    pub fn new<I: IntoIterator<Item = i32>>(signals: I) -> io::Result<Signals> {
        Signals::new(signals)
    }

    pub fn items() {
        let _: fn() -> io::Result<()> = corio::signal::ctrl_c;
        let _: fn(&mut Signals) -> Option<i32> = Signals::recv;
        let _: fn(&mut Signals) -> Option<i32> = Signals::try_recv;
        assert_iterator::<Signals, i32>();
        assert_debug::<Signals>();
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Signals>();
    }
}

/// Child processes: `corio::process`, std's shapes with parking waits and
/// pipes.
#[allow(dead_code)]
mod process {
    use super::*;
    use corio::process::{
        Child, ChildStderr, ChildStdin, ChildStdout, Command, ExitStatus, Output, Stdio,
    };
    use std::ffi::OsStr;
    use std::path::Path;

    pub fn new<S: AsRef<OsStr>>(program: S) -> Command {
        Command::new(program)
    }

    pub fn arg<S: AsRef<OsStr>>(c: &mut Command, arg: S) -> &mut Command {
        c.arg(arg)
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(
        c: &mut Command,
        args: I,
    ) -> &mut Command {
        c.args(args)
    }

    pub fn env<K: AsRef<OsStr>, V: AsRef<OsStr>>(c: &mut Command, key: K, val: V) -> &mut Command {
        c.env(key, val)
    }

    pub fn envs<I, K, V>(c: &mut Command, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        c.envs(vars)
    }

    pub fn env_remove<K: AsRef<OsStr>>(c: &mut Command, key: K) -> &mut Command {
        c.env_remove(key)
    }

    pub fn current_dir<P: AsRef<Path>>(c: &mut Command, dir: P) -> &mut Command {
        c.current_dir(dir)
    }

    pub fn stdio<T: Into<Stdio>>(c: &mut Command, i: T, o: T, e: T) -> &mut Command {
        c.stdin(i).stdout(o).stderr(e)
    }

    pub fn items() {
        let _: fn(&mut Command) -> &mut Command = Command::env_clear;
        let _: fn(&mut Command, bool) -> &mut Command = Command::kill_on_drop;
        let _: fn(&mut Command) -> io::Result<Child> = Command::spawn;
        let _: fn(&mut Command) -> io::Result<Output> = Command::output;
        let _: fn(&mut Command) -> io::Result<ExitStatus> = Command::status;
        let _: fn(&Command) -> &std::process::Command = Command::as_std;
        let _: fn(std::process::Command) -> Command = Command::from;

        let _: fn(&Child) -> u32 = Child::id;
        let _: fn(&mut Child) -> io::Result<()> = Child::kill;
        let _: fn(&mut Child) -> io::Result<Option<ExitStatus>> = Child::try_wait;
        let _: fn(&mut Child) -> io::Result<ExitStatus> = Child::wait;
        let _: fn(Child) -> io::Result<Output> = Child::wait_with_output;
        let _ = |c: Child| -> (Option<ChildStdin>, Option<ChildStdout>, Option<ChildStderr>) {
            let mut c = c;
            (c.stdin.take(), c.stdout.take(), c.stderr.take())
        };

        let _: fn(std::process::ChildStdin) -> io::Result<ChildStdin> = ChildStdin::from_std;
        let _: fn(std::process::ChildStdout) -> io::Result<ChildStdout> = ChildStdout::from_std;
        let _: fn(std::process::ChildStderr) -> io::Result<ChildStderr> = ChildStderr::from_std;
        let _: fn(ChildStdin) -> io::Result<Stdio> = Stdio::try_from;
        let _: fn(ChildStdout) -> io::Result<Stdio> = Stdio::try_from;
        let _: fn(ChildStderr) -> io::Result<Stdio> = Stdio::try_from;
        fn read<T: Read>() {}
        fn write<T: Write>() {}
        write::<ChildStdin>();
        write::<&ChildStdin>();
        read::<ChildStdout>();
        read::<&ChildStdout>();
        read::<ChildStderr>();
        read::<&ChildStderr>();
        assert_fd::<ChildStdin>();
        assert_fd::<ChildStdout>();
        assert_fd::<ChildStderr>();
        assert_debug::<Command>();
        assert_debug::<Child>();
        assert_debug::<ChildStdin>();
        assert_debug::<ChildStdout>();
        assert_debug::<ChildStderr>();
        // Like the sockets: `Send`, registered per runtime.
        fn send<T: Send>() {}
        send::<Command>();
        send::<Child>();
        send::<ChildStdin>();
        send::<ChildStdout>();
        send::<ChildStderr>();
        // std's own types, re-exported.
        let _: fn() -> std::process::Stdio = Stdio::piped;
        let _ = |o: Output| -> (std::process::ExitStatus, Vec<u8>, Vec<u8>) {
            (o.status, o.stdout, o.stderr)
        };
    }

    /// `cat` through the pinned names, and a shell's status.
    pub fn program() -> io::Result<(Vec<u8>, Option<i32>)> {
        let mut command = new("cat");
        stdio(&mut command, Stdio::piped(), Stdio::piped(), Stdio::null());
        env(&mut command, "UNUSED", "1");
        let child = command.spawn()?;
        child
            .stdin
            .as_ref()
            .expect("piped")
            .write_all(b"through cat")?;
        let out = child.wait_with_output()?;
        let mut shell = new("sh");
        args(&mut shell, ["-c", "exit $CODE"]);
        envs(&mut shell, [("CODE", "6")]);
        current_dir(&mut shell, "/");
        let status = shell.status()?;
        Ok((out.stdout, status.code()))
    }
}

/// Synchronisation: the bounded channel, FIFO semaphore, mutex and event.
#[allow(dead_code)]
mod sync {
    use super::*;

    pub fn methods() {
        let _: fn(usize) -> (Sender<u8>, Receiver<u8>) = corio::sync::channel;
        let _: fn(&Sender<u8>, u8) -> Result<(), SendError<u8>> = Sender::send;
        let _: fn(&Sender<u8>, u8) -> Result<(), TrySendError<u8>> = Sender::try_send;
        let _: fn(&Receiver<u8>) -> Option<u8> = Receiver::recv;
        let _: fn(&Receiver<u8>) -> Result<u8, TryRecvError> = Receiver::try_recv;
        let _: fn(SendError<u8>) -> u8 = SendError::into_inner;
        let _: fn(TrySendError<u8>) -> u8 = TrySendError::into_inner;
        let _ = |e: SendError<u8>| e.0;
        let _: [TrySendError<u8>; 2] = [TrySendError::Full(1), TrySendError::Disconnected(2)];
        let _ = [TryRecvError::Empty, TryRecvError::Disconnected];
        let _: fn(SendError<u8>) -> TrySendError<u8> = TrySendError::from;
        assert_impl::<Sender<u8>>();
        fn clone<T: Clone>() {}
        clone::<Sender<u8>>();
        assert_iterator::<Receiver<u8>, u8>();
        assert_error::<SendError<u8>>();
        assert_error::<TrySendError<u8>>();
        assert_error::<TryRecvError>();
        assert_debug::<Sender<u8>>();
        assert_debug::<Receiver<u8>>();

        let _: fn(usize) -> Semaphore = Semaphore::new;
        const _: Semaphore = Semaphore::new(1); // a const fn
        let _: fn(&Semaphore) -> SemaphorePermit<'_> = Semaphore::acquire;
        let _: fn(&Semaphore) -> Option<SemaphorePermit<'_>> = Semaphore::try_acquire;
        let _: fn(&Semaphore) -> usize = Semaphore::available_permits;
        let _: fn(&Semaphore, usize) = Semaphore::add_permits;
        assert_debug::<Semaphore>();
        assert_debug::<SemaphorePermit<'_>>();

        let _: fn(u8) -> Mutex<u8> = Mutex::new;
        const _: Mutex<u8> = Mutex::new(0); // a const fn
        let _: fn(Mutex<u8>) -> u8 = Mutex::into_inner;
        let _: fn(&Mutex<u8>) -> MutexGuard<'_, u8> = Mutex::lock;
        let _: fn(&Mutex<u8>) -> Option<MutexGuard<'_, u8>> = Mutex::try_lock;
        let _: fn(&mut Mutex<u8>) -> &mut u8 = Mutex::get_mut;
        let _: fn(u8) -> Mutex<u8> = Mutex::from;
        let _: fn() -> Mutex<u8> = Mutex::default;
        assert_impl::<Mutex<[u8]>>(); // T: ?Sized
        fn guard<'a, G: std::ops::DerefMut<Target = u8> + Debug + Display + 'a>() {}
        guard::<MutexGuard<'_, u8>>();
        assert_debug::<Mutex<u8>>();

        let _: fn() -> Event = Event::new;
        const _: Event = Event::new(); // a const fn
        let _: fn(&Event) = Event::set;
        let _: fn(&Event) = Event::clear;
        let _: fn(&Event) -> bool = Event::is_set;
        let _: fn(&Event) = Event::wait;
        let _: fn() -> Event = Event::default;
        assert_debug::<Event>();
    }
}

/// Channels that cross threads: `corio::sync::shared`.
#[allow(dead_code)]
mod shared_sync {
    use super::*;
    use corio::sync::shared::{
        self, OneshotReceiver, OneshotSender, Receiver, RecvFuture, SendFuture, Sender,
    };
    use std::future::Future;

    pub fn items() {
        let _: fn(usize) -> (Sender<u8>, Receiver<u8>) = shared::channel;
        let _: fn(&Sender<u8>, u8) -> Result<(), SendError<u8>> = Sender::send;
        let _: fn(&Sender<u8>, u8) -> Result<(), TrySendError<u8>> = Sender::try_send;
        let _: for<'a> fn(&'a Sender<u8>, u8) -> SendFuture<'a, u8> = Sender::send_async;
        let _: fn(&Receiver<u8>) -> Option<u8> = Receiver::recv;
        let _: fn(&Receiver<u8>) -> Result<u8, TryRecvError> = Receiver::try_recv;
        let _: for<'a> fn(&'a Receiver<u8>) -> RecvFuture<'a, u8> = Receiver::recv_async;
        let _: fn() -> (OneshotSender<u8>, OneshotReceiver<u8>) = shared::oneshot;
        let _: fn(OneshotSender<u8>, u8) -> Result<(), u8> = OneshotSender::send;
        let _: fn(OneshotReceiver<u8>) -> Option<u8> = OneshotReceiver::recv;
        let _: fn(&mut OneshotReceiver<u8>) -> Result<u8, TryRecvError> = OneshotReceiver::try_recv;
        fn send_sync_clone<T: Send + Sync + Clone + Debug>() {}
        send_sync_clone::<Sender<u8>>();
        send_sync_clone::<Receiver<u8>>();
        fn send_sync<T: Send + Sync + Debug>() {}
        send_sync::<OneshotSender<u8>>();
        send_sync::<OneshotReceiver<u8>>();
        assert_iterator::<Receiver<u8>, u8>();
        fn future<F: Future<Output = O> + Send + Unpin + Debug, O>() {}
        future::<OneshotReceiver<u8>, Option<u8>>();
        future::<SendFuture<'_, u8>, Result<(), SendError<u8>>>();
        future::<RecvFuture<'_, u8>, Option<u8>>();
    }
}

/// Stacks and the lifecycle trace.
#[allow(dead_code)]
mod stack_and_trace {
    use super::*;
    use corio::trace::{self, Direction, Event, Html, LifecycleStep, Outcome, ParkReason, What};

    pub fn items() {
        let _: usize = corio::stack::DEFAULT_STACK_SIZE;
        let _: usize = corio::stack::MIN_STACK_SIZE;
        let _: usize = corio::stack::MAX_STACK_SIZE;
        let _: fn() -> GuardKind = corio::stack::guard_kind;
        let _: fn() -> (usize, usize) = corio::stack::default_pool_counts;
        let _: fn(Duration) = corio::stack::set_decay;
        let _: fn() -> Duration = corio::stack::decay;
        let _: Duration = corio::stack::DEFAULT_DECAY;
        let _ = [GuardKind::Madvise, GuardKind::Mprotect];

        let _: fn() = trace::start;
        let _: fn() -> Vec<Event> = trace::finish;
        let _: fn() -> bool = trace::is_recording;
        let _: fn(&[Event], usize) -> String = trace::timeline;
        let _: fn(&[Event]) -> String = trace::chrome_json;
        let _: fn(&[Event]) -> String = trace::html;
        let _: fn(&[Event], u64) -> Vec<LifecycleStep> = trace::lifecycle;
        let _ = |step: LifecycleStep| -> (&'static str, &'static str, Option<usize>) {
            (step.name, step.detail, step.event)
        };
        let _ = |events: &[Event]| -> String {
            Html::new(events)
                .title("title")
                .name(1, "main")
                .lifecycle_of(1)
                .render()
        };
        let _ =
            |event: Event| -> (Duration, Option<u64>, What) { (event.at, event.task, event.what) };
        let _ = [
            What::Spawned,
            What::Named(String::from("main")),
            What::Resumed,
            What::Parked(ParkReason::Yield),
            What::Woken,
            What::Finished(Outcome::Returned),
            What::IoInterest {
                fd: 3,
                direction: Direction::Read,
            },
            What::LoopWaits { timeout: None },
            What::IoReady {
                fd: 3,
                readable: true,
                writable: false,
            },
        ];
        let _ = [
            ParkReason::Io {
                fd: 3,
                direction: Direction::Write,
            },
            ParkReason::Timer {
                until: Duration::ZERO,
            },
            ParkReason::Join { task: 1 },
            ParkReason::Yield,
            ParkReason::Sync,
            ParkReason::Future,
            ParkReason::Other,
        ];
        let _ = [Outcome::Returned, Outcome::Panicked, Outcome::Cancelled];
        fn display<T: Display + Debug + Clone + PartialEq>() {}
        display::<Event>();
        display::<What>();
        display::<ParkReason>();
    }
}

/// Virtual time: `Builder::virtual_time`, `corio::test::run`,
/// `corio::time::now`.
#[allow(dead_code)]
mod virtual_time {
    use super::*;
    use corio::Builder;

    pub fn test_run<T, F: FnOnce() -> T>(f: F) -> T {
        corio::test::run(f)
    }

    pub fn items() {
        let _: fn(&mut Builder, bool) -> &mut Builder = Builder::virtual_time;
        let _: fn() -> Instant = corio::time::now;
        let _ = test_run::<u8, fn() -> u8>;
    }
}

/// The `ureq` feature's names (`corio::ureq`), built only with the feature:
/// `cargo test --features ureq --test api_contract`.
#[cfg(feature = "ureq")]
mod ureq_feature {
    use super::*;
    use ::ureq::unversioned::resolver::Resolver;
    use ::ureq::unversioned::transport::{Connector, Transport};
    use corio::ureq::{CorioConnector, CorioResolver, CorioTransport};

    pub fn items() {
        let _: fn() -> ::ureq::Agent = corio::ureq::agent;
        let _: fn(::ureq::config::Config) -> ::ureq::Agent = corio::ureq::agent_with;
        fn connector<C: Connector<(), Out = CorioTransport> + Clone + Copy + Default + Debug>() {}
        connector::<CorioConnector>();
        fn transport<T: Transport + Send + Sync + Debug>() {}
        transport::<CorioTransport>();
        fn resolver<R: Resolver + Clone + Copy + Default + Debug>() {}
        resolver::<CorioResolver>();
    }
}

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
