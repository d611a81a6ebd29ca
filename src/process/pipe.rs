//! A child's standard streams on the parent's side: [`ChildStdin`],
//! [`ChildStdout`] and [`ChildStderr`], pipe ends in non-blocking mode
//! whose reads and writes park the task.
//!
//! Each wraps a `Registered` std pipe end (`PipeWriter` / `PipeReader`,
//! made from the descriptor of std's `ChildStdin` and so on). Only the
//! parent's end is switched to non-blocking mode: the two ends of a pipe
//! are separate open file descriptions, so the child's end stays as the
//! child expects it.

use std::fmt;
use std::io::{self, PipeReader, PipeWriter, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::process::Stdio;

use crate::io::Registered;

/// The parent's end of a child's standard input, in non-blocking mode:
/// writes park the task while the pipe is full. It implements `Write`,
/// also through `&ChildStdin`.
///
/// Dropping it closes the pipe, so the child reads end-of-file; `Child::wait`
/// does that first, as std's does.
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use std::process::Stdio;
/// use corio::process::Command;
///
/// let text = corio::run(|| -> std::io::Result<String> {
///     let mut child = Command::new("tr")
///         .arg("a-z")
///         .arg("A-Z")
///         .stdin(Stdio::piped())
///         .stdout(Stdio::piped())
///         .spawn()?;
///     let mut stdin = child.stdin.take().unwrap();
///     stdin.write_all(b"shout")?;
///     drop(stdin); // end of input: `tr` finishes
///     let mut text = String::new();
///     child.stdout.take().unwrap().read_to_string(&mut text)?;
///     child.wait()?;
///     Ok(text)
/// })?;
/// assert_eq!(text, "SHOUT");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct ChildStdin {
    inner: Registered<PipeWriter>,
}

/// The parent's end of a child's standard output, in non-blocking mode:
/// reads park the task until the child writes (or exits). It implements
/// `Read`, also through `&ChildStdout`, so `std::io::BufReader` works over
/// it.
///
/// # Examples
///
/// ```
/// use std::io::{BufRead, BufReader};
/// use std::process::Stdio;
/// use corio::process::Command;
///
/// let lines = corio::run(|| -> std::io::Result<Vec<String>> {
///     let mut child = Command::new("printf")
///         .arg("one\\ntwo\\n")
///         .stdout(Stdio::piped())
///         .spawn()?;
///     let stdout = child.stdout.take().unwrap();
///     let lines = BufReader::new(stdout).lines().collect::<Result<_, _>>()?;
///     child.wait()?;
///     Ok(lines)
/// })?;
/// assert_eq!(lines, ["one", "two"]);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct ChildStdout {
    inner: Registered<PipeReader>,
}

/// The parent's end of a child's standard error, in non-blocking mode:
/// reads park the task. It implements `Read`, also through
/// `&ChildStderr`.
///
/// # Examples
///
/// ```
/// use std::io::Read;
/// use std::process::Stdio;
/// use corio::process::Command;
///
/// let complaint = corio::run(|| -> std::io::Result<String> {
///     let mut child = Command::new("sh")
///         .args(["-c", "echo oops >&2"])
///         .stderr(Stdio::piped())
///         .spawn()?;
///     let mut text = String::new();
///     child.stderr.take().unwrap().read_to_string(&mut text)?;
///     child.wait()?;
///     Ok(text)
/// })?;
/// assert_eq!(complaint, "oops\n");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct ChildStderr {
    inner: Registered<PipeReader>,
}

impl ChildStdin {
    /// Wraps std's `ChildStdin` (of a `std::process::Child`), switching the
    /// parent's end of the pipe to non-blocking mode.
    ///
    /// # Errors
    ///
    /// If `fcntl(2)` cannot set the mode.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use std::process::Stdio;
    ///
    /// let mut child = std::process::Command::new("cat")
    ///     .stdin(Stdio::piped())
    ///     .stdout(Stdio::null())
    ///     .spawn()?;
    /// let mut stdin = corio::process::ChildStdin::from_std(child.stdin.take().unwrap())?;
    /// corio::run(|| stdin.write_all(b"fed by a task"))?;
    /// drop(stdin);
    /// assert!(child.wait()?.success());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn from_std(stdin: std::process::ChildStdin) -> io::Result<Self> {
        let inner = Registered::new(PipeWriter::from(OwnedFd::from(stdin)))?;
        Ok(ChildStdin { inner })
    }
}

