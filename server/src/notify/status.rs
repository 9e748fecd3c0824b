//! What operations staff see of the outbox: each notification's recipient and delivery, never
//! whom it is about. Needs the `operations` permission.

use super::outbox::{Notification, Outbox};
use crate::clock::rfc3339;
use app::api::{LookupError, Outage};
use app::auth::{Caller, Permission};
use app::operations::{NotificationStatus, OperationsService};
use futures::future::BoxFuture;
use std::sync::Arc;

pub struct OperationsDesk {
    outbox: Arc<Outbox>,
}

impl OperationsDesk {
    pub fn new(outbox: Arc<Outbox>) -> Self {
        Self { outbox }
    }
}

impl OperationsService for OperationsDesk {
    fn notifications<'a>(
        &'a self,
        caller: &'a Caller,
    ) -> BoxFuture<'a, Result<Vec<NotificationStatus>, LookupError>> {
        Box::pin(async move {
            if !caller.viewer.may(Permission::Operations) {
                return Err(LookupError::Forbidden(format!(
                    "your role ({}) cannot see operational pages",
                    caller.viewer.role.label()
                )));
            }
            let recent = self.outbox.recent(200).await.map_err(|error| {
                let request_id = &caller.request.request_id;
                crate::outage::logged(Outage::DeliveryStatus, &error, request_id)
            })?;
            Ok(recent.iter().map(status).collect())
        })
    }
}

fn status(n: &Notification) -> NotificationStatus {
    NotificationStatus {
        id: n.id,
        created: rfc3339(n.created_ms),
        recipient: n.recipient.clone(),
        source_id: n.source_id.clone(),
        delivered: n.delivered_ms.map(rfc3339),
        attempts: n.attempts,
        last_error: n.last_error.clone(),
    }
}
