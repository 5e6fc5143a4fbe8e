//! Per-address rate limits on the endpoints attackers hammer: sign-up, log-in, password reset,
//! onboarding codes and activation; and per API key, each key's own limit (Open311).
//!
//! Counts live in this process; several instances behind a balancer each allow the limit (noted in the
//! README), which still bounds an attacker to a small multiple.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Register,
    Login,
    PasswordReset,
    /// Looking up onboarding codes and activating assisted accounts.
    Onboarding,
}

const WINDOW: Duration = Duration::from_secs(60);
/// Above this many tracked addresses, expired windows are swept before adding another.
const SWEEP_ABOVE: usize = 10_000;

pub struct RateLimiter {
    per_minute: u32,
    windows: MinuteWindows<(Action, IpAddr)>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        RateLimiter { per_minute, windows: MinuteWindows::default() }
    }

    /// Counts one request; refuses it with the seconds to wait once the minute's allowance is spent.
    pub fn check(&self, action: Action, client: IpAddr) -> Result<(), AppError> {
        self.windows.check_at((action, client), self.per_minute, Instant::now())
    }
}

/// Requests counted per key (an address, an API key) in windows of a minute.
pub struct MinuteWindows<K> {
    windows: Mutex<HashMap<K, (Instant, u32)>>,
}

impl<K> Default for MinuteWindows<K> {
    fn default() -> Self {
        MinuteWindows { windows: Mutex::new(HashMap::new()) }
    }
}

impl<K: Eq + Hash> MinuteWindows<K> {
    /// Counts one request of `key`; refuses it with the seconds to wait once `per_minute` are spent.
    pub fn check(&self, key: K, per_minute: u32) -> Result<(), AppError> {
        self.check_at(key, per_minute, Instant::now())
    }

    fn check_at(&self, key: K, per_minute: u32, now: Instant) -> Result<(), AppError> {
        let mut windows = self.windows.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if windows.len() > SWEEP_ABOVE {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let (start, count) = windows.entry(key).or_insert((now, 0));
        if now.duration_since(*start) >= WINDOW {
            *start = now;
            *count = 0;
        }
        if *count >= per_minute {
            let wait = WINDOW.saturating_sub(now.duration_since(*start));
            return Err(AppError::RateLimited { retry_after_secs: wait.as_secs().max(1) });
        }
        *count += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_the_limit_then_refuses_until_the_window_ends() {
        let windows = MinuteWindows::default();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let t0 = Instant::now();
        for _ in 0..3 {
            windows.check_at((Action::Login, a), 3, t0).unwrap();
        }
        let refused = windows.check_at((Action::Login, a), 3, t0);
        assert!(matches!(refused, Err(AppError::RateLimited { retry_after_secs: 60 })));
        windows.check_at((Action::Login, b), 3, t0).expect("another address has its own allowance");
        windows.check_at((Action::Register, a), 3, t0).expect("another action has its own allowance");
        windows.check_at((Action::Login, a), 3, t0 + WINDOW).expect("a new window");
    }
}
