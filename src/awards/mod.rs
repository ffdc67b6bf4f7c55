//! Decisions on applications and the awards they make, under each financial year's limit.

pub mod messages;
pub mod model;
pub mod routes;
pub mod service;
