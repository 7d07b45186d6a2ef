//! Stored records in the terms of core: the clinic's opening hours parsed and its response times
//! (for `needlepath_core::pathway`), and the engine's stored documents (screening and plan
//! results, a check-in's report) read as core's typed values (`needlepath_core::stored`). Core
//! owns the rules and the shapes; the store keeps the settings as the clinic typed them and the
//! documents as the engine wrote them, and fails loudly on one it cannot read.

use needlepath_core::pathway::booking;
use needlepath_core::pathway::response::ResponseTimes;
use needlepath_core::stored::{CheckInRead, PlanRead, PlanRequestRead, ScreeningRead, Unreadable};
use needlepath_core::vocabulary::Concern;

use crate::StoreError;
use crate::records::{CheckIn, OpeningHours, Plan, ResponsePolicy, Screening};

impl OpeningHours {
    /// These opening hours, parsed; the error names the field (`opening_hours.…`) and what is
    /// accepted.
    pub fn parsed(&self) -> Result<booking::OpeningHours, (String, String)> {
        booking::OpeningHours::parse(&self.days, &self.opens, &self.closes)
    }
}

impl From<&ResponsePolicy> for ResponseTimes {
    fn from(p: &ResponsePolicy) -> Self {
        ResponseTimes {
            emergency_minutes: p.emergency_minutes,
            urgent_minutes: p.urgent_minutes,
            contact_business_days: p.contact_business_days,
        }
    }
}

/// A stored document that does not read: the store fails loudly ([`StoreError::Corrupt`]).
fn corrupt(e: Unreadable) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

impl Screening {
    /// The stored screening result, typed.
    pub fn read(&self) -> Result<ScreeningRead, StoreError> {
        ScreeningRead::from_stored(&self.result).map_err(corrupt)
    }
}

impl Plan {
    /// The stored plan result, typed.
    pub fn read(&self) -> Result<PlanRead, StoreError> {
        PlanRead::from_stored(&self.result).map_err(corrupt)
    }

    /// The concern the plan was made for.
    pub fn concern(&self) -> Result<Concern, StoreError> {
        PlanRequestRead::from_stored(&self.request).map(|r| r.concern).map_err(corrupt)
    }
}

impl CheckIn {
    /// What the check-in reported (symptoms, hours after the session), typed; `None` for a
    /// scheduled check-in not answered yet.
    pub fn reported(&self) -> Result<Option<CheckInRead>, StoreError> {
        self.request.as_ref().map(|r| CheckInRead::from_stored(r).map_err(corrupt)).transpose()
    }
}
