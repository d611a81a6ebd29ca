//! The addresses of a socket a task waits on, asked of the kernel at dump
//! time (nothing is kept on the park path but the descriptor number).

use std::mem::MaybeUninit;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::RawFd;

/// Which end of a socket to ask for.
#[derive(Clone, Copy)]
pub(super) enum End {
    Peer,
    Local,
}

/// The IP address of `end` of socket `fd`, or `None` (not a socket, not
/// an IP socket, not connected).
///
/// `fd` is a descriptor some parked task waits on; the caller knows it is
/// open (the task's frame borrows what owns it). The calls only read.
pub(super) fn address(fd: RawFd, end: End) -> Option<SocketAddr> {
    let mut storage = MaybeUninit::<libc::sockaddr_storage>::zeroed();
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let out = storage.as_mut_ptr().cast::<libc::sockaddr>();
    // SAFETY: `out` points at a `sockaddr_storage` of `len` bytes, the
    // largest address any family writes; the kernel writes at most `len`
    // and updates it. A descriptor that is not a socket fails (ENOTSOCK).
    let ret = unsafe {
        match end {
            End::Peer => libc::getpeername(fd, out, &mut len),
            End::Local => libc::getsockname(fd, out, &mut len),
        }
    };
    if ret != 0 {
        return None;
    }
    // SAFETY: zeroed, then (partly) written by the kernel: every byte is
    // initialised.
    let storage = unsafe { storage.assume_init() };
    match libc::c_int::from(storage.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a `sockaddr_in`,
            // which is smaller and no more aligned than `sockaddr_storage`.
            let v4 = unsafe { &*(&raw const storage).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(u32::from_be(v4.sin_addr.s_addr));
            Some(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(v4.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: as above, for `sockaddr_in6`.
            let v6 = unsafe { &*(&raw const storage).cast::<libc::sockaddr_in6>() };
            let ip = Ipv6Addr::from(v6.sin6_addr.s6_addr);
            Some(SocketAddr::V6(SocketAddrV6::new(
                ip,
                u16::from_be(v6.sin6_port),
                v6.sin6_flowinfo,
                v6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}
