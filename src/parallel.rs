//! Spreads independent work over the machine's cores while the site is built.
//!
//! Parsing Markdown and compressing pages are independent per file, so they split cleanly over
//! threads. Results come back in input order, so the output does not depend on thread timing.

use std::num::NonZeroUsize;

/// Applies `f` to every item on up to one thread per core and returns the results in order.
///
/// Small inputs run on the calling thread: starting threads would cost more than it saves.
pub fn map<T, R, F>(items: Vec<T>, f: F) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(T) -> R + Sync,
{
    let threads = std::thread::available_parallelism()
        .map(NonZeroUsize::get)
        .unwrap_or(1)
        .min(items.len() / 4)
        .max(1);
    if threads == 1 {
        return items.into_iter().map(f).collect();
    }
    // Interleaved shares balance the load when big and small items sit together (a long list
    // page among short sheets), without a shared queue.
    let mut shares: Vec<Vec<(usize, T)>> = (0..threads).map(|_| Vec::new()).collect();
    for (index, item) in items.into_iter().enumerate() {
        shares[index % threads].push((index, item));
    }
    let total: usize = shares.iter().map(Vec::len).sum();
    let f = &f;
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = shares
            .into_iter()
            .map(|share| {
                scope.spawn(move || {
                    share
                        .into_iter()
                        .map(|(index, item)| (index, f(item)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all = Vec::with_capacity(total);
        for worker in workers {
            match worker.join() {
                Ok(part) => all.extend(part),
                // A panic in `f` is a bug; let it surface as it would have without threads.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
    });
    results.sort_unstable_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_input_order_whatever_the_size() {
        for n in [0, 1, 3, 4, 9, 100, 1001] {
            let items: Vec<usize> = (0..n).collect();
            let doubled = super::map(items, |i| i * 2);
            assert_eq!(doubled, (0..n).map(|i| i * 2).collect::<Vec<_>>(), "{n}");
        }
    }
}
