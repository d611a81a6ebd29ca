//! `corio::io::Registered`: any descriptor, parked on. A pipe and an
//! eventfd written from plain threads and read by tasks while other tasks
//! run; `readable` / `writable` waits on a full pipe; `into_inner`
//! deregisters (the descriptor can be registered again); the same calls
//! outside `run` block like std's; a value moved to another thread's
//! runtime and back; `Read` / `Write` through `&Registered<T>`.

mod util;

use std::fs::File;
use std::io::{self, BufRead, BufReader, ErrorKind, PipeReader, PipeWriter, Read, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::rc::Rc;
use std::sync::mpsc;

use corio::io::Registered;

/// A fresh eventfd (a kernel counter: writes add, a read takes the sum).
fn eventfd() -> File {
    // SAFETY: eventfd takes two integers and returns a new descriptor or -1.
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
    assert!(fd >= 0, "eventfd: {}", io::Error::last_os_error());
    // SAFETY: `fd` was just opened and nothing else owns it.
    File::from(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Whether `O_NONBLOCK` is set on `fd`.
fn nonblocking(fd: &impl AsFd) -> bool {
    // SAFETY: F_GETFL takes no argument; the descriptor is borrowed, so open.
    let flags = unsafe { libc::fcntl(fd.as_fd().as_raw_fd(), libc::F_GETFL) };
    assert_ne!(flags, -1);
    flags & libc::O_NONBLOCK != 0
}

/// Writes into `writer` until the pipe is full; returns the bytes written.
fn fill(writer: &PipeWriter) -> usize {
    let chunk = [b'x'; 4096];
    let mut total = 0;
    loop {
        match (&*writer).write(&chunk) {
            Ok(n) => total += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return total,
            Err(e) => panic!("filling the pipe: {e}"),
        }
    }
}

#[test]
fn a_pipe_written_by_a_thread_is_read_by_a_task_while_others_run() {
    let (reader, mut writer) = io::pipe().unwrap();
    let reader = Registered::new(reader).unwrap();
    assert!(nonblocking(reader.get_ref()));
    let lines = corio::run(move || -> io::Result<Vec<String>> {
        // The thread writes only once a task other than the reader ran.
        let (go, wait) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || -> io::Result<()> {
            wait.recv().expect("the ticker runs");
            writer.write_all(b"one\ntwo\n")?;
            wait.recv().expect("the ticker runs again");
            writer.write_all(b"three\n")
        });
        let reading = corio::spawn(move || -> io::Result<Vec<String>> {
            BufReader::new(&reader).lines().collect()
        });
        let ticker = corio::spawn(move || {
            for _ in 0..2 {
                go.send(()).unwrap();
                corio::sleep(util::ms(2));
            }
        });
        ticker.join().unwrap();
        thread.join().unwrap()?;
        reading.join().unwrap()
    })
    .unwrap();
    assert_eq!(lines, ["one", "two", "three"]);
}

#[test]
fn an_eventfd_bumped_by_threads_is_read_with_read_with() {
    let counter = eventfd();
    let bumpers: Vec<File> = (0..3).map(|_| counter.try_clone().unwrap()).collect();
    let counter = Registered::new(counter).unwrap();
    let total = corio::run(move || -> io::Result<u64> {
        let threads: Vec<_> = bumpers
            .into_iter()
            .enumerate()
            .map(|(i, file)| {
                std::thread::spawn(move || (&file).write_all(&(i as u64 + 1).to_ne_bytes()))
            })
            .collect();
        let mut total = 0;
        while total < 6 {
            total += counter.read_with(|mut file| {
                let mut bytes = [0u8; 8];
                file.read_exact(&mut bytes)?;
                Ok(u64::from_ne_bytes(bytes))
            })?;
        }
        for thread in threads {
            thread.join().unwrap()?;
        }
        Ok(total)
    })
    .unwrap();
    assert_eq!(total, 1 + 2 + 3);
}

#[test]
fn readable_and_writable_wait_for_readiness_on_a_pipe() {
    let (reader, writer) = io::pipe().unwrap();
    let reader = Rc::new(Registered::new(reader).unwrap());
    let writer = Rc::new(Registered::new(writer).unwrap());
    let log = corio::run(move || -> io::Result<Vec<&str>> {
        let log = util::log();
        let filled = fill(writer.get_ref());
        assert!(filled > 0);
        let (w, l) = (writer.clone(), log.clone());
        let waiting_writer = corio::spawn(move || -> io::Result<()> {
            w.writable()?; // parks: the pipe is full
            l.borrow_mut().push("writable");
            w.write_with(|mut w| w.write(b"!")).map(drop)
        });
        corio::yield_now();
        assert!(!waiting_writer.is_finished(), "a full pipe is not writable");
        log.borrow_mut().push("draining");
        let mut drained = vec![0u8; filled];
        (&*reader).read_exact(&mut drained)?;
        waiting_writer.join().unwrap()?;
        reader.readable()?; // the "!" is there: no wait
        let mut byte = [0u8; 1];
        (&*reader).read_exact(&mut byte)?;
        assert_eq!(&byte, b"!");

        let (r, l) = (reader.clone(), log.clone());
        let waiting_reader = corio::spawn(move || -> io::Result<()> {
            r.readable()?; // parks: the pipe is empty
            l.borrow_mut().push("readable");
            Ok(())
        });
        corio::yield_now();
        assert!(
            !waiting_reader.is_finished(),
            "an empty pipe is not readable"
        );
        log.borrow_mut().push("writing");
        (&*writer).write_all(b"?")?;
        waiting_reader.join().unwrap()?;
        (&*reader).read_exact(&mut byte)?;
        assert_eq!(&byte, b"?");
        // The write end closed: readable (at the end), and a read says so.
        drop(writer);
        reader.readable()?;
        assert_eq!((&*reader).read(&mut byte)?, 0);
        Ok(log.take())
    })
    .unwrap();
    assert_eq!(log, ["draining", "writable", "writing", "readable"]);
}

#[test]
fn into_inner_deregisters_so_the_descriptor_can_be_registered_again() {
    let (reader, writer) = io::pipe().unwrap();
    corio::run(move || -> io::Result<()> {
        let reader = Registered::new(reader)?;
        let writer = Rc::new(writer);
        let w = writer.clone();
        corio::spawn(move || (&*w).write_all(b"a"));
        let mut byte = [0u8; 1];
        (&reader).read_exact(&mut byte)?; // parks once: registered here
        let reader: PipeReader = reader.into_inner();
        assert!(nonblocking(&reader), "into_inner leaves the mode alone");
        // Registered again in the same runtime: epoll would refuse a
        // descriptor still in its set (EEXIST).
        let reader = Registered::new(reader)?;
        let w = writer.clone();
        corio::spawn(move || (&*w).write_all(b"b"));
        (&reader).read_exact(&mut byte)?;
        assert_eq!(&byte, b"b");
        Ok(())
    })
    .unwrap();
}

#[test]
fn outside_run_the_same_calls_block_the_thread_like_std() {
    let (reader, writer) = io::pipe().unwrap();
    let reader = Registered::new(reader).unwrap();
    let writer = Registered::new(writer).unwrap();
    let thread = std::thread::spawn(move || {
        let mut writer = writer;
        writer.write_all(b"outside").unwrap();
        writer.flush().unwrap();
    });
    reader.readable().unwrap();
    let mut got = Vec::new();
    let mut reader = reader;
    reader.read_to_end(&mut got).unwrap(); // until the thread drops the writer
    assert_eq!(got, b"outside");
    thread.join().unwrap();

    let counter = Registered::new(eventfd()).unwrap();
    let bumper = counter.get_ref().try_clone().unwrap();
    let thread = std::thread::spawn(move || (&bumper).write_all(&9u64.to_ne_bytes()));
    let value = counter
        .read_with(|mut file| {
            let mut bytes = [0u8; 8];
            file.read_exact(&mut bytes)
                .map(|()| u64::from_ne_bytes(bytes))
        })
        .unwrap();
    assert_eq!(value, 9);
    thread.join().unwrap().unwrap();
}

#[test]
fn a_registered_pipe_moved_to_another_runtime_and_back_keeps_working() {
    /// In the current runtime: a task parks reading one byte (registering
    /// the reader here), then this task writes it.
    fn relay(
        reader: Registered<PipeReader>,
        writer: PipeWriter,
        byte: u8,
    ) -> (Registered<PipeReader>, PipeWriter, u8) {
        corio::run(move || {
            let reading = corio::spawn(move || {
                let mut b = [0u8; 1];
                (&reader).read_exact(&mut b).unwrap();
                (reader, b[0])
            });
            corio::yield_now(); // the reader parks
            (&writer).write_all(&[byte]).unwrap();
            let (reader, got) = reading.join().unwrap();
            (reader, writer, got)
        })
    }
    let (reader, writer) = io::pipe().unwrap();
    let reader = Registered::new(reader).unwrap();
    let (reader, writer, first) = relay(reader, writer, b'1');
    let (reader, writer, second) = std::thread::spawn(move || relay(reader, writer, b'2'))
        .join()
        .unwrap();
    let (_, _, third) = relay(reader, writer, b'3');
    assert_eq!([first, second, third], *b"123");
}

#[test]
fn registered_values_expose_their_descriptor_and_debug() {
    let (reader, _writer) = io::pipe().unwrap();
    let fd = reader.as_raw_fd();
    let reader = Registered::new(reader).unwrap();
    assert_eq!(reader.as_raw_fd(), fd);
    assert_eq!(reader.as_fd().as_raw_fd(), fd);
    assert!(
        format!("{reader:?}").starts_with("Registered"),
        "{reader:?}"
    );
    // A closure's WouldBlock is retried; any other error comes out as is.
    let error = corio::run(|| {
        reader
            .read_with(|_| -> io::Result<()> { Err(io::Error::other("from the closure")) })
            .unwrap_err()
    });
    assert_eq!(error.to_string(), "from the closure");
}
