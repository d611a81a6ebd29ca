//! Fault 2: the peer resets the connection (`SO_LINGER` 0, then close)
//! or goes away (a Unix stream's peer closes) while a corio task is in the
//! middle of writing a lot to it.
//!
//! Each victim's server task writes 64 KiB chunks towards a 64 MiB total,
//! with `write_all` (one `send` per chunk) or `write_vectored`; its client
//! reads the first 256 KiB, waits until the bystanders made more round
//! trips, then resets (TCP) or closes (Unix) with data unread. The writer
//! must get `ECONNRESET` or `EPIPE` back as an error (no panic), try once
//! more and get an error again (no hang), and return normally. Eight
//! bystander TCP connections keep doing echo round trips throughout, every
//! reply checked byte for byte.
//!
//! On SIGPIPE: every Rust program starts with SIGPIPE ignored, the test
//! binary too, so a write to a dead socket cannot kill it whatever system
//! call corio makes. To check that corio's writes never raise SIGPIPE at
//! all (a host that left it at its default would die of it), the test
//! counts SIGPIPEs with a handler for its duration: zero for every write
//! flavour. Before the fix in src/net/nosignal.rs, `write_vectored` (a
//! plain `writev`) on TCP and Unix streams raised one per write to a
//! closed peer (40 and 80 in the two vectored runs).

use std::cell::Cell;
use std::io::{ErrorKind, IoSlice, Read, Write};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use corio::net::{TcpStream, UnixStream};

use crate::util::{local_listener, scaled};

/// SIGPIPEs delivered while the counting handler is installed.
static SIGPIPES: AtomicUsize = AtomicUsize::new(0);

extern "C" fn count_sigpipe(_: libc::c_int) {
    SIGPIPES.fetch_add(1, Ordering::Relaxed);
}

/// Counts SIGPIPEs while alive; restores the previous disposition (the
/// Rust runtime's `SIG_IGN`) when dropped.
struct SigpipeCounter(libc::sigaction);

impl SigpipeCounter {
    fn install() -> Self {
        // SAFETY: a zeroed sigaction is a valid "no flags, empty mask"
        // value; the handler only does an atomic add (async-signal-safe);
        // `old` receives the previous action, which Drop puts back.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = count_sigpipe as *const () as libc::sighandler_t;
            let mut old: libc::sigaction = std::mem::zeroed();
            assert_eq!(libc::sigaction(libc::SIGPIPE, &action, &mut old), 0);
            SigpipeCounter(old)
        }
    }
}

impl Drop for SigpipeCounter {
    fn drop(&mut self) {
        // SAFETY: puts back the action saved by `install`, a valid value.
        unsafe { libc::sigaction(libc::SIGPIPE, &self.0, std::ptr::null_mut()) };
    }
}

const CHUNK: usize = 64 * 1024;
const TOTAL: usize = 64 << 20;
const READ_BEFORE_RESET: usize = 256 * 1024;

/// Which socket a victim uses, and how its writer writes.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Flavour {
    TcpWriteAll,
    TcpVectored,
    UnixWriteAll,
    UnixVectored,
}

impl Flavour {
    fn vectored(self) -> bool {
        matches!(self, Flavour::TcpVectored | Flavour::UnixVectored)
    }
}

/// What a victim's writer saw.
struct Outcome {
    written: usize,
    first_error: ErrorKind,
    second_error: Option<ErrorKind>,
}

/// Writes towards [`TOTAL`] until an error, then once more.
fn write_until_error(writer: impl Write, vectored: bool) -> Outcome {
    let chunk = vec![0x5a_u8; CHUNK];
    let write = |writer: &mut dyn Write| {
        if vectored {
            let (a, b) = chunk.split_at(CHUNK / 2);
            writer.write_vectored(&[IoSlice::new(a), IoSlice::new(b)])
        } else {
            writer.write_all(&chunk).map(|()| CHUNK)
        }
    };
    let mut writer = writer;
    let mut written = 0;
    let first_error = loop {
        assert!(written < TOTAL, "the whole 64 MiB went to a dead peer");
        match write(&mut writer) {
            Ok(n) => written += n,
            Err(e) => break e.kind(),
        }
    };
    // The same call again, on the connection now known to be dead.
    let second_error = write(&mut writer).err().map(|e| e.kind());
    Outcome {
        written,
        first_error,
        second_error,
    }
}

/// Reads [`READ_BEFORE_RESET`] bytes, waits until the bystanders made
/// `bystanders` more round trips (so they run while the writer is
/// mid-write), then hands the stream to `reset` and drops it.
fn read_then_reset<S: Read>(
    mut stream: S,
    trips: &Cell<usize>,
    bystanders: usize,
    reset: impl FnOnce(&S),
) -> usize {
    let start = trips.get();
    let mut buf = vec![0u8; 16 * 1024];
    let mut read = 0;
    while read < READ_BEFORE_RESET {
        let n = stream.read(&mut buf).expect("the client reads");
        assert!(n > 0, "the writer closed before the reset");
        read += n;
    }
    while trips.get() < start + bystanders {
        corio::sleep(Duration::from_millis(1));
    }
    reset(&stream);
    read // dropped here, with data unread
}

/// An echo handler: echoes until the peer closes.
fn echo(mut stream: TcpStream) {
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => stream.write_all(&buf[..n]).expect("echo"),
            Err(e) => panic!("a bystander's server side failed: {e}"),
        }
    }
}

