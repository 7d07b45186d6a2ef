//! A check-in as the patient reports it, read from the contract's JSON
//! (`checkin-request.schema.json`).
//!
//! Two readings, for one safety rule: **no check of any other field may stop a warning sign from
//! being triaged.** [`CheckIn::from_json`] is the strict reading every request gets first. When it
//! fails, [`CheckIn::salvage`] reads what can be read; if that names a warning sign (a red flag or
//! an emergency sign, as the protocol says), the check-in is triaged from what was read and every
//! part that could not be read is listed, so nothing is silently ignored. Without a warning sign
//! the strict error stands and the patient corrects the form.
//!
//! A symptom whose severity is not given is assessed as severe: the conservative side. The
//! contract's note "severity defaults to moderate" would let a ticked box without an answer to
//! "how bad is it?" pass as moderate, and so miss every "when severe" escalation.

use serde_json::Value;

use super::reader::{self, At, Object, ROOT, code};
use super::{InputError, MAX_ITEMS, findings, hours_value, small};
use crate::protocol::FindingSet;
use crate::vocabulary::{Severity, Symptom, Trend};

/// What a patient reports at a check-in.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckIn {
    pub hours_since_treatment: f64,
    pub symptoms: Vec<Report>,
    pub temperature_c: Option<f64>,
    pub findings: FindingSet,
    pub fitzpatrick: Option<u8>,
    /// What the service knows about the session the check-in follows; `None` when nothing is
    /// recorded (then no session-specific rule fires).
    pub session: Option<SessionFacts>,
}

/// Facts of the session a check-in follows, supplied by the service from the session record
/// (never by the patient's hand): they switch on rules that only apply after some treatments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SessionFacts {
    /// A topical anaesthetic (numbing cream) was applied before the session.
    pub numbing: bool,
    /// The deepest needle depth used, in millimetres, when recorded.
    pub depth_mm: Option<f64>,
}

const SESSION_FIELDS: &[&str] = &["numbing", "depth_mm"];
/// The range a recorded needle depth must fall in, in millimetres.
pub const DEPTH_MM: (f64, f64) = (0.0, 3.0);

impl SessionFacts {
    fn from_json(v: &Value, at: At<'_>) -> Result<Self, InputError> {
        let o = Object::new(v, at, SESSION_FIELDS)?;
        let numbing = match o.get("numbing") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                return Err(o.field("numbing").error(format!("expected true or false, found {}", reader::kind(other))));
            }
        };
        Ok(Self { numbing, depth_mm: o.number("depth_mm", DEPTH_MM.0, DEPTH_MM.1)? })
    }
}

/// One symptom as reported.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Report {
    pub symptom: Symptom,
    /// `None`: the patient did not say how bad it is.
    pub severity: Option<Severity>,
    pub trend: Option<Trend>,
}

impl Report {
    /// The severity the symptom is assessed at: as reported, or severe when not given.
    pub fn assessed_severity(&self) -> Severity {
        self.severity.unwrap_or(Severity::Severe)
    }

    /// The trend the symptom is assessed at `hours` after the session: as reported or, when not
    /// given, `worse` from [`TREND_ASSUMED_FROM_HOURS`] (a missing answer to "getting better or
    /// worse?" must not switch off the "getting worse" rules); before that, nothing is assumed.
    pub fn assessed_trend(&self, hours: f64) -> Option<Trend> {
        match self.trend {
            Some(t) => Some(t),
            None if hours >= TREND_ASSUMED_FROM_HOURS => Some(Trend::Worse),
            None => None,
        }
    }
}

/// From this many hours after a session a missing trend is assessed as `worse` (docs/spec/README.md,
/// "needlepath additions (protocol 2)"; protocol conflict `missing_trend`).
pub const TREND_ASSUMED_FROM_HOURS: f64 = 48.0;

impl Report {
    /// Whether [`Report::assessed_trend`] assumed the trend at `hours`.
    pub fn trend_assumed(&self, hours: f64) -> bool {
        self.trend.is_none() && hours >= TREND_ASSUMED_FROM_HOURS
    }
}

/// A check-in read despite errors because it names a warning sign, and what could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct Salvaged {
    pub check_in: CheckIn,
    /// Every part of the request left out, with why; never empty.
    pub unread: Vec<InputError>,
}

const CHECKIN_FIELDS: &[&str] =
    &["hours_since_treatment", "symptoms", "temperature_c", "findings", "fitzpatrick", "session"];
const SYMPTOM_FIELDS: &[&str] = &["code", "severity", "trend"];
/// The range a measured body temperature must fall in.
const TEMPERATURE: (f64, f64) = (30.0, 45.0);

