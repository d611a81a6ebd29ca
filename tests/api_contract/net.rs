//! Sockets: std-like constructors and accessors, `Read`/`Write` also
//! through `&TcpStream`, file descriptors.

use super::*;

pub fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
    TcpListener::bind(addr)
}

pub fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
    TcpStream::connect(addr)
}

pub fn udp_bind<A: ToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
    UdpSocket::bind(addr)
}

pub fn udp_send_to<A: ToSocketAddrs>(socket: &UdpSocket, buf: &[u8], addr: A) -> io::Result<usize> {
    socket.send_to(buf, addr)
}

pub fn udp_connect<A: ToSocketAddrs>(socket: &UdpSocket, addr: A) -> io::Result<()> {
    socket.connect(addr)
}

pub fn methods() {
    let _: fn(std::net::TcpListener) -> io::Result<TcpListener> = TcpListener::from_std;
    let _: fn(&TcpListener) -> io::Result<(TcpStream, SocketAddr)> = TcpListener::accept;
    let _: fn(&TcpListener) -> Incoming<'_> = TcpListener::incoming;
    let _: fn(&TcpListener) -> io::Result<SocketAddr> = TcpListener::local_addr;

    let _: fn(std::net::TcpStream) -> io::Result<TcpStream> = TcpStream::from_std;
    let _: fn(&TcpStream) -> io::Result<SocketAddr> = TcpStream::peer_addr;
    let _: fn(&TcpStream) -> io::Result<SocketAddr> = TcpStream::local_addr;
    let _: fn(&TcpStream, Shutdown) -> io::Result<()> = TcpStream::shutdown;
    let _: fn(&TcpStream, bool) -> io::Result<()> = TcpStream::set_nodelay;
    let _: fn(&TcpStream) -> io::Result<bool> = TcpStream::nodelay;
    let _: fn(&TcpStream, Option<Duration>) -> io::Result<()> = TcpStream::set_read_timeout;
    let _: fn(&TcpStream, Option<Duration>) -> io::Result<()> = TcpStream::set_write_timeout;
    let _: fn(&TcpStream) -> io::Result<Option<Duration>> = TcpStream::read_timeout;
    let _: fn(&TcpStream) -> io::Result<Option<Duration>> = TcpStream::write_timeout;
    let _: fn(&TcpStream, &mut [u8]) -> io::Result<usize> = TcpStream::peek;
    let _: fn(&SocketAddr, Duration) -> io::Result<TcpStream> = TcpStream::connect_timeout;
    let _: fn(&TcpStream) -> io::Result<TcpStream> = TcpStream::try_clone;
    let _: fn(&TcpStream, &mut [u8]) -> io::Result<usize> = TcpStream::try_peek;
    let _: fn(&TcpStream) -> io::Result<Option<io::Error>> = TcpStream::take_error;
    let _: fn(&TcpStream, u32) -> io::Result<()> = TcpStream::set_ttl;
    let _: fn(&TcpStream) -> io::Result<u32> = TcpStream::ttl;
    let _: fn(&TcpStream, Option<Duration>) -> io::Result<()> = TcpStream::set_linger;
    let _: fn(&TcpStream) -> io::Result<Option<Duration>> = TcpStream::linger;

    let _: fn(std::net::UdpSocket) -> io::Result<UdpSocket> = UdpSocket::from_std;
    let _: fn(&UdpSocket, &mut [u8]) -> io::Result<(usize, SocketAddr)> = UdpSocket::recv_from;
    let _: fn(&UdpSocket, &[u8]) -> io::Result<usize> = UdpSocket::send;
    let _: fn(&UdpSocket, &mut [u8]) -> io::Result<usize> = UdpSocket::recv;
    let _: fn(&UdpSocket, Option<Duration>) -> io::Result<()> = UdpSocket::set_read_timeout;
    let _: fn(&UdpSocket) -> io::Result<SocketAddr> = UdpSocket::local_addr;
    let _: fn(&UdpSocket) -> io::Result<SocketAddr> = UdpSocket::peer_addr;
    let _: fn(&UdpSocket) -> io::Result<UdpSocket> = UdpSocket::try_clone;
    let _: fn(&UdpSocket) -> io::Result<Option<io::Error>> = UdpSocket::take_error;
    let _: fn(&UdpSocket, u32) -> io::Result<()> = UdpSocket::set_ttl;
    let _: fn(&UdpSocket) -> io::Result<u32> = UdpSocket::ttl;
    let _: fn(&UdpSocket, bool) -> io::Result<()> = UdpSocket::set_broadcast;
    let _: fn(&UdpSocket) -> io::Result<bool> = UdpSocket::broadcast;
    let _: fn(&UdpSocket) -> io::Result<Option<Duration>> = UdpSocket::read_timeout;

    // `ToSocketAddrs` takes what std's trait takes.
    fn addrs<A: ToSocketAddrs + ?Sized>() {}
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
    addrs::<SocketAddr>();
    addrs::<SocketAddrV4>();
    addrs::<SocketAddrV6>();
    addrs::<(IpAddr, u16)>();
    addrs::<(Ipv4Addr, u16)>();
    addrs::<(Ipv6Addr, u16)>();
    addrs::<(&str, u16)>();
    addrs::<(String, u16)>();
    addrs::<str>();
    addrs::<&str>();
    addrs::<String>();
    addrs::<&String>();
    addrs::<&[SocketAddr]>();
    addrs::<&SocketAddr>();
    addrs::<&(&str, u16)>();

    assert_read_write::<TcpStream>();
    assert_read_write::<&TcpStream>();
    assert_iterator::<Incoming<'_>, io::Result<TcpStream>>();
    assert_fd::<TcpListener>();
    assert_fd::<TcpStream>();
    assert_fd::<UdpSocket>();
    assert_debug::<TcpListener>();
    assert_debug::<TcpStream>();
    assert_debug::<UdpSocket>();
    assert_debug::<Incoming<'_>>();
}
