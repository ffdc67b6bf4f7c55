//! Short-lived access tokens: HS256 JWTs naming the user.
//!
//! The token says who the user is and which generation of the account's sessions it belongs to;
//! what they may do is read from the database on every request, so a disabled account or a changed
//! role takes effect at once, and a token from before the account's sessions were ended never works
//! again.

use std::time::Duration;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorCode};

const ISSUER: &str = "grantfund";

/// What an access token carries.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: String,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expires at, seconds since the epoch.
    pub exp: i64,
    pub iss: String,
    /// Always `access`; keeps other token kinds from being used here.
    pub typ: String,
    /// The account's session generation when the token was issued.
    pub generation: i64,
    /// When the holder last entered a second factor, seconds since the epoch: absent when the
    /// session was not begun or stepped up with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor_at: Option<i64>,
}

/// What a valid access token says of its holder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verified {
    pub user_id: i64,
    /// Issued at, seconds since the epoch.
    pub issued_at: i64,
    pub generation: i64,
    /// When the holder last entered a second factor, seconds since the epoch.
    pub factor_at: Option<i64>,
}

/// How long the challenge between a right password and its second factor lasts.
pub const CHALLENGE_TTL_SECONDS: i64 = 300;

const CHALLENGE: &str = "mfa_challenge";

/// Signing and checking keys, built once from the secret.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl: Duration,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl JwtKeys {
    pub fn new(secret: &SecretString, ttl: Duration) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        JwtKeys {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            ttl,
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Issues an access token for a user in the account's current session generation.
    pub fn issue(
        &self,
        user_id: i64,
        generation: i64,
        now: DateTime<Utc>,
    ) -> Result<String, ApiError> {
        self.issue_with_factor(user_id, generation, now, None)
    }

    /// Issues an access token that says when its holder last entered a second factor.
    pub fn issue_with_factor(
        &self,
        user_id: i64,
        generation: i64,
        now: DateTime<Utc>,
        factor_at: Option<DateTime<Utc>>,
    ) -> Result<String, ApiError> {
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX);
        self.sign(user_id, generation, now, ttl, "access", factor_at)
    }

    /// The short-lived token that stands between a right password and the second factor: it
    /// cannot be used as an access token, and it names the account's session generation so a
    /// password reset in between ends it.
    pub fn issue_challenge(
        &self,
        user_id: i64,
        generation: i64,
        now: DateTime<Utc>,
    ) -> Result<String, ApiError> {
        self.sign(
            user_id,
            generation,
            now,
            CHALLENGE_TTL_SECONDS,
            CHALLENGE,
            None,
        )
    }

    fn sign(
        &self,
        user_id: i64,
        generation: i64,
        now: DateTime<Utc>,
        ttl_seconds: i64,
        kind: &str,
        factor_at: Option<DateTime<Utc>>,
    ) -> Result<String, ApiError> {
        let iat = now.timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            iat,
            exp: iat.saturating_add(ttl_seconds),
            iss: ISSUER.to_owned(),
            typ: kind.to_owned(),
            generation,
            factor_at: factor_at.map(|t| t.timestamp()),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::internal(format!("token signing: {e}")))
    }

    /// The user and session generation a sign-in challenge names, if it is one this service
    /// issued and it has not expired; `None` otherwise, so that every failure answers alike.
    pub fn verify_challenge(&self, token: &str, now: DateTime<Utc>) -> Option<(i64, i64)> {
        let claims = self.claims(token)?;
        if claims.typ != CHALLENGE || claims.exp < now.timestamp() {
            return None;
        }
        Some((claims.sub.parse().ok()?, claims.generation))
    }

    fn claims(&self, token: &str) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "iat"]);
        validation.validate_exp = false;
        decode::<Claims>(token, &self.decoding, &validation)
            .ok()
            .map(|data| data.claims)
    }

    /// Checks signature (HS256 only, so `alg: none` and key-confusion tricks fail), issuer,
    /// expiry at `now` (the service's clock, which issued the token) and kind; gives the user id,
    /// the time of issue and the session generation.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Verified, ApiError> {
        const LEEWAY_SECONDS: i64 = 5;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "iat"]);
        validation.validate_exp = false;
        let data = decode::<Claims>(token, &self.decoding, &validation).map_err(|_| {
            ApiError::unauthorized(ErrorCode::InvalidToken, "The access token is not valid.")
        })?;
        let claims = data.claims;
        if claims.exp.saturating_add(LEEWAY_SECONDS) < now.timestamp() {
            return Err(ApiError::unauthorized(
                ErrorCode::TokenExpired,
                "The access token has expired; refresh it.",
            ));
        }
        let user_id = claims
            .sub
            .parse::<i64>()
            .ok()
            .filter(|_| claims.typ == "access");
        match user_id {
            Some(user_id) => Ok(Verified {
                user_id,
                issued_at: claims.iat,
                generation: claims.generation,
                factor_at: claims.factor_at,
            }),
            None => Err(ApiError::unauthorized(
                ErrorCode::InvalidToken,
                "The access token is not valid.",
            )),
        }
    }
}
