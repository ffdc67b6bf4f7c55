//! The family-expenses fund: its units (where the women its families visit are cared for) and
//! the rates it pays at in each financial year, held as data and set by administrators; the
//! families' stays, the journeys approved before they are made, and the claims, certified by the
//! unit, checked and approved by the board's cash office against the family's cap and the fund's
//! year limits at once.

pub mod bank;
pub mod checking;
pub mod claim_model;
pub mod claims;
pub mod examples;
pub mod messages;
pub mod model;
pub mod pre_approvals;
pub mod report;
pub mod retention;
pub mod routes;
pub mod rules;
pub mod setup;
pub mod stay_model;
pub mod stays;
