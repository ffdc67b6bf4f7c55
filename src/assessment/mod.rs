//! Assessment: assessors assigned to applications and their conflict-of-interest declarations.

pub mod model;
pub mod routes;
pub mod service;
