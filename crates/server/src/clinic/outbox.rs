//! The outbox as the delivery worker uses it: claim due messages under a lease, read who a
//! message goes to, record each outcome. The worker (`reminders::worker`) decides how to
//! deliver; these are its only ways to the store.

use chrono::{DateTime, Utc};
use needlepath_store::{Addressee, ClinicId, Message, MessageId, Outcome, Recipient};

use crate::App;
use crate::clinic::ClinicResult;

/// Claims up to `limit` due messages for `worker` until `lease_until`.
pub async fn claim(
    app: &App,
    worker: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u32,
) -> ClinicResult<Vec<Message>> {
    Ok(app.records.store().claim_messages(worker, now, lease_until, limit).await?)
}

/// Records what became of each claimed message.
pub async fn complete(
    app: &App,
    worker: &str,
    outcomes: &[(ClinicId, MessageId, Outcome)],
    now: DateTime<Utc>,
) -> ClinicResult<u64> {
    Ok(app.records.store().complete_messages(worker, outcomes, now).await?)
}

/// The contact details a message goes to.
pub async fn addressee(app: &App, clinic: ClinicId, recipient: Recipient) -> ClinicResult<Addressee> {
    Ok(app.records.store().addressee(clinic, recipient).await?)
}
