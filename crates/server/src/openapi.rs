//! The OpenAPI 3.1 document, generated from the route table (`routes.rs`) and the schemas below.
//!
//! The engine's request and result schemas are the contract's own files (`docs/spec/`),
//! embedded as they are. `docs/openapi.json` is this document committed; a test fails when the
//! two differ, and the API tests validate real responses against these schemas.

use serde_json::{Map, Value, json};

use crate::routes::{Access, table};

fn contract(text: &str) -> Value {
    let mut v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.remove("$schema");
        o.remove("$id");
    }
    v
}

fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn list_of(key: &str, item: &str) -> Value {
    json!({ "type": "object", "required": [key], "properties": { key: { "type": "array", "items": r(item) } } })
}

const ID: &str = "uuid";

fn id() -> Value {
    json!({ "type": "string", "format": ID })
}

fn id_or_null() -> Value {
    json!({ "type": ["string", "null"], "format": ID })
}

fn time() -> Value {
    json!({ "type": "string", "format": "date-time" })
}

fn time_or_null() -> Value {
    json!({ "type": ["string", "null"], "format": "date-time" })
}

fn string_or_null() -> Value {
    json!({ "type": ["string", "null"] })
}

fn role() -> Value {
    json!({ "type": "string", "enum": ["admin", "practitioner", "front_desk"] })
}

