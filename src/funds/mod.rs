//! Funds: who pays, who runs it, the programme period, and each financial year's limit.

pub mod budget;
pub mod examples;
pub mod locks;
pub mod model;
pub mod routes;
pub mod service;
