//! [`Command`]: std's process builder, spawning children whose waits and
//! pipes park the task.

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::path::Path;
use std::process::{ExitStatus, Output, Stdio};

use super::child::Child;
use super::orphans;

/// A process builder with std's methods: configure the program, its
/// arguments, environment, working directory and standard streams, then
/// [`spawn`](Command::spawn) it, or run it to its end with
/// [`output`](Command::output) or [`status`](Command::status).
///
/// It wraps a `std::process::Command` (convert one with `From` for the
/// options of `std::os::unix::process::CommandExt`) and uses std's own
/// types: `Stdio`, `ExitStatus`, `Output`.
///
/// Spawning runs inline, on the loop's thread, as tokio's does: std's
/// `spawn` starts the child (with `posix_spawn`, which glibc does with a
/// `vfork`-style clone, or with `fork` when options such as `pre_exec`
/// need it) and returns once the child has called `exec`, whatever the
/// child does next. The loop pauses for that long: about a millisecond
/// on the virtual machine this crate is tested on, independent of the
/// parent's size with `posix_spawn`. Going through
/// [`unblock`](crate::unblock) instead would add thread hand-offs, and
/// would move the `Command` off the task's stack for the duration, which a
/// cancellation could leave stranded on the pool.
///
/// # Examples
///
/// ```
/// use corio::process::Command;
///
/// let output = corio::run(|| Command::new("echo").args(["hello", "world"]).output())?;
/// assert_eq!(output.stdout, b"hello world\n");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Command {
    inner: std::process::Command,
    /// Which streams the caller configured: [`Command::output`] gives the
    /// others its own defaults (stdin null, stdout and stderr piped) for
    /// one spawn, and sets them back to inherit, the default of `spawn`
    /// and `status`.
    chosen: Chosen,
    /// Whether dropping an unreaped `Child` of this command kills it.
    kill_on_drop: bool,
}

/// Per standard stream: set through [`Command`]'s `stdin` / `stdout` /
/// `stderr`.
#[derive(Clone, Copy, Debug, Default)]
struct Chosen {
    stdin: bool,
    stdout: bool,
    stderr: bool,
}