fn schemas() -> Map<String, Value> {
    let mut s = Map::new();
    let mut add = |name: &str, v: Value| {
        s.insert(name.to_string(), v);
    };
    add("ScreeningRequest", contract(include_str!("../../../docs/spec/screening-request.schema.json")));
    add("ScreeningResult", contract(include_str!("../../../docs/spec/screening-result.schema.json")));
    add("CheckInRequest", contract(include_str!("../../../docs/spec/checkin-request.schema.json")));
    add("TriageResult", contract(include_str!("../../../docs/spec/triage-result.schema.json")));
    add("PlanRequest", contract(include_str!("../../../docs/spec/plan-request.schema.json")));
    add("PlanResult", contract(include_str!("../../../docs/spec/plan-result.schema.json")));
    add("CanIResult", contract(include_str!("../../../docs/spec/can-i-result.schema.json")));
    add(
        "CanIRequest",
        json!({
            "type": "object", "additionalProperties": false, "required": ["activity", "hours_since_treatment"],
            "properties": { "activity": { "type": "string" }, "hours_since_treatment": { "type": "number", "minimum": 0 } }
        }),
    );
    add(
        "Problem",
        json!({
            "type": "object", "required": ["type", "title", "status", "code", "detail"],
            "properties": {
                "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" },
                "code": { "type": "string", "description": "Stable snake_case error code." },
                "detail": { "type": "string" },
                "field": { "type": "string", "description": "The offending field, for input errors (e.g. symptoms[1].code)." },
                "blockers": { "type": "array", "description": "For `session_blocked`: each blocker with its `code`, `key` (what an override names), `message`, `overridable` and `override_by`.",
                    "items": { "type": "object", "required": ["code", "key", "message", "overridable"], "properties": {
                        "code": { "type": "string" }, "key": { "type": "string" }, "message": { "type": "string" },
                        "overridable": { "type": "boolean" }, "override_by": { "type": ["string", "null"] } } } }
            }
        }),
    );
    add(
        "Health",
        json!({ "type": "object", "required": ["status"], "properties": { "status": { "type": "string" }, "database": { "type": "string" } } }),
    );
    add(
        "SetupRequest",
        json!({
            "type": "object", "additionalProperties": false, "required": ["token", "clinic", "admin"],
            "properties": {
                "token": { "type": "string" },
                "clinic": { "type": "object", "required": ["name", "time_zone"], "properties": {
                    "name": { "type": "string" }, "time_zone": { "type": "string", "examples": ["Europe/Berlin"] }, "currency": { "type": "string" } } },
                "admin": { "type": "object", "required": ["email", "name", "password"], "properties": {
                    "email": { "type": "string", "format": "email" }, "name": { "type": "string" }, "password": { "type": "string", "minLength": 12 } } }
            }
        }),
    );
    add(
        "SetupResult",
        json!({ "type": "object", "required": ["clinic", "admin"], "properties": { "clinic": r("Clinic"), "admin": r("Staff") } }),
    );
    add(
        "LoginRequest",
        json!({
            "type": "object", "additionalProperties": false, "required": ["email", "password"],
            "properties": { "email": { "type": "string" }, "password": { "type": "string" } }
        }),
    );
    add(
        "InviteRedeem",
        json!({ "type": "object", "additionalProperties": false, "required": ["token"], "properties": { "token": { "type": "string" } } }),
    );
    add(
        "SessionInfo",
        json!({
            "type": "object", "required": ["kind"],
            "properties": {
                "kind": { "type": "string", "enum": ["staff", "patient", "api_token"] }, "clinic": id(),
                "staff": r("Staff"), "patient_id": id(), "token_id": id(), "role": role(),
                "csrf_token": { "type": "string", "description": "Send it as X-CSRF-Token on every cookie-authenticated change." },
                "expires_at": time()
            }
        }),
    );
    add(
        "ClinicSettings",
        json!({
            "type": "object", "additionalProperties": false,
            "properties": {
                "currency": { "type": "string" }, "price_per_session": { "type": ["number", "null"] },
                "opening_hours": { "type": "object", "additionalProperties": false, "properties": {
                    "days": { "type": "array", "items": { "type": "integer", "minimum": 1, "maximum": 7 } },
                    "opens": { "type": "string", "pattern": "^\\d{2}:\\d{2}$" }, "closes": { "type": "string", "pattern": "^\\d{2}:\\d{2}$" } } },
                "response": { "type": "object", "additionalProperties": false, "properties": {
                    "emergency_minutes": { "type": "integer", "minimum": 1, "maximum": 1440 }, "urgent_minutes": { "type": "integer" }, "contact_business_days": { "type": "integer" } } },
                "check_in_days": { "type": "array", "items": { "type": "integer", "minimum": 1, "maximum": 90 } },
                "missed_check_in_grace_hours": { "type": "integer" },
                "quiet_hours": { "type": "string", "description": "When no reminder is sent, in each patient's local time: `21:00-08:00` (start-end), or `none`." },
                "calendar_details": { "type": "boolean", "description": "Whether calendar-feed events carry the care step's words (by default they say only \"Clinic appointment\", \"Care step\" or \"Check-in\")." },
                "contact": { "type": "object", "additionalProperties": false, "description": "How patients reach the clinic: shown on every patient page, on urgent and emergency answers, in e-mails and on the printed care sheet. Empty or null parts are absent.", "properties": {
                    "phone": { "type": ["string", "null"], "description": "3 to 20 digits, with spaces and + - ( ) . only." },
                    "out_of_hours_phone": { "type": ["string", "null"], "description": "Who answers when the clinic is closed; an urgent check-in outside opening hours is told to call it now." },
                    "address": { "type": ["string", "null"], "maxLength": 300 },
                    "email": { "type": ["string", "null"], "format": "email" },
                    "country": { "type": ["string", "null"], "pattern": "^[A-Z]{2}$", "description": "ISO 3166 alpha-2; decides the emergency number patients are given (DE 112, GB 999, US 911, …)." } } },
                "protocol": { "type": "string", "description": "The clinic's own protocol: TOML extending the service's protocol, refused (422, with `problems`) when anything is below the safety floor. In a PATCH: absent keeps the stored protocol, an empty text removes it." }
            }
        }),
    );
    add(
        "Clinic",
        json!({
            "type": "object", "required": ["id", "name", "time_zone", "settings"],
            "properties": { "id": id(), "name": { "type": "string" }, "time_zone": { "type": "string" }, "settings": r("ClinicSettings"),
                "created_at": time(), "updated_at": time() }
        }),
    );
    add(
        "ClinicUpdate",
        json!({
            "type": "object", "additionalProperties": false,
            "properties": { "name": { "type": "string" }, "time_zone": { "type": "string" }, "settings": r("ClinicSettings") }
        }),
    );
    add(
        "Staff",
        json!({
            "type": "object", "required": ["id", "clinic", "email", "name", "role", "active"],
            "properties": { "id": id(), "clinic": id(), "email": { "type": "string" }, "name": { "type": "string" }, "role": role(),
                "active": { "type": "boolean" }, "created_at": time() }
        }),
    );
    add("StaffList", list_of("staff", "Staff"));
    add(
        "NewStaff",
        json!({
            "type": "object", "additionalProperties": false, "required": ["email", "name", "role", "password"],
            "properties": { "email": { "type": "string" }, "name": { "type": "string" }, "role": role(), "password": { "type": "string", "minLength": 12 } }
        }),
    );
    add(
        "StaffUpdate",
        json!({
            "type": "object", "additionalProperties": false,
            "properties": { "name": { "type": "string" }, "role": role(), "active": { "type": "boolean" }, "password": { "type": "string", "minLength": 12 } }
        }),
    );
    add(
        "Token",
        json!({
            "type": "object", "required": ["id", "name", "role"],
            "properties": { "id": id(), "clinic": id(), "name": { "type": "string" }, "role": role(), "created_by": id_or_null(),
                "created_at": time(), "revoked_at": time_or_null() }
        }),
    );
    add("TokenList", list_of("tokens", "Token"));
    add(
        "NewToken",
        json!({ "type": "object", "additionalProperties": false, "required": ["name", "role"], "properties": { "name": { "type": "string" }, "role": role() } }),
    );
    add(
        "TokenCreated",
        json!({ "type": "object", "required": ["token", "secret"], "properties": { "token": r("Token"),
        "secret": { "type": "string", "description": "Shown once; send as Authorization: Bearer SECRET." } } }),
    );
    let finding = json!({ "type": "object", "additionalProperties": false, "required": ["code"],
        "properties": { "code": { "type": "string" }, "last": { "type": "string", "format": "date" } } });
    let free_list = |what: &str| {
        json!({ "type": "array", "maxItems": 30, "items": { "type": "string", "minLength": 1, "maxLength": 200 },
            "description": format!("{what}, free text. Changed by practitioners and admins only.") })
    };
    add(
        "Patient",
        json!({
            "type": "object", "required": ["id", "clinic", "name", "time_zone", "findings", "allergies", "medication", "consent_messages"],
            "properties": { "id": id(), "clinic": id(), "name": { "type": "string" }, "email": string_or_null(), "phone": string_or_null(),
                "time_zone": { "type": "string" }, "birth_date": { "type": ["string", "null"], "format": "date" },
                "fitzpatrick": { "type": ["integer", "null"], "minimum": 1, "maximum": 6 },
                "findings": { "type": "array", "items": finding }, "allergies": free_list("Allergies"),
                "medication": free_list("Current medication"), "consent_messages": { "type": "boolean" },
                "created_at": time(), "updated_at": time() }
        }),
    );
    add(
        "PatientList",
        json!({ "type": "object", "required": ["patients"], "properties": {
        "patients": { "type": "array", "items": r("Patient") }, "limit": { "type": "integer" }, "offset": { "type": "integer" } } }),
    );
    add(
        "NewPatient",
        json!({
            "type": "object", "additionalProperties": false, "required": ["name"],
            "properties": { "name": { "type": "string" }, "email": { "type": "string" }, "phone": { "type": "string" },
                "time_zone": { "type": "string", "description": "Default: the clinic's." }, "birth_date": { "type": "string", "format": "date" },
                "fitzpatrick": { "type": "integer", "minimum": 1, "maximum": 6 }, "findings": { "type": "array", "items": finding },
                "allergies": free_list("Allergies"), "medication": free_list("Current medication"),
                "consent_messages": { "type": "boolean" } }
        }),
    );
    add(
        "PatientUpdate",
        json!({
            "type": "object", "additionalProperties": false, "description": "Absent fields stay; null clears an optional field.",
            "properties": { "name": { "type": "string" }, "email": string_or_null(), "phone": string_or_null(), "time_zone": { "type": "string" },
                "birth_date": { "type": ["string", "null"], "format": "date" }, "fitzpatrick": { "type": ["integer", "null"] },
                "findings": { "type": "array", "items": finding, "description": "The whole list; practitioners and admins only." },
                "allergies": free_list("Allergies"), "medication": free_list("Current medication"),
                "consent_messages": { "type": "boolean" } }
        }),
    );
    add(
        "Invite",
        json!({ "type": "object", "required": ["patient_id", "url", "token", "expires_at"], "properties": {
        "patient_id": id(), "url": { "type": "string" }, "token": { "type": "string" }, "expires_at": time() } }),
    );
    add(
        "SignInLinkRequest",
        json!({ "type": "object", "additionalProperties": false, "required": ["email"], "properties": {
        "email": { "type": "string", "format": "email", "description": "The address the clinic has for the patient." } } }),
    );
    add(
        "SignInLinkAccepted",
        json!({ "type": "object", "required": ["detail", "expires_in_minutes"], "properties": {
        "detail": { "type": "string" }, "expires_in_minutes": { "type": "integer" } } }),
    );
    add(
        "InviteEmailed",
        json!({ "type": "object", "required": ["patient_id", "sent_to", "expires_at"], "properties": {
        "patient_id": id(), "sent_to": { "type": "string" }, "expires_at": time() } }),
    );
    add(
        "AuditEntry",
        json!({
            "type": "object", "required": ["id", "at", "actor_kind", "action"],
            "properties": { "id": id(), "at": time(), "actor_kind": { "type": "string", "enum": ["staff", "patient", "api_token", "system"] },
                "actor_id": id_or_null(), "action": { "type": "string" }, "patient": id_or_null(), "target": id_or_null(), "ip": string_or_null(),
                "seen": { "type": "array", "description": "the parts of the record the use case read to answer",
                    "items": { "type": "string", "enum": ["patient", "screenings", "plans", "sessions", "check_ins", "appointments", "messages", "staff", "alerts", "gates", "audit", "reminders", "patients", "follow_ups"] } } }
        }),
    );
    add("AuditList", list_of("entries", "AuditEntry"));
    add(
        "Screening",
        json!({
            "type": "object", "required": ["id", "patient", "request", "result", "decision", "protocol_version"],
            "properties": { "id": id(), "patient": id(), "request": r("ScreeningRequest"), "result": r("ScreeningResult"),
                "decision": { "type": "string", "enum": ["eligible", "eligible_with_precautions", "defer", "not_eligible"] },
                "defer_until": { "type": ["string", "null"], "format": "date" }, "protocol_version": { "type": "string" },
                "recorded_by": id_or_null(), "reviewed_by": id_or_null(), "reviewed_at": time_or_null(),
                "review_decision": { "type": ["string", "null"], "enum": ["cleared", "not_cleared", null] }, "review_note": string_or_null(), "created_at": time() }
        }),
    );
    add("ScreeningList", list_of("screenings", "Screening"));
    add(
        "ReviewRequest",
        json!({ "type": "object", "additionalProperties": false, "required": ["decision"], "properties": {
            "decision": { "type": "string", "enum": ["cleared", "not_cleared"], "description": "The clinician's decision; `not_cleared` blocks sessions until a new screening." },
            "note": { "type": "string" } } }),
    );
    add(
        "Plan",
        json!({
            "type": "object", "required": ["id", "patient", "request", "result"],
            "properties": { "id": id(), "patient": id(), "request": r("PlanRequest"), "result": r("PlanResult"), "created_by": id_or_null(), "created_at": time() }
        }),
    );
    add("PlanList", list_of("plans", "Plan"));
    add(
        "Session",
        json!({
            "type": "object", "required": ["id", "patient", "performed_at", "device", "needle_depth_mm", "areas", "products", "practitioner"],
            "properties": { "id": id(), "patient": id(), "plan": id_or_null(), "performed_at": time(), "device": { "type": "string" },
                "needle_depth_mm": { "type": "number" }, "areas": { "type": "array", "items": { "type": "string" } },
                "products": { "type": "array", "items": { "type": "string" } },
                "numbing": { "oneOf": [r("Numbing"), { "type": "null" }], "description": "The numbing cream applied; null: none, or a session recorded before it was structured." },
                "numbing_note": { "type": ["string", "null"], "description": "Free text about the numbing cream (what older sessions recorded instead of `numbing`)." },
                "depths": { "type": "array", "items": r("AreaDepth"), "description": "The needle depth per area; empty for older sessions, whose only depth is `needle_depth_mm`." },
                "warnings": { "type": "array", "items": r("SessionWarning"), "description": "What the protocol's numbing and depth limits said when the session was recorded; never blocking." },
                "practitioner": id(),
                "notes": { "type": "string" }, "override_reason": string_or_null(),
                "override_blockers": { "type": "array", "items": { "type": "string" } }, "created_at": time() }
        }),
    );
    add("SessionList", list_of("sessions", "Session"));
    add(
        "Numbing",
        json!({
            "type": "object", "additionalProperties": false, "required": ["agent", "area_cm2", "minutes", "occluded", "removed"],
            "properties": { "agent": { "type": "string", "description": "An agent code of the protocol's [anaesthesia] section (`needlepath protocol show`)." },
                "area_cm2": { "type": "number", "exclusiveMinimum": 0, "maximum": 2000 }, "minutes": { "type": "number", "exclusiveMinimum": 0, "maximum": 480 },
                "occluded": { "type": "boolean", "description": "Covered with film or an occlusive dressing." },
                "removed": { "type": "boolean", "description": "Removed completely before needling." } }
        }),
    );
    add(
        "AreaDepth",
        json!({
            "type": "object", "additionalProperties": false, "required": ["area", "depth_mm"],
            "properties": { "area": { "type": "string", "description": "An area code of the protocol's [depth] section." },
                "depth_mm": { "type": "number", "minimum": 0.1, "maximum": 3.0 } }
        }),
    );
    add(
        "SessionWarning",
        json!({
            "type": "object", "required": ["code", "message", "sources"],
            "properties": { "code": { "type": "string", "enum": ["numbing_occluded", "numbing_not_removed", "numbing_area_over_max", "numbing_time_over_max", "numbing_methaemoglobinaemia_risk", "depth_over_area_max", "depth_darker_skin"] },
                "area": { "type": "string" }, "value": { "type": "number" }, "limit": { "type": "number" },
                "message": { "type": "string" }, "sources": { "type": "array", "items": { "type": "string" } },
                "evidence": { "type": "string", "description": "What the limit rests on: practice, proposed, general, literature..." } }
        }),
    );
    add(
        "SessionOverride",
        json!({
            "type": "object", "required": ["session", "patient", "patient_name", "performed_at", "practitioner", "reason", "blockers"],
            "properties": { "session": id(), "patient": id(), "patient_name": { "type": "string" }, "performed_at": time(),
                "practitioner": id(), "practitioner_name": { "type": "string" }, "reason": { "type": "string" },
                "blockers": { "type": "array", "items": { "type": "string" } }, "created_at": time() }
        }),
    );
    add("OverrideList", list_of("overrides", "SessionOverride"));
    add(
        "NewSession",
        json!({
            "type": "object", "additionalProperties": false, "required": ["device"],
            "description": "Give the depth per area (`depths`) or the deepest depth (`needle_depth_mm`), or both when they agree; and the areas (`areas`), which default to the areas of `depths`.",
            "properties": { "performed_at": time(), "device": { "type": "string" },
                "needle_depth_mm": { "type": "number", "minimum": 0.1, "maximum": 3.0, "description": "The deepest needle depth; derived from `depths` when left out; when both are given it must equal their deepest." },
                "depths": { "type": "array", "maxItems": 20, "items": r("AreaDepth") },
                "areas": { "type": "array", "items": { "type": "string" } }, "products": { "type": "array", "items": { "type": "string" } },
                "numbing": { "oneOf": [r("Numbing"), { "type": "null" }], "description": "The numbing cream applied, or null for none. Free text is refused here: it goes in `numbing_note`." },
                "numbing_note": { "type": "string", "maxLength": 200 },
                "notes": { "type": "string" }, "plan_id": id(), "appointment_id": id(), "practitioner_id": id(),
                "override_reason": { "type": "string", "description": "A practitioner's reason to record over blockers: why the session is safe now, at least a sentence (30 characters, 5 words); logged and listed under /api/v1/overrides." },
                "override_blockers": { "type": "array", "items": { "type": "string" }, "description": "The keys of the blockers overridden, as `session_blocked` lists them; every blocker must be named and overridable." },
                "cold_sore_now": { "type": "boolean", "description": "The check before every session: is there an active cold sore now? `true` blocks the session absolutely (blocker `active_cold_sore`); the staff session page always asks." } }
        }),
    );
    add(
        "SessionRecorded",
        json!({ "type": "object", "required": ["session", "check_ins"], "properties": {
        "session": r("Session"), "check_ins": { "type": "array", "items": r("CheckIn") } } }),
    );
    add(
        "CheckIn",
        json!({
            "type": "object", "required": ["id", "patient"],
            "properties": { "id": id(), "patient": id(), "session": id_or_null(), "day": { "type": ["integer", "null"] },
                "due_at": time_or_null(), "submitted_at": time_or_null(), "submitted_by": string_or_null(),
                "request": { "type": ["object", "null"] }, "result": { "type": ["object", "null"] },
                "disposition": { "type": ["string", "null"], "enum": ["self_care", "contact_clinic", "urgent_same_day", "emergency", null] },
                "temperature_c": { "type": ["number", "null"] }, "note": string_or_null(), "created_at": time() }
        }),
    );
    add("CheckInList", list_of("check_ins", "CheckIn"));
    add(
        "CheckInSubmit",
        json!({
            "type": "object", "additionalProperties": false, "required": ["symptoms"],
            "description": "A check-in that names a warning sign (a red flag or emergency sign) is answered and alerted even when other fields are faulty: they are left out and listed in the result's `unread`.",
            "properties": { "symptoms": { "type": "array", "items": { "type": "object", "required": ["code"],
                    "properties": { "code": { "type": "string" },
                        "severity": { "type": "string", "enum": ["mild", "moderate", "severe"], "description": "Not given: assessed as severe (the conservative side)." },
                        "trend": { "type": "string", "enum": ["improving", "same", "worse"] } } } },
                "temperature_c": { "type": "number" }, "note": { "type": "string" }, "check_in_id": id() }
        }),
    );
    add(
        "CheckInResult",
        json!({
            "type": "object", "required": ["call_emergency_services", "disposition", "check_in", "triage"],
            "properties": { "call_emergency_services": { "type": "boolean" },
                "disposition": { "type": "string", "enum": ["self_care", "contact_clinic", "urgent_same_day", "emergency"] },
                "check_in": r("CheckIn"), "triage": r("TriageResult"),
                "alert": { "type": ["object", "null"], "properties": { "id": id(), "disposition": { "type": "string" }, "deadline_at": time() } },
                "unread": { "type": "array", "description": "Present only when a check-in naming a warning sign was answered despite faulty fields: each part left out, and why.",
                    "items": { "type": "object", "required": ["field", "detail"], "properties": { "field": { "type": "string" }, "detail": { "type": "string" } } } } }
        }),
    );
    add(
        "Alert",
        json!({
            "type": "object", "required": ["id", "patient", "patient_name", "check_in", "disposition", "opened_at", "deadline_at"],
            "properties": { "id": id(), "patient": id(), "patient_name": { "type": "string" }, "session": id_or_null(), "check_in": id(),
                "disposition": { "type": "string" }, "opened_at": time(), "deadline_at": time(), "acknowledged_by": id_or_null(),
                "acknowledged_at": time_or_null(), "resolved_by": id_or_null(), "resolved_at": time_or_null(), "resolution_note": string_or_null(),
                "overdue": { "type": "boolean" } }
        }),
    );
    add(
        "AlertList",
        json!({ "type": "object", "required": ["alerts", "overdue"], "properties": {
        "alerts": { "type": "array", "items": r("Alert") }, "overdue": { "type": "integer" } } }),
    );
    add(
        "NoteRequest",
        json!({ "type": "object", "additionalProperties": false, "required": ["note"], "properties": { "note": { "type": "string", "minLength": 1 } } }),
    );
    add(
        "FollowUp",
        json!({
            "type": "object", "required": ["id", "patient", "patient_name", "check_in", "reason", "raised_at"],
            "properties": { "id": id(), "patient": id(), "patient_name": { "type": "string" }, "check_in": id(), "reason": { "type": "string" },
                "raised_at": time(), "resolved_by": id_or_null(), "resolved_at": time_or_null(), "note": string_or_null() }
        }),
    );
    add("FollowUpList", list_of("follow_ups", "FollowUp"));
    add(
        "Today",
        json!({ "type": "object", "required": ["session", "timeline", "next_check_in"], "properties": {
        "now": time(), "hours_since_session": { "type": "number" },
        "session": { "oneOf": [r("Session"), { "type": "null" }] }, "timeline": { "type": ["object", "null"] },
        "next_check_in": { "oneOf": [r("CheckIn"), { "type": "null" }] } } }),
    );
    reminder_schemas(&mut add);
    s
}

