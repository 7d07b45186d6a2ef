//! The joints between the pathway's steps, each a pure function from facts the store gathers
//! (inside the transaction that takes the step) to what stands in the way or what comes next, so
//! that the rule exists once and the API, the pages, the reminders and the store cannot disagree:
//! whether a session may be recorded (`gates`), when the next session of a series is, from the
//! plan and the sessions actually performed (`next`), and whether an appointment may be booked at
//! a time (`booking`).

pub mod booking;
pub mod gates;
pub mod next;
