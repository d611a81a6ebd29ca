//! Fault 3: peers that never read. The server's writes fill the socket
//! buffers and park; `corio::timeout` unwinds them; nothing leaks.
//!
//! Each server task writes a numbered byte pattern to its connection in a
//! loop that ends only by error, inside a 200 ms `timeout`, with a drop
//! counter alive across the parked write. So every `Err(Elapsed)` proves
//! the write parked (it is the loop's only park point) and was unwound.
//! Afterwards the same stream must still be whole: the task writes an end
//! marker, the client finally reads, and must get exactly the bytes the
//! task counted as written, in order, then the marker: an unwound write
//! lost or duplicated nothing. Counted before and after: this process's
//! open descriptors (`/proc/self/fd`), the runtime's live tasks
//! (`corio::dump`), and the guards' drops.

use std::cell::Cell;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::rc::Rc;

use corio::net::TcpStream;

use crate::util::{DropCounter, counter, local_listener, ms, scaled};

/// Byte `i` of every connection's stream.
fn byte_at(i: usize) -> u8 {
    (i % 251) as u8
}

const MARKER: &[u8] = b"END";

/// Sets a small socket buffer (`SO_SNDBUF` or `SO_RCVBUF`), so a few
/// hundred connections fill theirs with little kernel memory.
fn small_buffer(stream: &TcpStream, option: libc::c_int) {
    let bytes: libc::c_int = 32 * 1024;
    // SAFETY: `bytes` is a live c_int, the type the kernel reads for
    // this option; the descriptor is open (borrowed from `stream`).
    let set = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            option,
            (&raw const bytes).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    assert_eq!(set, 0, "setsockopt: {}", std::io::Error::last_os_error());
}

#[test]
fn writes_to_a_peer_that_never_reads_park_and_unwind_without_leaks() {
    let _serial = crate::serial();
    let connections = scaled(200).max(2);
    let fds_before = crate::open_fds();
    let created = counter();
    let dropped = counter();
    let (timed_out, intact, tasks_left, written_total) = {
        let (created, dropped) = (Rc::clone(&created), Rc::clone(&dropped));
        corio::run(move || {
            let (listener, addr) = local_listener();
            let tasks_before = corio::dump().tasks().len();
            let mut clients = Vec::new();
            let mut writers = Vec::new();
            // Each writer reports here once its timeout has fired.
            let (report, reports) = corio::sync::channel(connections);
            for _ in 0..connections {
                let client = TcpStream::connect(addr).expect("connect");
                small_buffer(&client, libc::SO_RCVBUF);
                let (server, _) = listener.accept().expect("accept");
                small_buffer(&server, libc::SO_SNDBUF);
                clients.push(client);
                let (created, dropped) = (Rc::clone(&created), Rc::clone(&dropped));
                let report = report.clone();
                writers.push(corio::spawn(move || {
                    let written = Cell::new(0usize);
                    let outcome = corio::timeout(ms(200), || -> std::io::Result<()> {
                        created.set(created.get() + 1);
                        let _held_across_the_park = DropCounter::new(&dropped);
                        loop {
                            let from = written.get();
                            let chunk: Vec<u8> = (from..from + 16 * 1024).map(byte_at).collect();
                            let n = (&server).write(&chunk)?;
                            written.set(from + n);
                        }
                    });
                    let seen = (outcome.is_err(), written.get());
                    report.send(seen).expect("main listens");
                    // The stream is still whole: the marker goes after the
                    // last byte counted (it parks until the client reads).
                    (&server).write_all(MARKER).expect("write the end marker");
                    seen
                }));
            }
            // No client reads until every write loop has ended: by its
            // timeout (`timed_out` counts them), as nothing else ends it.
            for _ in 0..connections {
                reports.recv().expect("a writer's report");
            }
            let mut done = Vec::new();
            let readers: Vec<_> = clients
                .into_iter()
                .map(|mut client| {
                    corio::spawn(move || {
                        let mut all = Vec::new();
                        client.read_to_end(&mut all).expect("the client reads");
                        all
                    })
                })
                .collect();
            for writer in writers {
                done.push(writer.join().expect("a writer task"));
            }
            let mut intact = 0;
            for ((_, written), reader) in done.iter().zip(readers) {
                let all = reader.join().expect("a reader task");
                let (body, marker) = all.split_at(all.len() - MARKER.len());
                assert_eq!(marker, MARKER);
                assert_eq!(body.len(), *written, "bytes lost or duplicated");
                assert!(body.iter().enumerate().all(|(i, &b)| b == byte_at(i)));
                intact += 1;
            }
            let timed_out = done.iter().filter(|(t, _)| *t).count();
            let written_total: usize = done.iter().map(|(_, w)| w).sum();
            let tasks_left = corio::dump().tasks().len() - tasks_before;
            (timed_out, intact, tasks_left, written_total)
        })
    };
    assert_eq!(
        timed_out, connections,
        "every write loop must end by its timeout"
    );
    assert_eq!(intact, connections);
    assert_eq!(created.get(), connections);
    assert_eq!(
        dropped.get(),
        created.get(),
        "a guard across a parked write leaked"
    );
    assert_eq!(tasks_left, 0, "tasks still alive");
    let fds_after = crate::open_fds();
    assert_eq!(fds_after, fds_before, "descriptors leaked");
    println!(
        "fault never-reading peer: {connections}/{connections} parked writes unwound by timeout \
         ({} KiB buffered in all), {intact}/{connections} streams intact afterwards, \
         {}/{} guards dropped, 0 tasks and 0 fds leaked ({fds_before} open before and after)",
        written_total / 1024,
        dropped.get(),
        created.get()
    );
}