/// The schemas of appointments, messages and reminder choices.
fn reminder_schemas(add: &mut impl FnMut(&str, Value)) {
    add(
        "AppointmentRequest",
        json!({ "type": "object", "additionalProperties": false, "required": ["starts_at"], "properties": {
            "starts_at": time(), "minutes": { "type": "integer", "minimum": 10, "maximum": 480 },
            "plan_id": id_or_null(), "note": string_or_null(),
            "practitioner_id": id_or_null(), "window_reason": string_or_null() } }),
    );
    add(
        "RescheduleRequest",
        json!({ "type": "object", "additionalProperties": false, "required": ["starts_at"], "properties": { "starts_at": time(), "window_reason": string_or_null() } }),
    );
    add(
        "Appointment",
        json!({ "type": "object", "required": ["id", "patient", "starts_at", "minutes", "status", "revision"], "properties": {
            "id": id(), "clinic": id(), "patient": id(), "plan": id_or_null(), "starts_at": time(),
            "minutes": { "type": "integer" }, "status": { "type": "string", "enum": ["booked", "cancelled", "done"] },
            "revision": { "type": "integer" }, "session": id_or_null(), "note": string_or_null(),
            "practitioner": id_or_null(), "window_reason": string_or_null(),
            "created_at": time(), "updated_at": time() } }),
    );
    add("AppointmentList", list_of("appointments", "Appointment"));
    add(
        "Message",
        json!({ "type": "object", "required": ["id", "idempotency_key", "kind", "channel", "due_at", "status", "attempts"], "properties": {
            "id": id(), "clinic": id(), "idempotency_key": { "type": "string" },
            "recipient": { "type": "object", "required": ["kind"], "properties": {
                "kind": { "type": "string", "enum": ["patient", "staff", "clinic"] }, "id": id() } },
            "kind": { "type": "string" }, "channel": { "type": "string", "enum": ["email", "webhook"] },
            "due_at": time(), "status": { "type": "string", "enum": ["pending", "sending", "sent", "failed", "skipped", "withdrawn"] },
            "attempts": { "type": "integer" }, "next_attempt_at": time(), "payload": { "type": "object" },
            "last_error": string_or_null(), "detail": string_or_null(), "sent_at": time_or_null(),
            "created_at": time(), "updated_at": time() } }),
    );
    add("MessageList", list_of("messages", "Message"));
    add(
        "ReminderSettings",
        json!({ "type": "object", "required": ["email", "sms", "calendar_feed"], "properties": {
            "email": { "type": "boolean" }, "sms": { "type": "boolean" }, "calendar_feed": { "type": "boolean" },
            "calendar_feed_created_at": time_or_null() } }),
    );
    add(
        "ReminderChoices",
        json!({ "type": "object", "additionalProperties": false, "required": ["email", "sms"], "properties": {
            "email": { "type": "boolean" }, "sms": { "type": "boolean" } } }),
    );
    add(
        "CalendarLink",
        json!({ "type": "object", "required": ["calendar_url", "webcal_url", "settings"], "properties": {
            "calendar_url": { "type": "string", "format": "uri" }, "webcal_url": { "type": "string" },
            "settings": r("ReminderSettings") } }),
    );
}

