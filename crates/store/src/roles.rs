//! The one role rule the store enforces itself: who reads and writes clinical records.
//!
//! Routes decide who may call them (the server's `policy.rs`). The store keeps the clinical-role
//! rule as a second line of defence, so a route that forgets its access rule still cannot hand
//! the front desk a patient's screenings. The server's policy asks [`Role::is_clinical`] too,
//! so the two lines cannot disagree about who is clinical.

use crate::records::Role;

impl Role {
    /// Practitioners and admins are clinical staff: they read and record screenings, plans,
    /// sessions, check-ins and alerts. The front desk keeps appointments, messages, follow-ups
    /// and the patient's contact details.
    pub fn is_clinical(self) -> bool {
        match self {
            Role::Admin | Role::Practitioner => true,
            Role::FrontDesk => false,
        }
    }
}
