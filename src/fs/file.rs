//! [`File`]: std's `File`, each call one hop to the blocking pool.
//!
//! The std file sits in an `Arc` that every job in flight holds a clone
//! of, so a job that outlives its waiting task (cancelled meanwhile) still
//! has an open descriptor, never a closed or reused number.

use std::fmt;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::path::Path;
use std::sync::Arc;

use super::{Metadata, OpenOptions, Permissions, hop};

/// The most bytes one `read` or `write` hands to the pool (a bigger
/// caller buffer gets a shorter read or write, as `Read` and `Write`
/// allow): the pool's own buffer is allocated per call.
const MAX_HOP_BYTES: usize = 2 << 20;

/// An open file whose operations run on the blocking pool while the task
/// parks (std's [`std::fs::File`]; tokio's `tokio::fs::File`, without its
/// `async`).
///
/// `File` implements [`Read`], [`Write`] and [`Seek`], and so does
/// `&File` (the position is shared, as with std's `&File`), so
/// `std::io::BufReader<corio::fs::File>`, `io::copy` and other sync code
/// work over it unchanged. A `read` hops with a buffer of the pool's own
/// and copies it into yours once the task is back; `read_to_end`,
/// `read_to_string`, `read_exact` and `write_all` are one hop each, not
/// one per chunk. Outside [`run`](crate::run) every call runs inline, as
/// std's does.
///
/// Dropping a `File` closes it where it is dropped, as std's does (for a
/// local file the close does not wait for the disk). Data written is
/// not necessarily on the disk until [`sync_all`](File::sync_all).
///
/// # Examples
///
/// ```
/// use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
/// use corio::fs::File;
///
/// let path = std::env::temp_dir().join(format!("corio-file-doc-{}", std::process::id()));
/// let lines = corio::run(|| -> std::io::Result<Vec<String>> {
///     let mut file = File::options().read(true).write(true).create(true).truncate(true).open(&path)?;
///     file.write_all(b"one\ntwo\nthree\n")?; // one hop
///     file.seek(SeekFrom::Start(0))?;
///     BufReader::new(file).lines().collect() // one hop per buffer fill
/// })?;
/// assert_eq!(lines, ["one", "two", "three"]);
/// std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct File {
    /// Shared with the job in flight, if any (see the module docs).
    std: Arc<std::fs::File>,
}