impl Command {
    /// A builder for running `program`: found on `PATH` unless it contains
    /// a `/`, with no arguments, this process's environment and working
    /// directory, and all three standard streams inherited.
    ///
    /// # Examples
    ///
    /// ```
    /// let status = corio::run(|| corio::process::Command::new("true").status())?;
    /// assert!(status.success());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new<S: AsRef<OsStr>>(program: S) -> Command {
        Command::from(std::process::Command::new(program))
    }

    /// Adds one argument.
    ///
    /// # Examples
    ///
    /// ```
    /// let out = corio::run(|| corio::process::Command::new("echo").arg("one arg").output())?;
    /// assert_eq!(out.stdout, b"one arg\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn arg<S: AsRef<OsStr>>(&mut self, arg: S) -> &mut Command {
        self.inner.arg(arg);
        self
    }

    /// Adds several arguments.
    ///
    /// # Examples
    ///
    /// ```
    /// let out = corio::run(|| corio::process::Command::new("echo").args(["a", "b"]).output())?;
    /// assert_eq!(out.stdout, b"a b\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.inner.args(args);
        self
    }

    /// Sets an environment variable for the child.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::process::Command;
    ///
    /// let out = corio::run(|| Command::new("sh").args(["-c", "echo $GREETING"]).env("GREETING", "hi").output())?;
    /// assert_eq!(out.stdout, b"hi\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn env<K, V>(&mut self, key: K, val: V) -> &mut Command
    where
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.inner.env(key, val);
        self
    }

    /// Sets several environment variables for the child.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::process::Command;
    ///
    /// let out = corio::run(|| {
    ///     Command::new("sh")
    ///         .args(["-c", "echo $A$B"])
    ///         .envs([("A", "1"), ("B", "2")])
    ///         .output()
    /// })?;
    /// assert_eq!(out.stdout, b"12\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.inner.envs(vars);
        self
    }

    /// Removes an environment variable from the child's environment.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::process::Command;
    ///
    /// let out = corio::run(|| {
    ///     Command::new("sh")
    ///         .args(["-c", "echo ${GONE-unset}"])
    ///         .env("GONE", "set")
    ///         .env_remove("GONE")
    ///         .output()
    /// })?;
    /// assert_eq!(out.stdout, b"unset\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn env_remove<K: AsRef<OsStr>>(&mut self, key: K) -> &mut Command {
        self.inner.env_remove(key);
        self
    }

    /// Starts the child with an empty environment (then adds what
    /// [`env`](Command::env) sets after this call).
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::process::Command;
    ///
    /// let out = corio::run(|| Command::new("/usr/bin/env").env_clear().env("ONLY", "me").output())?;
    /// assert_eq!(out.stdout, b"ONLY=me\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn env_clear(&mut self) -> &mut Command {
        self.inner.env_clear();
        self
    }

    /// Sets the child's working directory.
    ///
    /// # Examples
    ///
    /// ```
    /// let out = corio::run(|| corio::process::Command::new("pwd").current_dir("/").output())?;
    /// assert_eq!(out.stdout, b"/\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn current_dir<P: AsRef<Path>>(&mut self, dir: P) -> &mut Command {
        self.inner.current_dir(dir);
        self
    }

    /// Configures the child's standard input: `Stdio::piped()` gives the
    /// [`Child`] a [`ChildStdin`](super::ChildStdin) to write to.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use std::process::Stdio;
    /// use corio::process::Command;
    ///
    /// let out = corio::run(|| -> std::io::Result<_> {
    ///     let child = Command::new("wc").arg("-c").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
    ///     child.stdin.as_ref().unwrap().write_all(b"12345")?;
    ///     child.wait_with_output() // closes stdin first
    /// })?;
    /// assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "5");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stdin<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.inner.stdin(cfg);
        self.chosen.stdin = true;
        self
    }

    /// Configures the child's standard output: `Stdio::piped()` gives the
    /// [`Child`] a [`ChildStdout`](super::ChildStdout) to read.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::process::Stdio;
    /// use corio::process::Command;
    ///
    /// // `output` captures by default; here the output is thrown away.
    /// let out = corio::run(|| Command::new("echo").arg("lost").stdout(Stdio::null()).output())?;
    /// assert!(out.stdout.is_empty());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stdout<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.inner.stdout(cfg);
        self.chosen.stdout = true;
        self
    }

    /// Configures the child's standard error: `Stdio::piped()` gives the
    /// [`Child`] a [`ChildStderr`](super::ChildStderr) to read.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::process::Stdio;
    /// use corio::process::Command;
    ///
    /// let out = corio::run(|| Command::new("ls").arg("/no/such/path").stderr(Stdio::null()).output())?;
    /// assert!(!out.status.success());
    /// assert!(out.stderr.is_empty());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stderr<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.inner.stderr(cfg);
        self.chosen.stderr = true;
        self
    }

    /// Whether a [`Child`] of this command that is dropped before it was
    /// reaped gets `SIGKILL` (tokio's option of the same name). Off by
    /// default, as std behaves: the process runs on.
    ///
    /// A task cancelled while it waits for its child drops the `Child` as
    /// its stack unwinds, so this is how a child stops with its task (a
    /// lost `race`, an expired `timeout`). Either way corio reaps the
    /// process once it has ended.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use corio::process::Command;
    ///
    /// let outcome = corio::run(|| {
    ///     corio::timeout(Duration::from_millis(20), || {
    ///         Command::new("sleep").arg("3600").kill_on_drop(true).status()
    ///     })
    /// });
    /// assert!(outcome.is_err()); // timed out, and `sleep` was killed
    /// ```
    pub fn kill_on_drop(&mut self, kill: bool) -> &mut Command {
        self.kill_on_drop = kill;
        self
    }

    /// Starts the child, inline (see the type's docs), and returns it.
    /// Streams not configured are inherited.
    ///
    /// # Errors
    ///
    /// As `std::process::Command::spawn` (`NotFound` for a missing
    /// program, the exec error otherwise), or if a pipe cannot be made
    /// non-blocking (the child is then killed).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    /// use std::process::Stdio;
    /// use corio::process::Command;
    ///
    /// let text = corio::run(|| -> std::io::Result<String> {
    ///     let mut child = Command::new("echo").arg("spawned").stdout(Stdio::piped()).spawn()?;
    ///     let mut text = String::new();
    ///     child.stdout.take().unwrap().read_to_string(&mut text)?;
    ///     child.wait()?;
    ///     Ok(text)
    /// })?;
    /// assert_eq!(text, "spawned\n");
    /// let missing = corio::run(|| Command::new("/no/such/program").spawn());
    /// assert_eq!(missing.unwrap_err().kind(), std::io::ErrorKind::NotFound);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn spawn(&mut self) -> io::Result<Child> {
        orphans::reap();
        Child::new(self.inner.spawn()?, self.kill_on_drop)
    }

    /// Runs the child to its end and collects its standard output and
    /// error ([`Child::wait_with_output`]: both are read at the same time).
    ///
    /// As with std, streams not configured get other defaults here:
    /// standard input is null, standard output and error are piped.
    ///
    /// # Errors
    ///
    /// [`spawn`](Command::spawn)'s, or a read's, or the wait's.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::process::Command;
    ///
    /// let out = corio::run(|| Command::new("sh").args(["-c", "echo to out; echo to err >&2; exit 2"]).output())?;
    /// assert_eq!(out.stdout, b"to out\n");
    /// assert_eq!(out.stderr, b"to err\n");
    /// assert_eq!(out.status.code(), Some(2));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn output(&mut self) -> io::Result<Output> {
        let chosen = self.chosen;
        if !chosen.stdin {
            self.inner.stdin(Stdio::null());
        }
        if !chosen.stdout {
            self.inner.stdout(Stdio::piped());
        }
        if !chosen.stderr {
            self.inner.stderr(Stdio::piped());
        }
        let child = self.spawn();
        // Back to the defaults of `spawn` and `status`.
        if !chosen.stdin {
            self.inner.stdin(Stdio::inherit());
        }
        if !chosen.stdout {
            self.inner.stdout(Stdio::inherit());
        }
        if !chosen.stderr {
            self.inner.stderr(Stdio::inherit());
        }
        child?.wait_with_output()
    }

    /// Runs the child to its end and returns its exit status; streams not
    /// configured are inherited.
    ///
    /// # Errors
    ///
    /// [`spawn`](Command::spawn)'s or [`Child::wait`]'s.
    ///
    /// # Examples
    ///
    /// ```
    /// let status = corio::run(|| corio::process::Command::new("false").status())?;
    /// assert_eq!(status.code(), Some(1));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn status(&mut self) -> io::Result<ExitStatus> {
        self.spawn()?.wait()
    }

    /// The std command inside, for its getters (`get_program`, `get_args`,
    /// `get_envs`, `get_current_dir`).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut command = corio::process::Command::new("ls");
    /// command.arg("-l");
    /// let args: Vec<_> = command.as_std().get_args().collect();
    /// assert_eq!(command.as_std().get_program(), "ls");
    /// assert_eq!(args, ["-l"]);
    /// ```
    pub fn as_std(&self) -> &std::process::Command {
        &self.inner
    }
}

/// A std command as a corio one: how to reach what
/// `std::os::unix::process::CommandExt` sets (`uid`, `gid`,
/// `process_group`, `arg0`, `pre_exec`).
///
/// std cannot tell which standard streams were configured on it, so
/// [`Command::output`] treats them as not configured (it pipes stdout and
/// stderr and nulls stdin): configure them on the corio command instead.
///
/// # Examples
///
/// ```
/// use std::os::unix::process::CommandExt;
///
/// let mut std_command = std::process::Command::new("sh");
/// std_command.args(["-c", "echo $0"]).arg0("renamed");
/// let out = corio::run(|| corio::process::Command::from(std_command).output())?;
/// assert_eq!(out.stdout, b"renamed\n");
/// # Ok::<(), std::io::Error>(())
/// ```
impl From<std::process::Command> for Command {
    fn from(inner: std::process::Command) -> Command {
        Command {
            inner,
            chosen: Chosen::default(),
            kill_on_drop: false,
        }
    }
}

impl fmt::Debug for Command {
    /// std's rendering: the program and its arguments, quoted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}
