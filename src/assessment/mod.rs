//! Assessment: assessors assigned to applications, their conflict-of-interest declarations,
//! blind weighted scoring, moderation and the round's ranking.

pub mod examples;
pub mod model;
pub mod ranking;
pub mod routes;
pub mod scoring;
pub mod service;