fn security(access: Access) -> Value {
    match access {
        Access::Public => json!([]),
        _ => json!([{ "session": [] }, { "token": [] }]),
    }
}

fn access_text(access: Access) -> String {
    match access {
        Access::Public => "Anyone.".into(),
        Access::Authenticated => "Anyone signed in.".into(),
        Access::Patient => "The patient, for their own record.".into(),
        Access::Staff(roles) => {
            format!(
                "Staff or API tokens with role {}.",
                roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
            )
        }
    }
}

fn problem(description: &str) -> Value {
    json!({ "description": description, "content": { "application/problem+json": { "schema": r("Problem") } } })
}

/// The document, as served at `/api/v1/openapi.json`.
pub fn document() -> Value {
    let mut paths = Map::new();
    for route in table().into_iter().filter(|r| r.api) {
        let mut op = json!({
            "summary": route.summary,
            "description": access_text(route.access),
            "operationId": format!("{}_{}", route.method.to_lowercase(), route.path.trim_start_matches('/').replace(['/', '-', '.'], "_").replace(['{', '}'], "")),
            "security": security(route.access),
            "responses": {},
        });
        let params: Vec<Value> = route
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": id() }))
            .collect();
        if !params.is_empty() {
            op["parameters"] = Value::Array(params);
        }
        if let Some(req) = route.request {
            op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": r(req) } } });
        }
        let ok = match (route.response, route.path) {
            (Some(res), _) => {
                json!({ "description": "Success", "content": { "application/json": { "schema": r(res) } } })
            }
            (None, "/metrics") => {
                json!({ "description": "Prometheus text format", "content": { "text/plain": { "schema": { "type": "string" } } } })
            }
            (None, "/api/v1/openapi.json") => {
                json!({ "description": "This document", "content": { "application/json": { "schema": { "type": "object" } } } })
            }
            (None, _) => json!({ "description": "Done" }),
        };
        let responses = &mut op["responses"];
        responses[route.status.to_string()] = ok;
        if route.request.is_some() {
            responses["400"] = problem("Malformed JSON");
            responses["415"] = problem("The body is not JSON");
            responses["422"] = problem("Invalid input; `field` names it");
        }
        if route.access != Access::Public {
            responses["401"] = problem("Not signed in");
            responses["403"] = problem("Signed in, but not allowed (role, or CSRF token missing)");
        }
        if route.path.contains('{') {
            responses["404"] = problem("Not found in your clinic");
        }
        let entry = paths.entry(route.path.to_string()).or_insert_with(|| json!({}));
        entry[route.method.to_lowercase()] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "needlepath",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The clinic service for microneedling: screening, series plans, sessions, check-ins with immediate triage, and the alert queue. Errors are application/problem+json with a stable `code`. Cookie-authenticated changes need the session's CSRF token in the X-CSRF-Token header.",
            "license": { "name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later" }
        },
        "servers": [{ "url": "/" }],
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "session": { "type": "apiKey", "in": "cookie", "name": crate::auth::COOKIE },
                "token": { "type": "http", "scheme": "bearer" }
            }
        }
    })
}
