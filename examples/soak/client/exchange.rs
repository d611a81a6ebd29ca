//! One client connection's messages, the same for corio tasks and std
//! threads: build a frame, send it, read the echo, check every byte, and
//! count the outcome.

use std::io::{self, ErrorKind, Read, Write};
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use crate::soak::frame::{self, Rng};
use crate::soak::stats::ClientStats;

/// How long a client waits for one read or write before it calls the
/// message lost: generous, so only a server that stopped answering hits it.
pub const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// A client socket, corio's or std's: both read and write through `&self`.
pub trait Conn: AsRawFd {
    /// One read (`Read::read` on `&self`).
    fn recv(&self, buf: &mut [u8]) -> io::Result<usize>;
    /// Writes all of `buf` (`Write::write_all` on `&self`).
    fn send_all(&self, buf: &[u8]) -> io::Result<()>;
    /// Shuts down the writing half.
    fn shutdown_write(&self) -> io::Result<()>;

    /// Fills `buf` (`Read::read_exact` on `&self`).
    fn recv_exact(&self, buf: &mut [u8]) -> io::Result<()> {
        let mut got = 0;
        while got < buf.len() {
            match self.recv(&mut buf[got..]) {
                Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
                Ok(n) => got += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// `Conn` for a stream type whose `&Self` is `Read + Write`.
macro_rules! conn {
    ($stream:ty) => {
        impl Conn for $stream {
            fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
                (&*self).read(buf)
            }
            fn send_all(&self, buf: &[u8]) -> io::Result<()> {
                (&*self).write_all(buf)
            }
            fn shutdown_write(&self) -> io::Result<()> {
                self.shutdown(Shutdown::Write)
            }
        }
    };
}

conn!(std::net::TcpStream);
conn!(corio::net::TcpStream);

/// How one message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The echo was the frame sent, after this long (`None`: not timed,
    /// during the warm-up or read in a batch).
    Intact(Option<Duration>),
    /// The echo came back different.
    Corrupt,
    /// The echo did not come back whole.
    Lost,
}

/// One connection's message state: its id, sequence, random stream and
/// buffers (reused from message to message).
#[derive(Debug)]
pub struct Messages {
    /// The connection's id, written into each frame.
    pub conn: u32,
    /// The next frame's sequence number.
    pub seq: u32,
    /// Lengths, payloads and pauses.
    pub rng: Rng,
    /// The frame being sent.
    pub frame: Vec<u8>,
    /// Its echo.
    pub echo: Vec<u8>,
    /// 0 for a corio client, 1 for a std one (the index in `ClientStats`).
    pub side: usize,
    /// Messages sent from then on have their latency recorded: the end of
    /// the warm-up, set when traffic starts.
    pub timed_from: Option<Instant>,
}

impl Messages {
    /// The state of connection `conn` of `side`, seeded from the run's seed.
    pub fn new(conn: u32, side: usize, seed: u64) -> Messages {
        Messages {
            conn,
            seq: 0,
            rng: Rng::new(seed ^ (u64::from(conn) << 20)),
            frame: Vec::new(),
            echo: Vec::new(),
            side,
            timed_from: None,
        }
    }

    /// Builds the next frame (random length up to `max_payload`) in `self.frame`.
    pub fn next_frame(&mut self, max_payload: usize) {
        let len = frame::payload_len(&mut self.rng).min(max_payload);
        frame::encode(&mut self.frame, self.conn, self.seq, len, &mut self.rng);
        self.seq = self.seq.wrapping_add(1);
    }

    /// Sends the next frame and checks its echo.
    pub fn exchange(&mut self, stream: &impl Conn) -> Outcome {
        self.next_frame(frame::MAX_PAYLOAD);
        let start = Instant::now();
        if stream.send_all(&self.frame).is_err() {
            return Outcome::Lost;
        }
        self.echo.resize(self.frame.len(), 0);
        if stream.recv_exact(&mut self.echo).is_err() {
            return Outcome::Lost;
        }
        if frame::intact(&self.echo, &self.frame) {
            let timed = self.timed_from.is_some_and(|from| start >= from);
            Outcome::Intact(timed.then(|| start.elapsed()))
        } else {
            Outcome::Corrupt
        }
    }

    /// Starts timing messages at the end of the warm-up of traffic that
    /// ends at `deadline`.
    pub fn start_timing(&mut self, deadline: Instant, config: &crate::soak::config::Config) {
        self.timed_from = Some(deadline - config.duration() + config.warm_up());
    }

    /// A random pause of 0 to twice `mean_ms` milliseconds.
    pub fn pause(&mut self, mean_ms: u64) -> Duration {
        Duration::from_micros(self.rng.below(2 * mean_ms * 1000 + 1))
    }
}

/// Adds `outcome` to `stats` (with its latency, if timed); `true` if the
/// message came back intact.
pub fn count(stats: &mut ClientStats, side: usize, frame_len: usize, outcome: Outcome) -> bool {
    match outcome {
        Outcome::Intact(latency) => {
            stats.messages[side] += 1;
            stats.bytes += frame_len as u64;
            if let Some(latency) = latency {
                stats.latency[side].record(latency.as_micros() as u64);
            }
            true
        }
        Outcome::Corrupt => {
            stats.corrupt += 1;
            false
        }
        Outcome::Lost => {
            stats.lost += 1;
            false
        }
    }
}

/// How an orderly close went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Close {
    /// The server answered our end of stream with its own.
    Clean,
    /// Bytes came after every echo had been read (corrupt).
    ExtraData,
    /// An error instead of the end of stream.
    Failed,
}

/// Shuts down the writing half and waits for the server's end of stream.
pub fn close(stream: &impl Conn) -> Close {
    if stream.shutdown_write().is_err() {
        return Close::Failed;
    }
    end_of_stream(stream)
}

/// Reads what should be the server's end of stream (our writing half is
/// already shut down).
pub fn end_of_stream(stream: &impl Conn) -> Close {
    let mut byte = [0u8; 1];
    loop {
        return match stream.recv(&mut byte) {
            Ok(0) => Close::Clean,
            Ok(_) => Close::ExtraData,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => Close::Failed,
        };
    }
}

/// Adds an orderly close's outcome to `stats`.
pub fn count_close(stats: &mut ClientStats, close: Close) {
    match close {
        Close::Clean => {}
        Close::ExtraData => stats.corrupt += 1,
        Close::Failed => stats.bad_closes += 1,
    }
}
