//! Files and directories without blocking the loop: std's `fs` API, each
//! call run on the blocking pool ([`unblock`](crate::unblock)) while the
//! task parks.
//!
//! The names and shapes are std's (`read`, `write`, `File::open`,
//! `OpenOptions`, `Read` / `Write` / `Seek` on `File` and `&File`), and
//! the metadata types are std's own ([`Metadata`], [`Permissions`],
//! [`FileType`]), so code written against `std::fs` switches by changing
//! its `use` line. Outside [`run`](crate::run) every call runs right where
//! it is made, exactly as std's does, so one function works in both
//! worlds; so it does on the loop's own stack outside any task (where
//! nothing can park).
//!
//! | Python | corio | tokio |
//! |---|---|---|
//! | `await asyncio.to_thread(Path(p).read_bytes)` / `aiofiles` | `corio::fs::read(p)?` | `tokio::fs::read(p).await?` |
//! | `async with aiofiles.open(p, "w") as f: await f.write(s)` | `corio::fs::File::create(p)?.write_all(s)?` | `File::create(p).await?.write_all(s).await?` |
//! | `await asyncio.to_thread(os.listdir, p)` | `corio::fs::read_dir(p)?` | `tokio::fs::read_dir(p).await?` |
//!
//! # Why not readiness, like sockets
//!
//! Sockets and pipes park on epoll readiness ([`io::Registered`](crate::io::Registered)).
//! That does not work for files on Linux: `epoll_ctl` refuses to register
//! a regular file or directory (`EPERM`), and `poll` reports one ready at
//! all times, because the kernel has no notion of a disk read that "would
//! block": the read simply sleeps in the kernel until the page cache is
//! filled, freezing every task of the loop's thread meanwhile. So corio
//! does what tokio, async-std and Python's `asyncio.to_thread` do: each
//! call is one hop to a pool thread and back. (`io_uring` would avoid the
//! hop; it is not available everywhere corio runs, gVisor included.)
//!
//! # What a hop costs
//!
//! A hop is a queue push, a wake-up of a pool thread (a futex) and a
//! cross-thread wake-up of the loop (an eventfd write, an epoll return):
//! microseconds, not nanoseconds. Measured with `cargo bench --bench
//! fs_ratios` on this project's 2-core gVisor machine (where syscalls
//! are dear), one `fs::read` of a 64-byte file took 9.1 µs in a task at
//! best, against 1.5 µs for `std::fs::read` inline, and a bare
//! `corio::unblock(|| ())` 5.4 µs; with other builds running on the
//! machine the hop rose to 15-50 µs while the inline read stayed at
//! 1.5 µs. That buys a loop that keeps serving its other tasks while
//! the disk is slow (inline, a cold read of a file freezes them all), at
//! a price a loop of tiny reads should not pay. So batch: one [`read`]
//! or [`write()`] of a whole file, one `read_to_end` or `write_all` on a
//! [`File`] (each a single hop however large), a
//! `std::io::BufReader<File>` (one hop per 8 KiB fill) rather than many
//! small reads.
//!
//! # Buffers are owned
//!
//! The pool thread never sees the task's stack: a task being cancelled
//! unwinds at once while its job runs on (a file call cannot be
//! interrupted), and nothing borrowed from that stack may outlive it. So
//! paths are copied into `PathBuf`s, data to write into a `Vec`, and a
//! read fills a buffer of the pool's own that is copied into the caller's
//! slice once the task is back. A cancelled read still moves the file's
//! position; its bytes are dropped with the job's result. A `File` keeps
//! its descriptor in an `Arc` shared with the job in flight, so the
//! descriptor stays open (and its number is not reused) until every job
//! that uses it has ended.
//!
//! # In destructors of a task being cancelled
//!
//! Every call here parks as usual (as [`unblock`](crate::unblock) does):
//! a file call ends on its own, so cleanup such as removing a temporary
//! file works there.
//!
//! # Examples
//!
//! ```
//! let dir = std::env::temp_dir().join(format!("corio-fs-doc-{}", std::process::id()));
//! let text = corio::run(|| -> std::io::Result<String> {
//!     corio::fs::create_dir_all(&dir)?;
//!     corio::fs::write(dir.join("greeting.txt"), "hello from the pool")?;
//!     let text = corio::fs::read_to_string(dir.join("greeting.txt"))?;
//!     corio::fs::remove_dir_all(&dir)?;
//!     Ok(text)
//! })?;
//! assert_eq!(text, "hello from the pool");
//! # Ok::<(), std::io::Error>(())
//! ```

mod dir;
mod file;
mod options;

use std::io;
use std::path::{Path, PathBuf};

