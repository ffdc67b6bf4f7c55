//! What every API test shares: the running app, the one way to send it a request, and the
//! fixtures a test starts from.

pub mod app;
pub mod fixtures;
pub mod request;

pub use app::*;
pub use fixtures::*;
pub use request::*;
