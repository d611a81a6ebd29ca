//! Which coroutine stack is executing on this thread.
//!
//! Every coroutine stack has a [`StackContext`]: a task's lives in its
//! task header, a generator's at the top of its stack slot. The stack
//! executing now has the *active* context; a generator resumed from it
//! pushes its own on top, so inside a task the contexts form a chain from
//! the innermost running generator down to the task's own stack:
//!
//! ```text
//!   ACTIVE --> generator h's context --parent--> generator g's context --parent--> the task's
//!              (h runs now)                      (g resumed h)                      context (it
//!                                                                                    resumed g)
//! ```
//!
//! The chain is kept while a task runs: the scheduler starts each task
//! with its own context as the whole chain (and restores the previous one
//! after), and a generator keeps itself in the chain: once resumed it makes itself
//! active with the resumer's context as its parent ([`enter`], at the
//! start of its body and as each `yield_` returns; `close` does it for
//! the unwinding it starts), and just before it switches back it makes its parent active
//! again ([`leave`], in `yield_`, and in a guard at the root of its body
//! when the body returns, panics or is unwound). Outside any task the chain is not kept
//! at all: [`ACTIVE`] holds the sentinel [`NO_TASK`] and a resume costs one
//! thread-local read more than corosensei's. Nothing needs the chain
//! there: no task can park, no `timeout` can be set, and no other stack
//! can hold a `Yielder` (tasks are the only coroutines whose bodies may
//! borrow, and they run only inside tasks' call trees).
//!
//! The chain answers, in O(1) and without looking at stack pointers:
//!
//! - *May this `Yielder` suspend?* Only if its generator's context is the
//!   active one: a `Yielder` captured by a task that `join` or `scope`
//!   runs on its own stack is refused there.
//! - *How does a task park from inside a generator?* Through each
//!   context's [`ParentSwitch`], one link at a time, so every generator
//!   stays suspended mid-call and resumes transparently.
//! - *Which `timeout`s may fire here?* Those set by frames of a context in
//!   the chain (see [`Deadline`]): a deadline set inside a generator never
//!   unwinds the code that resumed it.

use std::cell::{Cell, OnceCell};
use std::ptr::{self, NonNull};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

/// The per-stack state the chain links together.
///
/// # Invariant
///
/// A context lives at an address that does not move while its coroutine
/// exists (a task header in its never-moving allocation, or a generator's slot header),
/// and is linked into the chain only while its coroutine executes.
#[derive(Debug, Default)]
pub(crate) struct StackContext {
    /// The context that was active when this one was pushed; meaningful
    /// only while this one is in the chain.
    parent: Cell<*const StackContext>,
    /// How to run code on the stack that resumed this one; set when a
    /// generator body starts, `None` for task stacks.
    switch: Cell<Option<ParentSwitch>>,
    /// The innermost `timeout` that frames on this stack are inside.
    deadlines: Cell<Option<NonNull<Deadline>>>,
    /// How many payloads corio raised on this stack (a cancellation or an
    /// expired deadline) are alive: while any is, and the thread is
    /// unwinding, this stack is *cancel-unwinding*. Shared with the
    /// payloads, which may outlive the stack; made on the first raise.
    raised: OnceCell<Arc<AtomicU32>>,
    /// Set when this stack may be unwinding: a panic started on it (the
    /// panic hook), corio raised or re-raised a payload on it, a throw was
    /// raised on it, a panic left a generator it resumed, or it is being
    /// closed. Stops corio from raising into it, and is a generator's
    /// cheap test before yielding; stale once the thread is not unwinding
    /// at all, and cleared then at the task's next park or yield
    /// ([`clear_stale_marks`]; a raise it held back is retried once no
    /// stack unwinds, see `Scheduler::defer_interrupt`).
    may_unwind: Cell<bool>,
}

/// Whether a stack is unwinding, as far as corio knows; see
/// [`StackContext::unwinding`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unwinding {
    /// Not unwinding: corio may raise into it, and waits wait.
    No,
    /// Unwinding because corio raised a cancellation or a deadline on it,
    /// and that payload is alive: destructors are running, and waits
    /// that would not end on their own return at once.
    Cancelled,
    /// Perhaps unwinding a panic (or being closed): corio does not raise
    /// into it, but waits wait as in plain Rust.
    Maybe,
}

