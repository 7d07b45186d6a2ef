//! The pathway between the engine's decisions: when the next session of a series is, from the
//! plan and the sessions actually performed (`next`), and whether an appointment may be booked at
//! a time (`booking`). Every page, the API, the reminders and the calendar ask these functions, so
//! the patient and the staff see one truth.

pub mod booking;
pub mod next;
