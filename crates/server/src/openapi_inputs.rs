//! What the service accepts, written into the document's request schemas (issue 14, defect 11:
//! compared with the document, about ten valid inputs were refused and three invalid ones
//! accepted; schemathesis, run from the document in CI, finds any difference).
//!
//! The types say the shape; the checks the use cases make (text neither blank nor holding
//! control characters, an IANA zone, an e-mail address, the engine's ranges) are said here once
//! per kind of field, so a client generated from the document sends what the service takes:
//!
//! - free text (`name`, `note`, …): not blank, no control or bidirectional-override characters;
//! - `time_zone`: one of the IANA names (the `TimeZone` schema);
//! - `email`: one `@`, a dot in the domain, no spaces; `password`: 12 to 256 characters;
//! - the contract's requests (`docs/spec/`, kept exactly as the contract has them): a `null`
//!   optional member is read as absent, `hours_since_treatment` is at most ten years, and a
//!   date is a real calendar date.

use needlepath_core::vocabulary::{Activity, Finding};
use serde_json::{Map, Value, json};

/// Text the use cases take (`api::text`): at least one character that is not a space, and no
/// control characters (tab and line feed aside) or bidirectional overrides.
const TEXT: &str = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\s\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069][^\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$";
/// Optional text: may be empty (read as absent), never control or override characters.
const OPTIONAL_TEXT: &str = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$";
/// A patient's phone as `clinic::patients` takes it (blank: none).
const PHONE: &str = r"^[0-9 +\-().]*$";
/// The clinic's phone numbers as `clinic::settings::check_contact` takes them: blank (none), or
/// 3 to 20 digits with spaces and + - ( ) . only.
const CONTACT_PHONE: &str = r"^( *|[ +\-().]*([0-9][ +\-().]*){3,20})$";
/// A currency code as `clinic::settings` takes it.
const CURRENCY: &str = r"^[A-Za-z]{3}$";
/// An e-mail address as `api::email` takes it.
const EMAIL: &str = r"^[^@\s\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]+@[^@\s\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]+\.[^@\s\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]+$";
/// A calendar date that exists, from 1900 to 2199 (the engine's range): the month's days, and
/// 29 February in leap years only.
const DATE: &str = concat!(
    r"^((19|20|21)\d{2}-((0[13578]|1[02])-(0[1-9]|[12]\d|3[01])|(0[469]|11)-(0[1-9]|[12]\d|30)|02-(0[1-9]|1\d|2[0-8]))",
    r"|(19|20|21)(0[48]|[2468][048]|[13579][26])-02-29|2000-02-29)$"
);
/// The engine's longest time since a session, in hours: ten years.
const MAX_HOURS: f64 = 87_600.0;

/// The request schemas of the contract, by their names in the document.
const CONTRACT_REQUESTS: [&str; 3] = ["ScreeningRequest", "CheckInRequest", "PlanRequest"];

/// The `TimeZone` schema: every IANA name the service knows.
pub fn time_zone_schema() -> Value {
    let names: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|t| t.name()).collect();
    json!({ "description": "An IANA time zone name, such as Europe/Berlin.", "type": "string", "enum": names })
}

/// Tightens the read schemas `names` (and the contract's requests) in `schemas`.
pub fn tighten(schemas: &mut Map<String, Value>, names: &[String]) {
    for name in names {
        if let Some(schema) = schemas.get_mut(name) {
            tighten_object(schema);
        }
    }
    for name in CONTRACT_REQUESTS {
        if let Some(schema) = schemas.get_mut(name) {
            contract_request(schema);
        }
    }
    for (name, schema) in schemas.iter_mut() {
        if name.starts_with("ClinicContact")
            && let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut)
        {
            for field in ["phone", "out_of_hours_phone"] {
                if let Some(p) = props.get_mut(field) {
                    p["pattern"] = json!(CONTACT_PHONE);
                }
            }
            if let Some(p) = props.get_mut("country") {
                // Blank is none; else ISO 3166 alpha-2, in either case.
                p["pattern"] = json!(r"^(\s*|[A-Za-z]{2})$");
            }
            if let Some(p) = props.get_mut("email") {
                // Blank is none; anything else is an address.
                *p = json!({ "type": ["string", "null"], "pattern": format!(r"^\s*$|{EMAIL}") });
            }
        }
    }
    // A clinic's settings, as `clinic::settings::check_settings` takes them.
    for name in ["ResponsePolicy", "ResponsePolicyInput"] {
        if let Some(p) = schemas.get_mut(name).and_then(|s| s.get_mut("properties")) {
            for field in ["emergency_minutes", "urgent_minutes"] {
                p[field]["minimum"] = json!(1);
                p[field]["maximum"] = json!(1440);
            }
            p["contact_business_days"]["minimum"] = json!(1);
            p["contact_business_days"]["maximum"] = json!(10);
        }
    }
    if let Some(p) = schemas.get_mut("OpeningHours").and_then(|s| s.get_mut("properties")) {
        p["days"]["minItems"] = json!(1);
        p["days"]["items"]["minimum"] = json!(1);
        p["days"]["items"]["maximum"] = json!(7);
        for field in ["opens", "closes"] {
            p[field]["pattern"] = json!(r"^([01]\d|2[0-3]):[0-5]\d$");
        }
    }
    for name in ["ClinicSettings", "ClinicSettingsInput"] {
        if let Some(p) = schemas.get_mut(name).and_then(|s| s.get_mut("properties")) {
            let first_by = needlepath_core::protocol::FIRST_CHECK_IN_BY_DAY;
            p["check_in_days"]["minItems"] = json!(1);
            p["check_in_days"]["maxItems"] = json!(8);
            p["check_in_days"]["items"]["minimum"] = json!(1);
            p["check_in_days"]["items"]["maximum"] = json!(90);
            p["check_in_days"]["contains"] = json!({ "maximum": first_by });
            p["missed_check_in_grace_hours"]["minimum"] = json!(1);
            p["missed_check_in_grace_hours"]["maximum"] = json!(168);
            p["quiet_hours"]["pattern"] = json!(r"^(none|([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d)$");
            p["currency"]["pattern"] = json!(CURRENCY);
        }
    }
    if let Some(finding) = schemas.get_mut("PatientFindingInput") {
        let codes: Vec<&str> = Finding::ALL.iter().map(|f| f.as_str()).collect();
        finding["anyOf"][0]["enum"] = json!(codes);
        finding["anyOf"][1]["properties"]["code"]["enum"] = json!(codes);
        // `last` may be null: not known.
        finding["anyOf"][1]["properties"]["last"] =
            json!({ "anyOf": [{ "type": "string", "pattern": DATE }, { "type": "null" }] });
    }
    if let Some(can_i) = schemas.get_mut("CanIRequest") {
        let activities: Vec<&str> = Activity::ALL.iter().map(|a| a.as_str()).collect();
        can_i["properties"]["activity"]["enum"] = json!(activities);
        can_i["properties"]["hours_since_treatment"]["maximum"] = json!(MAX_HOURS);
    }
}

