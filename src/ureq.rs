//! The [`ureq`] HTTP client on corio sockets (cargo feature `ureq`).
//!
//! ureq is a well-kept *blocking* HTTP client: `agent.get(url).call()`
//! returns when the response head is in. Its blocking is what makes it a
//! good fit for corio, on one condition: the blocking must happen on
//! corio's sockets, where a read that would wait parks the task and the
//! event loop runs the others.
//!
//! # Plain `ureq::get` in a task blocks the loop
//!
//! `ureq::get(url).call()` and an `Agent` built with `Agent::new_with_defaults`
//! use ureq's own transport: a `std::net::TcpStream` in blocking mode, and
//! `getaddrinfo` for the host name, both called on the thread that runs
//! the request. In a corio task that thread is the event loop's, so while
//! the request waits for the server, *every* task of the runtime waits
//! with it: nothing else runs, no timer fires, no other socket is served.
//! Nothing warns about it; the program just stops being concurrent (three
//! fetches take the sum of their times, and a local server in the same
//! runtime never gets to answer, so the request hangs until its timeout).
//! corio cannot intercept a syscall another crate makes on a std socket.
//!
//! # An `Agent` that parks instead
//!
//! [`agent`] (or [`agent_with`] for a [`Config`])
//! builds a `ureq::Agent` whose connections are corio
//! [`TcpStream`]s ([`CorioConnector`], [`CorioTransport`]) and whose
//! host names are resolved through [`crate::net::ToSocketAddrs`], i.e. on
//! corio's blocking pool with [`crate::unblock`] ([`CorioResolver`]).
//! Everything else is ureq's, unchanged: its request builder, response
//! bodies, redirects, connection pool (keep-alive), timeouts. Share the
//! agent between tasks (it is `Clone`; clones share the pool).
//!
//! ```
//! use std::io::{Read, Write};
//! use corio::net::TcpListener;
//!
//! corio::run(|| {
//!     // A one-shot local server in another task of the same runtime.
//!     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
//!     let url = format!("http://{}/", listener.local_addr().unwrap());
//!     corio::spawn(move || {
//!         let (mut conn, _) = listener.accept().unwrap();
//!         let mut head = [0u8; 1024];
//!         let _ = conn.read(&mut head).unwrap(); // a GET fits one read here
//!         conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello").unwrap();
//!     });
//!
//!     let agent = corio::ureq::agent();
//!     let mut response = agent.get(&url).call().unwrap(); // parks this task only
//!     assert_eq!(response.body_mut().read_to_string().unwrap(), "hello");
//! });
//! ```
//!
//! Outside [`crate::run`] the same agent works too; its sockets then block
//! the thread, like std's.
//!
//! # What is not covered
//!
//! - TLS: corio's feature builds ureq without its TLS features, so an
//!   `https://` URL fails with ureq's "TLS required" error. ureq's TLS
//!   connectors wrap any transport (`CorioConnector.chain(...)` with a
//!   connector from `ureq::unversioned::transport`, after enabling ureq's
//!   `rustls` feature in your own manifest); corio's tests do not exercise
//!   that.
//! - Proxies: [`CorioConnector`] connects directly, and refuses a request
//!   its config would send through a proxy.
//! - Each connection holds a second descriptor (a `dup`) for ureq's
//!   `Agent::shutdown`, which may run on another thread.
//! - `timeout_resolve`: the lookup on the blocking pool is not cut short
//!   (the task parks meanwhile; the other timeouts apply as usual).
//! - ureq's `unversioned` module (the `Connector`, `Transport` and
//!   `Resolver` traits) does not follow semver, so this module follows
//!   the ureq version corio's manifest names (3.x).

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{self, SocketAddr};
use std::os::fd::AsFd;
use std::sync::{Arc, Mutex, Weak};

use ::ureq::Agent;
use ::ureq::config::Config;
use ::ureq::http::Uri;
use ::ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ::ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, LazyBuffers, NextTimeout, ShutdownHandle, Transport,
};

use crate::net::TcpStream;

