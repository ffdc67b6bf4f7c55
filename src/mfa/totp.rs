//! Time-based one-time passwords (RFC 6238): six digits, 30-second steps, HMAC-SHA-1, as every
//! authenticator app reads them from an `otpauth://` QR code.

use base64::Engine;
use rand::TryRngCore;
use rand::rngs::OsRng;
use totp_rs::{Algorithm, Builder, Secret, Totp};

use crate::error::ApiError;

/// Seconds one code lasts.
pub const STEP_SECONDS: u64 = 30;

/// Steps either side of now a code is accepted for, for a phone whose clock is a little off.
const SKEW_STEPS: u16 = 1;

/// A new secret: 160 random bits from the operating system, as RFC 4226 recommends.
pub fn new_secret() -> Result<Vec<u8>, ApiError> {
    let mut bytes = vec![0u8; 20];
    OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| ApiError::internal(format!("random source: {e}")))?;
    Ok(bytes)
}

/// The secret as people type it into an app: base32 without padding.
pub fn to_text(secret: &[u8]) -> String {
    Secret::new(secret.into()).to_base32()
}

/// The secret from its base32 text, as the command line and the tests hold it.
pub fn from_text(text: &str) -> Option<Vec<u8>> {
    Secret::try_from_base32(text.trim().to_ascii_uppercase())
        .ok()
        .map(|secret| secret.as_bytes().to_vec())
}

fn totp(secret: &[u8]) -> Result<Totp, ApiError> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(SKEW_STEPS)
        .with_step_duration(STEP_SECONDS)
        .with_secret(Secret::new(secret.into()))
        .build()
        .map_err(|e| ApiError::internal(format!("totp: {e:?}")))
}

/// The step a code is right for at `unix_seconds`, within one step either side; `None` for a
/// wrong code. Whether the step was already used is the caller's question.
pub fn matching_step(
    secret: &[u8],
    code: &str,
    unix_seconds: i64,
) -> Result<Option<i64>, ApiError> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let Ok(time) = u64::try_from(unix_seconds) else {
        return Ok(None);
    };
    Ok(totp(secret)?
        .check(&code, time)
        .and_then(|step| i64::try_from(step).ok()))
}

/// The code of `secret` at `unix_seconds`.
pub fn code_at(secret: &[u8], unix_seconds: i64) -> Result<String, ApiError> {
    let time = u64::try_from(unix_seconds).map_err(ApiError::internal)?;
    Ok(totp(secret)?.generate(time).to_string())
}

/// The `otpauth://` address an authenticator app reads from the QR code.
pub fn provisioning_url(issuer: &str, account: &str, secret: &[u8]) -> Result<String, ApiError> {
    let mut url = url::Url::parse("otpauth://totp/").map_err(ApiError::internal)?;
    url.set_path(&format!("{issuer}:{account}"));
    url.query_pairs_mut()
        .append_pair("secret", &to_text(secret))
        .append_pair("issuer", issuer)
        .append_pair("algorithm", "SHA1")
        .append_pair("digits", "6")
        .append_pair("period", &STEP_SECONDS.to_string());
    Ok(url.to_string())
}

/// The QR code of `text` as an SVG document, for an `<img>` on the enrolment page.
pub fn qr_svg(text: &str) -> Result<String, ApiError> {
    use qrcode::QrCode;
    use qrcode::render::svg;
    let code = QrCode::new(text.as_bytes()).map_err(ApiError::internal)?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

/// The QR code as a `data:` address, so the page needs no second request and no script.
pub fn qr_data_url(text: &str) -> Result<String, ApiError> {
    let svg = qr_svg(text)?;
    Ok(format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1, truncated to six digits.
    #[test]
    fn codes_match_the_rfc_test_vectors() {
        let secret = b"12345678901234567890";
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(code_at(secret, time).ok().as_deref(), Some(code), "{time}");
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_no_further() {
        let secret = b"12345678901234567890";
        let now = 1_234_567_890;
        let code = code_at(secret, now).unwrap_or_default();
        let step = now / 30;
        assert_eq!(matching_step(secret, &code, now).ok().flatten(), Some(step));
        assert_eq!(
            matching_step(secret, &code, now + 30).ok().flatten(),
            Some(step)
        );
        assert_eq!(
            matching_step(secret, &code, now - 30).ok().flatten(),
            Some(step)
        );
        assert_eq!(matching_step(secret, &code, now + 60).ok().flatten(), None);
        assert_eq!(matching_step(secret, "12345", now).ok().flatten(), None);
        assert_eq!(matching_step(secret, "abcdef", now).ok().flatten(), None);
    }

    #[test]
    fn the_secret_round_trips_through_its_text_and_the_app_address() {
        let secret = new_secret().unwrap_or_default();
        assert_eq!(secret.len(), 20);
        let text = to_text(&secret);
        assert_eq!(from_text(&text), Some(secret.clone()));
        let url = provisioning_url("Grant Fund", "a@example.org", &secret).unwrap_or_default();
        assert!(url.starts_with("otpauth://totp/Grant"), "{url}");
        assert!(url.contains(&format!("secret={text}")), "{url}");
        assert!(
            qr_data_url(&url)
                .unwrap_or_default()
                .starts_with("data:image/svg+xml;base64,")
        );
    }
}
