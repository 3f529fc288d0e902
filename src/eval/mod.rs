//! The evaluator's exact building blocks: commission tiers, allocation by weights, the fiscal
//! calendar, the rules and the target sheet. They do no I/O and never use floating point. Also
//! how many threads the stages use (`RULEBOOK_THREADS`) and how they share work among them.

pub mod allocate;
pub mod calendar;
pub mod per_record;
pub mod policy_tests;
pub mod returns;
pub mod rules;
pub mod targets;
pub mod tiers;

/// Threads a stage may use: what the machine has (at most 8), or `RULEBOOK_THREADS` (to leave
/// cores to other work, or to check that the results do not depend on it).
pub fn threads() -> usize {
    match std::env::var("RULEBOOK_THREADS")
        .ok()
        .and_then(|t| t.parse::<usize>().ok())
    {
        Some(n) => n.clamp(1, 64),
        None => std::thread::available_parallelism().map_or(1, |n| n.get()).min(8),
    }
}

/// `work` done on each of `parts`: the first on this thread (its allocations reuse what it
/// freed before), each other on a thread of its own. The results come in the parts' order; a
/// panic on a thread is resumed here.
pub fn on_threads<P: Send, R: Send>(parts: impl IntoIterator<Item = P>, work: impl Fn(P) -> R + Sync) -> Vec<R> {
    std::thread::scope(|scope| {
        let work = &work;
        let mut parts = parts.into_iter();
        let first = parts.next();
        let handles: Vec<_> = parts.map(|part| scope.spawn(move || work(part))).collect();
        let first = first.map(work);
        first
            .into_iter()
            .chain(
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))),
            )
            .collect()
    })
}
