//! Synchronisation: the bounded channel, FIFO semaphore, mutex and event.

use super::*;

pub fn methods() {
    let _: fn(usize) -> (Sender<u8>, Receiver<u8>) = corio::sync::channel;
    let _: fn(&Sender<u8>, u8) -> Result<(), SendError<u8>> = Sender::send;
    let _: fn(&Sender<u8>, u8) -> Result<(), TrySendError<u8>> = Sender::try_send;
    let _: fn(&Receiver<u8>) -> Option<u8> = Receiver::recv;
    let _: fn(&Receiver<u8>) -> Result<u8, TryRecvError> = Receiver::try_recv;
    let _: fn(SendError<u8>) -> u8 = SendError::into_inner;
    let _: fn(TrySendError<u8>) -> u8 = TrySendError::into_inner;
    let _ = |e: SendError<u8>| e.0;
    let _: [TrySendError<u8>; 2] = [TrySendError::Full(1), TrySendError::Disconnected(2)];
    let _ = [TryRecvError::Empty, TryRecvError::Disconnected];
    let _: fn(SendError<u8>) -> TrySendError<u8> = TrySendError::from;
    assert_impl::<Sender<u8>>();
    fn clone<T: Clone>() {}
    clone::<Sender<u8>>();
    assert_iterator::<Receiver<u8>, u8>();
    assert_error::<SendError<u8>>();
    assert_error::<TrySendError<u8>>();
    assert_error::<TryRecvError>();
    assert_debug::<Sender<u8>>();
    assert_debug::<Receiver<u8>>();

    let _: fn(usize) -> Semaphore = Semaphore::new;
    const _: Semaphore = Semaphore::new(1); // a const fn
    let _: fn(&Semaphore) -> SemaphorePermit<'_> = Semaphore::acquire;
    let _: fn(&Semaphore) -> Option<SemaphorePermit<'_>> = Semaphore::try_acquire;
    let _: fn(&Semaphore) -> usize = Semaphore::available_permits;
    let _: fn(&Semaphore, usize) = Semaphore::add_permits;
    assert_debug::<Semaphore>();
    assert_debug::<SemaphorePermit<'_>>();

    let _: fn(u8) -> Mutex<u8> = Mutex::new;
    const _: Mutex<u8> = Mutex::new(0); // a const fn
    let _: fn(Mutex<u8>) -> u8 = Mutex::into_inner;
    let _: fn(&Mutex<u8>) -> MutexGuard<'_, u8> = Mutex::lock;
    let _: fn(&Mutex<u8>) -> Option<MutexGuard<'_, u8>> = Mutex::try_lock;
    let _: fn(&mut Mutex<u8>) -> &mut u8 = Mutex::get_mut;
    let _: fn(u8) -> Mutex<u8> = Mutex::from;
    let _: fn() -> Mutex<u8> = Mutex::default;
    assert_impl::<Mutex<[u8]>>(); // T: ?Sized
    fn guard<'a, G: std::ops::DerefMut<Target = u8> + Debug + Display + 'a>() {}
    guard::<MutexGuard<'_, u8>>();
    assert_debug::<Mutex<u8>>();

    let _: fn() -> Event = Event::new;
    const _: Event = Event::new(); // a const fn
    let _: fn(&Event) = Event::set;
    let _: fn(&Event) = Event::clear;
    let _: fn(&Event) -> bool = Event::is_set;
    let _: fn(&Event) = Event::wait;
    let _: fn() -> Event = Event::default;
    assert_debug::<Event>();
}
