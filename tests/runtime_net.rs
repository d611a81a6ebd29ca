//! Networking on the runtime: a TCP echo server under a thousand concurrent
//! clients, UDP round trips, std's `BufReader` and the `httparse` crate
//! running unchanged over corio sockets, read timeouts that park only the
//! reading task, sockets used outside `run` like std ones, and a generator
//! that turns a socket into a stream of parsed numbers.

mod util;

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::Shutdown;
use std::time::Instant;

use corio::net::{TcpStream, UdpSocket};
use corio::{Generator, GeneratorState};
use util::{counter, flag, local_listener, log, ms};

/// Client `index`'s message: 2 to 4 KiB of bytes that depend on the index.
fn payload(index: usize) -> Vec<u8> {
    let len = 2048 + (index * 37) % 2048;
    (0..len)
        .map(|j| ((index * 31 + j * 7) % 251) as u8)
        .collect()
}

/// Sum of the bytes and their count.
fn checksum(bytes: &[u8]) -> (u64, usize) {
    (bytes.iter().map(|&b| u64::from(b)).sum(), bytes.len())
}

/// Echoes everything it reads until the peer closes its write half (with
/// std's `io::copy`, reading and writing through `&TcpStream`); returns the
/// number of bytes echoed.
fn echo(stream: TcpStream) -> io::Result<u64> {
    io::copy(&mut &stream, &mut &stream)
}

#[test]
fn a_thousand_concurrent_clients_get_their_own_bytes_echoed() {
    // About 2,000 descriptors at full scale; `ulimit -n` here is 20,000.
    let clients = util::scaled(1000);
    let (echoed, succeeded) = corio::run(|| {
        // A burst of a thousand connects fits in bind's backlog of 1024.
        let (listener, addr) = local_listener();
        let server = corio::spawn(move || {
            let connections: Vec<_> = (0..clients)
                .map(|_| {
                    let (stream, _) = listener.accept().expect("accept");
                    corio::spawn(move || echo(stream))
                })
                .collect();
            connections
                .into_iter()
                .map(|handle| handle.join().unwrap().expect("echo"))
                .sum::<u64>()
        });
        let client_tasks: Vec<_> = (0..clients)
            .map(|index| {
                corio::spawn(move || -> io::Result<bool> {
                    let sent = payload(index);
                    let mut stream = TcpStream::connect(addr)?;
                    stream.write_all(&sent)?;
                    stream.shutdown(Shutdown::Write)?;
                    let mut received = Vec::with_capacity(sent.len());
                    stream.read_to_end(&mut received)?;
                    Ok(checksum(&received) == checksum(&sent) && received == sent)
                })
            })
            .collect();
        let succeeded = client_tasks
            .into_iter()
            .map(|handle| handle.join().unwrap().expect("client I/O"))
            .filter(|&matched| matched)
            .count();
        (server.join().unwrap(), succeeded)
    });
    assert_eq!(succeeded, clients);
    let expected: usize = (0..clients).map(|i| payload(i).len()).sum();
    assert_eq!(echoed, expected as u64);
}

/// The accept-queue limit of a listening socket, as the kernel reports it:
/// for a socket in `LISTEN` state, `TCP_INFO`'s `tcpi_sacked` holds the
/// backlog (`sk_max_ack_backlog`), which is also what `ss -ltn` shows.
fn listen_backlog(listener: &corio::net::TcpListener) -> u32 {
    use std::os::fd::AsRawFd;
    // SAFETY: tcp_info is plain old data; all-zero is a valid value.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: the descriptor is open for the call; `info` and `len` are
    // valid for writes and `len` holds the size of `info`.
    let status = unsafe {
        libc::getsockopt(
            listener.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            std::ptr::from_mut(&mut info).cast(),
            &mut len,
        )
    };
    assert_eq!(status, 0, "TCP_INFO: {}", io::Error::last_os_error());
    assert_eq!(info.tcpi_state, 10, "TCP_LISTEN");
    info.tcpi_sacked
}

