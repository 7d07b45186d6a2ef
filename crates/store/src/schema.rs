//! JSON Schemas for the parts of the records whose JSON is not what their Rust type would say:
//! the engine's requests and results kept as `Value` (they are the contract's documents, so the
//! schema is a reference to the contract's own schema), free JSON kept as an object, and the
//! list of what an audit record saw.
//!
//! The records derive `schemars::JsonSchema` so the server's OpenAPI document is derived from
//! the types it serialises; these are the `schema_with` functions those derives name. A
//! reference is built from the generator's definitions path, so it points wherever the caller
//! collects the schemas (`#/components/schemas/...` in the OpenAPI document).

use schemars::{Schema, SchemaGenerator, json_schema};

use crate::unit::Seen;

fn reference(generator: &SchemaGenerator, name: &str) -> Schema {
    let path = generator.settings().definitions_path.trim_start_matches('#').trim_end_matches('/');
    json_schema!({ "$ref": format!("#{path}/{name}") })
}

/// The names the engine's contract schemas (`docs/spec/*.schema.json`) are collected under; the
/// server adds the schemas themselves, exactly as the contract files have them.
pub mod contract {
    use super::*;

    pub fn screening_request(g: &mut SchemaGenerator) -> Schema {
        reference(g, "ScreeningRequest")
    }

    pub fn screening_result(g: &mut SchemaGenerator) -> Schema {
        reference(g, "ScreeningResult")
    }

    pub fn plan_request(g: &mut SchemaGenerator) -> Schema {
        reference(g, "PlanRequest")
    }

    pub fn plan_result(g: &mut SchemaGenerator) -> Schema {
        reference(g, "PlanResult")
    }

    pub fn triage_result(g: &mut SchemaGenerator) -> Schema {
        reference(g, "TriageResult")
    }
}

/// Any JSON object (a message's payload).
pub fn object(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "object" })
}

/// A JSON object kept as it came, or null (a check-in's request and result).
pub fn object_or_null(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": ["object", "null"] })
}

/// Every [`Seen`] code. `listed` has no wildcard arm, so a new part of the record fails to
/// compile here until it is named, which is the reminder to add it to this list.
const SEEN: [Seen; 17] = [
    Seen::Patient,
    Seen::Screenings,
    Seen::Plans,
    Seen::Sessions,
    Seen::CheckIns,
    Seen::Appointments,
    Seen::Messages,
    Seen::Staff,
    Seen::Alerts,
    Seen::Gates,
    Seen::Audit,
    Seen::Reminders,
    Seen::Patients,
    Seen::FollowUps,
    Seen::Consents,
    Seen::Photos,
    Seen::Outcomes,
];

const fn listed(s: Seen) -> bool {
    match s {
        Seen::Patient
        | Seen::Screenings
        | Seen::Plans
        | Seen::Sessions
        | Seen::CheckIns
        | Seen::Appointments
        | Seen::Messages
        | Seen::Staff
        | Seen::Alerts
        | Seen::Gates
        | Seen::Audit
        | Seen::Reminders
        | Seen::Patients
        | Seen::FollowUps
        | Seen::Consents
        | Seen::Photos
        | Seen::Outcomes => true,
    }
}

const _: () = {
    let mut i = 0;
    while i < SEEN.len() {
        assert!(listed(SEEN[i]));
        i += 1;
    }
};

/// What an audit record saw: a list of [`Seen`] codes.
pub fn seen(_: &mut SchemaGenerator) -> Schema {
    let codes: Vec<&str> = SEEN.iter().map(|s| s.as_str()).collect();
    json_schema!({ "type": "array", "items": { "type": "string", "enum": codes } })
}
