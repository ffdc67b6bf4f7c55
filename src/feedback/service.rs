//! Rules for family feedback: links that grant holders hand out, the public form, responses that
//! hold nothing identifying, and the aggregates a grant holder reads.
//!
//! A link's token is 256 random bits, shown once and stored only as its SHA-256 hash. An unknown
//! token, a revoked or expired link, and a link whose award is no longer running all answer the
//! same 404, so a token tells nobody anything it should not.

use std::collections::BTreeMap;
use std::num::NonZeroU32;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::json;

use crate::audit::{self, Change};
use crate::auth::tokens;
use crate::awards::model::AwardRow;
use crate::caller::CurrentUser;
use crate::db::schema::{applications, awards, feedback_links, feedback_responses, organisations};
use crate::db::{DbConnection, write_transaction};
use crate::domain::clock::utc;
use crate::domain::suppression;
use crate::domain::vocabulary::AwardStatus;
use crate::error::{ApiError, ErrorCode, Validator};
use crate::feedback::model::{
    AwardFeedback, FeedbackForm, FeedbackInput, FeedbackLink, FormChoice, FormStatement,
    NewFeedbackLink, OfficialFeedback, OfficialGroup, Quote, Rated, Respondent, RespondentSummary,
    Statement, StatementSummary, StoredRatings,
};
use crate::feedback::publication;
use crate::permissions::Action;
use crate::report_cache::{self, Figures};

/// The longest answer to a free-text question.
pub const MAX_TEXT: usize = 2_000;

/// Responses accepted per link per minute, per instance, so that one link cannot be flooded.
pub struct FeedbackLimiter(DefaultKeyedRateLimiter<String>);

impl FeedbackLimiter {
    pub fn new(per_link_per_minute: u32) -> Self {
        let quota =
            Quota::per_minute(NonZeroU32::new(per_link_per_minute).unwrap_or(NonZeroU32::MIN));
        FeedbackLimiter(RateLimiter::keyed(quota))
    }

    /// Counts one response through the link with this token; 429 once its share is spent.
    pub fn check(&self, token: &str) -> Result<(), ApiError> {
        self.0
            .check_key(&tokens::hash(token))
            .map_err(|_| ApiError::TooManyRequests {
                retry_after_secs: 60,
            })
    }

    /// Forgets links whose limits have fully recovered.
    pub fn forget_idle(&self) {
        self.0.retain_recent();
    }
}

impl std::fmt::Debug for FeedbackLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedbackLimiter").finish_non_exhaustive()
    }
}

/// The award if the caller may take `action` on its feedback: the role must allow it (else 403)
/// and the award must be of an organisation the caller sees (else 404).
fn managed_award(
    conn: &mut DbConnection,
    user: &CurrentUser,
    award_id: i64,
    action: Action,
) -> Result<AwardRow, ApiError> {
    user.require(action)?;
    let award: AwardRow = awards::table.find(award_id).first(conn)?;
    if user.can_see_organisation(award.organisation_id) {
        Ok(award)
    } else {
        Err(ApiError::NotFound)
    }
}

/// A link as read back: everything but its token's hash.
#[derive(Queryable, Selectable)]
#[diesel(table_name = feedback_links)]
struct LinkRow {
    id: i64,
    award_id: i64,
    label: String,
    expires_at: Option<NaiveDateTime>,
    revoked_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
}

fn to_link(row: LinkRow, responses: i64) -> FeedbackLink {
    FeedbackLink {
        id: row.id,
        award_id: row.award_id,
        label: row.label,
        expires_at: row.expires_at.map(utc),
        revoked_at: row.revoked_at.map(utc),
        created_at: utc(row.created_at),
        token: None,
        url: None,
        responses,
    }
}

/// Creates a feedback link for a running award (its grant holder or an administrator). The
/// answer carries the token and the form's path; they are not kept and cannot be shown again.
pub fn create_link(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    award_id: i64,
    input: &NewFeedbackLink,
) -> Result<FeedbackLink, ApiError> {
    user.require(Action::ManageFeedbackLinks)?;
    let mut v = Validator::new();
    let label = v.text("label", &input.label, 1, 100);
    let expires_at = input.expires_at.map(|t| t.naive_utc());
    if expires_at.is_some_and(|t| t <= now) {
        v.error("expires_at", "must be in the future");
    }
    let label = v.finish_with(|| label)?;
    write_transaction(conn, |conn| {
        let award = managed_award(conn, user, award_id, Action::ManageFeedbackLinks)?;
        if award.status != AwardStatus::Accepted {
            return Err(ApiError::conflict(
                ErrorCode::AwardNotActive,
                format!(
                    "The award {} is {}; feedback links are for accepted awards.",
                    award.reference, award.status
                ),
            ));
        }
        let token = tokens::generate()?;
        let id: i64 = diesel::insert_into(feedback_links::table)
            .values((
                feedback_links::award_id.eq(award_id),
                feedback_links::label.eq(&label),
                feedback_links::token_hash.eq(tokens::hash(&token)),
                feedback_links::expires_at.eq(expires_at),
                feedback_links::created_by.eq(user.id),
                feedback_links::created_at.eq(now),
            ))
            .returning(feedback_links::id)
            .get_result(conn)?;
        audit::record(
            conn,
            now,
            Change::by(user, "feedback_link", id, "created").after(
                json!({"award_id": award_id, "label": label, "expires_at": input.expires_at}),
            ),
        )?;
        let row: LinkRow = feedback_links::table
            .find(id)
            .select(LinkRow::as_select())
            .first(conn)?;
        Ok(FeedbackLink {
            url: Some(format!("/api/v1/feedback/{token}")),
            token: Some(token),
            ..to_link(row, 0)
        })
    })
}

