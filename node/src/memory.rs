//! The node's allocator, and giving memory back once the node goes quiet.
//!
//! mimalloc, for every binary that links the node (the node, the benchmark's
//! nodes, the tests). glibc's malloc took a fifth of a receiving node's CPU in
//! a sync, and with two arenas (to hold its peak down) its threads contended on
//! them; with mimalloc's per-thread heaps the same build synced a first 30,000
//! documents 19 % faster and 1,000 changed ones 29 % faster, at the same peak
//! right after the first sync (101 against 98 MiB) and half the later one
//! (`xinfang-bench --docs 30000 --corpus`, README "Beside the peers").
//!
//! Freed memory goes back to the system at once (`purge_delay` 0; mimalloc's
//! default, 1 s, kept the first sync's peak 50 % higher for 10 % more speed),
//! unless the operator sets `MIMALLOC_PURGE_DELAY`. And when the change feed has
//! not moved for a while, the node asks the allocator once to return everything
//! it can (`mi_collect`), and again only after the next burst.

use std::time::Duration;

use tokio::sync::watch;
use xinfang_hub::Hub;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (its `mimalloc.h`; the Rust bindings do
/// not name it). A test checks that it reads as its default.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long the feed must stand still before memory is returned.
const QUIET: Duration = Duration::from_secs(2);

/// Returns free memory to the system after each burst of writes, until `shutdown`.
pub async fn run(hub: Hub, mut shutdown: watch::Receiver<bool>) {
    let mut seen = hub.head();
    let mut trimmed = false;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(QUIET) => {}
            _ = shutdown.changed() => return,
        }
        let head = hub.head();
        if head != seen {
            seen = head;
            trimmed = false;
        } else if !trimmed {
            trimmed = true;
            release();
            tracing::debug!("returned free memory to the system");
        }
    }
}

/// Freed memory returned at once, unless the operator chose otherwise with
/// `MIMALLOC_PURGE_DELAY`. Called first thing in `main`.
pub fn configure_allocator() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one of the allocator's options; any thread, any time.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 0) }
    }
}

/// Asks the allocator to return the free memory it holds to the system.
fn release() {
    // SAFETY: mi_collect only walks the allocator's own structures; it takes no
    // pointers from us and is safe to call from any thread at any time.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

#[cfg(test)]
mod tests {
    /// The option we set is the purge delay: it reads as mimalloc's default
    /// (1,000 ms, its `options.c`; the options beside it default to 0 and 1) in a
    /// process that did not set it.
    #[test]
    fn the_option_set_is_the_purge_delay() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: reads one of the allocator's options.
        let delay = unsafe { libmimalloc_sys::mi_option_get(super::PURGE_DELAY) };
        assert_eq!(delay, 1000);
    }
}
