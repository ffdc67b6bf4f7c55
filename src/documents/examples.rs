//! The request bodies the contract shows as examples for these operations, in the words of
//! the model case. `routes.rs` checks that each is a body its operation accepts.

use serde_json::{Value, json};

/// `PUT /rounds/{id}/required-documents`.
pub fn required_documents() -> Value {
    json!({"kinds": ["budget"]})
}