#[test]
fn bind_listens_with_a_backlog_of_1024() {
    let somaxconn: u32 = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .expect("read net.core.somaxconn")
        .trim()
        .parse()
        .expect("somaxconn is a number");
    let (listener, addr) = local_listener();
    assert_eq!(listen_backlog(&listener), 1024.min(somaxconn));

    // More connects than std's and mio's backlog of 128, none accepted:
    // each completes its handshake because the kernel has room to queue it.
    // (With a full queue the kernel drops the SYN and the connect stalls
    // for seconds of retransmits; the timeout turns that into a failure.)
    const UNACCEPTED: usize = 300;
    let clients: Vec<std::net::TcpStream> = (0..UNACCEPTED)
        .map(|i| {
            std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(20))
                .unwrap_or_else(|e| panic!("connect {i} of {UNACCEPTED}: {e}"))
        })
        .collect();
    assert_eq!(clients.len(), UNACCEPTED);
    // Every queued connection is really there to be accepted.
    corio::run(move || {
        for _ in 0..UNACCEPTED {
            listener.accept().expect("accept a queued connection");
        }
    });
}

#[test]
fn udp_round_trips_with_and_without_connect() {
    corio::run(|| -> io::Result<()> {
        let server = UdpSocket::bind("127.0.0.1:0")?;
        let server_addr = server.local_addr()?;
        let reverser = corio::spawn(move || -> io::Result<()> {
            let mut buf = [0u8; 1500];
            for _ in 0..2 {
                let (n, from) = server.recv_from(&mut buf)?;
                let reversed: Vec<u8> = buf[..n].iter().rev().copied().collect();
                server.send_to(&reversed, from)?;
            }
            Ok(())
        });
        let mut buf = [0u8; 1500];

        let loose = UdpSocket::bind("127.0.0.1:0")?;
        assert_eq!(loose.send_to(b"unconnected", server_addr)?, 11);
        let (n, from) = loose.recv_from(&mut buf)?;
        assert_eq!((&buf[..n], from), (&b"detcennocnu"[..], server_addr));

        let connected = UdpSocket::bind("127.0.0.1:0")?;
        connected.connect(server_addr)?;
        assert_eq!(connected.peer_addr()?, server_addr);
        assert_eq!(connected.send(b"connected")?, 9);
        let n = connected.recv(&mut buf)?;
        assert_eq!(&buf[..n], b"detcennoc");
        reverser.join().unwrap()?;

        // Nobody answers now: a receive with a timeout gives up.
        connected.set_read_timeout(Some(ms(30)))?;
        let error = connected.recv(&mut buf).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::TimedOut);
        Ok(())
    })
    .unwrap();
}

#[test]
fn bufreader_reads_lines_that_arrive_in_small_pieces() {
    let lines = corio::run(|| -> io::Result<Vec<String>> {
        let (listener, addr) = local_listener();
        let writer = corio::spawn(move || -> io::Result<()> {
            let (stream, _) = listener.accept()?;
            stream.set_nodelay(true)?;
            for piece in ["alpha\nbe", "ta\ngam", "m", "a", "\ndelta", "\n"] {
                (&stream).write_all(piece.as_bytes())?;
                corio::sleep(ms(5));
            }
            Ok(()) // dropping the stream ends the reader's input
        });
        let stream = TcpStream::connect(addr)?;
        let mut reader = BufReader::new(&stream);
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                break;
            }
            lines.push(line);
        }
        writer.join().unwrap()?;
        Ok(lines)
    })
    .unwrap();
    assert_eq!(lines, ["alpha\n", "beta\n", "gamma\n", "delta\n"]);
}

