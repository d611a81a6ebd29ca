//! The edges of corio's short-read rule on TCP: a read that returns fewer
//! bytes than asked drained the socket, so the next read parks at once
//! instead of making a system call that would fail with `EAGAIN`, and
//! the next readiness event wakes it (the same for a short write and a
//! full send buffer).
//!
//! Each test makes data, an end of stream or a reset arrive at a moment
//! where a wrong rule would park a reader that has something to read.
//! Every read in them has a 10 s read timeout, so a reader parked wrongly
//! fails its test with `TimedOut` instead of hanging it; nothing asserts
//! on time.

mod util;

use std::io::{ErrorKind, Read, Write};
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::time::Duration;

use corio::net::{TcpListener, TcpStream};
use corio::sync::Event;
use util::local_listener;

/// A wrongly parked read fails with `TimedOut` after this long.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A connected pair inside a runtime: (the accepted side, the client).
fn pair(listener: &TcpListener) -> (TcpStream, TcpStream) {
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    server.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    client.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    client.set_nodelay(true).unwrap();
    (server, client)
}

/// Reads once from a fresh socket so that it parks (and registers with
/// the reactor, which the rule needs) before anything arrives; `send`
/// runs in another task while it waits.
fn first_read_parks(server: &TcpStream, send: impl FnOnce() + 'static) -> Vec<u8> {
    corio::spawn(|| {
        corio::yield_now(); // the reader goes first, whatever spawn's order
        send();
    });
    let mut buf = [0u8; 4096];
    let n = (&*server).read(&mut buf).expect("the first read");
    buf[..n].to_vec()
}

#[test]
fn data_sent_in_two_parts_with_a_pause_is_all_read() {
    let got = corio::run(|| {
        let (listener, _) = local_listener();
        let (server, client) = pair(&listener);
        let first_read_done = std::rc::Rc::new(Event::new());
        let done = std::rc::Rc::clone(&first_read_done);
        let sender = corio::spawn(move || {
            (&client).write_all(b"first part ").unwrap();
            // The reader has read the first part short and parked again
            // (without trying the read) before the second part is sent.
            done.wait();
            corio::sleep(Duration::from_millis(5));
            (&client).write_all(b"second part").unwrap();
            client
        });
        let mut got = first_read_parks(&server, || {});
        first_read_done.set();
        let mut buf = [0u8; 4096];
        let n = (&server).read(&mut buf).expect("the second part");
        got.extend_from_slice(&buf[..n]);
        drop(sender.join().unwrap());
        got
    });
    assert_eq!(got, b"first part second part");
}

#[test]
fn data_arriving_between_a_short_read_and_the_next_one_is_read() {
    // Two orders: the second part's readiness event still queued in the
    // kernel when the next read starts, and already taken by the loop (in
    // a sleep, with nobody waiting) before it does.
    for loop_polls_in_between in [false, true] {
        let got = corio::run(move || {
            let (listener, addr) = local_listener();
            // A plain std client: a plain thread writes through it below.
            let client = std::sync::Arc::new(std::net::TcpStream::connect(addr).unwrap());
            let (server, _) = listener.accept().unwrap();
            server.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
            let writer = std::sync::Arc::clone(&client);
            let mut got = first_read_parks(&server, move || {
                (&*writer).write_all(b"one").unwrap();
            });
            assert_eq!(got, b"one", "a short read of what was there");
            // A plain thread sends more while this task runs on; joining
            // it blocks the loop, so the loop cannot see the event yet.
            let writer = std::sync::Arc::clone(&client);
            std::thread::spawn(move || (&*writer).write_all(b" two").unwrap())
                .join()
                .unwrap();
            if loop_polls_in_between {
                corio::sleep(Duration::from_millis(5));
            }
            let mut buf = [0u8; 64];
            let n = (&server)
                .read(&mut buf)
                .expect("the part sent after the short read");
            got.extend_from_slice(&buf[..n]);
            got
        });
        assert_eq!(
            got, b"one two",
            "loop polls in between: {loop_polls_in_between}"
        );
    }
}

#[test]
fn data_and_the_end_of_stream_arriving_together_end_the_reads() {
    // The data and the FIN come in one readiness event, which the first
    // read's wake-up takes: the short read of the data is followed by no
    // other event, yet the next read must return 0, not park.
    let (got, end) = corio::run(|| {
        let (listener, _) = local_listener();
        let (server, client) = pair(&listener);
        let got = first_read_parks(&server, move || {
            (&client).write_all(b"last words").unwrap();
            client.shutdown(Shutdown::Write).unwrap();
            // Kept open (only half-closed) until the reader is done.
            corio::sleep(Duration::from_millis(50));
        });
        let mut buf = [0u8; 64];
        let end = (&server).read(&mut buf);
        (got, end.map_err(|e| e.kind()))
    });
    assert_eq!(got, b"last words");
    assert_eq!(end, Ok(0), "the end of stream after a short read");
}

#[test]
fn a_half_close_after_a_short_read_ends_the_reads() {
    let end = corio::run(|| {
        let (listener, _) = local_listener();
        let (server, client) = pair(&listener);
        let first_read_done = std::rc::Rc::new(Event::new());
        let done = std::rc::Rc::clone(&first_read_done);
        let got = first_read_parks(&server, move || {
            (&client).write_all(b"some").unwrap();
            done.wait();
            client.shutdown(Shutdown::Write).unwrap();
            corio::sleep(Duration::from_millis(50));
        });
        assert_eq!(got, b"some");
        first_read_done.set();
        let mut buf = [0u8; 64];
        (&server).read(&mut buf).map_err(|e| e.kind())
    });
    assert_eq!(end, Ok(0));
}

