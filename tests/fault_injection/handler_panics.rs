//! Fault 4: one handler task in ten panics.
//!
//! A server spawns a handler per connection; a request is a `u64` id, and
//! the handler of every id ending in 3 panics after reading it (chosen by
//! id, so the same tenth every run). The others reply `3 * id + 1`. Eight
//! keeper connections, accepted before the wave, do echo round trips
//! before, during and after it; a second wave of clients arrives after the
//! first, to show the accept loop survived. The panicking handlers panic
//! while holding a corio `Mutex` the others need, and their destructors
//! park (a sleep, then a write of a goodbye frame) while unwinding from
//! the panic: their clients must get that goodbye. Every handler's `JoinHandle`
//! is joined: the panicked ones must report `JoinError::Panicked` with
//! their own message, exactly the ids ending in 3 and no other.

use std::collections::BTreeSet;
use std::io::{ErrorKind, Read, Write};
use std::rc::Rc;

use corio::net::{TcpListener, TcpStream};
use corio::sync::{Mutex, Semaphore, channel};

use crate::util::{local_listener, scaled};

/// Ids at and above this are keeper connections (echo, never panic).
const KEEPER: u64 = 1 << 40;

fn panics(id: u64) -> bool {
    id % 10 == 3
}

/// What a panicking handler's destructor sends before the connection
/// closes.
const GOODBYE: u64 = u64::MAX;

/// Sends [`GOODBYE`] when dropped, after a nap: a destructor that parks
/// twice (a sleep, a write) while its task unwinds from a panic, as a
/// task's own panic lets it (the crate docs' unwinding rules).
struct Goodbye<'a>(&'a TcpStream);

impl Drop for Goodbye<'_> {
    fn drop(&mut self) {
        corio::sleep(crate::util::ms(1));
        let _ = (&mut &*self.0).write_all(&GOODBYE.to_le_bytes());
    }
}

/// The handler of one connection; returns the id it served. `served`
/// is a count shared by all handlers, behind a corio `Mutex` that the
/// panicking ones hold when they panic.
fn handle(mut stream: TcpStream, served: &Mutex<u64>) -> u64 {
    let mut request = [0u8; 8];
    stream.read_exact(&mut request).expect("read the id");
    let id = u64::from_le_bytes(request);
    if id >= KEEPER {
        // A keeper: echo 8-byte frames until the peer closes.
        let mut frame = [0u8; 8];
        while stream.read_exact(&mut frame).is_ok() {
            stream.write_all(&frame).expect("echo a keeper frame");
        }
        return id;
    }
    let _goodbye = panics(id).then(|| Goodbye(&stream));
    let mut count = served.lock();
    if panics(id) {
        panic!("handler {id} panics");
    }
    *count += 1;
    drop(count);
    drop(_goodbye);
    stream
        .write_all(&(3 * id + 1).to_le_bytes())
        .expect("write the reply");
    id
}

/// What a client saw: `Some(reply)` or `None` when the connection closed
/// (or reset) without one. A reply of [`GOODBYE`] is the panicked
/// handler's destructor speaking.
fn ask(addr: std::net::SocketAddr, id: u64) -> Option<u64> {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.write_all(&id.to_le_bytes()).expect("send the id");
    let mut reply = Vec::new();
    match stream.read_to_end(&mut reply) {
        Ok(_) if reply.is_empty() => None,
        Ok(_) => Some(u64::from_le_bytes(
            reply.try_into().expect("an 8-byte reply"),
        )),
        Err(e) if e.kind() == ErrorKind::ConnectionReset => None,
        Err(e) => panic!("client {id}: {e}"),
    }
}

/// Accepts forever, spawning a handler per connection and passing its
/// handle on.
fn serve(
    listener: TcpListener,
    handles: corio::sync::Sender<corio::JoinHandle<u64>>,
    served: Rc<Mutex<u64>>,
) {
    loop {
        let (stream, _) = listener.accept().expect("accept");
        let served = Rc::clone(&served);
        if handles
            .send(corio::spawn(move || handle(stream, &served)))
            .is_err()
        {
            return;
        }
    }
}

