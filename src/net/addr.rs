//! [`ToSocketAddrs`]: the addresses the net functions take, with host
//! names resolved off the event loop.
//!
//! std's `ToSocketAddrs` resolves a host name with `getaddrinfo(3)`, a
//! blocking call that can take seconds (a slow DNS server): called in a
//! task it would freeze every task of the thread. corio's trait accepts
//! the same types, so std-style calls compile unchanged, but a host name
//! is resolved by std's resolver on the blocking pool ([`crate::unblock`])
//! while the task parks. IP literals and socket addresses never leave the
//! calling thread. Outside [`crate::run`], `unblock` runs the lookup right
//! there, as std would.

use std::io;
use std::net::{self, IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::sync::RwLock;

/// Something that names one or more socket addresses: an address, an IP
/// and a port, `"host:port"`, `("host", port)`, a slice of addresses.
/// Implemented for the same types as `std::net::ToSocketAddrs`; sealed.
///
/// A host name (anything but an IP literal) is resolved on corio's
/// blocking pool, through [`crate::unblock`], with std's resolver: the
/// calling task parks meanwhile and the loop runs on. IP literals and
/// `SocketAddr`s resolve at once, on the calling thread.
///
/// Code generic over std's trait (`fn f<A: std::net::ToSocketAddrs>(a: A)`)
/// that calls corio must switch its bound to this trait.
///
/// # Examples
///
/// ```
/// use std::net::{Ipv4Addr, SocketAddr};
/// use corio::net::{TcpListener, TcpStream};
///
/// corio::run(|| -> std::io::Result<()> {
///     let listener = TcpListener::bind("127.0.0.1:0")?; // a literal: no lookup
///     let port = listener.local_addr()?.port();
///     let by_name = TcpStream::connect(("localhost", port))?; // on the pool
///     let by_pair = TcpStream::connect((Ipv4Addr::LOCALHOST, port))?;
///     let by_addr = TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], port)))?;
///     for stream in [by_name, by_pair, by_addr] {
///         assert_eq!(stream.peer_addr()?.port(), port);
///     }
///     Ok(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait ToSocketAddrs: sealed::Resolve {}

pub(crate) mod sealed {
    use std::net::SocketAddr;

    /// How a [`super::ToSocketAddrs`] value turns into addresses; the
    /// trait is sealed, so this is corio's alone to call.
    pub trait Resolve {
        /// The addresses, or the host name still to be looked up.
        fn lookup(&self) -> Lookup;
    }

    /// What [`Resolve::lookup`] found without any lookup.
    #[derive(Debug)]
    pub enum Lookup {
        /// One known address (the common case, kept off the heap).
        One(SocketAddr),
        /// Known addresses.
        Many(Vec<SocketAddr>),
        /// A host name that needs the resolver.
        Host(String, u16),
        /// The value cannot name an address (no port, a bad port).
        Invalid(&'static str),
    }
}

use sealed::{Lookup, Resolve};

/// The addresses `addr` names, in order: host names through the blocking
/// pool, everything else at once.
pub(crate) fn resolve<A: ToSocketAddrs>(addr: A) -> io::Result<Addrs> {
    match addr.lookup() {
        Lookup::One(addr) => Ok(Addrs::One(Some(addr))),
        Lookup::Many(addrs) => Ok(Addrs::Many(addrs.into_iter())),
        Lookup::Host(host, port) => {
            crate::unblock(move || lookup_host(&host, port)).map(|a| Addrs::Many(a.into_iter()))
        }
        Lookup::Invalid(why) => Err(io::Error::new(io::ErrorKind::InvalidInput, why)),
    }
}

/// The iterator of [`resolve`]'s addresses.
pub(crate) enum Addrs {
    One(Option<SocketAddr>),
    Many(std::vec::IntoIter<SocketAddr>),
}

impl Iterator for Addrs {
    type Item = SocketAddr;

    fn next(&mut self) -> Option<SocketAddr> {
        match self {
            Addrs::One(addr) => addr.take(),
            Addrs::Many(addrs) => addrs.next(),
        }
    }
}

/// std's resolver, on whatever thread runs it (a pool thread in a task).
fn lookup_host(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    let hook = *RESOLVE_HOOK.read().unwrap_or_else(|e| e.into_inner());
    if let Some(hook) = hook {
        hook(host, port);
    }
    net::ToSocketAddrs::to_socket_addrs(&(host, port)).map(Iterator::collect)
}

/// A function every host-name lookup calls first, on the thread that
/// runs the lookup; see [`set_resolve_hook`].
type ResolveHook = fn(host: &str, port: u16);

static RESOLVE_HOOK: RwLock<Option<ResolveHook>> = RwLock::new(None);

/// Test support, not part of the API: installs (or, with `None`,
/// removes) a function that every host-name lookup calls, with the host
/// and port, just before std's resolver, on the thread doing the lookup.
/// corio's tests use it to hold a lookup in flight and to see which
/// thread ran it.
#[doc(hidden)]
pub fn set_resolve_hook(hook: Option<fn(host: &str, port: u16)>) {
    *RESOLVE_HOOK.write().unwrap_or_else(|e| e.into_inner()) = hook;
}

/// `host` and `port` as addresses: at once for an IP literal, else a
/// lookup to do.
fn host_port(host: &str, port: u16) -> Lookup {
    match host.parse::<IpAddr>() {
        Ok(ip) => Lookup::One(SocketAddr::new(ip, port)),
        Err(_) => Lookup::Host(host.to_owned(), port),
    }
}

impl ToSocketAddrs for SocketAddr {}
impl Resolve for SocketAddr {
    fn lookup(&self) -> Lookup {
        Lookup::One(*self)
    }
}

impl ToSocketAddrs for SocketAddrV4 {}
impl Resolve for SocketAddrV4 {
    fn lookup(&self) -> Lookup {
        Lookup::One(SocketAddr::V4(*self))
    }
}

impl ToSocketAddrs for SocketAddrV6 {}
impl Resolve for SocketAddrV6 {
    fn lookup(&self) -> Lookup {
        Lookup::One(SocketAddr::V6(*self))
    }
}

impl ToSocketAddrs for (IpAddr, u16) {}
impl Resolve for (IpAddr, u16) {
    fn lookup(&self) -> Lookup {
        Lookup::One(SocketAddr::new(self.0, self.1))
    }
}

impl ToSocketAddrs for (Ipv4Addr, u16) {}
impl Resolve for (Ipv4Addr, u16) {
    fn lookup(&self) -> Lookup {
        Lookup::One(SocketAddr::from(*self))
    }
}

impl ToSocketAddrs for (Ipv6Addr, u16) {}
impl Resolve for (Ipv6Addr, u16) {
    fn lookup(&self) -> Lookup {
        Lookup::One(SocketAddr::from(*self))
    }
}

impl ToSocketAddrs for (&str, u16) {}
impl Resolve for (&str, u16) {
    fn lookup(&self) -> Lookup {
        host_port(self.0, self.1)
    }
}

impl ToSocketAddrs for (String, u16) {}
impl Resolve for (String, u16) {
    fn lookup(&self) -> Lookup {
        host_port(&self.0, self.1)
    }
}

/// `"ip:port"`, `"[ipv6]:port"` or `"host:port"`, as std parses them.
impl ToSocketAddrs for str {}
impl Resolve for str {
    fn lookup(&self) -> Lookup {
        if let Ok(addr) = self.parse::<SocketAddr>() {
            return Lookup::One(addr);
        }
        // std's wording for both failures.
        let Some((host, port)) = self.rsplit_once(':') else {
            return Lookup::Invalid("invalid socket address");
        };
        let Ok(port) = port.parse::<u16>() else {
            return Lookup::Invalid("invalid port value");
        };
        host_port(host, port)
    }
}

impl ToSocketAddrs for String {}
impl Resolve for String {
    fn lookup(&self) -> Lookup {
        self.as_str().lookup()
    }
}

impl ToSocketAddrs for &[SocketAddr] {}
impl Resolve for &[SocketAddr] {
    fn lookup(&self) -> Lookup {
        Lookup::Many(self.to_vec())
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: Resolve + ?Sized> Resolve for &T {
    fn lookup(&self) -> Lookup {
        (**self).lookup()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready(lookup: Lookup) -> Vec<SocketAddr> {
        match lookup {
            Lookup::One(addr) => vec![addr],
            Lookup::Many(addrs) => addrs,
            other => panic!("expected addresses, got {other:?}"),
        }
    }

    #[test]
    fn literals_resolve_without_a_lookup() {
        let v4: SocketAddr = "127.0.0.1:80".parse().unwrap();
        let v6: SocketAddr = "[::1]:80".parse().unwrap();
        assert_eq!(ready("127.0.0.1:80".lookup()), [v4]);
        assert_eq!(ready("[::1]:80".lookup()), [v6]);
        assert_eq!(ready(("127.0.0.1", 80).lookup()), [v4]);
        assert_eq!(ready(("::1", 80).lookup()), [v6]);
        assert_eq!(ready((String::from("::1"), 80).lookup()), [v6]);
        assert_eq!(ready("::1:80".lookup()), [v6]); // no brackets: split at the last ':'
        assert_eq!(ready((&[v4, v6][..]).lookup()), [v4, v6]);
        assert_eq!(ready((&&v4).lookup()), [v4]);
    }

    #[test]
    fn names_are_left_to_the_resolver_and_bad_input_is_refused() {
        assert!(matches!("localhost:80".lookup(), Lookup::Host(h, 80) if h == "localhost"));
        assert!(matches!(("localhost", 7).lookup(), Lookup::Host(h, 7) if h == "localhost"));
        assert!(matches!(
            "localhost".lookup(),
            Lookup::Invalid("invalid socket address")
        ));
        assert!(matches!(
            "localhost:http".lookup(),
            Lookup::Invalid("invalid port value")
        ));
        assert!(matches!(
            "localhost:65536".lookup(),
            Lookup::Invalid("invalid port value")
        ));
    }
}
