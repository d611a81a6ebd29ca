//! Generators: functions that run on their own stack and can suspend
//! themselves, handing a value out and receiving one back when resumed.
//!
//! The model is Python's generator (`next`/`send`, `yield`, `yield from`,
//! `throw`, `close`, `StopIteration.value`) and Lua's coroutine (`resume`,
//! `yield`, `status`, `wrap`, `close`), on a stack of its own: a body may
//! yield from any depth of ordinary function calls.

use std::any::Any;
use std::cell::Cell;
use std::fmt;
use std::io;
use std::iter::FusedIterator;
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::rc::Rc;

use corosensei::{Coroutine, CoroutineResult};

use crate::context::{self, ParentSwitch, StackContext};
use crate::stack::PooledStack;
use crate::unstarted::{MAX_INLINE_BODY, Unstarted};

/// What a [`Generator::resume`] call produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GeneratorState<Y, R> {
    /// The body called [`Yielder::yield_`] with this value and is suspended.
    Yielded(Y),
    /// The body returned this value (Python's `StopIteration.value`); the
    /// generator is now [`Status::Complete`].
    Complete(R),
}

/// Where a generator is in its life, like Lua's `coroutine.status`.
///
/// ```text
///  Created --resume--> Running --yield_--> Suspended --resume/throw--> Running ...
///     |                   |                    |
///     | close/drop/throw  | return or panic    | close/drop (unwinds)
///     v                   v                    v
///  Complete <-------------+--------------------+
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Made but not resumed yet; the body has not started.
    Created,
    /// Paused inside [`Yielder::yield_`], waiting for the next resume.
    Suspended,
    /// Executing. [`Generator::status`] never returns this: `resume` holds
    /// `&mut self` for the whole run, so nothing can ask. Python's
    /// "generator already executing" and Lua's resuming a running coroutine
    /// are compile errors in Rust.
    Running,
    /// Returned, panicked (a payload from [`Generator::throw`] that escaped
    /// counts) or was closed; it cannot be resumed again.
    Complete,
}

/// A coroutine that takes `I` on each resume, yields `Y`, and returns `R`.
///
/// The body runs on its own pooled, guarded stack (see [`crate::stack`]), so
/// it can yield from inside nested function calls that receive the
/// [`Yielder`], which neither Python generators nor Rust `async` allow.
///
/// Dropping a generator that is suspended unwinds its stack: every value
/// alive on it is dropped, as Python's `close()` runs `finally` blocks.
///
/// # Examples
///
/// ```
/// use corio::{Generator, GeneratorState, Status};
///
/// // A running total: each resume sends a number in (Python's `send`).
/// let mut total = Generator::new(|y, first: i64| {
///     let mut sum = first;
///     loop {
///         let next = y.yield_(sum);
///         if next == 0 {
///             return format!("final total {sum}");
///         }
///         sum += next;
///     }
/// });
/// assert_eq!(total.status(), Status::Created);
/// assert_eq!(total.resume(5), GeneratorState::Yielded(5)); // starts the body
/// assert_eq!(total.resume(10), GeneratorState::Yielded(15));
/// assert_eq!(total.status(), Status::Suspended);
/// assert_eq!(total.resume(0), GeneratorState::Complete("final total 15".to_string()));
/// assert_eq!(total.status(), Status::Complete);
/// ```
///
/// Generators stay on the thread that made them:
///
/// ```compile_fail
/// let g = corio::Generator::<(), i32, ()>::new(|y, ()| y.yield_(1));
/// std::thread::spawn(move || drop(g)); // error: `Generator` is not `Send`
/// ```
pub struct Generator<I = (), Y = (), R = ()> {
    coroutine: Coroutine<Sent<I>, Y, R, PooledStack>,
    /// The header at the top of the slot `coroutine` runs on; written
    /// before the coroutine is built and live as long as it.
    header: NonNull<GeneratorHeader>,
    /// A generator's stack belongs to its thread's pool and its body may
    /// hold thread-bound values: it must never change threads.
    _not_send: PhantomData<Rc<()>>,
}

