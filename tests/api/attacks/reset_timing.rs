//! reset_timing
