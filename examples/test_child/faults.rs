//! The fault-injection scenario that needs a process of its own: `accept`
//! with the descriptor table full (`tests/fault_injection/fd_exhaustion.rs`
//! runs it and checks what it prints).

use std::cell::Cell;
use std::io::{Read, Write};
use std::rc::Rc;
use std::time::Instant;

use crate::support::{local_listener, ms, report};

/// The soft descriptor limit of the scenario: room for the runtime's own
/// (epoll, its waker), the listener and the clients, and then the hoard.
const FD_LIMIT: libc::rlim_t = 64;

/// Clients queued in the listener's backlog before the table is filled.
const CLIENTS: usize = 16;

/// Ticks the bystander task counts while `accept` is starved.
const STARVED_TICKS: u64 = 100;

/// Client `id`'s request, which the server echoes.
fn request(id: usize) -> [u8; 64] {
    std::array::from_fn(|j| (id * 13 + j * 7) as u8)
}

/// Lowers `RLIMIT_NOFILE`, queues [`CLIENTS`] connections, fills the
/// descriptor table, lets the accept loop starve while a ticker runs,
/// then frees two descriptors and lets the server serve every client
/// through that gap. Prints `key value` lines for the test; panics (a
/// non-zero exit) if a reply is wrong or an accept error is not `EMFILE`.
pub fn accept_serves_after_fd_exhaustion() {
    let limit = libc::rlimit {
        rlim_cur: FD_LIMIT,
        rlim_max: FD_LIMIT,
    };
    // SAFETY: setrlimit reads one valid rlimit value and affects only
    // this (child) process.
    let set = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
    assert_eq!(set, 0, "setrlimit: {}", std::io::Error::last_os_error());
    corio::run(|| {
        let (listener, addr) = local_listener();
        let mut clients = Vec::new();
        for id in 0..CLIENTS {
            let mut client = corio::net::TcpStream::connect(addr).expect("connect");
            client.write_all(&request(id)).expect("send the request");
            clients.push(client);
        }
        let mut hoard = Vec::new();
        while let Ok(file) = std::fs::File::open("/dev/null") {
            hoard.push(file);
        }
        report(format!("hoarded {}", hoard.len()));

        let attempts = Rc::new(Cell::new(0u64));
        let emfile = Rc::new(Cell::new(0u64));
        let served = Rc::new(Cell::new(0usize));
        let ticks = Rc::new(Cell::new(0u64));
        let ticker = {
            let ticks = Rc::clone(&ticks);
            corio::spawn(move || {
                loop {
                    corio::sleep(ms(2));
                    ticks.set(ticks.get() + 1);
                }
            })
        };
        let acceptor = {
            let (attempts, emfile, served) = (attempts.clone(), emfile.clone(), served.clone());
            corio::spawn(move || {
                let mut handlers = Vec::new();
                while handlers.len() < CLIENTS {
                    attempts.set(attempts.get() + 1);
                    match listener.accept() {
                        Ok((mut stream, _)) => {
                            let served = Rc::clone(&served);
                            handlers.push(corio::spawn(move || {
                                let mut buf = [0u8; 64];
                                stream.read_exact(&mut buf).expect("read the request");
                                stream.write_all(&buf).expect("echo it");
                                served.set(served.get() + 1);
                                // Dropping `stream` frees its descriptor and
                                // wakes the acceptor at once.
                            }));
                        }
                        Err(e) if e.raw_os_error() == Some(libc::EMFILE) => {
                            emfile.set(emfile.get() + 1);
                        }
                        Err(e) => panic!("accept failed with something else than EMFILE: {e}"),
                    }
                }
                for handler in handlers {
                    handler.join().expect("a handler");
                }
            })
        };

        // Phase 1: no descriptor free. The acceptor may only retry after
        // each back-off; the ticker must keep ticking.
        let start = Instant::now();
        while ticks.get() < STARVED_TICKS {
            corio::sleep(ms(2));
        }
        let window = start.elapsed();
        report(format!("starved_window_ms {}", window.as_millis()));
        report(format!("starved_attempts {}", attempts.get()));
        report(format!("starved_emfile {}", emfile.get()));
        report(format!("starved_served {}", served.get()));
        report(format!("starved_ticks {}", ticks.get()));

        // Phase 2: two descriptors come free (closed outside corio, so only
        // the back-off tells the acceptor); each handler's close then
        // makes room for the next connection.
        let (before_attempts, before_emfile) = (attempts.get(), emfile.get());
        hoard.truncate(hoard.len() - 2);
        acceptor.join().expect("the acceptor");
        report(format!("served {}", served.get()));
        report(format!(
            "recovery_attempts {}",
            attempts.get() - before_attempts
        ));
        report(format!("recovery_emfile {}", emfile.get() - before_emfile));

        let mut correct = 0;
        for (id, client) in clients.iter_mut().enumerate() {
            let mut reply = [0u8; 64];
            client.read_exact(&mut reply).expect("read the reply");
            assert_eq!(reply, request(id), "client {id}'s reply");
            correct += 1;
        }
        report(format!("correct_replies {correct}"));
        ticker.abort();
        drop(hoard);
    });
}
