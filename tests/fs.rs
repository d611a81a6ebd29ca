//! `corio::fs` with real files: std's results in a task and outside `run`,
//! the loop left running while a call blocks (a FIFO whose other end the
//! same runtime opens), owned buffers across a cancelled read, and
//! `BufReader` over a `File`.

mod util;

use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use corio::fs::{self, File, OpenOptions};

/// A fresh, empty directory for one test, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("corio-fs-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("make the test directory");
        TempDir(dir)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Makes a FIFO (named pipe) at `path`.
fn mkfifo(path: &Path) {
    let mut name = path.as_os_str().as_bytes().to_vec();
    name.push(0);
    // SAFETY: `name` is a NUL-terminated path that lives across the call.
    let made = unsafe { libc::mkfifo(name.as_ptr().cast(), 0o600) };
    assert_eq!(made, 0, "mkfifo: {}", io::Error::last_os_error());
}

/// The same sequence of calls, run in a task and outside `run`.
fn tour(dir: &TempDir) -> io::Result<Vec<String>> {
    let mut seen = Vec::new();
    fs::create_dir_all(dir.join("a/b"))?;
    fs::write(dir.join("a/b/one.txt"), "first line\nsecond line\n")?;
    seen.push(fs::read_to_string(dir.join("a/b/one.txt"))?);
    seen.push(format!("{:?}", fs::read(dir.join("a/b/one.txt"))?.len()));
    fs::rename(dir.join("a/b/one.txt"), dir.join("a/two.txt"))?;
    seen.push(format!(
        "copied {}",
        fs::copy(dir.join("a/two.txt"), dir.join("a/three.txt"))?
    ));
    let meta = fs::metadata(dir.join("a/two.txt"))?;
    seen.push(format!("file {} len {}", meta.is_file(), meta.len()));
    let mut names: Vec<String> = fs::read_dir(dir.join("a"))?
        .map(|entry| {
            let entry = entry?;
            let kind = if entry.file_type().is_dir() {
                "dir".to_string()
            } else {
                format!("file {}", entry.metadata()?.len())
            };
            let name = entry.file_name().to_string_lossy().into_owned();
            assert_eq!(entry.path(), dir.join("a").join(&name));
            Ok(format!("{name} {kind}"))
        })
        .collect::<io::Result<_>>()?;
    names.sort();
    seen.extend(names);
    fs::remove_file(dir.join("a/three.txt"))?;
    fs::create_dir(dir.join("empty"))?;
    fs::remove_dir(dir.join("empty"))?;
    let missing = fs::read(dir.join("missing")).unwrap_err();
    seen.push(format!("missing {:?}", missing.kind()));
    let exists = fs::create_dir(dir.join("a")).unwrap_err();
    seen.push(format!("exists {:?}", exists.kind()));
    let canonical = fs::canonicalize(dir.join("a/b/../two.txt"))?;
    seen.push(format!(
        "canonical {}",
        canonical == std::fs::canonicalize(dir.join("a/two.txt"))?
    ));
    fs::remove_dir_all(dir.join("a"))?;
    seen.push(format!("gone {}", !dir.join("a").exists()));
    Ok(seen)
}

#[test]
fn the_free_functions_give_std_results_in_a_task_and_outside_run() {
    let expected = [
        "first line\nsecond line\n",
        "23",
        "copied 23",
        "file true len 23",
        "b dir",
        "three.txt file 23",
        "two.txt file 23",
        "missing NotFound",
        "exists AlreadyExists",
        "canonical true",
        "gone true",
    ];
    let dir = TempDir::new("tour");
    assert_eq!(corio::run(|| tour(&dir)).unwrap(), expected);
    assert_eq!(
        tour(&dir).unwrap(),
        expected,
        "outside run: std's behaviour"
    );
}

#[test]
fn a_file_reads_writes_seeks_and_works_under_bufreader() {
    let dir = TempDir::new("file");
    let path = dir.join("lines.txt");
    let (lines, tail, len, appended) = corio::run(|| -> io::Result<_> {
        let mut file = File::create(&path)?;
        for n in 0..1000 {
            writeln!(file, "line {n}")?; // many small writes, each a hop
        }
        file.sync_all()?;
        drop(file);

        let lines: Vec<String> = BufReader::new(File::open(&path)?)
            .lines()
            .collect::<io::Result<_>>()?;

        // Seek and read through &File, as with std.
        let file = OpenOptions::new().read(true).write(true).open(&path)?;
        let start = (&file).seek(SeekFrom::End(-9))?;
        let mut tail = String::new();
        (&file).read_to_string(&mut tail)?;
        assert_eq!(start + 9, file.metadata()?.len());
        file.set_len(5)?;
        let len = file.metadata()?.len();
        let mut exact = [0u8; 5];
        (&file).seek(SeekFrom::Start(0))?;
        (&file).read_exact(&mut exact)?;
        assert_eq!(&exact, b"line ");
        let eof = (&file).read_exact(&mut exact).unwrap_err();
        assert_eq!(eof.kind(), io::ErrorKind::UnexpectedEof);

        let mut log = File::options().append(true).open(&path)?;
        log.write_all(b"+appended")?;
        let mut appended = String::new();
        File::open(&path)?.read_to_string(&mut appended)?;
        Ok((lines, tail, len, appended))
    })
    .unwrap();
    assert_eq!(lines.len(), 1000);
    assert_eq!(lines[0], "line 0");
    assert_eq!(lines[999], "line 999");
    assert_eq!(tail, "line 999\n");
    assert_eq!(len, 5);
    assert_eq!(appended, "line +appended");
}

