//! The runtime: run, spawn, handles, combinators, time.

use super::*;

pub fn run<T, F: FnOnce() -> T>(f: F) -> T {
    corio::run(f)
}

pub fn spawn<T: 'static, F: FnOnce() -> T + 'static>(f: F) -> JoinHandle<T> {
    corio::spawn(f)
}

pub fn spawn_with_stack_size<T: 'static, F: FnOnce() -> T + 'static>(
    bytes: usize,
    f: F,
) -> JoinHandle<T> {
    corio::spawn_with_stack_size(bytes, f)
}

pub fn gather<T, F: FnOnce() -> T>(work: Vec<F>) -> Vec<T> {
    corio::gather(work)
}

pub fn join<A, B, FA: FnOnce() -> A, FB: FnOnce() -> B>(a: FA, b: FB) -> (A, B) {
    corio::join(a, b)
}

pub fn race<T, F: FnOnce() -> T>(work: Vec<F>) -> (usize, T) {
    corio::race(work)
}

pub fn select<A, B, FA: FnOnce() -> A, FB: FnOnce() -> B>(a: FA, b: FB) -> Either<A, B> {
    corio::select(a, b)
}

pub fn timeout<T>(limit: Duration, f: impl FnOnce() -> T) -> Result<T, Elapsed> {
    corio::timeout(limit, f)
}

pub fn scope<'env, T, F>(f: F) -> T
where
    F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> T,
{
    corio::scope(f)
}

pub fn scope_spawn<'scope, 'env, T: 'scope, F: FnOnce() -> T + 'scope>(
    s: &'scope Scope<'scope, 'env>,
    f: F,
) -> ScopedJoinHandle<'scope, T> {
    s.spawn(f)
}

pub fn functions() {
    let _: fn(Duration) = corio::sleep;
    let _: fn(Instant) = corio::sleep_until;
    let _: fn() = corio::yield_now;

    let _: fn(JoinHandle<u8>) -> Result<u8, JoinError> = JoinHandle::join;
    let _: fn(&JoinHandle<u8>) = JoinHandle::abort;
    let _: fn(&JoinHandle<u8>) -> bool = JoinHandle::is_finished;
    let _: fn(&JoinHandle<u8>) -> u64 = JoinHandle::id;
    let _: fn(ScopedJoinHandle<'static, u8>) -> Result<u8, JoinError> = ScopedJoinHandle::join;
    let _: fn(&ScopedJoinHandle<'static, u8>) = ScopedJoinHandle::abort;
    let _: fn(&ScopedJoinHandle<'static, u8>) -> bool = ScopedJoinHandle::is_finished;

    let _: fn(&JoinError) -> bool = JoinError::is_cancelled;
    let _: fn(&JoinError) -> Option<&str> = JoinError::panic_message;
    let _ = |payload: Box<dyn std::any::Any + Send>| {
        [JoinError::Panicked(payload), JoinError::Cancelled]
    };
    let _: [Either<u8, bool>; 2] = [Either::Left(1), Either::Right(true)];

    assert_error::<JoinError>();
    assert_error::<Elapsed>();
    // The payload a cancelled task unwinds with: recognisable after
    // catch_unwind, Send like every payload, with the task it was for.
    assert_error::<Cancelled>();
    fn assert_payload<T: std::any::Any + Send>() {}
    assert_payload::<Cancelled>();
    let _: fn(&Cancelled) -> u64 = Cancelled::task_id;
    assert_debug::<JoinHandle<u8>>();
    assert_debug::<ScopedJoinHandle<'_, u8>>();
    assert_debug::<Scope<'_, '_>>();
    fn eq_debug<T: Copy + Eq + Debug>() {}
    eq_debug::<Either<u8, u8>>();
}
