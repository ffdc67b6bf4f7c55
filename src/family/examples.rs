//! The request bodies the contract shows for the family fund's set-up.

use serde_json::{Value, json};

pub fn unit() -> Value {
    json!({
        "name": "St John's Mother and Baby Unit",
        "health_board": "lothian",
        "wards": ["Mother and Baby Unit"],
        "provides_meals": false
    })
}

pub fn rates() -> Value {
    json!({
        "mileage_rate": "0.14",
        "food_rate": "8.50",
        "family_cap": "500.00",
        "claim_window_months": 3,
        "flights_per_week": 2
    })
}