/// Whether a property schema is a string (or a string or null) with nothing saying more.
fn plain_string(p: &Value) -> bool {
    let string = match &p["type"] {
        Value::String(t) => t == "string",
        Value::Array(ts) => ts.iter().any(|t| t == "string"),
        _ => false,
    };
    string && p.get("enum").is_none() && p.get("format").is_none() && p.get("pattern").is_none()
}

/// The names an object schema lists as `required`.
fn required_members(schema: &Value) -> Vec<String> {
    schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

fn tighten_object(schema: &mut Value) {
    let required = required_members(schema);
    let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) else { return };
    for (field, p) in props.iter_mut() {
        if field == "temperature_c" {
            p["minimum"] = json!(30);
            p["maximum"] = json!(45);
        }
        if field == "time_zone" {
            let nullable = p["type"].as_array().is_some_and(|ts| ts.iter().any(|t| t == "null"));
            let zone = json!({ "$ref": "#/components/schemas/TimeZone" });
            *p = if nullable { json!({ "anyOf": [zone, { "type": "null" }] }) } else { zone };
            continue;
        }
        if let Some(items) = p.get_mut("items")
            && plain_string(items)
        {
            items["pattern"] = json!(TEXT);
            continue;
        }
        if !plain_string(p) {
            continue;
        }
        match field.as_str() {
            // A name, when given, is never blank (a change may leave it out, not empty it).
            "name" => p["pattern"] = json!(TEXT),
            "email" => p["pattern"] = json!(EMAIL),
            "phone" => p["pattern"] = json!(PHONE),
            "currency" => p["pattern"] = json!(CURRENCY),
            "password" => {
                p["minLength"] = json!(crate::auth::secrets::MIN_PASSWORD);
                p["maxLength"] = json!(256);
            }
            // A secret is what it is: any text the service gave out.
            "token" => p["minLength"] = json!(1),
            _ if required.contains(field) => p["pattern"] = json!(TEXT),
            _ => p["pattern"] = json!(OPTIONAL_TEXT),
        }
    }
}

/// The contract's request as the service reads it: optional members may be `null` (read as
/// absent), hours at most ten years, dates real.
fn contract_request(schema: &mut Value) {
    // Nested objects (a symptom, a finding with its date) read their optional members the same way.
    if let Some(items) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        for p in items.values_mut() {
            if let Some(item) = p.get_mut("items") {
                if item.get("properties").is_some() {
                    contract_request(item);
                }
                if let Some(alternatives) = item.get_mut("oneOf").and_then(Value::as_array_mut) {
                    alternatives.iter_mut().filter(|a| a.get("properties").is_some()).for_each(contract_request);
                }
            }
        }
    }
    let required = required_members(schema);
    let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) else { return };
    for (field, p) in props.iter_mut() {
        if field == "hours_since_treatment" {
            p["maximum"] = json!(MAX_HOURS);
        }
        if p.get("pattern").and_then(Value::as_str) == Some(r"^\d{4}-\d{2}-\d{2}$") {
            p["pattern"] = json!(DATE);
        }
        if !required.contains(field) {
            let orig = p.take();
            *p = json!({ "anyOf": [orig, { "type": "null" }], "description": "Absent or null: the default." });
        }
    }
}
