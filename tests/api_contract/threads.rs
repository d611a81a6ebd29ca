//! Beyond one thread: handles, remote joins, `block_on`.

use super::*;
use corio::{Handle, RemoteJoinHandle};
use std::future::{Future, IntoFuture};

pub fn handle_spawn<T: Send + 'static, F: FnOnce() -> T + Send + 'static>(
    handle: &Handle,
    f: F,
) -> RemoteJoinHandle<T> {
    handle.spawn(f)
}

pub fn block_on<F: IntoFuture>(future: F) -> F::Output {
    corio::block_on(future)
}

pub fn unblock<T: Send + 'static, F: FnOnce() -> T + Send + 'static>(f: F) -> T {
    corio::unblock(f)
}

pub fn items() {
    let _: fn() -> Handle = corio::handle;
    let _: fn(&Handle) -> bool = Handle::is_closed;
    let _: fn(&Handle) = Handle::shutdown;
    let _: fn(RemoteJoinHandle<u8>) -> Result<u8, JoinError> = RemoteJoinHandle::join;
    let _: fn(&RemoteJoinHandle<u8>) = RemoteJoinHandle::abort;
    let _: fn(&RemoteJoinHandle<u8>) -> bool = RemoteJoinHandle::is_finished;
    fn send_sync_clone<T: Send + Sync + Clone + Debug>() {}
    send_sync_clone::<Handle>();
    fn send_future<T: Send + Debug + Future<Output = Result<u8, JoinError>>>() {}
    send_future::<RemoteJoinHandle<u8>>();
}
