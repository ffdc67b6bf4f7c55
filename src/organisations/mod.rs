//! Organisations that apply for grants.

pub mod address;
pub mod bank;
pub mod examples;
pub mod model;
pub mod routes;
pub mod service;
