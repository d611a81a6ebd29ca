//! Child processes whose waits and pipes park the task: [`Command`],
//! [`Child`], [`ChildStdin`], [`ChildStdout`], [`ChildStderr`], in the
//! shape of `std::process`'s (and with its `Stdio`, `ExitStatus`,
//! `Output`, re-exported here).
//!
//! | Python asyncio | corio | tokio |
//! |---|---|---|
//! | `p = await asyncio.create_subprocess_exec("ls", "-l", stdout=PIPE)` | `let p = Command::new("ls").arg("-l").stdout(Stdio::piped()).spawn()?` | the same builder, `spawn()?` |
//! | `await asyncio.create_subprocess_shell(cmd)` | `Command::new("sh").args(["-c", cmd]).spawn()?` | the same |
//! | `out, err = await p.communicate()` | `p.wait_with_output()?` (both pipes read at once) | `p.wait_with_output().await?` |
//! | `await p.wait()` | `p.wait()?` | `p.wait().await?` |
//! | `await p.stdout.readline()` | `BufReader::new(stdout).read_line(&mut line)?` | `BufReader::new(stdout).read_line(&mut line).await?` |
//! | `p.stdin.write(b); await p.stdin.drain()` | `stdin.write_all(b)?` | `stdin.write_all(b).await?` |
//! | `p.kill()` | `p.kill()?` | `p.kill().await?` |
//!
//! The std-shaped code is the point: `BufReader`, `read_to_string`,
//! `write_all` and `io::copy` work over the pipes as over std's, and park
//! only the task that calls them.
//!
//! # How waiting works
//!
//! - Spawning runs inline, as tokio's does: the loop pauses while std
//!   starts the child (about a millisecond; see [`Command`]).
//! - [`Child::wait`] parks on a pidfd registered with the event loop,
//!   readable once the child has ended; where `pidfd_open(2)` is missing
//!   or refused (old kernels, some sandboxes) it polls the status with a
//!   pause growing from 1 to 50 ms. The choice is made at run time, at the
//!   first wait that has to park.
//! - The pipes are the parent's ends, switched to non-blocking mode and
//!   registered with the loop on first use; a read or write that would
//!   block parks the task.
//! - Outside [`run`](crate::run), all of these block the thread, as
//!   std's do.
//! - [`Command::output`] and [`Child::wait_with_output`] read standard
//!   output and standard error at the same time, so a child that fills
//!   one pipe while the other is read cannot deadlock.
//!
//! # When the waiting task is cancelled
//!
//! A task cancelled while it waits (an abort, an expired `timeout`, a lost
//! `race`) unwinds and drops its `Child`. The process is not stopped,
//! as with std, unless [`Command::kill_on_drop`] was set. Either way corio
//! reaps it once it has ended (swept whenever a command spawns or a
//! `Child` is dropped), so dropped children do not pile up as zombies. In
//! the destructors of such a task, a `wait` or a pipe read or write that
//! would have to wait fails at once (see the crate docs' table).
//!
//! # Examples
//!
//! ```
//! use std::io::{BufRead, BufReader, Write};
//! use corio::process::{Command, Stdio};
//!
//! let lines = corio::run(|| -> std::io::Result<Vec<String>> {
//!     let mut sorter = Command::new("sort")
//!         .stdin(Stdio::piped())
//!         .stdout(Stdio::piped())
//!         .spawn()?;
//!     let mut stdin = sorter.stdin.take().unwrap();
//!     // Feed it from one task while this one reads what comes back.
//!     let feeder = corio::spawn(move || stdin.write_all(b"pear\napple\nfig\n"));
//!     let stdout = sorter.stdout.take().unwrap();
//!     let lines = BufReader::new(stdout).lines().collect::<Result<_, _>>()?;
//!     feeder.join().unwrap()?;
//!     sorter.wait()?;
//!     Ok(lines)
//! })?;
//! assert_eq!(lines, ["apple", "fig", "pear"]);
//! # Ok::<(), std::io::Error>(())
//! ```

mod child;
mod command;
mod exit;
mod orphans;
mod output;
mod pipe;

pub use child::Child;
pub use command::Command;
pub use pipe::{ChildStderr, ChildStdin, ChildStdout};
pub use std::process::{ExitStatus, Output, Stdio};
