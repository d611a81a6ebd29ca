//! Unix signals: `corio::signal`.

use super::*;
use corio::signal::Signals;

pub fn new<I: IntoIterator<Item = i32>>(signals: I) -> io::Result<Signals> {
    Signals::new(signals)
}

pub fn items() {
    let _: fn() -> io::Result<()> = corio::signal::ctrl_c;
    let _: fn(&mut Signals) -> Option<i32> = Signals::recv;
    let _: fn(&mut Signals) -> Option<i32> = Signals::try_recv;
    assert_iterator::<Signals, i32>();
    assert_debug::<Signals>();
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Signals>();
}