impl CheckIn {
    /// The strict reading: the first fault is an error naming its field.
    pub fn from_json(v: &Value) -> Result<Self, InputError> {
        let o = Object::new(v, ROOT, CHECKIN_FIELDS)?;
        let hours_since_treatment = hours_value(o.required("hours_since_treatment")?, "hours_since_treatment")?;
        let items = symptom_list(&o)?;
        if items.len() > MAX_ITEMS {
            return Err(InputError::new(
                "symptoms",
                format!("{} items; at most {MAX_ITEMS} are accepted", items.len()),
            ));
        }
        let mut symptoms = Vec::with_capacity(items.len());
        let list = o.field("symptoms");
        for (i, item) in items.iter().enumerate() {
            let s = Object::new(item, At::Index(&list, i), SYMPTOM_FIELDS)?;
            symptoms.push(Report {
                symptom: code(s.required("code")?, s.field("code"), Symptom::parse)?,
                severity: s.code("severity", Severity::parse)?,
                trend: s.code("trend", Trend::parse)?,
            });
        }
        let mut set = FindingSet::default();
        for f in findings(&o, "findings", None)? {
            set.insert(f.finding);
        }
        Ok(Self {
            hours_since_treatment,
            symptoms,
            temperature_c: o.number("temperature_c", TEMPERATURE.0, TEMPERATURE.1)?,
            findings: set,
            fitzpatrick: small(o.integer("fitzpatrick", 1, 6)?),
            session: match o.get("session") {
                None | Some(Value::Null) => None,
                Some(v) => Some(SessionFacts::from_json(v, o.field("session"))?),
            },
        })
    }

    /// Reads a request the strict reading refused, as far as it can be read, when it names a
    /// warning sign (`is_warning_sign`, from the protocol). Returns `None` when it names none, or
    /// when what the service itself supplies (hours, findings) is unreadable: then the strict
    /// error stands.
    pub fn salvage(v: &Value, is_warning_sign: impl Fn(Symptom) -> bool) -> Option<Salvaged> {
        let Value::Object(map) = v else { return None };
        let hours_since_treatment = hours_value(map.get("hours_since_treatment")?, "hours_since_treatment").ok()?;
        let mut unread = Vec::new();
        for key in map.keys().filter(|k| !CHECKIN_FIELDS.contains(&k.as_str())) {
            unread.push(InputError::new(key.clone(), "unknown field, left out"));
        }
        let Some(Value::Array(items)) = map.get("symptoms") else { return None };
        if items.len() > MAX_ITEMS {
            unread.push(InputError::new(
                "symptoms",
                format!("{} items; the first {MAX_ITEMS} were read, the rest left out", items.len()),
            ));
        }
        let list = At::Field(&ROOT, "symptoms");
        let mut symptoms = Vec::new();
        for (i, item) in items.iter().take(MAX_ITEMS).enumerate() {
            let at = At::Index(&list, i);
            if let Some(r) = salvage_report(item, at, &mut unread) {
                symptoms.push(r);
            }
        }
        if !symptoms.iter().any(|r| is_warning_sign(r.symptom)) {
            return None;
        }
        let temperature_c = match map.get("temperature_c").filter(|t| !t.is_null()) {
            None => None,
            Some(t) => reader::number(t, At::Field(&ROOT, "temperature_c"), TEMPERATURE.0, TEMPERATURE.1)
                .map_err(|e| unread.push(left_out(e)))
                .ok(),
        };
        // Findings and skin type come from the patient's record, not from the patient's hand;
        // they are read strictly or not at all.
        let mut set = FindingSet::default();
        if let Some(Value::Array(fs)) = map.get("findings") {
            for (i, f) in fs.iter().enumerate() {
                let at = At::Index(&At::Field(&ROOT, "findings"), i);
                let code_value = match f {
                    Value::Object(m) => m.get("code").unwrap_or(&Value::Null),
                    other => other,
                };
                match code(code_value, at, crate::vocabulary::Finding::parse) {
                    Ok(finding) => set.insert(finding),
                    Err(e) => unread.push(left_out(e)),
                }
            }
        }
        let fitzpatrick = map.get("fitzpatrick").filter(|f| !f.is_null()).and_then(|f| {
            reader::integer(f, At::Field(&ROOT, "fitzpatrick"), 1, 6).map_err(|e| unread.push(left_out(e))).ok()
        });
        let session = map.get("session").filter(|s| !s.is_null()).and_then(|s| {
            SessionFacts::from_json(s, At::Field(&ROOT, "session")).map_err(|e| unread.push(left_out(e))).ok()
        });
        if unread.is_empty() {
            // The strict reading failed for a reason this reading accepts (e.g. an unknown field
            // inside a symptom was already listed); keep the invariant that something is listed.
            unread.push(InputError::new("(request)", "part of the request could not be read"));
        }
        Some(Salvaged {
            check_in: CheckIn {
                hours_since_treatment,
                symptoms,
                temperature_c,
                findings: set,
                fitzpatrick: small(fitzpatrick),
                session,
            },
            unread,
        })
    }
}

fn symptom_list<'v>(o: &Object<'v, '_>) -> Result<&'v [Value], InputError> {
    match o.get("symptoms") {
        Some(Value::Array(items)) => Ok(items),
        None => Err(InputError::new("symptoms", "is required (an empty list [] when there are none)")),
        Some(other) => Err(InputError::new("symptoms", format!("expected a list, found {}", reader::kind(other)))),
    }
}