impl File {
    /// Opens the file at `path` for reading (std's [`std::fs::File::open`]).
    ///
    /// # Errors
    ///
    /// As std's: `NotFound`, `PermissionDenied`, ...
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    ///
    /// let path = std::env::temp_dir().join(format!("corio-open-doc-{}", std::process::id()));
    /// std::fs::write(&path, "contents")?;
    /// let text = corio::run(|| -> std::io::Result<String> {
    ///     let mut text = String::new();
    ///     corio::fs::File::open(&path)?.read_to_string(&mut text)?;
    ///     Ok(text)
    /// })?;
    /// assert_eq!(text, "contents");
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(path)
    }

    /// Opens the file at `path` for writing, creating it or truncating it
    /// (std's [`std::fs::File::create`]).
    ///
    /// # Errors
    ///
    /// As std's.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    ///
    /// let path = std::env::temp_dir().join(format!("corio-create-doc-{}", std::process::id()));
    /// corio::run(|| corio::fs::File::create(&path)?.write_all(b"new"))?;
    /// assert_eq!(std::fs::read(&path)?, b"new");
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn create(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
    }

    /// Creates a new file at `path` for reading and writing, failing if
    /// anything is there already (std's [`std::fs::File::create_new`]).
    ///
    /// # Errors
    ///
    /// `AlreadyExists` if `path` exists; otherwise as std's.
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("corio-new-doc-{}", std::process::id()));
    /// let again = corio::run(|| {
    ///     corio::fs::File::create_new(&path)?;
    ///     corio::fs::File::create_new(&path).map(drop)
    /// });
    /// assert_eq!(again.unwrap_err().kind(), std::io::ErrorKind::AlreadyExists);
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn create_new(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
    }

    /// A fresh [`OpenOptions`] (std's [`std::fs::File::options`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    ///
    /// let path = std::env::temp_dir().join(format!("corio-opts-doc-{}", std::process::id()));
    /// std::fs::write(&path, "a")?;
    /// corio::run(|| corio::fs::File::options().append(true).open(&path)?.write_all(b"b"))?;
    /// assert_eq!(std::fs::read_to_string(&path)?, "ab");
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[must_use]
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Runs `f` with the std file on the pool (inline outside a task).
    fn with_std<T, F>(&self, f: F) -> io::Result<T>
    where
        F: FnOnce(&std::fs::File) -> io::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let std = Arc::clone(&self.std);
        hop(move || f(&std))
    }

    /// Flushes the file's data and metadata to the disk (std's
    /// [`std::fs::File::sync_all`]).
    ///
    /// # Errors
    ///
    /// As std's.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    ///
    /// let path = std::env::temp_dir().join(format!("corio-sync-doc-{}", std::process::id()));
    /// corio::run(|| -> std::io::Result<()> {
    ///     let mut file = corio::fs::File::create(&path)?;
    ///     file.write_all(b"durable")?;
    ///     file.sync_all() // on the disk when this returns
    /// })?;
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn sync_all(&self) -> io::Result<()> {
        self.with_std(|f| f.sync_all())
    }

    /// Flushes the file's data, and only the metadata needed to read it
    /// back, to the disk (std's [`std::fs::File::sync_data`]).
    ///
    /// # Errors
    ///
    /// As std's.
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("corio-sdata-doc-{}", std::process::id()));
    /// corio::run(|| corio::fs::File::create(&path)?.sync_data())?;
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn sync_data(&self) -> io::Result<()> {
        self.with_std(|f| f.sync_data())
    }

    /// Truncates or extends (with zeros) the file to `size` bytes; the
    /// position does not move (std's [`std::fs::File::set_len`]).
    ///
    /// # Errors
    ///
    /// As std's: the file is not open for writing, ...
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("corio-len-doc-{}", std::process::id()));
    /// std::fs::write(&path, "0123456789")?;
    /// corio::run(|| corio::fs::File::options().write(true).open(&path)?.set_len(4))?;
    /// assert_eq!(std::fs::read_to_string(&path)?, "0123");
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_len(&self, size: u64) -> io::Result<()> {
        self.with_std(move |f| f.set_len(size))
    }

    /// The open file's metadata (std's [`std::fs::File::metadata`]).
    ///
    /// # Errors
    ///
    /// As std's.
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("corio-fmeta-doc-{}", std::process::id()));
    /// std::fs::write(&path, "abc")?;
    /// let len = corio::run(|| Ok::<_, std::io::Error>(corio::fs::File::open(&path)?.metadata()?.len()))?;
    /// assert_eq!(len, 3);
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn metadata(&self) -> io::Result<Metadata> {
        self.with_std(|f| f.metadata())
    }

    /// Changes the file's permissions (std's
    /// [`std::fs::File::set_permissions`]).
    ///
    /// # Errors
    ///
    /// As std's.
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("corio-perm-doc-{}", std::process::id()));
    /// let readonly = corio::run(|| -> std::io::Result<bool> {
    ///     let file = corio::fs::File::create(&path)?;
    ///     let mut permissions = file.metadata()?.permissions();
    ///     permissions.set_readonly(true);
    ///     file.set_permissions(permissions)?;
    ///     Ok(file.metadata()?.permissions().readonly())
    /// })?;
    /// assert!(readonly);
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_permissions(&self, permissions: Permissions) -> io::Result<()> {
        self.with_std(move |f| f.set_permissions(permissions))
    }

    /// A second `File` for the same open file (a `dup`; std's
    /// [`std::fs::File::try_clone`]): both share the position.
    ///
    /// # Errors
    ///
    /// As std's: out of descriptors, ...
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    ///
    /// let path = std::env::temp_dir().join(format!("corio-dup-doc-{}", std::process::id()));
    /// let rest = corio::run(|| -> std::io::Result<String> {
    ///     let mut file = corio::fs::File::create_new(&path)?;
    ///     let mut twin = file.try_clone()?;
    ///     file.write_all(b"abc")?;
    ///     twin.write_all(b"def")?; // after "abc": one shared position
    ///     corio::fs::read_to_string(&path)
    /// })?;
    /// assert_eq!(rest, "abcdef");
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_clone(&self) -> io::Result<File> {
        self.with_std(|f| f.try_clone()).map(File::from)
    }

    /// One `read`: into an owned buffer on the pool, then copied into `buf`.
    fn read_hop(&self, buf: &mut [u8]) -> io::Result<usize> {
        let len = buf.len().min(MAX_HOP_BYTES);
        if len == 0 {
            return Ok(0);
        }
        let (filled, n) = self.with_std(move |mut f| {
            let mut owned = vec![0; len];
            let n = f.read(&mut owned)?;
            Ok((owned, n))
        })?;
        buf[..n].copy_from_slice(&filled[..n]);
        Ok(n)
    }

    /// `read_to_end` in one hop: the pool reads into a vector of its own,
    /// appended to `buf` once the task is back.
    fn read_to_end_hop(&self, buf: &mut Vec<u8>) -> io::Result<usize> {
        let tail = self.with_std(|mut f| {
            let mut tail = Vec::new();
            f.read_to_end(&mut tail).map(|_| tail)
        })?;
        buf.extend_from_slice(&tail);
        Ok(tail.len())
    }

    /// `read_exact` in one hop.
    fn read_exact_hop(&self, buf: &mut [u8]) -> io::Result<()> {
        let len = buf.len();
        let filled = self.with_std(move |mut f| {
            let mut owned = vec![0; len];
            f.read_exact(&mut owned).map(|()| owned)
        })?;
        buf.copy_from_slice(&filled);
        Ok(())
    }

    /// One `write` of a copy of (at most [`MAX_HOP_BYTES`] of) `buf`.
    fn write_hop(&self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let owned = buf[..buf.len().min(MAX_HOP_BYTES)].to_vec();
        self.with_std(move |mut f| f.write(&owned))
    }

    /// `write_all` of a copy of `buf`, in one hop.
    fn write_all_hop(&self, buf: &[u8]) -> io::Result<()> {
        if buf.is_empty() {
            return Ok(());
        }
        let owned = buf.to_vec();
        self.with_std(move |mut f| f.write_all(&owned))
    }

    fn seek_hop(&self, pos: SeekFrom) -> io::Result<u64> {
        self.with_std(move |mut f| f.seek(pos))
    }
}