impl<I: 'static, Y: 'static, R: 'static> Generator<I, Y, R> {
    /// Makes a generator that runs `body` on a stack of the default size
    /// when first resumed; the first resume's input is `body`'s second
    /// argument. The default is
    /// [`DEFAULT_STACK_SIZE`](crate::stack::DEFAULT_STACK_SIZE), or inside
    /// a runtime its [`Builder::stack_size`](crate::Builder::stack_size).
    ///
    /// # Panics
    ///
    /// If no stack can be mapped (the address space or `vm.max_map_count`
    /// is exhausted); [`Generator::try_with_stack_size`] returns that error.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut g = corio::Generator::new(|y, name: &str| {
    ///     let reply: &str = y.yield_(format!("hello, {name}"));
    ///     reply.len()
    /// });
    /// assert_eq!(g.resume("ana"), corio::GeneratorState::Yielded("hello, ana".into()));
    /// assert_eq!(g.resume("four"), corio::GeneratorState::Complete(4));
    /// ```
    #[inline]
    pub fn new<F>(body: F) -> Self
    where
        F: FnOnce(&Yielder<I, Y>, I) -> R + 'static,
    {
        Self::with_stack_size(crate::runtime::current::default_stack_size(), body)
    }

    /// Like [`Generator::new`] with a stack of at least `bytes` usable bytes
    /// (rounded up to whole pages and to at least
    /// [`crate::stack::MIN_STACK_SIZE`]). Stacks of one size share a pool.
    ///
    /// # Panics
    ///
    /// If no stack can be mapped; see [`Generator::try_with_stack_size`].
    ///
    /// # Examples
    ///
    /// ```
    /// fn sum_to(n: u64) -> u64 { if n == 0 { 0 } else { n + sum_to(n - 1) } }
    /// let mut g = corio::Generator::<(), (), u64>::with_stack_size(4 << 20, |_, ()| sum_to(20_000));
    /// assert_eq!(g.resume(()), corio::GeneratorState::Complete(200_010_000));
    /// ```
    #[inline]
    pub fn with_stack_size<F>(bytes: usize, body: F) -> Self
    where
        F: FnOnce(&Yielder<I, Y>, I) -> R + 'static,
    {
        Self::try_with_stack_size(bytes, body)
            .unwrap_or_else(|e| panic!("corio: cannot map a {bytes}-byte coroutine stack: {e}"))
    }

    /// Like [`Generator::with_stack_size`], returning the error when no
    /// stack can be mapped instead of panicking.
    ///
    /// # Errors
    ///
    /// `InvalidInput` if `bytes` exceeds [`crate::stack::MAX_STACK_SIZE`];
    /// otherwise the `mmap` or `madvise` error that prevented mapping a stack.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = corio::Generator::<(), (), ()>::try_with_stack_size(64 * 1024, |_, ()| {})?;
    /// # drop(g);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn try_with_stack_size<F>(bytes: usize, body: F) -> io::Result<Self>
    where
        F: FnOnce(&Yielder<I, Y>, I) -> R + 'static,
    {
        context::install_panic_hook();
        let stack = PooledStack::take(bytes)?;
        let header = stack.header::<GeneratorHeader>();
        // SAFETY: the header bytes of a slot belong to its owner, and the
        // slot is ours; nothing has a reference into them yet.
        unsafe {
            header.as_ptr().write(GeneratorHeader {
                context: StackContext::default(),
                closing: Cell::new(false),
                stack_limit: stack.lowest_address(),
            })
        };
        // corosensei copies the body onto the new stack and refuses types
        // over 1 KiB; a body that captures more goes on the heap.
        let coroutine = if size_of::<F>() > MAX_INLINE_BODY {
            build(stack, header, Box::new(body))
        } else {
            build(stack, header, body)
        };
        Ok(Generator {
            coroutine,
            header,
            _not_send: PhantomData,
        })
    }
}

/// The coroutine of a generator whose header is at `header`.
fn build<I, Y, R, F>(
    stack: PooledStack,
    header: NonNull<GeneratorHeader>,
    body: F,
) -> Coroutine<Sent<I>, Y, R, PooledStack>
where
    F: FnOnce(&Yielder<I, Y>, I) -> R + 'static,
    I: 'static,
    Y: 'static,
    R: 'static,
{
    // Dropped unrun, the body goes back to the owner's stack (see
    // `crate::unstarted`): `close` drops it there.
    let mut body = Unstarted::new(body);
    Coroutine::with_stack(stack, move |raw: &RawYielder<I, Y>, input: Sent<I>| {
        let body = body.take();
        // `throw` never starts a body: an unstarted generator is closed
        // and the payload raised in the caller instead.
        let Sent::Value(input) = input else {
            unreachable!("corio: a generator body is started only by resume")
        };
        // SAFETY: the header was written before the coroutine was built
        // and lives in the slot this body runs on.
        let context = &unsafe { header.as_ref() }.context;
        context::enter(context);
        context.set_switch(ParentSwitch {
            yielder: NonNull::from(raw).cast(),
            call: run_on_parent::<I, Y>,
        });
        let yielder = Yielder {
            raw: NonNull::from(raw),
            header,
            _not_send: PhantomData,
        };
        // However the body ends, its generator stops being active here,
        // on its own stack, before control returns to the resumer.
        let leave = LeaveOnExit(header);
        let value = body(&yielder, input);
        leave.returned();
        value
    })
}

