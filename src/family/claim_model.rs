//! Rows of `claims`, `claim_lines` and `pre_approvals`, and the shapes the API takes and answers
//! for them.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::{claim_lines, claims, pre_approvals};
use crate::domain::vocabulary::{
    ClaimLineKind, ClaimStatus, LineOutcome, PreApprovalKind, PreApprovalStatus,
};
use crate::domain::{FinancialYear, Money};
use crate::family::rules::{Line, RawLine};

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = claims)]
pub struct ClaimRow {
    pub id: i64,
    pub stay_id: i64,
    pub status: ClaimStatus,
    pub claimed_pence: i64,
    pub approved_pence: Option<i64>,
    pub submitted_at: Option<NaiveDateTime>,
    pub certified_by: Option<i64>,
    pub certified_at: Option<NaiveDateTime>,
    pub resident_from: Option<NaiveDate>,
    pub resident_to: Option<NaiveDate>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<NaiveDateTime>,
    pub rejection_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The reference of claim `id`, as families and cash offices quote it.
pub fn claim_reference(id: i64) -> String {
    format!("MBUFF-C{id:06}")
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = claim_lines)]
pub struct LineRow {
    pub id: i64,
    pub claim_id: i64,
    pub visitor_id: i64,
    pub spent_on: NaiveDate,
    pub kind: ClaimLineKind,
    pub miles: Option<i32>,
    pub together: bool,
    pub description: String,
    pub amount_pence: i64,
    pub receipt_document_id: Option<i64>,
    pub pre_approval_id: Option<i64>,
    pub outcome: Option<LineOutcome>,
    pub approved_pence: Option<i64>,
    pub outcome_reason: Option<String>,
}

impl LineRow {
    pub fn line(&self) -> Line {
        Line {
            visitor_id: self.visitor_id,
            spent_on: self.spent_on,
            kind: self.kind,
            miles: self.miles,
            together: self.together,
            description: self.description.clone(),
            amount_pence: self.amount_pence,
            receipt_document_id: self.receipt_document_id,
            pre_approval_id: self.pre_approval_id,
        }
    }

    /// Whether the line still stands: not refused by the cash office or cut by certification.
    pub fn stands(&self) -> bool {
        !matches!(self.outcome, Some(LineOutcome::None | LineOutcome::Cut))
    }
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = pre_approvals)]
pub struct PreApprovalRow {
    pub id: i64,
    pub stay_id: i64,
    pub visitor_id: i64,
    pub kind: PreApprovalKind,
    pub journey_on: NaiveDate,
    pub details: String,
    pub status: PreApprovalStatus,
    pub requested_at: NaiveDateTime,
    pub decided_by: Option<i64>,
    pub decided_at: Option<NaiveDateTime>,
    pub reason: Option<String>,
}

/// One cost as the claimant sends it. Car lines give the miles, food lines nothing more: the
/// service prices both at the rates of the day's financial year. Every other kind gives the
/// amount spent and its receipt; a taxi or a flight also names its approved request.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    /// Who spent it: one of the stay's visitors.
    pub visitor_id: i64,
    /// The day, `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub spent_on: String,
    #[schema(value_type = ClaimLineKind)]
    pub kind: String,
    /// Car only: the miles of the return journey.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 2000)]
    pub miles: Option<i64>,
    /// Car only: the family travelled together, so this one journey is everyone's for the day.
    #[serde(default)]
    pub together: bool,
    /// What was spent, for every kind but car and food.
    #[serde(default)]
    #[schema(value_type = Option<Money>, example = "23.40")]
    pub amount: Option<String>,
    /// Where from and to, or where stayed, up to 200 characters.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub description: Option<String>,
    /// A receipt attached to the claim (`POST /claims/{id}/documents`): public transport, taxi,
    /// flight and accommodation.
    #[serde(default)]
    pub receipt_document_id: Option<i64>,
    /// The approved request for a taxi or a flight.
    #[serde(default)]
    pub pre_approval_id: Option<i64>,
}

impl LineInput {
    pub fn raw(&self) -> RawLine<'_> {
        RawLine {
            visitor_id: self.visitor_id,
            spent_on: &self.spent_on,
            kind: &self.kind,
            miles: self.miles,
            together: self.together,
            amount: self.amount.as_deref(),
            description: self.description.as_deref(),
            receipt_document_id: self.receipt_document_id,
            pre_approval_id: self.pre_approval_id,
        }
    }
}

/// A claim's lines, all of them: saving replaces the draft's lines.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimInput {
    #[serde(deserialize_with = "crate::wire::at_most::<_, _, 200>")]
    #[schema(max_items = 200)]
    pub lines: Vec<LineInput>,
}