#[test]
fn a_reset_after_a_short_read_is_reported_to_the_next_read() {
    let end = corio::run(|| {
        let (listener, _) = local_listener();
        let (server, client) = pair(&listener);
        let got = first_read_parks(&server, move || {
            (&client).write_all(b"bye").unwrap();
            // SO_LINGER 0: closing sends a reset, not a FIN.
            client.set_linger(Some(Duration::ZERO)).unwrap();
            drop(client);
        });
        assert_eq!(got, b"bye");
        let mut buf = [0u8; 64];
        (&server).read(&mut buf).map_err(|e| e.kind())
    });
    // A reset reads as an error (or, if it came with the data's event
    // taken, still at once); what matters is that it is not a time-out.
    assert!(
        matches!(end, Err(ErrorKind::ConnectionReset) | Ok(0)),
        "{end:?}"
    );
}

#[test]
fn urgent_data_does_not_hide_the_ordinary_data_after_it() {
    // A TCP read stops short at the urgent mark with ordinary data still
    // queued; the urgent byte itself is left out of the stream (no
    // SO_OOBINLINE). Treating that short read as "drained" would park
    // the reader with "def" waiting and no event to come.
    let got = corio::run(|| {
        let (listener, addr) = local_listener();
        let client = std::net::TcpStream::connect(addr).unwrap();
        client.set_nodelay(true).unwrap();
        let (server, _) = listener.accept().unwrap();
        server.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        let writer = client.try_clone().unwrap();
        // Registers the socket (the rule needs it) with a read that parks.
        let warm_up = first_read_parks(&server, move || (&writer).write_all(b">").unwrap());
        assert_eq!(warm_up, b">");
        // A plain thread sends all three parts while the loop is blocked
        // in the join, then the sleep lets the loop take their event.
        let _client = std::thread::spawn(move || {
            (&client).write_all(b"abc").unwrap();
            // SAFETY: the descriptor is the open socket `client` owns, and
            // the buffer is a valid byte for the call.
            let sent =
                unsafe { libc::send(client.as_raw_fd(), c"!".as_ptr().cast(), 1, libc::MSG_OOB) };
            assert_eq!(sent, 1, "{}", std::io::Error::last_os_error());
            (&client).write_all(b"def").unwrap();
            client // kept open: no end of stream to wake the reader
        })
        .join()
        .unwrap();
        corio::sleep(Duration::from_millis(5));
        let mut got = Vec::new();
        let mut buf = [0u8; 64];
        while got.len() < 6 {
            let n = (&server)
                .read(&mut buf)
                .expect("the data after the urgent mark");
            assert_ne!(n, 0, "no end of stream before all the data");
            got.extend_from_slice(&buf[..n]);
        }
        got
    });
    assert_eq!(got, b"abcdef");
}

#[test]
fn reads_of_exactly_the_buffer_size_get_every_byte() {
    // A full read proves nothing; the next read must try. The sizes are
    // multiples of the buffer: every read but the last is full.
    const BUF: usize = 4096;
    let total = corio::run(|| {
        let (listener, _) = local_listener();
        let (server, client) = pair(&listener);
        let sender = corio::spawn(move || {
            for round in 0..20u8 {
                let message = vec![round; BUF * (usize::from(round % 3) + 1)];
                (&client).write_all(&message).unwrap();
                corio::yield_now();
            }
            client.shutdown(Shutdown::Write).unwrap();
            corio::sleep(Duration::from_millis(50));
        });
        let mut all = Vec::new();
        let mut buf = [0u8; BUF];
        loop {
            match (&server).read(&mut buf).expect("a read") {
                0 => break,
                n => all.extend_from_slice(&buf[..n]),
            }
        }
        sender.join().unwrap();
        all
    });
    let expected: Vec<u8> = (0..20u8)
        .flat_map(|round| vec![round; BUF * (usize::from(round % 3) + 1)])
        .collect();
    assert_eq!(total.len(), expected.len());
    assert!(total == expected, "bytes differ");
}

#[test]
fn writes_to_a_slow_reader_fill_the_buffer_and_all_arrive() {
    // The writer's writes come back short when the send buffer fills;
    // the next write parks at once and the reader's progress wakes it.
    // Over the loopback socket buffers at full scale (a few MiB).
    let total = util::scaled(8 << 20);
    let (sum_sent, sum_read) = corio::run(|| {
        let (listener, _) = local_listener();
        let (server, client) = pair(&listener);
        let data: Vec<u8> = (0..total).map(|i| (i % 251) as u8).collect();
        let sum_sent: u64 = data.iter().map(|&b| u64::from(b)).sum();
        let writer = corio::spawn(move || {
            (&client).write_all(&data).unwrap();
            client.shutdown(Shutdown::Write).unwrap();
            corio::sleep(Duration::from_millis(50));
        });
        let mut sum_read = 0u64;
        let mut buf = [0u8; 1000];
        let mut reads = 0u64;
        loop {
            let n = (&server).read(&mut buf).expect("a read");
            if n == 0 {
                break;
            }
            sum_read += buf[..n].iter().map(|&b| u64::from(b)).sum::<u64>();
            reads += 1;
            if reads.is_multiple_of(64) {
                corio::yield_now(); // slower than the writer
            }
        }
        writer.join().unwrap();
        (sum_sent, sum_read)
    });
    assert_eq!(sum_sent, sum_read);
}