/// What a switch into a generator hands the body's pending `yield_`: the
/// next input (`resume`), or a payload to raise there (`throw`).
enum Sent<I> {
    /// `resume(input)`: `yield_` returns it.
    Value(I),
    /// `throw(payload)`: `yield_` unwinds with it.
    Thrown(Box<dyn Any + Send>),
}

/// Pops a generator off the chain of executing stacks when its body
/// returns ([`LeaveOnExit::returned`]), panics or is unwound (the drop).
struct LeaveOnExit(NonNull<GeneratorHeader>);

impl LeaveOnExit {
    /// The body returned: leave, with no unwinding to pass on.
    fn returned(self) {
        // SAFETY: the header outlives the body it was made for.
        context::leave(&unsafe { self.0.as_ref() }.context);
        std::mem::forget(self);
    }
}

impl Drop for LeaveOnExit {
    /// Runs only while a panic leaves the body (`returned` forgets the
    /// guard otherwise). Unless the owner is closing the generator (its
    /// unwinding ends in `close`), the panic goes on in the resumer: its
    /// stacks are marked as possibly unwinding before it gets there, since
    /// a panic or throw raised in the generator marked only the
    /// generator's own stack (a caught one then leaves no stale mark on
    /// the resumer, which would hold back that task's cancellation).
    fn drop(&mut self) {
        // SAFETY: the header outlives the body it was made for.
        let header = unsafe { self.0.as_ref() };
        if !header.closing.get() {
            context::mark_resumers_may_unwind(&header.context);
        }
        context::leave(&header.context);
    }
}

/// A generator's state at the top of its stack slot, reached both by the
/// `Generator` (which may move) and by code on the generator's stack.
///
/// `repr(C)` with `context` first, so that a generator's `StackContext`
/// is also the address of its header: [`slot_low_of`] relies on it.
#[repr(C)]
struct GeneratorHeader {
    /// The generator's link in the chain of executing stacks.
    context: StackContext,
    /// Set while the owner is unwinding the coroutine (close or drop); a
    /// yield seen then is a bug in the body, reported as such.
    closing: Cell<bool>,
    /// Lowest address of the generator's stack; the header itself sits at
    /// its top.
    stack_limit: usize,
}

/// The lowest address of the stack slot of the generator whose context
/// is `context` (guard page included).
///
/// # Safety
///
/// `context` must be a generator's context (one with a parent switch:
/// only `build` above sets one, on the `context` field of a
/// `GeneratorHeader`), live while the call runs.
pub(crate) unsafe fn slot_low_of(context: &StackContext) -> usize {
    let header = (context as *const StackContext).cast::<GeneratorHeader>();
    // SAFETY: by our contract `context` is the first field of a live
    // `GeneratorHeader`, which is `repr(C)`: the same address.
    unsafe { (*header).stack_limit }
}

impl<I, Y, R> Generator<I, Y, R> {
    /// Runs the body until it yields or returns, passing `input` in: to the
    /// body's second argument on the first resume, and as the return value
    /// of the pending [`Yielder::yield_`] afterwards (Python's `send`).
    ///
    /// # Panics
    ///
    /// - If the body panics: the panic comes out here unchanged and the
    ///   generator is [`Status::Complete`] afterwards.
    /// - If the generator is already complete (Lua's "cannot resume dead
    ///   coroutine", Python's `StopIteration`).
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::{Generator, GeneratorState};
    ///
    /// let mut g = Generator::<(), u8, ()>::new(|y, ()| {
    ///     y.yield_(1);
    ///     panic!("boom");
    /// });
    /// assert_eq!(g.resume(()), GeneratorState::Yielded(1));
    /// let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| g.resume(())));
    /// assert!(caught.is_err());
    /// assert_eq!(g.status(), corio::Status::Complete);
    /// ```
    #[inline]
    pub fn resume(&mut self, input: I) -> GeneratorState<Y, R> {
        if self.coroutine.done() {
            resume_after_completion();
        }
        // The generator itself keeps the chain of executing stacks: it
        // pushes itself once it runs and pops itself before switching back
        // (`yield_`, and the body's root in `build`), so nothing happens
        // here around the switch.
        match self.coroutine.resume(Sent::Value(input)) {
            CoroutineResult::Yield(value) => GeneratorState::Yielded(value),
            CoroutineResult::Return(value) => GeneratorState::Complete(value),
        }
    }

