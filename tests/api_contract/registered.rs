//! Any descriptor, parked on: `corio::io::Registered`.

use super::*;
use std::io::{PipeReader, PipeWriter};
use std::os::fd::AsFd;

pub fn new<T: AsFd>(io: T) -> io::Result<Registered<T>> {
    Registered::new(io)
}

pub fn read_with<T: AsFd, R>(
    r: &Registered<T>,
    op: impl FnMut(&T) -> io::Result<R>,
) -> io::Result<R> {
    r.read_with(op)
}

pub fn write_with<T: AsFd, R>(
    r: &Registered<T>,
    op: impl FnMut(&T) -> io::Result<R>,
) -> io::Result<R> {
    r.write_with(op)
}

pub fn methods() {
    let _: fn(&Registered<PipeReader>) -> &PipeReader = Registered::get_ref;
    let _: fn(Registered<PipeReader>) -> PipeReader = Registered::into_inner;
    let _: fn(&Registered<PipeReader>) -> io::Result<()> = Registered::readable;
    let _: fn(&Registered<PipeWriter>) -> io::Result<()> = Registered::writable;
    // `Read` / `Write` where `&T` has them.
    fn read<T: Read>() {}
    fn write<T: Write>() {}
    read::<Registered<PipeReader>>();
    read::<&Registered<PipeReader>>();
    write::<Registered<PipeWriter>>();
    write::<&Registered<PipeWriter>>();
    assert_fd::<Registered<PipeReader>>();
    assert_debug::<Registered<PipeReader>>();
    fn send<T: Send>() {}
    send::<Registered<PipeReader>>();
}
