//! Failed-login limits, per account and per address.
//!
//! Only failures count: a user who types the right password is never slowed down. After `max`
//! failures within `window`, further attempts on that key are refused until the oldest failure
//! ages out. The map is pruned as it grows, so a flood of new keys cannot exhaust memory.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const MAX_KEYS: usize = 100_000;

pub struct FailureLimiter {
    max: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl FailureLimiter {
    pub fn new(max: u32, window: Duration) -> Self {
        Self { max: max.max(1) as usize, window, failures: Mutex::new(HashMap::new()) }
    }

    /// `Err(seconds)` to wait when `key` has used up its failures.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), u64> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let Some(list) = map.get_mut(key) else { return Ok(()) };
        while list.front().is_some_and(|t| now.duration_since(*t) >= self.window) {
            list.pop_front();
        }
        if list.len() < self.max {
            return Ok(());
        }
        let oldest = list.front().copied().unwrap_or(now);
        Err(self.window.saturating_sub(now.duration_since(oldest)).as_secs().max(1))
    }

    pub fn fail(&self, key: &str, now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_KEYS {
            let window = self.window;
            map.retain(|_, l| l.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        let list = map.entry(key.to_string()).or_default();
        list.push_back(now);
        while list.len() > self.max {
            list.pop_front();
        }
    }

    pub fn succeed(&self, key: &str) {
        self.failures.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_lock_out_until_they_age() {
        let l = FailureLimiter::new(3, Duration::from_secs(60));
        let t = Instant::now();
        for _ in 0..3 {
            assert!(l.check("a", t).is_ok());
            l.fail("a", t);
        }
        let wait = l.check("a", t).unwrap_err();
        assert!((59..=60).contains(&wait));
        assert!(l.check("b", t).is_ok());
        assert!(l.check("a", t + Duration::from_secs(61)).is_ok());
        l.succeed("a");
        assert!(l.check("a", t).is_ok());
    }
}