/// A `ureq::Agent` with ureq's default [`Config`] except for proxies
/// (none: ureq's default takes one from `HTTP_PROXY`), on corio sockets
/// and corio's resolver; see the [module docs](self).
///
/// # Examples
///
/// ```
/// // Build it once and share it: clones share ureq's connection pool.
/// let agent = corio::ureq::agent();
/// let for_another_task = agent.clone();
/// # drop(for_another_task);
/// ```
pub fn agent() -> Agent {
    // ureq's default reads HTTP_PROXY and friends; this connector cannot
    // tunnel through a proxy, so the default here is a direct connection.
    agent_with(Agent::config_builder().proxy(None).build())
}

/// A `ureq::Agent` with `config` on corio sockets and corio's resolver.
/// Requests that `config` routes through a proxy fail (see
/// [`CorioConnector`]'s errors): start from `Agent::config_builder()
/// .proxy(None)`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let config = ureq::Agent::config_builder()
///     .proxy(None)
///     .timeout_global(Some(Duration::from_secs(10)))
///     .build();
/// let agent = corio::ureq::agent_with(config);
/// # drop(agent);
/// ```
pub fn agent_with(config: Config) -> Agent {
    Agent::with_parts(config, CorioConnector, CorioResolver)
}

/// A ureq [`Connector`] that opens corio [`TcpStream`]s: connecting parks
/// the task, not the thread.
///
/// It is the first link of a connector chain (it makes the connection
/// itself) and ignores a transport handed in. Each address ureq's
/// resolver found is tried in turn within the connect timeout.
///
/// # Errors
///
/// A request the config sends through a proxy (`Config::proxy`, not
/// bypassed by its no-proxy list) fails with an `Error::Io` of kind
/// `Unsupported`: this connector connects directly only. [`agent`] sets
/// no proxy; a config built from `Config::default()` takes one from the
/// `HTTP_PROXY` environment variables.
///
/// # Examples
///
/// ```
/// use corio::ureq::{CorioConnector, CorioResolver};
///
/// let agent = ureq::Agent::with_parts(ureq::config::Config::default(), CorioConnector, CorioResolver);
/// # drop(agent);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct CorioConnector;

impl Connector<()> for CorioConnector {
    type Out = CorioTransport;

    fn connect(
        &self,
        details: &ConnectionDetails<'_>,
        _chained: Option<()>,
    ) -> Result<Option<CorioTransport>, ::ureq::Error> {
        let config = details.config;
        if config.proxy().is_some_and(|p| !p.is_no_proxy(details.uri)) {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "corio::ureq connects directly: build the agent's config with .proxy(None)",
            )
            .into());
        }
        let deadline = details
            .timeout
            .not_zero()
            .and_then(|after| crate::time::now().checked_add(*after));
        let mut last_error = None;
        for addr in details.addrs.iter() {
            let attempt = match deadline {
                None => TcpStream::connect(*addr),
                Some(at) => match at.checked_duration_since(crate::time::now()) {
                    Some(left) if !left.is_zero() => TcpStream::connect_timeout(addr, left),
                    _ => return Err(::ureq::Error::Timeout(details.timeout.reason)),
                },
            };
            match attempt {
                Ok(stream) => {
                    let transport = CorioTransport::new(stream, config)?;
                    (details.register_shutdown)(transport.shutdown_handle())?;
                    return Ok(Some(transport));
                }
                Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                    last_error = Some(::ureq::Error::Timeout(details.timeout.reason));
                }
                Err(e) => last_error = Some(e.into()),
            }
        }
        Err(last_error.unwrap_or(::ureq::Error::HostNotFound))
    }
}

