//! What officials and the public read: reports on a fund and open data in the 360Giving
//! standard.

pub mod csv_out;
pub mod funds;
pub mod model;
pub mod open_data;
pub mod routes;