    /// Raises `payload` inside the generator, at its pending
    /// [`Yielder::yield_`], and runs the body on from there: Python's
    /// `g.throw(exc)` (PEP 342). The unwinding starts with
    /// [`std::panic::resume_unwind`] on the generator's stack, so the panic
    /// hook does not run and nothing is printed.
    ///
    /// - The body may catch it (`std::panic::catch_unwind`) and go on: if it
    ///   then yields, `throw` returns [`GeneratorState::Yielded`]; if it
    ///   returns, [`GeneratorState::Complete`].
    /// - If the payload (or any panic raised while handling it) leaves the
    ///   body, it comes out of `throw` unchanged, as a panic comes out of
    ///   [`Generator::resume`], and the generator is complete. Destructors
    ///   on the generator's stack run on the way, as for any panic, and may
    ///   park the task as usual.
    /// - A generator that never started is not run at all: its body is
    ///   dropped unrun, the generator is complete, and `payload` is raised
    ///   at once in the caller (Python raises in the caller too).
    /// - While the body delegates with [`Yielder::yield_from`], the payload
    ///   goes to the innermost delegate first; whatever that delegate does
    ///   with it (yield, return, or let it escape) continues in the
    ///   delegator, as PEP 380 says.
    ///
    /// Any payload may be thrown, [`crate::Cancelled`] included (asyncio
    /// cancels a task by throwing `CancelledError` into its coroutine). A
    /// `Cancelled` can only come from catching one, and it keeps the stacks
    /// it was first raised on marked as cancel-unwinding for as long as it
    /// lives, wherever it is thrown: throwing moves it, it neither starts
    /// nor ends a cancellation. A body that swallows one does not stop
    /// its task's cancellation either: the task's next park raises it again.
    ///
    /// A body that catches the payload (or any panic) and then yields
    /// works as long as no other stack of the thread is unwinding. While
    /// one is (a throw from a destructor, or another task of the runtime
    /// parked in the middle of unwinding), `std::thread::panicking()` is
    /// true everywhere, since std counts panics per thread, and corio
    /// cannot tell a yield after the catch from a yield in the middle of
    /// the unwinding, which could never be finished or closed. So that
    /// yield is refused with a panic that says why: it comes out of
    /// `throw` (or the `resume` that led to it) like any panic of the body,
    /// and if the yield really was in a destructor of the unwinding, the
    /// panic cannot leave that destructor and Rust aborts the process
    /// after printing it (see [`Generator::close`] on yields during
    /// unwinding). Returning, or letting the payload escape, is always
    /// fine; a destructor that throws must catch what comes out of
    /// `throw`, as it must catch any panic.
    ///
    /// # Panics
    ///
    /// - With `payload` (or whatever the body raised instead) when it
    ///   leaves the body, or at once if the generator had not started.
    /// - If the generator is already complete, as `resume` does.
    /// - If the body yields while the thread may still be unwinding on its
    ///   stack (above).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::panic::{self, AssertUnwindSafe};
    /// use corio::{Generator, GeneratorState, Status};
    ///
    /// /// What the caller throws in: "start again from zero".
    /// struct Reset;
    ///
    /// let mut counter = Generator::<(), u32, ()>::new(|y, ()| {
    ///     let mut n = 0;
    ///     loop {
    ///         n += 1;
    ///         // Python: `try: yield n` / `except Reset: n = 0`.
    ///         let step = panic::catch_unwind(AssertUnwindSafe(|| y.yield_(n)));
    ///         match step {
    ///             Ok(()) => {}
    ///             Err(payload) if payload.is::<Reset>() => n = 0,
    ///             Err(other) => panic::resume_unwind(other),
    ///         }
    ///     }
    /// });
    /// assert_eq!(counter.resume(()), GeneratorState::Yielded(1));
    /// assert_eq!(counter.resume(()), GeneratorState::Yielded(2));
    /// assert_eq!(counter.throw(Box::new(Reset)), GeneratorState::Yielded(1));
    ///
    /// // A payload the body does not catch comes back out, and the
    /// // generator is finished.
    /// let escaped = panic::catch_unwind(AssertUnwindSafe(|| counter.throw(Box::new("stop"))));
    /// assert_eq!(*escaped.unwrap_err().downcast::<&str>().unwrap(), "stop");
    /// assert_eq!(counter.status(), Status::Complete);
    /// ```
    pub fn throw(&mut self, payload: Box<dyn Any + Send>) -> GeneratorState<Y, R> {
        if self.coroutine.done() {
            resume_after_completion();
        }
        if !self.coroutine.started() {
            // Python raises a throw into an unstarted generator in the
            // caller, and the generator is closed without running.
            self.close();
            raise_in_caller(payload);
        }
        // The body raises it in `yield_` (`Thrown`); an escape comes back
        // through corosensei as a panic of the body does.
        match self.coroutine.resume(Sent::Thrown(payload)) {
            CoroutineResult::Yield(value) => GeneratorState::Yielded(value),
            CoroutineResult::Return(value) => GeneratorState::Complete(value),
        }
    }