/// The links of an award, newest first, without their tokens.
pub fn list_links(
    conn: &mut DbConnection,
    user: &CurrentUser,
    award_id: i64,
) -> Result<Vec<FeedbackLink>, ApiError> {
    managed_award(conn, user, award_id, Action::ManageFeedbackLinks)?;
    let rows: Vec<LinkRow> = feedback_links::table
        .filter(feedback_links::award_id.eq(award_id))
        .order(feedback_links::id.desc())
        .select(LinkRow::as_select())
        .load(conn)?;
    let counts: BTreeMap<i64, i64> = feedback_responses::table
        .filter(feedback_responses::award_id.eq(award_id))
        .group_by(feedback_responses::link_id)
        .select((feedback_responses::link_id, diesel::dsl::count_star()))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let responses = counts.get(&row.id).copied().unwrap_or(0);
            to_link(row, responses)
        })
        .collect())
}

/// Revokes a link: from now on its token answers 404. Revoking twice changes nothing.
pub fn revoke(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
) -> Result<(), ApiError> {
    user.require(Action::ManageFeedbackLinks)?;
    write_transaction(conn, |conn| {
        let award_id: i64 = feedback_links::table
            .find(id)
            .select(feedback_links::award_id)
            .first(conn)?;
        managed_award(conn, user, award_id, Action::ManageFeedbackLinks)?;
        let changed = diesel::update(
            feedback_links::table
                .find(id)
                .filter(feedback_links::revoked_at.is_null()),
        )
        .set(feedback_links::revoked_at.eq(Some(now)))
        .execute(conn)?;
        if changed == 1 {
            audit::record(
                conn,
                now,
                Change::by(user, "feedback_link", id, "revoked")
                    .after(json!({"award_id": award_id})),
            )?;
        }
        Ok(())
    })
}

/// The link and award a token opens, or 404 for any token that does not open a form now.
fn open(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    token: &str,
) -> Result<(i64, AwardRow), ApiError> {
    let link: Option<(i64, i64, Option<NaiveDateTime>, Option<NaiveDateTime>)> =
        feedback_links::table
            .filter(feedback_links::token_hash.eq(tokens::hash(token)))
            .select((
                feedback_links::id,
                feedback_links::award_id,
                feedback_links::expires_at,
                feedback_links::revoked_at,
            ))
            .first(conn)
            .optional()?;
    let Some((id, award_id, expires_at, revoked_at)) = link else {
        return Err(ApiError::NotFound);
    };
    if revoked_at.is_some() || expires_at.is_some_and(|t| t <= now) {
        return Err(ApiError::NotFound);
    }
    let award: AwardRow = awards::table.find(award_id).first(conn)?;
    let running = [
        AwardStatus::Accepted.as_str(),
        AwardStatus::Completed.as_str(),
    ];
    if !running.contains(&award.status.as_str()) {
        return Err(ApiError::NotFound);
    }
    Ok((id, award))
}

/// The public form a link opens: the service's public name, the statements and the choices.
pub fn form(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    token: &str,
) -> Result<FeedbackForm, ApiError> {
    let (_, award) = open(conn, now, token)?;
    let (service, organisation): (String, String) = applications::table
        .inner_join(organisations::table)
        .filter(applications::id.eq(award.application_id))
        .select((applications::title, organisations::name))
        .first(conn)?;
    Ok(FeedbackForm {
        service,
        organisation,
        statements: Statement::ALL
            .iter()
            .map(|s| FormStatement {
                statement: *s,
                text: s.text().to_owned(),
            })
            .collect(),
        respondents: Respondent::ALL
            .iter()
            .map(|r| FormChoice {
                value: r.as_str().to_owned(),
                text: r.text().to_owned(),
            })
            .collect(),
        scale: [
            "Strongly disagree",
            "Disagree",
            "Neither agree nor disagree",
            "Agree",
            "Strongly agree",
        ]
        .iter()
        .enumerate()
        .map(|(i, text)| FormChoice {
            value: (i + 1).to_string(),
            text: (*text).to_owned(),
        })
        .collect(),
        max_text_length: MAX_TEXT,
        privacy: "We do not ask for your name or contact details, and we do not record your \
                  device or where you are. Your answers are only counted with other families'. \
                  Your words are quoted only if you say yes."
            .to_owned(),
    })
}

