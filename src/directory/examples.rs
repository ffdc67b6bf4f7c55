//! The request bodies the contract shows as examples for these operations, in the words of
//! the model case. `routes.rs` checks that each is a body its operation accepts.

use serde_json::{Value, json};

/// `POST /directory-services` and `PUT /directory-services/{id}`.
pub fn create_listing() -> Value {
    json!({
        "name": "Bumps & Babies peer support",
        "offer": "Weekly peer support groups and one-to-one befriending for new parents.",
        "audience": "Mothers, birthing parents and partners in pregnancy and the first year.",
        "referral": "Self-refer by phone or email; health visitors can refer with consent.",
        "phone": "01592 123456",
        "email": "hello@bumps-and-babies.example.org",
        "website": "https://bumps-and-babies.example.org",
        "towns": ["Kirkcaldy", "Glenrothes"],
        "health_boards": ["fife"],
        "support_types": ["peer_support", "befriending"],
        "target_groups": ["mothers_birthing_parents", "fathers_partners"],
        "languages": ["English", "Polish"],
        "running": true,
        "award_ids": [1]
    })
}

/// `POST /directory-services/{id}/approve`.
pub fn approve_listing() -> Value {
    json!({"updated_at": "2023-05-02T10:00:00Z"})
}