    /// Where the generator is in its life; see [`Status`].
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::{Generator, Status};
    ///
    /// let mut g = Generator::<(), (), ()>::new(|y, ()| y.yield_(()));
    /// assert_eq!(g.status(), Status::Created);
    /// g.resume(());
    /// assert_eq!(g.status(), Status::Suspended);
    /// g.resume(());
    /// assert_eq!(g.status(), Status::Complete);
    /// ```
    pub fn status(&self) -> Status {
        if self.coroutine.done() {
            Status::Complete
        } else if self.coroutine.started() {
            Status::Suspended
        } else {
            Status::Created
        }
    }

    /// Finishes the generator now. A suspended body is unwound from its
    /// pending `yield_`: every value alive on its stack is dropped, as
    /// Python's `close()` raises `GeneratorExit` to run `finally` blocks. A
    /// body that never started does not run at all (only what the closure
    /// captured is dropped). Closing a complete generator does nothing.
    /// Dropping a generator closes it.
    ///
    /// # Panics
    ///
    /// If the body yields while being unwound (it caught the unwind with
    /// `catch_unwind`, or a destructor on its stack yields), which is a bug
    /// in the body like Python's "generator ignored GeneratorExit". A yield
    /// from a destructor panics while unwinding, which aborts the process
    /// after printing the same message.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    ///
    /// struct Finally(Rc<Cell<bool>>);
    /// impl Drop for Finally { fn drop(&mut self) { self.0.set(true); } }
    ///
    /// let ran = Rc::new(Cell::new(false));
    /// let flag = ran.clone();
    /// let mut g = corio::Generator::<(), u32, ()>::new(move |y, ()| {
    ///     let _finally = Finally(flag);
    ///     loop { y.yield_(1); }
    /// });
    /// g.resume(());
    /// g.close();
    /// assert!(ran.get());
    /// assert_eq!(g.status(), corio::Status::Complete);
    /// ```
    pub fn close(&mut self) {
        if self.coroutine.done() {
            return;
        }
        // SAFETY: `header` points into the slot owned by `coroutine`, which
        // is alive; `Cell` needs only a shared reference.
        let header = unsafe { self.header.as_ref() };
        if !self.coroutine.started() {
            // Never ran: the body is only dropped, and it is dropped here,
            // on our stack (corosensei would drop it on the generator's).
            self.coroutine.force_unwind();
            crate::unstarted::drop_handed_over();
            return;
        }
        header.closing.set(true);
        header.context.mark_may_unwind();
        // The body's destructors run on its stack now, as its pending
        // `yield_` unwinds: it is the active stack until its root pops it.
        context::enter(&header.context);
        self.coroutine.force_unwind();
        context::leave(&header.context);
    }
}

