//! [`Child`]: a spawned process, its pipes, and waiting for its end.

use std::fmt;
use std::io;
use std::process::{ExitStatus, Output};

use super::exit::ExitWatch;
use super::pipe::{ChildStderr, ChildStdin, ChildStdout};
use super::{orphans, output};
use crate::runtime::current;

/// A child process, as spawned by [`Command::spawn`](super::Command::spawn):
/// std's `Child`, whose [`wait`](Child::wait) parks the task instead of
/// blocking the thread, and whose pipes park too.
///
/// The pipes of the streams set to `Stdio::piped()` are in the public
/// fields, as with std: take them out (`child.stdout.take()`) to hand them
/// to other tasks.
///
/// Dropping a `Child` does not stop its process (unless
/// [`Command::kill_on_drop`](super::Command::kill_on_drop) was set): it
/// runs on, as with std. Unlike std, corio reaps it once it has ended (at
/// the next spawn or drop of any `Child`), so it does not linger as a
/// zombie.
///
/// A `Child` is `Send`: it may be waited for on another thread's runtime
/// (the pidfd it waits on is registered per runtime, as a socket is).
///
/// # Examples
///
/// ```
/// use corio::process::Command;
///
/// let status = corio::run(|| -> std::io::Result<_> {
///     let mut child = Command::new("sh").args(["-c", "exit 3"]).spawn()?;
///     child.wait() // parks this task until `sh` exits
/// })?;
/// assert_eq!(status.code(), Some(3));
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Child {
    /// The writing end of the child's standard input, if it was set to
    /// `Stdio::piped()`.
    pub stdin: Option<ChildStdin>,
    /// The reading end of the child's standard output, if piped.
    pub stdout: Option<ChildStdout>,
    /// The reading end of the child's standard error, if piped.
    pub stderr: Option<ChildStderr>,
    /// std's child, with its pipes moved to the fields above; it reaps the
    /// process and keeps its status once reaped.
    inner: std::process::Child,
    /// How a wait learns of the end; opened by the first wait that parks.
    exit: ExitWatch,
    /// Kill the process when this is dropped before it was reaped.
    kill_on_drop: bool,
}

impl Child {
    /// Wraps a child std just spawned, with its pipes made non-blocking.
    /// If that fails, the child is killed (the caller never gets to see
    /// it) and reaped later.
    pub(super) fn new(mut inner: std::process::Child, kill_on_drop: bool) -> io::Result<Self> {
        let (stdin, stdout, stderr) =
            (inner.stdin.take(), inner.stdout.take(), inner.stderr.take());
        let mut child = Child {
            stdin: None,
            stdout: None,
            stderr: None,
            inner,
            exit: ExitWatch::Unopened,
            // Until the pipes are set up: should that fail, `child` drops
            // below and takes the process with it.
            kill_on_drop: true,
        };
        child.stdin = stdin.map(ChildStdin::from_std).transpose()?;
        child.stdout = stdout.map(ChildStdout::from_std).transpose()?;
        child.stderr = stderr.map(ChildStderr::from_std).transpose()?;
        child.kill_on_drop = kill_on_drop;
        Ok(child)
    }

