//! The request bodies the contract shows as examples for these operations, in the words of
//! the model case. `routes.rs` checks that each is a body its operation accepts.

use serde_json::{Value, json};

/// `POST /auth/register`.
pub fn register() -> Value {
    json!({
        "organisation": {
            "name": "Bumps & Babies Fife",
            "type": "scio",
            "charity_number": "SC048123",
            "annual_income": "182500.00",
            "address": "12 High Street, Kirkcaldy",
            "postcode": "KY1 1LX",
            "health_boards": [
                "fife"
            ],
            "contact_email": "hello@bumps-and-babies.example.org",
            "website": "https://bumps-and-babies.example.org",
            "listed_in_directory": true
        },
        "user": {
            "name": "Morag Henderson",
            "email": "morag@bumps-and-babies.example.org",
            "password": "a kettle, two mugs and a long walk"
        }
    })
}

/// `POST /auth/login`.
pub fn login() -> Value {
    json!({
        "email": "morag@bumps-and-babies.example.org",
        "password": "a kettle, two mugs and a long walk"
    })
}

/// `POST /auth/refresh`.
pub fn refresh() -> Value {
    json!({
        "refresh_token": "pX3vQ8rT1mK6wZ9yB2nC5dF7gH0jL4sA-eUoIqRtYuw"
    })
}

/// `POST /auth/password-reset/request`.
pub fn request_password_reset() -> Value {
    json!({
        "email": "morag@bumps-and-babies.example.org"
    })
}

/// `POST /auth/password-reset/confirm`.
pub fn confirm_password_reset() -> Value {
    json!({
        "token": "Zk2Lm9Qw4Rt7Yp1Xs6Vb3Nc8Hd5Jf0Ga_eUoIqRtYuw",
        "password": "three herons on the Forth at dawn"
    })
}

/// `POST /auth/login/mfa`.
pub fn login_mfa() -> Value {
    json!({
        "challenge": "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl",
        "code": "492039"
    })
}

pub fn register_claimant() -> Value {
    json!({
        "name": "Calum MacLeod",
        "email": "calum.macleod@example.com",
        "password": "a long passphrase of mine"
    })
}
