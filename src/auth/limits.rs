//! Per-address rate limits on the endpoints attackers hammer: sign-up, log-in, password reset,
//! onboarding codes and activation.
//!
//! Counts live in this process; several instances behind a balancer each allow the limit (noted in the
//! README), which still bounds an attacker to a small multiple.

use std::collections::HashMap;
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
    windows: Mutex<HashMap<(Action, IpAddr), (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        RateLimiter { per_minute, windows: Mutex::new(HashMap::new()) }
    }

    /// Counts one request; refuses it with the seconds to wait once the minute's allowance is spent.
    pub fn check(&self, action: Action, client: IpAddr) -> Result<(), AppError> {
        self.check_at(action, client, Instant::now())
    }

    fn check_at(&self, action: Action, client: IpAddr, now: Instant) -> Result<(), AppError> {
        let mut windows = self.windows.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if windows.len() > SWEEP_ABOVE {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let (start, count) = windows.entry((action, client)).or_insert((now, 0));
        if now.duration_since(*start) >= WINDOW {
            *start = now;
            *count = 0;
        }
        if *count >= self.per_minute {
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
        let limiter = RateLimiter::new(3);
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let t0 = Instant::now();
        for _ in 0..3 {
            limiter.check_at(Action::Login, a, t0).unwrap();
        }
        assert!(matches!(limiter.check_at(Action::Login, a, t0), Err(AppError::RateLimited { retry_after_secs: 60 })));
        limiter.check_at(Action::Login, b, t0).expect("another address has its own allowance");
        limiter.check_at(Action::Register, a, t0).expect("another action has its own allowance");
        limiter.check_at(Action::Login, a, t0 + WINDOW).expect("a new window");
    }
}
