//! User accounts.

pub mod api;
pub mod examples;
pub mod model;
pub mod routes;
pub mod service;
