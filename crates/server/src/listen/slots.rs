//! The open connections, and the limit on how many there may be.
//!
//! When every slot is taken, a new connection takes the slot of the connection that has been
//! quiet longest — one with no request being answered: an idle kept-alive connection, or one
//! still sending its request's head (what a slow-client attack holds open). Only when every
//! connection is answering a request is the new one refused. So a flood of connections that
//! never finish a request cannot keep a client that asks promptly out: it pushes the oldest of
//! them out instead (issue 14, defect 4). A request being answered is never cut off to make room.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;
use tokio::time::Instant;

/// Every open connection, by a number given in order of arrival.
pub(super) struct Slots {
    limit: usize,
    /// Times are kept as milliseconds since this instant, so they fit in an atomic.
    epoch: Instant,
    next: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Conn>>>,
    /// How many are open, for the metrics gauge.
    gauge: Arc<AtomicU64>,
}

/// What the slots know of one connection.
pub(super) struct Conn {
    epoch: Instant,
    /// Requests being answered on it (the guard of each lives until its answer's body is done).
    in_flight: AtomicUsize,
    /// When it was last active: opened, finished answering a request, or wrote to the client.
    quiet_since_ms: AtomicU64,
    /// Told to close, to make room for a newer connection.
    evicted: AtomicBool,
    close: Notify,
}

/// What became of a connection that arrived.
pub(super) enum Admission {
    /// It has a slot; `evicted` says whether another connection was closed to make room.
    Open { slot: Slot, evicted: bool },
    /// Every slot is answering a request.
    Refused,
}

impl Slots {
    pub(super) fn new(limit: usize, gauge: Arc<AtomicU64>) -> Arc<Self> {
        Arc::new(Self {
            limit: limit.max(1),
            epoch: Instant::now(),
            next: AtomicU64::new(0),
            open: Mutex::new(HashMap::new()),
            gauge,
        })
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Arc<Conn>>> {
        // The map stays consistent under every operation, so a panic elsewhere leaves it usable.
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A slot for a connection that just arrived, making room if need be.
    pub(super) fn admit(self: &Arc<Self>) -> Admission {
        let mut open = self.lock();
        let mut evicted = false;
        if open.len() >= self.limit {
            if !self.evict_quietest(&mut open) {
                return Admission::Refused;
            }
            evicted = true;
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn {
            epoch: self.epoch,
            in_flight: AtomicUsize::new(0),
            quiet_since_ms: AtomicU64::new(millis_since(self.epoch)),
            evicted: AtomicBool::new(false),
            close: Notify::new(),
        });
        open.insert(id, conn.clone());
        self.gauge.store(open.len() as u64, Ordering::Relaxed);
        Admission::Open { slot: Slot { slots: self.clone(), id, conn }, evicted }
    }

    /// Closes the connection quiet longest, to free its file handle (the accept loop calls this
    /// when the process has none left). False when every connection is answering a request.
    pub(super) fn evict_one(&self) -> bool {
        let mut open = self.lock();
        self.evict_quietest(&mut open)
    }

    fn evict_quietest(&self, open: &mut HashMap<u64, Arc<Conn>>) -> bool {
        let quietest = open
            .iter()
            .filter(|(_, c)| c.in_flight.load(Ordering::Acquire) == 0)
            .min_by_key(|(id, c)| (c.quiet_since_ms.load(Ordering::Acquire), **id))
            .map(|(id, _)| *id);
        let Some(conn) = quietest.and_then(|id| open.remove(&id)) else { return false };
        self.gauge.store(open.len() as u64, Ordering::Relaxed);
        conn.evicted.store(true, Ordering::Release);
        conn.close.notify_one();
        true
    }
}

/// A connection's place among the open ones; given back when dropped.
pub(super) struct Slot {
    slots: Arc<Slots>,
    id: u64,
    conn: Arc<Conn>,
}

impl Slot {
    pub(super) fn conn(&self) -> &Arc<Conn> {
        &self.conn
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.slots.lock();
        open.remove(&self.id);
        self.slots.gauge.store(open.len() as u64, Ordering::Relaxed);
    }
}

impl Conn {
    /// A request began: the connection is busy until the guard is dropped.
    pub(super) fn begin(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(self.clone())
    }

    pub(super) fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// The connection wrote to its client: not quiet yet, even with no request in flight.
    pub(super) fn touch(&self) {
        self.quiet_since_ms.store(millis_since(self.epoch), Ordering::Release);
    }

    /// When the connection was last active (meaningful while `in_flight()` is 0).
    pub(super) fn quiet_since(&self) -> Instant {
        self.epoch + std::time::Duration::from_millis(self.quiet_since_ms.load(Ordering::Acquire))
    }

    #[cfg(test)]
    pub(super) fn was_evicted(&self) -> bool {
        self.evicted.load(Ordering::Acquire)
    }

    /// Completes when the connection is told to close to make room.
    pub(super) async fn evicted(&self) {
        self.close.notified().await;
    }
}

/// A request being answered; the connection is quiet again when the last one is dropped.
pub(super) struct InFlight(Arc<Conn>);

impl Drop for InFlight {
    fn drop(&mut self) {
        // The time first, so the slots never see a quiet connection with an old quiet time.
        self.0.quiet_since_ms.store(millis_since(self.0.epoch), Ordering::Release);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

fn millis_since(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(slots: &Arc<Slots>) -> Slot {
        match slots.admit() {
            Admission::Open { slot, .. } => slot,
            Admission::Refused => panic!("refused"),
        }
    }

    #[tokio::test]
    async fn a_full_house_pushes_out_the_quietest_and_refuses_only_when_all_are_busy() {
        let gauge = Arc::new(AtomicU64::new(0));
        let slots = Slots::new(2, gauge.clone());
        let first = open(&slots);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let second = open(&slots);
        assert_eq!(gauge.load(Ordering::Relaxed), 2);
        // The first has been quiet longest: it makes room.
        let third = match slots.admit() {
            Admission::Open { slot, evicted } => {
                assert!(evicted);
                slot
            }
            Admission::Refused => panic!("refused with a quiet connection open"),
        };
        assert!(first.conn().was_evicted() && !second.conn().was_evicted());
        assert_eq!(gauge.load(Ordering::Relaxed), 2);
        drop(first);
        assert_eq!(gauge.load(Ordering::Relaxed), 2, "the evicted slot was already given back");
        // Both open ones answering a request: nothing may be cut off, the newcomer is refused.
        let (_a, _b) = (second.conn().begin(), third.conn().begin());
        assert!(matches!(slots.admit(), Admission::Refused));
        assert!(!slots.evict_one());
        drop(_a);
        assert!(matches!(slots.admit(), Admission::Open { evicted: true, .. }));
        assert!(second.conn().was_evicted());
    }
}
