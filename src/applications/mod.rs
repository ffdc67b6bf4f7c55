//! Applications to a round: drafted, edited, submitted or withdrawn by an organisation.

pub mod examples;
pub mod model;
pub mod routes;
pub mod service;