#[test]
fn a_tenth_of_handlers_panic_and_the_rest_are_served() {
    let _serial = crate::serial();
    let first_wave = scaled(1000).max(20) as u64;
    let second_wave = scaled(100).max(10) as u64;
    let keepers = 8u64;
    let (replies, no_reply, panicked, keeper_trips) = corio::run(move || {
        let (listener, addr) = local_listener();
        // Room for every handle: the supervisor joins them in order, and
        // the keepers' handlers (accepted first) end only at the end.
        let capacity = (first_wave + second_wave + keepers) as usize;
        let (to_supervisor, handles) = channel(capacity);
        let served_count = Rc::new(Mutex::new(0));
        let server = {
            let served_count = Rc::clone(&served_count);
            corio::spawn(move || serve(listener, to_supervisor, served_count))
        };
        // Joins every handler as it comes, sorting the outcomes.
        let supervisor = corio::spawn(move || {
            let (mut served, mut panicked) = (BTreeSet::new(), BTreeSet::new());
            while let Some(handle) = handles.recv() {
                match handle.join() {
                    Ok(id) => assert!(served.insert(id)),
                    Err(e) => {
                        let message = e.panic_message().expect("a panic, not a cancel");
                        let id: u64 = message
                            .strip_prefix("handler ")
                            .and_then(|m| m.strip_suffix(" panics"))
                            .and_then(|id| id.parse().ok())
                            .unwrap_or_else(|| panic!("unexpected panic: {message}"));
                        assert!(panicked.insert(id));
                    }
                }
            }
            (served, panicked)
        });
        let keeper_clients: Vec<_> = (0..keepers)
            .map(|k| {
                let mut stream = TcpStream::connect(addr).expect("connect a keeper");
                stream.write_all(&(KEEPER + k).to_le_bytes()).unwrap();
                stream
            })
            .collect();
        let wave_done = Rc::new(corio::sync::Event::new());
        let keeper_tasks: Vec<_> = keeper_clients
            .into_iter()
            .enumerate()
            .map(|(k, mut stream)| {
                let done = Rc::clone(&wave_done);
                corio::spawn(move || {
                    let (mut trips, mut after) = (0u64, 0);
                    while after < 10 {
                        if done.is_set() {
                            after += 1;
                        }
                        let frame = (k as u64) << 32 | trips;
                        stream
                            .write_all(&frame.to_le_bytes())
                            .expect("keeper write");
                        let mut back = [0u8; 8];
                        stream.read_exact(&mut back).expect("keeper read");
                        assert_eq!(u64::from_le_bytes(back), frame);
                        trips += 1;
                        corio::sleep(crate::util::ms(1));
                    }
                    trips
                })
            })
            .collect();
        // Clients, at most 100 connected at once (the fd budget).
        let room = Rc::new(Semaphore::new(100));
        let wave = |ids: std::ops::Range<u64>| -> Vec<(u64, Option<u64>)> {
            let clients: Vec<_> = ids
                .map(|id| {
                    let room = Rc::clone(&room);
                    corio::spawn(move || {
                        let _permit = room.acquire();
                        (id, ask(addr, id))
                    })
                })
                .collect();
            clients
                .into_iter()
                .map(|c| c.join().expect("a client"))
                .collect()
        };
        let mut answers = wave(0..first_wave);
        wave_done.set();
        answers.extend(wave(first_wave..first_wave + second_wave));
        let keeper_trips: u64 = keeper_tasks
            .into_iter()
            .map(|k| k.join().expect("a keeper"))
            .sum();
        server.abort();
        let _ = server.join();
        let (served, panicked) = supervisor.join().expect("the supervisor");
        let mut replies = 0;
        let mut no_reply = BTreeSet::new();
        for (id, answer) in answers {
            match answer {
                Some(GOODBYE) => assert!(no_reply.insert(id)),
                Some(reply) => {
                    assert_eq!(reply, 3 * id + 1, "client {id}'s reply");
                    assert!(served.contains(&id));
                    replies += 1;
                }
                None => panic!("client {id}: closed without even a goodbye"),
            }
        }
        assert_eq!(served.len() as u64, replies + keepers);
        // The mutex the panicking handlers held is free and counted the rest.
        assert_eq!(
            *served_count.try_lock().expect("the mutex is free"),
            replies
        );
        (replies, no_reply, panicked, keeper_trips)
    });
    let total = first_wave + second_wave;
    let expected: BTreeSet<u64> = (0..total).filter(|&id| panics(id)).collect();
    assert_eq!(panicked, expected, "exactly the chosen handlers panicked");
    assert_eq!(no_reply, expected, "exactly their clients got the goodbye");
    assert_eq!(replies, total - expected.len() as u64);
    assert!(keeper_trips >= keepers * 10);
    println!(
        "fault handler panics: {replies}/{total} replies correct, {} panics reported by \
         their JoinHandles (exactly ids ending in 3), {} goodbyes sent by their destructors \
         while unwinding (each parked twice); the Mutex they panicked holding is free; {keepers} keeper connections: {keeper_trips} round trips, all correct; \
         the second wave of {second_wave} accepted and served after the panics",
        panicked.len(),
        no_reply.len()
    );
}
