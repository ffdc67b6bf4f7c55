//! Applications to a round: drafted, edited, answered, submitted or withdrawn by an
//! organisation.

pub mod answers;
pub mod asked;
pub mod examples;
pub mod information;
pub mod model;
pub mod routes;
pub mod service;