#[test]
fn big_reads_and_writes_come_back_whole() {
    let dir = TempDir::new("big");
    let path = dir.join("big.bin");
    let data: Vec<u8> = (0..5_000_000u32).map(|n| (n % 251) as u8).collect();
    let (whole, chunked) = corio::run(|| -> io::Result<_> {
        File::create(&path)?.write_all(&data)?; // one hop, over MAX_HOP_BYTES
        let mut whole = Vec::new();
        File::open(&path)?.read_to_end(&mut whole)?;
        // A plain read loop: each read at most one pool buffer.
        let mut file = File::open(&path)?;
        let mut chunked = Vec::new();
        let mut buf = vec![0u8; 3 << 20];
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            chunked.extend_from_slice(&buf[..n]);
        }
        Ok((whole, chunked))
    })
    .unwrap();
    assert!(whole == data, "read_to_end differs");
    assert!(chunked == data, "a read loop differs");
}

#[test]
fn open_errors_and_options_are_stds() {
    let dir = TempDir::new("options");
    let path = dir.join("new.txt");
    corio::run(|| {
        let missing = File::open(dir.join("missing")).unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
        File::create_new(&path).unwrap();
        let again = File::create_new(&path).unwrap_err();
        assert_eq!(again.kind(), io::ErrorKind::AlreadyExists);
        let nothing = OpenOptions::new().open(&path).unwrap_err();
        assert_eq!(nothing.kind(), io::ErrorKind::InvalidInput);
        // Read-only: writing fails as std's does.
        let mut read_only = File::open(&path).unwrap();
        assert!(read_only.write(b"x").is_err());
        let from_std = OpenOptions::from(std::fs::OpenOptions::new().read(true).clone());
        assert!(from_std.open(&path).is_ok());
    });
}

#[test]
fn a_call_that_blocks_parks_its_task_and_the_loop_goes_on() {
    // Opening a FIFO blocks until its other end opens. Both ends are
    // opened by tasks of one runtime: if an open ran on the loop's
    // thread, the other task could never run and this would hang.
    let dir = TempDir::new("fifo");
    let fifo = dir.join("fifo");
    mkfifo(&fifo);
    let got = corio::run(|| {
        let reader = corio::spawn({
            let fifo = fifo.clone();
            move || -> io::Result<String> {
                let mut text = String::new();
                File::open(&fifo)?.read_to_string(&mut text)?; // blocks a pool thread
                Ok(text)
            }
        });
        corio::yield_now(); // the reader starts and parks in its open
        let mut writer = OpenOptions::new().write(true).open(&fifo).unwrap();
        writer.write_all(b"through the fifo").unwrap();
        drop(writer);
        reader.join().unwrap()
    });
    assert_eq!(got.unwrap(), "through the fifo");
}

#[test]
fn a_read_cancelled_in_flight_leaves_nothing_behind() {
    // The reader's job blocks on the pool while its task is aborted: the
    // task's stack unwinds and is reused at once, while the job goes on
    // filling its own buffer (memcheck would flag a write into the stack).
    let dir = TempDir::new("cancel");
    let fifo = dir.join("fifo");
    mkfifo(&fifo);
    let writer_end = {
        // Open both ends first: each open waits for the other.
        let fifo = fifo.clone();
        std::thread::spawn(move || OpenOptions::new().write(true).open(&fifo).unwrap())
    };
    let reader = File::open(&fifo).unwrap(); // outside run: inline, like std
    let mut writer = writer_end.join().unwrap();
    let outcome = corio::run(move || {
        let reader = std::rc::Rc::new(reader);
        let r = std::rc::Rc::clone(&reader);
        let task = corio::spawn(move || {
            let mut buf = [0u8; 64];
            (&*r).read(&mut buf) // parks: nothing written yet
        });
        corio::yield_now();
        task.abort();
        let cancelled = task.join().unwrap_err().is_cancelled();
        // Reuse the freed stack, then let the job finish.
        let sum = corio::spawn(|| [1u8; 4096].iter().map(|&b| u32::from(b)).sum::<u32>());
        let sum = sum.join().unwrap();
        writer.write_all(b"late bytes").unwrap();
        drop(writer);
        // Whichever read runs first takes the bytes (a cancelled job's
        // are dropped with its result); then both see the end.
        let mut rest = Vec::new();
        (&*reader).read_to_end(&mut rest).unwrap();
        (cancelled, sum, rest.is_empty() || rest == b"late bytes")
    });
    assert_eq!(outcome, (true, 4096, true));
    corio::retire_blocking_threads(); // the job has ended
}

#[test]
fn a_file_moves_between_runtimes_and_threads() {
    let dir = TempDir::new("threads");
    let path = dir.join("shared.txt");
    let file = corio::run(|| File::create(&path).unwrap());
    let file = std::thread::spawn(move || {
        corio::run(move || {
            (&file).write_all(b"from another runtime").unwrap();
            file
        })
    })
    .join()
    .unwrap();
    drop(file);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "from another runtime"
    );
}
