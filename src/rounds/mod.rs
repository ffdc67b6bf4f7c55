//! Rounds of a fund and the criteria their applications are scored against.

pub mod examples;
pub mod model;
pub mod routes;
pub mod service;
