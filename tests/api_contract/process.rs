//! Child processes: `corio::process`, std's shapes with parking waits and
//! pipes.

use super::*;
use corio::process::{
    Child, ChildStderr, ChildStdin, ChildStdout, Command, ExitStatus, Output, Stdio,
};
use std::ffi::OsStr;
use std::path::Path;

pub fn new<S: AsRef<OsStr>>(program: S) -> Command {
    Command::new(program)
}

pub fn arg<S: AsRef<OsStr>>(c: &mut Command, arg: S) -> &mut Command {
    c.arg(arg)
}

pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(c: &mut Command, args: I) -> &mut Command {
    c.args(args)
}

pub fn env<K: AsRef<OsStr>, V: AsRef<OsStr>>(c: &mut Command, key: K, val: V) -> &mut Command {
    c.env(key, val)
}

pub fn envs<I, K, V>(c: &mut Command, vars: I) -> &mut Command
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<OsStr>,
    V: AsRef<OsStr>,
{
    c.envs(vars)
}

pub fn env_remove<K: AsRef<OsStr>>(c: &mut Command, key: K) -> &mut Command {
    c.env_remove(key)
}

pub fn current_dir<P: AsRef<Path>>(c: &mut Command, dir: P) -> &mut Command {
    c.current_dir(dir)
}

pub fn stdio<T: Into<Stdio>>(c: &mut Command, i: T, o: T, e: T) -> &mut Command {
    c.stdin(i).stdout(o).stderr(e)
}

pub fn items() {
    let _: fn(&mut Command) -> &mut Command = Command::env_clear;
    let _: fn(&mut Command, bool) -> &mut Command = Command::kill_on_drop;
    let _: fn(&mut Command) -> io::Result<Child> = Command::spawn;
    let _: fn(&mut Command) -> io::Result<Output> = Command::output;
    let _: fn(&mut Command) -> io::Result<ExitStatus> = Command::status;
    let _: fn(&Command) -> &std::process::Command = Command::as_std;
    let _: fn(std::process::Command) -> Command = Command::from;

    let _: fn(&Child) -> u32 = Child::id;
    let _: fn(&mut Child) -> io::Result<()> = Child::kill;
    let _: fn(&mut Child) -> io::Result<Option<ExitStatus>> = Child::try_wait;
    let _: fn(&mut Child) -> io::Result<ExitStatus> = Child::wait;
    let _: fn(Child) -> io::Result<Output> = Child::wait_with_output;
    let _ = |c: Child| -> (Option<ChildStdin>, Option<ChildStdout>, Option<ChildStderr>) {
        let mut c = c;
        (c.stdin.take(), c.stdout.take(), c.stderr.take())
    };

    let _: fn(std::process::ChildStdin) -> io::Result<ChildStdin> = ChildStdin::from_std;
    let _: fn(std::process::ChildStdout) -> io::Result<ChildStdout> = ChildStdout::from_std;
    let _: fn(std::process::ChildStderr) -> io::Result<ChildStderr> = ChildStderr::from_std;
    let _: fn(ChildStdin) -> io::Result<Stdio> = Stdio::try_from;
    let _: fn(ChildStdout) -> io::Result<Stdio> = Stdio::try_from;
    let _: fn(ChildStderr) -> io::Result<Stdio> = Stdio::try_from;
    fn read<T: Read>() {}
    fn write<T: Write>() {}
    write::<ChildStdin>();
    write::<&ChildStdin>();
    read::<ChildStdout>();
    read::<&ChildStdout>();
    read::<ChildStderr>();
    read::<&ChildStderr>();
    assert_fd::<ChildStdin>();
    assert_fd::<ChildStdout>();
    assert_fd::<ChildStderr>();
    assert_debug::<Command>();
    assert_debug::<Child>();
    assert_debug::<ChildStdin>();
    assert_debug::<ChildStdout>();
    assert_debug::<ChildStderr>();
    // Like the sockets: `Send`, registered per runtime.
    fn send<T: Send>() {}
    send::<Command>();
    send::<Child>();
    send::<ChildStdin>();
    send::<ChildStdout>();
    send::<ChildStderr>();
    // std's own types, re-exported.
    let _: fn() -> std::process::Stdio = Stdio::piped;
    let _ = |o: Output| -> (std::process::ExitStatus, Vec<u8>, Vec<u8>) {
        (o.status, o.stdout, o.stderr)
    };
}

/// `cat` through the pinned names, and a shell's status.
pub fn program() -> io::Result<(Vec<u8>, Option<i32>)> {
    let mut command = new("cat");
    stdio(&mut command, Stdio::piped(), Stdio::piped(), Stdio::null());
    env(&mut command, "UNUSED", "1");
    let child = command.spawn()?;
    child
        .stdin
        .as_ref()
        .expect("piped")
        .write_all(b"through cat")?;
    let out = child.wait_with_output()?;
    let mut shell = new("sh");
    args(&mut shell, ["-c", "exit $CODE"]);
    envs(&mut shell, [("CODE", "6")]);
    current_dir(&mut shell, "/");
    let status = shell.status()?;
    Ok((out.stdout, status.code()))
}
