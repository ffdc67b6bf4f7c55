//! Organisations that apply for grants.

pub mod bank;
pub mod examples;
pub mod model;
pub mod routes;
pub mod service;
