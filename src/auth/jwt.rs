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
}

/// What a valid access token says of its holder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verified {
    pub user_id: i64,
    /// Issued at, seconds since the epoch.
    pub issued_at: i64,
    pub generation: i64,
}

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
        let iat = now.timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            iat,
            exp: iat.saturating_add(i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX)),
            iss: ISSUER.to_owned(),
            typ: "access".to_owned(),
            generation,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::internal(format!("token signing: {e}")))
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
            }),
            None => Err(ApiError::unauthorized(
                ErrorCode::InvalidToken,
                "The access token is not valid.",
            )),
        }
    }
}
