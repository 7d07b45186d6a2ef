//! The joints between the pathway's steps, each a pure function from facts the store gathers
//! (inside the transaction that takes the step) to what stands in the way or what comes next, so
//! that the rule exists once and the API, the pages, the reminders and the store cannot disagree:
//! whether a session may be recorded (`gates`), when the next session of a series is, from the
//! plan and the sessions actually performed (`next`), whether an appointment may be booked at
//! a time (`booking`), when the check-ins after a session fall due and which one an answer fills
//! (`check_ins`), and when a check-in opens an alert and by when the clinic answers it
//! (`response`).

pub mod booking;
pub mod check_ins;
pub mod gates;
pub mod next;
pub mod response;