/// Keeps a stack marked cancel-unwinding while the payload holding it is
/// alive; see [`StackContext::raise_mark`]. Atomic only because unwinding
/// payloads must be `Send` (a panic can be carried to another thread).
#[derive(Debug)]
pub(crate) struct RaisedMark(Arc<AtomicU32>);

impl Drop for RaisedMark {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A type-erased `corosensei::Yielder::on_parent_stack` of one generator.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ParentSwitch {
    /// The generator's corosensei yielder, erased.
    pub(crate) yielder: NonNull<()>,
    /// Runs the given function on the parent stack through `yielder`.
    ///
    /// # Safety
    ///
    /// Callable only from the generator's own stack while it runs.
    pub(crate) call: unsafe fn(NonNull<()>, fn()),
}

/// [`ACTIVE`] outside any task: the chain is not kept there. Never the
/// address of a context (those are aligned and far from address 1).
const NO_TASK: *const StackContext = ptr::without_provenance(1);

/// [`ACTIVE`] outside any task after a panic started there (see
/// [`PANIC_SITES`]): a generator's yield takes its slow path, which
/// checks whether its own stack is the one unwinding. Back to [`NO_TASK`]
/// once the thread is seen not unwinding.
const NO_TASK_PANICKED: *const StackContext = ptr::without_provenance(2);

/// True for [`NO_TASK`] and [`NO_TASK_PANICKED`].
#[inline]
fn outside_tasks(active: *const StackContext) -> bool {
    (active as usize).wrapping_sub(1) < 2
}

thread_local! {
    /// The innermost context executing on this thread inside a task (the
    /// task's own stack's, or a generator's the task runs); [`NO_TASK`]
    /// (or [`NO_TASK_PANICKED`]) outside any task.
    static ACTIVE: Cell<*const StackContext> = const { Cell::new(NO_TASK) };
}

/// A generator's checks before it yields, in one read of [`ACTIVE`] and
/// one byte of its context; on success it also leaves (see [`leave`]).
/// False sends the generator down its slow path: it runs off its stack,
/// or it may be unwinding or closing.
#[inline]
pub(crate) fn ready_to_yield(context: &StackContext) -> bool {
    let active = ACTIVE.get();
    if context.may_unwind.get() {
        return false;
    }
    if ptr::eq(active, context) {
        ACTIVE.set(context.parent.get());
        true
    } else {
        active == NO_TASK
    }
}

/// True if a yield of `context`'s generator may suspend it: inside a task,
/// when it is the active context; outside any task always (no other
/// stack can hold its `Yielder` there, see the module docs).
pub(crate) fn may_yield(context: &StackContext) -> bool {
    let active = ACTIVE.get();
    ptr::eq(active, context) || outside_tasks(active)
}

/// Inside a task, makes `context` active, with the active one as its
/// parent; outside any task it does nothing. Undone by [`leave`]. Called
/// by a generator on its own stack as it starts or is resumed, when the
/// active context is still its resumer's.
#[inline]
pub(crate) fn enter(context: &StackContext) {
    let parent = ACTIVE.get();
    if !outside_tasks(parent) {
        context.parent.set(parent);
        ACTIVE.set(context);
    }
}

/// Undoes [`enter`] if `context` is still the active one: when its
/// generator yields, returns, panics or has been closed. Doing nothing
/// otherwise makes it safe to call from every one of those paths.
///
/// The generator calls this on its own stack before switching back, and
/// [`enter`] after: the resumer does no work around the switch and keeps
/// nothing alive across it, so a resume stays within a few instructions
/// of corosensei's.
#[inline]
pub(crate) fn leave(context: &StackContext) {
    if ptr::eq(ACTIVE.get(), context) {
        ACTIVE.set(context.parent.get());
    }
}

/// Starts the chain of a task about to run: its own stack, `root`, is
/// the only (and bottom) context, until the guard drops and the chain of
/// whoever ran the task is back. The bottom of a chain is the context
/// without a parent switch: task stacks have none.
#[inline]
pub(crate) fn enter_task(root: &StackContext) -> EnteredTask<'_> {
    root.parent.set(ACTIVE.replace(root));
    EnteredTask(root)
}

/// Restores the chain of whoever ran the task when dropped.
#[must_use]
pub(crate) struct EnteredTask<'a>(&'a StackContext);