/// Takes a std file over; its calls hop from now on.
///
/// # Examples
///
/// ```
/// use std::os::unix::fs::FileTypeExt;
///
/// let file = corio::fs::File::from(std::fs::File::open("/dev/null")?);
/// assert!(corio::run(|| file.metadata())?.file_type().is_char_device());
/// # Ok::<(), std::io::Error>(())
/// ```
impl From<std::fs::File> for File {
    fn from(std: std::fs::File) -> File {
        File { std: Arc::new(std) }
    }
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File").field("std", &*self.std).finish()
    }
}

impl AsFd for File {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.std.as_fd()
    }
}

impl AsRawFd for File {
    fn as_raw_fd(&self) -> RawFd {
        self.std.as_raw_fd()
    }
}

impl Read for &File {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_hop(buf)
    }

    fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        self.read_to_end_hop(buf)
    }

    fn read_to_string(&mut self, buf: &mut String) -> io::Result<usize> {
        let mut bytes = Vec::new();
        self.read_to_end_hop(&mut bytes)?;
        let text = String::from_utf8(bytes).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            )
        })?;
        buf.push_str(&text);
        Ok(text.len())
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        self.read_exact_hop(buf)
    }
}

impl Write for &File {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_hop(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.write_all_hop(buf)
    }

    /// A std file has no user-space buffer: nothing to flush, no hop.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for &File {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.seek_hop(pos)
    }
}

impl Read for File {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }

    fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        (&*self).read_to_end(buf)
    }

    fn read_to_string(&mut self, buf: &mut String) -> io::Result<usize> {
        (&*self).read_to_string(buf)
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        (&*self).read_exact(buf)
    }
}

impl Write for File {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        (&*self).write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        (&*self).flush()
    }
}

impl Seek for File {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        (&*self).seek(pos)
    }
}