/// A claim's line as the API shows it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ClaimLine {
    pub id: i64,
    pub visitor_id: i64,
    #[schema(value_type = String, format = Date)]
    pub spent_on: NaiveDate,
    pub financial_year: FinancialYear,
    pub kind: ClaimLineKind,
    pub miles: Option<i32>,
    pub together: bool,
    pub description: String,
    /// What the line claims.
    pub amount: Money,
    pub receipt_document_id: Option<i64>,
    pub pre_approval_id: Option<i64>,
    /// What the check made of it, once checked.
    pub outcome: Option<LineOutcome>,
    /// What it pays, once checked.
    pub approved: Option<Money>,
    /// Why it pays less than claimed, or nothing.
    pub outcome_reason: Option<String>,
}

impl ClaimLine {
    /// The line as it would be sent again: what a draft keeps when another line is added or
    /// one removed.
    pub fn as_input(&self) -> LineInput {
        let priced_by_rate = matches!(self.kind, ClaimLineKind::Car | ClaimLineKind::Food);
        LineInput {
            visitor_id: self.visitor_id,
            spent_on: self.spent_on.to_string(),
            kind: self.kind.as_str().to_owned(),
            miles: self.miles.map(i64::from),
            together: self.together,
            amount: (!priced_by_rate).then(|| self.amount.to_string()),
            description: Some(self.description.clone()).filter(|d| !d.is_empty()),
            receipt_document_id: self.receipt_document_id,
            pre_approval_id: self.pre_approval_id,
        }
    }
}

/// A claim as the API shows it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Claim {
    pub id: i64,
    /// e.g. `MBUFF-C000042`.
    pub reference: String,
    pub stay_id: i64,
    pub stay_reference: String,
    pub status: ClaimStatus,
    /// What the lines claim.
    pub claimed: Money,
    /// What the cash office approved, once approved.
    pub approved: Option<Money>,
    pub lines: Vec<ClaimLine>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub certified_at: Option<DateTime<Utc>>,
    /// The first day the clinician certified the woman resident.
    #[schema(value_type = Option<String>, format = Date)]
    pub resident_from: Option<NaiveDate>,
    #[schema(value_type = Option<String>, format = Date)]
    pub resident_to: Option<NaiveDate>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Why the claim was rejected.
    pub rejection_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What the clinician certifies: the woman was resident in the unit from one day to another.
/// Lines outside those days are cut.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertifyInput {
    #[schema(format = Date)]
    pub resident_from: String,
    #[schema(format = Date)]
    pub resident_to: String,
}

/// The cash office's decision on one line.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineDecisionInput {
    pub line_id: i64,
    /// `full`, `part` (with the amount and a reason) or `none` (with a reason).
    #[schema(value_type = LineOutcome)]
    pub outcome: String,
    /// For `part`: what the line pays, more than zero and less than claimed.
    #[serde(default)]
    #[schema(value_type = Option<Money>)]
    pub amount: Option<String>,
    /// For `part` and `none`: why, in words the family will read.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// The cash office's decision on every line of a certified claim that still stands.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimDecisionInput {
    #[serde(deserialize_with = "crate::wire::at_most::<_, _, 200>")]
    #[schema(max_items = 200)]
    pub lines: Vec<LineDecisionInput>,
}

/// Why a claim is rejected, or referred to counter fraud.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonInput {
    /// 1 to 500 characters. A referral's reason stays in the audit trail: the family is not
    /// told it.
    #[schema(min_length = 1, max_length = 500, pattern = r"\S")]
    pub reason: String,
}

/// A journey the claimant asks to make, before making it.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreApprovalInput {
    /// Who travels: one of the stay's visitors.
    pub visitor_id: i64,
    #[schema(value_type = PreApprovalKind)]
    pub kind: String,
    /// The day of the journey, `YYYY-MM-DD`: today or later.
    #[schema(format = Date)]
    pub journey_on: String,
    /// From where to where, and why this way: 1 to 500 characters.
    #[schema(min_length = 1, max_length = 500, pattern = r"\S")]
    pub details: String,
}

/// The answer to a journey's request.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreApprovalDecisionInput {
    pub approved: bool,
    /// Required when refusing: why, in words the family will read.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// A journey's request as the API shows it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PreApproval {
    pub id: i64,
    pub stay_id: i64,
    pub visitor_id: i64,
    pub kind: PreApprovalKind,
    #[schema(value_type = String, format = Date)]
    pub journey_on: NaiveDate,
    pub details: String,
    pub status: PreApprovalStatus,
    pub requested_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
}
