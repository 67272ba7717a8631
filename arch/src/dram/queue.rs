//! Per-bank FIFOs of queued requests (their slot numbers), in arrival order: one ring
//! per bank in a single buffer, each as large as the controller's queue depth (rounded
//! up to a power of two), so pushing, popping and walking are index arithmetic with no
//! growth, wrap-around test or allocation.

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct BankQueues {
    buf: Vec<u32>,
    head: Vec<u32>,
    len: Vec<u32>,
    /// log2 of a ring's capacity, and the capacity - 1.
    shift: u32,
    mask: u32,
}

impl BankQueues {
    /// `banks` rings of at least `depth` entries each.
    pub fn new(banks: usize, depth: usize) -> BankQueues {
        let cap = depth.max(1).next_power_of_two();
        BankQueues {
            buf: vec![0; banks * cap],
            head: vec![0; banks],
            len: vec![0; banks],
            shift: cap.trailing_zeros(),
            mask: cap as u32 - 1,
        }
    }

    #[inline]
    fn at(&self, b: usize, i: u32) -> usize {
        (b << self.shift) + ((self.head[b] + i) & self.mask) as usize
    }

    #[inline]
    pub fn len(&self, b: usize) -> usize {
        self.len[b] as usize
    }

    #[inline]
    pub fn is_empty(&self, b: usize) -> bool {
        self.len[b] == 0
    }

    #[inline(always)]
    pub fn front(&self, b: usize) -> Option<u32> {
        (self.len[b] > 0).then(|| self.buf[self.at(b, 0)])
    }

    /// The slots queued for bank `b`, oldest first.
    #[inline]
    pub fn iter(&self, b: usize) -> impl Iterator<Item = u32> + '_ {
        (0..self.len[b]).map(move |i| self.buf[self.at(b, i)])
    }

    /// Append `slot` to bank `b`'s queue (the caller bounds a queue's length by the
    /// depth given to `new`).
    #[inline(always)]
    pub fn push_back(&mut self, b: usize, slot: u32) {
        debug_assert!(self.len[b] <= self.mask, "bank queue over its depth");
        let i = self.at(b, self.len[b]);
        self.buf[i] = slot;
        self.len[b] += 1;
    }

    /// Remove `slot` from bank `b`'s queue: mostly its head (FR-FCFS serves the oldest
    /// hit), else it is searched and the younger entries close the gap. Always inlined
    /// (LTO left a call per request in the streaming path once the offer loop grew).
    #[inline(always)]
    pub fn remove(&mut self, b: usize, slot: u32) {
        if self.front(b) == Some(slot) {
            self.head[b] = (self.head[b] + 1) & self.mask;
            self.len[b] -= 1;
            return;
        }
        self.remove_behind_head(b, slot);
    }

    /// `remove` of a slot behind the head (a row hit served before an older miss).
    #[cold]
    #[inline(never)]
    fn remove_behind_head(&mut self, b: usize, slot: u32) {
        let Some(pos) = self.iter(b).position(|s| s == slot) else {
            debug_assert!(false, "slot {slot} is not queued for bank {b}");
            return;
        };
        for i in pos as u32..self.len[b] - 1 {
            let (to, from) = (self.at(b, i), self.at(b, i + 1));
            self.buf[to] = self.buf[from];
        }
        self.len[b] -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_order_wraps_and_removes() {
        let mut q = BankQueues::new(2, 3); // capacity 4
        for round in 0..5u32 {
            for s in 0..4 {
                q.push_back(1, 10 * round + s);
            }
            assert_eq!(q.len(1), 4);
            assert!(q.is_empty(0));
            q.remove(1, 10 * round + 2); // from the middle
            assert_eq!(
                q.iter(1).collect::<Vec<_>>(),
                vec![10 * round, 10 * round + 1, 10 * round + 3]
            );
            q.remove(1, 10 * round); // the head
            assert_eq!(q.front(1), Some(10 * round + 1));
            q.remove(1, 10 * round + 3); // the tail
            q.remove(1, 10 * round + 1);
            assert!(q.is_empty(1));
            assert_eq!(q.front(1), None);
        }
    }
}
