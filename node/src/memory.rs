//! Giving memory back once the node goes quiet.
//!
//! A first sync or a burst of writes passes many documents through the allocator;
//! glibc keeps the freed pages in its arenas, so a node that ingested a city stayed
//! at its peak resident size long after. When the change feed has not moved for a
//! while, the node asks the allocator to return free pages to the system once
//! (`malloc_trim`), and again only after the next burst.
//!
//! And keeping the peak down: glibc gives each thread that contends for the heap
//! an arena of its own, up to eight per core, and pages freed in one arena serve
//! no other. A node's tokio workers and SQLite's threads touch every arena, so a
//! first sync peaked at 113 MiB resident where two arenas hold it to 81 MiB at the
//! same speed (`xinfang-bench`, 100,000 documents).

use std::time::Duration;

use tokio::sync::watch;
use xinfang_hub::Hub;

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
            let freed = release();
            tracing::debug!(freed, "returned free memory to the system");
        }
    }
}

/// At most two malloc arenas for this process (before its threads start), unless
/// the operator chose otherwise with `MALLOC_ARENA_MAX`.
pub fn limit_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        set_arena_max(2);
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn set_arena_max(n: i32) {
    // SAFETY: mallopt only sets an allocator parameter; called before the
    // runtime's threads exist, it races with nothing.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, n);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_arena_max(_: i32) {}

/// Asks the allocator to return free pages; whether it freed anything.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release() -> bool {
    // SAFETY: malloc_trim only walks the allocator's own free lists; it takes no
    // pointers from us and is safe to call from any thread at any time.
    unsafe { libc::malloc_trim(0) == 1 }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release() -> bool {
    false
}
