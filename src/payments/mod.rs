//! Paying authorised instalments: the queue of releases, payment runs built from the authorised
//! ones, the CSV file each gives the finance system, and the bank's results marking each line
//! paid or failed.

pub mod examples;
pub mod marking;
pub mod model;
pub mod queue;
pub mod routes;
pub mod runs;
