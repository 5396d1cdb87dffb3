//! The contact form's per-client rate limit: a token bucket per address, where the address is
//! the peer's unless the peer is a proxy the settings trust.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;

/// A token bucket per client: `burst` submissions at once, then `rate_per_hour`.
pub(super) struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Beyond this many clients, full buckets are dropped: they hold nothing worth keeping.
const MAX_TRACKED_CLIENTS: usize = 10_000;

impl RateLimiter {
    pub(super) fn new(rate_per_hour: u32, burst: u32) -> Self {
        Self {
            per_second: f64::from(rate_per_hour.max(1)) / 3600.0,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one submission from the client's bucket, or says how long until one is free.
    pub(super) fn check(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_TRACKED_CLIENTS && !buckets.contains_key(&client) {
            let (per_second, burst) = (self.per_second, self.burst);
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.updated).as_secs_f64() * per_second < burst
            });
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / self.per_second;
            Err(Duration::from_secs_f64(wait.ceil().max(1.0)))
        }
    }
}

/// The address to rate-limit on. The peer address, unless the peer is a trusted proxy: then
/// the nearest address in `X-Forwarded-For` that is not itself a trusted proxy. IPv6 clients
/// are grouped by /64, the block one household or server usually has.
pub(super) fn client_key(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let Some(peer) = peer else {
        // No connection info (only in tests driving the router directly): all such requests
        // share one bucket, which is the cautious choice.
        return IpAddr::V6(Ipv6Addr::UNSPECIFIED);
    };
    let mut client = peer;
    if trusted.contains(&peer) {
        let forwarded: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        for entry in forwarded.iter().rev() {
            match entry.parse::<IpAddr>() {
                Ok(address) if trusted.contains(&address) => continue,
                Ok(address) => {
                    client = address;
                    break;
                }
                // A garbled entry: what lies beyond it cannot be trusted.
                Err(_) => break,
            }
        }
    }
    match client {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_limit_allows_a_burst_then_waits() {
        let limiter = RateLimiter::new(60, 2);
        let client: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let start = Instant::now();
        assert!(limiter.check(client, start).is_ok());
        assert!(limiter.check(client, start).is_ok());
        let wait = limiter.check(client, start).unwrap_err();
        assert_eq!(wait, Duration::from_secs(60));
        assert!(limiter.check(other, start).is_ok());
        assert!(
            limiter
                .check(client, start + Duration::from_secs(61))
                .is_ok()
        );
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let visitor: IpAddr = "198.51.100.7".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7".parse().unwrap(),
        );
        // Not trusted: the header is ignored.
        assert_eq!(client_key(Some(visitor), &headers, &[]), visitor);
        assert_eq!(client_key(Some(proxy), &headers, &[]), proxy);
        // Trusted: the rightmost address the proxy saw, not what the client claimed first.
        assert_eq!(client_key(Some(proxy), &headers, &[proxy]), visitor);
        headers.insert("x-forwarded-for", "garbage".parse().unwrap());
        assert_eq!(client_key(Some(proxy), &headers, &[proxy]), proxy);
        let v6: IpAddr = "2001:db8:1:2:3:4:5:6".parse().unwrap();
        assert_eq!(
            client_key(Some(v6), &HeaderMap::new(), &[]),
            "2001:db8:1:2::".parse::<IpAddr>().unwrap()
        );
    }
}
