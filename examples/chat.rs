//! A line-based chat room written as plain blocking-style code on corio
//! tasks, for terminals and browsers at once. Run
//! `cargo run --release --example chat -- [addr]` (the default address is
//! 127.0.0.1:7878; port 0 picks a free one), connect a few terminals with
//! `nc 127.0.0.1 7878`, and open `http://127.0.0.1:7878/` in a browser or
//! two: everyone is in the same room.
//!
//! # Browsers
//!
//! The same port serves HTTP (see `chat/web.rs`): `GET /` is one
//! self-contained page (`chat/page.html`, no external assets), and
//! `GET /ws` a WebSocket (tungstenite, over `corio::net::TcpStream`
//! unchanged) whose text messages are the protocol's lines: the page sends
//! the nickname, then what the user types, and shows every line it gets.
//! The page also takes `?nick=ann&say=hello` to join and speak on its own
//! (used for a headless-browser check). A new connection that sends `GET `
//! within 250 ms is HTTP; one that stays silent is a terminal, which then
//! gets the `nick? ` prompt. One port keeps the URL and the `nc` command
//! the same; the price is that a terminal's prompt comes a quarter of a
//! second late. A browser member gets the server's goodbye as a last text
//! message and then a close frame with code 1001 ("going away").
//!
//! # Protocol
//!
//! Lines end in `\n` or `\r\n`. The server asks `nick? ` until it gets a
//! nickname that is not empty, at most 32 bytes, printable without spaces
//! or a leading `/`, and free (each refusal is a line starting with `!`).
//! Then everyone hears `* <nick> joined`; each non-empty line a member
//! sends goes to all the *other* members as `<nick>: <text>` (control
//! characters become U+FFFD); `/who` lists the nicknames to the asker
//! alone; `/quit` answers `* bye` and leaves; and the others hear
//! `* <nick> left`. A line over 1024 bytes gets `! line too long` (its rest
//! is skipped, not stored), one that is not UTF-8 gets `! invalid UTF-8`,
//! and the connection stays open.
//!
//! # Design
//!
//! [`serve`] starts a *client* task per connection, which reads lines with
//! the bounded [`Lines`] reader over a `BufReader<&TcpStream>` (a read that
//! would block parks only this task). One *room* task owns the member list,
//! fed [`Event`]s through a `corio::sync::channel`, so nothing needs a lock.
//! Each client has a bounded outbox channel drained by its own *writer*
//! task, so a socket that is slow to write holds up nobody else. A browser
//! member is the same to the room: its reader yields WebSocket messages as
//! lines, its writer sends lines as WebSocket messages.
//!
//! **Slow clients are dropped.** The room never waits: it offers each line
//! to a member's outbox with `try_send`. A member whose outbox is full (it
//! stopped reading until its socket buffers and 128 queued lines filled up)
//! is removed at once: its socket is shut down, the others hear
//! `* <nick> left`, and a note goes to stderr. Browsers alike.
//!
//! **Ctrl-C stops it gracefully** (so does `SIGTERM`). The signals are
//! taken over with `corio::signal::Signals` before the server says it
//! listens, so a Ctrl-C from then on is never missed nor fatal. On one,
//! the main task stops accepting, and the room sends every connection,
//! members and those still choosing a nickname alike, the line
//! `* server shutting down`; each writer closes its socket after that
//! line, which ends its reader, and the room ends once every client has
//! left. Then `run` returns, every destructor has run, and the process
//! exits with status 0. A client that cannot take the line within
//! [`LINGER`] is cut off when `run` ends.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

#[path = "common/faults.rs"]
pub mod faults;
#[path = "chat/web.rs"]
pub mod web;

use corio::net::{TcpListener, TcpStream};
use corio::signal::Signals;
use corio::sync::{Receiver, Sender, TrySendError, channel};

pub const MAX_LINE: usize = 1024;
pub const MAX_NICK: usize = 32;
const OUTBOX_LINES: usize = 128;
const ROOM_QUEUE: usize = 256;
/// How long a leaving client's writer may take to flush its last lines.
const LINGER: Duration = Duration::from_secs(5);
pub const TOO_LONG: &str = "! line too long";
pub const BAD_UTF8: &str = "! invalid UTF-8";
/// The last line every connection gets when the server stops. No line a
/// client can make the room send looks like it: a member's words always
/// come after `<nick>:`, and the room's own lines name a nick.
const GOODBYE: &str = "* server shutting down\n";

/// A line on its way to clients, newline included; shared by a broadcast.
type Line = Rc<str>;

/// A line a client sent, or why it was refused (a reply line, without
/// its newline).
pub type LineResult = Result<String, &'static str>;