impl Drop for EnteredTask<'_> {
    #[inline]
    fn drop(&mut self) {
        ACTIVE.set(self.0.parent.get());
    }
}

impl StackContext {
    /// True for the bottom of a chain: a task's own stack.
    fn is_task_stack(&self) -> bool {
        self.switch.get().is_none()
    }

    /// Records how to reach the parent stack; called by a generator body
    /// as it starts.
    pub(crate) fn set_switch(&self, switch: ParentSwitch) {
        self.switch.set(Some(switch));
    }

    /// A mark for a payload corio is about to raise on this stack: the
    /// stack counts as cancel-unwinding until the payload is dropped (and
    /// as possibly unwinding until the thread is seen not unwinding).
    pub(crate) fn raise_mark(&self) -> RaisedMark {
        self.may_unwind.set(true);
        let count = self.raised.get_or_init(Arc::default);
        count.fetch_add(1, Ordering::Relaxed);
        RaisedMark(Arc::clone(count))
    }

    /// Whether this stack carries a "may unwind" mark (see the field).
    pub(crate) fn marked_may_unwind(&self) -> bool {
        self.may_unwind.get()
    }

    /// Takes back a mark set since a moment this stack had none, by a
    /// catch point that has just caught the only panic that can have
    /// unwound on it since (see `corio::timeout`).
    pub(crate) fn clear_mark_after_catch(&self) {
        self.may_unwind.set(false);
    }

    /// Notes that this stack may be unwinding (see the field).
    pub(crate) fn mark_may_unwind(&self) {
        self.may_unwind.set(true);
    }

    /// Whether this stack is unwinding. `std::thread::panicking()` is per
    /// thread, so it is only the precondition: false means no stack of
    /// the thread unwinds (and every mark is stale); true means one does,
    /// and the marks say whether it is this one.
    pub(crate) fn unwinding(&self) -> Unwinding {
        if !std::thread::panicking() {
            self.may_unwind.set(false);
            return Unwinding::No;
        }
        if self
            .raised
            .get()
            .is_some_and(|count| count.load(Ordering::Relaxed) > 0)
        {
            Unwinding::Cancelled
        } else if self.may_unwind.get() {
            Unwinding::Maybe
        } else {
            Unwinding::No
        }
    }
}

/// Runs `f` on the bottom stack of the chain (the task's own stack), with
/// each generator in between left suspended mid-call, then returns on the
/// stack that called this. With no active generator, `f` runs right here.
///
/// `f` is a plain `fn` because corosensei's `on_parent_stack` needs a
/// `Send` closure; whatever it needs it reads from thread-locals.
pub(crate) fn on_bottom_stack(f: fn()) {
    // SAFETY: inside a task the active context is in the chain, and a
    // context is in the chain only while its coroutine executes (the type's
    // invariant), so it is live.
    let top = unsafe { &*ACTIVE.get() };
    let Some(switch) = top.switch.get() else {
        f(); // the bottom: the task's own stack
        return;
    };
    BOTTOM_FN.set(Some(f));
    // SAFETY: `top` is the active context, so we are on its generator's
    // stack, which is what `call` requires.
    unsafe { (switch.call)(switch.yielder, step_down) };
}

thread_local! {
    /// The function [`on_bottom_stack`] is carrying down the chain.
    static BOTTOM_FN: Cell<Option<fn()>> = const { Cell::new(None) };
}

/// One link of [`on_bottom_stack`]: now on the parent stack of the context
/// that was active, make its parent active and go on from there.
fn step_down() {
    let top = ACTIVE.get();
    // SAFETY: `on_bottom_stack` called us for an active generator context,
    // which is live while it is in the chain.
    let parent = unsafe { (*top).parent.get() };
    ACTIVE.set(parent);
    let f = BOTTOM_FN.take().expect("on_bottom_stack set the function");
    on_bottom_stack(f);
    ACTIVE.set(top);
}