impl<I, Y, R> Drop for Generator<I, Y, R> {
    fn drop(&mut self) {
        self.close();
        // SAFETY: the body has finished (`close` returned), so nothing on
        // the generator's stack refers to the header any more, and the slot
        // holding it is still ours: the `coroutine` field, which owns the
        // stack, is dropped only after this. The header is written once, at
        // creation, and dropped once, here.
        unsafe { std::ptr::drop_in_place(self.header.as_ptr()) };
    }
}

#[cold]
#[inline(never)]
fn resume_after_completion() -> ! {
    panic!(
        "corio: cannot resume a generator that has completed (it returned, panicked or \
         was closed); check `status()` first. Lua says \"cannot resume dead coroutine\"."
    )
}

impl<I, Y, R> fmt::Debug for Generator<I, Y, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generator")
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

/// A generator that takes nothing in and returns nothing is an iterator over
/// what it yields, like a Python generator in a `for` loop or Lua's
/// `coroutine.wrap`.
///
/// ```
/// let squares = corio::Generator::new(|y, ()| for i in 1..=4 { y.yield_(i * i) });
/// assert_eq!(squares.collect::<Vec<u32>>(), [1, 4, 9, 16]);
/// ```
impl<Y> Iterator for Generator<(), Y, ()> {
    type Item = Y;

    fn next(&mut self) -> Option<Y> {
        if self.coroutine.done() {
            return None;
        }
        match self.resume(()) {
            GeneratorState::Yielded(value) => Some(value),
            GeneratorState::Complete(()) => None,
        }
    }
}

impl<Y> FusedIterator for Generator<(), Y, ()> {}

/// Makes an iterator from a generator body that only yields, like a Python
/// generator function used in a `for` loop. (`gen` is a reserved word in
/// Rust 2024: call it as `corio::r#gen`.)
///
/// # Panics
///
/// As [`Generator::new`].
///
/// # Examples
///
/// ```
/// fn fibonacci() -> impl Iterator<Item = u64> {
///     corio::r#gen(|y| {
///         let (mut a, mut b) = (0, 1);
///         loop {
///             y.yield_(a);
///             (a, b) = (b, a + b);
///         }
///     })
/// }
/// assert_eq!(fibonacci().take(8).collect::<Vec<_>>(), [0, 1, 1, 2, 3, 5, 8, 13]);
/// ```
pub fn r#gen<Y: 'static, F>(body: F) -> Generator<(), Y, ()>
where
    F: FnOnce(&Yielder<(), Y>) + 'static,
{
    Generator::new(move |yielder, ()| body(yielder))
}

/// corosensei's yielder of a generator with input `I` and yield `Y`.
type RawYielder<I, Y> = corosensei::Yielder<Sent<I>, Y>;

/// Unwinds from here, the pending `yield_` of the generator whose context
/// is `own`, with a payload handed in by [`Generator::throw`], without
/// running the panic hook. Only the generator's own stack is marked as
/// possibly unwinding: the body may catch the payload, and a mark left on
/// its resumer's stacks would be stale for as long as the thread unwinds
/// anywhere (holding back a cancellation of the task). If the payload
/// escapes the body, [`LeaveOnExit`] marks the resumer's stacks then.
#[cold]
#[inline(never)]
fn raise(own: &StackContext, payload: Box<dyn Any + Send>) -> ! {
    own.mark_may_unwind();
    if !context::in_task_chain() {
        context::note_panic(); // outside tasks, where the panic starts
    }
    std::panic::resume_unwind(payload)
}

/// Raises a payload thrown into a generator that never started in the
/// caller, as a panic starting there would (see [`context::note_panic`]).
#[cold]
#[inline(never)]
fn raise_in_caller(payload: Box<dyn Any + Send>) -> ! {
    context::note_panic();
    std::panic::resume_unwind(payload)
}

/// The [`ParentSwitch`] of a generator with input `I` and yield `Y`: runs
/// `f` on the stack of whoever resumed the generator.
///
/// # Safety
///
/// `yielder` must be the erased `RawYielder<I, Y>` of the coroutine whose
/// stack the caller is running on.
unsafe fn run_on_parent<I, Y>(yielder: NonNull<()>, f: fn()) {
    // SAFETY: guaranteed by the caller: the yielder is live and ours.
    let raw = unsafe { yielder.cast::<RawYielder<I, Y>>().as_ref() };
    raw.on_parent_stack(f);
}

