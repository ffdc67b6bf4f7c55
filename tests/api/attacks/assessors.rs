//! assessors
