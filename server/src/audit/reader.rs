//! The audit trail opened for reading: only a caller with the `audit` permission gets an
//! [`AuditReader`] ([`AuditTrail::reader`]), so no page, server function or API route can read
//! who looked at which record without the check having been made. Store failures are logged
//! with their cause and the request id, and answered in fixed words ([`crate::outage`]).

use super::counts::{AccessCount, AccessCounts};
use super::{AuditError, AuditStore, AuditTrail, Checkpoint, Filter, StoredEvent};
use app::api::LookupError;
use app::auth::{Caller, Permission};

/// The store, readable by one audit officer for one request.
pub struct AuditReader<'t> {
    store: &'t dyn AuditStore,
    request_id: &'t str,
}

impl AuditTrail {
    /// The trail opened for reading by `caller`, who must hold the `audit` permission.
    pub fn reader<'t>(&'t self, caller: &'t Caller) -> Result<AuditReader<'t>, LookupError> {
        if !caller.viewer.may(Permission::Audit) {
            return Err(LookupError::Forbidden(format!(
                "your role ({}) cannot use the audit workspace",
                caller.viewer.role.label()
            )));
        }
        Ok(AuditReader {
            store: &*self.store,
            request_id: &caller.request.request_id,
        })
    }
}

impl AuditReader<'_> {
    /// Events matching `filter`, newest first, older than `before`, at most `limit`.
    pub async fn search(
        &self,
        filter: &Filter,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<StoredEvent>, LookupError> {
        let found = self.store.search(filter, before, limit).await;
        found.map_err(self.failed())
    }

    /// The event at `seq`, if it is still kept.
    pub async fn get(&self, seq: i64) -> Result<Option<StoredEvent>, LookupError> {
        self.store.get(seq).await.map_err(self.failed())
    }

    /// Emergency accesses not yet reviewed, oldest first, at most `limit`.
    pub async fn pending_reviews(&self, limit: u32) -> Result<Vec<StoredEvent>, LookupError> {
        let found = self.store.pending_reviews(limit).await;
        found.map_err(self.failed())
    }

    /// The access report's counts.
    pub async fn count_accesses(&self, count: &AccessCount) -> Result<AccessCounts, LookupError> {
        self.store
            .count_accesses(count)
            .await
            .map_err(self.failed())
    }

    /// The last purge's checkpoint: since when the trail is whole.
    pub async fn checkpoint(&self) -> Result<Option<Checkpoint>, LookupError> {
        self.store.checkpoint().await.map_err(self.failed())
    }

    /// Checks the whole chain: the number of events checked, or the first broken link.
    pub async fn verify(&self) -> Result<Result<u64, super::Broken>, LookupError> {
        super::verify(self.store).await.map_err(self.failed())
    }

    fn failed(&self) -> impl FnOnce(AuditError) -> LookupError + '_ {
        crate::outage::audit(self.request_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::auth::{RequestInfo, Role, Viewer};

    fn caller(role: Role) -> Caller {
        Caller {
            viewer: Viewer {
                user_id: "u".into(),
                name: "A Person".into(),
                role,
                organisation: None,
                other_roles: 0,
                permissions: crate::policy::PermissionMatrix::defaults().permissions(role),
                csrf_token: String::new(),
            },
            basis: app::consent::BasisSource::Stated(Ok(None)),
            request: RequestInfo::default(),
        }
    }

    /// Only a role holding the `audit` permission gets a reader; every other role is refused
    /// before the store is touched.
    #[tokio::test]
    async fn only_an_audit_officer_gets_a_reader() {
        let dir = std::env::temp_dir().join(format!("scrv-reader-{}", std::process::id()));
        let store = super::super::sqlite::SqliteAudit::open(&dir.join("audit.db"))
            .await
            .unwrap();
        let trail = AuditTrail::start(std::sync::Arc::new(store), 8);
        let table = [
            (Role::AeClinician, false),
            (Role::UrgentCareClinician, false),
            (Role::CallHandler, false),
            (Role::AuditOfficer, true),
            (Role::Admin, false),
        ];
        assert_eq!(table.len(), Role::ALL.len(), "every role has a row");
        for (role, reads) in table {
            let caller = caller(role);
            match trail.reader(&caller) {
                Ok(reader) => {
                    assert!(reads, "{role:?} was given a reader");
                    assert_eq!(reader.verify().await, Ok(Ok(0)), "{role:?}");
                }
                Err(refusal) => {
                    assert!(!reads, "{role:?} was refused: {refusal}");
                    assert!(matches!(refusal, LookupError::Forbidden(_)), "{role:?}");
                }
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
