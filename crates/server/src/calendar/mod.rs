//! A patient's reminders as a calendar they subscribe to from their phone or desktop calendar:
//! `ics` renders the feed (RFC 5545) and its ETag, so the apps that poll it get a 304 when
//! nothing changed.

pub mod feed;
pub mod ics;
