//! The nodes' attestor in the simulation, with the node ledger's semantics over
//! the simulated disk's journal: a mark names the journal's head (entries and
//! hash) and holds while the journal still has that entry; a parent asks its
//! child from the head it last saw and finds the child gone back when the
//! answer no longer has that entry, or has another in its place.

use std::sync::Arc;

use async_trait::async_trait;
use xinfang_hub::UnitCode;
use xinfang_hub::journal::{AttestationError, Attestor, Rebase, Verdict};

use super::disk::SimDisk;

pub struct SimLedger {
    pub disk: Arc<SimDisk>,
}

fn words(bytes: &[u8], n: usize) -> Result<Vec<u64>, AttestationError> {
    if bytes.len() != n * 8 {
        return Err(AttestationError::Malformed(format!(
            "{} bytes, not {}",
            bytes.len(),
            n * 8
        )));
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|c| u64::from_be_bytes(c.try_into().expect("8 bytes")))
        .collect())
}

fn bytes(words: &[u64]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_be_bytes()).collect()
}

#[async_trait]
impl Attestor for SimLedger {
    async fn ask(&self, child: &UnitCode, rebase: Option<Rebase>) -> Option<Vec<u8>> {
        if rebase.is_some() {
            self.disk.set_seen(child, None);
        }
        let (entries, _) = self.disk.seen(child).unwrap_or((0, 0));
        Some(bytes(&[entries]))
    }

    /// From the entry asked for: that entry's hash (or a sign that there is no
    /// such entry) and the head.
    async fn attest(&self, _parent: &UnitCode, ask: &[u8]) -> Result<Vec<u8>, AttestationError> {
        let since = words(ask, 1)?[0];
        let (entries, head) = self.disk.journal_head();
        let (has, at) = match self.disk.journal_entry(since) {
            Some(h) => (1, h),
            None => (0, 0),
        };
        Ok(bytes(&[since, has, at, entries, head]))
    }

    async fn check(&self, child: &UnitCode, answer: &[u8]) -> Result<Verdict, AttestationError> {
        let w = words(answer, 5)?;
        let (since, has, at, entries, head) = (w[0], w[1], w[2], w[3], w[4]);
        let seen = self.disk.seen(child).unwrap_or((0, 0));
        if seen.0 != since {
            // An answer to an older ask: it proves nothing either way.
            return Ok(Verdict::Holds);
        }
        if has == 0 || at != seen.1 {
            return Ok(Verdict::WentBack(format!(
                "its journal no longer has entry {since} as seen ({entries} entries now)"
            )));
        }
        self.disk.set_seen(child, Some((entries, head)));
        Ok(Verdict::Holds)
    }

    async fn mark(&self) -> Option<Vec<u8>> {
        let (entries, head) = self.disk.journal_head();
        Some(bytes(&[entries, head]))
    }

    async fn holds(&self, mark: &[u8]) -> Result<bool, AttestationError> {
        let w = words(mark, 2)?;
        Ok(self.disk.journal_entry(w[0]) == Some(w[1]))
    }
}
