//! Unix sockets: std-like constructors (paths and `SocketAddr`s),
//! `Read`/`Write` also through `&UnixStream`, datagrams, descriptors.

use super::*;
use std::os::unix::net::SocketAddr;
use std::path::Path;

pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
    UnixListener::bind(path)
}

pub fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
    UnixStream::connect(path)
}

pub fn datagram_bind<P: AsRef<Path>>(path: P) -> io::Result<UnixDatagram> {
    UnixDatagram::bind(path)
}

pub fn datagram_connect<P: AsRef<Path>>(socket: &UnixDatagram, path: P) -> io::Result<()> {
    socket.connect(path)
}

pub fn datagram_send_to<P: AsRef<Path>>(
    socket: &UnixDatagram,
    buf: &[u8],
    path: P,
) -> io::Result<usize> {
    socket.send_to(buf, path)
}

pub fn methods() {
    let _: fn(&SocketAddr) -> io::Result<UnixListener> = UnixListener::bind_addr;
    let _: fn(std::os::unix::net::UnixListener) -> io::Result<UnixListener> =
        UnixListener::from_std;
    let _: fn(&UnixListener) -> io::Result<(UnixStream, SocketAddr)> = UnixListener::accept;
    let _: fn(&UnixListener) -> UnixIncoming<'_> = UnixListener::incoming;
    let _: fn(&UnixListener) -> io::Result<SocketAddr> = UnixListener::local_addr;
    let _: fn(&UnixListener) -> io::Result<Option<io::Error>> = UnixListener::take_error;
    let _: fn(&UnixListener) -> io::Result<UnixListener> = UnixListener::try_clone;

    let _: fn(&SocketAddr) -> io::Result<UnixStream> = UnixStream::connect_addr;
    let _: fn() -> io::Result<(UnixStream, UnixStream)> = UnixStream::pair;
    let _: fn(std::os::unix::net::UnixStream) -> io::Result<UnixStream> = UnixStream::from_std;
    let _: fn(&UnixStream) -> io::Result<UnixStream> = UnixStream::try_clone;
    let _: fn(&UnixStream) -> io::Result<SocketAddr> = UnixStream::local_addr;
    let _: fn(&UnixStream) -> io::Result<SocketAddr> = UnixStream::peer_addr;
    let _: fn(&UnixStream, Shutdown) -> io::Result<()> = UnixStream::shutdown;
    let _: fn(&UnixStream) -> io::Result<Option<io::Error>> = UnixStream::take_error;
    let _: fn(&UnixStream, Option<Duration>) -> io::Result<()> = UnixStream::set_read_timeout;
    let _: fn(&UnixStream, Option<Duration>) -> io::Result<()> = UnixStream::set_write_timeout;
    let _: fn(&UnixStream) -> io::Result<Option<Duration>> = UnixStream::read_timeout;
    let _: fn(&UnixStream) -> io::Result<Option<Duration>> = UnixStream::write_timeout;

    let _: fn(&SocketAddr) -> io::Result<UnixDatagram> = UnixDatagram::bind_addr;
    let _: fn() -> io::Result<UnixDatagram> = UnixDatagram::unbound;
    let _: fn() -> io::Result<(UnixDatagram, UnixDatagram)> = UnixDatagram::pair;
    let _: fn(std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> =
        UnixDatagram::from_std;
    let _: fn(&UnixDatagram) -> io::Result<UnixDatagram> = UnixDatagram::try_clone;
    let _: fn(&UnixDatagram, &SocketAddr) -> io::Result<()> = UnixDatagram::connect_addr;
    let _: fn(&UnixDatagram, &[u8]) -> io::Result<usize> = UnixDatagram::send;
    let _: fn(&UnixDatagram, &[u8], &SocketAddr) -> io::Result<usize> = UnixDatagram::send_to_addr;
    let _: fn(&UnixDatagram, &mut [u8]) -> io::Result<usize> = UnixDatagram::recv;
    let _: fn(&UnixDatagram, &mut [u8]) -> io::Result<(usize, SocketAddr)> =
        UnixDatagram::recv_from;
    let _: fn(&UnixDatagram) -> io::Result<SocketAddr> = UnixDatagram::local_addr;
    let _: fn(&UnixDatagram) -> io::Result<SocketAddr> = UnixDatagram::peer_addr;
    let _: fn(&UnixDatagram, Shutdown) -> io::Result<()> = UnixDatagram::shutdown;
    let _: fn(&UnixDatagram) -> io::Result<Option<io::Error>> = UnixDatagram::take_error;
    let _: fn(&UnixDatagram, Option<Duration>) -> io::Result<()> = UnixDatagram::set_read_timeout;
    let _: fn(&UnixDatagram, Option<Duration>) -> io::Result<()> = UnixDatagram::set_write_timeout;
    let _: fn(&UnixDatagram) -> io::Result<Option<Duration>> = UnixDatagram::read_timeout;
    let _: fn(&UnixDatagram) -> io::Result<Option<Duration>> = UnixDatagram::write_timeout;

    assert_read_write::<UnixStream>();
    assert_read_write::<&UnixStream>();
    assert_iterator::<UnixIncoming<'_>, io::Result<UnixStream>>();
    assert_fd::<UnixListener>();
    assert_fd::<UnixStream>();
    assert_fd::<UnixDatagram>();
    assert_debug::<UnixListener>();
    assert_debug::<UnixStream>();
    assert_debug::<UnixDatagram>();
    assert_debug::<UnixIncoming<'_>>();
    // Sockets are `Send` (registration is per runtime), not `Sync`.
    fn send<T: Send>() {}
    send::<UnixListener>();
    send::<UnixStream>();
    send::<UnixDatagram>();
    send::<TcpListener>();
    send::<TcpStream>();
    send::<UdpSocket>();
}
