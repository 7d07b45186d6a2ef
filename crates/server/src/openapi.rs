//! The OpenAPI 3.1 document, generated from the route table (`routes.rs`) and the types the API
//! serialises.
//!
//! Three kinds of component schema, assembled in [`schemas`]:
//!
//! - the engine's request and result schemas are the contract's own files (`docs/spec/`),
//!   embedded exactly as they are: they are the contract;
//! - every other schema is derived from the Rust type that is serialised (a response) or
//!   deserialised (a request) with `schemars`: the store's records, the problem body
//!   (`problem.rs`) and the handlers' own request and response types. A field's `///` doc is
//!   its description, and attributes state its constraints (enums, ranges, patterns, formats);
//! - a few are still written by hand, in the section marked below: the request and response
//!   types of handlers that do not derive their schema yet.
//!
//! `schemars` (rather than `utoipa`) because it derives JSON Schema 2020-12, which is what
//! OpenAPI 3.1 uses, follows serde's attributes (renames, `skip_serializing_if`, flatten,
//! `deny_unknown_fields`) so the schema cannot say other than the JSON does, and needs no web
//! framework: the store and core (behind core's `schemars` feature, with no I/O) derive it
//! where their types are defined. Responses are derived for serialisation (a field always
//! written is required), requests for deserialisation (a field with a default is optional);
//! when a type is both and the two differ, the request's schema is named `...Input`. A served
//! schema does not require a nullable field or a record's `created_at`/`updated_at`, as the
//! hand-written schemas never did (`promise_what_was_promised`).
//!
//! `docs/openapi.json` is this document committed; a test fails when the two differ, and the
//! API tests validate real responses against these schemas.

use needlepath_store::{
    Alert, ApiToken, Appointment, CheckIn, Clinic, Message, Plan, ReminderSettings, Screening, Session,
    SessionOverride, Staff,
};
use schemars::generate::{Contract, SchemaSettings};
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value, json};

use crate::api::check_ins::{CheckInAnswer, CheckInList, CheckInSubmit};
use crate::api::clinical::{OverrideList, PlanList, ReviewRequest, ScreeningList, SessionList, SessionRecorded};
use crate::api::decisions::CanIBody;
use crate::api::me::TodayAnswer;
use crate::api::patients::{AuditList, PatientList};
use crate::api::queue::{AlertList, FollowUpList, FollowUpView, NoteRequest};
use crate::api::reminders::{AppointmentList, CalendarLink, MessageList, ReminderChoices};
use crate::clinic::appointments::{AppointmentRequest, RescheduleRequest};
use crate::clinic::patient_record::PatientRecord;
use crate::clinic::patients::{NewPatientRequest, PatientUpdateRequest};
use crate::clinic::sessions::NewSessionRequest;
use crate::problem::Problem;
use crate::routes::{Access, table};

/// Where the schemas live in the document; the derived `$ref`s point here.
const COMPONENTS: &str = "/components/schemas";

fn contract(text: &str) -> Value {
    let mut v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.remove("$schema");
        o.remove("$id");
    }
    v
}

/// The engine's contract schemas, exactly as `docs/spec/` has them.
fn contract_schemas() -> Map<String, Value> {
    let mut s = Map::new();
    let mut add = |name: &str, text: &str| {
        s.insert(name.to_string(), contract(text));
    };
    add("ScreeningRequest", include_str!("../../../docs/spec/screening-request.schema.json"));
    add("ScreeningResult", include_str!("../../../docs/spec/screening-result.schema.json"));
    add("CheckInRequest", include_str!("../../../docs/spec/checkin-request.schema.json"));
    add("TriageResult", include_str!("../../../docs/spec/triage-result.schema.json"));
    add("PlanRequest", include_str!("../../../docs/spec/plan-request.schema.json"));
    add("PlanResult", include_str!("../../../docs/spec/plan-result.schema.json"));
    add("CanIResult", include_str!("../../../docs/spec/can-i-result.schema.json"));
    s
}

fn generator(contract: Contract) -> SchemaGenerator {
    SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = COMPONENTS.into();
            s.contract = contract;
            s.meta_schema = None;
        })
        .into_generator()
}

/// Registers `T`'s schema (and those it refers to) with the generator, under `T`'s schema name.
fn add<T: JsonSchema + ?Sized>(g: &mut SchemaGenerator) {
    let _ = g.subschema_for::<T>();
}

