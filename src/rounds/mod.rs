//! Rounds of a fund, their own application forms, and the criteria their applications are
//! scored against.

pub mod examples;
pub mod form;
pub mod forms;
pub mod model;
pub mod routes;
pub mod service;
