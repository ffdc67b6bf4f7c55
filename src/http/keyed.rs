//! An action a client may send again safely: it reads the caller and their `Idempotency-Key`
//! with the request, and runs the action once per key, giving a retry the first answer.

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use chrono::NaiveDateTime;
use futures_util::future::LocalBoxFuture;
use serde::Serialize;

use crate::caller::CurrentUser;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::idempotency::{self, IdempotencyKey};
use crate::state::AppState;

/// What a keyed action reads from its request: the state, the request itself (for its
/// fingerprint), the caller, and the caller's `Idempotency-Key` if they sent one.
pub struct KeyedCall {
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    key: IdempotencyKey,
}

impl FromRequest for KeyedCall {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let user = CurrentUser::from_request(&req, payload);
        let key = IdempotencyKey::from_request(&req, payload);
        Box::pin(async move {
            let user = user.await?;
            let key = key.await?;
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| ApiError::internal("application state missing"))?;
            Ok(KeyedCall {
                state,
                req,
                user,
                key,
            })
        })
    }
}

impl KeyedCall {
    /// Refuses the action unless the caller entered a second factor in the last few minutes.
    pub fn require_recent_factor(&self) -> Result<(), ApiError> {
        self.user.require_recent_factor(self.state.clock.now())
    }

    /// Runs `action` once for this key and request (`body` as parsed), answering with the
    /// status and value it gives, or with the first answer to an earlier sending.
    pub async fn once<T, F>(
        self,
        body: &impl Serialize,
        action: F,
    ) -> Result<HttpResponse, ApiError>
    where
        T: Serialize,
        F: Fn(&mut DbConnection, NaiveDateTime, &CurrentUser) -> Result<(StatusCode, T), ApiError>
            + Send
            + 'static,
    {
        let KeyedCall {
            state,
            req,
            user,
            key,
        } = self;
        let now = state.clock.now_naive();
        let fingerprint = idempotency::fingerprint(&req, body)?;
        let answer = state
            .db
            .run(move |conn| {
                idempotency::once(conn, now, user.id, &key, &fingerprint, |conn| {
                    action(conn, now, &user)
                })
            })
            .await?;
        Ok(answer.respond())
    }
}