    /// The process id (std's `Child::id`).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut child = corio::process::Command::new("true").spawn()?;
    /// assert!(child.id() > 0);
    /// child.wait()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn id(&self) -> u32 {
        self.inner.id()
    }

    /// Sends `SIGKILL` to the process; it does not wait for it to end (a
    /// [`wait`](Child::wait) after it returns its status, which tells of
    /// the signal). As std's: `Ok(())` if it has already been reaped.
    ///
    /// # Errors
    ///
    /// As `std::process::Child::kill`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::process::ExitStatusExt;
    ///
    /// let status = corio::run(|| -> std::io::Result<_> {
    ///     let mut child = corio::process::Command::new("sleep").arg("3600").spawn()?;
    ///     child.kill()?;
    ///     child.wait()
    /// })?;
    /// assert_eq!(status.signal(), Some(libc::SIGKILL));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn kill(&mut self) -> io::Result<()> {
        self.inner.kill()
    }

    /// The exit status if the process has ended (reaping it), `None` if it
    /// still runs. Never parks.
    ///
    /// # Errors
    ///
    /// As `std::process::Child::try_wait`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut child = corio::process::Command::new("sleep").arg("3600").spawn()?;
    /// assert_eq!(child.try_wait()?, None);
    /// child.kill()?;
    /// child.wait()?;
    /// assert!(child.try_wait()?.is_some()); // kept once reaped
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        self.inner.try_wait()
    }

    /// Waits for the process to end and returns its status, closing its
    /// standard input first (as std does, so a child reading it to the end
    /// can finish).
    ///
    /// In a task, the task parks: on a pidfd (`pidfd_open(2)`) registered
    /// with the event loop, or, where the kernel or a sandbox offers none,
    /// polling the status with a pause growing from 1 to 50 ms. Outside
    /// [`run`](crate::run) it blocks the thread, as std's does. Once
    /// reaped, the status is kept: later calls return it at once.
    ///
    /// Cancelling the waiting task (an abort, a `timeout`) leaves the
    /// process running: kill it first, or set
    /// [`Command::kill_on_drop`](super::Command::kill_on_drop), if it must
    /// stop with its waiter.
    ///
    /// # Errors
    ///
    /// As `std::process::Child::wait`; and, if it would have to wait in a
    /// destructor of a task being cancelled (or on the loop's own stack),
    /// an error at once that std's retry loops do not retry (see the crate
    /// docs' table).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let (status, ticks) = corio::run(|| -> std::io::Result<_> {
    ///     let ticker = corio::spawn(|| {
    ///         for _ in 0..3 {
    ///             corio::sleep(Duration::from_millis(1));
    ///         }
    ///         "ticked"
    ///     });
    ///     let mut child = corio::process::Command::new("sleep").arg("0.1").spawn()?;
    ///     let status = child.wait()?; // the ticker runs meanwhile
    ///     Ok((status, ticker.join().unwrap()))
    /// })?;
    /// assert!(status.success());
    /// assert_eq!(ticks, "ticked");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        if let Some(status) = self.inner.try_wait()? {
            return Ok(status);
        }
        if !current::in_runtime() {
            return self.inner.wait();
        }
        if let Some(refused) = crate::io::refuse_to_wait() {
            return Err(refused);
        }
        self.exit.wait(&mut self.inner)
    }

    /// Closes standard input, reads standard output and standard error to
    /// their ends at the same time (no deadlock when the child fills one
    /// pipe while the parent reads the other), then waits for the end:
    /// Python's `proc.communicate()`.
    ///
    /// Only pipes still in their fields are read; one that was taken out
    /// gives an empty vector. In a task, standard error is read by a second
    /// task while this one reads standard output; outside `run`, one
    /// `poll(2)` loop reads both.
    ///
    /// # Errors
    ///
    /// A read's error or [`wait`](Child::wait)'s.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::process::Stdio;
    /// use corio::process::Command;
    ///
    /// let output = corio::run(|| {
    ///     Command::new("sh")
    ///         .args(["-c", "echo out; echo err >&2"])
    ///         .stdout(Stdio::piped())
    ///         .stderr(Stdio::piped())
    ///         .spawn()?
    ///         .wait_with_output()
    /// })?;
    /// assert_eq!((&output.stdout[..], &output.stderr[..]), (&b"out\n"[..], &b"err\n"[..]));
    /// assert!(output.status.success());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn wait_with_output(mut self) -> io::Result<Output> {
        drop(self.stdin.take());
        let (out, err) = (self.stdout.take(), self.stderr.take());
        let (stdout, stderr) = output::read_both(out.as_ref(), err.as_ref())?;
        let status = self.wait()?;
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        match self.inner.try_wait() {
            Ok(None) => {}
            // Reaped already, or not ours to reap (`ECHILD`).
            Ok(Some(_)) | Err(_) => return,
        }
        if self.kill_on_drop {
            // Fails only if it is already gone.
            let _ = self.inner.kill();
        }
        orphans::adopt(self.inner.id());
    }
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("pid", &self.inner.id())
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .field("exit", &self.exit)
            .field("kill_on_drop", &self.kill_on_drop)
            .finish()
    }
}
