//! `Idempotency-Key`: a client that did not hear the answer to a decision or an award action can
//! send the same request again with the same key and get the first answer, without the action
//! being taken twice.
//!
//! The first successful answer is stored with the key, per user, in the same transaction as the
//! action, so an action and its record of having happened commit together or not at all. A retry
//! with the same key and the same request (method, path and body) gets that answer again; the
//! same key with a different request is refused with 422 `idempotency_key_reused`. Failures are
//! not stored: a request that was refused can be retried with its key once the cause is gone.
//! When two requests with one key arrive at once, one acts and the other, refused by the
//! action's own state check or by the key's primary key, finds the stored answer and gives it.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::{ObjectBuilder, Required, Type};

use crate::db::schema::idempotency_keys;
use crate::db::{DbConnection, retrying_write};
use crate::error::{ApiError, ErrorCode};

/// The longest key accepted.
const MAX_KEY_LENGTH: usize = 255;

/// The request's `Idempotency-Key` header, if it sent one: 1 to 255 visible ASCII characters
/// (400 `invalid_idempotency_key` otherwise).
#[derive(Clone, Debug)]
pub struct IdempotencyKey(pub Option<String>);

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(value) = req.headers().get("idempotency-key") else {
            return ready(Ok(IdempotencyKey(None)));
        };
        let key = value
            .to_str()
            .ok()
            .filter(|k| (1..=MAX_KEY_LENGTH).contains(&k.len()))
            .filter(|k| k.bytes().all(|b| b.is_ascii_graphic()));
        ready(match key {
            Some(key) => Ok(IdempotencyKey(Some(key.to_owned()))),
            None => Err(ApiError::bad_request(
                ErrorCode::InvalidIdempotencyKey,
                "Idempotency-Key must be 1 to 255 visible ASCII characters, such as a UUID.",
            )),
        })
    }
}

/// The header as operations document it.
impl utoipa::IntoParams for IdempotencyKey {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let text = ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(r"^[!-~]{1,255}$"));
        vec![
            ParameterBuilder::new()
                .name("Idempotency-Key")
                .parameter_in(ParameterIn::Header)
                .description(Some(
                    "Makes a retry safe: 1 to 255 visible ASCII characters, e.g. a UUID",
                ))
                .required(Required::False)
                .schema(Some(text))
                .build(),
        ]
    }
}

/// What identifies a request for its key: method, path and the body as parsed.
pub fn fingerprint(req: &HttpRequest, body: &impl Serialize) -> Result<String, ApiError> {
    let body = serde_json::to_string(body).map_err(ApiError::internal)?;
    let mut hash = Sha256::new();
    hash.update(req.method().as_str());
    hash.update(b" ");
    hash.update(req.path());
    hash.update(b"\n");
    hash.update(body);
    Ok(format!("{:x}", hash.finalize()))
}

/// An answer to send: the first one, or the one just made.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub body: serde_json::Value,
}

impl Answer {
    pub fn respond(self) -> HttpResponse {
        HttpResponse::build(self.status).json(self.body)
    }
}

/// The stored answer to `key`, if the key has been used; 422 if it was used for another request.
fn stored(
    conn: &mut DbConnection,
    user_id: i64,
    key: &str,
    fingerprint: &str,
) -> Result<Option<Answer>, ApiError> {
    let row: Option<(String, i32, String)> = idempotency_keys::table
        .find((user_id, key))
        .select((
            idempotency_keys::fingerprint,
            idempotency_keys::response_status,
            idempotency_keys::response_body,
        ))
        .first(conn)
        .optional()?;
    let Some((first, status, body)) = row else {
        return Ok(None);
    };
    if first != fingerprint {
        return Err(ApiError::Unprocessable {
            code: ErrorCode::IdempotencyKeyReused,
            detail: "This Idempotency-Key was used for a different request.".to_owned(),
        });
    }
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or_else(|| ApiError::internal("stored answer with an invalid status"))?;
    let body = serde_json::from_str(&body).map_err(ApiError::internal)?;
    Ok(Some(Answer { status, body }))
}

/// Runs `work` once per key: with no key it simply runs; with a key already used for this
/// request it returns the stored answer instead. `work` gives the status and body of its answer.
///
/// The action and its key's record are one transaction, which the database may end for a
/// deadlock and [`retrying_write`] then runs again whole: `work` is `FnMut` so that it can act
/// afresh, and the key is written again with the answer of the run that commits.
pub fn once<T, F>(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user_id: i64,
    key: &IdempotencyKey,
    fingerprint: &str,
    mut work: F,
) -> Result<Answer, ApiError>
where
    T: Serialize,
    F: FnMut(&mut DbConnection) -> Result<(StatusCode, T), ApiError>,
{
    let answer = |(status, value): (StatusCode, T)| -> Result<Answer, ApiError> {
        Ok(Answer {
            status,
            body: serde_json::to_value(value).map_err(ApiError::internal)?,
        })
    };
    let Some(key) = key.0.as_deref() else {
        return work(conn).and_then(answer);
    };
    if let Some(first) = stored(conn, user_id, key, fingerprint)? {
        return Ok(first);
    }
    let result = retrying_write(conn, |conn| {
        let made = answer(work(conn)?)?;
        diesel::insert_into(idempotency_keys::table)
            .values((
                idempotency_keys::user_id.eq(user_id),
                idempotency_keys::idempotency_key.eq(key),
                idempotency_keys::fingerprint.eq(fingerprint),
                idempotency_keys::response_status.eq(i32::from(made.status.as_u16())),
                idempotency_keys::response_body.eq(made.body.to_string()),
                idempotency_keys::created_at.eq(now),
            ))
            .execute(conn)?;
        Ok(made)
    });
    match result {
        Ok(made) => Ok(made),
        // Another request with this key may have acted first; if so, its answer is ours.
        Err(error) => match stored(conn, user_id, key, fingerprint)? {
            Some(first) => Ok(first),
            None => Err(error),
        },
    }
}
