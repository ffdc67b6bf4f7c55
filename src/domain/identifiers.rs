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

/// A telephone number as people write it: digits with spaces, brackets, hyphens or dots between
/// them and an optional leading `+`; 10 to 15 digits, or a 3-digit number such as 111.
pub fn parse_phone(text: &str) -> Result<String, &'static str> {
    const MESSAGE: &str = "must be a telephone number such as 01592 123456";
    let text = text.trim();
    let body = text.strip_prefix('+').unwrap_or(text);
    let digits = body.chars().filter(char::is_ascii_digit).count();
    let allowed = body
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '(' | ')' | '-' | '.'));
    if !allowed || !(digits == 3 || (10..=15).contains(&digits)) || text.len() > 30 {
        return Err(MESSAGE);
    }
    Ok(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The number of a telephone link (`tel:`): its digits, with the leading `+` when it has one.
pub fn phone_link(phone: &str) -> String {
    let plus = if phone.trim_start().starts_with('+') {
        "+"
    } else {
        ""
    };
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    format!("{plus}{digits}")
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
    fn telephone_numbers() {
        assert_eq!(
            parse_phone(" 01592  123456 "),
            Ok("01592 123456".to_owned())
        );
        assert_eq!(
            parse_phone("+44 (0)1592 123-456"),
            Ok("+44 (0)1592 123-456".to_owned())
        );
        assert_eq!(parse_phone("111"), Ok("111".to_owned()));
        for bad in [
            "",
            "12345",
            "0800 CALL NOW",
            "++441592123456",
            "0159212345612345678",
        ] {
            assert!(parse_phone(bad).is_err(), "{bad}");
        }
        assert_eq!(phone_link("+44 (0)1592 123-456"), "+4401592123456");
        assert_eq!(phone_link("01592 123456"), "01592123456");
    }

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

    #[test]
    fn a_charity_number_is_sc_and_exactly_six_digits() {
        let read = |t: &str| CharityNumber::parse(t).map(|c| c.as_str().to_owned());
        assert_eq!(read("SC012345"), Ok("SC012345".to_owned()));
        assert_eq!(read("sc012345"), Ok("SC012345".to_owned()));
        assert_eq!(read("Sc 012\t345 "), Ok("SC012345".to_owned()));
        for bad in [
            "SC",
            "SC12345",
            "SC1234567",
            "SC12345X",
            "XC012345",
            "S012345",
            "012345",
        ] {
            assert_eq!(
                read(bad),
                Err("must be a Scottish Charity Number: SC followed by six digits"),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_company_number_is_eight_digits_or_two_letters_and_six_digits() {
        let read = |t: &str| CompanyNumber::parse(t).map(|c| c.as_str().to_owned());
        assert_eq!(read("01234567"), Ok("01234567".to_owned()));
        assert_eq!(read("SC123456"), Ok("SC123456".to_owned()));
        assert_eq!(read("sc 123 456"), Ok("SC123456".to_owned()));
        const MESSAGE: &str =
            "must be a company number: eight digits, or two letters and six digits";
        for bad in [
            "",
            "1234567",
            "123456789",
            "SC12345",
            "SC1234567",
            "S1234567",
            "1C123456",
            "SCX23456",
            "SC12345X",
            "ABCDEFGH",
            "0123456X",
        ] {
            assert_eq!(read(bad), Err(MESSAGE), "{bad}");
        }
    }

    #[test]
    fn postcodes_at_the_edges_of_their_rule() {
        let read = |t: &str| Postcode::parse(t).map(|p| p.as_str().to_owned());
        // Five to seven characters once spaces are gone.
        assert_eq!(read("G11AA"), Ok("G1 1AA".to_owned()));
        assert_eq!(read("EH111AA"), Ok("EH11 1AA".to_owned()));
        assert_eq!(read("ec1a 1bb"), Ok("EC1A 1BB".to_owned()));
        assert_eq!(read(" KY1\t1XX "), Ok("KY1 1XX".to_owned()));
        const MESSAGE: &str = "must be a UK postcode such as KY1 1XX";
        for bad in [
            "G1AA",     // four characters
            "EH111AAA", // eight
            "KY1 XXX",  // inward code without its digit
            "KY1 11X",  // inward code's second character a digit
            "KY1 1X1",  // inward code's third character a digit
            "1Y1 1XX",  // outward code starting with a digit
            "KY- 1XX",  // outward code with a sign in it
            "KYX 1XX",  // outward code without a digit
            "ÉH1 1AA",  // not ASCII
            "K£1 1XX",  // not ASCII, seven bytes
        ] {
            assert_eq!(read(bad), Err(MESSAGE), "{bad}");
        }
    }

    #[test]
    fn emails_up_to_254_characters_are_kept_in_lower_case() {
        let email = Email::parse(" Aileen@Bumps.Example.org\n").expect("valid");
        assert_eq!(email.as_str(), "aileen@bumps.example.org");
        assert_eq!(email.to_string(), "aileen@bumps.example.org");
        // 64 + 1 + 189 = 254 characters: the most an address may have.
        let domain = format!("{}.{}.{}", "b".repeat(63), "c".repeat(63), "d".repeat(61));
        let longest = format!("{}@{domain}", "a".repeat(64));
        assert_eq!(longest.len(), 254);
        assert_eq!(Email::parse(&longest).map(|e| e.as_str().len()), Ok(254));
        let too_long = format!("{}@{domain}x", "a".repeat(64));
        assert_eq!(
            Email::parse(&too_long),
            Err("must be a valid email address")
        );
        for bad in [
            "",
            "aileen",
            "aileen@",
            "@example.org",
            "a b@example.org",
            "aileen@@example.org",
        ] {
            assert_eq!(
                Email::parse(bad),
                Err("must be a valid email address"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn websites_are_http_or_https_with_a_host_and_at_most_500_characters() {
        const MESSAGE: &str = "must be an http or https address such as https://example.org";
        assert_eq!(
            parse_website("https://example.org"),
            Ok("https://example.org/".to_owned())
        );
        assert_eq!(
            parse_website(" http://Example.org/services?x=1 "),
            Ok("http://example.org/services?x=1".to_owned())
        );
        let at_most = format!("https://example.org/{}", "a".repeat(480));
        assert_eq!(at_most.len(), 500);
        assert_eq!(parse_website(&at_most), Ok(at_most.clone()));
        assert_eq!(parse_website(&format!("{at_most}a")), Err(MESSAGE));
        for bad in [
            "",
            "example.org",
            "ftp://example.org",
            "mailto:info@example.org",
            "javascript:alert(1)",
            "data:text/html,hi",
            "https://",
            "file:///etc/passwd",
        ] {
            assert_eq!(parse_website(bad), Err(MESSAGE), "{bad:?}");
        }
    }

    #[test]
    fn passwords_have_12_to_256_characters_counted_as_characters() {
        let of = |n: usize| "p".repeat(n);
        assert_eq!(
            check_new_password(&of(11)),
            Err("must be at least 12 characters")
        );
        assert_eq!(check_new_password(&of(12)), Ok(()));
        assert_eq!(check_new_password(&of(256)), Ok(()));
        assert_eq!(
            check_new_password(&of(257)),
            Err("must be at most 256 characters")
        );
        assert_eq!(
            check_new_password(""),
            Err("must be at least 12 characters")
        );
        // Characters, not bytes: twelve two-byte letters are enough, 256 of them not too many.
        assert_eq!(
            check_new_password(&"é".repeat(11)),
            Err("must be at least 12 characters")
        );
        assert_eq!(check_new_password(&"é".repeat(12)), Ok(()));
        assert_eq!(check_new_password(&"é".repeat(256)), Ok(()));
        assert_eq!(
            check_new_password(&"é".repeat(257)),
            Err("must be at most 256 characters")
        );
        assert_eq!(
            check_new_password("a long passphrase\u{0}"),
            Err("must not contain control characters")
        );
        assert_eq!(
            check_new_password("a long\npassphrase"),
            Err("must not contain control characters")
        );
        assert_eq!(check_new_password("a long passphrase 42"), Ok(()));
    }
}
