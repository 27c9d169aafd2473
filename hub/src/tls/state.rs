//! The credentials a node uses while it runs, swapped whole when its TLS folder
//! changes, and the sessions that must end when a peer's certificate is revoked.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::sync::watch;

use crate::identity::{self};
use crate::topology::UnitCode;

use super::credentials::{Origin, Own};
use super::verify::Seen;
use super::{
    CertSummary, Credentials, DEFAULT_POLL, Refusal, TlsError, TlsMaterial, WARN_WITHIN_DAYS,
};

/// Size, modification time and inode of each file in the folder: a cheap "did
/// anything change".
pub(super) type Fingerprint = Vec<Option<(u64, Option<std::time::SystemTime>, u64)>>;

pub(super) fn fingerprint(dir: &Path) -> Fingerprint {
    [
        identity::NODE_CERT,
        identity::NODE_KEY,
        identity::CA_CERT,
        identity::CRL,
    ]
    .iter()
    .map(|name| {
        std::fs::metadata(dir.join(name)).ok().map(|m| {
            #[cfg(unix)]
            let ino = std::os::unix::fs::MetadataExt::ino(&m);
            #[cfg(not(unix))]
            let ino = 0;
            (m.len(), m.modified().ok(), ino)
        })
    })
    .collect()
}

/// Where a node's material is read from, to read it again.
pub(super) struct Source {
    dir: PathBuf,
    unit: UnitCode,
}

/// A node's TLS material while it runs: the current [`Credentials`], swapped whole
/// when its folder changes.
pub struct TlsState {
    current: RwLock<Arc<Credentials>>,
    seen: Arc<Seen>,
    source: Option<Source>,
    poll_every: Duration,
    generation: watch::Sender<u64>,
    reload_error: Mutex<Option<String>>,
    fingerprint: Mutex<Option<Fingerprint>>,
}

impl TlsState {
    fn with(credentials: Credentials, seen: Arc<Seen>, source: Option<Source>) -> TlsState {
        let fingerprint = source.as_ref().map(|s| fingerprint(&s.dir));
        TlsState {
            current: RwLock::new(Arc::new(credentials)),
            seen,
            source,
            poll_every: DEFAULT_POLL,
            generation: watch::channel(0).0,
            reload_error: Mutex::new(None),
            fingerprint: Mutex::new(fingerprint),
        }
    }

    /// From material in memory, checked as a node's own: its certificate signed by a
    /// root of the bundle and not revoked, its key matching, its revocation list
    /// signed by a root; and the certificate `unit`'s, when given.
    pub fn new(material: TlsMaterial, unit: Option<&UnitCode>) -> Result<TlsState, TlsError> {
        let seen = Arc::<Seen>::default();
        let c = Credentials::build(material, &Origin(None), Own::Checked(unit), &seen)?;
        Ok(TlsState::with(c, seen, None))
    }

    /// From material in memory without checking the certificate against the root:
    /// how a misconfigured or hostile peer would dial (tests).
    pub fn unchecked(material: TlsMaterial) -> Result<TlsState, TlsError> {
        let seen = Arc::<Seen>::default();
        let c = Credentials::build(material, &Origin(None), Own::Unchecked, &seen)?;
        Ok(TlsState::with(c, seen, None))
    }

    /// From `unit`'s TLS folder (checked as `new` does, errors naming the file);
    /// `watch` then follows the folder.
    pub fn from_dir(dir: &Path, unit: &UnitCode) -> Result<TlsState, TlsError> {
        let seen = Arc::<Seen>::default();
        let material = TlsMaterial::load(dir)?;
        let c = Credentials::build(
            material,
            &Origin(Some(dir)),
            Own::Checked(Some(unit)),
            &seen,
        )?;
        let source = Source {
            dir: dir.to_owned(),
            unit: unit.clone(),
        };
        Ok(TlsState::with(c, seen, Some(source)))
    }

    /// How often `watch` looks at the folder (default 5 s).
    pub fn poll_every(mut self, every: Duration) -> TlsState {
        self.poll_every = every;
        self
    }

