//! The family-expenses fund: its units (where the women its families visit are cared for) and
//! the rates it pays at in each financial year, held as data and set by administrators.

pub mod examples;
pub mod model;
pub mod routes;
pub mod setup;