/// Records one family member's feedback through a link; nothing about who sent it is kept.
pub fn respond(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    token: &str,
    input: &FeedbackInput,
) -> Result<(), ApiError> {
    let mut v = Validator::new();
    let mut rating = |field: &str, value: i64| {
        v.count(format!("ratings.{field}"), value, 1..=5)
            .and_then(|r| i32::try_from(r).ok())
    };
    let listened_to = rating("listened_to", input.ratings.listened_to);
    let wellbeing = rating("wellbeing", input.ratings.wellbeing);
    let relationship = rating(
        "relationship_with_baby",
        input.ratings.relationship_with_baby,
    );
    let recommend = rating("recommend", input.ratings.recommend);
    let difference = v.optional_text("difference", input.difference.as_deref(), MAX_TEXT);
    let could_be_better = v.optional_text(
        "could_be_better",
        input.could_be_better.as_deref(),
        MAX_TEXT,
    );
    let (ratings, texts) = v.finish_with(|| {
        Some((
            (listened_to?, wellbeing?, relationship?, recommend?),
            (difference?, could_be_better?),
        ))
    })?;
    write_transaction(conn, |conn| {
        let (link_id, award) = open(conn, now, token)?;
        diesel::insert_into(feedback_responses::table)
            .values((
                feedback_responses::award_id.eq(award.id),
                feedback_responses::link_id.eq(link_id),
                feedback_responses::respondent.eq(input.respondent),
                feedback_responses::listened_to.eq(ratings.0),
                feedback_responses::wellbeing.eq(ratings.1),
                feedback_responses::relationship_with_baby.eq(ratings.2),
                feedback_responses::recommend.eq(ratings.3),
                feedback_responses::difference.eq(texts.0.as_deref()),
                feedback_responses::could_be_better.eq(texts.1.as_deref()),
                feedback_responses::consent_to_quote.eq(input.consent_to_quote),
                feedback_responses::received_on.eq(now.date()),
            ))
            .execute(conn)?;
        // Officials' figures move only when a whole batch is published.
        if publication::publish(conn, award.fund_id)? {
            report_cache::changed(conn, award.fund_id, Figures::Feedback)?;
        }
        Ok(())
    })
}

/// The summary of each statement over a set of ratings.
pub fn summarise(ratings: &[Rated]) -> Vec<StatementSummary> {
    Statement::ALL
        .iter()
        .enumerate()
        .map(|(k, statement)| {
            let mut distribution: BTreeMap<String, i64> =
                (1..=5).map(|n| (n.to_string(), 0)).collect();
            let mut sum = 0i64;
            for r in ratings {
                sum += i64::from(r[k]);
                if let Some(slot) = distribution.get_mut(&r[k].to_string()) {
                    *slot += 1;
                }
            }
            let mean = if ratings.is_empty() {
                Decimal::ZERO
            } else {
                (Decimal::from(sum) / Decimal::from(ratings.len() as i64))
                    .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
            };
            let mut mean = mean;
            mean.rescale(2);
            StatementSummary {
                statement: *statement,
                text: statement.text().to_owned(),
                mean: mean.to_string(),
                distribution,
            }
        })
        .collect()
}

type ResponseRow = (
    Respondent,
    StoredRatings,
    Option<String>,
    Option<String>,
    bool,
    NaiveDate,
);

