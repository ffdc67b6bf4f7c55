//! Monitoring returns: their schedule, content, submission and review, the instalments that wait
//! for them, and the job that marks them overdue and reminds grant holders.

pub mod examples;
pub mod jobs;
pub mod messages;
pub mod model;
pub mod reading;
pub mod routes;
pub mod service;
