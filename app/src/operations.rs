//! The admin's side of the boundary: operational pages with no clinical data. For now, the
//! delivery status of child-protection notifications. Refused on the server to every role
//! without the `operations` permission.

use crate::api::LookupError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub use service::*;

/// One notification as operations staff see it: where it goes and whether it got there, never
/// whom it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationStatus {
    pub id: i64,
    /// RFC 3339, UTC.
    pub created: String,
    pub recipient: String,
    pub source_id: String,
    pub delivered: Option<String>,
    pub attempts: u32,
    pub last_error: Option<String>,
}

/// The newest notifications and their delivery status.
#[server(prefix = "/sfn", endpoint = "ops-notifications")]
pub async fn notification_delivery() -> Result<Vec<NotificationStatus>, LookupError> {
    let status = async {
        let caller = leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<crate::auth::Caller>().cloned())
            .ok_or(LookupError::NotSignedIn)?;
        leptos::prelude::use_context::<SharedOperationsService>()
            .ok_or(LookupError::Unavailable(crate::api::Outage::NotConfigured))?
            .notifications(&caller)
            .await
    };
    crate::api::with_status(status.await)
}

#[cfg(feature = "ssr")]
mod service {
    use super::NotificationStatus;
    use crate::api::LookupError;
    use crate::auth::Caller;
    use futures::future::BoxFuture;
    use std::sync::Arc;

    pub trait OperationsService: Send + Sync + 'static {
        fn notifications<'a>(
            &'a self,
            caller: &'a Caller,
        ) -> BoxFuture<'a, Result<Vec<NotificationStatus>, LookupError>>;
    }

    pub type SharedOperationsService = Arc<dyn OperationsService>;
}
