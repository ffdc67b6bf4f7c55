//! Accounts and sessions: passwords, access and refresh tokens, password reset, rate limits.

pub mod cache;
pub mod examples;
pub mod extract;
pub mod jwt;
pub mod limiter;
pub mod model;
pub mod password;
pub mod routes;
pub mod service;
pub mod tokens;