/// One HTTP connection of a corio agent: a corio [`TcpStream`] and ureq's
/// buffers. Reads and writes park the task; ureq's pool keeps idle ones
/// for keep-alive and asks [`Transport::is_open`] before reusing one.
///
/// # Why it is `Sync` without `unsafe`
///
/// ureq requires `Transport: Send + Sync`. corio's `TcpStream` is `Send`
/// (a socket may move to another thread's runtime) but not `Sync`: its
/// timeouts and its registration with an event loop live in `Cell`s that
/// `&self` methods change. The stream is
/// kept in a `std::sync::Mutex`, which is `Sync` for any `Send` content,
/// and the mutex is never locked: every `Transport` method that touches
/// the stream takes `&mut self`, so [`Mutex::get_mut`] reaches it through
/// the exclusive borrow, at the cost of one check of the poison flag. The
/// `&self` methods ureq calls (`is_tls`, `Debug`) never touch the stream:
/// `is_tls` is always `false` and `Debug` prints the peer address stored
/// at connect time. So sharing a `&CorioTransport` between threads shares
/// nothing of the stream, which is what `Sync` asks. (The same reasoning
/// would justify an `unsafe impl Sync` on a newtype; the mutex makes the
/// compiler check it instead.)
///
/// # Examples
///
/// ```
/// fn transport_bounds<T: ureq::unversioned::transport::Transport>() {}
/// transport_bounds::<corio::ureq::CorioTransport>();
/// ```
pub struct CorioTransport {
    /// The connection; reached only through `get_mut`, never locked.
    stream: Mutex<TcpStream>,
    /// What ureq's `Agent::shutdown` (on any thread) shuts down; ureq
    /// keeps only a `Weak` of it, so it lives as long as the transport.
    shutdown: Arc<ShutdownSocket>,
    buffers: LazyBuffers,
    /// For `Debug`, taken at connect time so `&self` never touches `stream`.
    peer: Option<SocketAddr>,
}

impl CorioTransport {
    /// Wraps a connected stream, with ureq's buffer sizes and `no_delay`
    /// setting from `config`.
    fn new(stream: TcpStream, config: &Config) -> io::Result<Self> {
        if config.no_delay() {
            stream.set_nodelay(true)?;
        }
        let duplicate = net::TcpStream::from(stream.as_fd().try_clone_to_owned()?);
        Ok(CorioTransport {
            peer: stream.peer_addr().ok(),
            stream: Mutex::new(stream),
            shutdown: Arc::new(ShutdownSocket(duplicate)),
            buffers: LazyBuffers::new(config.input_buffer_size(), config.output_buffer_size()),
        })
    }

    /// The handle ureq keeps to shut this connection down from any thread.
    fn shutdown_handle(&self) -> Weak<dyn ShutdownHandle> {
        let weak: Weak<ShutdownSocket> = Arc::downgrade(&self.shutdown);
        weak
    }

    /// The stream, through the exclusive borrow (see the type's docs).
    fn stream(&mut self) -> &mut TcpStream {
        // A poisoned flag cannot be set: nothing ever locks this mutex.
        self.stream.get_mut().unwrap_or_else(|e| e.into_inner())
    }
}

/// Maps a corio socket error to ureq's: a corio timeout is ureq's
/// `Timeout` for `reason`, the rest is `Error::Io`.
fn io_error(e: io::Error, timeout: NextTimeout) -> ::ureq::Error {
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            ::ureq::Error::Timeout(timeout.reason)
        }
        _ => e.into(),
    }
}

/// A deadline of zero means "already expired" to ureq.
fn expired(timeout: NextTimeout) -> Result<(), ::ureq::Error> {
    if timeout.after.is_zero() {
        return Err(::ureq::Error::Timeout(timeout.reason));
    }
    Ok(())
}

