//! User accounts.

pub mod api;
pub mod model;
pub mod routes;
pub mod service;
