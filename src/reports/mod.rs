//! What officials and the public read: open data in the 360Giving standard.

pub mod open_data;
pub mod routes;
