//! A small reader over parsed JSON that knows where it is, so every error names its field
//! (`symptoms[2].severity`) and says what is accepted.
//!
//! serde's derive would stop at the first error with a message about Rust types; the contract
//! promises messages about fields and codes, with the nearest code for a typo.

use chrono::{Datelike, NaiveDate};
use serde_json::{Map, Value};

use crate::suggest::nearest;
use crate::vocabulary::UnknownCode;

/// Input that does not satisfy the contract.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InputError {
    /// Where in the request: `symptoms[1].code`; `(request)` for the whole body.
    pub field: String,
    pub message: String,
}

impl InputError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// Where a value sits in a request (`symptoms[2].severity`), rendered only when an error needs
/// it: reading a valid request allocates no paths.
#[derive(Debug, Clone, Copy)]
pub(crate) enum At<'a> {
    Root,
    Field(&'a At<'a>, &'a str),
    Index(&'a At<'a>, usize),
}

impl At<'_> {
    /// An input error at this place.
    pub(crate) fn error(&self, message: impl Into<String>) -> InputError {
        InputError::new(self.to_string(), message)
    }
}

/// The whole request.
pub(crate) const ROOT: At<'static> = At::Root;

impl std::fmt::Display for At<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            At::Root => f.write_str("(request)"),
            At::Field(At::Root, name) => f.write_str(name),
            At::Field(parent, name) => write!(f, "{parent}.{name}"),
            At::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

/// A JSON object being read, with where it sits and the fields it accepts.
pub(crate) struct Object<'v, 'a> {
    map: &'v Map<String, Value>,
    at: At<'a>,
}

impl<'v, 'a> Object<'v, 'a> {
    /// Reads `v` as an object that accepts exactly `fields`.
    pub fn new(v: &'v Value, at: At<'a>, fields: &[&str]) -> Result<Self, InputError> {
        let Value::Object(map) = v else {
            return Err(at.error(format!("expected a JSON object, found {}", kind(v))));
        };
        for key in map.keys() {
            if !fields.contains(&key.as_str()) {
                let hint = nearest(key, fields).map(|s| format!(" (did you mean '{s}'?)")).unwrap_or_default();
                return Err(
                    At::Field(&at, key).error(format!("unknown field{hint}; accepted fields: {}", fields.join(", ")))
                );
            }
        }
        Ok(Self { map, at })
    }

    pub fn field<'s>(&'s self, name: &'s str) -> At<'s> {
        At::Field(&self.at, name)
    }

    /// The value of a field; `null` counts as absent.
    pub fn get(&self, name: &str) -> Option<&'v Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    pub fn required(&self, name: &str) -> Result<&'v Value, InputError> {
        self.get(name).ok_or_else(|| self.field(name).error("is required"))
    }

    pub fn code<T>(&self, name: &str, parse: fn(&str) -> Result<T, UnknownCode>) -> Result<Option<T>, InputError> {
        self.get(name).map(|v| code(v, self.field(name), parse)).transpose()
    }

    pub fn integer(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, InputError> {
        self.get(name).map(|v| integer(v, self.field(name), min, max)).transpose()
    }

    pub fn number(&self, name: &str, min: f64, max: f64) -> Result<Option<f64>, InputError> {
        self.get(name).map(|v| number(v, self.field(name), min, max)).transpose()
    }

    pub fn date(&self, name: &str) -> Result<Option<NaiveDate>, InputError> {
        self.get(name).map(|v| date(v, self.field(name))).transpose()
    }

    pub fn array(&self, name: &str) -> Result<&'v [Value], InputError> {
        match self.get(name) {
            None => Ok(&[]),
            Some(Value::Array(a)) => Ok(a),
            Some(v) => Err(self.field(name).error(format!("expected a list, found {}", kind(v)))),
        }
    }
}

pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

pub(crate) fn code<T>(v: &Value, field: At<'_>, parse: fn(&str) -> Result<T, UnknownCode>) -> Result<T, InputError> {
    let Value::String(s) = v else {
        return Err(field.error(format!("expected a code (a string), found {}", kind(v))));
    };
    parse(s).map_err(|e| {
        let hint = e.suggestion.map(|s| format!(" (did you mean '{s}'?)")).unwrap_or_default();
        field.error(format!("unknown {} '{}'{hint}; accepted: {}", e.kind, e.given, e.accepted.join(", ")))
    })
}

pub(crate) fn integer(v: &Value, field: At<'_>, min: i64, max: i64) -> Result<i64, InputError> {
    let n = match v {
        Value::Number(n) => n,
        _ => {
            return Err(field.error(format!("expected a whole number from {min} to {max}, found {}", kind(v))));
        }
    };
    let Some(i) = n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9e15).map(|f| f as i64))
    else {
        return Err(field.error(format!("{n} is not a whole number; accepted: {min} to {max}")));
    };
    if !(min..=max).contains(&i) {
        return Err(field.error(format!("{i} is out of range; accepted: {min} to {max}")));
    }
    Ok(i)
}

pub(crate) fn number(v: &Value, field: At<'_>, min: f64, max: f64) -> Result<f64, InputError> {
    let Some(x) = v.as_f64() else {
        return Err(field.error(format!("expected a number from {min} to {max}, found {}", kind(v))));
    };
    if !x.is_finite() || x < min || x > max {
        return Err(field.error(format!("{x} is out of range; accepted: {min} to {max}")));
    }
    Ok(x)
}

/// A calendar date written `YYYY-MM-DD` that exists.
pub(crate) fn date(v: &Value, field: At<'_>) -> Result<NaiveDate, InputError> {
    let Value::String(s) = v else {
        return Err(field.error(format!("expected a date as \"YYYY-MM-DD\", found {}", kind(v))));
    };
    parse_date(s).map_err(|m| field.error(m))
}

/// Parses `YYYY-MM-DD`, distinguishing a malformed date from one that does not exist.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let b = s.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        return Err(format!("'{s}' is not a date; write it as YYYY-MM-DD, e.g. 2026-11-21"));
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("'{s}' is a date that does not exist"))?;
    // Plans and windows add years to these dates; keeping inputs well inside four-digit years
    // keeps every date in an answer in the contract's YYYY-MM-DD form.
    if !(1900..=2199).contains(&d.year()) {
        return Err(format!("'{s}' is out of range; accepted: dates from 1900-01-01 to 2199-12-31"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dates_that_do_not_exist_are_named_as_such() {
        assert!(parse_date("2026-02-30").unwrap_err().contains("does not exist"));
        assert!(parse_date("2026-2-3").unwrap_err().contains("YYYY-MM-DD"));
        assert_eq!(parse_date("2024-02-29"), Ok(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()));
    }

    #[test]
    fn unknown_fields_are_named_with_a_suggestion() {
        let v = json!({"concren": "acne_scars"});
        let e = Object::new(&v, ROOT, &["concern", "findings"]).err().unwrap();
        assert_eq!(e.field, "concren");
        assert!(e.message.contains("did you mean 'concern'"));
    }

    #[test]
    fn integers_reject_fractions_and_ranges() {
        assert!(integer(&json!(2.5), At::Field(&ROOT, "f"), 1, 6).unwrap_err().message.contains("not a whole number"));
        assert!(integer(&json!(7), At::Field(&ROOT, "f"), 1, 6).unwrap_err().message.contains("accepted: 1 to 6"));
        assert_eq!(integer(&json!(3.0), At::Field(&ROOT, "f"), 1, 6), Ok(3));
    }
}
