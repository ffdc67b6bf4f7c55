//! Email: the outbox table, the worker that drains it, and the messages themselves.

pub mod mailer;
pub mod messages;
pub mod outbox;
pub mod routes;
pub mod worker;