/// One symptom read leniently: a known code (alone or in an object) is kept; a bad severity or
/// trend is left out (so the severity counts as not given) and listed.
fn salvage_report(item: &Value, at: At<'_>, unread: &mut Vec<InputError>) -> Option<Report> {
    let (code_value, fields) = match item {
        Value::Object(m) => (m.get("code").unwrap_or(&Value::Null), Some(m)),
        other => (other, None),
    };
    let symptom = match code(code_value, At::Field(&at, "code"), Symptom::parse) {
        Ok(s) => s,
        Err(e) => {
            unread.push(left_out(e));
            return None;
        }
    };
    let mut report = Report { symptom, severity: None, trend: None };
    if let Some(m) = fields {
        for key in m.keys().filter(|k| !SYMPTOM_FIELDS.contains(&k.as_str())) {
            unread.push(At::Field(&at, key).error("unknown field, left out"));
        }
        if let Some(v) = m.get("severity").filter(|v| !v.is_null()) {
            match code(v, At::Field(&at, "severity"), Severity::parse) {
                Ok(s) => report.severity = Some(s),
                Err(e) => unread.push(left_out(e)),
            }
        }
        if let Some(v) = m.get("trend").filter(|v| !v.is_null()) {
            match code(v, At::Field(&at, "trend"), Trend::parse) {
                Ok(t) => report.trend = Some(t),
                Err(e) => unread.push(left_out(e)),
            }
        }
    }
    Some(report)
}

fn left_out(e: InputError) -> InputError {
    InputError { message: format!("{}; left out", e.message), ..e }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn airway(s: Symptom) -> bool {
        matches!(s, Symptom::ThroatTightness | Symptom::LipTongueSwelling)
    }

    #[test]
    fn a_typo_in_a_symptom_names_the_field_and_the_nearest_code() {
        let e = CheckIn::from_json(
            &json!({"hours_since_treatment": 2, "symptoms": [{"code": "redness"}, {"code": "sweling"}]}),
        )
        .unwrap_err();
        assert_eq!(e.field, "symptoms[1].code");
        assert!(e.message.contains("did you mean 'swelling'"), "{}", e.message);
    }

    #[test]
    fn negative_hours_are_refused() {
        let e = CheckIn::from_json(&json!({"hours_since_treatment": -1, "symptoms": []})).unwrap_err();
        assert_eq!(e.field, "hours_since_treatment");
    }

    #[test]
    fn a_severity_not_given_is_assessed_as_severe() {
        let c = CheckIn::from_json(&json!({"hours_since_treatment": 2, "symptoms": [{"code": "redness"}]})).unwrap();
        assert_eq!(c.symptoms[0].severity, None);
        assert_eq!(c.symptoms[0].assessed_severity(), Severity::Severe);
    }

    #[test]
    fn a_warning_sign_is_read_despite_every_other_fault() {
        let v = json!({
            "hours_since_treatment": 3,
            "symptoms": [
                {"code": "throat_tightness", "severity": "terrible", "colour": "red"},
                {"code": "no_such_sign"},
                "lip_tongue_swelling",
                {"code": "redness", "trend": "sideways"}
            ],
            "temperature_c": "hot",
            "mood": "scared"
        });
        assert!(CheckIn::from_json(&v).is_err());
        let s = CheckIn::salvage(&v, airway).expect("a warning sign is read");
        let codes: Vec<Symptom> = s.check_in.symptoms.iter().map(|r| r.symptom).collect();
        assert_eq!(codes, [Symptom::ThroatTightness, Symptom::LipTongueSwelling, Symptom::Redness]);
        assert_eq!(s.check_in.symptoms[0].severity, None, "a bad severity counts as not given");
        assert_eq!(s.check_in.temperature_c, None);
        let fields: Vec<&str> = s.unread.iter().map(|e| e.field.as_str()).collect();
        for f in [
            "mood",
            "symptoms[0].colour",
            "symptoms[0].severity",
            "symptoms[1].code",
            "symptoms[3].trend",
            "temperature_c",
        ] {
            assert!(fields.contains(&f), "{f} is listed as left out: {fields:?}");
        }
    }

    #[test]
    fn without_a_warning_sign_nothing_is_salvaged() {
        let v = json!({"hours_since_treatment": 3, "symptoms": [{"code": "redness", "severity": "terrible"}]});
        assert!(CheckIn::salvage(&v, airway).is_none());
    }

    #[test]
    fn the_session_facts_are_read_and_checked() {
        let v = json!({"hours_since_treatment": 3, "symptoms": [], "session": {"numbing": true, "depth_mm": 1.5}});
        let c = CheckIn::from_json(&v).unwrap();
        assert_eq!(c.session, Some(SessionFacts { numbing: true, depth_mm: Some(1.5) }));
        let bad = json!({"hours_since_treatment": 3, "symptoms": [], "session": {"numbing": "yes"}});
        assert_eq!(CheckIn::from_json(&bad).unwrap_err().field, "session.numbing");
        let deep = json!({"hours_since_treatment": 3, "symptoms": [], "session": {"depth_mm": 9}});
        assert_eq!(CheckIn::from_json(&deep).unwrap_err().field, "session.depth_mm");
    }
}