/// Starts one victim: its writer and its resetting reader.
fn victim(
    flavour: Flavour,
    listener: &corio::net::TcpListener,
    trips: Rc<Cell<usize>>,
    bystanders: usize,
) -> (corio::JoinHandle<Outcome>, corio::JoinHandle<usize>) {
    let vectored = flavour.vectored();
    match flavour {
        Flavour::TcpWriteAll | Flavour::TcpVectored => {
            let addr = listener.local_addr().unwrap();
            let client = TcpStream::connect(addr).expect("connect");
            let (server, _) = listener.accept().expect("accept");
            (
                corio::spawn(move || write_until_error(&server, vectored)),
                corio::spawn(move || {
                    read_then_reset(client, &trips, bystanders, |s| {
                        s.set_linger(Some(Duration::ZERO)).expect("SO_LINGER 0");
                    })
                }),
            )
        }
        Flavour::UnixWriteAll | Flavour::UnixVectored => {
            let (server, client) = UnixStream::pair().expect("a Unix pair");
            (
                corio::spawn(move || write_until_error(&server, vectored)),
                corio::spawn(move || read_then_reset(client, &trips, bystanders, |_| {})),
            )
        }
    }
}

#[test]
fn a_reset_mid_write_is_an_error_for_that_task_only() {
    let _serial = crate::serial();
    let victims = scaled(40).max(2);
    let bystanders = 8;
    let _count = SigpipeCounter::install();
    let mut sigpipes = Vec::new();
    for flavour in [
        Flavour::TcpWriteAll,
        Flavour::TcpVectored,
        Flavour::UnixWriteAll,
        Flavour::UnixVectored,
    ] {
        SIGPIPES.store(0, Ordering::Relaxed);
        let (outcomes, round_trips) = corio::run(move || {
            let (listener, addr) = local_listener();
            // Bystanders first: connected and echoing before any reset.
            let echoes: Vec<_> = (0..bystanders)
                .map(|_| {
                    let client = TcpStream::connect(addr).expect("connect");
                    let (server, _) = listener.accept().expect("accept");
                    (client, corio::spawn(move || echo(server)))
                })
                .collect();
            let victims_done = Rc::new(corio::sync::Event::new());
            let trips = Rc::new(Cell::new(0usize));
            let chatter: Vec<_> = echoes
                .into_iter()
                .enumerate()
                .map(|(b, (mut client, server))| {
                    let done = Rc::clone(&victims_done);
                    let all_trips = Rc::clone(&trips);
                    corio::spawn(move || {
                        let mut trips = 0usize;
                        // Round trips during the resets, and ten after.
                        let mut after = 0;
                        while after < 10 {
                            if done.is_set() {
                                after += 1;
                            }
                            let message: Vec<u8> =
                                (0..100).map(|j| (b * 7 + trips + j) as u8).collect();
                            client.write_all(&message).expect("bystander write");
                            let mut reply = vec![0u8; message.len()];
                            client.read_exact(&mut reply).expect("bystander read");
                            assert_eq!(reply, message, "bystander {b}'s echo");
                            trips += 1;
                            all_trips.set(all_trips.get() + 1);
                            corio::yield_now();
                        }
                        drop(client);
                        server.join().expect("the echo handler");
                        trips
                    })
                })
                .collect();
            let pairs: Vec<_> = (0..victims)
                .map(|_| victim(flavour, &listener, Rc::clone(&trips), bystanders))
                .collect();
            let outcomes: Vec<_> = pairs
                .into_iter()
                .map(|(writer, reader)| {
                    let read = reader.join().expect("the resetting client");
                    let outcome = writer.join().expect("a writer must not panic");
                    (read, outcome)
                })
                .collect();
            victims_done.set();
            let round_trips: usize = chatter
                .into_iter()
                .map(|c| c.join().expect("a bystander"))
                .sum();
            (outcomes, round_trips)
        });
        let dead =
            |kind: ErrorKind| matches!(kind, ErrorKind::ConnectionReset | ErrorKind::BrokenPipe);
        for (read, outcome) in &outcomes {
            assert!(
                dead(outcome.first_error),
                "{flavour:?}: first error {:?}",
                outcome.first_error
            );
            assert!(
                outcome.second_error.is_some_and(dead),
                "{flavour:?}: a write after the error gave {:?}",
                outcome.second_error
            );
            // Mid-write: past what the client read, far short of the total.
            assert!(outcome.written >= *read && outcome.written < TOTAL);
        }
        assert_eq!(outcomes.len(), victims);
        // Every bystander made its ten round trips after the victims, and
        // together they made `bystanders` more while the readers waited to
        // reset (`read_then_reset`), their writers mid-write.
        assert!(round_trips >= bystanders * 11);
        let resets = outcomes
            .iter()
            .filter(|(_, o)| o.first_error == ErrorKind::ConnectionReset)
            .count();
        let raised = SIGPIPES.load(Ordering::Relaxed);
        sigpipes.push((flavour, raised));
        println!(
            "fault reset mid-write ({flavour:?}): {victims}/{victims} writers got an error \
             ({resets} ECONNRESET, {} EPIPE first) and returned, 0 panics; {bystanders} \
             bystanders: {round_trips} echo round trips, all correct; SIGPIPEs raised: {raised}",
            victims - resets
        );
    }
    for (flavour, raised) in sigpipes {
        assert_eq!(raised, 0, "{flavour:?} writes raised SIGPIPE");
    }
}