/// The handle a generator body uses to suspend itself.
///
/// A body receives `&Yielder` and may pass it down to ordinary functions,
/// which can yield from any depth: the stack they run on is the generator's.
///
/// # Examples
///
/// ```
/// use corio::{Generator, Yielder};
///
/// // A plain recursive function, no `async`, no iterator plumbing.
/// fn walk(y: &Yielder<(), u32>, depth: u32) {
///     if depth == 0 { return; }
///     walk(y, depth - 1);
///     y.yield_(depth);
/// }
/// let g = Generator::new(|y, ()| walk(y, 3));
/// assert_eq!(g.collect::<Vec<_>>(), [1, 2, 3]);
/// ```
pub struct Yielder<I, Y> {
    /// corosensei's yielder for this coroutine; it lives at the base of the
    /// coroutine's stack, so it outlives every `&Yielder` the body can hold.
    raw: NonNull<RawYielder<I, Y>>,
    /// The header of the same generator's slot.
    header: NonNull<GeneratorHeader>,
    /// Only code on this generator's stack may use it.
    _not_send: PhantomData<Rc<()>>,
}

impl<I, Y> Yielder<I, Y> {
    /// Suspends the generator, handing `value` to the caller of
    /// [`Generator::resume`], and returns the input of the next resume.
    ///
    /// # Panics
    ///
    /// - If called anywhere but on this generator's own stack while it
    ///   runs: from a task that [`crate::join`], [`crate::gather`] or
    ///   [`crate::scope`] started inside the body, say. Those run on stacks
    ///   of their own, and a yield there would suspend the wrong stack.
    ///   Hand their results back to the body and yield them from there.
    /// - If the generator is being closed (see [`Generator::close`]).
    /// - If its stack may still be unwinding: a panic or throw started on
    ///   it and `std::thread::panicking()` is still true (see
    ///   [`Generator::throw`]). Inside a destructor run by that unwinding
    ///   the panic cannot leave the destructor, and the process aborts.
    /// - With the payload of a [`Generator::throw`] that resumed it: the
    ///   body sees the throw as a panic starting at this call.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut echo = corio::Generator::new(|y, mut input: u32| loop {
    ///     input = y.yield_(input * 2);
    /// });
    /// assert_eq!(echo.resume(1), corio::GeneratorState::Yielded(2));
    /// assert_eq!(echo.resume(21), corio::GeneratorState::Yielded(42));
    /// ```
    #[inline]
    pub fn yield_(&self, value: Y) -> I {
        match self.suspend(value) {
            Sent::Value(input) => input,
            Sent::Thrown(payload) => {
                // SAFETY: the header is in the slot this body runs on,
                // live while the body (and so `self`) exists.
                raise(&unsafe { self.header.as_ref() }.context, payload)
            }
        }
    }

    /// Suspends the generator with `value` and returns what the next switch
    /// into it sent: [`Yielder::yield_`] without raising a thrown payload,
    /// so that [`Yielder::yield_from`] can pass it on to its delegate.
    #[inline]
    fn suspend(&self, value: Y) -> Sent<I> {
        // SAFETY: the header is in the slot this body runs on, live while
        // the body (and so `self`) exists.
        let header = unsafe { self.header.as_ref() };
        // The resumer is active again once we switch (`ready_to_yield`
        // makes it so); once resumed, we are. (`close` makes us active
        // itself before it unwinds us from here.)
        if !context::ready_to_yield(&header.context) {
            yield_slow_path(header);
            context::leave(&header.context);
        }
        // SAFETY: `raw` was made from the reference corosensei passed to the
        // body; it lives on this stack for as long as the body runs, and the
        // check above proved we execute on that stack, so `suspend` switches
        // away from the right one.
        let sent = unsafe { self.raw.as_ref() }.suspend(value);
        context::enter(&header.context);
        sent
    }

