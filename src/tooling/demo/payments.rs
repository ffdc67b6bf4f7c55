//! Finance pays what it has authorised: a payment run of every authorised instalment, its file
//! sent, the run closed and each line marked paid two days later, as the bank reported it.

use chrono::{Duration, NaiveDateTime};

use super::{CurrentUser, DbConnection};
use crate::error::ApiError;
use crate::payments::marking::{self, Mark};
use crate::payments::model::{BuildRunInput, MarkFailedInput, MarkPaidInput};
use crate::payments::runs;

/// Builds a run at `when` of everything authorised, closes it and marks each line paid two days
/// later; with `fail_first`, the bank returns the first line instead (its payment waits for the
/// next run).
pub(super) fn pay_authorised(
    conn: &mut DbConnection,
    when: NaiveDateTime,
    finance: &CurrentUser,
    fail_first: bool,
) -> Result<(), ApiError> {
    let built = runs::build(conn, when, finance, &BuildRunInput::default())?;
    let run = built.run;
    runs::close(conn, when + Duration::hours(1), finance, run.id)?;
    let reported = when + Duration::days(2);
    for (k, line) in run.lines.iter().enumerate() {
        let mark = if fail_first && k == 0 {
            Mark::Failed(
                "The account name did not match the payee's; the bank returned the payment."
                    .to_owned(),
            )
        } else {
            Mark::Paid(reported.date())
        };
        match mark {
            Mark::Paid(day) => marking::mark_paid(
                conn,
                reported,
                finance,
                run.id,
                line.id,
                &MarkPaidInput {
                    paid_on: day.to_string(),
                },
            )?,
            Mark::Failed(reason) => marking::mark_failed(
                conn,
                reported,
                finance,
                run.id,
                line.id,
                &MarkFailedInput { reason },
            )?,
        };
    }
    Ok(())
}
