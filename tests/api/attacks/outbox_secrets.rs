//! outbox_secrets