/// What client tasks (and, at the end, the main task) tell the room task;
/// each names the client by its id.
enum Event {
    /// A new connection, not a member yet (its `nick` is `None`): the room
    /// knows it so that a shutdown can say goodbye to it too.
    Connect(u64, Member),
    /// Asks to join as the nickname; the room answers `true` on the sender
    /// if it was free, and the client is then a member. While shutting
    /// down, the room drops the sender unanswered.
    Join(u64, String, Sender<bool>),
    Say(u64, String),
    Who(u64),
    /// The client is gone; ignored if it was dropped already.
    Leave(u64),
    /// The server stops: tell every connection goodbye, admit nobody.
    Shutdown,
}

/// Every connection by id (so in connecting order), members and those at
/// the nickname prompt.
type Members = BTreeMap<u64, Member>;

/// The room's view of one connection.
struct Member {
    /// `None` until it has joined.
    nick: Option<String>,
    peer: SocketAddr,
    stream: Rc<TcpStream>,
    outbox: Sender<Line>,
}

fn main() {
    let addr = std::env::args().nth(1);
    let addr = addr.as_deref().unwrap_or("127.0.0.1:7878");
    let listener = TcpListener::bind(addr).unwrap_or_else(|e| {
        eprintln!("chat: cannot listen on {addr}: {e}");
        std::process::exit(1);
    });
    let local = listener
        .local_addr()
        .map_or(addr.to_string(), |a| a.to_string());
    // Before saying we listen: from here on Ctrl-C is ours to handle.
    let mut stop = Signals::new([libc::SIGINT, libc::SIGTERM]).unwrap_or_else(|e| {
        eprintln!("chat: cannot handle Ctrl-C: {e}");
        std::process::exit(1);
    });
    println!("listening on {local}");
    corio::run(|| serve(listener, &mut stop));
    eprintln!("chat: stopped");
}

/// Runs the chat room on `listener` until `stop` receives a signal, then
/// shuts it down (see the module docs); call it inside `corio::run`.
pub fn serve(listener: TcpListener, stop: &mut Signals) {
    let (events, inbox) = channel(ROOM_QUEUE);
    let room = corio::spawn(move || room(inbox));
    let acceptor = corio::spawn({
        let events = events.clone();
        move || accept(listener, events)
    });
    let signal = stop.recv(); // parks until Ctrl-C
    eprintln!("chat: signal {}, shutting down", signal.unwrap_or_default());
    acceptor.abort(); // no new connections; the listener closes as it unwinds
    let _ = acceptor.join();
    let _ = events.send(Event::Shutdown);
    drop(events);
    // The room ends when the last client has left.
    let _ = corio::timeout(LINGER, move || room.join());
}

/// The acceptor task: a client task per connection.
fn accept(listener: TcpListener, events: Sender<Event>) {
    for id in 1.. {
        match listener.accept() {
            Ok((stream, peer)) => {
                let events = events.clone();
                corio::spawn(move || client(id, peer, stream, &events));
            }
            Err(e) => {
                eprintln!("chat: accept failed: {e}"); // out of descriptors? back off
                corio::sleep(Duration::from_millis(100));
            }
        }
    }
}

/// The room task: the only owner of the member list.
fn room(inbox: Receiver<Event>) {
    let mut members = Members::new();
    let mut closing = false;
    for event in inbox {
        match event {
            Event::Connect(id, member) => {
                if closing {
                    say_goodbye(&member);
                }
                members.insert(id, member);
            }
            Event::Join(_, _, reply) if closing => drop(reply),
            Event::Join(id, nick, reply) => {
                let free = members.values().all(|m| m.nick.as_ref() != Some(&nick));
                let _ = reply.try_send(free);
                if let Some(m) = members.get_mut(&id).filter(|_| free) {
                    let line = format!("* {nick} joined");
                    m.nick = Some(nick);
                    deliver(&mut members, line, |_| true);
                }
            }
            Event::Say(id, text) => {
                if let Some(nick) = members.get(&id).and_then(|m| m.nick.as_ref()) {
                    let line = format!("{nick}: {text}");
                    deliver(&mut members, line, |to| to != id);
                }
            }
            Event::Who(id) => {
                let nicks: Vec<&str> = members.values().filter_map(|m| m.nick.as_deref()).collect();
                let line = format!("* online: {}", nicks.join(", ")); // in joining order
                deliver(&mut members, line, |to| to == id);
            }
            Event::Leave(id) => {
                let left = members.remove(&id).and_then(|m| m.nick);
                if let Some(nick) = left.filter(|_| !closing) {
                    deliver(&mut members, format!("* {nick} left"), |_| true);
                }
            }
            Event::Shutdown => {
                closing = true;
                members.values().for_each(say_goodbye);
            }
        }
    }
}

