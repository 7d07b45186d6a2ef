//! The joints between the pathway's steps: what must be true before the next step may happen.
//!
//! Each joint is a pure function from facts the store gathers (inside the transaction that
//! takes the step) to what stands in the way, so that the rule exists once and the API, the
//! pages and the store cannot disagree about it.

pub mod gates;
