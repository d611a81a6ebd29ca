//! Generators: construction, resume, status, close, delegation, `gen`.

use super::*;

pub fn new<I: 'static, Y: 'static, R: 'static, F>(body: F) -> Generator<I, Y, R>
where
    F: FnOnce(&Yielder<I, Y>, I) -> R + 'static,
{
    Generator::new(body)
}

pub fn with_stack_size<I: 'static, Y: 'static, R: 'static, F>(
    bytes: usize,
    body: F,
) -> Generator<I, Y, R>
where
    F: FnOnce(&Yielder<I, Y>, I) -> R + 'static,
{
    Generator::with_stack_size(bytes, body)
}

pub fn try_with_stack_size<I: 'static, Y: 'static, R: 'static, F>(
    bytes: usize,
    body: F,
) -> io::Result<Generator<I, Y, R>>
where
    F: FnOnce(&Yielder<I, Y>, I) -> R + 'static,
{
    Generator::try_with_stack_size(bytes, body)
}

pub fn r#gen<Y: 'static, F>(body: F) -> Generator<(), Y, ()>
where
    F: FnOnce(&Yielder<(), Y>) + 'static,
{
    corio::r#gen(body)
}

pub fn yield_from<I: Default, Y, R2>(y: &Yielder<I, Y>, inner: Generator<I, Y, R2>) -> R2 {
    y.yield_from(inner)
}

pub fn methods() {
    let _: fn(&mut Generator<i32, u64, &'static str>, i32) -> GeneratorState<u64, &'static str> =
        Generator::resume;
    let _: fn(&Generator<i32, u64, ()>) -> Status = Generator::status;
    let _: fn(&mut Generator<i32, u64, ()>) = Generator::close;
    let _: fn(
        &mut Generator<i32, u64, &'static str>,
        Box<dyn std::any::Any + Send>,
    ) -> GeneratorState<u64, &'static str> = Generator::throw;
    let _: fn(&Yielder<i32, u64>, u64) -> i32 = Yielder::yield_;
    // Default type parameters: `Generator` is `Generator<(), (), ()>`.
    let _: fn(&mut Generator, ()) -> GeneratorState<(), ()> = Generator::resume;
    let _ = [
        Status::Created,
        Status::Suspended,
        Status::Running,
        Status::Complete,
    ];
    let _: [GeneratorState<u8, bool>; 2] =
        [GeneratorState::Yielded(1), GeneratorState::Complete(true)];
    assert_iterator::<Generator<(), u8, ()>, u8>();
    assert_impl::<Generator<(), u8, ()>>();
    assert_debug::<Generator<i32, u64, ()>>();
    assert_debug::<Yielder<i32, u64>>();
    assert_impl::<GeneratorState<u8, u8>>();
    fn copy_eq_hash<T: Copy + Eq + std::hash::Hash + Debug>() {}
    copy_eq_hash::<Status>();
    copy_eq_hash::<GeneratorState<u8, u8>>();
}