thread_local! {
    /// Where recent panics started (an address on the panicking stack),
    /// for generators outside tasks, whose contexts the chain does not
    /// track. Emptied whenever the thread is seen not unwinding.
    static PANIC_SITES: std::cell::RefCell<Vec<usize>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Chains corio's panic hook in front of the one installed now, once per
/// process. The hook marks the stack the panic starts on as possibly
/// unwinding (so corio never raises into it, and a generator never yields
/// in the middle of it), names the task it happened in on stderr (`task
/// 7 'conn' spawned at src/main.rs:40 panicked at src/main.rs:52:9`: the
/// previous hook's "thread 'main' panicked" names only the thread), then
/// calls the previous hook, which prints as usual. It adds a line rather
/// than replace the message so that a hook the program installed before
/// keeps working unchanged.
///
/// std refuses to change hooks on a panicking thread, so a first `run`
/// or generator made inside a destructor during a panic leaves it for the
/// next one; until then, panics on such stacks go unmarked.
#[inline]
pub(crate) fn install_panic_hook() {
    if !PANIC_HOOK.is_completed() {
        install_panic_hook_now();
    }
}

/// Installs the hook, once; see [`install_panic_hook`].
static PANIC_HOOK: std::sync::Once = std::sync::Once::new();

#[cold]
#[inline(never)]
fn install_panic_hook_now() {
    if std::thread::panicking() {
        return;
    }
    PANIC_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            note_panic();
            crate::runtime::name_panicking_task(info);
            previous(info);
        }));
    });
}

/// Marks the stack executing now as possibly unwinding: inside a task the
/// active context (a generator's or the task's own); outside tasks, where
/// the chain is not kept, the panic's address is remembered instead.
/// Called by the panic hook, and by `Generator::throw` for the payloads it
/// raises with `resume_unwind` (which does not run the hook).
pub(crate) fn note_panic() {
    let active = ACTIVE.get();
    if outside_tasks(active) {
        let here = 0u8;
        let site = std::hint::black_box(&here) as *const u8 as usize;
        PANIC_SITES.with_borrow_mut(|sites| sites.push(site));
        ACTIVE.set(NO_TASK_PANICKED);
        return;
    }
    // Inside a task: the active context (a generator's or the task's own)
    // and every one below it, since the panic leaves through them all
    // unless it is caught.
    mark_chain();
}

/// True if a panic that may still be unwinding started inside
/// `low..high` (a generator's stack slot); outside tasks only.
pub(crate) fn panicked_within(low: usize, high: usize) -> bool {
    PANIC_SITES.with_borrow_mut(|sites| {
        if !std::thread::panicking() {
            sites.clear();
            if ACTIVE.get() == NO_TASK_PANICKED {
                ACTIVE.set(NO_TASK);
            }
            return false;
        }
        sites.iter().any(|&site| (low..high).contains(&site))
    })
}

/// True when the chain is kept (inside a task), so that the active
/// context is exact.
pub(crate) fn in_task_chain() -> bool {
    !outside_tasks(ACTIVE.get())
}

/// One `timeout` in force on a stack: a node of that stack's intrusive
/// list of deadlines, innermost first, living in the `timeout` call's frame.
#[derive(Debug)]
pub(crate) struct Deadline {
    /// Identifies the `timeout` call, carried by the unwinding payload.
    pub(crate) id: u64,
    /// Set when the deadline passes; the stack then unwinds to its
    /// `timeout` at its next park point.
    pub(crate) expired: Cell<bool>,
    /// The next outer deadline on the same stack.
    outer: Option<NonNull<Deadline>>,
}

impl Deadline {
    /// A deadline not yet linked anywhere.
    pub(crate) fn new(id: u64) -> Self {
        Deadline {
            id,
            expired: Cell::new(false),
            outer: None,
        }
    }
}

/// The payload that carries an expired deadline from a park point up to
/// its `timeout` call, which turns it into `Err(Elapsed)`.
#[derive(Debug)]
pub(crate) struct DeadlineExpired {
    /// The `timeout` call it is for.
    pub(crate) id: u64,
    /// Keeps the stacks it unwinds marked cancel-unwinding.
    pub(crate) _marks: RaisedMarks,
}

/// The contexts of the chain from the active one down to the bottom (the
/// task's own stack, or the loop's), innermost first; empty outside tasks.
fn chain() -> impl Iterator<Item = &'static StackContext> {
    let mut next = ACTIVE.get();
    std::iter::from_fn(move || {
        if outside_tasks(next) {
            return None;
        }
        // SAFETY: contexts in the chain are live while in it (the type's
        // invariant); the references do not outlive the caller's use,
        // which runs on one of these stacks.
        let context = unsafe { &*next };
        next = if context.is_task_stack() {
            NO_TASK
        } else {
            context.parent.get()
        };
        Some(context)
    })
}

