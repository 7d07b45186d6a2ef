//! The contract's requests (`docs/spec/*-request.schema.json`), parsed into domain types.
//!
//! Parse, don't validate: once a request exists, its codes are known, its numbers are in range
//! and its dates exist. Anything else is an [`InputError`] that names the field.

mod check_in;
mod reader;

use chrono::NaiveDate;
use serde_json::Value;

use crate::vocabulary::{Activity, Concern, Finding, ScarType};
pub use check_in::{CheckIn, DEPTH_MM, Report, Salvaged, SessionFacts, TREND_ASSUMED_FROM_HOURS};
use reader::{At, Object, ROOT, code};
pub use reader::{InputError, parse_date};

/// A finding with the date it last happened (`None` = ongoing now).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FindingEntry {
    pub finding: Finding,
    pub last: Option<NaiveDate>,
}

/// "Is this person a candidate now?"
#[derive(Debug, Clone, PartialEq)]
pub struct ScreeningRequest {
    pub concern: Concern,
    pub scar_type: Option<ScarType>,
    pub scar_grade: Option<u8>,
    pub fitzpatrick: Option<u8>,
    pub age_years: Option<u8>,
    /// The day the screening applies to; windows count from here.
    pub as_of: NaiveDate,
    pub findings: Vec<FindingEntry>,
}

/// "Plan a treatment series."
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRequest {
    pub concern: Concern,
    pub scar_grade: Option<u8>,
    /// The skin type (Fitzpatrick 1-6), from the record when the service plans (issue 12 item
    /// 10): the plan's screening and its pre-care for darker skin read it.
    pub fitzpatrick: Option<u8>,
    pub start: NaiveDate,
    pub interval_weeks: Option<u32>,
    pub sessions: Option<u32>,
    pub findings: Vec<FindingEntry>,
    pub price_per_session: Option<f64>,
    pub currency: Option<String>,
}

/// "Can I do this now?"
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CanIRequest {
    pub activity: Activity,
    pub hours_since_treatment: f64,
}

const SCREENING_FIELDS: &[&str] =
    &["concern", "scar_type", "scar_grade", "fitzpatrick", "age_years", "as_of", "findings"];
const FINDING_FIELDS: &[&str] = &["code", "last"];
const PLAN_FIELDS: &[&str] = &[
    "concern",
    "scar_grade",
    "fitzpatrick",
    "start",
    "interval_weeks",
    "sessions",
    "findings",
    "price_per_session",
    "currency",
];

/// The largest number of hours accepted: ten years. Beyond that a number is a mistake.
pub const MAX_HOURS: f64 = 87_600.0;
/// The most symptoms or findings one request may list (there are 43 symptoms and 34 findings).
pub(crate) const MAX_ITEMS: usize = 200;

impl ScreeningRequest {
    /// Parses a screening request; `today` is the default for `as_of`.
    pub fn from_json(v: &Value, today: NaiveDate) -> Result<Self, InputError> {
        let o = Object::new(v, ROOT, SCREENING_FIELDS)?;
        let concern = code(o.required("concern")?, o.field("concern"), Concern::parse)?;
        let as_of = o.date("as_of")?.unwrap_or(today);
        let findings = findings(&o, "findings", Some(as_of))?;
        Ok(Self {
            concern,
            scar_type: o.code("scar_type", ScarType::parse)?,
            scar_grade: small(o.integer("scar_grade", 1, 4)?),
            fitzpatrick: small(o.integer("fitzpatrick", 1, 6)?),
            age_years: small(o.integer("age_years", 0, 130)?),
            as_of,
            findings,
        })
    }
}

impl PlanRequest {
    pub fn from_json(v: &Value) -> Result<Self, InputError> {
        let o = Object::new(v, ROOT, PLAN_FIELDS)?;
        let concern = code(o.required("concern")?, o.field("concern"), Concern::parse)?;
        let start = reader::date(o.required("start")?, o.field("start"))?;
        let currency = match o.get("currency") {
            None => None,
            Some(Value::String(c)) if c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()) => Some(c.clone()),
            Some(other) => {
                return Err(InputError::new(
                    "currency",
                    format!("{other} is not a currency code; write three capital letters (ISO 4217), e.g. \"EUR\""),
                ));
            }
        };
        let price_per_session = o.number("price_per_session", 0.0, 1e9)?;
        Ok(Self {
            concern,
            scar_grade: small(o.integer("scar_grade", 1, 4)?),
            fitzpatrick: small(o.integer("fitzpatrick", 1, 6)?),
            start,
            interval_weeks: o.integer("interval_weeks", 1, 26)?.and_then(|w| u32::try_from(w).ok()),
            sessions: o.integer("sessions", 1, 20)?.and_then(|w| u32::try_from(w).ok()),
            findings: findings(&o, "findings", None)?,
            price_per_session,
            currency,
        })
    }
}

