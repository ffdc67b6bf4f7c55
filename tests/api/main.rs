//! Integration tests: the real HTTP application against a real database, each test body run on
//! SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod access;
mod applications;
mod assessment;
mod assets;
mod attacks;
mod auth;
mod awards;
mod bank_details;
mod cli;
mod contract;
mod demo;
mod directory;
mod documents;
mod errors;
mod family;
mod family_claims;
mod faults;
mod feedback;
mod forms;
mod funds;
mod mfa;
mod monitoring;
mod organisations;
mod outbox;
mod payments;
mod portal;
mod portal_family;
mod portal_variations;
mod reports;
mod rounds;
mod security;
mod users;
mod variations;
