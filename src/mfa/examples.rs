//! The request bodies the contract shows as examples for these operations. `routes.rs` checks
//! that each is a body its operation accepts.

use serde_json::{Value, json};

/// `POST /me/mfa/confirm`.
pub fn confirm() -> Value {
    json!({"code": "492039"})
}

/// `POST /me/mfa/disable` and `POST /auth/step-up`.
pub fn proof() -> Value {
    json!({"code": "492039"})
}

/// The same with a recovery code.
pub fn recovery() -> Value {
    json!({"recovery_code": "K7QM-2XPA-9TRD-4WBN"})
}
