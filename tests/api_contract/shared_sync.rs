//! Channels that cross threads: `corio::sync::shared`.

use super::*;
use corio::sync::shared::{
    self, OneshotReceiver, OneshotSender, Receiver, RecvFuture, SendFuture, Sender,
};
use std::future::Future;

pub fn items() {
    let _: fn(usize) -> (Sender<u8>, Receiver<u8>) = shared::channel;
    let _: fn(&Sender<u8>, u8) -> Result<(), SendError<u8>> = Sender::send;
    let _: fn(&Sender<u8>, u8) -> Result<(), TrySendError<u8>> = Sender::try_send;
    let _: for<'a> fn(&'a Sender<u8>, u8) -> SendFuture<'a, u8> = Sender::send_async;
    let _: fn(&Receiver<u8>) -> Option<u8> = Receiver::recv;
    let _: fn(&Receiver<u8>) -> Result<u8, TryRecvError> = Receiver::try_recv;
    let _: for<'a> fn(&'a Receiver<u8>) -> RecvFuture<'a, u8> = Receiver::recv_async;
    let _: fn() -> (OneshotSender<u8>, OneshotReceiver<u8>) = shared::oneshot;
    let _: fn(OneshotSender<u8>, u8) -> Result<(), u8> = OneshotSender::send;
    let _: fn(OneshotReceiver<u8>) -> Option<u8> = OneshotReceiver::recv;
    let _: fn(&mut OneshotReceiver<u8>) -> Result<u8, TryRecvError> = OneshotReceiver::try_recv;
    fn send_sync_clone<T: Send + Sync + Clone + Debug>() {}
    send_sync_clone::<Sender<u8>>();
    send_sync_clone::<Receiver<u8>>();
    fn send_sync<T: Send + Sync + Debug>() {}
    send_sync::<OneshotSender<u8>>();
    send_sync::<OneshotReceiver<u8>>();
    assert_iterator::<Receiver<u8>, u8>();
    fn future<F: Future<Output = O> + Send + Unpin + Debug, O>() {}
    future::<OneshotReceiver<u8>, Option<u8>>();
    future::<SendFuture<'_, u8>, Result<(), SendError<u8>>>();
    future::<RecvFuture<'_, u8>, Option<u8>>();
}
