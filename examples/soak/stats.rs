//! What the clients counted, and its one-line-per-field text form (the
//! clients' process prints it, the server's process reads it back).

use super::histogram::Histogram;

/// The ways a misbehaving client treats its connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehaviour {
    /// Exchanges a few messages, writes half of one, then closes with
    /// `SO_LINGER` 0: a reset instead of a FIN.
    Reset,
    /// Writes several messages without reading, shuts down its writing
    /// half, then reads every echo (checked, and counted as messages) and
    /// the server's end of stream.
    HalfClose,
    /// Writes at ten times the rate it reads, checking what it reads, for
    /// a while; then closes with unread echoes pending.
    SlowReader,
    /// Writes a message and half of the next, then closes without reading.
    Vanish,
}

impl Misbehaviour {
    /// Every kind, in the order of [`ClientStats::misbehaviours`].
    pub const ALL: [Misbehaviour; 4] = [
        Misbehaviour::Reset,
        Misbehaviour::HalfClose,
        Misbehaviour::SlowReader,
        Misbehaviour::Vanish,
    ];

    /// Its name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Misbehaviour::Reset => "reset",
            Misbehaviour::HalfClose => "half-close",
            Misbehaviour::SlowReader => "slow-reader",
            Misbehaviour::Vanish => "vanish",
        }
    }

    /// Its index in [`ClientStats::misbehaviours`].
    pub fn index(self) -> usize {
        Misbehaviour::ALL
            .iter()
            .position(|&kind| kind == self)
            .expect("every kind is in ALL")
    }
}

/// The two kinds of client.
pub const SIDES: [&str; 2] = ["corio", "std"];

/// Counts of one process's clients (or of a part of them, merged later).
#[derive(Debug, Clone, Default)]
pub struct ClientStats {
    /// Echoes received intact, per side (corio, std).
    pub messages: [u64; 2],
    /// Bytes of those echoes (whole frames).
    pub bytes: u64,
    /// Echoes that came back different from what was sent (any byte, the
    /// length, the checksum), or data after the server's end of stream.
    pub corrupt: u64,
    /// Messages of well-behaved clients (and of half-closing ones) whose
    /// echo did not come back whole: an error, an early end of stream, or
    /// no answer within the generous read timeout.
    pub lost: u64,
    /// Connections that could not be set up (connect or first echo failed).
    pub connect_failures: u64,
    /// Well-behaved connections that stayed up from the start to the end.
    pub held: u64,
    /// Well-behaved connections whose orderly close failed (an error
    /// instead of the server's end of stream).
    pub bad_closes: u64,
    /// Bytes slow readers read and checked.
    pub slow_bytes: u64,
    /// Misbehaviours carried out, by [`Misbehaviour::index`].
    pub misbehaviours: [u64; 4],
    /// Echo latency of intact messages in microseconds, per side.
    pub latency: [Histogram; 2],
    /// The clients' process's `RLIMIT_NOFILE` after raising it (soft, hard).
    pub fd_limit: (u64, u64),
}

impl ClientStats {
    /// Adds `other`'s counts to these (the fd limit is kept).
    pub fn merge(&mut self, other: &ClientStats) {
        for (mine, (_, theirs)) in self.counters_mut().into_iter().zip(other.counters()) {
            *mine += theirs;
        }
        for (mine, theirs) in self.latency.iter_mut().zip(&other.latency) {
            mine.merge(theirs);
        }
    }

    /// Every counter, in a fixed order with its name.
    fn counters(&self) -> Vec<(&'static str, u64)> {
        let mut clone = self.clone();
        clone
            .named_mut()
            .into_iter()
            .map(|(name, value)| (name, *value))
            .collect()
    }

    /// Every counter, mutably, in the order of [`ClientStats::counters`].
    fn counters_mut(&mut self) -> Vec<&mut u64> {
        self.named_mut()
            .into_iter()
            .map(|(_, value)| value)
            .collect()
    }

    /// The counters with their names; the one list both directions of the
    /// text form and `merge` follow.
    fn named_mut(&mut self) -> Vec<(&'static str, &mut u64)> {
        let [corio, std] = &mut self.messages;
        let [reset, half_close, slow_reader, vanish] = &mut self.misbehaviours;
        vec![
            ("messages-corio", corio),
            ("messages-std", std),
            ("bytes", &mut self.bytes),
            ("corrupt", &mut self.corrupt),
            ("lost", &mut self.lost),
            ("connect-failures", &mut self.connect_failures),
            ("held", &mut self.held),
            ("bad-closes", &mut self.bad_closes),
            ("slow-bytes", &mut self.slow_bytes),
            ("reset", reset),
            ("half-close", half_close),
            ("slow-reader", slow_reader),
            ("vanish", vanish),
        ]
    }

    /// The lines the clients' process prints: `stat NAME VALUE`,
    /// `latency SIDE HISTOGRAM`, `fd-limit SOFT HARD`.
    pub fn to_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .counters()
            .into_iter()
            .map(|(name, value)| format!("stat {name} {value}"))
            .collect();
        for (side, histogram) in SIDES.iter().zip(&self.latency) {
            lines.push(format!("latency {side} {}", histogram.to_line()));
        }
        lines.push(format!("fd-limit {} {}", self.fd_limit.0, self.fd_limit.1));
        lines
    }

    /// Takes in one line of [`ClientStats::to_lines`]; `false` if it is not one.
    pub fn read_line(&mut self, line: &str) -> bool {
        let mut words = line.splitn(3, ' ');
        let (Some(tag), Some(name), Some(rest)) = (words.next(), words.next(), words.next()) else {
            return false;
        };
        match tag {
            "stat" => {
                let Ok(value) = rest.parse::<u64>() else {
                    return false;
                };
                match self.named_mut().into_iter().find(|(n, _)| *n == name) {
                    Some((_, slot)) => *slot = value,
                    None => return false,
                }
            }
            "latency" => match (
                SIDES.iter().position(|s| *s == name),
                Histogram::from_line(rest),
            ) {
                (Some(side), Some(histogram)) => self.latency[side] = histogram,
                _ => return false,
            },
            "fd-limit" => match (name.parse(), rest.parse()) {
                (Ok(soft), Ok(hard)) => self.fd_limit = (soft, hard),
                _ => return false,
            },
            _ => return false,
        }
        true
    }
}