/// `ChildStdout` and `ChildStderr` are the same thing on two streams.
macro_rules! reader_end {
    ($name:ident, $std:ty, $stream:literal) => {
        impl $name {
            #[doc = concat!("Wraps std's `", stringify!($name), "` (of a `std::process::Child`),")]
            /// switching the parent's end of the pipe to non-blocking mode.
            ///
            /// # Errors
            ///
            /// If `fcntl(2)` cannot set the mode.
            ///
            /// # Examples
            ///
            /// ```
            /// use std::io::Read;
            /// use std::process::Stdio;
            ///
            /// let mut child = std::process::Command::new("sh")
            #[doc = concat!("    .args([\"-c\", \"echo hi", $stream, "\"])")]
            #[doc = concat!("    .", stringify!($std), "(Stdio::piped())")]
            ///     .spawn()?;
            #[doc = concat!("let end = child.", stringify!($std), ".take().unwrap();")]
            #[doc = concat!("let end = corio::process::", stringify!($name), "::from_std(end)?;")]
            /// let text = corio::run(|| {
            ///     let mut text = String::new();
            ///     (&end).read_to_string(&mut text).map(|_| text)
            /// })?;
            /// assert_eq!(text, "hi\n");
            /// child.wait()?;
            /// # Ok::<(), std::io::Error>(())
            /// ```
            pub fn from_std(end: std::process::$name) -> io::Result<Self> {
                let inner = Registered::new(PipeReader::from(OwnedFd::from(end)))?;
                Ok($name { inner })
            }

            /// The pipe end itself, in non-blocking mode: reads on it fail
            /// with `WouldBlock` rather than wait.
            pub(super) fn pipe(&self) -> &PipeReader {
                self.inner.get_ref()
            }
        }

        impl Read for &$name {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                (&self.inner).read(buf)
            }

            fn read_vectored(&mut self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
                (&self.inner).read_vectored(bufs)
            }
        }

        impl Read for $name {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                (&*self).read(buf)
            }

            fn read_vectored(&mut self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
                (&*self).read_vectored(bufs)
            }
        }

        impl TryFrom<$name> for Stdio {
            type Error = io::Error;

            /// The pipe end, back in blocking mode, as another child's
            /// standard input (`a | b`); see [`ChildStdin`]'s conversion.
            fn try_from(end: $name) -> io::Result<Stdio> {
                into_stdio(end.inner)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("fd", &self.inner.as_raw_fd())
                    .finish()
            }
        }

        impl AsFd for $name {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.inner.as_fd()
            }
        }

        impl AsRawFd for $name {
            fn as_raw_fd(&self) -> RawFd {
                self.inner.as_raw_fd()
            }
        }
    };
}

reader_end!(ChildStdout, stdout, "");
reader_end!(ChildStderr, stderr, " >&2");

impl Write for &ChildStdin {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&self.inner).write(buf)
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        (&self.inner).write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(()) // no user-space buffer
    }
}

impl Write for ChildStdin {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        (&*self).write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A pipe end handed on to another child (`Stdio::from`), e.g. the
/// standard output of one child as the standard input of the next.
///
/// The descriptor is deregistered and switched back to blocking mode
/// first: the next child gets an ordinary pipe, as std would give it.
///
/// # Examples
///
/// ```
/// use std::process::Stdio;
/// use corio::process::Command;
///
/// let out = corio::run(|| -> std::io::Result<_> {
///     let mut upper = Command::new("tr")
///         .args(["a-z", "A-Z"])
///         .stdin(Stdio::piped())
///         .stdout(Stdio::piped())
///         .spawn()?;
///     let into_upper = Stdio::try_from(upper.stdin.take().unwrap())?;
///     // echo hello | tr a-z A-Z
///     Command::new("echo").arg("hello").stdout(into_upper).status()?;
///     upper.wait_with_output()
/// })?;
/// assert_eq!(out.stdout, b"HELLO\n");
/// # Ok::<(), std::io::Error>(())
/// ```
impl TryFrom<ChildStdin> for Stdio {
    type Error = io::Error;

    fn try_from(end: ChildStdin) -> io::Result<Stdio> {
        into_stdio(end.inner)
    }
}

/// Deregisters `end`, clears its `O_NONBLOCK` and makes it a `Stdio`.
fn into_stdio<T: AsFd + Into<OwnedFd>>(end: Registered<T>) -> io::Result<Stdio> {
    let fd: OwnedFd = end.into_inner().into();
    crate::io::set_nonblocking(fd.as_fd(), false)?;
    Ok(Stdio::from(fd))
}

impl fmt::Debug for ChildStdin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildStdin")
            .field("fd", &self.inner.as_raw_fd())
            .finish()
    }
}

impl AsFd for ChildStdin {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

impl AsRawFd for ChildStdin {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}
