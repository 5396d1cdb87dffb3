//! The per-client rate limit of the site's forms (the contact form and "Was this page
//! helpful?"): a token bucket per address, where the address is the peer's unless the peer is
//! a proxy the settings trust.
//!
//! The addresses themselves are not kept: each bucket is filed under a keyed hash of the
//! address (HMAC-SHA256, cut to 128 bits) whose random key is replaced every 24 hours, when
//! the buckets are emptied. So the limiter holds nothing that names a visitor, and after a day
//! nothing that could link one day's visitor to the next day's.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::web::AppState;

/// How long one hashing key is used before a new one replaces it.
const KEY_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// A token bucket per client: `burst` submissions at once, then `rate_per_hour`.
pub(in crate::web) struct RateLimiter {
    per_second: f64,
    burst: f64,
    state: Mutex<Buckets>,
}

/// The buckets, by keyed hash of the client's address, and the key.
struct Buckets {
    key: [u8; 32],
    key_made: Option<Instant>,
    by_client: HashMap<[u8; 16], Bucket>,
}

impl Buckets {
    /// The client's hash under the current key, replacing the key (and forgetting every
    /// bucket) when it is a day old.
    fn hash(&mut self, client: IpAddr, now: Instant) -> [u8; 16] {
        let stale = self
            .key_made
            .is_none_or(|made| now.saturating_duration_since(made) >= KEY_LIFETIME);
        if stale {
            crate::mail::queue::fill_random(&mut self.key);
            self.key_made = Some(now);
            self.by_client.clear();
        }
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        match client {
            IpAddr::V4(v4) => mac.update(&v4.octets()),
            IpAddr::V6(v6) => mac.update(&v6.octets()),
        }
        let digest = mac.finalize().into_bytes();
        let mut hash = [0u8; 16];
        hash.copy_from_slice(&digest[..16]);
        hash
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Beyond this many clients, full buckets are dropped: they hold nothing worth keeping.
const MAX_TRACKED_CLIENTS: usize = 10_000;

impl RateLimiter {
    pub(in crate::web) fn new(rate_per_hour: u32, burst: u32) -> Self {
        Self {
            per_second: f64::from(rate_per_hour.max(1)) / 3600.0,
            burst: f64::from(burst.max(1)),
            state: Mutex::new(Buckets {
                key: [0u8; 32],
                key_made: None,
                by_client: HashMap::new(),
            }),
        }
    }

    /// Takes one submission from the client's bucket, or says how long until one is free.
    pub(in crate::web) fn check(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let client = state.hash(client, now);
        let buckets = &mut state.by_client;
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

/// The address a request counts against: [`client_key`] of the peer address the server
/// records for each connection (absent only when the router is driven without a server, as
/// tests do) and the request's headers, with the proxies the contact settings trust.
pub(in crate::web) async fn client_of(state: &AppState, parts: &mut Parts) -> IpAddr {
    let peer = ConnectInfo::<SocketAddr>::from_request_parts(parts, state)
        .await
        .ok()
        .map(|ConnectInfo(address)| address.ip());
    client_key(
        peer,
        &parts.headers,
        &state.0.config.contact.trusted_proxies,
    )
}

/// The address to rate-limit on. The peer address, unless the peer is a trusted proxy: then
/// the nearest address in `X-Forwarded-For` that is not itself a trusted proxy. IPv6 clients
/// are grouped by /64, the block one household or server usually has.
fn client_key(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
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
    fn addresses_are_kept_only_as_hashes_under_a_daily_key() {
        let limiter = RateLimiter::new(1, 1);
        let client: IpAddr = "192.0.2.1".parse().unwrap();
        let start = Instant::now();
        assert!(limiter.check(client, start).is_ok());
        assert!(limiter.check(client, start).is_err());
        let hashes: Vec<[u8; 16]> = {
            let state = limiter.state.lock().unwrap();
            state.by_client.keys().copied().collect()
        };
        assert_eq!(hashes.len(), 1);
        assert_ne!(&hashes[0][..4], &[192, 0, 2, 1], "not the address itself");
        // A day later the key is new and the buckets are gone.
        let tomorrow = start + KEY_LIFETIME;
        assert!(limiter.check(client, tomorrow).is_ok());
        let state = limiter.state.lock().unwrap();
        assert_eq!(state.by_client.len(), 1);
        assert_ne!(state.by_client.keys().next(), Some(&hashes[0]));
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
