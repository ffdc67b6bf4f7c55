//! deadlocks
