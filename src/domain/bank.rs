//! UK bank account details as a payee gives them: sort code, account number, building society
//! roll number, and how they are shown masked.

/// Six digits, kept without separators; read from `12-34-56`, `12 34 56` or `123456`.
#[derive(Clone, PartialEq, Eq)]
pub struct SortCode(String);

/// Eight digits, kept without separators; read with or without spaces.
#[derive(Clone, PartialEq, Eq)]
pub struct AccountNumber(String);

/// The digits of `text` when it is `len` digits with only spaces or dashes between them.
fn digits(text: &str, len: usize) -> Option<String> {
    let kept: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    (kept.len() == len && kept.bytes().all(|b| b.is_ascii_digit())).then_some(kept)
}

impl SortCode {
    pub fn parse(text: &str) -> Result<SortCode, &'static str> {
        digits(text, 6)
            .map(SortCode)
            .ok_or("must be six digits, such as 12-34-56")
    }

    /// `12-34-56`.
    pub fn formatted(&self) -> String {
        let d = &self.0;
        format!("{}-{}-{}", &d[..2], &d[2..4], &d[4..])
    }

    /// `**-**-56`.
    pub fn masked(&self) -> String {
        format!("**-**-{}", &self.0[4..])
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AccountNumber {
    pub fn parse(text: &str) -> Result<AccountNumber, &'static str> {
        digits(text, 8)
            .map(AccountNumber)
            .ok_or("must be eight digits, such as 10203040")
    }

    /// `****5678`: the last four digits only.
    pub fn masked(&self) -> String {
        format!("****{}", &self.0[4..])
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A building society roll number: 1 to 18 letters, digits, spaces, `-`, `/` or `.`.
pub fn parse_roll_number(text: &str) -> Result<String, &'static str> {
    let text = text.trim();
    let valid = !text.is_empty()
        && text.chars().count() <= 18
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '/' | '.'));
    if valid {
        Ok(text.to_owned())
    } else {
        Err("must be up to 18 letters, digits, spaces, dashes, slashes or dots")
    }
}

// No `Debug` that shows the digits: a value logged by mistake shows its mask.
impl std::fmt::Debug for SortCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SortCode({})", self.masked())
    }
}

impl std::fmt::Debug for AccountNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AccountNumber({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_codes_and_account_numbers_read_as_written_by_people() {
        for text in ["12-34-56", "12 34 56", "123456", " 12-3456 "] {
            assert_eq!(
                SortCode::parse(text).map(|s| s.formatted()),
                Ok("12-34-56".to_owned())
            );
        }
        for bad in ["12345", "1234567", "12-34-5a", "", "12_34_56"] {
            assert!(SortCode::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            AccountNumber::parse("1234 5678").map(|a| a.masked()),
            Ok("****5678".to_owned())
        );
        for bad in ["1234567", "123456789", "1234567x"] {
            assert!(AccountNumber::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            SortCode::parse("123456").map(|s| s.masked()),
            Ok("**-**-56".to_owned())
        );
    }

    #[test]
    fn debug_shows_the_mask_only() {
        let account = AccountNumber::parse("12345678").expect("valid");
        assert_eq!(format!("{account:?}"), "AccountNumber(****5678)");
    }

    #[test]
    fn roll_numbers_are_short_plain_text() {
        assert_eq!(
            parse_roll_number(" ABC/123-4. "),
            Ok("ABC/123-4.".to_owned())
        );
        assert!(parse_roll_number("").is_err());
        assert!(parse_roll_number(&"1".repeat(19)).is_err());
        assert!(parse_roll_number("12<script>").is_err());
    }
}
