//! The request bodies the contract shows as examples for these operations. `routes.rs` checks
//! that each is a body its operation accepts.

use serde_json::{Value, json};

/// `POST /payment-runs`.
pub fn build() -> Value {
    json!({"fund_id": 1})
}

/// `POST /payment-runs/{id}/lines/{line_id}/paid`.
pub fn paid() -> Value {
    json!({"paid_on": "2023-04-12"})
}

/// `POST /payment-runs/{id}/lines/{line_id}/failed`.
pub fn failed() -> Value {
    json!({"reason": "Account closed: the bank returned the payment."})
}

/// `POST /payment-runs/{id}/results`.
pub fn results() -> &'static str {
    "line_id,payee,sort_code,account_number,roll_number,amount,payment_reference,award_reference,status,paid_on,reason\n\
     7,Kirkcaldy Family Support,80-22-60,10203040,,24000.00,PIMH-2021-0017/2021-22,PIMH-2021-0017,paid,2023-04-12,\n\
     8,Leven Parents Together,83-91-22,55667788,,18000.00,PIMH-2021-0021/2021-22,PIMH-2021-0021,failed,,Account closed\n"
}