/// Queues the goodbye line for a connection (its writer then closes the
/// socket), or, if its outbox is full, closes the socket at once.
fn say_goodbye(member: &Member) {
    if member.outbox.try_send(Line::from(GOODBYE)).is_err() {
        let _ = member.stream.shutdown(Shutdown::Both);
    }
}

/// Offers `text` to the members `to` selects, without ever waiting; drops
/// members whose outbox is full and announces that they left (which may
/// overflow more outboxes, hence the work list rather than recursion).
fn deliver(members: &mut Members, text: String, to: impl Fn(u64) -> bool) {
    let mut dropped = offer(members, &Line::from(text + "\n"), &to);
    while let Some(id) = dropped.pop() {
        if let Some(m) = members.remove(&id) {
            let nick = m.nick.unwrap_or_default(); // only members are offered lines
            eprintln!("chat: dropped {nick} ({}): outbox full", m.peer);
            let _ = m.stream.shutdown(Shutdown::Both); // ends its reader and writer
            let left = Line::from(format!("* {nick} left\n"));
            dropped.extend(offer(members, &left, &|_| true));
        }
    }
}

/// Queues `line` for the members (connections that joined) `to` selects;
/// returns those it did not fit.
fn offer(members: &Members, line: &Line, to: &dyn Fn(u64) -> bool) -> Vec<u64> {
    let full = |m: &Member| matches!(m.outbox.try_send(line.clone()), Err(TrySendError::Full(_)));
    let chosen = members
        .iter()
        .filter(|&(&id, m)| m.nick.is_some() && to(id));
    chosen.filter(|(_, m)| full(m)).map(|(&id, _)| id).collect()
}

/// A client task: tells a browser from a terminal, runs the session, then
/// leaves and lets the writer finish.
fn client(id: u64, peer: SocketAddr, stream: TcpStream, events: &Sender<Event>) {
    let stream = Rc::new(stream);
    let mut upgraded = match web::is_http(&stream) {
        Ok(false) => None,
        Ok(true) => match web::serve(&stream) {
            Some(upgraded) => Some(upgraded),
            None => return, // a page or an error was served
        },
        Err(_) => return,
    };
    let (outbox, queued) = channel(OUTBOX_LINES);
    let writer = corio::spawn({
        let stream = Rc::clone(&stream);
        let closing = upgraded.as_ref().map(|u| u.closing.clone());
        move || match closing {
            None => write_out(&stream, &queued),
            Some(closing) => web::write_out(&stream, &queued, &closing),
        }
    });
    let connection = Member {
        nick: None,
        peer,
        stream: Rc::clone(&stream),
        outbox: outbox.clone(),
    };
    if events.send(Event::Connect(id, connection)).is_err() {
        return; // the room is gone: the server is stopping
    }
    let mut lines = Lines::new(BufReader::new(&*stream));
    let mut next = || match upgraded.as_mut() {
        None => lines.next(),
        Some(socket) => socket.next(),
    };
    if let Err(e) = session(id, &mut next, &outbox, events) {
        eprintln!("chat: connection {peer} ended: {e}");
    }
    let browser = upgraded.is_some();
    let _ = events.send(Event::Leave(id));
    drop(outbox); // the writer stops once the room drops its sender too
    let _ = corio::timeout(LINGER, move || writer.join());
    if browser {
        // Unread frames at close would reset the connection and could
        // destroy the close frame before the browser reads it.
        web::drain(&stream);
    }
    let _ = stream.shutdown(Shutdown::Both);
}

