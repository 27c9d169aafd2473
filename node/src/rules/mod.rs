//! Pure rules, testable exhaustively: the holiday calendar and deadlines, the legal
//! time limits, identity numbers, the petition classification.

pub mod calendar;
pub mod identity;
pub mod limits;
pub mod taxonomy;
