//! The request bodies the contract shows as examples for these operations, in the words of
//! the model case. `routes.rs` checks that each is a body its operation accepts.

use serde_json::{Value, json};

/// `POST /users`.
pub fn create_user() -> Value {
    json!({
        "name": "Aileen Drummond",
        "email": "aileen.drummond@gov.example.org",
        "role": "official",
        "password": "a long passphrase of her own"
    })
}

/// `PATCH /users/{id}`.
pub fn update_user() -> Value {
    json!({
        "name": "Dr Aileen Drummond",
        "active": true
    })
}
