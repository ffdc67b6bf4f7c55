//! Each probe of an outside attack on the service, kept as a test on both databases, so that a
//! defect once found stays found. `SECURITY.md` lists them.

mod assessors;
mod deadlocks;
mod differencing;
mod money;
mod outbox_secrets;
mod oversized;
mod report_filters;
mod reset_timing;
mod sign_in;
mod tokens;
mod uploads;
