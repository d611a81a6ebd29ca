//! Byte-level mutations of a seed input, biased towards what breaks
//! parsers: protocol punctuation, digits, boundary lengths, repeated
//! pieces (header floods), truncation and random binary.

use crate::rng::Rng;

/// Bytes protocol parsers treat specially.
const INTERESTING: &[u8] = b"\r\n :/?%\t\0\x7f\x80\xff0123456789-+,;=\"";

/// A mutated copy of one of `seeds` (spliced with another sometimes), at
/// most `max_len` bytes long.
pub fn mutate(rng: &mut Rng, seeds: &[Vec<u8>], max_len: usize) -> Vec<u8> {
    let mut data = rng.pick(seeds).clone();
    let rounds = 1 + rng.size(15);
    for _ in 0..rounds {
        step(rng, &mut data, seeds);
    }
    data.truncate(max_len);
    data
}

fn step(rng: &mut Rng, data: &mut Vec<u8>, seeds: &[Vec<u8>]) {
    let len = data.len();
    let at = |rng: &mut Rng| rng.below(len + 1);
    match rng.below(11) {
        // Flip one bit.
        0 if len > 0 => {
            let i = rng.below(len);
            data[i] ^= 1 << rng.below(8);
        }
        // Overwrite a byte with a random or a special one.
        1 if len > 0 => {
            let i = rng.below(len);
            data[i] = if rng.one_in(2) {
                rng.byte()
            } else {
                *rng.pick(INTERESTING)
            };
        }
        // Insert a few random or special bytes.
        2 => {
            let i = at(rng);
            let n = 1 + rng.size(7);
            let bytes: Vec<u8> = (0..n)
                .map(|_| {
                    if rng.one_in(2) {
                        rng.byte()
                    } else {
                        *rng.pick(INTERESTING)
                    }
                })
                .collect();
            data.splice(i..i, bytes);
        }
        // Delete a range.
        3 if len > 0 => {
            let i = rng.below(len);
            let n = 1 + rng.size(len - i - 1);
            data.drain(i..i + n);
        }
        // Repeat a range many times (floods: headers, frames, lines).
        4 if len > 0 => {
            let i = rng.below(len);
            let n = 1 + rng.size((len - i - 1).min(64));
            let piece = data[i..i + n].to_vec();
            let times = 1 + rng.size(300);
            let at = rng.below(len + 1);
            let flood: Vec<u8> = piece.iter().copied().cycle().take(n * times).collect();
            data.splice(at..at, flood);
        }
        // A long run of one byte (oversized lines and fields).
        5 => {
            let i = at(rng);
            let n = *rng.pick(&[1023, 1024, 1025, 1026, 4096, 8191, 8192, 8193, 70_000]);
            let n = if rng.one_in(2) { n } else { rng.size(n) };
            let b = if rng.one_in(2) { b'a' } else { rng.byte() };
            data.splice(i..i, std::iter::repeat_n(b, n));
        }
        // Truncate.
        6 if len > 0 => data.truncate(rng.below(len)),
        // Splice in part of another seed.
        7 => {
            let other = rng.pick(seeds);
            if !other.is_empty() {
                let from = rng.below(other.len());
                let n = 1 + rng.size(other.len() - from - 1);
                let i = at(rng);
                data.splice(i..i, other[from..from + n].iter().copied());
            }
        }
        // Replace a number with an extreme one.
        8 => {
            let numbers: &[&[u8]] = &[
                b"0",
                b"-1",
                b"65536",
                b"65537",
                b"4294967296",
                b"18446744073709551615",
                b"18446744073709551616",
                b"99999999999999999999999",
                b"1e3",
                b" 5",
                b"+5",
            ];
            let i = at(rng);
            data.splice(i..i, rng.pick(numbers).iter().copied());
        }
        // Random binary blob.
        9 => {
            let i = at(rng);
            let n = rng.size(512);
            let blob: Vec<u8> = (0..n).map(|_| rng.byte()).collect();
            data.splice(i..i, blob);
        }
        // Swap two bytes.
        _ if len > 1 => {
            let (i, j) = (rng.below(len), rng.below(len));
            data.swap(i, j);
        }
        _ => {}
    }
}

/// A reader that hands out `data` in pieces of random sizes (at least
/// one byte), so a target sees every way reads can split its input.
pub struct Chunked<'a> {
    data: &'a [u8],
    rng: Rng,
    max: usize,
}

impl<'a> Chunked<'a> {
    pub fn new(data: &'a [u8], seed: u64) -> Chunked<'a> {
        let mut rng = Rng::new(seed);
        let max = *rng.pick(&[1, 3, 64, 4096, usize::MAX]);
        Chunked { data, rng, max }
    }

    /// The size of the next piece.
    pub fn next_len(&mut self) -> usize {
        1 + self.rng.size(self.max.min(self.data.len().max(1)) - 1)
    }
}

impl std::io::Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.next_len().min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}