/// Header `name` of a parsed request or response, as text.
fn header(headers: &[httparse::Header<'_>], name: &str) -> String {
    let found = headers.iter().find(|h| h.name.eq_ignore_ascii_case(name));
    String::from_utf8(found.expect("header present").value.to_vec()).unwrap()
}

#[test]
fn an_http_exchange_parsed_with_httparse_over_corio_sockets() {
    corio::run(|| -> io::Result<()> {
        let (listener, addr) = local_listener();
        let server = corio::spawn(move || -> io::Result<String> {
            let (mut stream, _) = listener.accept()?;
            // httparse's incremental style: read a little, try to parse.
            let (mut buf, mut chunk) = (Vec::new(), [0u8; 32]);
            let path = loop {
                let mut headers = [httparse::EMPTY_HEADER; 16];
                let mut request = httparse::Request::new(&mut headers);
                if request
                    .parse(&buf)
                    .expect("a well-formed request")
                    .is_complete()
                {
                    assert_eq!((request.method, request.version), (Some("GET"), Some(1)));
                    assert_eq!(header(request.headers, "user-agent"), "corio-tests");
                    break request.path.unwrap().to_string();
                }
                match stream.read(&mut chunk)? {
                    0 => return Err(ErrorKind::UnexpectedEof.into()),
                    n => buf.extend_from_slice(&chunk[..n]),
                }
            };
            let body = format!("hello, {}", path.split_once("name=").unwrap().1);
            let length = body.len();
            stream.write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\
                     Content-Length: {length}\r\nConnection: close\r\n\r\n{body}"
                )
                .as_bytes(),
            )?;
            Ok(path) // dropping the stream closes the connection
        });

        let mut stream = TcpStream::connect(addr)?;
        let request = "GET /greet?name=corio HTTP/1.1\r\nHost: localhost\r\n\
                       User-Agent: corio-tests\r\nAccept: */*\r\n\r\n";
        for piece in [&request[..7], &request[7..40], &request[40..]] {
            stream.write_all(piece.as_bytes())?;
            corio::sleep(ms(3));
        }
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply)?;
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut response = httparse::Response::new(&mut headers);
        let httparse::Status::Complete(head_len) = response.parse(&reply).unwrap() else {
            panic!("incomplete response head: {reply:?}");
        };
        assert_eq!((response.code, response.reason), (Some(200), Some("OK")));
        assert_eq!(header(response.headers, "Content-Type"), "text/plain");
        assert_eq!(header(response.headers, "Content-Length"), "12");
        assert_eq!(&reply[head_len..], b"hello, corio");
        assert_eq!(server.join().unwrap()?, "/greet?name=corio");
        Ok(())
    })
    .unwrap();
}

