//! The national directory of funded services: a listing for each service an award funds, kept
//! by its organisation, approved by an administrator, and public once approved, for families
//! and the professionals who refer them.

pub mod examples;
pub mod model;
pub mod public;
pub mod routes;
pub mod service;
