//! Bank details as they are sent, shown masked, and read in full for a payment.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::bank::{AccountNumber, SortCode};

/// Bank details as an organisation's user or the fund's staff send them. Its `Debug` shows
/// none of the numbers.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BankDetailsInput {
    /// The name on the account, 1 to 140 characters.
    #[schema(
        min_length = 1,
        max_length = 140,
        pattern = r"\S",
        example = "Kirkcaldy Family Support"
    )]
    pub account_name: String,
    /// Six digits, with or without dashes or spaces.
    #[schema(example = "80-22-60", pattern = r"^[\s-]*([0-9][\s-]*){6}$")]
    pub sort_code: String,
    /// Eight digits, with or without spaces.
    #[schema(example = "10203040", pattern = r"^[\s-]*([0-9][\s-]*){8}$")]
    pub account_number: String,
    /// A building society roll number, when the society uses one.
    #[serde(default)]
    #[schema(max_length = 18, example = json!(null))]
    pub roll_number: Option<String>,
}

impl std::fmt::Debug for BankDetailsInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BankDetailsInput")
            .field("account_name", &self.account_name)
            .finish_non_exhaustive()
    }
}

/// Where an organisation's bank details stand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BankDetailsStatus {
    /// None entered: nothing can be paid.
    Missing,
    /// Entered or changed, waiting for a second person's check: payments are suspended.
    AwaitingVerification,
    /// Checked by a second person: payments may be made.
    Verified,
}

/// An organisation's current bank details, masked.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BankDetails {
    /// The organisation whose details they are; absent for a claimant's.
    pub organisation_id: Option<i64>,
    /// The family fund's claimant whose details they are; absent for an organisation's.
    pub claimant_id: Option<i64>,
    pub status: BankDetailsStatus,
    /// Whether payments to the organisation are held (until details are entered and checked).
    pub payments_suspended: bool,
    pub account_name: Option<String>,
    /// The last two digits only: `**-**-60`.
    #[schema(example = "**-**-60")]
    pub sort_code: Option<String>,
    /// The last four digits only: `****3040`.
    #[schema(example = "****3040")]
    pub account_number: Option<String>,
    /// Whether a building society roll number is held (it is never shown).
    pub has_roll_number: bool,
    pub entered_by: Option<i64>,
    pub entered_by_name: Option<String>,
    pub entered_at: Option<DateTime<Utc>>,
    pub verified_by: Option<i64>,
    pub verified_by_name: Option<String>,
    pub verified_at: Option<DateTime<Utc>>,
}

/// The full details of a payee, for preparing a payment. Its `Debug` shows the masks only.
#[derive(Clone)]
pub struct Payee {
    pub account_name: String,
    pub sort_code: SortCode,
    pub account_number: AccountNumber,
    pub roll_number: Option<String>,
}

impl std::fmt::Debug for Payee {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payee")
            .field("account_name", &self.account_name)
            .field("sort_code", &self.sort_code)
            .field("account_number", &self.account_number)
            .field("has_roll_number", &self.roll_number.is_some())
            .finish()
    }
}