/// How many bytes of stack are left below the caller on the stack
/// executing now, inside a task: the task's own (whose slot starts at
/// `task_slot_low`) or the active generator's.
#[inline(never)]
pub(crate) fn stack_room(task_slot_low: usize) -> usize {
    let here = 0u8;
    let here = std::hint::black_box(&here) as *const u8 as usize;
    let top = ACTIVE.get();
    let slot_low = if outside_tasks(top) {
        task_slot_low
    } else {
        // SAFETY: inside a task the active context is live (the type's
        // invariant).
        let top = unsafe { &*top };
        if top.is_task_stack() {
            task_slot_low
        } else {
            // SAFETY: a context with a parent switch is a generator's.
            unsafe { crate::generator::slot_low_of(top) }
        }
    };
    here.saturating_sub(slot_low + crate::stack::guard_size())
}

/// How many generators are active above the task's own stack (0 on the
/// task's stack itself, and outside tasks).
pub(crate) fn generator_depth() -> usize {
    chain().filter(|context| !context.is_task_stack()).count()
}

/// Whether the stack executing now is unwinding, as far as corio knows:
/// the strongest state of the chain down to the task's own stack, since a
/// generator resumed by a destructor runs inside that unwinding too.
/// Outside tasks, `fallback`'s state.
pub(crate) fn unwinding_here(fallback: &StackContext) -> Unwinding {
    if !std::thread::panicking() || !in_task_chain() {
        return fallback.unwinding(); // also clears stale marks; cheap
    }
    let mut state = Unwinding::No;
    for context in chain() {
        match context.unwinding() {
            Unwinding::Cancelled => return Unwinding::Cancelled,
            Unwinding::Maybe => state = Unwinding::Maybe,
            Unwinding::No => {}
        }
    }
    state
}

/// Clears every "may unwind" mark of the chain, at a park or yield, when
/// no stack of the thread is unwinding: each of them is stale then (the
/// panic it noted was caught, or has ended), since a stack paused
/// mid-unwind keeps the thread's panic count above zero. Left in place, a
/// stale mark reads as live as soon as some *other* stack is paused
/// mid-unwind, and a cancellation or deadline of this task would be held
/// back, or its generator's next yield refused, for a panic caught long
/// before. Marks set while the thread panics are left alone: then a mark
/// may be live, and only the thread's panic count ending says otherwise.
///
/// `own_stack` says the task parks from its own stack, `fallback`, with
/// no generator active ([`is_active`] of it, which the caller has read).
#[inline]
pub(crate) fn clear_stale_marks(fallback: &StackContext, own_stack: bool) {
    // The common case, on every park and yield: the task parks from its
    // own stack, which carries no mark.
    if own_stack && !fallback.may_unwind.get() {
        return;
    }
    clear_stale_marks_of_chain(fallback);
}

/// True if `context` is the active one: for a task's own context, the
/// task runs on its own stack with no generator active.
#[inline]
pub(crate) fn is_active(context: &StackContext) -> bool {
    ptr::eq(ACTIVE.get(), context)
}

/// [`clear_stale_marks`] once a generator is active or a mark is set.
#[cold]
#[inline(never)]
fn clear_stale_marks_of_chain(fallback: &StackContext) {
    if std::thread::panicking() {
        return;
    }
    if in_task_chain() {
        chain().for_each(|context| context.may_unwind.set(false));
    } else {
        fallback.may_unwind.set(false);
    }
}

/// Marks every stack of the chain as possibly unwinding (a panic, or a
/// payload corio passes on, leaves through all of them unless caught).
pub(crate) fn mark_chain_may_unwind(fallback: &StackContext) {
    if in_task_chain() {
        mark_chain();
    } else {
        fallback.mark_may_unwind();
    }
}

