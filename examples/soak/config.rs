//! The run's parameters, their command line, and who plays which part.
//!
//! Connections are numbered slots. Slots `0..corio_count()` are corio
//! tasks, the rest plain std threads (`per_thread` sockets each). On each
//! side a few slots, spread evenly, are misbehavers: they run one
//! misbehaviour after another on fresh connections; every other slot is
//! well behaved and keeps one connection for the whole run.

use std::net::SocketAddr;
use std::time::Duration;

/// What a process of the harness does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Serve, start the clients' child process, and report.
    Server,
    /// Be the clients, connecting to the server at this address.
    Client(SocketAddr),
}

/// The parameters of one run, identical in both processes.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Connections open at once (well-behaved and misbehaving slots).
    pub connections: usize,
    /// How long traffic runs once every connection is up.
    pub seconds: f64,
    /// The share of the connections made by std threads.
    pub std_share: f64,
    /// Blocking std sockets per std thread, served in turn.
    pub per_thread: usize,
    /// One slot in this many misbehaves (at least one per misbehaviour
    /// kind on each side that can hold that many).
    pub misbehave_every: usize,
    /// Mean pause between two messages of a well-behaved connection
    /// (uniform in 0..=2x), in milliseconds: the offered load.
    pub pause_ms: u64,
    /// Seed of every random choice (lengths, bytes, pauses).
    pub seed: u64,
}

impl Default for Config {
    /// A run of a few seconds.
    fn default() -> Config {
        Config {
            connections: 200,
            seconds: 3.0,
            std_share: 0.1,
            per_thread: 20,
            misbehave_every: 20,
            pause_ms: 20,
            seed: 1,
        }
    }
}

impl Config {
    /// Parses `--connections N --seconds S` and the other options (see
    /// [`Config::usage`]); `--role client --addr A` makes a client process.
    ///
    /// # Errors
    ///
    /// A message naming the bad or unknown argument.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<(Role, Config), String> {
        let mut config = Config::default();
        let (mut role, mut addr) = ("server".to_string(), None);
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            let bad = || format!("bad value {value:?} for {flag}");
            match flag.as_str() {
                "--connections" => config.connections = value.parse().map_err(|_| bad())?,
                "--seconds" => config.seconds = value.parse().map_err(|_| bad())?,
                "--std-share" => config.std_share = value.parse().map_err(|_| bad())?,
                "--per-thread" => config.per_thread = value.parse().map_err(|_| bad())?,
                "--misbehave-every" => config.misbehave_every = value.parse().map_err(|_| bad())?,
                "--pause-ms" => config.pause_ms = value.parse().map_err(|_| bad())?,
                "--seed" => config.seed = value.parse().map_err(|_| bad())?,
                "--role" => role = value,
                "--addr" => addr = Some(value.parse::<SocketAddr>().map_err(|_| bad())?),
                _ => return Err(format!("unknown argument {flag}\n{}", Config::usage())),
            }
        }
        if config.connections == 0 || config.per_thread == 0 || config.misbehave_every == 0 {
            return Err("--connections, --per-thread and --misbehave-every must be > 0".into());
        }
        if !(config.seconds > 0.0 && config.seconds.is_finite()) {
            return Err("--seconds must be a positive number".into());
        }
        if !(0.0..=1.0).contains(&config.std_share) {
            return Err("--std-share must be between 0 and 1".into());
        }
        match (role.as_str(), addr) {
            ("server", None) => Ok((Role::Server, config)),
            ("client", Some(addr)) => Ok((Role::Client(addr), config)),
            _ => Err("--role is server (default) or client with --addr".into()),
        }
    }

    /// The options, for an error message.
    pub fn usage() -> &'static str {
        "usage: soak [--connections N] [--seconds S] [--std-share F] [--per-thread K] \
         [--misbehave-every M] [--pause-ms P] [--seed X]"
    }

    /// The command line of the clients' process for a server at `addr`.
    pub fn client_args(&self, addr: SocketAddr) -> Vec<String> {
        let pairs = [
            ("--role", "client".to_string()),
            ("--addr", addr.to_string()),
            ("--connections", self.connections.to_string()),
            ("--seconds", self.seconds.to_string()),
            ("--std-share", self.std_share.to_string()),
            ("--per-thread", self.per_thread.to_string()),
            ("--misbehave-every", self.misbehave_every.to_string()),
            ("--pause-ms", self.pause_ms.to_string()),
            ("--seed", self.seed.to_string()),
        ];
        pairs
            .into_iter()
            .flat_map(|(flag, value)| [flag.to_string(), value])
            .collect()
    }

    /// How many connections the std threads make.
    pub fn std_count(&self) -> usize {
        ((self.connections as f64 * self.std_share).round() as usize).min(self.connections)
    }

    /// How many connections corio tasks make.
    pub fn corio_count(&self) -> usize {
        self.connections - self.std_count()
    }

    /// How long traffic runs.
    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.seconds)
    }

    /// How long after the start the server's "start" RSS is taken: a fifth
    /// of the run, at most five seconds (every connection is up and has
    /// carried traffic by then).
    pub fn warm_up(&self) -> Duration {
        (self.duration() / 5).min(Duration::from_secs(5))
    }
}

/// Which slots of one side (`count` slots, numbered from 0) misbehave.
#[derive(Debug, Clone, Copy)]
pub struct Misbehavers {
    /// Every `stride`-th slot, starting at slot 0 ...
    stride: usize,
    /// ... up to this many.
    count: usize,
}

impl Misbehavers {
    /// One slot in `every` of a side of `count` slots, but at least `kinds`
    /// (one per misbehaviour kind) and at most half of the side.
    pub fn new(count: usize, every: usize, kinds: usize) -> Misbehavers {
        let wanted = (count / every).max(kinds).min(count / 2);
        Misbehavers {
            stride: count.checked_div(wanted).unwrap_or(1),
            count: wanted,
        }
    }

    /// The misbehaver number of `slot` (0, 1, ...), or `None` if it is well behaved.
    pub fn ordinal(&self, slot: usize) -> Option<usize> {
        (slot.is_multiple_of(self.stride) && slot / self.stride < self.count)
            .then_some(slot / self.stride)
    }
}