pub use dir::{DirEntry, ReadDir, read_dir};
pub use file::File;
pub use options::OpenOptions;
pub use std::fs::{FileType, Metadata, Permissions};

/// Runs `f` on the blocking pool (inline outside a task): the one hop
/// every call of this module makes.
fn hop<T, F>(f: F) -> io::Result<T>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    crate::unblock(f)
}

/// An owned copy of `path`, to move to the pool.
fn owned(path: impl AsRef<Path>) -> PathBuf {
    path.as_ref().to_path_buf()
}

/// Reads the whole file at `path` (std's [`std::fs::read`]), in one hop.
///
/// # Errors
///
/// As [`std::fs::read`]: the file cannot be opened or read.
///
/// # Examples
///
/// ```
/// let path = std::env::temp_dir().join(format!("corio-read-doc-{}", std::process::id()));
/// std::fs::write(&path, [1, 2, 3])?;
/// let bytes = corio::run(|| corio::fs::read(&path))?;
/// assert_eq!(bytes, [1, 2, 3]);
/// std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    let path = owned(path);
    hop(move || std::fs::read(path))
}

/// Reads the whole file at `path` as UTF-8 (std's
/// [`std::fs::read_to_string`]), in one hop.
///
/// # Errors
///
/// As [`std::fs::read_to_string`], including `InvalidData` for a file
/// that is not UTF-8.
///
/// # Examples
///
/// ```
/// let path = std::env::temp_dir().join(format!("corio-rts-doc-{}", std::process::id()));
/// std::fs::write(&path, "text")?;
/// assert_eq!(corio::run(|| corio::fs::read_to_string(&path))?, "text");
/// std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    let path = owned(path);
    hop(move || std::fs::read_to_string(path))
}

/// Writes `contents` to the file at `path`, creating or truncating it
/// (std's [`std::fs::write`]), in one hop. `contents` is copied first.
///
/// # Errors
///
/// As [`std::fs::write`].
///
/// # Examples
///
/// ```
/// let path = std::env::temp_dir().join(format!("corio-write-doc-{}", std::process::id()));
/// corio::run(|| corio::fs::write(&path, b"written"))?;
/// assert_eq!(std::fs::read(&path)?, b"written");
/// std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let (path, contents) = (owned(path), contents.as_ref().to_vec());
    hop(move || std::fs::write(path, contents))
}

/// Creates the directory `path` (std's [`std::fs::create_dir`]).
///
/// # Errors
///
/// As [`std::fs::create_dir`]: `AlreadyExists` if it exists, `NotFound`
/// if its parent does not.
///
/// # Examples
///
/// ```
/// let dir = std::env::temp_dir().join(format!("corio-mkdir-doc-{}", std::process::id()));
/// corio::run(|| corio::fs::create_dir(&dir))?;
/// assert!(dir.is_dir());
/// std::fs::remove_dir(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn create_dir(path: impl AsRef<Path>) -> io::Result<()> {
    let path = owned(path);
    hop(move || std::fs::create_dir(path))
}

/// Creates the directory `path` and any missing parents (std's
/// [`std::fs::create_dir_all`]), in one hop.
///
/// # Errors
///
/// As [`std::fs::create_dir_all`].
///
/// # Examples
///
/// ```
/// let top = std::env::temp_dir().join(format!("corio-mkdirs-doc-{}", std::process::id()));
/// corio::run(|| corio::fs::create_dir_all(top.join("a/b/c")))?;
/// assert!(top.join("a/b/c").is_dir());
/// std::fs::remove_dir_all(&top)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn create_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let path = owned(path);
    hop(move || std::fs::create_dir_all(path))
}

/// Removes the file (or symbolic link) at `path` (std's
/// [`std::fs::remove_file`]).
///
/// # Errors
///
/// As [`std::fs::remove_file`]: `NotFound` if there is none.
///
/// # Examples
///
/// ```
/// let path = std::env::temp_dir().join(format!("corio-rm-doc-{}", std::process::id()));
/// std::fs::write(&path, "")?;
/// corio::run(|| corio::fs::remove_file(&path))?;
/// assert!(!path.exists());
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    let path = owned(path);
    hop(move || std::fs::remove_file(path))
}

/// Removes the empty directory at `path` (std's [`std::fs::remove_dir`]).
///
/// # Errors
///
/// As [`std::fs::remove_dir`]: the directory is missing or not empty.
///
/// # Examples
///
/// ```
/// let dir = std::env::temp_dir().join(format!("corio-rmdir-doc-{}", std::process::id()));
/// std::fs::create_dir(&dir)?;
/// corio::run(|| corio::fs::remove_dir(&dir))?;
/// assert!(!dir.exists());
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn remove_dir(path: impl AsRef<Path>) -> io::Result<()> {
    let path = owned(path);
    hop(move || std::fs::remove_dir(path))
}