/// The schemas derived from the types: responses as they are serialised, requests as they are
/// read.
fn derived_schemas() -> Map<String, Value> {
    let mut served = generator(Contract::Serialize);
    let g = &mut served;
    add::<Problem>(g);
    add::<Clinic>(g);
    add::<Staff>(g);
    add::<ApiToken>(g);
    add::<PatientRecord>(g);
    add::<PatientList>(g);
    add::<AuditList>(g);
    add::<Screening>(g);
    add::<ScreeningList>(g);
    add::<Plan>(g);
    add::<PlanList>(g);
    add::<Session>(g);
    add::<SessionList>(g);
    add::<SessionOverride>(g);
    add::<OverrideList>(g);
    add::<SessionRecorded>(g);
    add::<CheckIn>(g);
    add::<CheckInList>(g);
    add::<CheckInAnswer>(g);
    add::<Alert>(g);
    add::<AlertList>(g);
    add::<FollowUpView>(g);
    add::<FollowUpList>(g);
    add::<TodayAnswer>(g);
    add::<Appointment>(g);
    add::<AppointmentList>(g);
    add::<Message>(g);
    add::<MessageList>(g);
    add::<ReminderSettings>(g);
    add::<CalendarLink>(g);
    add::<crate::api::ops::Health>(g);
    add::<crate::api::setup::SetupResult>(g);
    add::<crate::api::session::SessionInfo>(g);
    add::<crate::api::clinic::StaffList>(g);
    add::<crate::api::clinic::TokenList>(g);
    add::<crate::clinic::settings::NewToken>(g);
    add::<crate::api::access::SignInLinkAccepted>(g);
    add::<crate::api::access::InviteSent>(g);
    add::<crate::clinic::access::AccessEnded>(g);

    let mut read = generator(Contract::Deserialize);
    let g = &mut read;
    add::<CanIBody>(g);
    add::<ReviewRequest>(g);
    add::<NewSessionRequest>(g);
    add::<CheckInSubmit>(g);
    add::<NoteRequest>(g);
    add::<AppointmentRequest>(g);
    add::<RescheduleRequest>(g);
    add::<ReminderChoices>(g);
    add::<crate::api::consent::ConsentRequest>(g);
    add::<crate::api::consent::WithdrawRequest>(g);
    add::<crate::api::consent::ConsentTextRequest>(g);
    add::<crate::clinic::consent::ConsentTexts>(g);
    add::<crate::clinic::consent::PatientConsents>(g);
    add::<needlepath_store::Consent>(g);
    add::<needlepath_store::ConsentDocument>(g);
    add::<crate::api::photos::PhotoUpload>(g);
    add::<crate::api::photos::MyPhotoUpload>(g);
    add::<crate::api::photos::ConsentScanUpload>(g);
    add::<crate::clinic::photos::PhotoEntry>(g);
    add::<crate::clinic::photos::PhotoList>(g);
    add::<crate::clinic::redness::RegionsRequest>(g);
    add::<crate::clinic::redness::RegionsSet>(g);
    add::<crate::api::outcomes::GradeRequest>(g);
    add::<crate::api::outcomes::AnswerRequest>(g);
    add::<crate::clinic::outcomes::SeriesOutcomes>(g);
    add::<crate::clinic::clinic_outcomes::ClinicReport>(g);
    add::<needlepath_store::ScarAssessment>(g);
    add::<needlepath_store::OutcomeAnswer>(g);
    add::<NewPatientRequest>(g);
    add::<PatientUpdateRequest>(g);
    add::<crate::clinic::setup::SetupRequest>(g);
    add::<crate::api::session::LoginRequest>(g);
    add::<crate::api::session::InviteRedeem>(g);
    add::<crate::api::access::SignInLinkRequest>(g);
    add::<crate::clinic::settings::ClinicUpdate>(g);
    add::<crate::clinic::settings::NewStaffRequest>(g);
    add::<crate::clinic::settings::StaffUpdateRequest>(g);
    add::<crate::clinic::settings::NewTokenRequest>(g);

    let mut schemas = served.take_definitions(true);
    schemas.iter_mut().for_each(|(name, schema)| promise_what_was_promised(name, schema));
    let read = read.take_definitions(true);
    // A type read and served alike keeps one schema; one whose two schemas differ (a default
    // makes a field optional to read but it is always written) has its read schema renamed.
    let renamed: Vec<String> = read
        .iter()
        .filter(|(name, schema)| schemas.get(*name).is_some_and(|served| served != *schema))
        .map(|(name, _)| name.clone())
        .collect();
    let mut read_names = Vec::new();
    for (name, mut schema) in read {
        rename_refs(&mut schema, &renamed);
        let name = if renamed.contains(&name) { format!("{name}Input") } else { name };
        read_names.push(name.clone());
        schemas.insert(name, schema);
    }
    schemas.insert("TimeZone".into(), crate::openapi_inputs::time_zone_schema());
    crate::openapi_inputs::tighten(&mut schemas, &read_names);
    for schema in schemas.values_mut() {
        unwrap_doc_lines(schema);
    }
    schemas
}

