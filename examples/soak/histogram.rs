//! A latency histogram in microseconds with buckets 1/16 of a power of two
//! wide (at most 6% above the true value), mergeable across tasks, threads
//! and the child process, and small enough to send as one line.

/// Values below this have a bucket each.
const EXACT: u64 = 32;

/// Sub-buckets per power of two above [`EXACT`].
const STEPS: u64 = 16;

/// Counts of samples per bucket.
#[derive(Debug, Clone, Default)]
pub struct Histogram {
    counts: Vec<u64>,
    max: u64,
}

/// The bucket of `value`: the value itself below [`EXACT`], else its power
/// of two and the next four bits.
fn bucket(value: u64) -> usize {
    if value < EXACT {
        return value as usize;
    }
    let power = 63 - u64::from(value.leading_zeros()); // >= 5
    let step = (value >> (power - 4)) & (STEPS - 1);
    (EXACT + (power - 5) * STEPS + step) as usize
}

/// The largest value that falls into bucket `index`.
fn upper_bound(index: usize) -> u64 {
    let index = index as u64;
    if index < EXACT {
        return index;
    }
    let power = (index - EXACT) / STEPS + 5;
    let step = (index - EXACT) % STEPS;
    ((STEPS + step + 1) << (power - 4)) - 1
}

impl Histogram {
    /// Records one sample.
    pub fn record(&mut self, micros: u64) {
        let index = bucket(micros);
        if self.counts.len() <= index {
            self.counts.resize(index + 1, 0);
        }
        self.counts[index] += 1;
        self.max = self.max.max(micros);
    }

    /// Adds every sample of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        if self.counts.len() < other.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.max = self.max.max(other.max);
    }

    /// How many samples there are.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The largest sample.
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The value at quantile `q` (0.99 for p99): the upper bound of the
    /// bucket holding that sample, never above the largest sample; 0 when
    /// empty.
    pub fn quantile(&self, q: f64) -> u64 {
        let total = self.count();
        if total == 0 {
            return 0;
        }
        let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
        let mut seen = 0;
        for (index, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return upper_bound(index).min(self.max);
            }
        }
        self.max
    }

    /// One line of text: the maximum, then `index:count` for each
    /// non-empty bucket.
    pub fn to_line(&self) -> String {
        let mut line = self.max.to_string();
        for (index, &count) in self.counts.iter().enumerate() {
            if count > 0 {
                line.push_str(&format!(" {index}:{count}"));
            }
        }
        line
    }

    /// Reads what [`Histogram::to_line`] wrote; `None` if malformed.
    pub fn from_line(line: &str) -> Option<Histogram> {
        let mut words = line.split_whitespace();
        let mut histogram = Histogram {
            counts: Vec::new(),
            max: words.next()?.parse().ok()?,
        };
        for word in words {
            let (index, count) = word.split_once(':')?;
            let (index, count): (usize, u64) = (index.parse().ok()?, count.parse().ok()?);
            if index > 64 * STEPS as usize {
                return None;
            }
            if histogram.counts.len() <= index {
                histogram.counts.resize(index + 1, 0);
            }
            histogram.counts[index] += count;
        }
        Some(histogram)
    }
}
