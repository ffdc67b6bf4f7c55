//! The rows of payment runs and their lines, and the shapes the API and the portal show.

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::{payment_lines, payment_runs};
use crate::domain::vocabulary::{HealthBoard, PaymentKind, PaymentLineStatus, PaymentRunStatus};
use crate::domain::{FinancialYear, Money};

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = payment_runs)]
pub struct RunRow {
    pub id: i64,
    pub status: PaymentRunStatus,
    pub built_by: i64,
    pub built_at: NaiveDateTime,
    pub closed_by: Option<i64>,
    pub closed_at: Option<NaiveDateTime>,
    /// The board whose cash office built a run of a family fund's claims; none for a run of
    /// instalments.
    pub health_board: Option<HealthBoard>,
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = payment_lines)]
pub struct LineRow {
    pub id: i64,
    pub run_id: i64,
    pub kind: PaymentKind,
    pub award_id: Option<i64>,
    pub financial_year: Option<String>,
    pub organisation_id: Option<i64>,
    pub fund_id: i64,
    pub bank_details_id: i64,
    pub amount_pence: i64,
    pub payment_reference: String,
    pub award_reference: String,
    pub status: PaymentLineStatus,
    pub paid_on: Option<NaiveDate>,
    pub failure_reason: Option<String>,
    pub marked_by: Option<i64>,
    pub marked_at: Option<NaiveDateTime>,
}

/// One payment of a run. The bank details it pays to are those verified when the run was built;
/// they appear unmasked only in the run's CSV file.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PaymentLine {
    pub id: i64,
    pub run_id: i64,
    /// What the line pays: an award's instalment, or a family's claim.
    pub kind: PaymentKind,
    pub award_id: Option<i64>,
    /// The claim, for a claim.
    pub claim_id: Option<i64>,
    /// The instalment's year, for an instalment.
    #[schema(value_type = Option<String>, example = "2022-23")]
    pub financial_year: Option<FinancialYear>,
    /// The organisation paid, for an instalment.
    pub organisation_id: Option<i64>,
    pub organisation_name: Option<String>,
    pub fund_id: i64,
    /// The version of the payee's bank details the line pays to.
    pub bank_details_id: i64,
    /// The name on the account.
    pub payee: String,
    pub amount: Money,
    /// What the payee's bank statement shows, e.g. `PIMH-2021-0017/2022-23`.
    #[schema(example = "PIMH-2021-0017/2022-23")]
    pub payment_reference: String,
    /// The award's reference, or the claim's.
    #[schema(example = "PIMH-2021-0017")]
    pub award_reference: String,
    /// `pending`, then `paid` or `failed`.
    pub status: PaymentLineStatus,
    /// The day the bank paid it.
    pub paid_on: Option<NaiveDate>,
    /// Why the bank did not pay it.
    pub failure_reason: Option<String>,
    pub marked_by: Option<i64>,
    pub marked_at: Option<DateTime<chrono::Utc>>,
}

/// A payment run with its total and count, and its lines.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PaymentRun {
    pub id: i64,
    /// `open` while its total and count are checked, `closed` once sent to the bank.
    pub status: PaymentRunStatus,
    /// The board whose cash office pays the family fund's claims in it; absent for a run of
    /// instalments, which finance builds.
    pub health_board: Option<HealthBoard>,
    pub built_by: i64,
    pub built_by_name: String,
    pub built_at: DateTime<chrono::Utc>,
    pub closed_by: Option<i64>,
    pub closed_at: Option<DateTime<chrono::Utc>>,
    /// How many lines it has.
    pub count: i64,
    /// What its lines pay altogether.
    pub total: Money,
    /// What the lines marked paid paid.
    pub paid: Money,
    /// How many lines are still waiting for the bank's result.
    pub pending: i64,
    /// How many lines failed.
    pub failed: i64,
    pub lines: Vec<PaymentLine>,
}

/// A payment run in a list: its figures without its lines.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PaymentRunSummary {
    pub id: i64,
    pub status: PaymentRunStatus,
    pub health_board: Option<HealthBoard>,
    pub built_by_name: String,
    pub built_at: DateTime<chrono::Utc>,
    pub count: i64,
    pub total: Money,
    pub paid: Money,
    pub pending: i64,
    pub failed: i64,
    pub closed_at: Option<DateTime<chrono::Utc>>,
}

/// A payment that could not go into the run, and why.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Skipped {
    /// The award of an instalment.
    pub award_id: Option<i64>,
    /// The claim, for a family's claim.
    pub claim_id: Option<i64>,
    /// The award's reference, or the claim's.
    pub award_reference: String,
    #[schema(value_type = Option<String>, example = "2022-23")]
    pub financial_year: Option<FinancialYear>,
    pub organisation_id: Option<i64>,
    pub organisation_name: Option<String>,
    pub amount: Money,
    /// Why it waits: the payee's bank details are missing or a change awaits a check, or the
    /// person building the run approved the claim, so another must pay it.
    pub reason: String,
}

/// A run just built, with the authorised payments it had to leave in the queue.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BuiltRun {
    pub run: PaymentRun,
    /// Payments left out because their payee cannot be paid yet, or because a second person
    /// must pay them; they go into a later run once they can.
    pub skipped: Vec<Skipped>,
}

/// Marks a line paid.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkPaidInput {
    /// The day the bank paid it, `YYYY-MM-DD`: not before the run was built, not after today.
    #[schema(example = "2023-04-12", format = Date)]
    pub paid_on: String,
}

/// Marks a line failed.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkFailedInput {
    /// Why the bank did not pay it, 1 to 500 characters.
    #[schema(min_length = 1, max_length = 500, example = "Account closed")]
    pub reason: String,
}

/// Builds a payment run: optionally, only one fund's payments.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuildRunInput {
    /// Only this fund's payments; every fund's without it.
    #[serde(default)]
    pub fund_id: Option<i64>,
}

/// Which release requests to list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QueueStatus {
    /// Requested by an administrator, waiting for a finance user's authorisation.
    Requested,
    /// Authorised, waiting to be paid by a payment run.
    Authorised,
}

#[derive(Clone, Copy, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// `requested` (the default): waiting for authorisation; `authorised`: waiting for payment.
    pub status: Option<QueueStatus>,
}

/// A requested release, waiting for authorisation or, once authorised, for payment.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ReleaseRequest {
    pub award_id: i64,
    pub award_reference: String,
    pub fund_id: i64,
    pub organisation_id: i64,
    pub organisation_name: String,
    #[schema(value_type = String, example = "2022-23")]
    pub financial_year: FinancialYear,
    pub amount: Money,
    pub status: QueueStatus,
    pub requested_by: i64,
    pub requested_by_name: String,
    pub requested_at: DateTime<chrono::Utc>,
    pub authorised_by: Option<i64>,
    pub authorised_by_name: Option<String>,
    pub authorised_at: Option<DateTime<chrono::Utc>>,
    /// The open or closed run whose pending line pays it, once authorised.
    pub run_id: Option<i64>,
    /// Whether the organisation's bank details are verified, so a run can pay it.
    pub payable: bool,
}
