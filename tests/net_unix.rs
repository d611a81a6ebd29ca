//! Unix sockets on the runtime, tested like TCP: an echo server under many
//! concurrent clients, half-close, path and abstract (Linux) addresses,
//! datagrams (bound, unbound, paired, connected), a send that parks on a
//! full queue, a connect that waits out a full backlog, timeouts, a
//! reader task and a writer task owning clones of one stream, a socket
//! moved to another thread's runtime and back, and use outside `run`.

mod util;

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use corio::net::{UnixDatagram, UnixListener, UnixStream};
use util::ms;

/// A socket path in the temp directory, unique in this run, removed when
/// dropped (std leaves a bound path in the file system).
struct SockPath(PathBuf);

impl SockPath {
    fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let file = format!("corio-test-{}-{name}-{n}.sock", std::process::id());
        let path = std::env::temp_dir().join(file);
        let _ = std::fs::remove_file(&path);
        SockPath(path)
    }
}

impl AsRef<Path> for SockPath {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for SockPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// An abstract address unique in this run.
fn abstract_addr(name: &str) -> SocketAddr {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let name = format!("corio-test-{}-{name}-{n}", std::process::id());
    SocketAddr::from_abstract_name(name.as_bytes()).unwrap()
}

/// Client `index`'s message: 1 to 3 KiB of bytes that depend on the index.
fn payload(index: usize) -> Vec<u8> {
    let len = 1024 + (index * 53) % 2048;
    (0..len)
        .map(|j| ((index * 17 + j * 5) % 251) as u8)
        .collect()
}

/// Serves `clients` connections, each echoed by a task of its own, and
/// returns the bytes echoed.
fn echo_server(listener: UnixListener, clients: usize) -> corio::JoinHandle<u64> {
    corio::spawn(move || {
        let echoes: Vec<_> = listener
            .incoming()
            .take(clients)
            .map(|stream| {
                let stream = stream.expect("accept");
                corio::spawn(move || io::copy(&mut &stream, &mut &stream).expect("echo"))
            })
            .collect();
        echoes.into_iter().map(|e| e.join().unwrap()).sum()
    })
}

/// Sends client `index`'s payload, half-closes, reads the echo back.
fn client_round_trip(mut stream: UnixStream, index: usize) -> io::Result<bool> {
    let sent = payload(index);
    stream.write_all(&sent)?;
    stream.shutdown(Shutdown::Write)?;
    let mut received = Vec::new();
    stream.read_to_end(&mut received)?;
    Ok(received == sent)
}

#[test]
fn many_clients_over_a_path_get_their_own_bytes_echoed() {
    let clients = util::scaled(300);
    let path = SockPath::new("echo");
    let (echoed, matched) = corio::run(|| {
        let server = echo_server(UnixListener::bind(&path).unwrap(), clients);
        let tasks: Vec<_> = (0..clients)
            .map(|index| {
                let path = path.0.clone();
                corio::spawn(move || client_round_trip(UnixStream::connect(path)?, index))
            })
            .collect();
        let matched = tasks
            .into_iter()
            .map(|t| t.join().unwrap().expect("client I/O"))
            .filter(|&matched| matched)
            .count();
        (server.join().unwrap(), matched)
    });
    assert_eq!(matched, clients);
    let expected: usize = (0..clients).map(|i| payload(i).len()).sum();
    assert_eq!(echoed, expected as u64);
}

#[test]
fn abstract_addresses_connect_and_name_both_ends() {
    let addr = abstract_addr("stream");
    let name = addr.as_abstract_name().unwrap().to_vec();
    corio::run(move || -> io::Result<()> {
        let listener = UnixListener::bind_addr(&addr)?;
        assert_eq!(listener.local_addr()?.as_abstract_name(), Some(&name[..]));
        let server = echo_server(listener, 2);
        for index in 0..2 {
            let stream = UnixStream::connect_addr(&addr)?;
            assert_eq!(stream.peer_addr()?.as_abstract_name(), Some(&name[..]));
            assert!(stream.local_addr()?.is_unnamed());
            assert!(client_round_trip(stream, index)?);
        }
        assert_eq!(
            server.join().unwrap(),
            (payload(0).len() + payload(1).len()) as u64
        );
        Ok(())
    })
    .unwrap();
}

#[test]
fn a_half_closed_stream_still_carries_the_other_direction() {
    let path = SockPath::new("half");
    let log = corio::run(|| -> io::Result<Vec<String>> {
        let listener = UnixListener::bind(&path)?;
        let server = corio::spawn(move || -> io::Result<String> {
            let (stream, _) = listener.accept()?;
            let mut request = String::new();
            (&stream).read_to_string(&mut request)?; // ends at the client's shutdown
            (&stream).write_all(b"first line\n")?;
            corio::sleep(ms(5));
            (&stream).write_all(b"second line\n")?;
            Ok(request)
        });
        let client = UnixStream::connect(&path)?;
        (&client).write_all(b"request")?;
        client.shutdown(Shutdown::Write)?;
        let written = (&client).write(b"more").unwrap_err();
        assert_eq!(written.kind(), ErrorKind::BrokenPipe);
        let lines: Vec<String> = BufReader::new(&client).lines().collect::<io::Result<_>>()?;
        assert_eq!(server.join().unwrap()?, "request");
        Ok(lines)
    })
    .unwrap();
    assert_eq!(log, ["first line", "second line"]);
}

#[test]
fn datagrams_between_paths_abstract_names_and_unbound_sockets() {
    let (a_path, b_path) = (SockPath::new("dgram-a"), SockPath::new("dgram-b"));
    corio::run(|| -> io::Result<()> {
        let a = UnixDatagram::bind(&a_path)?;
        let b = UnixDatagram::bind(&b_path)?;
        let replier = corio::spawn(move || -> io::Result<()> {
            let mut buf = [0u8; 256];
            for _ in 0..2 {
                let (n, from) = b.recv_from(&mut buf)?;
                let reply = buf[..n].to_ascii_uppercase();
                match from.as_pathname() {
                    Some(path) => b.send_to(&reply, path)?,
                    None => {
                        assert!(from.is_unnamed());
                        0
                    }
                };
            }
            Ok(())
        });
        let mut buf = [0u8; 256];
        a.send_to(b"by path", &b_path)?;
        let (n, from) = a.recv_from(&mut buf)?;
        assert_eq!(&buf[..n], b"BY PATH");
        assert_eq!(from.as_pathname(), Some(b_path.0.as_path()));
        let unbound = UnixDatagram::unbound()?;
        unbound.send_to(b"anonymous", &b_path)?; // no reply can come back
        replier.join().unwrap()?;

        // Connected, over abstract names.
        let (x_addr, y_addr) = (abstract_addr("dgram-x"), abstract_addr("dgram-y"));
        let x = UnixDatagram::bind_addr(&x_addr)?;
        let y = UnixDatagram::bind_addr(&y_addr)?;
        x.connect_addr(&y_addr)?;
        assert_eq!(x.peer_addr()?.as_abstract_name(), y_addr.as_abstract_name());
        let receiving = corio::spawn(move || -> io::Result<Vec<u8>> {
            let mut buf = [0u8; 64];
            let (n, from) = y.recv_from(&mut buf)?;
            assert_eq!(from.as_abstract_name(), x_addr.as_abstract_name());
            y.send_to_addr(b"back", &from)?;
            Ok(buf[..n].to_vec())
        });
        x.send(b"connected")?;
        let n = x.recv(&mut buf)?;
        assert_eq!(&buf[..n], b"back");
        assert_eq!(receiving.join().unwrap()?, b"connected");
        Ok(())
    })
    .unwrap();
}

#[test]
fn a_datagram_send_parks_while_the_peers_queue_is_full() {
    // Far more than a socket buffer holds: the sender must park, and the
    // receiver (a task that starts only once the sender parks) drains.
    const DATAGRAMS: usize = 600;
    let received = corio::run(|| {
        let (tx, rx) = UnixDatagram::pair().unwrap();
        let sender = corio::spawn(move || -> io::Result<()> {
            let mut datagram = vec![0u8; 4096];
            for n in 0..DATAGRAMS {
                datagram[..8].copy_from_slice(&(n as u64).to_le_bytes());
                assert_eq!(tx.send(&datagram)?, 4096);
            }
            Ok(())
        });
        let mut buf = [0u8; 4096];
        let mut order = Vec::with_capacity(DATAGRAMS);
        while order.len() < DATAGRAMS {
            let n = rx.recv(&mut buf).unwrap();
            assert_eq!(n, 4096);
            order.push(u64::from_le_bytes(buf[..8].try_into().unwrap()));
        }
        sender.join().unwrap().unwrap();
        order
    });
    assert_eq!(received, (0..DATAGRAMS as u64).collect::<Vec<_>>());
}

#[test]
fn a_connect_to_a_full_backlog_waits_until_the_server_accepts() {
    let path = SockPath::new("backlog");
    let std_listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    // A backlog of 0 queues one connection; the next connect would block.
    // SAFETY: `listen` takes a descriptor and an integer; the descriptor
    // is owned by `std_listener` and open during the call.
    assert_eq!(unsafe { libc::listen(std_listener.as_raw_fd(), 0) }, 0);
    let listener = UnixListener::from_std(std_listener).unwrap();
    let queued = UnixStream::connect(&path).unwrap();
    let refused = mio::net::UnixStream::connect(&path).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::WouldBlock, "the backlog is full");
    let connected = corio::run(|| {
        let clients: Vec<_> = (0..3)
            .map(|_| {
                let path = path.0.clone();
                corio::spawn(move || UnixStream::connect(path).map(drop))
            })
            .collect();
        corio::yield_now(); // they start; at most one more fits the queue
        let mut accepted = 0;
        for _ in 0..4 {
            listener.accept().unwrap();
            accepted += 1;
        }
        for client in clients {
            client
                .join()
                .unwrap()
                .expect("connected once there was room");
        }
        accepted
    });
    assert_eq!(connected, 4);
    drop(queued);
}