/// Marks the resumers of `context`'s generator (the stacks below it in
/// the chain, down to the task's own) as possibly unwinding: a panic is
/// leaving that generator's body into them. Outside tasks there is no
/// chain to mark. Should `context` not be the active one, which the
/// generator's root guard makes it, the whole chain is marked (when
/// unsure, corio does not raise).
pub(crate) fn mark_resumers_may_unwind(context: &StackContext) {
    if ptr::eq(ACTIVE.get(), context) {
        chain().skip(1).for_each(StackContext::mark_may_unwind);
    } else if in_task_chain() {
        mark_chain();
    }
}

/// Marks every stack of the chain (inside a task) as possibly unwinding.
fn mark_chain() {
    for context in chain() {
        context.mark_may_unwind();
    }
}

/// Marks for a payload corio is about to raise: on every stack of the
/// chain, since the payload unwinds out of generators into their
/// resumers; see [`StackContext::raise_mark`].
pub(crate) fn raise_marks(fallback: &StackContext) -> RaisedMarks {
    if !in_task_chain() {
        return RaisedMarks {
            _marks: vec![fallback.raise_mark()],
        };
    }
    RaisedMarks {
        _marks: chain().map(StackContext::raise_mark).collect(),
    }
}

/// The marks a raised payload holds; see [`raise_marks`].
#[derive(Debug)]
pub(crate) struct RaisedMarks {
    _marks: Vec<RaisedMark>,
}

impl RaisedMarks {
    /// For a payload raised outside any task (`run` unwinding after
    /// `Handle::shutdown`): no stack to mark.
    pub(crate) fn none() -> Self {
        RaisedMarks { _marks: Vec::new() }
    }
}

/// The context frames run in now: the active one inside a task (the
/// task's own, `task_root`, or a generator's it is running); `task_root`
/// otherwise.
pub(crate) fn current_or(task_root: &StackContext) -> &StackContext {
    let top = ACTIVE.get();
    if outside_tasks(top) {
        task_root
    } else {
        // SAFETY: active contexts are live (the type's invariant), and the
        // caller runs on the active stack, which outlives the call.
        unsafe { &*top }
    }
}

/// Links `deadline` as the innermost of `context`'s list until the guard
/// drops. Deadlines nest like the `timeout` calls that own them, so the
/// list is a stack.
///
/// # Safety
///
/// `deadline` must stay at its address until the guard drops, and the
/// guard must drop before `context` goes away (both hold when the guard
/// and the deadline are locals of one frame running on `context`'s stack).
pub(crate) unsafe fn link_deadline(context: &StackContext, deadline: &mut Deadline) -> Linked {
    deadline.outer = context.deadlines.get();
    let node = NonNull::from(&*deadline);
    context.deadlines.set(Some(node));
    Linked {
        context: NonNull::from(context),
        node,
    }
}

/// Unlinks a deadline when dropped; see [`link_deadline`].
#[must_use]
pub(crate) struct Linked {
    context: NonNull<StackContext>,
    node: NonNull<Deadline>,
}

impl Drop for Linked {
    fn drop(&mut self) {
        // SAFETY: `link_deadline`'s contract keeps both alive until now.
        let (context, node) = unsafe { (self.context.as_ref(), self.node.as_ref()) };
        debug_assert_eq!(context.deadlines.get(), Some(self.node), "deadlines nest");
        context.deadlines.set(node.outer);
    }
}

/// The id of the outermost expired deadline among the contexts in the
/// chain down to and including `task_root`: where the current stack must
/// unwind to, if anywhere.
pub(crate) fn expired_deadline(task_root: &StackContext) -> Option<u64> {
    if !in_task_chain() {
        return outermost_expired(task_root);
    }
    // Innermost first, down to the task's own stack: the last hit is the
    // outermost.
    chain().filter_map(outermost_expired).last()
}

/// True when no `timeout` is in force on `task_root` and no generator is
/// active above it: the cheap test before [`expired_deadline`].
#[inline]
pub(crate) fn no_deadlines(task_root: &StackContext) -> bool {
    task_root.deadlines.get().is_none() && ptr::eq(ACTIVE.get(), task_root)
}

/// The outermost expired deadline of one stack.
fn outermost_expired(context: &StackContext) -> Option<u64> {
    let mut found = None;
    let mut node = context.deadlines.get();
    while let Some(n) = node {
        // SAFETY: linked deadlines are live (`link_deadline`'s contract).
        let n = unsafe { n.as_ref() };
        if n.expired.get() {
            found = Some(n.id);
        }
        node = n.outer;
    }
    found
}
