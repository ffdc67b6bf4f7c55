//! Identifiers of organisations and people that are checked once, at the boundary.

use std::fmt;

/// A Scottish Charity Number as issued by OSCR: `SC` followed by six digits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CharityNumber(String);

impl CharityNumber {
    /// Accepts `SC012345`, also written in lower case or with spaces (`sc 012 345`).
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let upper = compact.to_ascii_uppercase();
        match upper.strip_prefix("SC") {
            Some(digits) if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(CharityNumber(upper))
            }
            _ => Err("must be a Scottish Charity Number: SC followed by six digits"),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A Companies House number: eight digits, or two letters and six digits (`SC123456`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompanyNumber(String);

impl CompanyNumber {
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let upper: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let bytes = upper.as_bytes();
        let valid = bytes.len() == 8
            && (bytes.iter().all(u8::is_ascii_digit)
                || (bytes[..2].iter().all(u8::is_ascii_alphabetic)
                    && bytes[2..].iter().all(u8::is_ascii_digit)));
        if valid {
            Ok(CompanyNumber(upper))
        } else {
            Err("must be a company number: eight digits, or two letters and six digits")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A UK postcode, stored in upper case with one space before the inward code (`KY1 1XX`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Postcode(String);

impl Postcode {
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        const MESSAGE: &str = "must be a UK postcode such as KY1 1XX";
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        if !(5..=7).contains(&compact.len()) || !compact.is_ascii() {
            return Err(MESSAGE);
        }
        let (outward, inward) = compact.split_at(compact.len() - 3);
        let inward_ok = {
            let b = inward.as_bytes();
            b[0].is_ascii_digit() && b[1].is_ascii_alphabetic() && b[2].is_ascii_alphabetic()
        };
        let outward_ok = {
            let b = outward.as_bytes();
            b[0].is_ascii_alphabetic()
                && b.iter().all(u8::is_ascii_alphanumeric)
                && b.iter().any(u8::is_ascii_digit)
        };
        if inward_ok && outward_ok {
            Ok(Postcode(format!("{outward} {inward}")))
        } else {
            Err(MESSAGE)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address in its one spelling: trimmed, lower-cased and in Unicode NFC, so that one
/// person has one account and one set of limits however they type it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let normal = Email::normalise(text);
        if normal.len() > 254 || !email_address::EmailAddress::is_valid(&normal) {
            return Err("must be a valid email address");
        }
        Ok(Email(normal))
    }

    /// The spelling that names an account, also for text that is not a valid address: what the
    /// sign-in, reset and registration limits count and what accounts are looked up by.
    /// Lower-casing comes before composing because a capital's lower case may decompose.
    pub fn normalise(text: &str) -> String {
        let lower = text.trim().to_lowercase();
        icu_normalizer::ComposingNormalizerBorrowed::new_nfc()
            .normalize(&lower)
            .into_owned()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A website address: absolute `http` or `https` with a host.
pub fn parse_website(text: &str) -> Result<String, &'static str> {
    const MESSAGE: &str = "must be an http or https address such as https://example.org";
    let url = url::Url::parse(text.trim()).map_err(|_| MESSAGE)?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() || text.len() > 500 {
        return Err(MESSAGE);
    }
    Ok(url.to_string())
}

/// A new password: long enough to resist guessing, short enough to hash cheaply. Length is the
/// only rule, as the NCSC advises; composition rules do not help.
pub fn check_new_password(password: &str) -> Result<(), &'static str> {
    let chars = password.chars().count();
    if chars < 12 {
        Err("must be at least 12 characters")
    } else if chars > 256 {
        Err("must be at most 256 characters")
    } else if password.chars().any(char::is_control) {
        Err("must not contain control characters")
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scottish_charity_numbers() {
        assert_eq!(
            CharityNumber::parse("SC012345").map(|c| c.0),
            Ok("SC012345".into())
        );
        assert_eq!(
            CharityNumber::parse(" sc 040887").map(|c| c.0),
            Ok("SC040887".into())
        );
        for bad in [
            "SC01234",
            "SC0123456",
            "12345678",
            "SCO12345",
            "NI012345",
            "",
            "SC01234X",
        ] {
            assert!(CharityNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn company_numbers() {
        assert!(CompanyNumber::parse("SC123456").is_ok());
        assert!(CompanyNumber::parse("01234567").is_ok());
        assert!(CompanyNumber::parse("1234567").is_err());
        assert!(CompanyNumber::parse("S1234567").is_err());
    }

    #[test]
    fn postcodes_are_normalised() {
        assert_eq!(Postcode::parse("ky11xx").map(|p| p.0), Ok("KY1 1XX".into()));
        assert_eq!(
            Postcode::parse("EH1 1AA").map(|p| p.0),
            Ok("EH1 1AA".into())
        );
        assert_eq!(Postcode::parse("g2 1dy").map(|p| p.0), Ok("G2 1DY".into()));
        for bad in ["", "KY1", "123 456", "KY1 1X1", "ÉH1 1AA"] {
            assert!(Postcode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_are_lower_cased() {
        assert_eq!(
            Email::parse(" Aileen@Example.org ").map(|e| e.0),
            Ok("aileen@example.org".into())
        );
        assert!(Email::parse("not an email").is_err());
    }

    #[test]
    fn every_spelling_of_an_email_is_one_email() {
        let composed = "zo\u{eb}@example.org";
        for spelling in [
            composed,
            " zo\u{eb}@example.org\n",
            "ZO\u{cb}@EXAMPLE.ORG",
            "zoe\u{308}@example.org",
            "\tZOE\u{308}@Example.org ",
        ] {
            assert_eq!(Email::normalise(spelling), composed, "{spelling:?}");
            assert_eq!(Email::parse(spelling).map(|e| e.0), Ok(composed.into()));
        }
        for text in [
            "  Not An Email ",
            "A\u{30a}ngstr\u{f6}m@x.org",
            "\u{130}stanbul@x.org",
        ] {
            let once = Email::normalise(text);
            assert_eq!(
                Email::normalise(&once),
                once,
                "normalising twice changes nothing"
            );
        }
        assert_eq!(Email::normalise("  Not An Email "), "not an email");
    }

    #[test]
    fn websites_need_http() {
        assert!(parse_website("https://example.org").is_ok());
        assert!(parse_website("javascript:alert(1)").is_err());
        assert!(parse_website("example.org").is_err());
    }
}