/// Removes the directory at `path` with everything in it (std's
/// [`std::fs::remove_dir_all`]), in one hop however many entries.
///
/// # Errors
///
/// As [`std::fs::remove_dir_all`].
///
/// # Examples
///
/// ```
/// let top = std::env::temp_dir().join(format!("corio-rmtree-doc-{}", std::process::id()));
/// std::fs::create_dir_all(top.join("inner"))?;
/// std::fs::write(top.join("inner/file"), "x")?;
/// corio::run(|| corio::fs::remove_dir_all(&top))?;
/// assert!(!top.exists());
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn remove_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let path = owned(path);
    hop(move || std::fs::remove_dir_all(path))
}

/// Renames `from` to `to`, replacing `to` if it is a file (std's
/// [`std::fs::rename`]).
///
/// # Errors
///
/// As [`std::fs::rename`].
///
/// # Examples
///
/// ```
/// let dir = std::env::temp_dir();
/// let (from, to) = (dir.join(format!("corio-mv-a-{}", std::process::id())),
///                   dir.join(format!("corio-mv-b-{}", std::process::id())));
/// std::fs::write(&from, "moved")?;
/// corio::run(|| corio::fs::rename(&from, &to))?;
/// assert_eq!(std::fs::read_to_string(&to)?, "moved");
/// std::fs::remove_file(&to)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    let (from, to) = (owned(from), owned(to));
    hop(move || std::fs::rename(from, to))
}

/// Copies the contents and permissions of file `from` to `to` and returns
/// the bytes copied (std's [`std::fs::copy`]), in one hop.
///
/// # Errors
///
/// As [`std::fs::copy`].
///
/// # Examples
///
/// ```
/// let dir = std::env::temp_dir();
/// let (from, to) = (dir.join(format!("corio-cp-a-{}", std::process::id())),
///                   dir.join(format!("corio-cp-b-{}", std::process::id())));
/// std::fs::write(&from, "twice")?;
/// assert_eq!(corio::run(|| corio::fs::copy(&from, &to))?, 5);
/// assert_eq!(std::fs::read_to_string(&to)?, "twice");
/// std::fs::remove_file(&from)?;
/// std::fs::remove_file(&to)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    let (from, to) = (owned(from), owned(to));
    hop(move || std::fs::copy(from, to))
}

/// The metadata of `path`, following symbolic links (std's
/// [`std::fs::metadata`]).
///
/// # Errors
///
/// As [`std::fs::metadata`]: `NotFound` if nothing is there.
///
/// # Examples
///
/// ```
/// let path = std::env::temp_dir().join(format!("corio-stat-doc-{}", std::process::id()));
/// std::fs::write(&path, "12345")?;
/// let meta = corio::run(|| corio::fs::metadata(&path))?;
/// assert!(meta.is_file());
/// assert_eq!(meta.len(), 5);
/// std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    let path = owned(path);
    hop(move || std::fs::metadata(path))
}

/// The metadata of `path` itself, not following a symbolic link (std's
/// [`std::fs::symlink_metadata`]).
///
/// # Errors
///
/// As [`std::fs::symlink_metadata`].
///
/// # Examples
///
/// ```
/// let dir = std::env::temp_dir();
/// let (target, link) = (dir.join(format!("corio-ln-t-{}", std::process::id())),
///                       dir.join(format!("corio-ln-l-{}", std::process::id())));
/// std::fs::write(&target, "")?;
/// std::os::unix::fs::symlink(&target, &link)?;
/// let meta = corio::run(|| corio::fs::symlink_metadata(&link))?;
/// assert!(meta.file_type().is_symlink());
/// std::fs::remove_file(&link)?;
/// std::fs::remove_file(&target)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn symlink_metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    let path = owned(path);
    hop(move || std::fs::symlink_metadata(path))
}

/// The absolute path of `path` with every link and `..` resolved (std's
/// [`std::fs::canonicalize`]).
///
/// # Errors
///
/// As [`std::fs::canonicalize`]: `NotFound` if the path does not exist.
///
/// # Examples
///
/// ```
/// let dir = std::env::temp_dir().canonicalize()?;
/// let odd = dir.join(".").join("..").join(dir.file_name().unwrap());
/// assert_eq!(corio::run(|| corio::fs::canonicalize(&odd))?, dir);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn canonicalize(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    let path = owned(path);
    hop(move || std::fs::canonicalize(path))
}
