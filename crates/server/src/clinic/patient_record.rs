//! A patient's record as the reader's role may see it (issue 14, defect 10).
//!
//! The front desk books, invites and keeps contact details; it does not read medical history.
//! Findings, allergies and medication are clinical data: they change what triage answers (an
//! `anticoagulant` finding turns bruising from self care into "contact the clinic"), so only
//! clinical staff (practitioners, admins) and the patient read them. The store reads the whole
//! record for every caller, because triage and reminder scheduling need the findings whoever
//! asked; what is withheld is withheld here, in what a use case hands back, so the API and the
//! pages cannot show more than the role may read. The store refuses a change to these fields
//! from a non-clinical role on its own (`queries/policy.rs`).

use chrono::{DateTime, NaiveDate, Utc};
use needlepath_store::{Actor, ClinicId, IanaZone, Patient, PatientFinding, PatientId, Who};
use schemars::JsonSchema;
use serde::Serialize;

/// The clinical fields of a record, by name, as [`PatientRecord::withheld`] lists them.
pub const CLINICAL_FIELDS: [&str; 3] = ["findings", "allergies", "medication"];

/// A patient's record as its reader may see it: the whole record for clinical staff and for the
/// patient; for the front desk, contact and intake details, with the clinical fields absent and
/// named in `withheld`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Patient")]
pub struct PatientRecord {
    pub id: PatientId,
    pub clinic: ClinicId,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub time_zone: IanaZone,
    pub birth_date: Option<NaiveDate>,
    #[schemars(range(min = 1, max = 6))]
    pub fitzpatrick: Option<u8>,
    /// Absent when the reader's role may not read clinical data (see `withheld`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<Vec<PatientFinding>>,
    /// Allergies, free text. Read and changed by practitioners and admins only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 30), inner(length(min = 1, max = 200)))]
    pub allergies: Option<Vec<String>>,
    /// Current medication, free text. Read and changed by practitioners and admins only.
    ///
    /// Medication the protocol decides on (anticoagulant, isotretinoin, …) is a finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 30), inner(length(min = 1, max = 200)))]
    pub medication: Option<Vec<String>>,
    /// The clinical fields left out because the reader's role may not read them (front desk):
    /// `findings`, `allergies`, `medication`. Empty for clinical staff and the patient.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub withheld: Vec<&'static str>,
    pub consent_messages: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Whether `actor` reads clinical data: clinical staff by login or token, the patient (the store
/// confines a patient to their own record) and the service itself.
pub fn reads_clinical_data(actor: &Actor) -> bool {
    match actor.who {
        Who::Staff(_, role) | Who::Token(_, role) => role.is_clinical(),
        Who::Patient(_) | Who::System => true,
    }
}

impl PatientRecord {
    /// The record as `actor` may read it.
    pub fn read_by(p: Patient, actor: &Actor) -> Self {
        let clinical = reads_clinical_data(actor);
        let keep = |v| if clinical { Some(v) } else { None };
        Self {
            id: p.id,
            clinic: p.clinic,
            name: p.name,
            email: p.email,
            phone: p.phone,
            time_zone: p.time_zone,
            birth_date: p.birth_date,
            fitzpatrick: p.fitzpatrick,
            findings: if clinical { Some(p.findings) } else { None },
            allergies: keep(p.allergies),
            medication: keep(p.medication),
            withheld: if clinical { Vec::new() } else { CLINICAL_FIELDS.to_vec() },
            consent_messages: p.consent_messages,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use needlepath_store::{Role, StaffId};

    use super::*;

    fn patient() -> Patient {
        Patient {
            id: PatientId::new(),
            clinic: ClinicId::new(),
            name: "Ana".into(),
            email: None,
            phone: None,
            time_zone: IanaZone::UTC,
            birth_date: None,
            fitzpatrick: Some(3),
            findings: vec![PatientFinding { code: "anticoagulant".into(), last: None }],
            allergies: vec!["latex".into()],
            medication: vec!["warfarin".into()],
            consent_messages: true,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn the_front_desk_reads_no_findings_allergies_or_medication() {
        let p = patient();
        let desk = Actor { clinic: p.clinic, who: Who::Staff(StaffId::new(), Role::FrontDesk), ip: None };
        let r = PatientRecord::read_by(p.clone(), &desk);
        assert!(r.findings.is_none() && r.allergies.is_none() && r.medication.is_none());
        assert_eq!(r.withheld, CLINICAL_FIELDS);
        let json = serde_json::to_string(&r).unwrap();
        assert!(!json.contains("anticoagulant") && !json.contains("latex") && !json.contains("warfarin"), "{json}");

        let practitioner = Actor { who: Who::Staff(StaffId::new(), Role::Practitioner), ..desk };
        let r = PatientRecord::read_by(p, &practitioner);
        assert_eq!(r.findings.map(|f| f.len()), Some(1));
        assert!(r.withheld.is_empty());
    }
}
