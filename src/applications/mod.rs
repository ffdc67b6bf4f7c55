//! Applications to a round: drafted, edited, answered, submitted or withdrawn by an
//! organisation.

pub mod answers;
pub mod examples;
pub mod model;
pub mod routes;
pub mod service;