#[test]
fn a_read_timeout_fails_with_timed_out_and_the_stream_stays_usable() {
    corio::run(|| -> io::Result<()> {
        let (a, b) = UnixStream::pair()?;
        assert_eq!(
            a.set_read_timeout(Some(ms(0))).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        a.set_read_timeout(Some(ms(30)))?;
        a.set_write_timeout(Some(ms(30)))?;
        assert_eq!(
            (a.read_timeout()?, a.write_timeout()?),
            (Some(ms(30)), Some(ms(30)))
        );
        let other = corio::spawn(|| "ran during the read");
        let error = (&a).read(&mut [0u8; 4]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::TimedOut);
        assert!(other.is_finished());
        (&b).write_all(b"late")?;
        let mut late = [0u8; 4];
        (&a).read_exact(&mut late)?;
        assert_eq!(&late, b"late");

        let (x, y) = UnixDatagram::pair()?;
        x.set_read_timeout(Some(ms(20)))?;
        assert_eq!(
            x.recv(&mut [0u8; 4]).unwrap_err().kind(),
            ErrorKind::TimedOut
        );
        y.send(b"ok")?;
        assert_eq!(x.recv(&mut [0u8; 4])?, 2);
        Ok(())
    })
    .unwrap();
}

#[test]
fn a_reader_task_and_a_writer_task_each_own_a_clone_of_one_stream() {
    let lines = util::scaled(500);
    let got = corio::run(|| -> io::Result<usize> {
        let (client, server) = UnixStream::pair()?;
        let echo = corio::spawn(move || io::copy(&mut &server, &mut &server));
        let mut writer = client.try_clone()?;
        assert_ne!(writer.as_raw_fd(), client.as_raw_fd());
        let writing = corio::spawn(move || -> io::Result<()> {
            for n in 0..lines {
                writeln!(writer, "line {n}")?;
            }
            writer.shutdown(Shutdown::Write)
        });
        let reading = corio::spawn(move || -> io::Result<usize> {
            let mut count = 0;
            for line in BufReader::new(&client).lines() {
                assert_eq!(line?, format!("line {count}"));
                count += 1;
            }
            Ok(count)
        });
        writing.join().unwrap()?;
        let count = reading.join().unwrap()?;
        echo.join().unwrap()?;
        Ok(count)
    })
    .unwrap();
    assert_eq!(got, lines);
}

#[test]
fn a_stream_moved_to_another_runtime_and_back_keeps_working() {
    /// In the current runtime: a task parks reading one byte from `near`
    /// (registering it here), then `far` sends that byte.
    fn relay(near: UnixStream, far: UnixStream, byte: u8) -> (UnixStream, UnixStream, u8) {
        corio::run(move || {
            let reader = corio::spawn(move || {
                let mut b = [0u8; 1];
                (&near).read_exact(&mut b).unwrap();
                (near, b[0])
            });
            corio::yield_now(); // the reader parks on `near`
            (&far).write_all(&[byte]).unwrap();
            let (near, got) = reader.join().unwrap();
            (near, far, got)
        })
    }
    let (near, far) = UnixStream::pair().unwrap();
    let (near, far, first) = relay(near, far, b'1');
    let (near, far, second) = std::thread::spawn(move || relay(near, far, b'2'))
        .join()
        .unwrap();
    let (_, _, third) = relay(near, far, b'3');
    assert_eq!([first, second, third], *b"123");
}

#[test]
fn unix_sockets_outside_run_block_like_std_ones() {
    let path = SockPath::new("outside");
    let listener = UnixListener::bind(&path).unwrap();
    let peer_path = path.0.clone();
    let peer = std::thread::spawn(move || -> io::Result<String> {
        let mut stream = std::os::unix::net::UnixStream::connect(peer_path)?;
        stream.write_all(b"ping over std")?;
        stream.shutdown(Shutdown::Write)?;
        let mut reply = String::new();
        stream.read_to_string(&mut reply)?;
        Ok(reply)
    });
    let (mut stream, _) = listener.accept().unwrap();
    let mut got = Vec::new();
    stream.read_to_end(&mut got).unwrap();
    stream.write_all(&got.to_ascii_uppercase()).unwrap();
    drop(stream);
    assert_eq!(peer.join().unwrap().unwrap(), "PING OVER STD");

    // A corio client, connecting outside run, with a read timeout.
    let client = UnixStream::connect(&path).unwrap();
    let (server, _) = listener.accept().unwrap();
    client.set_read_timeout(Some(ms(20))).unwrap();
    let error = (&client).read(&mut [0u8; 1]).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TimedOut);
    (&server).write_all(b"!").unwrap();
    let mut byte = [0u8; 1];
    (&client).read_exact(&mut byte).unwrap();
    assert_eq!(&byte, b"!");

    // Datagrams too.
    let (x, y) = UnixDatagram::pair().unwrap();
    let sender = std::thread::spawn(move || y.send(b"from a thread"));
    let mut buf = [0u8; 32];
    let n = x.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"from a thread");
    sender.join().unwrap().unwrap();
}

