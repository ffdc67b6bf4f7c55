//! Organisations that apply for grants.

pub mod address;
pub mod model;
pub mod routes;
pub mod service;
