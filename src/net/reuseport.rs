//! Sockets bound with `SO_REUSEPORT`, for one listener per event loop on
//! one port (`TcpListener::bind_reuseport`, `UdpSocket::bind_reuseport`).
//!
//! The option must be set between `socket` and `bind`, which std's
//! constructors do in one call, so the socket is made here with libc and
//! handed to std as an `OwnedFd`. Linux then spreads incoming connections
//! (and datagrams) over every socket bound to the port with the option
//! set by the same user, by a hash of the peer's address and port: each
//! connection goes to one listener, and a listener that closes takes only
//! its own queue with it.

use std::io;
use std::mem::size_of;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};

/// A socket of `kind` (`SOCK_STREAM`, `SOCK_DGRAM`) bound to `addr` with
/// `SO_REUSEADDR` and `SO_REUSEPORT` set, close-on-exec and non-blocking.
///
/// # Errors
///
/// The error of `socket`, `setsockopt` or `bind` (`EADDRINUSE` when a
/// socket without `SO_REUSEPORT`, or of another user, holds the port).
pub(super) fn bind(addr: SocketAddr, kind: libc::c_int) -> io::Result<OwnedFd> {
    let family = match addr {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    };
    // SAFETY: `socket` takes integers only.
    let fd = unsafe { libc::socket(family, kind | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK, 0) };
    if fd == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by `socket`, is open, and nothing
    // else owns it.
    let socket = unsafe { OwnedFd::from_raw_fd(fd) };
    // As std does for listeners: a restarted server can bind again while
    // connections of the last one linger in TIME_WAIT.
    set_flag(&socket, libc::SO_REUSEADDR)?;
    set_flag(&socket, libc::SO_REUSEPORT)?;
    let (storage, len) = to_sockaddr(addr);
    // SAFETY: `storage` holds a `sockaddr_in` or `sockaddr_in6` of `len`
    // bytes (see `to_sockaddr`); the descriptor is owned and open.
    let status =
        unsafe { libc::bind(socket.as_raw_fd(), std::ptr::from_ref(&storage).cast(), len) };
    if status == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(socket)
}

/// Sets the `SOL_SOCKET` boolean option `name`.
fn set_flag(socket: &OwnedFd, name: libc::c_int) -> io::Result<()> {
    let on: libc::c_int = 1;
    super::sockopt::set_option(socket.as_fd(), libc::SOL_SOCKET, name, &on)
}

/// `addr` as the kernel reads it: a `sockaddr_in` or `sockaddr_in6` at
/// the start of a `sockaddr_storage`, and that struct's length. Ports and
/// IPv4 addresses are in network byte order; the IPv6 flow label is
/// passed as std passes it.
fn to_sockaddr(addr: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: `sockaddr_storage` is plain integers, valid when zeroed.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(v4) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: v4.port().to_be(),
                sin_addr: libc::in_addr {
                    // The octets are already in network order.
                    s_addr: u32::from_ne_bytes(v4.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: `sockaddr_storage` is larger than and aligned at
            // least as `sockaddr_in` (that is its purpose).
            unsafe {
                std::ptr::from_mut(&mut storage)
                    .cast::<libc::sockaddr_in>()
                    .write(sin)
            };
            size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(v6) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: v6.port().to_be(),
                sin6_flowinfo: v6.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: v6.ip().octets(),
                },
                sin6_scope_id: v6.scope_id(),
            };
            // SAFETY: as above, for `sockaddr_in6`.
            unsafe {
                std::ptr::from_mut(&mut storage)
                    .cast::<libc::sockaddr_in6>()
                    .write(sin6)
            };
            size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len as libc::socklen_t)
}
