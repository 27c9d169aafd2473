//! A store that went back in time (restored from a backup, or found behind what
//! its parent saw of it) recovers before it is trusted again: it takes a new
//! epoch, so that every peer's cursor into its feed is void and everything is
//! sent both ways again, and it carries a recovery mark until its parent has sent
//! it back everything in its scope, including what came from it. The node
//! decides what it refuses meanwhile and when recovery is complete.

use tokio::sync::watch;

use super::{Hub, HubError};
use crate::store::RecoveryMark;

impl Hub {
    /// Reads the store's recovery mark (at start: a restore made while the node
    /// was stopped leaves one).
    pub async fn load_recovery(&self) -> Result<Option<RecoveryMark>, HubError> {
        let mark = self.0.store.recovery().await?;
        self.0.recovery_tx.send_replace(mark.clone());
        Ok(mark)
    }

    /// Begins a recovery: a new epoch and the mark, durably; every session ends
    /// and starts again under the new epoch. Also when a recovery is already
    /// under way: a peer that proves the store went back may have seen it under
    /// the recovery's own epoch (a power loss took commits it had applied), and
    /// only a new epoch voids its cursor into the positions now reused.
    pub async fn begin_recovery(&self, reason: &str) -> Result<RecoveryMark, HubError> {
        let reason = match self.0.store.recovery().await? {
            Some(_) => format!("went back again while recovering: {reason}"),
            None => reason.to_owned(),
        };
        let now = self.now_ms();
        let epoch = self.0.store.begin_recovery(&reason, now).await?;
        let mark = RecoveryMark {
            reason,
            since_ms: now,
            epoch,
            declared: false,
        };
        tracing::warn!(reason = %mark.reason, epoch = %mark.epoch, "store went back in time: recovering");
        self.0.recovery_tx.send_replace(Some(mark.clone()));
        Ok(mark)
    }

    /// Ends the recovery (the node found it complete, or an operator overrode it).
    pub async fn end_recovery(&self) -> Result<(), HubError> {
        self.0.store.end_recovery().await?;
        self.0.recovery_tx.send_replace(None);
        Ok(())
    }

    /// The recovery mark as last read or set.
    pub fn recovery(&self) -> Option<RecoveryMark> {
        self.0.recovery_tx.borrow().clone()
    }

    /// Watch the recovery mark.
    pub fn watch_recovery(&self) -> watch::Receiver<Option<RecoveryMark>> {
        self.0.recovery_tx.subscribe()
    }
}
