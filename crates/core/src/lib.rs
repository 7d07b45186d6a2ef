//! needlepath's clinical engine.
//!
//! Everything the product decides about a patient is decided here, by pure functions over plain
//! data: the protocol (the clinical knowledge, with its sources), screening, check-in triage,
//! "can I do this now?", the series plan and the aftercare timeline. There is no I/O, no async and
//! no clock in this crate: time is always a parameter. The command line, the JSON API and the web
//! pages all call the same functions, so they can never disagree.

pub mod protocol;
pub mod suggest;
pub mod vocabulary;

pub use protocol::Protocol;

pub mod can_i;
pub mod consent;
pub mod findings;
mod hours;
pub mod outcomes;
pub mod pathway;
pub mod plan;
pub mod reach;
pub mod redness;
pub mod reminders;
pub mod request;
pub mod screening;
pub mod session;
pub mod stored;
pub mod timeline;
pub mod triage;
