//! [`read_dir`]: a directory's entries, read in one hop and handed out as
//! owned values.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

use super::{FileType, Metadata, hop, owned};

/// The entries of the directory at `path` (std's [`std::fs::read_dir`]),
/// all read in one hop: the iterator never goes back to the disk.
///
/// Each entry is an `io::Result<DirEntry>`, as with std: reading an entry
/// (or its file type) can fail on its own. `.` and `..` are left out; the
/// order is the file system's. The whole listing is in memory at once,
/// which for a directory of a million entries is some 100 MB: for such a
/// directory, walk it with `std::fs::read_dir` inside one
/// [`corio::unblock`](crate::unblock) instead.
///
/// # Errors
///
/// As [`std::fs::read_dir`]: the directory cannot be opened.
///
/// # Examples
///
/// ```
/// let dir = std::env::temp_dir().join(format!("corio-ls-doc-{}", std::process::id()));
/// std::fs::create_dir_all(dir.join("sub"))?;
/// std::fs::write(dir.join("file.txt"), "")?;
/// let mut names = corio::run(|| -> std::io::Result<Vec<String>> {
///     corio::fs::read_dir(&dir)?
///         .map(|entry| {
///             let entry = entry?;
///             let kind = if entry.file_type().is_dir() { "dir" } else { "file" };
///             Ok(format!("{} {kind}", entry.file_name().to_string_lossy()))
///         })
///         .collect()
/// })?;
/// names.sort();
/// assert_eq!(names, ["file.txt file", "sub dir"]);
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let path = owned(path);
    let entries = hop(move || {
        let entries = std::fs::read_dir(path)?.map(|entry| {
            let entry = entry?;
            Ok(DirEntry {
                file_type: entry.file_type()?,
                path: entry.path(),
                file_name: entry.file_name(),
            })
        });
        Ok(entries.collect::<Vec<_>>())
    })?;
    Ok(ReadDir(entries.into_iter()))
}

/// The entries of a directory, read by [`read_dir`]: an iterator of
/// `io::Result<DirEntry>` that holds them all and never blocks.
///
/// # Examples
///
/// ```
/// let dir = std::env::temp_dir().join(format!("corio-rd-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let entries = corio::run(|| corio::fs::read_dir(&dir))?;
/// assert_eq!(entries.count(), 0);
/// std::fs::remove_dir(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct ReadDir(std::vec::IntoIter<io::Result<DirEntry>>);

impl Iterator for ReadDir {
    type Item = io::Result<DirEntry>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl ExactSizeIterator for ReadDir {}

/// One entry of a directory: its path, name and type, owned (std's
/// [`std::fs::DirEntry`], with the file type read up front).
///
/// # Examples
///
/// ```
/// let dir = std::env::temp_dir().join(format!("corio-de-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// std::fs::write(dir.join("a"), "12")?;
/// let (path, len) = corio::run(|| -> std::io::Result<_> {
///     let entry = corio::fs::read_dir(&dir)?.next().expect("one entry")?;
///     Ok((entry.path(), entry.metadata()?.len()))
/// })?;
/// assert_eq!((path, len), (dir.join("a"), 2));
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct DirEntry {
    path: PathBuf,
    file_name: OsString,
    file_type: FileType,
}

impl DirEntry {
    /// The entry's full path: the directory given to [`read_dir`] joined
    /// with [`file_name`](DirEntry::file_name) (a copy, as std's).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("corio-dep-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// std::fs::write(dir.join("x"), "")?;
    /// let entry = corio::run(|| corio::fs::read_dir(&dir))?.next().unwrap()?;
    /// assert_eq!(entry.path(), dir.join("x"));
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// The entry's name inside its directory (a copy, as std's).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("corio-den-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// std::fs::write(dir.join("name.txt"), "")?;
    /// let entry = corio::run(|| corio::fs::read_dir(&dir))?.next().unwrap()?;
    /// assert_eq!(entry.file_name(), "name.txt");
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn file_name(&self) -> OsString {
        self.file_name.clone()
    }

    /// The entry's type, as read with the listing (a symbolic link is a
    /// symbolic link, not what it points to); never blocks.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("corio-det-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(dir.join("inner"))?;
    /// let entry = corio::run(|| corio::fs::read_dir(&dir))?.next().unwrap()?;
    /// assert!(entry.file_type().is_dir());
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn file_type(&self) -> FileType {
        self.file_type
    }

    /// The entry's metadata, not following a symbolic link, read now in
    /// one hop (std's [`std::fs::DirEntry::metadata`]).
    ///
    /// # Errors
    ///
    /// As [`std::fs::symlink_metadata`]: the entry may be gone by now.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("corio-dem-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// std::fs::write(dir.join("four"), "1234")?;
    /// let len = corio::run(|| -> std::io::Result<u64> {
    ///     let entry = corio::fs::read_dir(&dir)?.next().unwrap()?;
    ///     Ok(entry.metadata()?.len()) // one more hop
    /// })?;
    /// assert_eq!(len, 4);
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn metadata(&self) -> io::Result<Metadata> {
        super::symlink_metadata(&self.path)
    }
}
