//! Hours in JSON: whole hours are written as integers (`24`, not `24.0`), so answers read the way
//! the contract's examples are written; fractions stay fractions.

use serde::Serializer;

pub fn serialize<S: Serializer>(h: &f64, s: S) -> Result<S::Ok, S::Error> {
    if h.fract() == 0.0 && h.abs() < 9.0e15 { s.serialize_i64(*h as i64) } else { s.serialize_f64(*h) }
}

pub fn serialize_opt<S: Serializer>(h: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match h {
        Some(h) => serialize(h, s),
        None => s.serialize_none(),
    }
}