/// Counts, means and distributions of an award's feedback, by statement and by who responded,
/// and the words of families who agreed to be quoted (its grant holder and administrators).
///
/// A grant holder may know which family answered, so figures follow the officials' threshold:
/// the award's figures show once it has five responses, and a kind of respondent with fewer
/// (or one whose figures would let a small one be worked out from the total) is listed without
/// figures.
pub fn award_feedback(
    conn: &mut DbConnection,
    user: &CurrentUser,
    award_id: i64,
) -> Result<AwardFeedback, ApiError> {
    managed_award(conn, user, award_id, Action::ReadFeedback)?;
    let rows: Vec<ResponseRow> = feedback_responses::table
        .filter(feedback_responses::award_id.eq(award_id))
        .order((
            feedback_responses::received_on.desc(),
            feedback_responses::id.desc(),
        ))
        .select((
            feedback_responses::respondent,
            StoredRatings::as_select(),
            feedback_responses::difference,
            feedback_responses::could_be_better,
            feedback_responses::consent_to_quote,
            feedback_responses::received_on,
        ))
        .load(conn)?;
    let mut all: Vec<Rated> = Vec::with_capacity(rows.len());
    let mut by_respondent: BTreeMap<Respondent, Vec<Rated>> = BTreeMap::new();
    let mut quotes = Vec::new();
    for (respondent, ratings, difference, could_be_better, consent, received_on) in rows {
        let rated = ratings.rated();
        all.push(rated);
        by_respondent.entry(respondent).or_default().push(rated);
        if consent && (difference.is_some() || could_be_better.is_some()) {
            quotes.push(Quote {
                respondent,
                difference,
                could_be_better,
                received_on,
            });
        }
    }
    let total_hidden = suppression::total_suppressed(all.len() as u64);
    Ok(AwardFeedback {
        award_id,
        responses: all.len() as i64,
        suppressed: total_hidden,
        statements: (!total_hidden).then(|| summarise(&all)),
        by_respondent: by_kind(
            by_respondent,
            |respondent, suppressed, responses, statements| RespondentSummary {
                respondent,
                suppressed,
                responses,
                statements,
            },
        ),
        quotes,
    })
}

/// Feedback figures on a set of awards as officials may see them: every kind of respondent is
/// listed, those with fewer than five responses (and any group whose figures would let them be
/// worked out from the total) without figures; no free text at all.
///
/// It reads every response, published or not, so it answers one reading only: no route serves
/// it, and the officials' report reads published batches ([`publication`]).
pub fn for_officials(
    conn: &mut DbConnection,
    award_ids: &[i64],
) -> Result<OfficialFeedback, ApiError> {
    let rows: Vec<(Respondent, StoredRatings)> = feedback_responses::table
        .filter(feedback_responses::award_id.eq_any(award_ids))
        .select((feedback_responses::respondent, StoredRatings::as_select()))
        .load(conn)?;
    let mut all: Vec<Rated> = Vec::with_capacity(rows.len());
    let mut groups: BTreeMap<Respondent, Vec<Rated>> =
        Respondent::ALL.iter().map(|r| (*r, Vec::new())).collect();
    for (respondent, ratings) in rows {
        all.push(ratings.rated());
        groups.entry(respondent).or_default().push(ratings.rated());
    }
    let total_hidden = suppression::total_suppressed(all.len() as u64);
    Ok(OfficialFeedback {
        suppressed: total_hidden,
        responses: (!total_hidden).then_some(all.len() as i64),
        statements: (!total_hidden).then(|| summarise(&all)),
        by_respondent: by_kind(groups, |respondent, suppressed, responses, statements| {
            OfficialGroup {
                respondent,
                suppressed,
                responses,
                statements,
            }
        }),
    })
}

/// Each kind of respondent's count and figures, both left out of a kind that suppression hides
/// (too few responses, or few enough to be worked out from the others).
fn by_kind<T>(
    groups: BTreeMap<Respondent, Vec<Rated>>,
    make: impl Fn(Respondent, bool, Option<i64>, Option<Vec<StatementSummary>>) -> T,
) -> Vec<T> {
    let counts: Vec<u64> = groups.values().map(|g| g.len() as u64).collect();
    let hidden = suppression::suppressed(&counts);
    groups
        .into_iter()
        .zip(hidden)
        .map(|((respondent, ratings), hide)| {
            make(
                respondent,
                hide,
                (!hide).then_some(ratings.len() as i64),
                (!hide).then(|| summarise(&ratings)),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn means_round_half_up_and_distributions_count_every_rating() {
        let summary = summarise(&[[5, 4, 1, 5], [4, 4, 2, 5], [4, 5, 2, 4], [4, 4, 2, 4]]);
        // 17 / 4 = 4.25; 17 / 4; 7 / 4 = 1.75; 18 / 4 = 4.5.
        let means: Vec<&str> = summary.iter().map(|s| s.mean.as_str()).collect();
        assert_eq!(means, ["4.25", "4.25", "1.75", "4.50"]);
        assert_eq!(summary[0].distribution["4"], 3);
        assert_eq!(summary[0].distribution["1"], 0);
        // 14 / 3 = 4.666… → 4.67; 2.005 cannot arise, but 1.125 would round to 1.13.
        assert_eq!(
            summarise(&[[5, 1, 1, 1], [5, 1, 1, 1], [4, 1, 1, 1]])[0].mean,
            "4.67"
        );
        let eighths: Vec<Rated> = [2, 1, 1, 1, 1, 1, 1, 1]
            .iter()
            .map(|r| [*r, 1, 1, 1])
            .collect();
        assert_eq!(summarise(&eighths)[0].mean, "1.13");
        assert_eq!(summarise(&[])[0].mean, "0.00");
    }
}