/// One connection's conversation, from the nickname prompt to leaving.
/// `next` gives the connection's lines (from a socket or a WebSocket).
fn session(
    id: u64,
    next: &mut dyn FnMut() -> io::Result<Option<LineResult>>,
    outbox: &Sender<Line>,
    events: &Sender<Event>,
) -> io::Result<()> {
    let gone = || io::Error::new(io::ErrorKind::BrokenPipe, "connection closing");
    let tell = |text: &str| outbox.send(Line::from(text)).map_err(|_| gone());
    let event = |e: Event| events.send(e).map_err(|_| gone());
    loop {
        tell("nick? ")?;
        let nick = match next()? {
            None => return Ok(()),
            Some(Err(problem)) => {
                tell(&format!("{problem}\n"))?;
                continue;
            }
            Some(Ok(nick)) if nick == "/quit" => return Ok(()),
            Some(Ok(nick)) => nick,
        };
        if let Err(problem) = check_nick(&nick) {
            tell(problem)?;
            continue;
        }
        let (reply, answer) = channel(1);
        event(Event::Join(id, nick, reply))?;
        match answer.recv() {
            Some(true) => break,
            Some(false) => tell("! nickname taken\n")?,
            None => return Ok(()), // shutting down: the goodbye is on its way
        }
    }
    while let Some(line) = next()? {
        match line.as_deref() {
            Err(problem) => tell(&format!("{problem}\n"))?,
            Ok("/quit") => return tell("* bye\n"),
            Ok("/who") => event(Event::Who(id))?,
            Ok(command) if command.starts_with('/') => {
                tell("! unknown command (try /who or /quit)\n")?
            }
            Ok("") => {}
            // Control characters could drive the others' terminals: defuse them.
            Ok(text) => {
                let safe = text.replace(char::is_control, "\u{fffd}");
                event(Event::Say(id, safe))?;
            }
        }
    }
    Ok(())
}

/// Why a well-formed line is not an acceptable nickname, as a reply line.
pub fn check_nick(nick: &str) -> Result<(), &'static str> {
    if nick.is_empty() {
        Err("! nickname must not be empty\n")
    } else if nick.len() > MAX_NICK {
        Err("! nickname too long (at most 32 bytes)\n")
    } else if nick.starts_with('/') || nick.chars().any(|c| c.is_control() || c.is_whitespace()) {
        Err("! nickname must be printable, without spaces or a leading '/'\n")
    } else {
        Ok(())
    }
}

/// A writer task: copies queued lines to the socket, several per write when
/// they pile up, until every sender is gone, the socket fails, or it has
/// written the goodbye line.
fn write_out(stream: &TcpStream, queued: &Receiver<Line>) {
    let mut batch = Vec::new();
    while let Some(line) = queued.recv() {
        batch.clear();
        batch.extend_from_slice(line.as_bytes());
        let mut last = &*line == GOODBYE;
        while !last
            && batch.len() < 16 * 1024
            && let Ok(line) = queued.try_recv()
        {
            batch.extend_from_slice(line.as_bytes());
            last = &*line == GOODBYE;
        }
        if (&*stream).write_all(&batch).is_err() || last {
            break;
        }
    }
    let _ = stream.shutdown(Shutdown::Both); // wakes the reader if we failed
}

/// Reads `\n`-terminated lines (a `\r` before the `\n` is dropped) holding
/// at most `MAX_LINE + 1` bytes of any one line in memory. Generic over the
/// reader so that `fuzz/` can drive it from bytes in memory.
pub struct Lines<R> {
    reader: R,
    line: Vec<u8>,
    /// Inside a line already reported as too long: discard up to its `\n`.
    skipping: bool,
}

impl<R: BufRead> Lines<R> {
    /// Lines from `reader`.
    pub fn new(reader: R) -> Self {
        Lines {
            reader,
            line: Vec::new(),
            skipping: false,
        }
    }

    /// The next line: `Ok(Some(Err(why)))` for one that is too long
    /// (reported as soon as it passes the limit) or not UTF-8, `Ok(None)`
    /// at end of stream. An unfinished last line is dropped.
    // Not an `Iterator`: a read error is returned, not a line.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> io::Result<Option<LineResult>> {
        loop {
            let chunk = self.reader.fill_buf()?;
            if chunk.is_empty() {
                return Ok(None);
            }
            let newline = chunk.iter().position(|&b| b == b'\n');
            let end = newline.unwrap_or(chunk.len());
            let overflowed = !self.skipping && self.line.len() + end > MAX_LINE + 1;
            if !self.skipping && !overflowed {
                self.line.extend_from_slice(&chunk[..end]);
            }
            self.reader.consume(newline.map_or(end, |i| i + 1));
            let complete = newline.is_some() && !self.skipping && !overflowed;
            self.skipping = (self.skipping || overflowed) && newline.is_none();
            if overflowed {
                self.line.clear();
                return Ok(Some(Err(TOO_LONG)));
            }
            if complete {
                let mut line = std::mem::take(&mut self.line);
                line.pop_if(|&mut b| b == b'\r');
                if line.len() > MAX_LINE {
                    return Ok(Some(Err(TOO_LONG)));
                }
                if faults::broken(faults::Fault::SilentBadUtf8)
                    && std::str::from_utf8(&line).is_err()
                {
                    continue; // the fault: the refusal is never sent
                }
                return Ok(Some(String::from_utf8(line).map_err(|_| BAD_UTF8)));
            }
        }
    }
}