    /// The material new connections use now.
    pub fn current(&self) -> Arc<Credentials> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Moves on every swap of the material.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.generation.subscribe()
    }

    /// Why the last attempt to load new material failed (None: it did not fail).
    pub fn reload_error(&self) -> Option<String> {
        self.reload_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The certificate `unit` last presented and we accepted.
    pub fn peer_cert(&self, unit: &UnitCode) -> Option<CertSummary> {
        self.seen
            .peers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(unit)
            .cloned()
    }

    /// How often a certificate claiming `presented` (e.g. "unit 441521") was refused
    /// in a handshake, and the last refusal.
    pub fn refusals(&self, presented: &str) -> Option<(u64, Refusal)> {
        self.seen
            .refusals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(presented)
            .cloned()
    }

    /// Calls `hook` on every certificate refused in a handshake.
    pub fn on_refusal(&self, hook: impl Fn(&Refusal) + Send + Sync + 'static) {
        *self
            .seen
            .on_refusal
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(hook));
    }

    /// Loads the folder again and swaps the material in if it holds together; on
    /// error keeps what is in use. Ok(false): nothing to read from, or unchanged.
    pub fn reload(&self) -> Result<bool, TlsError> {
        let Some(src) = &self.source else {
            return Ok(false);
        };
        let result = TlsMaterial::load(&src.dir).and_then(|m| {
            if m == *self.current().material() {
                return Ok(None);
            }
            Credentials::build(
                m,
                &Origin(Some(&src.dir)),
                Own::Checked(Some(&src.unit)),
                &self.seen,
            )
            .map(Some)
        });
        let mut error = self.reload_error.lock().unwrap_or_else(|p| p.into_inner());
        match result {
            Ok(None) => {
                *error = None;
                Ok(false)
            }
            Ok(Some(new)) => {
                let old = self.current();
                tracing::info!(
                    dir = %src.dir.display(),
                    serial = %new.own.serial,
                    previous_serial = %old.own.serial,
                    crl = new.crl.as_ref().map(|c| c.number).unwrap_or(0),
                    revoked = new.crl.as_ref().map(|c| c.revoked.len()).unwrap_or(0),
                    "new TLS material in use for new connections"
                );
                *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(new);
                *error = None;
                drop(error);
                self.generation.send_modify(|g| *g += 1);
                self.log_expiry();
                Ok(true)
            }
            Err(e) => {
                tracing::error!(
                    dir = %src.dir.display(),
                    error = %e,
                    serial = %self.current().own.serial,
                    "refused new TLS material; keeping the material in use"
                );
                *error = Some(e.to_string());
                Err(e)
            }
        }
    }

    /// Reloads if the folder's files changed since last looked at (and have stood
    /// still for a moment, so a half-finished set of writes is not read).
    async fn reload_if_changed(&self) {
        let Some(src) = &self.source else { return };
        let now = fingerprint(&src.dir);
        let last = self
            .fingerprint
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if last.as_ref() == Some(&now) {
            return;
        }
        tokio::time::sleep((self.poll_every / 4).min(Duration::from_millis(250))).await;
        if fingerprint(&src.dir) != now {
            return; // still being written: look again next time
        }
        *self.fingerprint.lock().unwrap_or_else(|p| p.into_inner()) = Some(now);
        let _ = self.reload();
    }

    /// Logs a warning for each date within `WARN_WITHIN_DAYS` (or past).
    pub fn log_expiry(&self) {
        let now = chrono::Utc::now().timestamp();
        for e in self.current().expiries() {
            if e.warning(now) {
                let at = chrono::DateTime::from_timestamp(e.not_after, 0)
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default();
                tracing::warn!(
                    kind = e.kind.as_str(),
                    serial = %e.serial,
                    subject = %e.subject,
                    not_after = %at,
                    days_left = e.days_left(now),
                    "{} expires within {WARN_WITHIN_DAYS} days (or has expired)",
                    e.kind.as_str()
                );
            }
        }
    }

    /// Until `shutdown`: follows the TLS folder (every `poll_every`) and warns about
    /// expiry at start and once a day.
    pub async fn watch(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let mut daily = tokio::time::interval(Duration::from_secs(24 * 3600));
        let mut poll = tokio::time::interval(self.poll_every);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = daily.tick() => self.log_expiry(),
                _ = poll.tick(), if self.source.is_some() => self.reload_if_changed().await,
            }
        }
    }

    /// Completes once the material in use revokes `serial` (never, if it never does).
    pub async fn until_revoked(&self, serial: &str) {
        let mut rx = self.subscribe();
        loop {
            if self.current().is_revoked(serial) {
                return;
            }
            if rx.changed().await.is_err() {
                return std::future::pending().await;
            }
        }
    }
}

/// `stop`, or else a stop that also turns true once `serial` (the certificate a
/// session's peer presented) is revoked by new material: so a peer revoked while
/// connected does not keep its session.
pub fn until_revoked_or(
    tls: Option<(Arc<TlsState>, String)>,
    mut stop: watch::Receiver<bool>,
    peer: UnitCode,
) -> watch::Receiver<bool> {
    let Some((state, serial)) = tls else {
        return stop;
    };
    let (tx, rx) = watch::channel(*stop.borrow());
    tokio::spawn(async move {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => {}
            _ = tx.closed() => return,
            _ = state.until_revoked(&serial) => {
                tracing::warn!(
                    peer = %peer,
                    serial = %serial,
                    "the peer's certificate is now revoked: session ended"
                );
            }
        }
        let _ = tx.send(true);
    });
    rx
}
