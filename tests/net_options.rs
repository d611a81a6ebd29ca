//! The rest of std's socket surface on corio's TCP and UDP types:
//! `connect_timeout` (against a listener whose backlog is full, so the
//! handshake never completes: loopback only), `try_clone` with a reader
//! task and a writer task each owning a handle, `try_peek`, `take_error`,
//! TTL, `SO_LINGER` and broadcast.

mod util;

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::AsRawFd;
use std::time::Duration;

use corio::net::{TcpStream, UdpSocket};
use util::{local_listener, ms};

/// A loopback listener that accepts nothing and queues at most one
/// connection: further handshakes get no answer (the kernel drops their
/// SYNs), so a connect to it waits until its timeout. The first queued
/// connection is returned too, to keep the queue full.
fn full_backlog() -> (std::net::TcpListener, SocketAddr, std::net::TcpStream) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    // SAFETY: `listen` takes a descriptor and an integer; the descriptor
    // is owned by `listener` and open during the call.
    assert_eq!(unsafe { libc::listen(listener.as_raw_fd(), 0) }, 0);
    let addr = listener.local_addr().unwrap();
    let queued = std::net::TcpStream::connect(addr).unwrap();
    (listener, addr, queued)
}

#[test]
fn connect_timeout_connects_times_out_and_lets_others_run() {
    let (_listener, full, _queued) = full_backlog();
    corio::run(move || {
        let (listener, addr) = local_listener();
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(30)).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        assert_eq!(stream.local_addr().unwrap(), accepted.peer_addr().unwrap());

        let zero = TcpStream::connect_timeout(&addr, Duration::ZERO).unwrap_err();
        assert_eq!(zero.kind(), ErrorKind::InvalidInput);

        let other = corio::spawn(|| "ran while the connect waited");
        // Each attempt either fits the queue (the kernel may answer one
        // more) or waits its full timeout: some attempt must time out.
        let mut kept = Vec::new();
        let timed_out = (0..4).find_map(|_| match TcpStream::connect_timeout(&full, ms(100)) {
            Ok(stream) => {
                kept.push(stream);
                None
            }
            Err(e) => Some(e),
        });
        let error = timed_out.expect("a connect to a full backlog times out");
        assert_eq!(error.kind(), ErrorKind::TimedOut, "{error}");
        assert_eq!(other.join().unwrap(), "ran while the connect waited");
    });

    // Outside run: std's connect_timeout.
    let (listener, addr) = local_listener();
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(30)).unwrap();
    let (accepted, _) = listener.accept().unwrap();
    assert_eq!(stream.local_addr().unwrap(), accepted.peer_addr().unwrap());
    let zero = TcpStream::connect_timeout(&addr, Duration::ZERO).unwrap_err();
    assert_eq!(zero.kind(), ErrorKind::InvalidInput);
}