#[test]
fn a_read_timeout_fails_with_timed_out_while_other_tasks_run() {
    let ticks = counter();
    let stop = flag();
    corio::run(|| -> io::Result<()> {
        let ticker = {
            let (ticks, stop) = (ticks.clone(), stop.clone());
            corio::spawn(move || {
                while !stop.get() {
                    ticks.set(ticks.get() + 1);
                    corio::sleep(ms(5));
                }
            })
        };
        let (listener, addr) = local_listener();
        let client = TcpStream::connect(addr)?;
        let (silent_peer, _) = listener.accept()?;

        assert_eq!(
            client.set_read_timeout(Some(ms(0))).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        client.set_read_timeout(Some(ms(50)))?;
        assert_eq!(client.read_timeout()?, Some(ms(50)));
        let ticks_before = ticks.get();
        let start = Instant::now();
        let error = (&client).read(&mut [0u8; 16]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::TimedOut);
        assert!(start.elapsed() >= ms(50));
        assert!(ticks.get() > ticks_before, "the ticker ran during the read");

        // The stream is still usable once the peer does send something.
        (&silent_peer).write_all(b"late")?;
        let mut late = [0u8; 4];
        (&client).read_exact(&mut late)?;
        assert_eq!(&late, b"late");
        stop.set(true);
        ticker.join().unwrap();
        Ok(())
    })
    .unwrap();
}

#[test]
fn sockets_outside_run_block_like_std_ones() {
    // A corio listener and stream serving a std client on another thread.
    let (listener, addr) = local_listener();
    let peer = std::thread::spawn(move || -> io::Result<String> {
        let mut stream = std::net::TcpStream::connect(addr)?;
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

    // A corio client of a std server on another thread.
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let std_addr = std_listener.local_addr().unwrap();
    let server = std::thread::spawn(move || -> io::Result<u64> {
        let (stream, _) = std_listener.accept()?;
        io::copy(&mut &stream, &mut &stream) // echo until the client goes
    });
    let client = TcpStream::connect(std_addr).unwrap();
    (&client).write_all(b"hello").unwrap();
    let mut back = [0u8; 5];
    (&client).read_exact(&mut back).unwrap();
    assert_eq!(&back, b"hello");
    client.set_read_timeout(Some(ms(30))).unwrap();
    let start = Instant::now();
    let error = (&client).read(&mut back).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TimedOut);
    assert!(start.elapsed() >= ms(30));
    drop(client);
    assert_eq!(server.join().unwrap().unwrap(), 5);
}

/// The `k`-th number was written to, or consumed from, the socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    Sent(usize),
    Got(usize),
}

#[test]
fn a_generator_turns_socket_lines_into_a_stream_of_numbers() {
    const NUMBERS: [u64; 8] = [3, 1, 4, 1, 5, 9, 2, 6];
    let events = log();
    let received = corio::run(|| {
        let (listener, addr) = local_listener();
        let writer = {
            let events = events.clone();
            corio::spawn(move || -> io::Result<()> {
                let (stream, _) = listener.accept()?;
                for (k, n) in NUMBERS.into_iter().enumerate() {
                    (&stream).write_all(format!("{n}\n").as_bytes())?;
                    events.borrow_mut().push(Event::Sent(k));
                    corio::sleep(ms(10));
                }
                Ok(())
            })
        };
        let consumer = {
            let events = events.clone();
            corio::spawn(move || -> io::Result<Vec<u64>> {
                let stream = TcpStream::connect(addr)?;
                let mut numbers = Generator::<(), u64, io::Result<usize>>::new(move |y, ()| {
                    let mut count = 0;
                    for line in BufReader::new(&stream).lines() {
                        y.yield_(line?.trim().parse().expect("a number per line"));
                        count += 1;
                    }
                    Ok(count)
                });
                let mut received = Vec::new();
                loop {
                    match numbers.resume(()) {
                        GeneratorState::Yielded(n) => {
                            events.borrow_mut().push(Event::Got(received.len()));
                            received.push(n);
                        }
                        GeneratorState::Complete(count) => {
                            assert_eq!(count?, received.len());
                            return Ok(received);
                        }
                    }
                }
            })
        };
        writer.join().unwrap().unwrap();
        consumer.join().unwrap().unwrap()
    });
    assert_eq!(received, NUMBERS);

    let events = events.borrow();
    let position = |wanted: Event| events.iter().position(|&e| e == wanted).unwrap();
    for k in 0..NUMBERS.len() {
        assert!(
            position(Event::Got(k)) > position(Event::Sent(k)),
            "{events:?}"
        );
    }
    // A stream, not a batch: the first number was consumed long before the
    // last one was sent (they are 70 ms apart).
    assert!(position(Event::Got(0)) < position(Event::Sent(NUMBERS.len() - 1)));
}

/// Regression (found with these tests, fixed in 9c5fff4): a source kept one
/// waiting reader, so when two tasks received on one shared socket, the
/// second to park replaced the first's waker; the first was never woken,
/// even by a later datagram, and `run` reported a false deadlock. (std lets
/// any number of threads block in `recv` on one socket.)
#[test]
fn two_tasks_receiving_on_one_shared_udp_socket_both_get_a_datagram() {
    let mut got = corio::run(|| -> io::Result<Vec<u8>> {
        let socket = std::rc::Rc::new(UdpSocket::bind("127.0.0.1:0")?);
        let addr = socket.local_addr()?;
        let receivers: Vec<_> = (0..2)
            .map(|_| {
                let socket = socket.clone();
                corio::spawn(move || -> io::Result<u8> {
                    let mut byte = [0u8; 1];
                    socket.recv(&mut byte).map(|_| byte[0])
                })
            })
            .collect();
        corio::yield_now(); // both park in `recv`
        let sender = UdpSocket::bind("127.0.0.1:0")?;
        for byte in [1u8, 2] {
            sender.send_to(&[byte], addr)?;
            corio::sleep(ms(5));
        }
        receivers.into_iter().map(|h| h.join().unwrap()).collect()
    })
    .unwrap();
    got.sort_unstable();
    assert_eq!(got, [1, 2]);
}

/// The sockets expose their descriptors, so trace events (which name fds)
/// can be tied back to them.
#[test]
fn sockets_expose_their_file_descriptors() {
    use std::os::fd::{AsFd, AsRawFd};
    let listener = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let udp = corio::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let stream = corio::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let fds = [listener.as_raw_fd(), udp.as_raw_fd(), stream.as_raw_fd()];
    assert!(fds.iter().all(|&fd| fd > 2), "{fds:?}");
    assert_ne!(fds[0], fds[1]);
    assert_eq!(stream.as_fd().as_raw_fd(), fds[2]);
}
