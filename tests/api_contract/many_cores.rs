//! Many cores: `Builder`, one loop per thread, which thread this is,
//! every loop's handle, `SO_REUSEPORT` listeners.

use super::*;
use corio::{Builder, Handle};

pub fn run<T: Send, F: Fn() -> T + Send + Sync>(b: &Builder, main: F) -> Vec<T> {
    b.run(main)
}

pub fn run_local<T, F: FnOnce() -> T>(b: &Builder, main: F) -> T {
    b.run_local(main)
}

pub fn bind_reuseport<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
    TcpListener::bind_reuseport(addr)
}

pub fn udp_bind_reuseport<A: ToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
    UdpSocket::bind_reuseport(addr)
}

pub fn items() {
    let _: fn() -> Builder = Builder::new;
    let _: fn(&mut Builder, usize) -> &mut Builder = Builder::threads;
    let _: fn(&mut Builder, usize) -> &mut Builder = Builder::stack_size;
    let _: fn(&mut Builder, bool) -> &mut Builder = Builder::pin_threads;
    let _: fn(&mut Builder, Duration) -> &mut Builder = Builder::stall_threshold;
    let _: fn() -> usize = corio::thread_index;
    let _: fn() -> usize = corio::thread_count;
    let _: fn() -> Vec<Handle> = corio::handles;
    fn clone_debug_default<T: Clone + Debug + Default>() {}
    clone_debug_default::<Builder>();
}
