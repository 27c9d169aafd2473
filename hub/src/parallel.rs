//! Work on a batch's documents spread over every core: loading an Automerge
//! document is most of what applying a peer's batch costs, deriving a case's query
//! row from it most of what projecting costs, and each document is independent of
//! the others until the merge and the write.
//!
//! Plain scoped threads, not the async runtime's: the same code runs under tokio and
//! under the simulator's executor, and the answer does not depend on the split (each
//! part is judged in order and the earliest refusal of the batch wins).

/// Below this many items a batch is done on the calling thread: spawning costs
/// more than it saves.
const MIN_PER_THREAD: usize = 16;

/// At most this many threads per batch, whatever the machine offers.
const MAX_THREADS: usize = 8;

/// `f` applied to every item, in order, on up to as many threads as the machine
/// has cores; the error of the earliest item that fails, if any fails.
pub fn map_ordered<T, U, E, F>(items: Vec<T>, f: F) -> Result<Vec<U>, E>
where
    T: Send,
    U: Send,
    E: Send,
    F: Fn(T) -> Result<U, E> + Sync,
{
    let threads = cores().min(MAX_THREADS).min(items.len() / MIN_PER_THREAD);
    if threads <= 1 {
        return items.into_iter().map(f).collect();
    }
    let per = items.len().div_ceil(threads);
    let mut parts: Vec<Vec<T>> = Vec::with_capacity(threads);
    let mut rest = items.into_iter();
    loop {
        let part: Vec<T> = rest.by_ref().take(per).collect();
        if part.is_empty() {
            break;
        }
        parts.push(part);
    }
    let f = &f;
    let mut parts = parts.into_iter();
    let first = parts.next().unwrap_or_default();
    let done: Vec<Result<Vec<U>, E>> = std::thread::scope(|s| {
        let others: Vec<_> = parts
            .map(|part| s.spawn(move || part.into_iter().map(f).collect::<Result<Vec<U>, E>>()))
            .collect();
        // The first part runs here, the others beside it.
        let mut out = vec![first.into_iter().map(f).collect::<Result<Vec<U>, E>>()];
        out.extend(others.into_iter().map(join));
        out
    });
    let mut all = Vec::new();
    for part in done {
        all.extend(part?);
    }
    Ok(all)
}

/// The cores this process may use, asked once: asking reads the cgroup's files,
/// which cost more than a small batch's work.
fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// A part's answer; a panic in it is the caller's panic, as it would have been
/// on one thread.
fn join<R>(h: std::thread::ScopedJoinHandle<'_, R>) -> R {
    match h.join() {
        Ok(r) => r,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

#[cfg(test)]
mod tests {
    use super::map_ordered;

    #[test]
    fn order_is_kept_and_the_earliest_error_wins() {
        let items: Vec<u32> = (0..1000).collect();
        let out: Result<Vec<u32>, u32> = map_ordered(items.clone(), |x| Ok(x * 2));
        assert_eq!(
            out.unwrap(),
            items.iter().map(|x| x * 2).collect::<Vec<_>>()
        );
        let out: Result<Vec<u32>, u32> =
            map_ordered(items, |x| if x % 300 == 299 { Err(x) } else { Ok(x) });
        assert_eq!(out.unwrap_err(), 299);
        let small: Result<Vec<u32>, ()> = map_ordered(vec![1, 2, 3], Ok);
        assert_eq!(small.unwrap(), vec![1, 2, 3]);
    }
}
