//! A second factor for signing in: TOTP enrolment and checks, recovery codes, the sessions an
//! account has open and its sign-in history.

pub mod examples;
pub mod history;
pub mod routes;
pub mod service;
pub mod sessions;
pub mod totp;