#[test]
fn unix_sockets_report_errors_and_expose_descriptors() {
    let path = SockPath::new("missing");
    let missing = UnixStream::connect(&path).unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    let in_run = corio::run(|| UnixStream::connect(&path).unwrap_err());
    assert_eq!(in_run.kind(), ErrorKind::NotFound);
    let listener = UnixListener::bind(&path).unwrap();
    let in_use = UnixListener::bind(&path).unwrap_err();
    assert_eq!(in_use.kind(), ErrorKind::AddrInUse);
    assert!(listener.take_error().unwrap().is_none());
    let clone = listener.try_clone().unwrap();
    let (a, b) = UnixStream::pair().unwrap();
    let d = UnixDatagram::unbound().unwrap();
    let fds = [
        listener.as_raw_fd(),
        clone.as_raw_fd(),
        a.as_raw_fd(),
        b.as_raw_fd(),
        d.as_raw_fd(),
    ];
    let mut unique = fds.to_vec();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), fds.len(), "{fds:?}");
    assert!(a.take_error().unwrap().is_none() && d.take_error().unwrap().is_none());
    assert!(format!("{a:?}").contains("UnixStream"));
    assert!(format!("{listener:?}").contains("UnixListener"));
    assert!(format!("{d:?}").contains("UnixDatagram"));
    assert!(d.peer_addr().is_err());
    d.shutdown(Shutdown::Both).unwrap();
}