    /// Runs `inner` to completion as part of this generator, Python's
    /// `yield from` (PEP 380): each value `inner` yields is yielded from
    /// here, each input this generator receives is passed to `inner`, and
    /// `inner`'s return value is returned. `inner` is first resumed with
    /// `I::default()`, as Python starts a sub-generator with `None`.
    ///
    /// A payload thrown into this generator while it delegates
    /// ([`Generator::throw`]) is thrown into `inner` at its pending yield;
    /// if `inner` then yields, so does this generator; if it returns, this
    /// returns its value; if the payload escapes `inner`, it unwinds on
    /// from here. Closing the outer generator while it is delegating drops
    /// `inner`, which closes it in turn.
    ///
    /// # Panics
    ///
    /// If `inner` panics or lets a thrown payload escape (the unwinding
    /// passes through), or if `inner` was already complete.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::{Generator, GeneratorState};
    ///
    /// let mut outer = Generator::new(|y, ()| {
    ///     let inner = Generator::new(|y, ()| { y.yield_(1); y.yield_(2); "inner done" });
    ///     let said = y.yield_from(inner);
    ///     y.yield_(3);
    ///     said
    /// });
    /// assert_eq!(outer.resume(()), GeneratorState::Yielded(1));
    /// assert_eq!(outer.resume(()), GeneratorState::Yielded(2));
    /// assert_eq!(outer.resume(()), GeneratorState::Yielded(3));
    /// assert_eq!(outer.resume(()), GeneratorState::Complete("inner done"));
    /// ```
    pub fn yield_from<R2>(&self, inner: Generator<I, Y, R2>) -> R2
    where
        I: Default,
    {
        #[cfg(feature = "test-faults")]
        let mut inner = crate::model_faults::Delegate::new(inner);
        #[cfg(not(feature = "test-faults"))]
        let mut inner = inner;
        let mut state = inner.resume(I::default());
        loop {
            match state {
                GeneratorState::Yielded(value) => {
                    state = match self.suspend(value) {
                        Sent::Value(input) => inner.resume(input),
                        Sent::Thrown(payload) => inner.throw(payload),
                    }
                }
                GeneratorState::Complete(value) => return value,
            }
        }
    }
}

#[cold]
#[inline(never)]
fn yield_from_another_stack() -> ! {
    panic!(
        "corio: Yielder::yield_ called off its generator's stack; a task started inside the \
         generator (by corio::join, gather, race, select or scope) runs on a stack of its \
         own and cannot yield for the generator: return the value from the task and yield \
         it from the generator body"
    )
}

/// The checks `ready_to_yield` could not settle at a glance: a yield off
/// its generator's stack, a yield while closing, a yield from a destructor
/// during unwinding (each a panic with its message), or a
/// stale mark, after which the yield goes on.
#[cold]
#[inline(never)]
fn yield_slow_path(header: &GeneratorHeader) {
    if !context::may_yield(&header.context) {
        yield_from_another_stack();
    }
    if header.closing.get() {
        yield_while_closing();
    }
    refuse_if_unwinding(header);
}

/// A stack cannot be suspended in the middle of unwinding: the panic
/// state is per thread, so the resumer would see `thread::panicking()`
/// for good, and the paused unwinding could never be finished or dropped
/// (closing it would raise inside a destructor, which aborts).
///
/// corio knows only that a panic (or a throw) started on this stack and
/// that the thread still unwinds somewhere; a catch in the body is
/// invisible to it. So while another stack of the thread is paused
/// mid-unwind (a task parked in a destructor), a yield after a caught
/// panic cannot be told from a yield inside a destructor of that panic.
/// Both are refused with a panic: after a catch it is an ordinary panic
/// out of the body; inside a destructor run by the unwinding it cannot
/// leave the destructor, so Rust aborts the process after the message.
fn refuse_if_unwinding(header: &GeneratorHeader) {
    let unwinding = header.context.unwinding() != context::Unwinding::No
        || (!context::in_task_chain()
            && context::panicked_within(
                header.stack_limit,
                header as *const GeneratorHeader as usize,
            ));
    if unwinding {
        yield_while_unwinding();
    }
}

#[cold]
#[inline(never)]
fn yield_while_unwinding() -> ! {
    panic!(
        "corio: a generator yielded while std::thread::panicking() is true and its stack may \
         still be unwinding a panic or throw that started on it. A yield from a destructor \
         run by that unwinding cannot suspend the stack (and this panic then aborts the \
         process); a yield after the body caught the panic is refused too while any other \
         stack of the thread is paused mid-unwind, because std counts panics per thread and \
         corio cannot tell the two apart. Yield once no stack of the thread unwinds, or \
         return instead"
    )
}

#[cold]
#[inline(never)]
fn yield_while_closing() -> ! {
    panic!(
        "corio: a generator yielded while being closed; a body that is closed or dropped \
         must finish unwinding without yielding again (Python: \"generator ignored \
         GeneratorExit\")"
    )
}

impl<I, Y> fmt::Debug for Yielder<I, Y> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Yielder").finish_non_exhaustive()
    }
}