/// Fields every answer carries but that the schemas written by hand never required: a record's
/// bookkeeping times.
const NOT_PROMISED: [&str; 2] = ["created_at", "updated_at"];

/// Answers whose nulls are the answer ("nothing yet"): their nullable fields stay required.
const NULLS_ANSWER: [&str; 1] = ["Today"];

/// A served schema requires what is always written, except a nullable field and a record's
/// bookkeeping times: the schemas written by hand before these were derived did not require
/// them, and a client (or its test double) that leaves them out stays valid.
fn promise_what_was_promised(name: &str, schema: &mut Value) {
    let keep_nulls = NULLS_ANSWER.contains(&name);
    let Some(o) = schema.as_object_mut() else { return };
    let properties = o.get("properties").cloned().unwrap_or(Value::Null);
    if let Some(Value::Array(required)) = o.get_mut("required") {
        required.retain(|name| {
            let name = name.as_str().unwrap_or_default();
            !NOT_PROMISED.contains(&name) && (keep_nulls || !nullable(&properties[name]))
        });
    }
    if o.get("required").and_then(Value::as_array).is_some_and(Vec::is_empty) {
        o.remove("required");
    }
}

/// Whether a schema admits null: `"type": [..., "null"]`, or a `{ "type": "null" }` alternative.
fn nullable(schema: &Value) -> bool {
    let null_type = |t: &Value| t == "null" || t.as_array().is_some_and(|a| a.iter().any(|t| t == "null"));
    null_type(&schema["type"])
        || ["anyOf", "oneOf"]
            .iter()
            .any(|k| schema[*k].as_array().is_some_and(|a| a.iter().any(|s| null_type(&s["type"]))))
}

/// Points `$ref`s to the renamed read schemas.
fn rename_refs(v: &mut Value, renamed: &[String]) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(target)) = o.get_mut("$ref")
                && let Some(name) = target.strip_prefix(&format!("#{COMPONENTS}/"))
                && renamed.iter().any(|r| r == name)
            {
                *target = format!("#{COMPONENTS}/{name}Input");
            }
            o.values_mut().for_each(|v| rename_refs(v, renamed));
        }
        Value::Array(a) => a.iter_mut().for_each(|v| rename_refs(v, renamed)),
        _ => {}
    }
}

/// Descriptions come from `///` docs, wrapped at the source's line width: a line break inside a
/// paragraph becomes a space, a blank line stays a paragraph break.
fn unwrap_doc_lines(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(d)) = o.get_mut("description") {
                *d = d
                    .split("\n\n")
                    .map(|p| p.split('\n').map(str::trim).collect::<Vec<_>>().join(" "))
                    .collect::<Vec<_>>()
                    .join("\n\n");
            }
            o.values_mut().for_each(unwrap_doc_lines);
        }
        Value::Array(a) => a.iter_mut().for_each(unwrap_doc_lines),
        _ => {}
    }
}

fn schemas() -> Map<String, Value> {
    let mut s = contract_schemas();
    s.extend(derived_schemas());
    crate::openapi_inputs::tighten(&mut s, &[]);
    s
}

fn r(name: &str) -> Value {
    json!({ "$ref": format!("#{COMPONENTS}/{name}") })
}

fn id() -> Value {
    json!({ "type": "string", "format": "uuid" })
}

