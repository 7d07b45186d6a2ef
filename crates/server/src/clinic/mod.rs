//! The application layer: the clinic's work as use cases.
//!
//! Each use case takes the caller (`&Actor`) and typed input, opens one unit of work on the store
//! (`needlepath_store::unit`: one transaction, one audit record naming what was seen or changed)
//! and returns a typed outcome or a [`ClinicError`]. The JSON API (`api/`) and the pages
//! (`pages/`) are adapters around them: they parse, call one use case and render. The rules the
//! use cases apply are core's (`needlepath_core::pathway`, `triage`, `screening`, …); what lives
//! here is the order of steps, the transaction and the audit.
//!
//! Only this module reaches the store: [`Records::store`] is private to it.

pub mod access;
pub mod appointments;
pub mod chart;
pub mod check_ins;
pub mod clinic_outcomes;
pub mod consent;
pub mod consent_scan;
pub mod cost;
pub mod error;
pub mod login_throttle;
pub mod my_record;
pub mod my_reminders;
pub mod ops;
pub mod outbox;
pub mod outcomes;
pub mod patient_record;
pub mod patients;
pub mod photos;
pub mod plans;
pub mod queue;
pub mod redness;
pub mod screening;
pub mod sessions;
pub mod settings;
pub mod setup;
pub mod today;
pub mod unsubscribe;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use needlepath_store::Store;

pub use error::{ClinicError, ClinicResult};

/// The store handle, reachable only from the application layer.
pub struct Records {
    store: Arc<dyn Store>,
}

impl Records {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    pub(in crate::clinic) fn store(&self) -> &dyn Store {
        &*self.store
    }
}

/// The caller's clinic (its name, zone and settings). Not a patient's data, so no unit and no
/// audit record: one read on the store's read pool.
pub async fn the_clinic(app: &crate::App, actor: &needlepath_store::Actor) -> ClinicResult<needlepath_store::Clinic> {
    Ok(app.records.store().clinic(actor.clinic).await?)
}

/// A clinic by its id, for the service's own work (a message's sender, a clinic's protocol).
pub async fn clinic_by_id(app: &crate::App, id: needlepath_store::ClinicId) -> ClinicResult<needlepath_store::Clinic> {
    Ok(app.records.store().clinic(id).await?)
}

/// Where "now" comes from: the system clock in service, a fixed or moving one in tests, so a test
/// can travel in time end to end.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The system clock moved by an offset that can be changed while the service runs: tests travel
/// in time end to end with it (a session "three days ago" without waiting three days).
#[derive(Debug, Default)]
pub struct TravelClock {
    offset: std::sync::Mutex<chrono::Duration>,
}

impl TravelClock {
    /// Moves the clock on by `by` (back, when negative).
    pub fn travel(&self, by: chrono::Duration) {
        if let Ok(mut o) = self.offset.lock() {
            *o += by;
        }
    }
}

impl Clock for TravelClock {
    fn now(&self) -> DateTime<Utc> {
        let offset = self.offset.lock().map(|o| *o).unwrap_or_default();
        Utc::now() + offset
    }
}
