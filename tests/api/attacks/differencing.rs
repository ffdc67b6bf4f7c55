//! differencing