// ------------------------------------------------------------------------------------------------

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
        Access::PatientOrStaff(roles) => format!(
            "The patient, for their own record, or staff or API tokens with role {}.",
            roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
        ),
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
        let multipart = crate::body::PHOTO_UPLOAD_ROUTES.contains(&route.path) && route.method == "POST";
        if let Some(req) = route.request {
            let media = if multipart { "multipart/form-data" } else { "application/json" };
            op["requestBody"] = json!({ "required": true, "content": { media: { "schema": r(req) } } });
        }
        let ok = match (route.response, route.path) {
            (Some(res), _) => {
                json!({ "description": "Success", "content": { "application/json": { "schema": r(res) } } })
            }
            (None, "/metrics") => {
                json!({ "description": "Prometheus text format", "content": { "text/plain": { "schema": { "type": "string" } } } })
            }
            (
                None,
                "/api/v1/photos/{photo_id}/image"
                | "/api/v1/photos/{photo_id}/thumbnail"
                | "/api/v1/patients/{id}/consents/{consent_id}/scan",
            ) => {
                json!({ "description": "The image, re-encoded without metadata; not to be cached", "content": { "image/jpeg": { "schema": { "type": "string", "format": "binary" } } } })
            }
            (None, "/api/v1/openapi.json") => {
                json!({ "description": "This document", "content": { "application/json": { "schema": { "type": "object" } } } })
            }
            (None, _) => json!({ "description": "Done" }),
        };
        let responses = &mut op["responses"];
        responses[route.status.to_string()] = ok;
        if route.request.is_some() && multipart {
            responses["400"] = problem("Malformed multipart body");
            responses["413"] = problem("The upload is larger than a photo of 20 MiB");
            responses["415"] = problem("The body is not multipart/form-data");
            responses["422"] = problem("Invalid input; `field` names it");
        } else if route.request.is_some() {
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
        // Any request may meet a limit (logins, sign-in links, check-ins) or a busy service
        // (password checks, the connection limit, the database): both say when to come back.
        responses["429"] = problem("Too many requests of this kind; `Retry-After` says when to try again");
        responses["503"] = problem("Busy, or the database is unavailable; `Retry-After` says when to try again");
        if route.method != "GET" {
            responses["409"] = problem("The record's state does not allow this (already exists, already done)");
            responses["422"] = problem("Refused; `field` names what is missing or wrong");
        }
        if route.path == "/api/v1/auth/login" {
            responses["401"] = problem("The e-mail or password is wrong");
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

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                if let Some(Value::String(r)) = o.get("$ref") {
                    out.push(r.clone());
                }
                o.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn no_schema_is_named_twice() {
        let contract = contract_schemas();
        for name in derived_schemas().keys() {
            assert!(!contract.contains_key(name), "{name} is the contract's and derived");
        }
    }

    /// Issue 13 item 6: every component schema outside the contract's own files is derived from
    /// a type; none is written by hand.
    #[test]
    fn every_schema_is_the_contracts_or_derived_from_a_type() {
        let contract = contract_schemas();
        let derived = derived_schemas();
        for name in schemas().keys() {
            assert!(contract.contains_key(name) || derived.contains_key(name), "{name} is written by hand");
        }
    }

    #[test]
    fn every_reference_names_a_schema_of_the_document() {
        let all = schemas();
        let mut found = Vec::new();
        all.values().for_each(|v| refs(v, &mut found));
        for r in found {
            let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("{r} points elsewhere"));
            assert!(all.contains_key(name), "{r} names no schema");
        }
    }

    /// The contract's results reach the document exactly as the files have them; its requests
    /// keep their members, required members and codes, with what the service also accepts
    /// (`null` for absent) and its limits written in (`openapi_inputs`).
    #[test]
    fn the_contract_schemas_reach_the_document_as_the_files_have_them() {
        let all = schemas();
        for (name, schema) in contract_schemas() {
            assert!(schema.is_object(), "{name}: the contract file reads");
            if !name.ends_with("Request") {
                assert_eq!(all[&name], schema, "{name}");
                continue;
            }
            let doc = &all[&name];
            assert_eq!(doc["required"], schema["required"], "{name}");
            let keys = |v: &Value| v["properties"].as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
            assert_eq!(keys(doc), keys(&schema), "{name}");
            let text = doc.to_string();
            for code in schema["properties"]["concern"]["enum"].as_array().into_iter().flatten() {
                assert!(text.contains(&code.to_string()), "{name} lost {code}");
            }
        }
    }

    #[test]
    fn a_request_schema_that_differs_from_the_served_one_is_named_input() {
        let s = schemas();
        // Served: always written, so required; read: each has a default.
        assert!(s["ClinicSettings"]["required"].as_array().is_some_and(|r| !r.is_empty()));
        assert!(s["ClinicSettingsInput"].get("required").is_none());
        // A PATCH may leave the settings out or send null (kept as they are).
        assert_eq!(
            s["ClinicUpdate"]["properties"]["settings"]["anyOf"][0]["$ref"],
            "#/components/schemas/ClinicSettingsInput"
        );
        // A finding is served as an object; read as a code or an object.
        assert!(s["PatientFindingInput"]["anyOf"].is_array());
        assert_eq!(
            s["NewPatient"]["properties"]["findings"]["items"]["$ref"],
            "#/components/schemas/PatientFindingInput"
        );
    }

    #[test]
    fn descriptions_read_as_paragraphs_not_source_lines() {
        let s = Value::Object(schemas()).to_string();
        let d = &schemas()["Session"]["properties"]["depths"]["description"];
        assert!(d.as_str().is_some_and(|d| !d.contains('\n')), "{d}");
        assert!(s.contains("Read and changed by practitioners and admins only.\\n\\nMedication"));
    }
}
