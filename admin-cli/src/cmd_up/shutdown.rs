//! Ctrl-C (SIGINT) and SIGTERM for `up`, listened for once, from before the first
//! node is started until the last one is stopped.
//!
//! A listener created afresh in each round of a loop misses a signal that arrives
//! between two rounds (the bug this replaces: a Ctrl-C just after the nodes
//! answered was lost). Here one task owns both signal streams for the whole run
//! and counts what arrived; every wait in `up` asks the count, so a signal that
//! came while nobody was waiting is still seen.

use tokio::sync::watch;

#[derive(Clone)]
pub struct Shutdown {
    signals: watch::Receiver<u32>,
}

impl Shutdown {
    /// Installs the handlers. Call it before anything is spawned: from here on a
    /// signal no longer ends `up` at once but asks it to stop its nodes.
    pub fn listen() -> std::io::Result<Shutdown> {
        let (tx, rx) = watch::channel(0u32);
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let mut interrupt = signal(SignalKind::interrupt())?;
            let mut terminate = signal(SignalKind::terminate())?;
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        Some(()) = interrupt.recv() => {}
                        Some(()) = terminate.recv() => {}
                        else => return,
                    }
                    tx.send_modify(|n| *n = n.saturating_add(1));
                }
            });
        }
        #[cfg(not(unix))]
        tokio::spawn(async move {
            while tokio::signal::ctrl_c().await.is_ok() {
                tx.send_modify(|n| *n = n.saturating_add(1));
            }
        });
        Ok(Shutdown { signals: rx })
    }

    /// Resolves once a stop was asked for (at once if it was asked already).
    pub async fn requested(&self) {
        self.at_least(1).await;
    }

    /// Resolves at a second signal: the operator does not want to wait for the
    /// nodes' clean stop.
    pub async fn insisted(&self) {
        self.at_least(2).await;
    }

    pub fn is_requested(&self) -> bool {
        *self.signals.borrow() >= 1
    }

    async fn at_least(&self, n: u32) {
        let mut rx = self.signals.clone();
        if rx.wait_for(|got| *got >= n).await.is_err() {
            // The listener is gone (it never ends while signals can come): no
            // signal will be counted any more.
            std::future::pending::<()>().await;
        }
    }
}
