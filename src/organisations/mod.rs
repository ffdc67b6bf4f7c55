//! Organisations that apply for grants.

pub mod model;
pub mod routes;
pub mod service;
