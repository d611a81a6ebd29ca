//! The wire format of a soak message and the random numbers that fill it.
//!
//! A frame is `len: u32 | conn: u32 | seq: u32 | payload (len bytes) |
//! checksum: u32`, little-endian, the checksum being FNV-1a over every
//! byte before it. The connection id and sequence number make a frame
//! unique, so an echo that came back on the wrong connection, twice, or
//! out of order does not match what was sent.

/// Bytes before the payload: length, connection id, sequence number.
pub const HEADER: usize = 12;

/// Bytes after the payload: the checksum.
pub const TRAILER: usize = 4;

/// The largest payload: frames stay well inside the loopback socket
/// buffers, so a client that writes a whole frame before reading its echo
/// cannot fill both directions and deadlock with the echo server.
pub const MAX_PAYLOAD: usize = 16 * 1024;

/// A small, fast, seedable generator (xorshift64*): payload bytes, lengths
/// and pauses, reproducible from the run's seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`, well mixed (splitmix64) so that neighbouring
    /// seeds (slot numbers) give unrelated streams.
    pub fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0; the slight modulo bias is harmless here).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// A random payload length in `0..MAX_PAYLOAD`, spread over the orders of
/// magnitude (as many frames under 64 bytes as between 8 and 16 KiB), so
/// both the many-small-frames and the frame-split-over-reads paths run.
pub fn payload_len(rng: &mut Rng) -> usize {
    let bits = rng.below(u64::from(MAX_PAYLOAD.trailing_zeros()) + 1);
    rng.below(1 << bits) as usize
}

/// FNV-1a, 32 bits: cheap, and any changed byte changes it.
pub fn checksum(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811C_9DC5, |hash: u32, &byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

/// Writes a frame of `len` random payload bytes into `out` (cleared first).
pub fn encode(out: &mut Vec<u8>, conn: u32, seq: u32, len: usize, rng: &mut Rng) {
    out.clear();
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.extend_from_slice(&conn.to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    while out.len() < HEADER + len {
        let word = rng.next_u64().to_le_bytes();
        let room = HEADER + len - out.len();
        out.extend_from_slice(&word[..room.min(8)]);
    }
    let sum = checksum(out);
    out.extend_from_slice(&sum.to_le_bytes());
}

/// Whether `echo` is exactly the frame `sent`: its length field is the
/// length received, its checksum holds, and every byte equals the byte sent.
pub fn intact(echo: &[u8], sent: &[u8]) -> bool {
    if echo.len() != sent.len() || echo.len() < HEADER + TRAILER {
        return false;
    }
    let (body, trailer) = echo.split_at(echo.len() - TRAILER);
    let len = u32::from_le_bytes(body[..4].try_into().expect("four bytes")) as usize;
    let sum = u32::from_le_bytes(trailer.try_into().expect("four bytes"));
    len == body.len() - HEADER && sum == checksum(body) && echo == sent
}
