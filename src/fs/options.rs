//! [`OpenOptions`]: std's builder, whose `open` hops.

use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::{File, hop, owned};

/// How to open a file: std's [`std::fs::OpenOptions`] builder, whose
/// [`open`](OpenOptions::open) runs on the blocking pool.
///
/// Every setter takes and returns `&mut Self`, as std's do, so calls
/// chain; the builder is `Clone` and may be reused.
///
/// # Examples
///
/// ```
/// use std::io::Write;
/// use corio::fs::OpenOptions;
///
/// let path = std::env::temp_dir().join(format!("corio-oo-doc-{}", std::process::id()));
/// corio::run(|| -> std::io::Result<()> {
///     let mut log = OpenOptions::new().append(true).create(true).open(&path)?;
///     log.write_all(b"first\n")?;
///     let mut again = OpenOptions::new().append(true).open(&path)?;
///     again.write_all(b"second\n")
/// })?;
/// assert_eq!(std::fs::read_to_string(&path)?, "first\nsecond\n");
/// std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct OpenOptions(std::fs::OpenOptions);

impl OpenOptions {
    /// Options with everything off (std's [`std::fs::OpenOptions::new`]):
    /// set at least `read`, `write` or `append` before opening.
    ///
    /// # Examples
    ///
    /// ```
    /// let options = corio::fs::OpenOptions::new();
    /// // Nothing asked for: opening fails, as with std.
    /// let refused = corio::run(|| options.open("/dev/null").map(drop));
    /// assert_eq!(refused.unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
    /// ```
    #[must_use]
    pub fn new() -> OpenOptions {
        OpenOptions(std::fs::OpenOptions::new())
    }

    /// Opens for reading.
    ///
    /// # Examples
    ///
    /// ```
    /// let file = corio::run(|| corio::fs::OpenOptions::new().read(true).open("/dev/null"));
    /// assert!(file.is_ok());
    /// ```
    pub fn read(&mut self, read: bool) -> &mut Self {
        self.0.read(read);
        self
    }

    /// Opens for writing (at the start of the file, over what is there
    /// unless `truncate` or `append` is set too).
    ///
    /// # Examples
    ///
    /// ```
    /// let file = corio::run(|| corio::fs::OpenOptions::new().write(true).open("/dev/null"));
    /// assert!(file.is_ok());
    /// ```
    pub fn write(&mut self, write: bool) -> &mut Self {
        self.0.write(write);
        self
    }

    /// Opens for appending: every write goes to the current end of the
    /// file, whatever the position.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    ///
    /// let path = std::env::temp_dir().join(format!("corio-app-doc-{}", std::process::id()));
    /// std::fs::write(&path, "log:")?;
    /// corio::run(|| corio::fs::OpenOptions::new().append(true).open(&path)?.write_all(b" more"))?;
    /// assert_eq!(std::fs::read_to_string(&path)?, "log: more");
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn append(&mut self, append: bool) -> &mut Self {
        self.0.append(append);
        self
    }

    /// Truncates the file to length 0 on opening (needs `write`).
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("corio-trunc-doc-{}", std::process::id()));
    /// std::fs::write(&path, "old contents")?;
    /// corio::run(|| corio::fs::OpenOptions::new().write(true).truncate(true).open(&path))?;
    /// assert_eq!(std::fs::read(&path)?.len(), 0);
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn truncate(&mut self, truncate: bool) -> &mut Self {
        self.0.truncate(truncate);
        self
    }

    /// Creates the file if it does not exist (needs `write` or `append`).
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("corio-mk-doc-{}", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// corio::run(|| corio::fs::OpenOptions::new().write(true).create(true).open(&path))?;
    /// assert!(path.is_file());
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn create(&mut self, create: bool) -> &mut Self {
        self.0.create(create);
        self
    }

    /// Creates the file, failing with `AlreadyExists` if anything is at
    /// the path (atomically: `O_CREAT | O_EXCL`).
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("corio-excl-doc-{}", std::process::id()));
    /// let mut options = corio::fs::OpenOptions::new();
    /// options.write(true).create_new(true);
    /// let second = corio::run(|| {
    ///     options.open(&path)?;
    ///     options.open(&path).map(drop)
    /// });
    /// assert_eq!(second.unwrap_err().kind(), std::io::ErrorKind::AlreadyExists);
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn create_new(&mut self, create_new: bool) -> &mut Self {
        self.0.create_new(create_new);
        self
    }

    /// The permission bits a newly created file gets, before the umask
    /// (std's `OpenOptionsExt::mode`; the default is `0o666`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::fs::PermissionsExt;
    ///
    /// let path = std::env::temp_dir().join(format!("corio-mode-doc-{}", std::process::id()));
    /// let file = corio::run(|| {
    ///     corio::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path)
    /// })?;
    /// assert_eq!(std::fs::metadata(&path)?.permissions().mode() & 0o777, 0o600);
    /// drop(file);
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn mode(&mut self, mode: u32) -> &mut Self {
        self.0.mode(mode);
        self
    }

    /// Opens the file at `path` with these options, on the blocking pool
    /// (std's [`std::fs::OpenOptions::open`]).
    ///
    /// Opening can block for long: on a network file system, or on a
    /// FIFO, which waits for its other end to open.
    ///
    /// # Errors
    ///
    /// As std's: `NotFound`, `AlreadyExists` with `create_new`,
    /// `InvalidInput` for a contradictory set of options, ...
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    ///
    /// let mut zeros = [1u8; 4];
    /// corio::run(|| corio::fs::OpenOptions::new().read(true).open("/dev/zero")?.read_exact(&mut zeros))?;
    /// assert_eq!(zeros, [0; 4]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        let (options, path) = (self.0.clone(), owned(path));
        hop(move || options.open(path)).map(File::from)
    }
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions::new()
    }
}

impl From<std::fs::OpenOptions> for OpenOptions {
    /// Takes std's options over, with any `OpenOptionsExt` flags set on
    /// them (`custom_flags`, `mode`).
    fn from(options: std::fs::OpenOptions) -> Self {
        OpenOptions(options)
    }
}