#[test]
fn a_reader_task_and_a_writer_task_each_own_a_clone_of_one_tcp_stream() {
    let lines = util::scaled(2000);
    let count = corio::run(|| -> io::Result<usize> {
        let (listener, addr) = local_listener();
        let echo = corio::spawn(move || -> io::Result<u64> {
            let (stream, _) = listener.accept()?;
            io::copy(&mut &stream, &mut &stream)
        });
        let stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        let mut writer = stream.try_clone()?;
        assert_ne!(writer.as_raw_fd(), stream.as_raw_fd());
        assert_eq!(writer.read_timeout()?, Some(Duration::from_secs(60)));
        assert_eq!(writer.peer_addr()?, addr);
        let writing = corio::spawn(move || -> io::Result<()> {
            for n in 0..lines {
                writeln!(writer, "line {n}")?;
            }
            writer.shutdown(Shutdown::Write) // the echo ends, then the reader
        });
        let reading = corio::spawn(move || -> io::Result<usize> {
            let mut count = 0;
            for line in BufReader::new(&stream).lines() {
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
    assert_eq!(count, lines);
}

#[test]
fn try_peek_never_parks_and_peek_waits() {
    corio::run(|| -> io::Result<()> {
        let (listener, addr) = local_listener();
        let mut client = TcpStream::connect(addr)?;
        let (server, _) = listener.accept()?;
        let mut buf = [0u8; 16];
        let nothing = server.try_peek(&mut buf).unwrap_err();
        assert_eq!(nothing.kind(), ErrorKind::WouldBlock);
        let writer = corio::spawn(move || -> io::Result<TcpStream> {
            client.write_all(b"peeked")?;
            Ok(client)
        });
        let n = server.peek(&mut buf)?; // parks until the writer ran
        assert_eq!(&buf[..n], b"peeked");
        assert_eq!(server.try_peek(&mut buf)?, 6);
        let mut read = [0u8; 6];
        (&server).read_exact(&mut read)?; // the peeks consumed nothing
        assert_eq!(&read, b"peeked");
        let client = writer.join().unwrap()?;
        client.shutdown(Shutdown::Write)?;
        server.peek(&mut buf)?; // the end of the stream is readable
        assert_eq!(server.try_peek(&mut buf)?, 0);
        Ok(())
    })
    .unwrap();
}

/// Waits (blocking the thread; the error is on its way from the loopback
/// device) until `socket` has a pending error.
fn wait_for_socket_error(socket: &impl AsRawFd) {
    let mut pollfd = libc::pollfd {
        fd: socket.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: `pollfd` is a valid array of one element for the call.
    let ready = unsafe { libc::poll(&mut pollfd, 1, 30_000) };
    assert_eq!(ready, 1, "an error or a datagram arrived");
    assert_ne!(pollfd.revents & libc::POLLERR, 0, "it is an error");
}

#[test]
fn take_error_reports_a_refused_datagram_once() {
    let dead = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap(); // nobody listens there once this socket is gone
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    assert!(socket.take_error().unwrap().is_none());
    socket.connect(dead).unwrap();
    socket.send(b"anyone?").unwrap();
    wait_for_socket_error(&socket);
    let error = socket.take_error().unwrap().expect("the port was closed");
    assert_eq!(error.kind(), ErrorKind::ConnectionRefused);
    assert!(socket.take_error().unwrap().is_none(), "taken");

    // In a task, the refusal wakes a parked receive, which returns it.
    corio::run(move || {
        socket.send(b"anyone at all?").unwrap();
        let error = socket.recv(&mut [0u8; 8]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ConnectionRefused);
    });

    let (listener, addr) = local_listener();
    let stream = TcpStream::connect(addr).unwrap();
    let _accepted = listener.accept().unwrap();
    assert!(stream.take_error().unwrap().is_none());
}

#[test]
fn ttl_linger_and_broadcast_round_trip() {
    let (listener, addr) = local_listener();
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_ttl(17).unwrap();
    assert_eq!(stream.ttl().unwrap(), 17);
    assert_eq!(stream.linger().unwrap(), None);
    stream.set_linger(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(stream.linger().unwrap(), Some(Duration::from_secs(5)));
    stream.set_linger(None).unwrap(); // never block in close
    assert_eq!(stream.linger().unwrap(), None);
    drop((stream, listener));

    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_ttl(3).unwrap();
    assert_eq!(socket.ttl().unwrap(), 3);
    assert!(!socket.broadcast().unwrap());
    socket.set_broadcast(true).unwrap();
    assert!(socket.broadcast().unwrap());
    socket.set_read_timeout(Some(ms(10))).unwrap();
    assert_eq!(socket.read_timeout().unwrap(), Some(ms(10)));
}

#[test]
fn a_zero_linger_resets_the_connection_when_the_stream_is_dropped() {
    let kinds = corio::run(|| {
        let (listener, addr) = local_listener();
        let client = TcpStream::connect(addr).unwrap();
        let (server, _) = listener.accept().unwrap();
        let reader = corio::spawn(move || (&server).read(&mut [0u8; 8]).map_err(|e| e.kind()));
        corio::yield_now(); // the reader parks
        client.set_linger(Some(Duration::ZERO)).unwrap();
        assert_eq!(client.linger().unwrap(), Some(Duration::ZERO));
        drop(client);
        reader.join().unwrap()
    });
    assert_eq!(kinds, Err(ErrorKind::ConnectionReset));
}

#[test]
fn a_udp_receiver_task_and_a_sender_task_each_own_a_clone() {
    let datagrams = util::scaled(200);
    let got = corio::run(|| -> io::Result<Vec<usize>> {
        let peer = UdpSocket::bind("127.0.0.1:0")?;
        let socket = UdpSocket::bind("127.0.0.1:0")?;
        socket.connect(peer.local_addr()?)?;
        peer.connect(socket.local_addr()?)?;
        let sender = socket.try_clone()?;
        assert_eq!(sender.peer_addr()?, peer.local_addr()?);
        let echo = corio::spawn(move || -> io::Result<()> {
            let mut buf = [0u8; 16];
            for _ in 0..datagrams {
                let n = peer.recv(&mut buf)?;
                peer.send(&buf[..n])?;
            }
            Ok(())
        });
        // One datagram in flight at a time (UDP may drop under a burst):
        // the receiver asks for the next one through a channel.
        let (next, wanted) = corio::sync::channel::<()>(1);
        let sending = corio::spawn(move || -> io::Result<()> {
            for n in 0..datagrams {
                wanted.recv().expect("the receiver asks");
                sender.send(&n.to_le_bytes())?;
            }
            Ok(())
        });
        let receiving = corio::spawn(move || -> io::Result<Vec<usize>> {
            let mut got = Vec::new();
            for _ in 0..datagrams {
                next.send(()).unwrap();
                let mut buf = [0u8; 8];
                assert_eq!(socket.recv(&mut buf)?, 8);
                got.push(usize::from_le_bytes(buf));
            }
            Ok(got)
        });
        sending.join().unwrap()?;
        echo.join().unwrap()?;
        receiving.join().unwrap()
    })
    .unwrap();
    assert_eq!(got, (0..datagrams).collect::<Vec<_>>());
}
