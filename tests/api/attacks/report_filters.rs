//! report_filters