impl Transport for CorioTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(
        &mut self,
        amount: usize,
        timeout: NextTimeout,
    ) -> Result<(), ::ureq::Error> {
        let timeout = timeout.for_write();
        expired(timeout)?;
        let limit = timeout.not_zero().map(|d| *d);
        // corio's write timeout bounds each wait for writability.
        let stream = self.stream.get_mut().unwrap_or_else(|e| e.into_inner());
        stream
            .set_write_timeout(limit)
            .map_err(|e| io_error(e, timeout))?;
        let output = &self.buffers.output()[..amount];
        stream.write_all(output).map_err(|e| io_error(e, timeout))
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ::ureq::Error> {
        let timeout = timeout.for_read();
        expired(timeout)?;
        let limit = timeout.not_zero().map(|d| *d);
        let stream = self.stream.get_mut().unwrap_or_else(|e| e.into_inner());
        stream
            .set_read_timeout(limit)
            .map_err(|e| io_error(e, timeout))?;
        let input = self.buffers.input_append_buf();
        let amount = loop {
            match stream.read(input) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other.map_err(|e| io_error(e, timeout))?,
            }
        };
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    /// Whether an idle pooled connection can carry another request: the
    /// server has neither closed it (`try_peek` reads 0) nor sent bytes
    /// nobody asked for, i.e. a peek finds nothing yet (`WouldBlock`).
    /// `try_peek` never parks.
    fn is_open(&mut self) -> bool {
        let mut byte = [0u8; 1];
        match self.stream().try_peek(&mut byte) {
            Err(e) => e.kind() == io::ErrorKind::WouldBlock,
            Ok(_) => false, // end of stream, or unexpected bytes
        }
    }

    // `is_tls` keeps ureq's default: `false`, without touching the stream.
}

impl fmt::Debug for CorioTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only the stored address: `&self` must not touch `stream`.
        f.debug_struct("CorioTransport")
            .field("peer", &self.peer)
            .finish_non_exhaustive()
    }
}

/// The duplicate descriptor ureq's `Agent::shutdown` shuts down: a plain
/// std socket (`Send + Sync`), never read or written. `shutdown(2)`
/// applies to the socket, not the descriptor, so the corio stream's
/// parked reader wakes with end of stream.
#[derive(Debug)]
struct ShutdownSocket(net::TcpStream);

impl ShutdownHandle for ShutdownSocket {
    fn shutdown(&self) {
        let _ = self.0.shutdown(net::Shutdown::Both); // already closed is fine
    }
}

/// A ureq [`Resolver`] that looks host names up with corio's
/// [`ToSocketAddrs`](crate::net::ToSocketAddrs): on the blocking pool
/// through [`crate::unblock`], so a slow lookup parks the task, not the
/// loop. IP literals need no lookup and resolve at once. ureq's own
/// resolver calls `getaddrinfo` on the calling thread (or waits on a
/// thread it spawns), which would freeze the loop.
///
/// The addresses are filtered by the config's IP family and capped at
/// ureq's limit of 16.
///
/// # Examples
///
/// ```
/// use ureq::unversioned::resolver::Resolver;
/// use ureq::unversioned::transport::NextTimeout;
///
/// let uri: ureq::http::Uri = "http://127.0.0.1:8080/".parse().unwrap();
/// let config = ureq::config::Config::default();
/// let addrs = corio::ureq::CorioResolver
///     .resolve(&uri, &config, NextTimeout::default())
///     .unwrap();
/// assert_eq!(addrs[0], "127.0.0.1:8080".parse().unwrap());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct CorioResolver;

impl Resolver for CorioResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        _timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ::ureq::Error> {
        let bad = |why: &str| ::ureq::Error::BadUri(format!("{uri}: {why}"));
        let scheme = uri.scheme().ok_or_else(|| bad("no scheme"))?;
        let authority = uri.authority().ok_or_else(|| bad("no host"))?;
        let port = match (authority.port_u16(), scheme.as_str()) {
            (Some(port), _) => port,
            (None, "http") => 80,
            (None, "https") => 443,
            (None, other) => return Err(bad(&format!("unknown scheme {other}"))),
        };
        // An IPv6 literal comes bracketed ("[::1]").
        let host = authority.host();
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let found = crate::net::resolve((host, port))?;
        let mut addrs = self.empty();
        for addr in config.ip_family().keep_wanted(found) {
            if addrs.try_push(addr).is_err() {
                break; // ureq keeps at most 16
            }
        }
        if addrs.is_empty() {
            return Err(::ureq::Error::HostNotFound);
        }
        Ok(addrs)
    }
}
