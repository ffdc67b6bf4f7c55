//! Family feedback: anonymous links, the public form, aggregates for grant holders.

pub mod examples;
pub mod model;
pub mod publication;
pub mod routes;
pub mod service;
