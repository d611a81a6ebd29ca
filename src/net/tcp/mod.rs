//! TCP: [`TcpListener`] (with [`Incoming`]) and [`TcpStream`].

mod listener;
mod stream;

pub use listener::{Incoming, TcpListener};
pub use stream::TcpStream;
