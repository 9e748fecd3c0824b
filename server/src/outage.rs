//! Internal failures as callers see them: the cause (a database's or a library's own text) is
//! logged once, here, with the request id, and the caller is answered with an [`Outage`]'s
//! fixed words (503). Raw causes name tables, files, drivers and queries: nothing the person at
//! the screen can act on, and some of it helps an attacker map the server.

use crate::audit::AuditError;
use app::api::{LookupError, Outage};
use std::fmt::Display;

/// Logs `cause` under `request_id` and answers with `outage`. The cause is never clinical
/// content: store and library errors name what failed, not what was asked for.
pub fn logged(outage: Outage, cause: &dyn Display, request_id: &str) -> LookupError {
    tracing::error!(
        request_id,
        outage = ?outage,
        error = %cause,
        "an internal failure; the caller is told only that it happened"
    );
    LookupError::Unavailable(outage)
}

/// An audit store failure while serving request `request_id`, as the caller is told it:
/// the store not read, or an event not written.
pub fn audit(request_id: &str) -> impl FnOnce(AuditError) -> LookupError + '_ {
    move |error| logged(audit_outage(&error), &error, request_id)
}

/// Which outage an audit store failure is, to the caller.
fn audit_outage(error: &AuditError) -> Outage {
    match error {
        AuditError::Open(_) | AuditError::Read(_) => Outage::AuditRead,
        AuditError::Write(_) | AuditError::Rejected(_) | AuditError::Stopped => Outage::AuditWrite,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caller_gets_fixed_words_never_the_cause() {
        let cause = "error returned from database: (code: 266) disk I/O error";
        // (store failure, what the caller is told)
        let table = [
            (AuditError::Read(cause.into()), Outage::AuditRead),
            (AuditError::Open(cause.into()), Outage::AuditRead),
            (AuditError::Write(cause.into()), Outage::AuditWrite),
            (AuditError::Rejected(cause.into()), Outage::AuditWrite),
            (AuditError::Stopped, Outage::AuditWrite),
        ];
        for (error, told) in table {
            let answer = audit("r1")(error.clone());
            assert_eq!(answer, LookupError::Unavailable(told), "{error}");
            let words = answer.to_string();
            assert!(!words.contains("disk I/O"), "{words}");
            assert!(words.contains("service desk"), "{words}");
            assert_eq!(answer.status(), axum::http::StatusCode::SERVICE_UNAVAILABLE);
        }
    }
}