impl CanIRequest {
    /// Parses the command line's or the API's activity code and hours.
    pub fn parse(activity: &str, hours: f64) -> Result<Self, InputError> {
        let activity = code(&Value::String(activity.to_owned()), At::Field(&ROOT, "activity"), Activity::parse)?;
        if !hours.is_finite() {
            return Err(InputError::new("hours", format!("{hours} is not a number of hours; give 0 or more, e.g. 6")));
        }
        Ok(Self { activity, hours_since_treatment: hours_value(&serde_json::json!(hours), "hours")? })
    }
}

/// Hours since the session: a finite number from 0 to [`MAX_HOURS`].
pub fn hours_value(v: &Value, field: &str) -> Result<f64, InputError> {
    let Some(h) = v.as_f64() else {
        return Err(InputError::new(
            field,
            format!("expected a number of hours (0 or more), found {}", reader::kind(v)),
        ));
    };
    if !h.is_finite() || h < 0.0 {
        return Err(InputError::new(field, format!("{h} is not possible; hours since the session are 0 or more")));
    }
    if h > MAX_HOURS {
        return Err(InputError::new(field, format!("{h} is out of range; accepted: 0 to {MAX_HOURS} (ten years)")));
    }
    Ok(h)
}

pub(crate) fn small(v: Option<i64>) -> Option<u8> {
    v.and_then(|v| u8::try_from(v).ok())
}

/// Reads a findings list: each item a code, or `{ "code": ..., "last": "YYYY-MM-DD" }`. A `last`
/// date after `as_of` is impossible and refused.
pub(crate) fn findings(
    o: &Object<'_, '_>,
    name: &str,
    as_of: Option<NaiveDate>,
) -> Result<Vec<FindingEntry>, InputError> {
    let items = o.array(name)?;
    let list = o.field(name);
    if items.len() > MAX_ITEMS {
        return Err(list.error(format!("{} items; at most {MAX_ITEMS} are accepted", items.len())));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = At::Index(&list, i);
        let entry = match item {
            Value::String(_) => FindingEntry { finding: code(item, at, Finding::parse)?, last: None },
            Value::Object(_) => {
                let f = Object::new(item, at, FINDING_FIELDS)?;
                FindingEntry {
                    finding: code(f.required("code")?, f.field("code"), Finding::parse)?,
                    last: f.date("last")?,
                }
            }
            other => {
                return Err(at.error(format!(
                    "expected a finding code or {{\"code\": ..., \"last\": \"YYYY-MM-DD\"}}, found {}",
                    reader::kind(other)
                )));
            }
        };
        if let (Some(last), Some(as_of)) = (entry.last, as_of)
            && last > as_of
        {
            return Err(At::Field(&at, "last").error(format!(
                "{last} is after as_of ({as_of}); 'last' is when it last happened, so it cannot be in the future"
            )));
        }
        out.push(entry);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
    }

    #[test]
    fn screening_parses_both_finding_shapes() {
        let r = ScreeningRequest::from_json(
            &json!({"concern": "acne_scars", "findings": ["pregnant", {"code": "sunburn", "last": "2026-11-18"}]}),
            today(),
        )
        .unwrap();
        assert_eq!(r.as_of, today());
        assert_eq!(r.findings.len(), 2);
        assert_eq!(r.findings[1].last, NaiveDate::from_ymd_opt(2026, 11, 18));
    }

    #[test]
    fn a_future_last_date_is_refused() {
        let e = ScreeningRequest::from_json(
            &json!({"concern": "acne_scars", "as_of": "2026-11-21", "findings": [{"code": "sunburn", "last": "2026-12-01"}]}),
            today(),
        )
        .unwrap_err();
        assert_eq!(e.field, "findings[0].last");
    }
}
