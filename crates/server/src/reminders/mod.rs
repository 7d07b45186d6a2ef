//! Reminders that reach patients: what is scheduled from each appointment and session
//! (`schedule`), what each message says (`render`), and the outbox worker that delivers them
//! (`worker`). The calendar feed is in `crate::calendar`.

pub mod payload;
pub mod render;
pub mod schedule;
pub mod worker;

pub use worker::{Couriers, ReminderConfig, Worker};
