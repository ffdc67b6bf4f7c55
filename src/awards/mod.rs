//! Decisions on applications and the awards they make, under each financial year's limit.

pub mod access;
pub mod deciding;
pub mod examples;
pub mod messages;
pub mod model;
pub mod offer;
pub mod reading;
pub mod recipients;
pub mod releases;
pub mod routes;
pub mod variations;
pub mod varied;
