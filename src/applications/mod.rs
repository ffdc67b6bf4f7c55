//! Applications to a round: drafted, edited, submitted or withdrawn by an organisation.

pub mod model;
pub mod routes;
pub mod service;
