//! oversized
