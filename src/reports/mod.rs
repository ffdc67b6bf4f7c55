//! What officials and the public read: reports on a fund, open data in the 360Giving standard,
//! the public directory of funded services.

pub mod csv_out;
pub mod directory;
pub mod funds;
pub mod model;
pub mod open_data;
pub mod routes;
